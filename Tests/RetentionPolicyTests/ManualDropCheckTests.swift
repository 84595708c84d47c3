import Foundation
import Testing

@testable import RetentionPolicy

@Suite("Manual dropsnap check")
struct ManualDropCheckTests {
    let now = TestDates.utc(2026, 11, 25, 10)

    @Test("locked, compliance-window and cloned snapshots are refused, with every reason")
    func refusals() throws {
        let safety = try SafetyRules(complianceDays: 5)
        let young = Fixtures.snapshot(now.addingTimeInterval(-TestDates.day), clones: 1, locked: true)
        let refusal = try #require(
            safety.manualDropRefusal(for: young, listing: [young], verified: .known([]), now: now))
        #expect(refusal.protections == [.hasClones(count: 1), .locked, .insideComplianceWindow(days: 5)])
        #expect(refusal.description.hasPrefix("refusing to drop snapshot '\(young.id)': has a clone; locked"))

        let lockedOnly = Fixtures.snapshot(TestDates.utc(2020, 1, 1), locked: true)
        #expect(
            safety.manualDropRefusal(for: lockedOnly, listing: [lockedOnly], verified: .known([]), now: now)?
                .protections == [.locked])
    }

    @Test("an ordinary snapshot may be dropped by hand, even the newest")
    func allowed() throws {
        let safety = try SafetyRules(complianceDays: 5)
        let old = Fixtures.snapshot(TestDates.utc(2026, 11, 1))
        let newest = Fixtures.snapshot(now)
        #expect(safety.manualDropRefusal(for: old, listing: [old, newest], verified: .known([]), now: now) == nil)
        #expect(
            SafetyRules.default.manualDropRefusal(for: newest, listing: [old, newest], verified: .known([]), now: now)
                == nil)
    }
}
