import Foundation
import Testing

@testable import RetentionPolicy

/// Safety promises that depend on facts outside the listing: the autorestore results, the clocks, the snapshot
/// the run has just taken, and clone counts the storage did not report.
@Suite("Retention keeps what it promises")
struct KeptPromiseTests {
    let now = TestDates.utc(2026, 11, 25, 10)
    /// 30 daily snapshots beyond a 7-day / 0-month reference policy: the scheme wants to drop all but safety.
    var outage: [SnapshotRecord] {
        Fixtures.daily(from: TestDates.utc(2026, 8, 1, 10), through: TestDates.utc(2026, 8, 30, 10))
    }
    let dropEverything = Fixtures.reference(days: 7, months: 0)

    func plan(
        _ snapshots: [SnapshotRecord], _ scheme: RetentionScheme, verified: VerifiedSnapshots = .known([]),
        safety: SafetyRules = .default, now: Date? = nil, takenByThisRun: String? = nil,
        offsiteCopyBase: OffsiteCopyBase = .none
    ) -> RetentionPlan {
        RetentionPlanner.plan(
            listing: .complete(snapshots), verified: verified, scheme: scheme, safety: safety, now: now ?? self.now,
            takenByThisRun: takenByThisRun, offsiteCopyBase: offsiteCopyBase)
    }

    @Test("the newest snapshot the off-site copy holds is kept: the base of its next incremental copy")
    func offsiteCopyBaseIsKept() throws {
        // The replica fell behind a week ago: it holds days 1-23 of the outage (and one the source already dropped).
        let held = Set(outage.prefix(23).map(\.id) + ["orcl-20260701T100000"])
        let base = outage[22].id
        let unprotected = plan(outage, dropEverything)
        #expect(Fixtures.dropped(unprotected).contains(base))
        let protected = plan(outage, dropEverything, offsiteCopyBase: .replicaHolds(held))
        #expect(!Fixtures.dropped(protected).contains(base))
        #expect(Fixtures.decision(protected, base)?.protections == [.offsiteCopyBase])
        #expect(
            Fixtures.decision(protected, base)?.reasonText.contains("newest snapshot the off-site copy holds") == true)
        // Only the base: older snapshots the replica also holds are dropped as the scheme says.
        #expect(Fixtures.dropped(protected) == Fixtures.dropped(unprotected).filter { $0 != base })
        #expect(protected.offsiteCopyProblem == nil)
        // A replica that holds nothing of this listing (before its first copy) protects nothing.
        #expect(plan(outage, dropEverything, offsiteCopyBase: .replicaHolds([])) == unprotected)
    }

    @Test("an off-site copy that cannot be listed keeps every snapshot, without failing the run")
    func unknownOffsiteCopyKeepsEverything() async throws {
        let reason = "listing the replica offsite/orcl failed: connection refused"
        let plan = plan(outage, dropEverything, offsiteCopyBase: .unknown(reason: reason))
        #expect(plan.dropCount == 0)
        #expect(plan.offsiteCopyProblem == reason)
        #expect(plan.blockingProblems.isEmpty)
        #expect(plan.decisions.first?.protections == [.offsiteCopyBaseUnknown(reason: reason)])
        #expect(plan.decisions.first?.reasonText.contains("off-site copy cannot be listed (\(reason))") == true)
        let outcome = await plan.apply { _ in Issue.record("nothing may be dropped") }
        #expect(outcome.succeeded)
    }

    @Test("a manual drop of the off-site copy's base is refused, naming how to drop it anyway")
    func manualDropOfOffsiteBase() throws {
        let held = Set(outage.prefix(10).map(\.id))
        let refusal = SafetyRules.default.manualDropRefusal(
            for: outage[9], listing: outage, verified: .known([]), now: now, offsiteCopyBase: .replicaHolds(held))
        #expect(refusal?.protections == [.offsiteCopyBase])
        #expect(refusal?.description.contains("replicationenabled: FALSE") == true)
        #expect(
            SafetyRules.default.manualDropRefusal(
                for: outage[8], listing: outage, verified: .known([]), now: now, offsiteCopyBase: .replicaHolds(held))
                == nil)
        let unknown = SafetyRules.default.manualDropRefusal(
            for: outage[8], listing: outage, verified: .known([]), now: now,
            offsiteCopyBase: .unknown(reason: "replica unreachable"))
        #expect(unknown?.protections == [.offsiteCopyBaseUnknown(reason: "replica unreachable")])
    }

    @Test("unreadable autorestore results: any snapshot could be the newest verified, so nothing is dropped")
    func unreadableResultsDropNothing() async throws {
        let reason = "results catalog /srv/catalog.sqlite (sqlite) cannot be read: unreachable"
        let plan = plan(outage, dropEverything, verified: .unreadable(reason: reason))
        #expect(plan.dropCount == 0)
        #expect(plan.verificationProblem == reason)
        #expect(plan.decisions.first?.protections == [.verifiedSnapshotsUnknown(reason: reason)])
        #expect(plan.decisions.first?.reasonText.contains("autorestore results cannot be read (\(reason))") == true)
        let outcome = await plan.apply { _ in Issue.record("nothing may be dropped") }
        #expect(!outcome.succeeded)
        #expect(outcome.summary.contains(reason))
        #expect(RetentionPlanRenderer.dryRun(plan).contains("Nothing will be dropped because the autorestore results"))
    }

    @Test("with snapkeepverified off, unreadable results do not matter")
    func unreadableResultsIgnoredWhenRuleIsOff() async throws {
        let safety = try SafetyRules(keepNewestVerified: false)
        let plan = plan(outage, dropEverything, verified: .unreadable(reason: "down"), safety: safety)
        #expect(plan.dropCount == outage.count - 1)
        #expect(plan.verificationProblem == nil)
        #expect(await plan.apply { _ in }.succeeded)
    }

    @Test("known verified ids protect the newest of them that is on the storage")
    func knownVerified() {
        let plan = plan(outage, dropEverything, verified: .known([outage[4].id, outage[9].id, "gone"]))
        #expect(Fixtures.kept(plan) == [outage[9].id, outage[29].id])
        #expect(Fixtures.decision(plan, outage[9].id)?.protections == [.newestVerified])
    }

    @Test("a clock skew names the snapshot and both times, and fails the run")
    func clockSkewIsReported() async throws {
        let future = Fixtures.snapshot(TestDates.utc(2027, 1, 1, 12))
        let plan = plan(outage + [future], dropEverything)
        let skew = try #require(plan.clockSkew)
        #expect(skew.snapshotID == future.id)
        #expect(skew.createdAt == future.createdAt && skew.now == now)
        #expect(skew.allowanceSeconds == 300)
        let text = skew.description
        #expect(text.contains("'\(future.id)'"))
        #expect(text.contains("2027-01-01 12:00:00 UTC") && text.contains("2026-11-25 10:00:00 UTC"))
        #expect(plan.dropCount == 0)
        #expect(plan.decisions.first?.protections == [.clockSkew(snapshotID: future.id)])
        let outcome = await plan.apply { _ in Issue.record("nothing may be dropped") }
        #expect(!outcome.succeeded)
        #expect(outcome.summary.contains("2027-01-01 12:00:00 UTC"))
    }

    @Test("the allowance is configurable; 0 tolerates nothing in the future")
    func allowanceZero() throws {
        let ahead = Fixtures.snapshot(now.addingTimeInterval(1))
        let strict = try SafetyRules(clockSkewAllowanceSeconds: 0)
        #expect(plan(outage + [ahead], dropEverything, safety: strict).clockSkew?.snapshotID == ahead.id)
        #expect(plan(outage + [ahead], dropEverything).clockSkew == nil)
        #expect(throws: RetentionConfigurationError.self) { try SafetyRules(clockSkewAllowanceSeconds: -1) }
    }

    @Test("the snapshot this run took is never dropped by this run")
    func snapshotOfThisRunIsKept() throws {
        // The storage clock runs four minutes ahead (inside the allowance): an earlier snapshot is stamped after
        // the one this run just took, so GFS daily 1 picks the earlier one and would drop this run's snapshot.
        let earlier = Fixtures.snapshot(now.addingTimeInterval(240))
        let thisRun = Fixtures.snapshot(now)
        let scheme = RetentionScheme.gfs(try GFSRules(keepDaily: 1))
        let unprotected = plan([thisRun, earlier], scheme)
        #expect(Fixtures.dropped(unprotected) == [thisRun.id])
        let protected = plan([thisRun, earlier], scheme, takenByThisRun: thisRun.id)
        #expect(protected.dropCount == 0)
        #expect(Fixtures.decision(protected, thisRun.id)?.protections == [.takenByThisRun])
        #expect(Fixtures.decision(protected, thisRun.id)?.reasonText.hasPrefix("keep: taken by this run") == true)
    }

    @Test("an unknown clone count keeps the snapshot and says why; it prints as unknown, never 0")
    func unknownCloneCount() throws {
        var snapshots = outage
        snapshots[2].cloneCount = nil
        snapshots[3].cloneCount = -1  // a plug-in's "unknown"
        let plan = plan(snapshots, dropEverything)
        for index in [2, 3] {
            let decision = try #require(Fixtures.decision(plan, snapshots[index].id))
            #expect(decision.action == .keep)
            #expect(decision.protections == [.cloneCountUnknown])
            #expect(decision.plannedStatus == .valid)
            #expect(decision.reasonText.hasPrefix("keep: clone count unknown (the storage listing does not report it)"))
            #expect(SnapshotLineFormat.line(for: decision.snapshot).hasSuffix(" clones=unknown"))
        }
        #expect(plan.dropCount == outage.count - 3)
    }

    @Test("dropsnap refuses the newest verified snapshot, and everything while the results cannot be read")
    func manualDropAndVerification() throws {
        let safety = SafetyRules.default
        let verified = VerifiedSnapshots.known([outage[3].id, outage[10].id])
        let newest = try #require(
            safety.manualDropRefusal(for: outage[10], listing: outage, verified: verified, now: now))
        #expect(newest.protections == [.newestVerified])
        #expect(newest.description.contains("set snapkeepverified: false"))
        #expect(safety.manualDropRefusal(for: outage[3], listing: outage, verified: verified, now: now) == nil)
        let unreadable = safety.manualDropRefusal(
            for: outage[3], listing: outage, verified: .unreadable(reason: "catalog down"), now: now)
        #expect(unreadable?.protections == [.verifiedSnapshotsUnknown(reason: "catalog down")])
        let ruleOff = try SafetyRules(keepNewestVerified: false)
        #expect(ruleOff.manualDropRefusal(for: outage[10], listing: outage, verified: verified, now: now) == nil)
    }

    @Test("dropsnap refuses an unknown clone count and any drop while a snapshot is dated in the future")
    func manualDropUnknownClonesAndSkew() throws {
        var unknown = outage[5]
        unknown.cloneCount = nil
        #expect(
            SafetyRules.default.manualDropRefusal(for: unknown, listing: outage, verified: .known([]), now: now)?
                .protections == [.cloneCountUnknown])
        let future = Fixtures.snapshot(now.addingTimeInterval(TestDates.day))
        #expect(
            SafetyRules.default.manualDropRefusal(
                for: outage[5], listing: outage + [future], verified: .known([]), now: now)?.protections
                == [.clockSkew(snapshotID: future.id)])
    }
}
