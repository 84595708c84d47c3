import Foundation
import Testing

@testable import RetentionPolicy

/// The reference cases of reference-behaviour §4.3.
@Suite("Reference scheme (original daily + monthly windows)")
struct ReferenceSchemeTests {
    let now = TestDates.utc(2026, 11, 25, 10)

    @Test("everything younger than snapexpirationdays is kept as valid")
    func dailyWindowKeepsEverything() {
        let snapshots = (0..<20).map { Fixtures.snapshot(now.addingTimeInterval(-Double($0) * 8 * TestDates.hour)) }
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 0), now: now)
        #expect(plan.dropCount == 0)
        #expect(
            plan.decisions.allSatisfy { $0.plannedStatus == .valid && $0.verdict == .keep(.insideDailyWindow(days: 7)) }
        )
    }

    @Test("between the windows only the last snapshot of each UTC month is kept; older ones are dropped")
    func monthlyWindowKeepsLastOfEachMonth() {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 7, 1, 10), through: now)
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 3), now: now)
        // 3 × 31 = 93 days before now is 2026-08-24 10:00; 7 days before now is 2026-11-18 10:00.
        let expectedKept =
            ["orcl-20260831T100000", "orcl-20260930T100000", "orcl-20261031T100000"]
            + (18...25).map { "orcl-202611\($0)T100000" }
        #expect(Fixtures.kept(plan) == expectedKept)
        #expect(
            Fixtures.decision(plan, "orcl-20260731T100000")?.verdict == .drop(.beyondMonthlyWindow(days: 7, months: 3)))
        #expect(Fixtures.decision(plan, "orcl-20260824T100000")?.verdict == .drop(.notLastOfMonth(months: 3)))
        #expect(
            Fixtures.decision(plan, "orcl-20260930T100000")?.verdict
                == .keep(.lastOfMonthInsideMonthlyWindow(months: 3)))
        #expect(Fixtures.decision(plan, "orcl-20261117T100000")?.plannedStatus == .dropped)
    }

    @Test("the daily window boundary is exclusive: exactly snapexpirationdays old is still kept")
    func dailyWindowBoundary() {
        let atBoundary = Fixtures.snapshot(now.addingTimeInterval(-7 * TestDates.day))
        let pastBoundary = Fixtures.snapshot(now.addingTimeInterval(-7 * TestDates.day - 1))
        let newest = Fixtures.snapshot(now)
        let plan = Fixtures.plan([pastBoundary, atBoundary, newest], Fixtures.reference(days: 7, months: 0), now: now)
        #expect(Fixtures.dropped(plan) == [pastBoundary.id])
    }

    @Test("the monthly window boundary is exclusive: exactly months × 31 days old is still inside")
    func monthlyWindowBoundary() {
        let atBoundary = Fixtures.snapshot(now.addingTimeInterval(-62 * TestDates.day))
        let pastBoundary = Fixtures.snapshot(now.addingTimeInterval(-62 * TestDates.day - 1))
        let plan = Fixtures.plan(
            [pastBoundary, atBoundary, Fixtures.snapshot(now)], Fixtures.reference(days: 1, months: 2), now: now)
        #expect(Fixtures.decision(plan, atBoundary.id)?.verdict == .keep(.lastOfMonthInsideMonthlyWindow(months: 2)))
        #expect(Fixtures.decision(plan, pastBoundary.id)?.verdict == .drop(.beyondMonthlyWindow(days: 1, months: 2)))
    }

    @Test("months = 0: the original drops every snapshot older than days, the newest included; we keep the newest")
    func zeroMonthsKeepsNewest() {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 9, 1, 10), through: TestDates.utc(2026, 9, 30, 10))
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 0), now: now)
        let original = OriginalRetention.clean(snapshots, days: 7, months: 0, now: now)
        #expect(original.allSatisfy { $0.attemptsDrop })
        #expect(Fixtures.kept(plan) == ["orcl-20260930T100000"])
        let newest = plan.decisions.last!
        #expect(newest.verdict == .drop(.beyondMonthlyWindow(days: 7, months: 0)))
        #expect(newest.protections == [.amongNewest(rank: 1, minimumCount: 1)])
        #expect(newest.plannedStatus == .valid)
    }

    @Test("a long outage with a monthly window keeps the newest snapshot, as the original does")
    func outageInsideMonthlyWindow() {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 8, 1, 10), through: TestDates.utc(2026, 9, 10, 10))
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 6), now: now)
        #expect(Fixtures.kept(plan) == ["orcl-20260831T100000", "orcl-20260910T100000"])
        #expect(plan.decisions.last?.verdict == .keep(.newestInsideMonthlyWindow(months: 6)))
    }

    @Test("a snapshot the windows would drop but that has a clone is kept as 'has a clone'")
    func cloneIsKept() {
        let cloned = Fixtures.snapshot(TestDates.utc(2026, 10, 3, 10), clones: 1)
        let later = Fixtures.snapshot(TestDates.utc(2026, 10, 4, 10))
        let plan = Fixtures.plan(
            [cloned, later, Fixtures.snapshot(now)], Fixtures.reference(days: 7, months: 3), now: now)
        let decision = Fixtures.decision(plan, cloned.id)
        #expect(decision?.action == .keep)
        #expect(decision?.plannedStatus == .hasAClone)
        #expect(decision?.protections == [.hasClones(count: 1)])
        #expect(Fixtures.decision(plan, later.id)?.plannedStatus == .valid)
    }

    @Test("calendar months are UTC months")
    func monthsAreUTC() {
        let lastOfSeptember = Fixtures.snapshot(TestDates.utc(2026, 9, 30, 23, 30))
        let firstOfOctober = Fixtures.snapshot(TestDates.utc(2026, 10, 1, 0, 30))
        let plan = Fixtures.plan(
            [lastOfSeptember, firstOfOctober, Fixtures.snapshot(now)], Fixtures.reference(days: 7, months: 3), now: now)
        #expect(plan.dropCount == 0)
    }

    @Test("a snapshot stamped after now (clock skew inside the allowance) is inside the daily window")
    func futureSnapshot() {
        let future = Fixtures.snapshot(now.addingTimeInterval(2 * 60))
        let plan = Fixtures.plan(
            [Fixtures.snapshot(TestDates.utc(2026, 1, 1)), future], Fixtures.reference(days: 7, months: 0), now: now)
        #expect(Fixtures.decision(plan, future.id)?.verdict == .keep(.createdAfterNow))
        #expect(Fixtures.dropped(plan) == ["orcl-20260101T000000"])
    }

    @Test("decisions do not depend on the storage's listing order; ties keep the listing order")
    func listingOrder() {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 7, 1, 10), through: now)
        let sorted = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 3), now: now)
        var random = SplitMix64(seed: 42)
        let shuffled = Fixtures.plan(
            snapshots.shuffled(using: &random), Fixtures.reference(days: 7, months: 3), now: now)
        #expect(sorted.decisions == shuffled.decisions)

        let time = TestDates.utc(2026, 10, 5)
        let first = SnapshotRecord(id: "b-listed-first", createdAt: time)
        let second = SnapshotRecord(id: "a-listed-second", createdAt: time)
        let tie = Fixtures.plan(
            [first, second, Fixtures.snapshot(now)], Fixtures.reference(days: 7, months: 3), now: now)
        #expect(tie.decisions.map(\.snapshot.id).prefix(2) == ["b-listed-first", "a-listed-second"])
        #expect(Fixtures.dropped(tie) == ["b-listed-first"])
    }

    @Test("statuses and reasons match the original for a safe history")
    func statusesMatchOriginal() {
        var snapshots = Fixtures.daily(from: TestDates.utc(2026, 5, 20, 10), through: now)
        snapshots[40].cloneCount = 2
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 10, months: 4), now: now)
        let original = OriginalRetention.clean(snapshots, days: 10, months: 4, now: now)
        #expect(plan.decisions.map(\.plannedStatus.rawValue) == original.map(\.status))
        #expect(Set(plan.decisions.map(\.plannedStatus)) == [.valid, .dropped, .hasAClone])
        #expect(
            Fixtures.decision(plan, "orcl-20261017T100000")?.reasonText
                == "drop: not the last snapshot of 2026-10 (monthly window 4×31 days)")
    }
}
