import Foundation
import Testing

@testable import RetentionPolicy

/// `snaplockdays` (issue 18, item 3): a lock protects its snapshot until its expiry and no longer.
@Suite("Locks with an expiry")
struct LockExpiryTests {
    let now = TestDates.utc(2026, 11, 25, 10)
    /// 30 daily snapshots beyond a 7-day / 0-month reference policy: the scheme wants to drop them all.
    var outage: [SnapshotRecord] {
        Fixtures.daily(from: TestDates.utc(2026, 8, 1, 10), through: TestDates.utc(2026, 8, 30, 10))
    }
    let dropEverything = Fixtures.reference(days: 7, months: 0)

    @Test("retention never plans a snapshot locked until after now, and plans it once the expiry passed")
    func plannedOnlyAfterExpiry() {
        var snapshots = outage
        let until = now.addingTimeInterval(3 * TestDates.day)
        snapshots[5].isLocked = true
        snapshots[5].lockedUntil = until
        let plan = Fixtures.plan(snapshots, dropEverything, now: now)
        #expect(Fixtures.kept(plan) == [snapshots[5].id, snapshots[29].id])
        #expect(Fixtures.decision(plan, snapshots[5].id)?.protections == [.lockedUntil(until)])
        #expect(Protection.lockedUntil(until).text == "locked on the storage until 2026-11-28 10:00:00 UTC")

        // The expiry passed: the storage may still report the lock (a ZFSSA retention stays until released), but
        // it protects nothing any more.
        let later = until.addingTimeInterval(1)
        let after = Fixtures.plan(snapshots, dropEverything, now: later)
        #expect(Fixtures.kept(after) == [snapshots[29].id])
        #expect(Fixtures.decision(after, snapshots[5].id)?.protections == [])
    }

    @Test("lockProtection: an expiry ahead, a lock without one, none and a passed one")
    func lockProtection() {
        let base = Fixtures.snapshot(TestDates.utc(2026, 1, 1))
        var ahead = base
        ahead.lockedUntil = now.addingTimeInterval(1)
        #expect(ahead.lockProtection(at: now) == .lockedUntil(now.addingTimeInterval(1)))
        var open = base
        open.isLocked = true
        #expect(open.lockProtection(at: now) == .locked)
        #expect(base.lockProtection(at: now) == nil)
        var passed = base
        passed.isLocked = true
        passed.lockedUntil = now
        #expect(passed.lockProtection(at: now) == nil)
    }

    @Test("a manual drop is refused with the lock's expiry, and allowed after it")
    func manualDrop() throws {
        let safety = try SafetyRules()
        var snapshot = Fixtures.snapshot(TestDates.utc(2026, 11, 1))
        snapshot.isLocked = true
        snapshot.lockedUntil = TestDates.utc(2026, 12, 1, 12)
        let refusal = try #require(
            safety.manualDropRefusal(for: snapshot, listing: [snapshot], verified: .known([]), now: now))
        #expect(refusal.protections == [.lockedUntil(TestDates.utc(2026, 12, 1, 12))])
        #expect(refusal.description.contains("locked on the storage until 2026-12-01 12:00:00 UTC"))
        #expect(
            safety.manualDropRefusal(
                for: snapshot, listing: [snapshot], verified: .known([]), now: TestDates.utc(2026, 12, 2)) == nil)
    }
}
