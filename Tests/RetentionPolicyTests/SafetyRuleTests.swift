import Foundation
import Testing

@testable import RetentionPolicy

@Suite("Safety rules override every scheme")
struct SafetyRuleTests {
    let now = TestDates.utc(2026, 11, 25, 10)
    /// 30 daily snapshots that all lie beyond a 7-day / 0-month reference policy: the scheme wants to drop all.
    var outage: [SnapshotRecord] {
        Fixtures.daily(from: TestDates.utc(2026, 8, 1, 10), through: TestDates.utc(2026, 8, 30, 10))
    }
    let dropEverything = Fixtures.reference(days: 7, months: 0)

    @Test("snapminimumcount keeps the newest N", arguments: [1, 3, 30, 50])
    func minimumCount(count: Int) throws {
        let plan = Fixtures.plan(outage, dropEverything, safety: try SafetyRules(minimumCount: count), now: now)
        #expect(Fixtures.kept(plan) == Array(outage.suffix(count).map(\.id)))
        #expect(plan.decisions.last?.protections.contains(.amongNewest(rank: 1, minimumCount: count)) == true)
    }

    @Test("the newest verified snapshot is kept; older verified ones are not")
    func newestVerified() throws {
        let verified: Set = [outage[3].id, outage[10].id, "not-on-storage-any-more"]
        let plan = Fixtures.plan(outage, dropEverything, verified: verified, now: now)
        #expect(Fixtures.kept(plan) == [outage[10].id, outage[29].id])
        #expect(Fixtures.decision(plan, outage[10].id)?.protections == [.newestVerified])

        let disabled = Fixtures.plan(
            outage, dropEverything, safety: try SafetyRules(keepNewestVerified: false), verified: verified, now: now)
        #expect(Fixtures.kept(disabled) == [outage[29].id])
    }

    @Test("locked snapshots are never dropped")
    func locked() {
        var snapshots = outage
        snapshots[5].isLocked = true
        let plan = Fixtures.plan(snapshots, dropEverything, now: now)
        #expect(Fixtures.kept(plan) == [snapshots[5].id, snapshots[29].id])
        #expect(Fixtures.decision(plan, snapshots[5].id)?.protections == [.locked])
        #expect(Fixtures.decision(plan, snapshots[5].id)?.plannedStatus == .valid)
    }

    @Test("an unknown clone count keeps the snapshot, as the original's `numclones != 0` did")
    func unknownCloneCount() {
        var snapshots = outage
        snapshots[2].cloneCount = nil
        let plan = Fixtures.plan(snapshots, dropEverything, now: now)
        let decision = Fixtures.decision(plan, snapshots[2].id)
        #expect(decision?.action == .keep)
        #expect(decision?.plannedStatus == .valid)
        #expect(decision?.reasonText.hasPrefix("keep: clone count unknown") == true)
    }

    @Test("snapcompliancedays protects young snapshots whatever the scheme; 0 protects nothing")
    func complianceWindow() throws {
        let snapshots = Fixtures.daily(from: TestDates.utc(2026, 11, 1, 10), through: now)
        let gfs = RetentionScheme.gfs(try GFSRules(keepLast: 1))
        let plan = Fixtures.plan(snapshots, gfs, safety: try SafetyRules(complianceDays: 10), now: now)
        // younger than 10 days: created after 2026-11-15 10:00
        #expect(Fixtures.kept(plan) == (16...25).map { "orcl-202611\($0)T100000" })
        #expect(Fixtures.decision(plan, "orcl-20261116T100000")?.protections == [.insideComplianceWindow(days: 10)])
        #expect(Fixtures.kept(Fixtures.plan(snapshots, gfs, now: now)) == ["orcl-20261125T100000"])
    }

    @Test("an incomplete listing drops nothing and says why")
    func incompleteListing() {
        let plan = Fixtures.plan(outage, dropEverything, now: now, complete: false)
        #expect(plan.dropCount == 0)
        #expect(!plan.isListingComplete)
        #expect(plan.listingProblem == "storage timed out")
        #expect(plan.decisions.first?.protections == [.listingIncomplete(reason: "storage timed out")])
        #expect(plan.decisions.first?.reasonText.contains("snapshot listing incomplete (storage timed out)") == true)
    }

    @Test("a listing with a duplicate id or an invalid creation time is not trusted")
    func inconsistentListing() {
        var duplicated = outage
        duplicated.append(SnapshotRecord(id: outage[0].id, createdAt: TestDates.utc(2026, 8, 31)))
        let duplicatePlan = Fixtures.plan(duplicated, dropEverything, now: now)
        #expect(duplicatePlan.dropCount == 0)
        #expect(duplicatePlan.listingProblem == "snapshot id '\(outage[0].id)' is listed more than once")

        var broken = outage
        broken.append(SnapshotRecord(id: "broken", createdAt: Date(timeIntervalSince1970: .nan)))
        let brokenPlan = Fixtures.plan(broken, dropEverything, now: now)
        #expect(brokenPlan.dropCount == 0)
        #expect(brokenPlan.listingProblem == "snapshot 'broken' has no valid creation time")
    }

    @Test("an empty listing gives an empty plan")
    func emptyListing() {
        let plan = Fixtures.plan([], dropEverything, now: now)
        #expect(plan.decisions.isEmpty)
        #expect(plan.isListingComplete)
    }

    @Test("invalid safety rules are refused")
    func invalidRules() throws {
        #expect(
            throws: RetentionConfigurationError.belowMinimum(
                key: "snapminimumcount", value: "0", minimum: 1, reason: "the newest snapshot is never deleted")
        ) { try SafetyRules(minimumCount: 0) }
        #expect(throws: RetentionConfigurationError.self) { try SafetyRules(complianceDays: -1) }
        #expect(SafetyRules.default == (try SafetyRules()))
    }
}
