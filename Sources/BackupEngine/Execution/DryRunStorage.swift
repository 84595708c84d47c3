import Foundation
import StorageKit

/// Wraps a driver for `--dry-run`: listings are real (they change nothing), every change is printed instead.
public struct DryRunStorage: StorageDriver {
    /// The real driver, used for listings and names.
    public let base: any StorageDriver
    /// Receives one `--- storage (<vendor>) ---` block per change that would be made.
    public let print: @Sendable (String) -> Void

    /// Wraps `base`; changes go to `print` instead.
    public init(base: any StorageDriver, print: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.print = print
    }

    /// The real driver's vendor name.
    public var vendor: String { base.vendor }
    /// The database's volume the real driver is bound to.
    public var volumeName: String { base.volumeName }
    /// The real driver's capabilities.
    public var capabilities: StorageCapabilities { base.capabilities }

    /// The name the real driver would give a snapshot taken at `date`.
    public func snapshotName(for date: Date, timeZone: TimeZone) -> String {
        base.snapshotName(for: date, timeZone: timeZone)
    }

    /// The real snapshots (listing changes nothing).
    public func listSnapshots() async throws(StorageError) -> [Snapshot] { try await base.listSnapshots() }

    /// Prints the snapshot it would create and returns one named `name`, created now; nothing is created.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        print("--- storage (\(vendor)) ---\ncreate snapshot \(name) of \(volumeName)")
        return Snapshot(id: name, creation: Date())
    }

    /// Prints the deletion; nothing is deleted.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\ndelete snapshot \(id) of \(volumeName)")
    }

    /// Prints the clone it would make and returns it, without a mount point; nothing is cloned.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        print("--- storage (\(vendor)) ---\nclone snapshot \(id) of \(volumeName) as \(cloneName)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: nil)
    }

    /// The real clones.
    public func listClones() async throws(StorageError) -> [Clone] { try await base.listClones() }
    /// The real clone `name`; throws what the real driver throws.
    public func cloneInfo(name: String) async throws(StorageError) -> Clone { try await base.cloneInfo(name: name) }

    /// Prints the drop; nothing is dropped.
    public func dropClone(name: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\ndrop clone \(name)")
    }

    /// The real driver's mount source for `clone` (`host:/export/path` for NFS, a directory for local back-ends).
    public func mountString(clone: Clone) -> String { base.mountString(clone: clone) }
    /// Closes the real driver (its listings were real).
    public func close() async { await base.close() }

    /// Prints the volume it would create and returns it, without a mount point; nothing is created.
    public func createVolume() async throws(StorageError) -> Volume {
        print("--- storage (\(vendor)) ---\ncreate volume \(volumeName)")
        return Volume(name: volumeName, mountPoint: nil)
    }

    /// The real volume.
    public func volumeInfo() async throws(StorageError) -> Volume { try await base.volumeInfo() }

    /// Prints the lock; nothing is locked.
    public func lockSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\nlock snapshot \(id)")
    }

    /// Prints the locked snapshot it would create and returns it; nothing is created.
    public func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        guard let lockedUntil else { return try await createSnapshot(named: name) }
        print(
            "--- storage (\(vendor)) ---\ncreate snapshot \(name) of \(volumeName) locked until \(DisplayFormat.utcTimestamp(lockedUntil)) UTC"
        )
        return Snapshot(id: name, creation: Date(), isLocked: true, lockedUntil: lockedUntil)
    }

    /// Prints the lock; nothing is locked.
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\nlock snapshot \(id) until \(DisplayFormat.utcTimestamp(until)) UTC")
    }

    /// Prints the unlock; nothing is unlocked.
    public func unlockSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\nunlock snapshot \(id)")
    }
}
