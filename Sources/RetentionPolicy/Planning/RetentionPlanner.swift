#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Turns a snapshot listing into a ``RetentionPlan``. Pure: no storage access, no clock, no I/O.
public enum RetentionPlanner {
    /// Plans retention for one backup area.
    ///
    /// - Parameters:
    ///   - listing: The storage's snapshots and whether the listing is complete. An incomplete listing, a
    ///     duplicate snapshot id or a non-finite creation time gives a plan that drops nothing and says why.
    ///   - verified: The snapshots whose latest autorestore succeeded, or why that is unknown. Unknown ids are
    ///     ignored; with `snapkeepverified` on, unreadable results give a plan that drops nothing.
    ///   - scheme: The retention scheme.
    ///   - safety: Rules that override the scheme.
    ///   - now: The planning time, the host's wall clock; ages are `now − createdAt`. A snapshot dated more than
    ///     `snapclockskewallowance` after it gives a plan that drops nothing (``RetentionPlan/clockSkew``).
    ///   - takenByThisRun: The snapshot the calling run has just taken; it is never dropped.
    /// - Returns: One decision per snapshot, oldest first (ties keep the listing order).
    public static func plan(
        listing: SnapshotListing, verified: VerifiedSnapshots, scheme: RetentionScheme, safety: SafetyRules,
        now: Date, takenByThisRun: String? = nil
    ) -> RetentionPlan {
        let snapshots = listing.snapshots
        let (order, times) = chronologicalOrder(of: snapshots)
        let nowSeconds = now.timeIntervalSince1970

        let verdicts: [PolicyVerdict]
        switch scheme {
        case .reference(let windows):
            verdicts = ReferenceSchemeEvaluator.verdicts(sortedCreationTimes: times, windows: windows, now: nowSeconds)
        case .gfs(let rules):
            verdicts = GFSSchemeEvaluator.verdicts(sortedCreationTimes: times, rules: rules)
        }

        let listingProblem = problem(with: listing)
        let clockSkew = safety.clockSkew(in: snapshots, now: now)
        var verificationProblem: String?
        var newestVerifiedPosition: Int?
        if safety.keepNewestVerified {
            switch verified {
            case .known(let ids):
                newestVerifiedPosition =
                    ids.isEmpty ? nil : order.indices.last(where: { ids.contains(snapshots[order[$0]].id) })
            case .unreadable(let reason):
                verificationProblem = reason
            }
        }

        var decisions: [RetentionDecision] = []
        decisions.reserveCapacity(snapshots.count)
        for (position, index) in order.enumerated() {
            let snapshot = snapshots[index]
            var protections: [Protection] = []
            if verdicts[position].wantsDrop {
                if let listingProblem { protections.append(.listingIncomplete(reason: listingProblem)) }
                if let clockSkew { protections.append(.clockSkew(snapshotID: clockSkew.snapshotID)) }
                if let verificationProblem {
                    protections.append(.verifiedSnapshotsUnknown(reason: verificationProblem))
                }
                if let clones = snapshot.knownCloneCount {
                    if clones > 0 { protections.append(.hasClones(count: clones)) }
                } else {
                    protections.append(.cloneCountUnknown)
                }
                if snapshot.isLocked { protections.append(.locked) }
                if safety.complianceDays > 0, !(nowSeconds - times[position] >= safety.complianceWindowSeconds) {
                    protections.append(.insideComplianceWindow(days: safety.complianceDays))
                }
                let rank = order.count - position
                if rank <= safety.minimumCount {
                    protections.append(.amongNewest(rank: rank, minimumCount: safety.minimumCount))
                }
                if position == newestVerifiedPosition { protections.append(.newestVerified) }
                if snapshot.id == takenByThisRun { protections.append(.takenByThisRun) }
            }
            decisions.append(
                RetentionDecision(snapshot: snapshot, verdict: verdicts[position], protections: protections))
        }
        return RetentionPlan(
            decisions: decisions, scheme: scheme, safety: safety, plannedAt: now, listingProblem: listingProblem,
            clockSkew: clockSkew, verificationProblem: verificationProblem)
    }

    /// Plans with known verified snapshot ids (see ``plan(listing:verified:scheme:safety:now:takenByThisRun:)``).
    public static func plan(
        listing: SnapshotListing, verifiedSnapshotIDs: Set<String>, scheme: RetentionScheme, safety: SafetyRules,
        now: Date
    ) -> RetentionPlan {
        plan(listing: listing, verified: .known(verifiedSnapshotIDs), scheme: scheme, safety: safety, now: now)
    }

    /// Plans with the scheme and safety rules of a parsed configuration.
    public static func plan(
        listing: SnapshotListing, verified: VerifiedSnapshots, configuration: RetentionConfiguration, now: Date,
        takenByThisRun: String? = nil
    ) -> RetentionPlan {
        plan(
            listing: listing, verified: verified, scheme: configuration.scheme, safety: configuration.safety, now: now,
            takenByThisRun: takenByThisRun)
    }

    /// Plans with the scheme and safety rules of a parsed configuration and known verified snapshot ids.
    public static func plan(
        listing: SnapshotListing, verifiedSnapshotIDs: Set<String>, configuration: RetentionConfiguration, now: Date
    ) -> RetentionPlan {
        plan(listing: listing, verified: .known(verifiedSnapshotIDs), configuration: configuration, now: now)
    }

    /// Indices of `snapshots` ordered by creation time, ties in listing order, with their creation times in
    /// seconds. Skips the sort when the storage already listed them in order.
    static func chronologicalOrder(of snapshots: [SnapshotRecord]) -> (order: [Int], times: [Double]) {
        // NaN sorts first so the ordering stays strict; such a listing is refused for dropping anyway.
        let times = snapshots.map {
            $0.createdAt.timeIntervalSince1970.isNaN ? -.infinity : $0.createdAt.timeIntervalSince1970
        }
        if zip(times, times.dropFirst()).allSatisfy({ $0 <= $1 }) { return (Array(times.indices), times) }
        var keyed = times.enumerated().map { (time: $0.element, index: $0.offset) }
        keyed.sort { $0.time < $1.time || ($0.time == $1.time && $0.index < $1.index) }
        return (keyed.map(\.index), keyed.map(\.time))
    }

    /// Why the listing cannot be trusted for dropping, or `nil`.
    static func problem(with listing: SnapshotListing) -> String? {
        if case .incomplete(let reason) = listing.completeness { return reason }
        if let broken = listing.snapshots.first(where: { !$0.createdAt.timeIntervalSince1970.isFinite }) {
            return "snapshot '\(broken.id)' has no valid creation time"
        }
        var seen = Set<String>(minimumCapacity: listing.snapshots.count)
        for snapshot in listing.snapshots where !seen.insert(snapshot.id).inserted {
            return "snapshot id '\(snapshot.id)' is listed more than once"
        }
        return nil
    }
}
