import Foundation
import Logging
import StorageKit

/// Storage driver for btrfs subvolumes on the local host (CI, demo, and single-host installations).
///
/// Layout under the root (setting `root` of `[btrfs]`, or `btrfsroot`; default `backupdest`), on btrfs:
/// - `<root>/<db>`: the backup area, a subvolume;
/// - `<root>/.snapshots/<db>/<snapshot>`: read-only snapshots of it;
/// - `<root>/.clones/<clone>`: writable snapshots of a snapshot; the clone relation is the parent UUID.
///
/// Space figures come from qgroups when quotas are enabled (`btrfs quota enable`), else they are unknown.
/// Every `btrfs` call runs with `LC_ALL=C TZ=UTC` and a timeout (setting `timeout`, seconds, default 300).
public struct BtrfsDriver: StorageDriver {
    public static let vendorName = "btrfs"

    public let volumeName: String
    public let root: String
    /// The `btrfs` executable (setting `btrfscommand`).
    public let command: String
    public let timeout: Duration
    /// NFS server name for mount strings (`mounthost`); `nil` means clones are used as local directories.
    public let mountHost: String?
    public let logger: Logger

    public var vendor: String { Self.vendorName }
    public var capabilities: StorageCapabilities { [.clone, .listClones, .createVolume] }

    public init(
        volumeName: String, root: String, command: String = "btrfs", timeout: Duration = .seconds(300),
        mountHost: String? = nil, logger: Logger
    ) {
        self.volumeName = volumeName
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.command = command
        self.timeout = timeout
        self.mountHost = mountHost
        self.logger = logger
    }

    /// Builds the driver from `root` (or `btrfsroot`, else `backupdest`), `command` (or `btrfscommand`),
    /// `timeout` (or `storagetimeout`) and `mounthost`.
    public init(configuration: StorageDriverConfiguration) throws(StorageError) {
        guard let root = configuration.setting(firstOf: ["root", "btrfsroot", "backupdest"]) else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "set root in [btrfs] (or backupdest) for database \(configuration.databaseName)")
        }
        guard SnapshotNaming.isPortableName(configuration.databaseName) else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "database name '\(configuration.databaseName)' cannot be used as a subvolume name")
        }
        var timeout = Duration.seconds(300)
        if let text = configuration.setting(firstOf: ["timeout", "storagetimeout"]) {
            guard let seconds = Double(text), seconds > 0 else {
                throw StorageError(
                    .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                    message: "timeout must be a positive number of seconds, not '\(text)'")
            }
            timeout = .milliseconds(Int64(seconds * 1000))
        }
        self.init(
            volumeName: configuration.databaseName, root: root,
            command: configuration.setting(firstOf: ["command", "btrfscommand"]) ?? "btrfs", timeout: timeout,
            mountHost: configuration.setting("mounthost"), logger: configuration.logger)
    }

    /// Registers `btrfs` in `registry`.
    public static func register(in registry: inout StorageDriverRegistry) {
        registry.register(vendorName) { configuration throws(StorageError) in
            try BtrfsDriver(configuration: configuration)
        }
    }

    // MARK: Paths

    var volumePath: String { "\(root)/\(volumeName)" }
    var snapshotDirectory: String { "\(root)/.snapshots/\(volumeName)" }
    var cloneDirectory: String { "\(root)/.clones" }
    func snapshotPath(_ id: String) -> String { "\(snapshotDirectory)/\(id)" }
    func clonePath(_ name: String) -> String { "\(cloneDirectory)/\(name)" }

    // MARK: Operations

    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await scan("listSnapshots", withSpace: true).snapshots.map(\.snapshot)
    }

    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try validate(name, "snapshot", operation)
        _ = try await volumeEntry(operation)
        guard !exists(snapshotPath(name)) else {
            throw error(.alreadyExists, operation, "snapshot \(name) of \(volumeName) exists already")
        }
        try makeDirectories(snapshotDirectory, operation)
        _ = try await btrfs(["subvolume", "snapshot", "-r", volumePath, snapshotPath(name)], operation)
        logger.debug("Created snapshot: \(name)")
        guard
            let created = try await scan(operation, withSpace: true).snapshots.first(where: { $0.snapshot.id == name })
        else {
            throw error(.unexpectedResponse, operation, "snapshot \(name) was created but is not listed")
        }
        return created.snapshot
    }

    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        try validate(id, "snapshot", operation)
        let scan = try await scan(operation, withSpace: false)
        guard let found = scan.snapshots.first(where: { $0.snapshot.id == id }) else {
            if exists(snapshotPath(id)) {
                throw error(.notOwned, operation, "\(snapshotPath(id)) is not a snapshot of \(volumePath); refusing")
            }
            throw error(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        // btrfs would allow it, but the cross-vendor rule is that a snapshot with clones is kept.
        guard found.snapshot.cloneCount == 0 else {
            throw error(.hasClones, operation, "snapshot \(id) has \(found.snapshot.cloneCount) clone(s)")
        }
        _ = try await btrfs(["subvolume", "delete", "--commit-after", snapshotPath(id)], operation)
        logger.debug("Deleted snapshot: \(id)")
    }

    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try validate(cloneName, "clone", operation)
        let scan = try await scan(operation, withSpace: false)
        guard scan.snapshots.contains(where: { $0.snapshot.id == id }) else {
            throw error(.notFound, operation, "snapshot \(id) of \(volumeName) does not exist")
        }
        guard !exists(clonePath(cloneName)), !exists("\(root)/\(cloneName)") else {
            throw error(.alreadyExists, operation, "\(cloneName) exists already")
        }
        try makeDirectories(cloneDirectory, operation)
        _ = try await btrfs(["subvolume", "snapshot", snapshotPath(id), clonePath(cloneName)], operation)
        logger.debug("Created clone \(cloneName) of \(volumeName)@\(id)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: clonePath(cloneName))
    }

    public func listClones() async throws(StorageError) -> [Clone] {
        let scan = try await scan("listClones", withSpace: false)
        return scan.clones.compactMap { name, entry in
            guard let origin = scan.snapshots.first(where: { $0.uuid == entry.parentUUID }) else { return nil }
            return Clone(
                name: name, originVolume: volumeName, originSnapshot: origin.snapshot.id, mountPoint: clonePath(name))
        }.sorted { $0.name < $1.name }
    }

    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, "cloneInfo")
    }

    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        let clone = try await ownedClone(name, operation)
        _ = try await btrfs(["subvolume", "delete", "--commit-after", clonePath(name)], operation)
        logger.debug("Dropped clone \(clone.name) of \(volumeName)@\(clone.originSnapshot)")
    }

    /// `<mounthost>:<clone directory>` when `mounthost` is set (clones exported over NFS), else the directory.
    public func mountString(clone: Clone) -> String {
        let path = clone.mountPoint ?? clonePath(clone.name)
        return mountHost.map { "\($0):\(path)" } ?? path
    }

    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        guard !exists(volumePath) else {
            throw error(.alreadyExists, operation, "\(volumePath) exists already")
        }
        try makeDirectories(root, operation)
        _ = try await btrfs(["subvolume", "create", volumePath], operation)
        logger.info("Created subvolume \(volumePath)")
        return Volume(name: volumeName, mountPoint: volumePath, spaceUsed: nil)
    }

    public func volumeInfo() async throws(StorageError) -> Volume {
        let volume = try await volumeEntry("volumeInfo").volume
        let usage = await qgroups()
        return Volume(name: volumeName, mountPoint: volumePath, spaceUsed: usage?[volume.id]?.referenced)
    }

    // MARK: Implementation

    struct ListedSnapshot {
        var snapshot: Snapshot
        var uuid: String
    }

    struct Scan {
        var volume: SubvolumeEntry
        var snapshots: [ListedSnapshot]
        /// Snapshot subvolumes directly in the clone directory, by name.
        var clones: [String: SubvolumeEntry]
    }

    func error(_ code: StorageError.Code, _ operation: String, _ message: String) -> StorageError {
        StorageError(code, vendor: vendor, operation: operation, message: message)
    }

    func validate(_ name: String, _ what: String, _ operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.invalidName, operation, "invalid \(what) name '\(name)'")
        }
    }

    func exists(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)) != nil
    }

    func makeDirectories(_ path: String, _ operation: String) throws(StorageError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw self.error(.ioFailure, operation, "cannot create \(path): \(error)")
        }
    }

    /// Runs `btrfs <arguments>`; a non-zero exit is `.commandFailed` with the error output.
    func btrfs(_ arguments: [String], _ operation: String) async throws(StorageError) -> String {
        let result = try await btrfsResult(arguments, operation)
        guard result.exitStatus == 0 else {
            let detail = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            let code: StorageError.Code =
                if detail.contains("Operation not permitted") || detail.contains("Permission denied") {
                    .permissionDenied
                } else if detail.contains("already exists") || detail.contains("File exists") {
                    // Lost a race with a concurrent create of the same name.
                    .alreadyExists
                } else {
                    .commandFailed
                }
            throw error(
                code, operation,
                "\(command) \(arguments.joined(separator: " ")) exited with \(result.exitStatus): \(detail)")
        }
        return result.standardOutput
    }

    func btrfsResult(_ arguments: [String], _ operation: String) async throws(StorageError) -> CommandResult {
        logger.trace("Running \(command) \(arguments.joined(separator: " "))")
        let result: CommandResult
        do {
            result = try await CommandRunner.run(
                executable: command, arguments: arguments, environment: ["LC_ALL": "C", "TZ": "UTC"],
                timeout: timeout)
        } catch {
            throw self.error(.commandFailed, operation, "cannot run \(command): \(error)")
        }
        if result.timedOut {
            throw error(
                .timeout, operation, "\(command) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return result
    }

    /// The live volume's entry in `subvolume list`, found through its subvolume id.
    ///
    /// `btrfs subvolume show` is avoided on purpose: it walks every subvolume to print "Snapshot(s)" and fails
    /// ("Subvolume not found") when another subvolume is deleted meanwhile, e.g. a clone dropped by a restore test.
    func volumeEntry(_ operation: String) async throws(StorageError) -> (volume: SubvolumeEntry, all: [SubvolumeEntry])
    {
        guard exists(volumePath) else {
            throw error(.notFound, operation, "backup area \(volumePath) does not exist")
        }
        let rootID = try await btrfs(["inspect-internal", "rootid", volumePath], operation)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let id = Int(rootID) else {
            throw error(.unexpectedResponse, operation, "cannot parse 'inspect-internal rootid' output '\(rootID)'")
        }
        let all = BtrfsOutput.parseList(try await btrfs(["subvolume", "list", "-u", "-q", root], operation))
        guard let volume = all.first(where: { $0.id == id }),
            volume.path == volumeName || volume.path.hasSuffix("/" + volumeName)
        else {
            throw error(
                .invalidConfiguration, operation,
                "\(volumePath) is not a btrfs subvolume (create it with 'volume create')")
        }
        return (volume, all)
    }

    /// Level-0 qgroup usage by subvolume id, or `nil` when quotas are off.
    func qgroups() async -> [Int: QgroupUsage]? {
        guard let result = try? await btrfsResult(["qgroup", "show", "--raw", "--sync", root], "qgroupShow"),
            result.exitStatus == 0
        else { return nil }
        return BtrfsOutput.parseQgroups(result.standardOutput)
    }

    func scan(_ operation: String, withSpace: Bool) async throws(StorageError) -> Scan {
        let volume = try await volumeEntry(operation).volume
        // `list` prints paths relative to the top-level subvolume; the volume's path gives the root's prefix.
        let prefix = String(volume.path.dropLast(volumeName.count))
        let entries = BtrfsOutput.parseList(try await btrfs(["subvolume", "list", "-s", "-u", "-q", root], operation))
        let usage = withSpace ? await qgroups() : nil
        var clonesPerParent: [String: Int] = [:]
        for entry in entries { if let parent = entry.parentUUID { clonesPerParent[parent, default: 0] += 1 } }

        let snapshotPrefix = "\(prefix).snapshots/\(volumeName)/"
        let clonePrefix = "\(prefix).clones/"
        var snapshots: [ListedSnapshot] = []
        var clones: [String: SubvolumeEntry] = [:]
        for entry in entries {
            if entry.path.hasPrefix(snapshotPrefix) {
                let name = String(entry.path.dropFirst(snapshotPrefix.count))
                guard !name.contains("/"), entry.parentUUID == volume.uuid, let creation = entry.creation else {
                    continue
                }
                let space = usage?[entry.id]
                snapshots.append(
                    ListedSnapshot(
                        snapshot: Snapshot(
                            id: name, creation: creation, spaceTotal: space?.referenced, spaceUnique: space?.exclusive,
                            cloneCount: clonesPerParent[entry.uuid, default: 0]),
                        uuid: entry.uuid))
            } else if entry.path.hasPrefix(clonePrefix) {
                let name = String(entry.path.dropFirst(clonePrefix.count))
                if !name.contains("/") { clones[name] = entry }
            }
        }
        snapshots.sort { $0.snapshot.creation < $1.snapshot.creation }
        return Scan(volume: volume, snapshots: snapshots, clones: clones)
    }

    /// The clone `name` after the ownership checks: a snapshot subvolume in the clone directory whose parent is
    /// one of this volume's snapshots.
    func ownedClone(_ name: String, _ operation: String) async throws(StorageError) -> Clone {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.notFound, operation, "no clone named '\(name)'")
        }
        let scan = try await scan(operation, withSpace: false)
        guard let entry = scan.clones[name] else {
            if exists(clonePath(name)) || exists("\(root)/\(name)") {
                throw error(
                    .notAClone, operation, "\(name) is not a clone (not a snapshot subvolume in \(cloneDirectory))")
            }
            throw error(.notFound, operation, "clone \(name) does not exist")
        }
        guard let origin = scan.snapshots.first(where: { $0.uuid == entry.parentUUID }) else {
            throw error(
                .notOwned, operation,
                "\(name) is not a clone of a snapshot of \(volumeName) (parent UUID \(entry.parentUUID ?? "-")); refusing"
            )
        }
        return Clone(
            name: name, originVolume: volumeName, originSnapshot: origin.snapshot.id, mountPoint: clonePath(name))
    }
}
