import Foundation
import Testing

@testable import RetentionPolicy

/// A snapshot dated in the future means the host or the storage clock is wrong: such a plan drops nothing.
@Suite("Clock skew stops retention")
struct ClockSkewTests {
    let now = TestDates.utc(2026, 11, 25, 10)
    /// Thirty real daily snapshots up to today.
    var history: [SnapshotRecord] { Fixtures.daily(from: TestDates.utc(2026, 10, 27, 10), through: now) }

    func gfs(last: Int = 0, daily: Int = 0, within: CalendarSpan? = nil) throws -> RetentionScheme {
        .gfs(try GFSRules(keepLast: last, keepDaily: daily, keepWithin: within))
    }

    @Test(
        "a snapshot dated a year ahead would let GFS drop every real snapshot; the plan drops nothing instead",
        arguments: [0, 1, 2])
    func futureSnapshotDropsNothing(variant: Int) throws {
        let future = Fixtures.snapshot(TestDates.utc(2027, 11, 25, 10))
        let scheme = try [gfs(last: 1), gfs(daily: 3), gfs(within: CalendarSpan(days: 7))][variant]
        let plan = Fixtures.plan(history + [future], scheme, now: now)
        #expect(plan.dropCount == 0, "drops \(Fixtures.dropped(plan))")
        let reason = Fixtures.decision(plan, history[0].id)?.reasonText ?? ""
        #expect(reason.contains("snapshot '\(future.id)' is dated in the future"), "\(reason)")
    }

    @Test("the reference scheme drops nothing either while a snapshot is dated in the future")
    func referenceSchemeToo() throws {
        let future = Fixtures.snapshot(now.addingTimeInterval(2 * TestDates.day))
        let plan = Fixtures.plan(history + [future], Fixtures.reference(days: 3, months: 0), now: now)
        #expect(plan.dropCount == 0, "drops \(Fixtures.dropped(plan))")
    }

    @Test("a host clock moved back behind the existing snapshots drops nothing")
    func hostClockMovedBack() throws {
        // The host now believes it is 2025: every snapshot looks a year in the future.
        let plan = Fixtures.plan(history, try gfs(last: 1), now: TestDates.utc(2025, 11, 25, 10))
        #expect(plan.dropCount == 0, "drops \(Fixtures.dropped(plan))")
    }

    @Test("a snapshot a little ahead, inside the default five minutes, does not stop retention")
    func smallSkewIsAllowed() throws {
        let slightlyAhead = Fixtures.snapshot(now.addingTimeInterval(240))
        let plan = Fixtures.plan(history + [slightlyAhead], try gfs(last: 2), now: now)
        #expect(Fixtures.kept(plan) == [history.last!.id, slightlyAhead.id])
        #expect(plan.dropCount == history.count - 1)
    }

    @Test("snapclockskewallowance is read from the settings and bounds the allowed skew")
    func allowanceSetting() throws {
        let ahead = Fixtures.snapshot(now.addingTimeInterval(120))
        let strict = try RetentionConfiguration(settings: {
            ["snapretention": "gfs", "snapkeeplast": "1", "snapclockskewallowance": "60"][$0]
        })
        let plan = RetentionPlanner.plan(
            listing: .complete(history + [ahead]), verifiedSnapshotIDs: [], configuration: strict, now: now)
        #expect(plan.dropCount == 0)
        #expect(throws: RetentionConfigurationError.self) {
            try RetentionConfiguration(settings: {
                ["snapretention": "gfs", "snapkeeplast": "1", "snapclockskewallowance": "-1"][$0]
            })
        }
        #expect(throws: RetentionConfigurationError.self) {
            try RetentionConfiguration(settings: {
                ["snapretention": "gfs", "snapkeeplast": "1", "snapclockskewallowance": "5m"][$0]
            })
        }
    }
}
