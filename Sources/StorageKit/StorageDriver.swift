import Foundation

/// The back-end contract every storage vendor implements (the rewrite of the reference's `SnapHandler`).
///
/// A driver instance is bound to **one** database's backup volume (`volumeName`, the configuration section
/// name). Callers hold it as `any StorageDriver`; executables choose the implementation once, through a
/// ``StorageDriverRegistry``. Operations that a back-end lacks have defaults that throw ``StorageError/Code/unsupported``;
/// `capabilities` tells callers in advance.
///
/// Destructive operations must check ownership: `deleteSnapshot` only deletes snapshots of this volume, and
/// `dropClone` only drops objects that are clones whose origin is a snapshot of this volume (`.notOwned`,
/// `.notAClone` otherwise). A snapshot that still has clones is never deleted (`.hasClones`).
public protocol StorageDriver: Sendable {
    /// Driver name used in errors and logs, e.g. `btrfs`.
    var vendor: String { get }
    /// The database's volume this instance is bound to.
    var volumeName: String { get }
    /// Optional operations this driver supports.
    var capabilities: StorageCapabilities { get }

    /// The name `createSnapshot` should be given for a snapshot taken at `date`; the default is
    /// `<volume>-<YYYYmmddTHHMMSS>` in `timeZone` (the reference's local-time convention).
    func snapshotName(for date: Date, timeZone: TimeZone) -> String

    /// Snapshots of this volume, in storage order.
    func listSnapshots() async throws(StorageError) -> [Snapshot]
    /// Creates a snapshot of the live volume and returns it (its `id` may differ from `name` on server-named back-ends).
    func createSnapshot(named name: String) async throws(StorageError) -> Snapshot
    /// Deletes a snapshot of this volume. Throws `.notFound`, `.hasClones`, `.locked` or `.notOwned`.
    func deleteSnapshot(id: String) async throws(StorageError)
    /// Deletes a snapshot exactly as this driver's `listSnapshots` returned it (retention): the listing's clone
    /// count, lock and location stand for a fresh look-up, so appliances get one DELETE per volume and nothing else.
    /// Throws `.hasClones` for clones or an unknown clone count, `.locked`, `.notOwned` for a snapshot listed for
    /// another volume, and `.hasClones` when the storage refuses because a clone appeared since the listing.
    /// The default (for snapshots without a location, and local back-ends) is `deleteSnapshot(id:)`.
    func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError)

    /// Creates a writable clone of one of this volume's snapshots, ready to be mounted.
    func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone
    /// Clones whose origin is a snapshot of this volume.
    func listClones() async throws(StorageError) -> [Clone]
    /// One clone of this volume (the reference's `filesystem_info`). Throws `.notFound`, `.notAClone`, `.notOwned`.
    func cloneInfo(name: String) async throws(StorageError) -> Clone
    /// Drops a clone after checking it is a clone of one of this volume's snapshots.
    func dropClone(name: String) async throws(StorageError)
    /// What a mount command needs: `host:/export/path` for NFS back-ends, a directory for local ones.
    func mountString(clone: Clone) -> String

    /// Creates this database's backup volume.
    func createVolume() async throws(StorageError) -> Volume
    /// The live volume.
    func volumeInfo() async throws(StorageError) -> Volume

    /// Protects a snapshot from deletion (hold, lock, retention).
    func lockSnapshot(id: String) async throws(StorageError)
    /// Releases a protection set by `lockSnapshot`; for a lock with an expiry, only once the expiry has passed
    /// (`.locked` before).
    func unlockSnapshot(id: String) async throws(StorageError)

    /// Creates a snapshot of the live volume locked until `lockedUntil` (``StorageCapabilities/lock``), in one
    /// request where the storage allows it; `nil` creates an unlocked snapshot (``createSnapshot(named:)``).
    func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot
    /// Locks an existing snapshot of this volume until `until` (``StorageCapabilities/lock``): it cannot be deleted
    /// before, by this tool or (where the vendor enforces it) anyone else.
    func lockSnapshot(id: String, until: Date) async throws(StorageError)

    /// Ends what the driver holds open on the storage (an appliance session, a connection) when the run that built
    /// it is over. Called once, at the end of every run, whether the run succeeded or not; the driver is not used
    /// afterwards. It never throws: a failure to close is the driver's to log (at debug or warning level) and must not
    /// change the run's outcome. The default does nothing.
    func close() async
}

extension StorageDriver {
    /// `.unsupported` error for `operation`, naming this driver.
    public func unsupported(_ operation: String) -> StorageError {
        StorageError(
            .unsupported, vendor: vendor, operation: operation, message: "\(vendor) does not support \(operation)")
    }

    /// Default: `<volume>-<YYYYmmddTHHMMSS>` in `timeZone`
    /// (``SnapshotNaming/snapshotName(volume:date:timeZone:separator:)``).
    public func snapshotName(for date: Date, timeZone: TimeZone) -> String {
        SnapshotNaming.snapshotName(volume: volumeName, date: date, timeZone: timeZone)
    }

    /// Default: nothing to close (local back-ends, and drivers that keep no session).
    public func close() async {}

    /// Default: ``deleteSnapshot(id:)``, which looks the snapshot up again.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        try await deleteSnapshot(id: snapshot.id)
    }

    /// Why the listing alone forbids deleting `snapshot` from the volume this driver lists as `listedBy`, or `nil`:
    /// a snapshot listed elsewhere (`.notOwned`), with clones or an unknown clone count (`.hasClones`), locked
    /// (`.locked`). For ``deleteListedSnapshot(_:)`` implementations.
    public func listedDeletionRefusal(_ snapshot: Snapshot, listedBy: String) -> StorageError? {
        let operation = "deleteSnapshot"
        if let location = snapshot.location, location.listedBy != listedBy {
            return StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id) was listed by \(location.listedBy), not by \(listedBy); refusing")
        }
        guard let clones = snapshot.cloneCount, clones >= 0 else {
            return StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id): clone count unknown (the listing does not report it); not deleted")
        }
        if clones > 0 {
            return StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id) has \(clones) clone(s); drop them first")
        }
        if snapshot.isLocked || snapshot.lockedUntil.map({ $0 > Date() }) == true {
            return StorageError(
                .locked, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id) is \(SnapshotLock.describe(snapshot)); not deleted")
        }
        return nil
    }

    /// Default: ``createSnapshot(named:)``, then ``lockSnapshot(id:until:)`` when `lockedUntil` is set (an error of
    /// the lock names the snapshot, which then exists unlocked).
    public func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        guard let lockedUntil else { return try await createSnapshot(named: name) }
        guard capabilities.contains(.lock) else { throw unsupported("createSnapshot locked until an expiry") }
        var snapshot = try await createSnapshot(named: name)
        do {
            try await lockSnapshot(id: snapshot.id, until: lockedUntil)
        } catch {
            throw StorageError(
                error.code, vendor: vendor, operation: "createSnapshot", status: error.status,
                message: "snapshot \(snapshot.id) was created but not locked: \(error.message)")
        }
        snapshot.isLocked = true
        snapshot.lockedUntil = lockedUntil
        return snapshot
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/lock``).
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        throw unsupported("lockSnapshot")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/clone``).
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        throw unsupported("cloneSnapshot")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/listClones``).
    public func listClones() async throws(StorageError) -> [Clone] {
        throw unsupported("listClones")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/clone``).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        throw unsupported("cloneInfo")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/clone``).
    public func dropClone(name: String) async throws(StorageError) {
        throw unsupported("dropClone")
    }

    /// Default: the clone's mount point, else its name.
    public func mountString(clone: Clone) -> String {
        clone.mountPoint ?? clone.name
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/createVolume``).
    public func createVolume() async throws(StorageError) -> Volume {
        throw unsupported("createVolume")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/lock``, and locks that need an expiry).
    public func lockSnapshot(id: String) async throws(StorageError) {
        throw unsupported("lockSnapshot")
    }

    /// Default: throws `.unsupported` (drivers without ``StorageCapabilities/lock``).
    public func unlockSnapshot(id: String) async throws(StorageError) {
        throw unsupported("unlockSnapshot")
    }

    /// Snapshots ordered by creation (the reference's `listsnapshots(sortbycreation=True, …)`).
    public func listSnapshots(sortedByCreation: Bool, newestFirst: Bool = false) async throws(StorageError)
        -> [Snapshot]
    {
        let snapshots = try await listSnapshots()
        return sortedByCreation ? snapshots.sortedByCreation(newestFirst: newestFirst) : snapshots
    }
}

/// How locks read in messages and listings.
public enum SnapshotLock {
    /// `locked until 2025-01-31 12:00:00 UTC`, `locked (no expiry)`, `not locked`; a passed expiry of a lock the
    /// storage still holds reads `locked until … (expired)`.
    public static func describe(_ snapshot: Snapshot, now: Date = Date()) -> String {
        if let until = snapshot.lockedUntil {
            let text = "locked until \(DisplayFormat.utcTimestamp(until)) UTC"
            return until > now ? text : (snapshot.isLocked ? text + " (expired)" : "not locked")
        }
        return snapshot.isLocked ? "locked (no expiry)" : "not locked"
    }

    /// The expiry of a lock of `days` days on a snapshot taken at `date`; `nil` for 0 days (no lock).
    public static func expiry(days: Int, from date: Date) -> Date? {
        days > 0 ? date.addingTimeInterval(TimeInterval(days) * 86_400) : nil
    }
}

/// Runs `body`, then ``StorageDriver/close()`` on `driver` (when there is one), whether `body` returned or threw; the
/// close cannot change what `body` returned or threw. For the runs that build a driver (tools and engines).
public func closingStorage<T, E: Error>(
    _ driver: (any StorageDriver)?, isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws(E) -> T
) async throws(E) -> T {
    let result: Result<T, E>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    await driver?.close()
    return try result.get()
}
