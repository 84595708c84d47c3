#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What retention needs to know about one storage snapshot of a backup area.
///
/// Storage back-ends normalise their vendor records into this value; retention never talks to storage.
public struct SnapshotRecord: Sendable, Hashable {
    /// The storage's snapshot identifier, unique within one backup area.
    public var id: String
    /// Creation time as an absolute instant; all calendar rules read it in UTC.
    public var createdAt: Date
    /// Number of clones that depend on this snapshot, or `nil` when the storage listing did not say (unknown is
    /// never read as 0). A snapshot with clones, or with an unknown count, is never dropped.
    public var cloneCount: Int?
    /// Whether the storage holds the snapshot immutable (retention lock, hold, tamper-proof expiry).
    public var isLocked: Bool
    /// Total referenced size in bytes, or `nil` when the storage does not report it.
    public var totalBytes: Int64?
    /// Bytes held only by this snapshot, or `nil` when the storage does not report it.
    public var uniqueBytes: Int64?
    /// When the storage lock ends, when it has an expiry (`snaplockdays`); `nil`: no lock, or a lock without an
    /// end (``isLocked``). A lock protects the snapshot until this instant and no longer (``lockProtection(at:)``).
    public var lockedUntil: Date?

    /// Creates a snapshot record.
    public init(
        id: String, createdAt: Date, cloneCount: Int? = 0, isLocked: Bool = false, totalBytes: Int64? = nil,
        uniqueBytes: Int64? = nil, lockedUntil: Date? = nil
    ) {
        self.lockedUntil = lockedUntil
        self.id = id
        self.createdAt = createdAt
        self.cloneCount = cloneCount
        self.isLocked = isLocked
        self.totalBytes = totalBytes
        self.uniqueBytes = uniqueBytes
    }
}

extension SnapshotRecord {
    /// The clone count when the storage reported a usable one; `nil` for unknown (and for a plug-in's negative
    /// "unknown").
    public var knownCloneCount: Int? { cloneCount.flatMap { $0 >= 0 ? $0 : nil } }

    /// The lock's protection at `now`: ``Protection/lockedUntil(_:)`` before its expiry, ``Protection/locked`` for
    /// a lock without one, `nil` when not locked or the expiry has passed.
    public func lockProtection(at now: Date) -> Protection? {
        if let lockedUntil { return lockedUntil > now ? .lockedUntil(lockedUntil) : nil }
        return isLocked ? .locked : nil
    }
}
