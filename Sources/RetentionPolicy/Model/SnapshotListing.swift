/// The snapshots of one backup area as returned by the storage, plus whether the listing is trustworthy.
///
/// Retention only drops snapshots after a complete, successful listing: a partial page, a timeout or a
/// per-snapshot metadata error could hide the very snapshots that make older ones redundant.
public struct SnapshotListing: Sendable, Hashable {
    /// Whether the storage returned every snapshot.
    public enum Completeness: Sendable, Hashable {
        /// Every page was read and every snapshot's metadata was normalised.
        case complete
        /// Something went wrong; `reason` says what. A plan built from this listing drops nothing.
        case incomplete(reason: String)
    }

    /// The snapshots, in any order.
    public var snapshots: [SnapshotRecord]
    /// Whether `snapshots` is the whole history.
    public var completeness: Completeness

    /// Creates a listing.
    public init(snapshots: [SnapshotRecord], completeness: Completeness) {
        self.snapshots = snapshots
        self.completeness = completeness
    }

    /// A listing that the storage returned in full.
    public static func complete(_ snapshots: [SnapshotRecord]) -> SnapshotListing {
        SnapshotListing(snapshots: snapshots, completeness: .complete)
    }

    /// A listing that failed part-way; `snapshots` holds what was read.
    public static func incomplete(_ snapshots: [SnapshotRecord], reason: String) -> SnapshotListing {
        SnapshotListing(snapshots: snapshots, completeness: .incomplete(reason: reason))
    }
}
