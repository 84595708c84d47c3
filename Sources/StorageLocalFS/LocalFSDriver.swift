import ConfigModel
import Foundation
import Logging
import StorageKit

/// Storage driver for a plain Linux directory tree (the demo's default, and an XFS-with-reflink NFS server).
///
/// Layout under the root (``LocalFSConfiguration/root``: `root` of `[localfs]`, or `localfsroot` in the database's
/// section; default: the directory holding the backup area):
/// - `<root>/<db>/`: the live backup area the database writes to;
/// - `<root>/.snapshots/<db>/<snapshot>/` + `<snapshot>.json`: read-only copies with their metadata;
/// - `<root>/.clones/<clone>/` + `<clone>.json`: writable copies; the JSON names origin volume and snapshot.
///
/// Copies share blocks through FICLONE when the file system supports reflinks; otherwise they are full copies
/// (logged once per operation at WARNING). A snapshot that still has clones is never deleted, as on appliances.
public struct LocalFSDriver: StorageDriver {
    /// The driver's name in `snappermodule`/`snapperclass` and in errors: `localfs`.
    public static let vendorName = "localfs"

    /// The database (configuration section) whose directory `<root>/<db>` this instance serves.
    public let volumeName: String
    /// The directory holding the live areas, `.snapshots` and `.clones`.
    public let root: String
    /// NFS server name for mount strings (`mounthost`); `nil` means clones are used as local directories.
    public let mountHost: String?
    /// Receives the driver's DEBUG/INFO messages and the WARNING when a copy could not share blocks.
    public let logger: Logger

    /// `localfs`.
    public var vendor: String { Self.vendorName }
    /// Clones, clone listing, space figures (each snapshot's size in bytes) and volume creation; clones are local
    /// directories (``descriptor``'s capabilities).
    public var capabilities: StorageCapabilities { Self.descriptor.capabilities }

    /// Binds the driver to database `volumeName` under `root` (a trailing slash is dropped); does no I/O.
    public init(volumeName: String, root: String, mountHost: String? = nil, logger: Logger) {
        self.volumeName = volumeName
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.mountHost = mountHost
        self.logger = logger
    }

    /// How `localfs` appears in `backup.cfg`: module, class and section `localfs`, optional `root` and
    /// `mounthost`, no credentials; what every `localfs` driver can do (the one place it is declared).
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, optionalKeys: ["root", "mounthost"],
        capabilities: [.clone, .listClones, .spaceUsage, .createVolume, .localClones],
        keyReference: [
            ConfigKeyReference(
                "root", section: vendorName, defaultValue: "the directory holding the backup area (`backupdest`)",
                meaning: "The directory holding the live areas, `.snapshots` and `.clones`.", readBy: "driver localfs",
                isNew: true),
            ConfigKeyReference(
                "mounthost", section: vendorName, defaultValue: "none (clones are local directories)",
                meaning: "NFS server name for mount strings.", readBy: "driver localfs", isNew: true),
        ])

    /// Builds the driver of `context.databaseName` from its configuration; does no I/O.
    public init(configuration: LocalFSConfiguration, context: StorageDriverContext) throws(StorageError) {
        guard SnapshotNaming.isPortableName(context.databaseName) else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "database name '\(context.databaseName)' cannot be used as a directory name")
        }
        self.init(
            volumeName: context.databaseName, root: configuration.root, mountHost: configuration.mountHost,
            logger: context.logger)
    }

    /// Registers `localfs` in `registry`.
    public static func register(in registry: inout StorageDriverRegistry) {
        registry.register(descriptor, configuration: LocalFSConfiguration.self) {
            configuration, context throws(StorageError) in
            try LocalFSDriver(configuration: configuration, context: context)
        }
    }

    // MARK: Paths

    var volumePath: String { "\(root)/\(volumeName)" }
    var snapshotDirectory: String { "\(root)/.snapshots/\(volumeName)" }
    var cloneDirectory: String { "\(root)/.clones" }
    func snapshotPath(_ id: String) -> String { "\(snapshotDirectory)/\(id)" }
    func snapshotMetadataPath(_ id: String) -> String { "\(snapshotDirectory)/\(id).json" }
    func clonePath(_ name: String) -> String { "\(cloneDirectory)/\(name)" }
    func cloneMetadataPath(_ name: String) -> String { "\(cloneDirectory)/\(name).json" }

    // MARK: Operations

    /// The snapshot directories of this database that have matching metadata, oldest first, with their clone counts; a
    /// snapshot with damaged metadata is skipped with a WARNING. Throws `.notFound` when the live directory is missing.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await offload("listSnapshots") { () throws(StorageError) in try self.scanSnapshots("listSnapshots") }
    }

    /// Copies the live directory read-only to `.snapshots/<db>/<name>` (reflinked where the file system allows) and
    /// writes its metadata. Throws `.invalidName`, `.notFound`, `.alreadyExists`, `.permissionDenied` or `.ioFailure`.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await offload("createSnapshot") { () throws(StorageError) in try self.createSnapshotNow(name) }
    }

    /// Removes snapshot `id` and its metadata. Throws `.notFound` or `.hasClones` while a clone of it exists.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        try await offload("deleteSnapshot") { () throws(StorageError) in try self.deleteSnapshotNow(id) }
    }

    /// Copies snapshot `id` writable to `.clones/<cloneName>` with metadata naming its origin. Throws `.notFound` for
    /// an unknown snapshot and `.alreadyExists` when a clone or a volume has that name.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        try await offload("cloneSnapshot") { () throws(StorageError) in try self.cloneNow(id, cloneName) }
    }

    /// The clones whose metadata names this database as origin.
    public func listClones() async throws(StorageError) -> [Clone] {
        try await offload("listClones") { () throws(StorageError) in
            try self.scanClones("listClones").filter { $0.originVolume == self.volumeName }
        }
    }

    /// The clone `name` after the ownership checks: `.notFound`, `.notAClone` (no or mismatched clone metadata) or
    /// `.notOwned` (a clone of another database).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await offload("cloneInfo") { () throws(StorageError) in try self.ownedClone(name, "cloneInfo") }
    }

    /// Removes the clone `name` and its metadata after the same ownership checks as ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        try await offload("dropClone") { () throws(StorageError) in
            let clone = try self.ownedClone(name, "dropClone")
            try self.io("dropClone") { () throws(FileSystemFailure) in
                let doomed = "\(self.cloneDirectory)/.deleting-\(name)-\(UUID().uuidString)"
                try FileTree.move(self.clonePath(name), to: doomed)
                try FileTree.removeTree(self.cloneMetadataPath(name))
                try FileTree.removeTree(doomed)
            }
            self.logger.debug("Dropped clone \(clone.name) of \(clone.originVolume)@\(clone.originSnapshot)")
        }
    }

    /// `<mounthost>:<clone directory>` when `mounthost` is set (clones exported over NFS), else the directory.
    public func mountString(clone: Clone) -> String {
        let path = clone.mountPoint ?? clonePath(clone.name)
        return mountHost.map { "\($0):\(path)" } ?? path
    }

    /// Creates the live directory `<root>/<db>` (mode 0750, and `root` if missing); `.alreadyExists` when it exists.
    public func createVolume() async throws(StorageError) -> Volume {
        try await offload("createVolume") { () throws(StorageError) in
            guard !FileTree.exists(self.volumePath) else {
                throw self.error(.alreadyExists, "createVolume", "\(self.volumePath) exists already")
            }
            try self.io("createVolume") { () throws(FileSystemFailure) in
                try FileTree.makeDirectories(self.root)
                guard mkdir(self.volumePath, 0o750) == 0 else {
                    throw FileSystemFailure(call: "mkdir", path: self.volumePath, errorNumber: errno)
                }
            }
            self.logger.info("Created volume directory \(self.volumePath)")
            return Volume(name: self.volumeName, mountPoint: self.volumePath, spaceUsed: 0)
        }
    }

    /// The live directory and the bytes of the files in it; `.notFound` when it is missing.
    public func volumeInfo() async throws(StorageError) -> Volume {
        try await offload("volumeInfo") { () throws(StorageError) in
            try self.requireVolume("volumeInfo")
            let used = try self.io("volumeInfo") { () throws(FileSystemFailure) in
                try FileTree.byteCount(self.volumePath)
            }
            return Volume(name: self.volumeName, mountPoint: self.volumePath, spaceUsed: used)
        }
    }

    // MARK: Implementation (blocking; run off the cooperative pool)

    func error(_ code: StorageError.Code, _ operation: String, _ message: String) -> StorageError {
        StorageError(code, vendor: vendor, operation: operation, message: message)
    }

    func io<T>(_ operation: String, _ body: () throws(FileSystemFailure) -> T) throws(StorageError) -> T {
        do {
            return try body()
        } catch {
            let code: StorageError.Code =
                switch error.errorNumber {
                case EACCES, EPERM: .permissionDenied
                // A concurrent create of the same name loses the final rename.
                case EEXIST, ENOTEMPTY: .alreadyExists
                default: .ioFailure
                }
            throw self.error(code, operation, error.description)
        }
    }

    /// Runs blocking file-system work on its own thread so long copies stall neither Swift concurrency nor
    /// Dispatch's global queues (as wide as the CPU count on Linux).
    func offload<T: Sendable>(_ operation: String, _ body: @escaping @Sendable () throws(StorageError) -> T)
        async throws(StorageError) -> T
    {
        let result: Result<T, StorageError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(StorageError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    func validate(_ name: String, _ what: String, _ operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.invalidName, operation, "invalid \(what) name '\(name)'")
        }
    }

    func requireVolume(_ operation: String) throws(StorageError) {
        guard FileTree.isDirectory(volumePath) else {
            throw error(.notFound, operation, "volume directory \(volumePath) does not exist")
        }
    }

    func readJSON<T: Decodable>(_ type: T.Type, _ path: String, _ operation: String) throws(StorageError) -> T {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw self.error(.unexpectedResponse, operation, "cannot read metadata \(path): \(error)")
        }
    }

    func writeJSON(_ value: some Encodable, _ path: String, _ operation: String) throws(StorageError) {
        let data: Data
        do {
            data = try StorageJSON.makeEncoder().encode(value)
        } catch {
            throw self.error(.ioFailure, operation, "cannot encode metadata: \(error)")
        }
        try io(operation) { () throws(FileSystemFailure) in try FileTree.writeAtomically(data, to: path) }
    }

    func scanClones(_ operation: String) throws(StorageError) -> [Clone] {
        guard FileTree.isDirectory(cloneDirectory) else { return [] }
        let names = try io(operation) { () throws(FileSystemFailure) in try FileTree.entries(of: cloneDirectory) }
        var clones: [Clone] = []
        for file in names where file.hasSuffix(".json") && !file.hasPrefix(".") {
            let name = String(file.dropLast(5))
            guard FileTree.isDirectory(clonePath(name)),
                let metadata = try? readJSON(CloneMetadata.self, cloneMetadataPath(name), operation),
                metadata.clone == name
            else { continue }
            clones.append(
                Clone(
                    name: name, originVolume: metadata.originVolume, originSnapshot: metadata.originSnapshot,
                    mountPoint: clonePath(name)))
        }
        return clones
    }

    func scanSnapshots(_ operation: String) throws(StorageError) -> [Snapshot] {
        try requireVolume(operation)
        guard FileTree.isDirectory(snapshotDirectory) else { return [] }
        let names = try io(operation) { () throws(FileSystemFailure) in try FileTree.entries(of: snapshotDirectory) }
        var cloneCounts: [String: Int] = [:]
        for clone in try scanClones(operation) where clone.originVolume == volumeName {
            cloneCounts[clone.originSnapshot, default: 0] += 1
        }
        var snapshots: [Snapshot] = []
        for file in names where file.hasSuffix(".json") && !file.hasPrefix(".") {
            let id = String(file.dropLast(5))
            guard FileTree.isDirectory(snapshotPath(id)) else { continue }
            let metadata: SnapshotMetadata
            do {
                metadata = try readJSON(SnapshotMetadata.self, snapshotMetadataPath(id), operation)
            } catch {
                // One damaged file must not break listing, retention or checkage; the snapshot is left alone.
                logger.warning("Ignoring snapshot \(id): \(error.message)")
                continue
            }
            guard metadata.volume == volumeName, metadata.snapshot == id,
                let creation = StorageJSON.parseISO8601(metadata.creation)
            else {
                logger.warning("Ignoring snapshot metadata \(snapshotMetadataPath(id)): it describes another object")
                continue
            }
            snapshots.append(
                Snapshot(
                    id: id, creation: creation, spaceTotal: metadata.bytes, spaceUnique: nil,
                    cloneCount: cloneCounts[id, default: 0]))
        }
        return snapshots.sortedByCreation()
    }

    func warnIfCopied(_ outcome: TreeCopyOutcome, _ what: String) {
        guard outcome.copiedFiles > 0 else { return }
        logger.warning(
            "Reflink (FICLONE) unavailable under \(root) (\(outcome.reflinkFailure ?? "unknown reason")): \(what) made a full copy of \(outcome.copiedFiles) file(s), \(DisplayFormat.size(outcome.bytes)); time and space grow with the database size"
        )
    }

    func createSnapshotNow(_ name: String) throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try validate(name, "snapshot", operation)
        try requireVolume(operation)
        guard !FileTree.exists(snapshotPath(name)), !FileTree.exists(snapshotMetadataPath(name)) else {
            throw error(.alreadyExists, operation, "snapshot \(name) of \(volumeName) exists already")
        }
        let creation = Date()
        let staging = "\(snapshotDirectory)/.incomplete-\(name)-\(UUID().uuidString)"
        let outcome = try io(operation) { () throws(FileSystemFailure) in
            try FileTree.makeDirectories(snapshotDirectory)
            do throws(FileSystemFailure) {
                let outcome = try FileTree.copyTree(from: volumePath, to: staging, permissions: .readOnly)
                try FileTree.move(staging, to: snapshotPath(name))
                return outcome
            } catch {
                try? FileTree.removeTree(staging)
                throw error
            }
        }
        warnIfCopied(outcome, "snapshot \(name)")
        let metadata = SnapshotMetadata(
            volume: volumeName, snapshot: name, creation: StorageJSON.iso8601(creation), bytes: outcome.bytes,
            reflinked: outcome.copiedFiles == 0)
        try writeJSON(metadata, snapshotMetadataPath(name), operation)
        logger.debug("Created snapshot: \(name)")
        return Snapshot(id: name, creation: creation, spaceTotal: outcome.bytes, spaceUnique: nil, cloneCount: 0)
    }

    func deleteSnapshotNow(_ id: String) throws(StorageError) {
        let operation = "deleteSnapshot"
        try validate(id, "snapshot", operation)
        guard let snapshot = try scanSnapshots(operation).first(where: { $0.id == id }) else {
            throw error(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        guard snapshot.cloneCount == 0 else {
            throw error(
                .hasClones, operation, "snapshot \(id) has \(DisplayFormat.count(snapshot.cloneCount)) clone(s)")
        }
        try io(operation) { () throws(FileSystemFailure) in
            let doomed = "\(snapshotDirectory)/.deleting-\(id)-\(UUID().uuidString)"
            try FileTree.move(snapshotPath(id), to: doomed)
            try FileTree.removeTree(snapshotMetadataPath(id))
            try FileTree.removeTree(doomed)
        }
        logger.debug("Deleted snapshot: \(id)")
    }

    func cloneNow(_ id: String, _ cloneName: String) throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try validate(cloneName, "clone", operation)
        guard try scanSnapshots(operation).contains(where: { $0.id == id }) else {
            throw error(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        guard !FileTree.exists(clonePath(cloneName)), !FileTree.exists(cloneMetadataPath(cloneName)) else {
            throw error(.alreadyExists, operation, "clone \(cloneName) exists already")
        }
        guard !FileTree.exists("\(root)/\(cloneName)") else {
            throw error(.alreadyExists, operation, "a volume named \(cloneName) exists already")
        }
        let staging = "\(cloneDirectory)/.incomplete-\(cloneName)-\(UUID().uuidString)"
        let outcome = try io(operation) { () throws(FileSystemFailure) in
            try FileTree.makeDirectories(cloneDirectory)
            do throws(FileSystemFailure) {
                let outcome = try FileTree.copyTree(from: snapshotPath(id), to: staging, permissions: .ownerWritable)
                try FileTree.move(staging, to: clonePath(cloneName))
                return outcome
            } catch {
                try? FileTree.removeTree(staging)
                throw error
            }
        }
        warnIfCopied(outcome, "clone \(cloneName)")
        let metadata = CloneMetadata(
            clone: cloneName, originVolume: volumeName, originSnapshot: id, creation: StorageJSON.iso8601(Date()))
        try writeJSON(metadata, cloneMetadataPath(cloneName), operation)
        logger.debug("Created clone \(cloneName) of \(volumeName)@\(id)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: clonePath(cloneName))
    }

    /// The clone `name` after the ownership checks: it must carry clone metadata whose origin is this volume.
    func ownedClone(_ name: String, _ operation: String) throws(StorageError) -> Clone {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.notFound, operation, "no clone named '\(name)'")
        }
        let hasDirectory = FileTree.isDirectory(clonePath(name))
        guard FileTree.exists(cloneMetadataPath(name)) else {
            if hasDirectory || FileTree.exists("\(root)/\(name)") {
                throw error(.notAClone, operation, "\(name) is not a clone made by this tool (no clone metadata)")
            }
            throw error(.notFound, operation, "clone \(name) does not exist")
        }
        let metadata = try readJSON(CloneMetadata.self, cloneMetadataPath(name), operation)
        guard metadata.clone == name, hasDirectory else {
            throw error(.notAClone, operation, "clone metadata of \(name) does not match a clone directory")
        }
        guard metadata.originVolume == volumeName else {
            throw error(
                .notOwned, operation, "\(name) is a clone of \(metadata.originVolume), not of \(volumeName); refusing")
        }
        return Clone(
            name: name, originVolume: volumeName, originSnapshot: metadata.originSnapshot, mountPoint: clonePath(name))
    }
}

/// `<root>/.snapshots/<db>/<snapshot>.json`.
struct SnapshotMetadata: Codable {
    var volume: String
    var snapshot: String
    /// ISO-8601 UTC.
    var creation: String
    var bytes: Int64
    var reflinked: Bool
}

/// `<root>/.clones/<clone>.json`.
struct CloneMetadata: Codable {
    var clone: String
    var originVolume: String
    var originSnapshot: String
    var creation: String
}
