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
        "refusing to drop snapshot '\(snapshotID)': " + protections.map(\.text).joined(separator: "; ")
    }
}

extension SafetyRules {
    /// Checks a manual drop: a locked snapshot, one inside the compliance window and one with clones are
    /// refused; the operator may drop any other snapshot, including the newest.
    ///
    /// - Returns: The refusal, or `nil` when the snapshot may be dropped.
    public func manualDropRefusal(for snapshot: SnapshotRecord, now: Date) -> ManualDropRefusal? {
        var protections: [Protection] = []
        if snapshot.cloneCount != 0 { protections.append(.hasClones(count: snapshot.cloneCount)) }
        if snapshot.isLocked { protections.append(.locked) }
        let createdAt = snapshot.createdAt.timeIntervalSince1970
        if complianceDays > 0, !(now.timeIntervalSince1970 - createdAt >= complianceWindowSeconds) {
            protections.append(.insideComplianceWindow(days: complianceDays))
        }
        return protections.isEmpty ? nil : ManualDropRefusal(snapshotID: snapshot.id, protections: protections)
    }
}
