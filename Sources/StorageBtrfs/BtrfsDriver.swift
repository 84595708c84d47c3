import ConfigModel
import Foundation
import Logging
import StorageKit

#if canImport(Glibc)
    import Glibc
#endif

/// Storage driver for btrfs subvolumes on the local host (CI, demo, and single-host installations).
///
/// Layout under the root (``BtrfsConfiguration/root``: `root` of `[btrfs]`, or `btrfsroot` in the database's section;
/// default: the directory holding the backup area), on btrfs:
/// - `<root>/<db>`: the backup area, a subvolume;
/// - `<root>/.snapshots/<db>/<snapshot>`: read-only snapshots of it;
/// - `<root>/.clones/<clone>`: writable snapshots of a snapshot; the clone relation is the parent UUID.
///
/// Listing needs no privileges: the driver scans the two directories and asks the kernel about each entry with the
/// unprivileged `GET_SUBVOL_INFO` ioctl, so the same snapshots are seen by root and by the unprivileged user that
/// autorestore runs as. An unprivileged user can snapshot and clone subvolumes whose root directory it owns, and can
/// delete them when the btrfs is mounted with `user_subvol_rm_allowed`.
///
/// Space figures come from qgroups when quotas are enabled (`btrfs quota enable`) and readable (root), else they
/// are unknown; an unprivileged process does not ask for them. Every `btrfs` call runs with `LC_ALL=C TZ=UTC` and a
/// timeout (``BtrfsConfiguration/timeout``).
public struct BtrfsDriver: StorageDriver {
    /// The driver's name in `snappermodule`/`snapperclass` and in errors: `btrfs`.
    public static let vendorName = "btrfs"

    /// The database (configuration section) whose backup subvolume `<root>/<db>` this instance serves.
    public let volumeName: String
    /// The directory on btrfs holding the backup subvolumes, `.snapshots` and `.clones`, without a trailing slash.
    public let root: String
    /// The `btrfs` executable (``BtrfsConfiguration/command``).
    public let command: String
    /// How long each `btrfs` command may run before it is abandoned with `.timeout` (`timeout`, default 300 s).
    public let timeout: Duration
    /// NFS server name for mount strings (`mounthost`); `nil` means clones are used as local directories.
    public let mountHost: String?
    /// Receives the driver's DEBUG/INFO messages and each `btrfs` command line at TRACE.
    public let logger: Logger
    /// Whether qgroups are asked for at all: reading them is a tree search, root only. An unprivileged caller (the
    /// autorestore user) would only make `qgroup show --sync` commit the whole filesystem and then be refused.
    var readsQgroups: Bool

    /// `btrfs`.
    public var vendor: String { Self.vendorName }
    /// Clones (writable snapshots under `.clones`), clone listing and volume creation; clones are local directories.
    /// Space figures need qgroups, so `.spaceUsage` is not promised (``descriptor``'s capabilities).
    public var capabilities: StorageCapabilities { Self.descriptor.capabilities }

    /// Binds the driver to database `volumeName` under `root` (a trailing slash is dropped); does no I/O.
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
        self.readsQgroups = geteuid() == 0
    }

    /// How `btrfs` appears in `backup.cfg`: module, class and section `btrfs`, optional `root`, `mounthost`,
    /// `timeout` and `command`, no credentials; what every `btrfs` driver can do (the one place it is declared).
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, optionalKeys: ["root", "mounthost", "timeout", "command"],
        capabilities: [.clone, .listClones, .createVolume, .localClones, .replication],
        keyReference: [
            ConfigKeyReference(
                "root", section: vendorName, defaultValue: "the directory holding the backup area (`backupdest`)",
                meaning: "The directory (on btrfs) holding the live subvolumes, `.snapshots` and `.clones`.",
                readBy: "driver btrfs", isNew: true),
            ConfigKeyReference(
                "mounthost", section: vendorName, defaultValue: "none (clones are local directories)",
                meaning: "NFS server name for mount strings.", readBy: "driver btrfs", isNew: true),
            ConfigKeyReference(
                "timeout", section: vendorName, defaultValue: "300",
                meaning: "Seconds allowed for each `btrfs` command.", readBy: "driver btrfs", isNew: true),
            ConfigKeyReference(
                "command", section: vendorName, defaultValue: "`btrfs` from `PATH`",
                meaning: "The `btrfs` executable.", readBy: "driver btrfs", isNew: true),
        ])

    /// Builds the driver of `context.databaseName` from its configuration; does no I/O.
    public init(configuration: BtrfsConfiguration, context: StorageDriverContext) throws(StorageError) {
        guard SnapshotNaming.isPortableName(context.databaseName) else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "database name '\(context.databaseName)' cannot be used as a subvolume name")
        }
        self.init(
            volumeName: context.databaseName, root: configuration.root, command: configuration.command,
            timeout: configuration.timeout, mountHost: configuration.mountHost, logger: context.logger)
    }

    /// Registers `btrfs` in `registry`.
    public static func register(in registry: inout StorageDriverRegistry) {
        registry.register(descriptor, configuration: BtrfsConfiguration.self) {
            configuration, context throws(StorageError) in
            try BtrfsDriver(configuration: configuration, context: context)
        }
    }

    // MARK: Paths

    var volumePath: String { "\(root)/\(volumeName)" }
    var snapshotDirectory: String { "\(root)/.snapshots/\(volumeName)" }
    var cloneDirectory: String { "\(root)/.clones" }
    func snapshotPath(_ id: String) -> String { "\(snapshotDirectory)/\(id)" }
    func clonePath(_ name: String) -> String { "\(cloneDirectory)/\(name)" }

    // MARK: Operations

    /// The read-only subvolumes in `.snapshots/<db>` whose parent is the live subvolume, oldest first, with their clone
    /// counts; space figures only when qgroups are readable. Throws `.notFound` when the backup area is missing and
    /// `.invalidConfiguration` when it is not a subvolume.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await scan("listSnapshots", withSpace: true).snapshots.map(\.snapshot)
    }

    /// Takes a read-only snapshot `.snapshots/<db>/<name>` of the live subvolume. Throws `.invalidName`,
    /// `.alreadyExists`, `.permissionDenied` (an unprivileged user must own the subvolume's root) or `.commandFailed`.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try validate(name, "snapshot", operation)
        _ = try volumeEntry(operation)
        guard !exists(snapshotPath(name)) else {
            throw error(.alreadyExists, operation, "snapshot \(name) of \(volumeName) exists already")
        }
        try makeDirectories(snapshotDirectory, operation)
        _ = try await btrfs(
            ["subvolume", "snapshot", "-r", volumePath, snapshotPath(name)], operation,
            permissionHint: "an unprivileged user can snapshot only a subvolume whose root directory it owns")
        logger.debug("Created snapshot: \(name)")
        guard
            let created = try await scan(operation, withSpace: true).snapshots.first(where: { $0.snapshot.id == name })
        else {
            throw error(.unexpectedResponse, operation, "snapshot \(name) was created but is not listed")
        }
        return created.snapshot
    }

    /// Deletes snapshot `id` of this subvolume. Throws `.notFound`, `.notOwned` (an entry there that is not a snapshot
    /// of this subvolume) or `.hasClones` (a clone still has it as parent, although btrfs itself would allow it).
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
            throw error(
                .hasClones, operation, "snapshot \(id) has \(DisplayFormat.count(found.snapshot.cloneCount)) clone(s)")
        }
        try await deleteSubvolume(snapshotPath(id), operation)
        logger.debug("Deleted snapshot: \(id)")
    }

    /// Makes a writable snapshot `.clones/<cloneName>` of snapshot `id`; the clone's mount point is that directory.
    /// Throws `.notFound` for an unknown snapshot and `.alreadyExists` when the name is taken by a clone or a volume.
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
        _ = try await btrfs(
            ["subvolume", "snapshot", snapshotPath(id), clonePath(cloneName)], operation,
            permissionHint: "an unprivileged user can clone only snapshots whose root directory it owns")
        logger.debug("Created clone \(cloneName) of \(volumeName)@\(id)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: clonePath(cloneName))
    }

    /// The subvolumes in `.clones` whose parent UUID is one of this subvolume's snapshots, by name.
    public func listClones() async throws(StorageError) -> [Clone] {
        let scan = try await scan("listClones", withSpace: false)
        return scan.clones.compactMap { name, entry in
            guard let origin = scan.snapshots.first(where: { $0.uuid == entry.parentUUID }) else { return nil }
            return Clone(
                name: name, originVolume: volumeName, originSnapshot: origin.snapshot.id, mountPoint: clonePath(name))
        }.sorted { $0.name < $1.name }
    }

    /// The clone `name` after the ownership checks: `.notFound`, `.notAClone` (not a snapshot subvolume in `.clones`)
    /// or `.notOwned` (a clone of another subvolume's snapshot).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, "cloneInfo")
    }

    /// Deletes the clone subvolume `name` after the same ownership checks as ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        let clone = try await ownedClone(name, operation)
        try await deleteSubvolume(clonePath(name), operation)
        logger.debug("Dropped clone \(clone.name) of \(volumeName)@\(clone.originSnapshot)")
    }

    /// `<mounthost>:<clone directory>` when `mounthost` is set (clones exported over NFS), else the directory.
    public func mountString(clone: Clone) -> String {
        let path = clone.mountPoint ?? clonePath(clone.name)
        return mountHost.map { "\($0):\(path)" } ?? path
    }

    /// Creates the live subvolume `<root>/<db>` (and `root` if missing); `.alreadyExists` when the path exists.
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

    /// The live subvolume; bytes used come from its qgroup and are `nil` when quotas are off or unreadable.
    public func volumeInfo() async throws(StorageError) -> Volume {
        let volume = try volumeEntry("volumeInfo")
        let usage = await qgroups()
        return Volume(name: volumeName, mountPoint: volumePath, spaceUsed: usage?[Int(volume.treeID)]?.referenced)
    }

    // MARK: Implementation

    struct ListedSnapshot {
        var snapshot: Snapshot
        var uuid: String
    }

    struct Scan {
        var volume: SubvolumeInfo
        var snapshots: [ListedSnapshot]
        /// Snapshot subvolumes directly in the clone directory, by name.
        var clones: [String: SubvolumeInfo]
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

    /// Runs `btrfs <arguments>`; a non-zero exit is `.commandFailed` with the error output (`permissionHint` is
    /// added to a permission error).
    func btrfs(_ arguments: [String], _ operation: String, permissionHint: String? = nil) async throws(StorageError)
        -> String
    {
        let result = try await btrfsResult(arguments, operation)
        try check(result, arguments, operation, permissionHint: permissionHint)
        return result.standardOutput
    }

    func check(_ result: DriverCommandResult, _ arguments: [String], _ operation: String, permissionHint: String? = nil)
        throws(StorageError)
    {
        guard result.exitStatus != 0 else { return }
        let detail = result.standardError.split(separator: "\n")
            // Unprivileged runs print this for every delete; it is not the cause of anything.
            .filter { !$0.contains("cannot read default subvolume id") }
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let denied = detail.contains("Operation not permitted") || detail.contains("Permission denied")
        let code: StorageError.Code =
            if denied {
                .permissionDenied
            } else if detail.contains("already exists") || detail.contains("File exists") {
                // Lost a race with a concurrent create of the same name.
                .alreadyExists
            } else {
                .commandFailed
            }
        let hint = denied ? permissionHint.map { " (\($0))" } ?? "" : ""
        throw error(
            code, operation,
            "\(command) \(arguments.joined(separator: " ")) exited with \(result.exitStatus): \(detail)\(hint)")
    }

    /// Deletes the subvolume at `path` (already checked to be ours).
    ///
    /// As root this is one `subvolume delete`. An unprivileged owner needs a btrfs mounted with
    /// `user_subvol_rm_allowed`, and the kernel then also wants write access to the subvolume's root: a read-only
    /// snapshot is made writable first, and made read-only again if the delete still fails.
    func deleteSubvolume(_ path: String, _ operation: String) async throws(StorageError) {
        let arguments = ["subvolume", "delete", "--commit-after", path]
        let hint = "an unprivileged user can delete subvolumes only on a btrfs mounted with user_subvol_rm_allowed"
        let first = try await btrfsResult(arguments, operation)
        guard first.exitStatus != 0, first.standardError.contains("Read-only file system"), geteuid() != 0 else {
            try check(first, arguments, operation, permissionHint: hint)
            return
        }
        logger.debug("Making \(path) writable so that its owner can delete it")
        _ = try await btrfs(["property", "set", "-ts", path, "ro", "false"], operation)
        do {
            _ = try await btrfs(arguments, operation, permissionHint: hint)
        } catch {
            _ = try? await btrfs(["property", "set", "-ts", path, "ro", "true"], operation)
            throw error
        }
    }

    func btrfsResult(_ arguments: [String], _ operation: String) async throws(StorageError) -> DriverCommandResult {
        logger.trace("Running \(command) \(arguments.joined(separator: " "))")
        let result: DriverCommandResult
        do {
            result = try await DriverCommandRunner.run(
                executable: command, arguments: arguments, environment: ["LC_ALL": "C", "TZ": "UTC"],
                timeout: timeout)
        } catch {
            throw self.error(.commandFailed, operation, "\(error)")
        }
        if result.timedOut {
            throw error(
                .timeout, operation, "\(command) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        if !result.outputComplete {
            throw error(
                .commandFailed, operation,
                "\(command) \(arguments.joined(separator: " ")) ended but its output stayed open (a process it started holds it); not trusting a partial answer"
            )
        }
        return result
    }

    /// The live volume's subvolume facts; the volume must be a subvolume root.
    func volumeEntry(_ operation: String) throws(StorageError) -> SubvolumeInfo {
        guard exists(volumePath) else {
            throw error(.notFound, operation, "backup area \(volumePath) does not exist")
        }
        guard let volume = try inspect(volumePath, operation) else {
            throw error(
                .invalidConfiguration, operation,
                "\(volumePath) is not a btrfs subvolume (create it with 'volume create'; Linux 4.18 or later is needed)"
            )
        }
        return volume
    }

    /// Subvolume facts of `path` through the unprivileged ioctl; `nil` when `path` is not a subvolume root.
    func inspect(_ path: String, _ operation: String) throws(StorageError) -> SubvolumeInfo? {
        do {
            return try SubvolumeInspector.info(path)
        } catch {
            switch error {
            case .cannotOpen(let detail):
                throw self.error(.ioFailure, operation, "cannot open \(detail)")
            case .unsupported(let detail):
                throw self.error(.commandFailed, operation, "cannot read the subvolume facts of \(detail)")
            }
        }
    }

    /// The subvolumes directly inside `directory`, by name (entries with non-portable names are ignored).
    func subvolumes(in directory: String, _ operation: String) throws(StorageError) -> [(
        name: String, info: SubvolumeInfo
    )] {
        guard exists(directory) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw self.error(.ioFailure, operation, "cannot list \(directory): \(error)")
        }
        var found: [(name: String, info: SubvolumeInfo)] = []
        for name in names.sorted() where SnapshotNaming.isPortableName(name) {
            if let info = try inspect("\(directory)/\(name)", operation) { found.append((name, info)) }
        }
        return found
    }

    /// Level-0 qgroup usage by subvolume id, or `nil` when quotas are off.
    func qgroups() async -> [Int: QgroupUsage]? {
        guard readsQgroups else { return nil }
        guard let result = try? await btrfsResult(["qgroup", "show", "--raw", "--sync", root], "qgroupShow"),
            result.exitStatus == 0
        else { return nil }
        return BtrfsOutput.parseQgroups(result.standardOutput)
    }

    /// Reads the volume, the snapshot directory and the clone directory without privileges: a directory scan
    /// plus one `GET_SUBVOL_INFO` per entry. A snapshot is a subvolume in the snapshot directory whose parent is
    /// the live volume; a clone is a subvolume in the clone directory (its origin is found by parent UUID).
    func scan(_ operation: String, withSpace: Bool) async throws(StorageError) -> Scan {
        let volume = try volumeEntry(operation)
        let usage = withSpace ? await qgroups() : nil
        // A clone is a snapshot: a subvolume made with `subvolume create` (no parent) is not one.
        let cloneEntries = try subvolumes(in: cloneDirectory, operation).filter { $0.info.parentUUID != nil }
        var clonesPerParent: [String: Int] = [:]
        for entry in cloneEntries { clonesPerParent[entry.info.parentUUID!, default: 0] += 1 }

        var snapshots: [ListedSnapshot] = []
        for (name, info) in try subvolumes(in: snapshotDirectory, operation) where info.parentUUID == volume.uuid {
            let space = usage?[Int(info.treeID)]
            snapshots.append(
                ListedSnapshot(
                    snapshot: Snapshot(
                        id: name, creation: info.creation, spaceTotal: space?.referenced,
                        spaceUnique: space?.exclusive, cloneCount: clonesPerParent[info.uuid, default: 0]),
                    uuid: info.uuid))
        }
        snapshots.sort { $0.snapshot.creation < $1.snapshot.creation }
        var clones: [String: SubvolumeInfo] = [:]
        for entry in cloneEntries { clones[entry.name] = entry.info }
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
