import Foundation
import Logging
import StorageKit

/// An example storage driver: every database's backup area is a plain directory, snapshots are read-only copies
/// of it and clones are writable copies of a snapshot.
///
/// It is a template for writing a driver of your own, kept short on purpose; the product's `localfs` driver
/// (StorageLocalFS) does the same job for real (reflink copies, crash-safe renames, copies off the task pool).
///
/// Layout under ``root``:
/// - `<root>/<volume>/`: the live area RMAN writes its image copies to;
/// - `<root>/.snapshots/<volume>/<snapshot>/` and `<snapshot>.json`: the read-only copy and its creation time;
/// - `<root>/.clones/<clone>/` and `<clone>.json`: the writable copy and its origin (volume and snapshot).
///
/// The JSON file written last is what makes a directory a snapshot or a clone of ours: a directory without it
/// is not listed and never dropped.
public struct PlainDirectoryDriver: StorageDriver {
    /// The name the driver is registered under (the `storagetype` a configuration would name).
    public static let vendorName = "plaindir"

    /// The database's volume: a directory under ``root``.
    public let volumeName: String
    /// The directory holding every volume, `.snapshots` and `.clones`.
    public let root: String
    /// Where the driver logs; libraries never bootstrap logging.
    public let logger: Logger

    /// ``vendorName``, for errors and logs.
    public var vendor: String { Self.vendorName }
    /// Clones (and listing them) and creating volumes; no locks, no space figures, names chosen by the caller.
    public var capabilities: StorageCapabilities { [.clone, .listClones, .createVolume] }

    /// A driver for `volumeName` under `root`.
    public init(volumeName: String, root: String, logger: Logger) {
        self.volumeName = volumeName
        self.root = root
        self.logger = logger
    }

    /// Adds the driver to `registry` under ``vendorName``. The factory only reads settings (no I/O): setting
    /// `root` is required, and the database name must be usable as a directory name.
    public static func register(in registry: inout StorageDriverRegistry) {
        registry.register(vendorName) { configuration throws(StorageError) in
            let root = try configuration.requiredSetting("root", vendor: vendorName)
            guard SnapshotNaming.isPortableName(configuration.databaseName) else {
                throw StorageError(
                    .invalidConfiguration, vendor: vendorName, operation: "configure",
                    message: "database name '\(configuration.databaseName)' cannot be a directory name")
            }
            return PlainDirectoryDriver(
                volumeName: configuration.databaseName, root: root, logger: configuration.logger)
        }
    }

    // MARK: Volume

    /// Creates the volume's directory; `.alreadyExists` when it is there.
    public func createVolume() async throws(StorageError) -> Volume {
        guard !exists(volumePath) else { throw failure(.alreadyExists, "createVolume", "\(volumePath) exists") }
        try attempt("createVolume") { try files.createDirectory(atPath: volumePath, withIntermediateDirectories: true) }
        logger.info("Created volume directory \(volumePath)")
        return Volume(name: volumeName, mountPoint: volumePath)
    }

    /// The volume's directory; `.notFound` when it is missing.
    public func volumeInfo() async throws(StorageError) -> Volume {
        try requireVolume("volumeInfo")
        return Volume(name: volumeName, mountPoint: volumePath)
    }

    // MARK: Snapshots

    /// Snapshots of this volume that have their metadata, oldest first, with their clone counts.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try requireVolume("listSnapshots")
        let clones = try await listClones()
        var snapshots: [Snapshot] = []
        for id in try metadataNames(in: snapshotsPath, "listSnapshots") {
            guard let metadata = try? read(SnapshotRecord.self, at: "\(snapshotsPath)/\(id).json") else {
                logger.warning("Ignoring snapshot \(id): unreadable metadata")
                continue
            }
            let cloneCount = clones.count { $0.originSnapshot == id }
            snapshots.append(Snapshot(id: id, creation: metadata.creation, cloneCount: cloneCount))
        }
        return snapshots.sortedByCreation()
    }

    /// Copies the live area to a read-only snapshot directory, then writes its metadata.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try requirePortable(name, operation)
        try requireVolume(operation)
        let path = "\(snapshotsPath)/\(name)"
        guard !exists(path) else { throw failure(.alreadyExists, operation, "snapshot \(name) exists already") }
        let creation = Date()
        try copyTree(from: volumePath, to: path, writable: false, operation)
        try write(SnapshotRecord(creation: creation), to: "\(path).json", operation)
        logger.info("Created snapshot \(name) of \(volumeName)")
        return Snapshot(id: name, creation: creation, cloneCount: 0)
    }

    /// Deletes one of this volume's snapshots; `.hasClones` while a clone of it exists.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        // Only names listed under this volume's own directory can be addressed: another volume's snapshot
        // is `.notFound` here.
        guard let snapshot = try await listSnapshots().first(where: { $0.id == id }) else {
            throw failure(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        guard snapshot.cloneCount == 0 else {
            throw failure(.hasClones, operation, "snapshot \(id) has \(snapshot.cloneCount ?? 0) clone(s)")
        }
        // Metadata first: a half-deleted snapshot is then no longer listed.
        try remove("\(snapshotsPath)/\(id).json", operation)
        try remove("\(snapshotsPath)/\(id)", operation)
        logger.info("Deleted snapshot \(id) of \(volumeName)")
    }

    // MARK: Clones

    /// Copies one of this volume's snapshots to a writable clone directory and records its origin.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try requirePortable(cloneName, operation)
        guard try await listSnapshots().contains(where: { $0.id == id }) else {
            throw failure(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        // Clones and volumes share one name space, as on an appliance.
        guard !exists(clonePath(cloneName)), !exists("\(root)/\(cloneName)") else {
            throw failure(.alreadyExists, operation, "\(cloneName) exists already")
        }
        try copyTree(from: "\(snapshotsPath)/\(id)", to: clonePath(cloneName), writable: true, operation)
        try write(
            CloneRecord(originVolume: volumeName, originSnapshot: id), to: "\(clonePath(cloneName)).json", operation)
        logger.info("Cloned \(volumeName)@\(id) to \(cloneName)")
        return clone(cloneName, origin: id)
    }

    /// Clones whose origin is a snapshot of this volume.
    public func listClones() async throws(StorageError) -> [Clone] {
        var clones: [Clone] = []
        for name in try metadataNames(in: clonesPath, "listClones") {
            guard let record = try? read(CloneRecord.self, at: "\(clonePath(name)).json"),
                record.originVolume == volumeName, exists(clonePath(name))
            else { continue }
            clones.append(clone(name, origin: record.originSnapshot))
        }
        return clones
    }

    /// One clone of this volume, after the ownership checks.
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try ownedClone(name, "cloneInfo")
    }

    /// Drops a clone after checking that it is a clone (`.notAClone`) of this volume's snapshot (`.notOwned`).
    public func dropClone(name: String) async throws(StorageError) {
        let clone = try ownedClone(name, "dropClone")
        try remove("\(clonePath(name)).json", "dropClone")
        try remove(clonePath(name), "dropClone")
        logger.info("Dropped clone \(name) of \(volumeName)@\(clone.originSnapshot)")
    }

    // MARK: Helpers

    private var files: FileManager { FileManager.default }
    private var volumePath: String { "\(root)/\(volumeName)" }
    private var snapshotsPath: String { "\(root)/.snapshots/\(volumeName)" }
    private var clonesPath: String { "\(root)/.clones" }
    private func clonePath(_ name: String) -> String { "\(clonesPath)/\(name)" }

    private func clone(_ name: String, origin: String) -> Clone {
        Clone(name: name, originVolume: volumeName, originSnapshot: origin, mountPoint: clonePath(name))
    }

    /// The safety rule of every driver: only a clone whose recorded origin is this volume may be touched.
    private func ownedClone(_ name: String, _ operation: String) throws(StorageError) -> Clone {
        guard SnapshotNaming.isPortableName(name) else { throw failure(.notFound, operation, "no clone '\(name)'") }
        guard exists("\(clonePath(name)).json") else {
            if exists(clonePath(name)) || exists("\(root)/\(name)") {
                throw failure(.notAClone, operation, "\(name) is not a clone made by this driver")
            }
            throw failure(.notFound, operation, "clone \(name) does not exist")
        }
        let record = try attempt(operation) { try read(CloneRecord.self, at: "\(clonePath(name)).json") }
        guard record.originVolume == volumeName else {
            throw failure(.notOwned, operation, "\(name) is a clone of \(record.originVolume), not of \(volumeName)")
        }
        return clone(name, origin: record.originSnapshot)
    }

    private func failure(_ code: StorageError.Code, _ operation: String, _ message: String) -> StorageError {
        StorageError(code, vendor: vendor, operation: operation, message: message)
    }

    /// Runs Foundation file calls, turning their errors into `StorageError`s that name the operation.
    private func attempt<T>(_ operation: String, _ body: () throws -> T) throws(StorageError) -> T {
        do { return try body() } catch { throw failure(.ioFailure, operation, "\(error)") }
    }

    private func exists(_ path: String) -> Bool { files.fileExists(atPath: path) }

    private func requireVolume(_ operation: String) throws(StorageError) {
        guard exists(volumePath) else { throw failure(.notFound, operation, "no volume directory \(volumePath)") }
    }

    private func requirePortable(_ name: String, _ operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else { throw failure(.invalidName, operation, "bad name '\(name)'") }
    }

    /// Names `x` for which `directory/x.json` exists (the objects this driver finished making).
    private func metadataNames(in directory: String, _ operation: String) throws(StorageError) -> [String] {
        guard exists(directory) else { return [] }
        let entries = try attempt(operation) { try files.contentsOfDirectory(atPath: directory) }
        return entries.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Copies a tree into a hidden staging directory, sets its modes, then renames it to `target`: a failed or
    /// concurrent copy leaves no half-made object under the final name.
    private func copyTree(from source: String, to target: String, writable: Bool, _ operation: String)
        throws(StorageError)
    {
        let parent = (target as NSString).deletingLastPathComponent
        let staging = "\(parent)/.incomplete-\(UUID().uuidString)"
        do {
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try files.copyItem(atPath: source, toPath: staging)
            try setPermissions(of: staging, writable: writable)
            try files.moveItem(atPath: staging, toPath: target)
        } catch {
            try? remove(staging, operation)
            // Only the final move writes `target`: if it exists now, another caller made it meanwhile.
            throw failure(exists(target) ? .alreadyExists : .ioFailure, operation, "copying \(source): \(error)")
        }
    }

    /// Sets modes below `path`: directories 0755 or 0555, files 0644 or 0444 (symbolic links are left alone).
    private func setPermissions(of path: String, writable: Bool) throws {
        var paths = [path]
        if let below = files.enumerator(atPath: path) { paths += below.compactMap { "\(path)/\($0)" } }
        for item in paths {
            let type = try files.attributesOfItem(atPath: item)[.type] as? FileAttributeType
            let mode: Int =
                switch type {
                case .typeDirectory?: writable ? 0o755 : 0o555
                case .typeRegular?: writable ? 0o644 : 0o444
                default: -1
                }
            if mode >= 0 { try files.setAttributes([.posixPermissions: mode], ofItemAtPath: item) }
        }
    }

    /// Removes a file or a (possibly read-only) tree.
    private func remove(_ path: String, _ operation: String) throws(StorageError) {
        try attempt(operation) {
            if (try? files.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory {
                try setPermissions(of: path, writable: true)
            }
            try files.removeItem(atPath: path)
        }
    }

    private func read<T: Decodable>(_ type: T.Type, at path: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func write(_ value: some Encodable, to path: String, _ operation: String) throws(StorageError) {
        try attempt(operation) { try JSONEncoder().encode(value).write(to: URL(fileURLWithPath: path)) }
    }
}

/// `<root>/.snapshots/<volume>/<snapshot>.json`: an absolute instant, so listings never depend on time zones.
private struct SnapshotRecord: Codable {
    var creation: Date
}

/// `<root>/.clones/<clone>.json`: the origin that the ownership checks compare with the driver's volume.
private struct CloneRecord: Codable {
    var originVolume: String
    var originSnapshot: String
}
