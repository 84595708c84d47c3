import Foundation
import StorageKit

/// A storage "appliance" held in memory: several volumes, their snapshots, clones and plain (non-clone)
/// filesystems. Share one backend between drivers to model several databases on one appliance.
public actor InMemoryStorageBackend {
    struct StoredSnapshot {
        var snapshot: Snapshot
        var locked: Bool
        /// A lock with an expiry: deletion fails until the backend's clock passes it.
        var lockedUntil: Date? = nil
    }

    struct StoredFilesystem {
        /// `nil` for plain filesystems (volumes or look-alikes).
        var origin: (volume: String, snapshot: String)?
    }

    private var volumes: [String: [StoredSnapshot]] = [:]
    private var filesystems: [String: StoredFilesystem] = [:]
    private var injectedFailures: [String: [StorageError.Code]] = [:]
    private var calls: [String] = []
    private let clock: @Sendable () -> Date

    /// - Parameter clock: the appliance's clock (creation times); defaults to the system clock.
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    // MARK: Test set-up and fault injection

    /// Adds a snapshot with a chosen creation time and sizes (retention, autoclone and checkage tests);
    /// creates the volume when missing.
    public func addSnapshot(
        volume: String, id: String, creation: Date, spaceTotal: Int64? = nil, spaceUnique: Int64? = nil
    ) {
        if volumes[volume] == nil {
            volumes[volume] = []
            filesystems[volume] = StoredFilesystem(origin: nil)
        }
        volumes[volume, default: []].append(
            StoredSnapshot(
                snapshot: Snapshot(id: id, creation: creation, spaceTotal: spaceTotal, spaceUnique: spaceUnique),
                locked: false))
    }

    /// Makes the next `times` calls of `operation` (e.g. `"deleteSnapshot"`) fail with `code`.
    public func injectFailure(_ code: StorageError.Code, on operation: String, times: Int = 1) {
        injectedFailures[operation, default: []].append(contentsOf: Array(repeating: code, count: times))
    }

    /// Every driver call so far, as `<operation> <volume> [<argument>]`, oldest first.
    public var callLog: [String] { calls }

    private func record(_ operation: String, _ volume: String, _ argument: String? = nil) throws(StorageError) {
        calls.append([operation, volume, argument].compactMap { $0 }.joined(separator: " "))
        if var pending = injectedFailures[operation], !pending.isEmpty {
            let code = pending.removeFirst()
            injectedFailures[operation] = pending
            throw error(code, operation, "injected failure")
        }
    }

    /// Creates a plain filesystem that is not a clone (a look-alike for ownership tests).
    public func createPlainFilesystem(named name: String) {
        filesystems[name] = StoredFilesystem(origin: nil)
    }

    /// True when a volume, clone or plain filesystem named `name` exists.
    public func filesystemExists(named name: String) -> Bool {
        filesystems[name] != nil
    }

    private func error(_ code: StorageError.Code, _ operation: String, _ message: String) -> StorageError {
        StorageError(code, vendor: InMemoryStorageDriver.vendorName, operation: operation, message: message)
    }

    private func snapshots(of volume: String, _ operation: String) throws(StorageError) -> [StoredSnapshot] {
        guard let stored = volumes[volume] else {
            throw error(.notFound, operation, "volume \(volume) does not exist")
        }
        return stored
    }

    private func cloneCount(volume: String, snapshot: String) -> Int {
        filesystems.values.filter { $0.origin?.volume == volume && $0.origin?.snapshot == snapshot }.count
    }

    func createVolume(_ volume: String) throws(StorageError) -> Volume {
        try record("createVolume", volume)
        guard volumes[volume] == nil, filesystems[volume] == nil else {
            throw error(.alreadyExists, "createVolume", "volume \(volume) exists already")
        }
        volumes[volume] = []
        filesystems[volume] = StoredFilesystem(origin: nil)
        return Volume(name: volume, mountPoint: "/memory/\(volume)", spaceUsed: 0)
    }

    func volumeInfo(_ volume: String) throws(StorageError) -> Volume {
        try record("volumeInfo", volume)
        _ = try snapshots(of: volume, "volumeInfo")
        return Volume(name: volume, mountPoint: "/memory/\(volume)", spaceUsed: 0)
    }

    func listSnapshots(_ volume: String) throws(StorageError) -> [Snapshot] {
        try record("listSnapshots", volume)
        return try snapshots(of: volume, "listSnapshots").map { stored in
            var snapshot = stored.snapshot
            snapshot.cloneCount = cloneCount(volume: volume, snapshot: snapshot.id)
            snapshot.isLocked = stored.locked || stored.lockedUntil.map { $0 > clock() } == true
            snapshot.lockedUntil = stored.lockedUntil
            return snapshot
        }
    }

    func createSnapshot(_ volume: String, name: String) throws(StorageError) -> Snapshot {
        try record("createSnapshot", volume, name)
        var stored = try snapshots(of: volume, "createSnapshot")
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.invalidName, "createSnapshot", "invalid snapshot name '\(name)'")
        }
        guard !stored.contains(where: { $0.snapshot.id == name }) else {
            throw error(.alreadyExists, "createSnapshot", "snapshot \(name) exists already")
        }
        let snapshot = Snapshot(
            id: name, creation: clock(), spaceTotal: 1 << 20, spaceUnique: Int64(stored.isEmpty ? 1 << 20 : 0))
        stored.append(StoredSnapshot(snapshot: snapshot, locked: false))
        volumes[volume] = stored
        return snapshot
    }

    func deleteSnapshot(_ volume: String, id: String) throws(StorageError) {
        try record("deleteSnapshot", volume, id)
        var stored = try snapshots(of: volume, "deleteSnapshot")
        guard let index = stored.firstIndex(where: { $0.snapshot.id == id }) else {
            throw error(.notFound, "deleteSnapshot", "snapshot \(id) of \(volume) does not exist")
        }
        let clones = cloneCount(volume: volume, snapshot: id)
        guard clones == 0 else {
            throw error(.hasClones, "deleteSnapshot", "snapshot \(id) has \(clones) clone(s)")
        }
        guard !stored[index].locked else {
            throw error(.locked, "deleteSnapshot", "snapshot \(id) is locked")
        }
        if let until = stored[index].lockedUntil, until > clock() {
            throw error(
                .locked, "deleteSnapshot", "snapshot \(id) is locked until \(DisplayFormat.utcTimestamp(until)) UTC")
        }
        stored.remove(at: index)
        volumes[volume] = stored
    }

    func setLocked(_ volume: String, id: String, locked: Bool, operation: String) throws(StorageError) {
        try record(operation, volume, id)
        var stored = try snapshots(of: volume, operation)
        guard let index = stored.firstIndex(where: { $0.snapshot.id == id }) else {
            throw error(.notFound, operation, "snapshot \(id) of \(volume) does not exist")
        }
        if !locked, let until = stored[index].lockedUntil, until > clock() {
            throw error(.locked, operation, "snapshot \(id) is locked until \(DisplayFormat.utcTimestamp(until)) UTC")
        }
        stored[index].locked = locked
        volumes[volume] = stored
    }

    func setLocked(_ volume: String, id: String, until: Date) throws(StorageError) {
        try record("lockSnapshot", volume, id)
        var stored = try snapshots(of: volume, "lockSnapshot")
        guard let index = stored.firstIndex(where: { $0.snapshot.id == id }) else {
            throw error(.notFound, "lockSnapshot", "snapshot \(id) of \(volume) does not exist")
        }
        stored[index].lockedUntil = max(until, stored[index].lockedUntil ?? until)
        volumes[volume] = stored
    }

    func cloneSnapshot(_ volume: String, id: String, cloneName: String) throws(StorageError) -> Clone {
        try record("cloneSnapshot", volume, "\(id) \(cloneName)")
        let stored = try snapshots(of: volume, "cloneSnapshot")
        guard stored.contains(where: { $0.snapshot.id == id }) else {
            throw error(.notFound, "cloneSnapshot", "snapshot \(id) of \(volume) does not exist")
        }
        guard SnapshotNaming.isPortableName(cloneName) else {
            throw error(.invalidName, "cloneSnapshot", "invalid clone name '\(cloneName)'")
        }
        guard filesystems[cloneName] == nil else {
            throw error(.alreadyExists, "cloneSnapshot", "filesystem \(cloneName) exists already")
        }
        filesystems[cloneName] = StoredFilesystem(origin: (volume, id))
        return Clone(name: cloneName, originVolume: volume, originSnapshot: id, mountPoint: "/memory/\(cloneName)")
    }

    func listClones(_ volume: String) throws(StorageError) -> [Clone] {
        try record("listClones", volume)
        _ = try snapshots(of: volume, "listClones")
        return filesystems.compactMap { name, filesystem in
            guard let origin = filesystem.origin, origin.volume == volume else { return nil }
            return Clone(
                name: name, originVolume: volume, originSnapshot: origin.snapshot, mountPoint: "/memory/\(name)")
        }.sorted { $0.name < $1.name }
    }

    func ownClone(_ volume: String, name: String, operation: String) throws(StorageError) -> Clone {
        guard let filesystem = filesystems[name] else {
            throw error(.notFound, operation, "filesystem \(name) does not exist")
        }
        guard let origin = filesystem.origin else {
            throw error(.notAClone, operation, "filesystem \(name) is not a clone")
        }
        guard origin.volume == volume else {
            throw error(.notOwned, operation, "\(name) is a clone of \(origin.volume), not of \(volume)")
        }
        return Clone(name: name, originVolume: volume, originSnapshot: origin.snapshot, mountPoint: "/memory/\(name)")
    }

    func cloneInfo(_ volume: String, name: String) throws(StorageError) -> Clone {
        try record("cloneInfo", volume, name)
        return try ownClone(volume, name: name, operation: "cloneInfo")
    }

    func dropClone(_ volume: String, name: String) throws(StorageError) {
        try record("dropClone", volume, name)
        _ = try ownClone(volume, name: name, operation: "dropClone")
        filesystems[name] = nil
    }
}

/// The in-memory driver: passes the conformance suite, used by tests and demos that need no real storage.
public struct InMemoryStorageDriver: StorageDriver {
    /// `memory`.
    public static let vendorName = "memory"
    /// The shared in-memory appliance.
    public let backend: InMemoryStorageBackend
    /// The volume this driver is bound to.
    public let volumeName: String
    /// ``vendorName``.
    public var vendor: String { Self.vendorName }
    /// Everything but server-named snapshots.
    public var capabilities: StorageCapabilities { [.clone, .listClones, .spaceUsage, .createVolume, .lock] }

    /// A driver for `volumeName` on `backend` (create the volume with ``createVolume()`` first).
    public init(volumeName: String, backend: InMemoryStorageBackend) {
        self.volumeName = volumeName
        self.backend = backend
    }

    /// The volume's snapshots, with clone counts and sizes.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await backend.listSnapshots(volumeName)
    }

    /// Creates a snapshot named `name`; `.alreadyExists` when taken.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await backend.createSnapshot(volumeName, name: name)
    }

    /// Deletes a snapshot of this volume; `.hasClones`, `.locked` or `.notFound` otherwise.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        try await backend.deleteSnapshot(volumeName, id: id)
    }

    /// Creates a clone of one of this volume's snapshots.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        try await backend.cloneSnapshot(volumeName, id: id, cloneName: cloneName)
    }

    /// Clones of this volume's snapshots.
    public func listClones() async throws(StorageError) -> [Clone] {
        try await backend.listClones(volumeName)
    }

    /// One clone of this volume, after the ownership checks.
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await backend.cloneInfo(volumeName, name: name)
    }

    /// Drops a clone of this volume's snapshot (`.notAClone`, `.notOwned` otherwise).
    public func dropClone(name: String) async throws(StorageError) {
        try await backend.dropClone(volumeName, name: name)
    }

    /// `memory:<mount point>`.
    public func mountString(clone: Clone) -> String {
        "memory:" + (clone.mountPoint ?? "/memory/\(clone.name)")
    }

    /// Creates the volume on the backend.
    public func createVolume() async throws(StorageError) -> Volume {
        try await backend.createVolume(volumeName)
    }

    /// The volume; `.notFound` when it was never created.
    public func volumeInfo() async throws(StorageError) -> Volume {
        try await backend.volumeInfo(volumeName)
    }

    /// Protects a snapshot: its delete then fails with `.locked`.
    public func lockSnapshot(id: String) async throws(StorageError) {
        try await backend.setLocked(volumeName, id: id, locked: true, operation: "lockSnapshot")
    }

    /// Locks a snapshot until `until` (never shortening a later expiry): its delete fails with `.locked` before.
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        try await backend.setLocked(volumeName, id: id, until: until)
    }

    /// Lifts ``lockSnapshot(id:)``; `.locked` while a lock with an expiry holds.
    public func unlockSnapshot(id: String) async throws(StorageError) {
        try await backend.setLocked(volumeName, id: id, locked: false, operation: "unlockSnapshot")
    }
}
