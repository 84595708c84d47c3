#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a manual `dropsnap` of a snapshot is refused.
public struct ManualDropRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The snapshot the operator asked to drop.
    public let snapshotID: String
    /// Every rule that protects it; never empty.
    public let protections: [Protection]

    public var description: String {
        var text = "refusing to drop snapshot '\(snapshotID)': " + protections.map(\.text).joined(separator: "; ")
        if protections.contains(.newestVerified) {
            text += " (to drop it anyway, set snapkeepverified: false for this database first)"
        }
        if protections.contains(.offsiteCopyBase) {
            text +=
                " (to drop it anyway, set replicationenabled: FALSE for this database first; the next copy then"
                + " goes out in full)"
        }
        return text
    }
}

extension SafetyRules {
    /// Checks a manual drop. Refused: a snapshot with clones or an unknown clone count, a locked one (until its
    /// lock's expiry, which the refusal names), one inside
    /// the compliance window, the newest verified one (`snapkeepverified`), any snapshot while the autorestore
    /// results cannot be read (`snapkeepverified`) and any snapshot while the listing shows a snapshot dated
    /// beyond `snapclockskewallowance` (the clock the compliance window is measured with is wrong). The operator
    /// may drop any other snapshot, including the newest.
    ///
    /// - Parameters:
    ///   - snapshot: The snapshot to drop.
    ///   - listing: Every snapshot of the backup area (including `snapshot`).
    ///   - verified: The snapshots whose latest autorestore succeeded, or why that is unknown.
    ///   - now: The host's wall clock.
    ///   - offsiteCopyBase: What the off-site copy holds: its base (the newest snapshot both sites hold) is refused,
    ///     and every snapshot while the replica cannot be listed.
    /// - Returns: The refusal, or `nil` when the snapshot may be dropped.
    public func manualDropRefusal(
        for snapshot: SnapshotRecord, listing: [SnapshotRecord], verified: VerifiedSnapshots, now: Date,
        offsiteCopyBase: OffsiteCopyBase = .none
    ) -> ManualDropRefusal? {
        var protections: [Protection] = []
        if let skew = clockSkew(in: listing, now: now) { protections.append(.clockSkew(snapshotID: skew.snapshotID)) }
        if let clones = snapshot.knownCloneCount {
            if clones > 0 { protections.append(.hasClones(count: clones)) }
        } else {
            protections.append(.cloneCountUnknown)
        }
        if let lock = snapshot.lockProtection(at: now) { protections.append(lock) }
        let createdAt = snapshot.createdAt.timeIntervalSince1970
        if complianceDays > 0, !(now.timeIntervalSince1970 - createdAt >= complianceWindowSeconds) {
            protections.append(.insideComplianceWindow(days: complianceDays))
        }
        if keepNewestVerified {
            switch verified {
            case .unreadable(let reason):
                protections.append(.verifiedSnapshotsUnknown(reason: reason))
            case .known(let ids):
                let order = RetentionPlanner.chronologicalOrder(of: listing).order
                if let newest = order.last(where: { ids.contains(listing[$0].id) }), listing[newest].id == snapshot.id {
                    protections.append(.newestVerified)
                }
            }
        }
        switch offsiteCopyBase {
        case .none: break
        case .replicaHolds(let replicaIDs):
            let order = RetentionPlanner.chronologicalOrder(of: listing).order
            if let base = order.last(where: { replicaIDs.contains(listing[$0].id) }), listing[base].id == snapshot.id {
                protections.append(.offsiteCopyBase)
            }
        case .unknown(let reason): protections.append(.offsiteCopyBaseUnknown(reason: reason))
        }
        return protections.isEmpty ? nil : ManualDropRefusal(snapshotID: snapshot.id, protections: protections)
    }
}
