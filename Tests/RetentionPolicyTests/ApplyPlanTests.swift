import Foundation
import Testing

@testable import RetentionPolicy

@Suite("Applying a plan")
struct ApplyPlanTests {
    let now = TestDates.utc(2026, 11, 25, 10)
    struct StorageRefused: Error, CustomStringConvertible {
        let code: Int
        var description: String { "storage refused with code \(code)" }
    }

    var plan: RetentionPlan {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 11, 1, 10), through: now)
        return Fixtures.plan(snapshots, Fixtures.reference(days: 20, months: 0), now: now)
    }

    @Test("drops run oldest first and succeed")
    func dropsInOrder() async {
        var dropped: [String] = []
        let outcome = await plan.apply { dropped.append($0.id) }
        #expect(
            dropped == ["orcl-20261101T100000", "orcl-20261102T100000", "orcl-20261103T100000", "orcl-20261104T100000"])
        #expect(outcome.succeeded)
        #expect(outcome.droppedCount == 4)
        #expect(outcome.results.map(\.status).filter { $0 == .dropped }.count == 4)
        #expect(outcome.summary == "retention succeeded: 4 dropped, 21 kept")
    }

    @Test("a failed drop is reported as DROP FAILED, the rest still run, and the run fails")
    func failureIsReported() async {
        var attempted: [String] = []
        let outcome = await plan.apply { snapshot in
            attempted.append(snapshot.id)
            if snapshot.id == "orcl-20261102T100000" { throw StorageRefused(code: 409) }
        }
        #expect(attempted.count == 4)
        #expect(!outcome.succeeded)
        #expect(outcome.failures.map(\.snapshot.id) == ["orcl-20261102T100000"])
        #expect((outcome.failures.first?.error as? StorageRefused)?.code == 409)
        #expect(outcome.results[1].status == .dropFailed)
        #expect(outcome.summary == "retention FAILED: 3 dropped, 1 DROP FAILED, 21 kept")
        let lines = RetentionPlanRenderer.lines(for: outcome)
        #expect(
            lines[1]
                == "orcl-20261102T100000 [2026-11-02 10:00:00 UTC] total=unknown unique=unknown clones=0 DROP FAILED — "
                + "drop: older than 20 days and no monthly window (snapexpirationmonths 0) — error: storage refused with code 409"
        )
    }

    @Test("a plan from an incomplete listing calls no drop and never succeeds")
    func incompleteListingNeverSucceeds() async {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 11, 1, 10), through: now)
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 20, months: 0), now: now, complete: false)
        var calls = 0
        let outcome = await plan.apply { _ in calls += 1 }
        #expect(calls == 0)
        #expect(!outcome.succeeded)
        #expect(
            outcome.summary.contains("nothing dropped because the snapshot listing is incomplete: storage timed out"))
    }

    @Test("cancelling the task stops further drops and fails the run")
    func cancellation() async {
        let plan = self.plan
        let outcome = await Task {
            await plan.apply { _ in withUnsafeCurrentTask { $0?.cancel() } }
        }.value
        #expect(outcome.droppedCount == 1)
        #expect(outcome.wasCancelled)
        #expect(!outcome.succeeded)
        #expect(outcome.results.filter { $0.status == .notAttempted }.count == 3)
    }
}
