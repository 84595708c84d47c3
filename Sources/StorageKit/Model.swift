import Foundation

/// A point-in-time, read-only copy of a database's backup volume.
public struct Snapshot: Sendable, Hashable, Identifiable {
    /// The storage identifier (usually the name, e.g. `orcl-20161017T093914`).
    public var id: String
    /// Creation instant (always an absolute instant; formatted as UTC).
    public var creation: Date
    /// Bytes referenced by the snapshot; `nil` when the back-end cannot tell.
    public var spaceTotal: Int64?
    /// Bytes only this snapshot holds (freed by deleting it); `nil` when unknown.
    public var spaceUnique: Int64?
    /// Number of clones made from this snapshot that still exist; `nil` when the back-end's listing does not say
    /// (unknown, never to be read as 0).
    public var cloneCount: Int?
    /// Whether the storage protects the snapshot from deletion (ZFSSA `retentionpolicy`, a hold or lock).
    public var isLocked: Bool
    /// When the lock ends, when it has an expiry (an ONTAP snapshot's `snaplock.expiry_time`/`expiry_time`, the
    /// expiry this tool recorded beside a ZFSSA retention); `nil` for no lock or a lock without an end. A lock
    /// whose expiry has passed protects nothing any more (``isProtected(at:)``), even while the storage still
    /// reports it (a ZFSSA retention stays until it is released).
    public var lockedUntil: Date?
    /// Where the driver's listing found the snapshot, so that ``StorageDriver/deleteListedSnapshot(_:)`` needs no
    /// second look-up; `nil` for snapshots that did not come from a listing.
    public var location: SnapshotLocation?

    /// A snapshot as a driver reports it; `cloneCount` defaults to 0 (pass `nil` when the listing cannot tell).
    public init(
        id: String, creation: Date, spaceTotal: Int64? = nil, spaceUnique: Int64? = nil, cloneCount: Int? = 0,
        isLocked: Bool = false, location: SnapshotLocation? = nil, lockedUntil: Date? = nil
    ) {
        self.id = id
        self.creation = creation
        self.spaceTotal = spaceTotal
        self.spaceUnique = spaceUnique
        self.cloneCount = cloneCount
        self.isLocked = isLocked
        self.location = location
        self.lockedUntil = lockedUntil
    }

    /// Whether the lock still protects the snapshot at `now`: locked without an expiry, or with an expiry after
    /// `now`.
    public func isProtected(at now: Date) -> Bool {
        if let lockedUntil { return lockedUntil > now }
        return isLocked
    }
}

/// Where a driver's listing found a snapshot: the volume it listed (checked before a delete, so a snapshot listed
/// for another database is refused) and the storage-side identifiers of each copy (one per volume on multi-volume
/// back-ends), which let the driver address the snapshot directly.
public struct SnapshotLocation: Sendable, Hashable {
    /// One copy of the snapshot on one volume.
    public struct Copy: Sendable, Hashable {
        /// The volume (share, FlexVol) holding this copy.
        public var volume: String
        /// The storage's identifier of that volume (e.g. an ONTAP volume UUID), when it has one.
        public var volumeID: String?
        /// The storage's identifier of the snapshot on that volume (e.g. an ONTAP snapshot UUID), when it has one.
        public var snapshotID: String?

        /// A copy on `volume`, with the storage's identifiers when it has them.
        public init(volume: String, volumeID: String? = nil, snapshotID: String? = nil) {
            self.volume = volume
            self.volumeID = volumeID
            self.snapshotID = snapshotID
        }
    }

    /// The driver instance that listed the snapshot, e.g. `zfssa:pool1/backup/orcl`.
    public var listedBy: String
    /// The copies, main volume first.
    public var copies: [Copy]

    /// Where the listing of `listedBy` found the snapshot.
    public init(listedBy: String, copies: [Copy]) {
        self.listedBy = listedBy
        self.copies = copies
    }
}

/// A writable copy of a snapshot, exported or reachable at `mountPoint`.
public struct Clone: Sendable, Hashable, Identifiable {
    /// The clone's name (the storage filesystem/volume name).
    public var name: String
    /// The volume (database) the origin snapshot belongs to.
    public var originVolume: String
    /// The snapshot the clone was made from.
    public var originSnapshot: String
    /// Storage-side path (export path, junction path or local directory); `nil` if unknown or not exported.
    public var mountPoint: String?

    /// The clone's name.
    public var id: String { name }

    /// A clone of `originVolume`'s snapshot `originSnapshot`.
    public init(name: String, originVolume: String, originSnapshot: String, mountPoint: String?) {
        self.name = name
        self.originVolume = originVolume
        self.originSnapshot = originSnapshot
        self.mountPoint = mountPoint
    }
}

/// A database's backup volume (share, filesystem, subvolume or directory).
public struct Volume: Sendable, Hashable {
    /// The volume's name (the database's configuration section name).
    public var name: String
    /// Storage-side path (export path or local directory), when known.
    public var mountPoint: String?
    /// Bytes used by the live volume, when known.
    public var spaceUsed: Int64?

    /// A volume; sizes and paths the back-end cannot tell stay `nil`.
    public init(name: String, mountPoint: String?, spaceUsed: Int64? = nil) {
        self.name = name
        self.mountPoint = mountPoint
        self.spaceUsed = spaceUsed
    }
}

/// What a driver can do beyond listing, creating and deleting snapshots.
public struct StorageCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `cloneSnapshot`, `dropClone` and `cloneInfo`.
    public static let clone = StorageCapabilities(rawValue: 1 << 0)
    /// `listClones`.
    public static let listClones = StorageCapabilities(rawValue: 1 << 1)
    /// Snapshots carry space figures (at least `spaceTotal`).
    public static let spaceUsage = StorageCapabilities(rawValue: 1 << 2)
    /// `createVolume`.
    public static let createVolume = StorageCapabilities(rawValue: 1 << 3)
    /// Snapshots can be locked until an expiry: ``StorageDriver/createSnapshot(named:lockedUntil:)`` and
    /// ``StorageDriver/lockSnapshot(id:until:)``; deleting one fails with `.locked` until the expiry, and
    /// ``StorageDriver/unlockSnapshot(id:)`` releases what the storage still holds once it has passed.
    public static let lock = StorageCapabilities(rawValue: 1 << 4)
    /// The back-end chooses snapshot names itself; `createSnapshot(named:)` treats the name as a hint.
    public static let serverNamedSnapshots = StorageCapabilities(rawValue: 1 << 5)
    /// Clones are directories on this host (local copy-on-write drivers): the engines use a clone where it is,
    /// without a mount command.
    public static let localClones = StorageCapabilities(rawValue: 1 << 6)
    /// Snapshots can be copied to a second storage of the same kind (the off-site copy, `[replication]`): the driver
    /// conforms to ``SnapshotReplicating``.
    public static let replication = StorageCapabilities(rawValue: 1 << 7)

    /// Names for display and JSON.
    public var names: [String] {
        var result: [String] = []
        if contains(.clone) { result.append("clone") }
        if contains(.listClones) { result.append("listClones") }
        if contains(.spaceUsage) { result.append("spaceUsage") }
        if contains(.createVolume) { result.append("createVolume") }
        if contains(.lock) { result.append("lock") }
        if contains(.serverNamedSnapshots) { result.append("serverNamedSnapshots") }
        if contains(.localClones) { result.append("localClones") }
        if contains(.replication) { result.append("replication") }
        return result
    }
}

extension Sequence where Element == Snapshot {
    /// Snapshots ordered by creation, oldest first (or newest first); ties keep their storage order.
    public func sortedByCreation(newestFirst: Bool = false) -> [Snapshot] {
        let indexed = Array(self.enumerated())
        return indexed.sorted { lhs, rhs in
            if lhs.element.creation != rhs.element.creation {
                return newestFirst
                    ? lhs.element.creation > rhs.element.creation : lhs.element.creation < rhs.element.creation
            }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
