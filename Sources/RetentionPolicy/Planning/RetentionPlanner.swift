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
    ///   - offsiteCopyBase: What the off-site copy holds: the newest snapshot it shares with this listing is never
    ///     dropped; when the replica could not be listed, nothing is (``RetentionPlan/offsiteCopyProblem``).
    /// - Returns: One decision per snapshot, oldest first (ties keep the listing order).
    public static func plan(
        listing: SnapshotListing, verified: VerifiedSnapshots, scheme: RetentionScheme, safety: SafetyRules,
        now: Date, takenByThisRun: String? = nil, offsiteCopyBase: OffsiteCopyBase = .none
    ) -> RetentionPlan {
        let snapshots = listing.snapshots
        let listingTimes = snapshots.map(\.createdAt.timeIntervalSince1970)
        let (order, times, listedInOrder) = chronologicalOrder(listingTimes: listingTimes)
        let nowSeconds = now.timeIntervalSince1970

        let verdicts: [PolicyVerdict]
        switch scheme {
        case .reference(let windows):
            verdicts = ReferenceSchemeEvaluator.verdicts(sortedCreationTimes: times, windows: windows, now: nowSeconds)
        case .gfs(let rules):
            verdicts = GFSSchemeEvaluator.verdicts(sortedCreationTimes: times, rules: rules)
        }

        let ids = SnapshotIDTable.build(snapshots)
        let listingProblem = problem(with: listing, listingTimes: listingTimes, firstRepeat: ids.map { $0.firstRepeat })
        let table = ids?.table
        let clockSkew = safety.clockSkew(in: snapshots, listingTimes: listingTimes, now: now)
        var verificationProblem: String?
        var newestVerifiedIndex: Int?
        if safety.keepNewestVerified {
            switch verified {
            case .known(let verifiedIDs):
                newestVerifiedIndex = newestVerified(
                    verifiedIDs, snapshots: snapshots, order: order, times: listingTimes, table: table)
            case .unreadable(let reason):
                verificationProblem = reason
            }
        }
        // The run's own snapshot: one listing index when the table knows, else every id is compared.
        var takenIndex: Int?
        var takenIDToCompare: String?
        if let takenByThisRun {
            switch table?.lookUp(takenByThisRun, in: snapshots) {
            case .listed(let index): takenIndex = index
            case .notListed: break
            case .unknown, nil: takenIDToCompare = takenByThisRun
            }
        }

        // The off-site copy's base: the newest listed snapshot the replica holds.
        var offsiteBaseIndex: Int?
        var offsiteCopyProblem: String?
        switch offsiteCopyBase {
        case .none: break
        case .replicaHolds(let replicaIDs):
            offsiteBaseIndex = order.last { replicaIDs.contains(snapshots[$0].id) }
        case .unknown(let reason): offsiteCopyProblem = reason
        }

        let decisions = [RetentionDecision](unsafeUninitializedCapacity: order.count) { buffer, initialized in
            for position in order.indices {
                if !listedInOrder, position % 128 == 0 {
                    warm(snapshots, order: order, positions: position..<min(position + 128, order.count))
                }
                let snapshot = snapshots[order[position]]
                let verdict = verdicts[position]
                var protections: [Protection] = []
                if verdict.wantsDrop {
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
                    if let lock = snapshot.lockProtection(at: now) { protections.append(lock) }
                    if safety.complianceDays > 0, !(nowSeconds - times[position] >= safety.complianceWindowSeconds) {
                        protections.append(.insideComplianceWindow(days: safety.complianceDays))
                    }
                    let rank = order.count - position
                    if rank <= safety.minimumCount {
                        protections.append(.amongNewest(rank: rank, minimumCount: safety.minimumCount))
                    }
                    if order[position] == newestVerifiedIndex { protections.append(.newestVerified) }
                    if order[position] == takenIndex || (takenIDToCompare != nil && snapshot.id == takenIDToCompare) {
                        protections.append(.takenByThisRun)
                    }
                    if order[position] == offsiteBaseIndex { protections.append(.offsiteCopyBase) }
                    if let offsiteCopyProblem {
                        protections.append(.offsiteCopyBaseUnknown(reason: offsiteCopyProblem))
                    }
                }
                (buffer.baseAddress! + position).initialize(
                    to: RetentionDecision(snapshot: snapshot, verdict: verdict, protections: protections))
                initialized = position + 1
            }
        }
        return RetentionPlan(
            decisions: decisions, scheme: scheme, safety: safety, plannedAt: now, listingProblem: listingProblem,
            clockSkew: clockSkew, verificationProblem: verificationProblem, offsiteCopyProblem: offsiteCopyProblem)
    }

    /// Plans with known verified snapshot ids (see ``plan(listing:verified:scheme:safety:now:takenByThisRun:offsiteCopyBase:)``).
    public static func plan(
        listing: SnapshotListing, verifiedSnapshotIDs: Set<String>, scheme: RetentionScheme, safety: SafetyRules,
        now: Date
    ) -> RetentionPlan {
        plan(listing: listing, verified: .known(verifiedSnapshotIDs), scheme: scheme, safety: safety, now: now)
    }

    /// Plans with the scheme and safety rules of a parsed configuration.
    public static func plan(
        listing: SnapshotListing, verified: VerifiedSnapshots, configuration: RetentionConfiguration, now: Date,
        takenByThisRun: String? = nil, offsiteCopyBase: OffsiteCopyBase = .none
    ) -> RetentionPlan {
        plan(
            listing: listing, verified: verified, scheme: configuration.scheme, safety: configuration.safety, now: now,
            takenByThisRun: takenByThisRun, offsiteCopyBase: offsiteCopyBase)
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
        let (order, times, _) = chronologicalOrder(listingTimes: snapshots.map(\.createdAt.timeIntervalSince1970))
        return (order, times)
    }

    /// ``chronologicalOrder(of:)`` from the creation times in listing order; `listedInOrder` when `order` is the
    /// identity.
    static func chronologicalOrder(listingTimes: [Double]) -> (order: [Int], times: [Double], listedInOrder: Bool) {
        // NaN sorts first so the ordering stays strict; such a listing is refused for dropping anyway.
        let times =
            listingTimes.contains(where: \.isNaN) ? listingTimes.map { $0.isNaN ? -.infinity : $0 } : listingTimes
        if zip(times, times.dropFirst()).allSatisfy({ $0 <= $1 }) { return (Array(times.indices), times, true) }
        let order = ChronologicalSort.order(of: times)
        return (order, order.map { times[$0] }, false)
    }

    /// Reads the first and last byte of the records at `positions` of `order` so that the loop that copies them
    /// into decisions finds them in cache: this tight loop of independent loads overlaps its cache misses, the
    /// decision loop waited for each in turn.
    static func warm(_ snapshots: [SnapshotRecord], order: [Int], positions: Range<Int>) {
        let lastByte = MemoryLayout<SnapshotRecord>.size - 1
        var folded: UInt8 = 0
        snapshots.withUnsafeBufferPointer { records in
            let base = UnsafeRawPointer(records.baseAddress!)
            for position in positions {
                let record = base + order[position] * MemoryLayout<SnapshotRecord>.stride
                folded |= record.load(as: UInt8.self) | record.load(fromByteOffset: lastByte, as: UInt8.self)
            }
        }
        keep(folded)
    }

    /// Consumes a value the optimizer must not drop.
    @inline(never) @_optimize(none)
    private static func keep(_ value: UInt8) {}

    /// The listing index of the newest snapshot (last in chronological order) whose id is verified, or `nil`.
    static func newestVerified(
        _ ids: Set<String>, snapshots: [SnapshotRecord], order: [Int], times: [Double], table: SnapshotIDTable?
    ) -> Int? {
        guard !ids.isEmpty else { return nil }
        // The newest snapshots are the likeliest to be verified: look there first, for as many snapshots as there
        // are verified ids, so this never costs much more than looking every id up.
        let newestFirst = order.indices.reversed()
        for position in newestFirst.prefix(ids.count) where ids.contains(snapshots[order[position]].id) {
            return order[position]
        }
        if let table {
            var newest: Int?
            var lookedUpAll = true
            for id in ids {
                switch table.lookUp(id, in: snapshots) {
                case .listed(let index):
                    // Later in chronological order: a later time, or the same time and a later listing index.
                    let time = times[index].isNaN ? -.infinity : times[index]
                    if let best = newest {
                        let bestTime = times[best].isNaN ? -.infinity : times[best]
                        if time > bestTime || (time == bestTime && index > best) { newest = index }
                    } else {
                        newest = index
                    }
                case .notListed: break
                case .unknown: lookedUpAll = false
                }
                if !lookedUpAll { break }
            }
            if lookedUpAll { return newest }
        }
        return newestFirst.dropFirst(ids.count).first { ids.contains(snapshots[order[$0]].id) }.map { order[$0] }
    }

    /// Why the listing cannot be trusted for dropping, or `nil`. `firstRepeat` is the ``SnapshotIDTable``'s answer
    /// (`nil` when it could not build one, so the ids are checked here).
    static func problem(with listing: SnapshotListing, listingTimes: [Double], firstRepeat: Int??) -> String? {
        if case .incomplete(let reason) = listing.completeness { return reason }
        if let broken = listingTimes.firstIndex(where: { !$0.isFinite }) {
            return "snapshot '\(listing.snapshots[broken].id)' has no valid creation time"
        }
        if let firstRepeat {
            return firstRepeat.map { "snapshot id '\(listing.snapshots[$0].id)' is listed more than once" }
        }
        var seen = Set<String>(minimumCapacity: listing.snapshots.count)
        for snapshot in listing.snapshots where !seen.insert(snapshot.id).inserted {
            return "snapshot id '\(snapshot.id)' is listed more than once"
        }
        return nil
    }
}
