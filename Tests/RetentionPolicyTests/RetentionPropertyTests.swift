import Foundation
import Testing

@testable import RetentionPolicy

/// Properties over 10 000 random histories each. A failure names the seed that reproduces it.
// Serialized: these CPU-bound checks would otherwise occupy every thread of the shared test pool at once.
@Suite("Retention properties over random histories", .serialized)
struct RetentionPropertyTests {
    static let schemes = ["reference", "gfs"]

    static func scheme(_ name: String, for history: RandomHistory) -> RetentionScheme {
        name == "reference" ? .reference(history.referenceWindows) : .gfs(history.gfsRules)
    }

    static func plan(_ history: RandomHistory, scheme name: String) -> RetentionPlan {
        RetentionPlanner.plan(
            listing: history.listing, verified: history.verifiedSnapshots, scheme: scheme(name, for: history),
            safety: history.safety, now: history.now, takenByThisRun: history.takenByThisRun,
            offsiteCopyBase: history.offsiteCopyBase)
    }

    /// The snapshot dated furthest beyond the allowance after `now`, computed independently of the planner.
    static func skewedSnapshot(_ history: RandomHistory) -> SnapshotRecord? {
        let limit = history.now.addingTimeInterval(Double(history.safety.clockSkewAllowanceSeconds))
        return history.snapshots.filter { $0.createdAt > limit }.max { $0.createdAt < $1.createdAt }
    }

    static func verificationUnreadable(_ history: RandomHistory) -> Bool {
        if case .unreadable = history.verifiedSnapshots { return history.safety.keepNewestVerified }
        return false
    }

    @Test("safety rules hold for every scheme", arguments: schemes)
    func safetyRulesHold(schemeName: String) async {
        var protectionKindsSeen: Set<String> = []
        let checked = await checkProperty("safety/\(schemeName)") { history in
            let plan = Self.plan(history, scheme: schemeName)
            for decision in plan.decisions {
                for protection in decision.protections { protectionKindsSeen.insert(Self.kind(of: protection)) }
            }
            let dropped = Set(plan.drops.map(\.snapshot.id))
            var violations: [String] = []
            let chronological = history.chronologicalIndices.map { history.snapshots[$0] }

            if plan.decisions.map(\.snapshot.id).sorted() != history.snapshots.map(\.id).sorted() {
                violations.append("not exactly one decision per snapshot")
            }
            if plan.decisions.map(\.snapshot.id) != chronological.map(\.id) {
                violations.append("decisions are not oldest first")
            }
            if case .incomplete = history.listing.completeness, !dropped.isEmpty {
                violations.append("incomplete listing but drops \(dropped.sorted())")
            }
            if let skewed = Self.skewedSnapshot(history) {
                if !dropped.isEmpty {
                    violations.append("\(skewed.id) dated in the future but drops \(dropped.sorted())")
                }
                if plan.clockSkew?.snapshotID != skewed.id { violations.append("clock skew not reported") }
            } else if plan.clockSkew != nil {
                violations.append("clock skew reported without a snapshot beyond the allowance")
            }
            if Self.verificationUnreadable(history), !dropped.isEmpty {
                violations.append("verified snapshots unknown but drops \(dropped.sorted())")
            }
            if let taken = history.takenByThisRun, dropped.contains(taken) {
                violations.append("drops \(taken), the snapshot of this run")
            }
            switch history.offsiteCopyBase {
            case .none: break
            case .replicaHolds(let held):
                if let base = Self.offsiteBase(history, held: held), dropped.contains(base) {
                    violations.append("drops \(base), the base of the off-site copy's next incremental copy")
                }
            case .unknown:
                if !dropped.isEmpty { violations.append("off-site copy unknown but drops \(dropped.sorted())") }
            }
            for snapshot in chronological.suffix(history.safety.minimumCount) where dropped.contains(snapshot.id) {
                violations.append("drops \(snapshot.id), one of the newest \(history.safety.minimumCount)")
            }
            if history.safety.keepNewestVerified,
                let newestVerified = chronological.last(where: { history.verified.contains($0.id) }),
                dropped.contains(newestVerified.id)
            {
                violations.append("drops the newest verified snapshot \(newestVerified.id)")
            }
            for snapshot in history.snapshots where dropped.contains(snapshot.id) {
                if snapshot.isLocked { violations.append("drops locked \(snapshot.id)") }
                if snapshot.cloneCount != 0 {
                    violations.append("drops \(snapshot.id) which has clones or an unknown count")
                }
                let age = history.now.timeIntervalSince(snapshot.createdAt)
                if history.safety.complianceDays > 0, age < Double(history.safety.complianceDays) * TestDates.day {
                    violations.append("drops \(snapshot.id) inside the compliance window (age \(age) s)")
                }
            }
            for decision in plan.decisions {
                let expected: RetentionAction =
                    decision.verdict.wantsDrop && decision.protections.isEmpty ? .drop : .keep
                if decision.action != expected {
                    violations.append("\(decision.snapshot.id): action contradicts verdict")
                }
            }
            return violations
        }
        let replaying = ProcessInfo.processInfo.environment["RETENTION_PROPERTY_SEED"] != nil
        #expect(checked >= 10_000 || replaying)
        let allKinds: Set = [
            "listing", "clock", "verified-unknown", "clones", "clones-unknown", "locked", "compliance", "newest",
            "verified", "this-run", "offsite-base", "offsite-unknown",
        ]
        #expect(
            protectionKindsSeen == allKinds || replaying,
            "protections never exercised: \(allKinds.subtracting(protectionKindsSeen))")
    }

    static func kind(of protection: Protection) -> String {
        switch protection {
        case .listingIncomplete: "listing"
        case .clockSkew: "clock"
        case .verifiedSnapshotsUnknown: "verified-unknown"
        case .hasClones: "clones"
        case .cloneCountUnknown: "clones-unknown"
        case .locked, .lockedUntil: "locked"
        case .insideComplianceWindow: "compliance"
        case .amongNewest: "newest"
        case .newestVerified: "verified"
        case .takenByThisRun: "this-run"
        case .offsiteCopyBase: "offsite-base"
        case .offsiteCopyBaseUnknown: "offsite-unknown"
        }
    }

    /// The newest snapshot (oldest-first order, ties in listing order) that the replica holds, computed apart from
    /// the planner.
    static func offsiteBase(_ history: RandomHistory, held: Set<String>) -> String? {
        history.chronologicalIndices.map { history.snapshots[$0].id }.last { held.contains($0) }
    }

    @Test("planning again after applying drops nothing more", arguments: schemes)
    func applyingIsIdempotent(schemeName: String) async {
        await checkProperty("idempotence/\(schemeName)") { history in
            let plan = Self.plan(history, scheme: schemeName)
            var storage = history.snapshots
            let outcome = await plan.apply { snapshot in storage.removeAll { $0.id == snapshot.id } }
            var violations: [String] = []
            if outcome.droppedCount != plan.dropCount {
                violations.append("apply dropped \(outcome.droppedCount) of \(plan.dropCount)")
            }
            if outcome.succeeded != plan.blockingProblems.isEmpty {
                violations.append("succeeded is \(outcome.succeeded)")
            }
            let replanned = RetentionPlanner.plan(
                listing: SnapshotListing(snapshots: storage, completeness: history.listing.completeness),
                verified: history.verifiedSnapshots, scheme: Self.scheme(schemeName, for: history),
                safety: history.safety, now: history.now, takenByThisRun: history.takenByThisRun,
                offsiteCopyBase: history.offsiteCopyBase)
            if replanned.dropCount != 0 {
                violations.append("second plan drops \(replanned.drops.map(\.snapshot.id))")
            }
            return violations
        }
    }

    @Test("reference scheme matches the original wherever the original is safe, and never keeps fewer")
    func referenceMatchesOriginal() async {
        var historiesWhereOriginalIsUnsafe = 0
        var safeHistoriesWithDrops = 0
        await checkProperty("reference-vs-original") { history in
            let plan = Self.plan(history, scheme: "reference")
            let original = OriginalRetention.clean(
                history.snapshots, days: history.referenceWindows.days, months: history.referenceWindows.months,
                now: history.now)
            guard plan.decisions.map(\.snapshot.id) == original.map(\.id) else {
                return ["snapshot order differs from the original's"]
            }
            let chronological = history.chronologicalIndices.map { history.snapshots[$0] }
            let newestVerified =
                history.safety.keepNewestVerified
                ? chronological.last(where: { history.verified.contains($0.id) })?.id : nil
            var violations: [String] = []
            for (position, (ours, theirs)) in zip(plan.decisions, original).enumerated() {
                let id = ours.snapshot.id
                if ours.verdict.wantsDrop != theirs.windowsSayDrop {
                    violations.append("\(id): windows verdict \(ours.verdict) differs from the original")
                }
                if !theirs.attemptsDrop, ours.action == .drop {
                    violations.append("\(id): original keeps it (\(theirs.status)) but we drop it")
                }
                let safetyOverrides = ours.protections.filter { if case .hasClones = $0 { false } else { true } }
                if safetyOverrides.isEmpty {
                    if ours.plannedStatus.rawValue != theirs.status {
                        violations.append(
                            "\(id): status '\(ours.plannedStatus.rawValue)' vs original '\(theirs.status)'")
                    }
                } else {
                    // every override must be true of this snapshot, not invented
                    let age = history.now.timeIntervalSince(ours.snapshot.createdAt)
                    for protection in safetyOverrides {
                        let holds: Bool
                        switch protection {
                        case .listingIncomplete: holds = history.listing.completeness != .complete
                        case .clockSkew(let id): holds = id == Self.skewedSnapshot(history)?.id
                        case .verifiedSnapshotsUnknown: holds = Self.verificationUnreadable(history)
                        case .hasClones: holds = true
                        case .cloneCountUnknown: holds = ours.snapshot.cloneCount == nil
                        case .locked: holds = ours.snapshot.isLocked && ours.snapshot.lockedUntil == nil
                        case .lockedUntil(let until):
                            holds = until == ours.snapshot.lockedUntil && until > history.now
                        case .insideComplianceWindow(let days):
                            holds = days == history.safety.complianceDays && age < Double(days) * TestDates.day
                        case .amongNewest(let rank, _):
                            holds = rank == chronological.count - position && rank <= history.safety.minimumCount
                        case .newestVerified: holds = id == newestVerified
                        case .takenByThisRun: holds = id == history.takenByThisRun
                        case .offsiteCopyBase:
                            if case .replicaHolds(let held) = history.offsiteCopyBase {
                                holds = id == Self.offsiteBase(history, held: held)
                            } else {
                                holds = false
                            }
                        case .offsiteCopyBaseUnknown:
                            if case .unknown = history.offsiteCopyBase { holds = true } else { holds = false }
                        }
                        if !holds { violations.append("\(id): protection \(protection) does not hold") }
                    }
                }
            }
            let keptByUs = plan.decisions.filter { $0.action == .keep }.count
            let keptByOriginal = original.filter { !$0.attemptsDrop }.count
            if keptByUs < keptByOriginal { violations.append("keeps \(keptByUs) < original's \(keptByOriginal)") }
            if keptByUs > keptByOriginal {
                historiesWhereOriginalIsUnsafe += 1
            } else if plan.dropCount > 0 {
                safeHistoriesWithDrops += 1
            }
            return violations
        }
        // The generator must exercise both sides of the comparison, or the property proves little.
        #expect(historiesWhereOriginalIsUnsafe > 1_000, "only \(historiesWhereOriginalIsUnsafe) unsafe histories")
        // Fewer since histories with a snapshot stamped beyond the clock-skew allowance drop nothing at all.
        #expect(safeHistoriesWithDrops > 700, "only \(safeHistoriesWithDrops) safe histories with drops")
    }

    @Test("GFS scheme keeps exactly what the documented semantics keep")
    func gfsMatchesDocumentedSemantics() async {
        await checkProperty("gfs-vs-oracle") { history in
            let plan = Self.plan(history, scheme: "gfs")
            let expected = Set(
                GFSOracle.keptIndices(history.snapshots, rules: history.gfsOracleRules).map {
                    history.snapshots[$0].id
                })
            let keptByScheme = Set(plan.decisions.filter { !$0.verdict.wantsDrop }.map(\.snapshot.id))
            guard keptByScheme != expected else { return [] }
            return [
                "scheme keeps \(keptByScheme.subtracting(expected).sorted()) beyond the oracle and misses "
                    + "\(expected.subtracting(keptByScheme).sorted())"
            ]
        }
    }

    @Test("decisions depend on creation times, not on the storage's listing order", arguments: schemes)
    func listingOrderDoesNotMatter(schemeName: String) async {
        await checkProperty("listing-order/\(schemeName)", count: 2_000) { history in
            // Listing in chronological order (ties in their original listing order) must not change anything.
            let reordered = SnapshotListing(
                snapshots: history.chronologicalIndices.map { history.snapshots[$0] },
                completeness: history.listing.completeness)
            let original = Self.plan(history, scheme: schemeName)
            let again = RetentionPlanner.plan(
                listing: reordered, verified: history.verifiedSnapshots, scheme: Self.scheme(schemeName, for: history),
                safety: history.safety, now: history.now, takenByThisRun: history.takenByThisRun,
                offsiteCopyBase: history.offsiteCopyBase)
            return original.decisions == again.decisions ? [] : ["decisions changed with the listing order"]
        }
    }

    @Test("failed drops are all reported and fail the run")
    func failedDropsAreReported() async {
        await checkProperty("drop-failures", count: 2_000) { history in
            let plan = Self.plan(history, scheme: "reference")
            var random = SplitMix64(seed: history.seed)
            let failing = Set(plan.drops.map(\.snapshot.id).filter { _ in random.chance(0.3) })
            struct StorageRefused: Error {}
            var attempted: [String] = []
            let outcome = await plan.apply { snapshot in
                attempted.append(snapshot.id)
                if failing.contains(snapshot.id) { throw StorageRefused() }
            }
            var violations: [String] = []
            if attempted != plan.drops.map(\.snapshot.id) { violations.append("drops attempted out of plan order") }
            if Set(outcome.failures.map(\.snapshot.id)) != failing { violations.append("failures not all reported") }
            if outcome.succeeded != (failing.isEmpty && plan.blockingProblems.isEmpty) {
                violations.append("succeeded = \(outcome.succeeded) with \(failing.count) failures")
            }
            for result in outcome.results where failing.contains(result.decision.snapshot.id) {
                if result.status != .dropFailed { violations.append("\(result.decision.snapshot.id) not DROP FAILED") }
            }
            return violations
        }
    }
}
