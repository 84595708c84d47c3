import Foundation
import Testing

@testable import RetentionPolicy

@Suite("GFS scheme (restic-like)")
struct GFSSchemeTests {
    let now = TestDates.utc(2026, 11, 25, 10)

    func gfs(
        last: Int = 0, hourly: Int = 0, daily: Int = 0, weekly: Int = 0, monthly: Int = 0, yearly: Int = 0,
        within: CalendarSpan? = nil
    ) throws -> RetentionScheme {
        .gfs(
            try GFSRules(
                keepLast: last, keepHourly: hourly, keepDaily: daily, keepWeekly: weekly, keepMonthly: monthly,
                keepYearly: yearly, keepWithin: within))
    }

    /// Keep only what the scheme keeps, with the weakest safety rules.
    func schemeKept(_ snapshots: [SnapshotRecord], _ scheme: RetentionScheme) -> [String] {
        Fixtures.plan(snapshots, scheme, safety: try! SafetyRules(keepNewestVerified: false), now: now)
            .decisions.filter { !$0.verdict.wantsDrop }.map(\.snapshot.id)
    }

    @Test("snapkeeplast keeps the newest n")
    func keepLast() throws {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 11, 1, 10), through: now)
        #expect(schemeKept(snapshots, try gfs(last: 3)) == snapshots.suffix(3).map(\.id))
    }

    @Test("snapkeepdaily keeps the newest snapshot of each of the newest n days that have one")
    func keepDaily() throws {
        let hourly = stride(from: 0.0, to: 10 * 24, by: 1).map {
            Fixtures.snapshot(TestDates.utc(2026, 11, 15).addingTimeInterval($0 * TestDates.hour))
        }
        let kept = schemeKept(hourly, try gfs(daily: 3))
        #expect(kept == ["orcl-20261122T230000", "orcl-20261123T230000", "orcl-20261124T230000"])
    }

    @Test("periods without snapshots do not use up a rule (an outage keeps history)")
    func gapsAreSkipped() throws {
        let snapshots = [
            Fixtures.snapshot(TestDates.utc(2025, 3, 5)), Fixtures.snapshot(TestDates.utc(2025, 3, 20)),
            Fixtures.snapshot(TestDates.utc(2025, 9, 1)), Fixtures.snapshot(TestDates.utc(2026, 2, 1)),
        ]
        #expect(
            schemeKept(snapshots, try gfs(monthly: 3))
                == ["orcl-20250320T000000", "orcl-20250901T000000", "orcl-20260201T000000"])
        #expect(schemeKept(snapshots, try gfs(yearly: 5)) == ["orcl-20250901T000000", "orcl-20260201T000000"])
    }

    @Test("weeks are ISO 8601 weeks, across the year boundary")
    func isoWeeks() throws {
        // 2026-12-27 is a Sunday (2026-W52); 2026-12-31 and 2027-01-02 are both in 2026-W53.
        let snapshots = [
            Fixtures.snapshot(TestDates.utc(2026, 12, 27, 12)), Fixtures.snapshot(TestDates.utc(2026, 12, 31, 12)),
            Fixtures.snapshot(TestDates.utc(2027, 1, 2, 12)),
        ]
        let plan = Fixtures.plan(snapshots, try gfs(weekly: 2), now: TestDates.utc(2027, 1, 3))
        #expect(Fixtures.kept(plan) == ["orcl-20261227T120000", "orcl-20270102T120000"])
        #expect(plan.decisions.last?.reasonText == "keep: GFS weekly #1 (2026-W53)")
    }

    @Test("snapkeephourly buckets by UTC clock hour")
    func keepHourly() throws {
        let snapshots = stride(from: 0.0, to: 6 * 60, by: 20).map {
            Fixtures.snapshot(TestDates.utc(2026, 11, 25, 1).addingTimeInterval($0 * 60))
        }
        #expect(
            schemeKept(snapshots, try gfs(hourly: 2)) == ["orcl-20261125T054000", "orcl-20261125T064000"])
    }

    @Test("snapkeepwithin is measured from the newest snapshot, not from now")
    func keepWithinFromNewest() throws {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 6, 1, 10), through: TestDates.utc(2026, 7, 1, 10))
        let kept = schemeKept(snapshots, try gfs(within: CalendarSpan(days: 3)))
        #expect(kept == ["orcl-20260629T100000", "orcl-20260630T100000", "orcl-20260701T100000"])
    }

    @Test("snapkeepwithin carries day overflow like restic: 31 March minus one month is 3 March")
    func keepWithinMonthArithmetic() throws {
        let newest = Fixtures.snapshot(TestDates.utc(2026, 3, 31, 12))
        let atThreshold = Fixtures.snapshot(TestDates.utc(2026, 3, 3, 12))
        let justAfter = Fixtures.snapshot(TestDates.utc(2026, 3, 3, 12, 0, 1))
        let kept = schemeKept([atThreshold, justAfter, newest], try gfs(within: CalendarSpan(months: 1)))
        #expect(kept == [justAfter.id, newest.id])
    }

    @Test("rules combine: a snapshot is kept when any rule keeps it, and the reason lists every rule")
    func rulesCombine() throws {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 9, 1, 10), through: now)
        let plan = Fixtures.plan(snapshots, try gfs(last: 2, daily: 3, monthly: 3), now: now)
        #expect(
            Fixtures.kept(plan) == [
                "orcl-20260930T100000", "orcl-20261031T100000", "orcl-20261123T100000", "orcl-20261124T100000",
                "orcl-20261125T100000",
            ])
        #expect(plan.decisions.last?.reasonText == "keep: GFS last #1, daily #1 (2026-11-25), monthly #1 (2026-11)")
        #expect(Fixtures.decision(plan, "orcl-20261001T100000")?.reasonText == "drop: matches no GFS rule")
    }

    @Test("an empty or negative GFS policy is refused")
    func emptyPolicyRefused() {
        #expect(throws: RetentionConfigurationError.emptyGFSPolicy) { try GFSRules() }
        #expect(throws: RetentionConfigurationError.emptyGFSPolicy) { try GFSRules(keepWithin: CalendarSpan()) }
        #expect(throws: RetentionConfigurationError.self) { try GFSRules(keepDaily: -1) }
    }

    @Test(
        "calendar spans parse restic's notation",
        arguments: [
            ("30d", CalendarSpan(days: 30)), ("1y6m", CalendarSpan(years: 1, months: 6)),
            ("2y5m7d3h", CalendarSpan(years: 2, months: 5, days: 7, hours: 3)), ("12H", CalendarSpan(hours: 12)),
            ("3h1d", CalendarSpan(days: 1, hours: 3)),
        ])
    func spanParsing(text: String, expected: CalendarSpan) {
        #expect(CalendarSpan(parsing: text) == expected)
    }

    @Test(
        "malformed calendar spans are rejected", arguments: ["", "d", "10", "1x", "1d1d", "-1d", "1.5d", "1 d", "d1"])
    func spanRejection(text: String) {
        #expect(CalendarSpan(parsing: text) == nil)
    }
}
