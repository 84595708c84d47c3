import ConfigModel
import Foundation
import Logging
import StorageKit

/// Storage driver for OpenZFS through the `zfs` command, on this host (or through a wrapper such as `sudo -n zfs`).
///
/// Layout under the parent file system ``OpenZFSConfiguration/dataset`` (e.g. `tank/backup`):
/// - `<dataset>/<db>`: the database's backup area, a file system;
/// - `<dataset>/<db>@<snapshot>`: its snapshots;
/// - `<dataset>/<clone>`: clones of those snapshots, mounted where ZFS mounts them (the `mountpoint` property);
///   a clone belongs to this database when its `origin` is one of `<dataset>/<db>@…`.
///
/// Locks (`snaplockdays`) are a user hold ``holdTag`` on the snapshot plus the expiry in the user property
/// ``lockExpiryProperty`` (epoch seconds). Nobody can destroy a held snapshot; this driver releases its own tag, and
/// only once the recorded expiry has passed. Holds of other tags are never released.
///
/// Every query is `zfs get -H -p`, which current OpenZFS and the old zfs-fuse print alike (exact bytes and epoch
/// seconds); `written` is asked for only where `zfs` knows it. No command ever uses `-r`/`-R` to destroy.
public struct OpenZFSDriver: StorageDriver {
    /// The driver's name in `snappermodule`/`snapperclass` and in errors: `openzfs`.
    public static let vendorName = "openzfs"
    /// The user hold tag this driver places and releases: `oib-lock`.
    public static let holdTag = "oib-lock"
    /// The user property holding a lock's expiry in epoch seconds: `oib:lockeduntil`.
    public static let lockExpiryProperty = "oib:lockeduntil"

    /// The database (configuration section) whose backup area `<dataset>/<db>` this instance serves.
    public let volumeName: String
    /// The parent file system, without a trailing slash.
    public let dataset: String
    /// The `zfs` command as words (``OpenZFSConfiguration/command``).
    public let command: [String]
    /// How long each `zfs` command may run before it is abandoned with `.timeout`.
    public let timeout: Duration
    /// NFS server name for mount strings; `nil` means clones are used where they are mounted on this host.
    public let mountHost: String?
    /// The `sharenfs` value given to new clones; `nil` keeps the inherited one.
    public let shareNFS: String?
    /// Receives the driver's DEBUG/INFO messages and each `zfs` command line at TRACE.
    public let logger: Logger
    private let features = ZFSFeatures()

    /// `openzfs`.
    public var vendor: String { Self.vendorName }
    /// Clones, clone listing, space figures, volume creation and locks (holds); clones are local directories
    /// (``StorageCapabilities/localClones``) unless `mounthost` names an NFS server.
    public var capabilities: StorageCapabilities {
        mountHost == nil ? Self.descriptor.capabilities.union(.localClones) : Self.descriptor.capabilities
    }

    /// How `openzfs` appears in `backup.cfg`: module, class and section `openzfs`, required `dataset`, optional
    /// `zfs`, `timeout`, `mounthost` and `sharenfs`, no credentials.
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, requiredKeys: ["dataset"], optionalKeys: ["zfs", "timeout", "mounthost", "sharenfs"],
        capabilities: [.clone, .listClones, .spaceUsage, .createVolume, .lock, .replication],
        keyReference: [
            ConfigKeyReference(
                "dataset", section: vendorName, requiredFor: "snapshots",
                meaning:
                    "The parent file system, e.g. `tank/backup`: the backup area is `<dataset>/<db>`, clones are `<dataset>/<clone>`.",
                readBy: "driver openzfs", isNew: true),
            ConfigKeyReference(
                "zfs", section: vendorName, defaultValue: "zfs",
                meaning: "The `zfs` command as words, e.g. `sudo -n zfs`.", readBy: "driver openzfs", isNew: true),
            ConfigKeyReference(
                "timeout", section: vendorName, defaultValue: "300",
                meaning: "Seconds allowed for each `zfs` command.", readBy: "driver openzfs", isNew: true),
            ConfigKeyReference(
                "mounthost", section: vendorName, defaultValue: "none (clones are used where they are mounted)",
                meaning: "NFS server name for mount strings (`<mounthost>:<mountpoint>`).", readBy: "driver openzfs",
                isNew: true),
            ConfigKeyReference(
                "sharenfs", section: vendorName, defaultValue: "inherited from `dataset`",
                meaning: "The `sharenfs` property given to each new clone (e.g. `on` or `rw=@10.0.0.0/8`).",
                readBy: "driver openzfs", isNew: true),
        ])

    /// Binds the driver to database `volumeName` under `dataset` (a trailing slash is dropped); does no I/O.
    public init(
        volumeName: String, dataset: String, command: [String] = ["zfs"], timeout: Duration = .seconds(300),
        mountHost: String? = nil, shareNFS: String? = nil, logger: Logger
    ) {
        self.volumeName = volumeName
        self.dataset = dataset.hasSuffix("/") ? String(dataset.dropLast()) : dataset
        self.command = command.isEmpty ? ["zfs"] : command
        self.timeout = timeout
        self.mountHost = mountHost
        self.shareNFS = shareNFS
        self.logger = logger
    }

    /// Builds the driver of `context.databaseName` from its configuration; does no I/O.
    public init(configuration: OpenZFSConfiguration, context: StorageDriverContext) throws(StorageError) {
        guard SnapshotNaming.isPortableName(context.databaseName) else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "database name '\(context.databaseName)' cannot be used as a ZFS file system name")
        }
        self.init(
            volumeName: context.databaseName, dataset: configuration.dataset, command: configuration.command,
            timeout: configuration.timeout, mountHost: configuration.mountHost, shareNFS: configuration.shareNFS,
            logger: context.logger)
    }

    /// Registers `openzfs` in `registry`.
    public static func register(in registry: inout StorageDriverRegistry) {
        registry.register(descriptor, configuration: OpenZFSConfiguration.self) {
            configuration, context throws(StorageError) in
            try OpenZFSDriver(configuration: configuration, context: context)
        }
    }

    // MARK: Names

    /// `<dataset>/<db>`, the backup area.
    public var area: String { "\(dataset)/\(volumeName)" }
    /// `<dataset>/<db>@<id>`.
    func snapshotName(_ id: String) -> String { "\(area)@\(id)" }
    /// `<dataset>/<clone>`.
    func cloneDataset(_ name: String) -> String { "\(dataset)/\(name)" }

    // MARK: Snapshots

    /// A snapshot with everything `zfs` says about its space, `written` included where `zfs` has it.
    public struct SnapshotDetails: Sendable, Hashable {
        /// The snapshot as every driver reports it (`spaceTotal` is `referenced`, `spaceUnique` is `used`).
        public var snapshot: Snapshot
        /// Bytes written to the file system between the previous snapshot and this one; `nil` on a `zfs` without
        /// the `written` property (zfs-fuse).
        public var written: Int64?
    }

    /// Snapshots of the backup area, oldest first, with creation time, `referenced`/`used`, the number of clones
    /// under `dataset` and the lock (a hold; its expiry from ``lockExpiryProperty``). `.notFound` without the area.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await listSnapshotDetails().map(\.snapshot)
    }

    /// ``listSnapshots()`` with the `written` figure of each snapshot.
    public func listSnapshotDetails() async throws(StorageError) -> [SnapshotDetails] {
        let operation = "listSnapshots"
        let records = try await snapshotRecords(operation)
        let clones = try await cloneRecords(operation)
        var counts: [String: Int] = [:]
        for clone in clones { counts[clone.origin, default: 0] += 1 }
        return records.map { details(from: $0, clones: counts[$0.name, default: 0]) }
            .sorted { $0.snapshot.creation < $1.snapshot.creation }
    }

    /// Takes snapshot `<dataset>/<db>@<name>`. Throws `.invalidName`, `.alreadyExists` or `.notFound` (no area).
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await createSnapshot(named: name, lockedUntil: nil)
    }

    /// Takes snapshot `name` and, with `lockedUntil`, records the expiry and places the hold before returning.
    public func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try validate(name, "snapshot", operation)
        _ = try await zfs(["snapshot", snapshotName(name)], operation)
        logger.debug("Created snapshot \(snapshotName(name))")
        if let lockedUntil {
            do {
                try await placeLock(name, until: lockedUntil, operation)
            } catch {
                throw self.error(
                    error.code, operation, "snapshot \(name) was created but not locked: \(error.message)")
            }
        }
        return try await snapshotDetails(name, operation).snapshot
    }

    /// Destroys snapshot `id` of the area (never with `-r`/`-R`/`-d`). Throws `.notFound`, `.hasClones`, and
    /// `.locked` while it is held: held by this tool until a future expiry, or held by another tag. A hold of this
    /// tool whose expiry has passed is released first.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        try validate(id, "snapshot", operation)
        let found = try await snapshotDetails(id, operation).snapshot
        if let clones = found.cloneCount, clones > 0 {
            throw error(.hasClones, operation, "snapshot \(id) of \(area) has \(clones) clone(s); drop them first")
        }
        if found.isLocked {
            try await releaseExpiredHold(found, operation)
        }
        _ = try await zfs(["destroy", snapshotName(id)], operation)
        logger.debug("Destroyed snapshot \(snapshotName(id))")
    }

    // MARK: Locks

    /// Holds snapshot `id` with ``holdTag`` until `until`, recorded in ``lockExpiryProperty``; an expiry already
    /// recorded later is kept (a lock is never shortened).
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        let operation = "lockSnapshot"
        try validate(id, "snapshot", operation)
        let current = try await snapshotDetails(id, operation).snapshot
        let expiry = max(until, current.lockedUntil ?? until)
        try await placeLock(id, until: expiry, operation)
    }

    /// Releases this tool's hold on snapshot `id` once its recorded expiry has passed (`.locked` before it).
    /// Holds of other tags stay.
    public func unlockSnapshot(id: String) async throws(StorageError) {
        let operation = "unlockSnapshot"
        try validate(id, "snapshot", operation)
        let found = try await snapshotDetails(id, operation).snapshot
        guard found.isLocked else { return }
        if let until = found.lockedUntil, until > Date() {
            throw lockedError(id, until, operation)
        }
        _ = try await releaseOwnHold(id, operation)
    }

    /// Records the expiry, then places the hold (an existing hold of this tool is kept).
    func placeLock(_ id: String, until: Date, _ operation: String) async throws(StorageError) {
        let seconds = Int64(until.timeIntervalSince1970.rounded(.up))
        _ = try await zfs(["set", "\(Self.lockExpiryProperty)=\(seconds)", snapshotName(id)], operation)
        let result = try await run(["hold", Self.holdTag, snapshotName(id)], operation)
        if result.exitStatus != 0, !result.standardError.contains("tag already exists") {
            try check(result, ["hold", Self.holdTag, snapshotName(id)], operation)
        }
        logger.debug("Held \(snapshotName(id)) until \(DisplayFormat.utcTimestamp(until)) UTC")
    }

    /// For a held snapshot about to be destroyed: `.locked` unless this tool recorded an expiry that has passed,
    /// then releases this tool's hold (other holds make the destroy fail with `.locked`).
    func releaseExpiredHold(_ snapshot: Snapshot, _ operation: String) async throws(StorageError) {
        guard let until = snapshot.lockedUntil else {
            throw error(
                .locked, operation,
                "snapshot \(snapshot.id) of \(area) is held (zfs holds) without an expiry recorded by this tool; whoever placed the hold must release it"
            )
        }
        guard until <= Date() else { throw lockedError(snapshot.id, until, operation) }
        if try await releaseOwnHold(snapshot.id, operation) {
            logger.info(
                "Released the expired hold of snapshot \(snapshot.id) (locked until \(DisplayFormat.utcTimestamp(until)) UTC)"
            )
        }
    }

    /// `zfs release <holdTag>`; `false` when the snapshot has no hold of that tag.
    func releaseOwnHold(_ id: String, _ operation: String) async throws(StorageError) -> Bool {
        let arguments = ["release", Self.holdTag, snapshotName(id)]
        let result = try await run(arguments, operation)
        if result.exitStatus != 0, result.standardError.contains("no such tag") { return false }
        try check(result, arguments, operation)
        return true
    }

    func lockedError(_ id: String, _ until: Date, _ operation: String) -> StorageError {
        error(
            .locked, operation,
            "snapshot \(id) of \(area) is locked until \(DisplayFormat.utcTimestamp(until)) UTC (snaplockdays)")
    }

    // MARK: Clones

    /// Clones snapshot `id` to `<dataset>/<cloneName>` (with `sharenfs` when configured) and returns it with the
    /// mount point ZFS gave it. Throws `.notFound` for an unknown snapshot and `.alreadyExists` for a taken name.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try validate(id, "snapshot", operation)
        try validate(cloneName, "clone", operation)
        _ = try await snapshotDetails(id, operation)
        var arguments = ["clone"]
        if let shareNFS { arguments += ["-o", "sharenfs=\(shareNFS)"] }
        arguments += [snapshotName(id), cloneDataset(cloneName)]
        _ = try await zfs(arguments, operation)
        logger.debug("Created clone \(cloneDataset(cloneName)) of \(snapshotName(id))")
        return try await ownedClone(cloneName, operation)
    }

    /// The file systems directly under `dataset` whose `origin` is a snapshot of the area, by name.
    public func listClones() async throws(StorageError) -> [Clone] {
        try await cloneRecords("listClones").filter { $0.origin.hasPrefix("\(area)@") }
            .map { clone(from: $0) }.sorted { $0.name < $1.name }
    }

    /// The clone `name` after the ownership checks: `.notFound`, `.notAClone` (no `origin`) or `.notOwned` (the
    /// origin is not a snapshot of this area).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, "cloneInfo")
    }

    /// Destroys `<dataset>/<name>` (never with `-r`/`-R`) after the ownership checks of ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        let clone = try await ownedClone(name, operation)
        // Unmount first, then destroy: `zfs destroy` unmounts by itself, but a FUSE mount (zfs-fuse) can still be
        // busy for a moment after its last use, so a busy file system gets a few short retries.
        let unmount = ["unmount", cloneDataset(name)]
        let unmounted = try await run(unmount, operation)
        if unmounted.exitStatus != 0, !unmounted.standardError.contains("not currently mounted") {
            try check(unmounted, unmount, operation)
        }
        let destroy = ["destroy", cloneDataset(name)]
        var attempt = 1
        while true {
            let result = try await run(destroy, operation)
            if result.exitStatus == 0 { break }
            guard result.standardError.contains("dataset is busy"), attempt < 5 else {
                try check(result, destroy, operation)
                break
            }
            logger.debug("\(cloneDataset(name)) is busy; trying again (attempt \(attempt + 1) of 5)")
            try? await Task.sleep(for: .milliseconds(300 * attempt))
            attempt += 1
        }
        logger.debug("Dropped clone \(cloneDataset(name)) of \(area)@\(clone.originSnapshot)")
    }

    /// `<mounthost>:<mountpoint>` for NFS clients when `mounthost` is set, else the local mount point.
    public func mountString(clone: Clone) -> String {
        let path = clone.mountPoint ?? "/\(cloneDataset(clone.name))"
        return mountHost.map { "\($0):\(path)" } ?? path
    }

    // MARK: Volume

    /// `zfs create -p <dataset>/<db>`; `.alreadyExists` when it exists.
    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        if try await properties(area, ["type"], depth: nil, operation, missingIsEmpty: true).first != nil {
            throw error(.alreadyExists, operation, "\(area) exists already")
        }
        _ = try await zfs(["create", "-p", area], operation)
        logger.info("Created file system \(area)")
        return try await volumeInfo(operation)
    }

    /// The backup area with its mount point and `used` bytes; `.notFound` when it does not exist.
    public func volumeInfo() async throws(StorageError) -> Volume {
        try await volumeInfo("volumeInfo")
    }

    func volumeInfo(_ operation: String) async throws(StorageError) -> Volume {
        guard let record = try await properties(area, ["mountpoint", "used"], depth: nil, operation).first else {
            throw error(.notFound, operation, "backup area \(area) does not exist")
        }
        return Volume(name: volumeName, mountPoint: mountPath(record), spaceUsed: record.number("used"))
    }

    // MARK: Implementation

    struct CloneRecord {
        var name: String
        var origin: String
        var mountpoint: String?
    }

    func error(_ code: StorageError.Code, _ operation: String, _ message: String) -> StorageError {
        StorageError(code, vendor: vendor, operation: operation, message: message)
    }

    func validate(_ name: String, _ what: String, _ operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.invalidName, operation, "invalid \(what) name '\(name)'")
        }
    }

    /// A mount point from a record: `none`, `legacy` and unset mean none.
    func mountPath(_ record: ZFSProperties) -> String? {
        guard let path = record.values["mountpoint"], path.hasPrefix("/") else { return nil }
        return path
    }

    /// The snapshot records of the area (`zfs get -r -d 1` on the area, snapshots only).
    func snapshotRecords(_ operation: String) async throws(StorageError) -> [ZFSProperties] {
        var wanted = ["creation", "used", "referenced", "userrefs", Self.lockExpiryProperty]
        if features.written != false { wanted.append("written") }
        let records: [ZFSProperties]
        do {
            records = try await properties(area, wanted, depth: 1, operation)
            if features.written == nil { features.written = wanted.contains("written") }
        } catch let failure where features.written == nil && failure.message.contains("invalid property 'written'") {
            features.written = false
            logger.debug("\(command.joined(separator: " ")) has no 'written' property (an old zfs)")
            return try await snapshotRecords(operation)
        }
        return records.filter { $0.name.hasPrefix("\(area)@") }
    }

    /// One snapshot of the area with its clone count; `.notFound` when there is no such snapshot.
    func snapshotDetails(_ id: String, _ operation: String) async throws(StorageError) -> SnapshotDetails {
        guard let record = try await snapshotRecords(operation).first(where: { $0.name == snapshotName(id) }) else {
            throw error(.notFound, operation, "snapshot \(id) of \(area) does not exist")
        }
        let clones = try await cloneRecords(operation).filter { $0.origin == record.name }.count
        return details(from: record, clones: clones)
    }

    func details(from record: ZFSProperties, clones: Int) -> SnapshotDetails {
        let id = String(record.name.dropFirst(area.count + 1))
        let held = (record.number("userrefs") ?? 0) > 0
        let expiry = record.number(Self.lockExpiryProperty).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        return SnapshotDetails(
            snapshot: Snapshot(
                id: id, creation: record.creation ?? Date(timeIntervalSince1970: 0),
                spaceTotal: record.number("referenced"), spaceUnique: record.number("used"), cloneCount: clones,
                isLocked: held, lockedUntil: held ? expiry : nil),
            written: record.number("written"))
    }

    /// The file systems directly under `dataset` that have an `origin` (clones of any snapshot).
    func cloneRecords(_ operation: String) async throws(StorageError) -> [CloneRecord] {
        try await properties(dataset, ["origin", "mountpoint"], depth: 1, operation).compactMap { record in
            guard record.name.hasPrefix("\(dataset)/"), !record.name.contains("@"),
                let origin = record.values["origin"]
            else { return nil }
            return CloneRecord(name: record.name, origin: origin, mountpoint: mountPath(record))
        }
    }

    func clone(from record: CloneRecord) -> Clone {
        let name = String(record.name.dropFirst(dataset.count + 1))
        let snapshot = String(record.origin.dropFirst(area.count + 1))
        return Clone(name: name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.mountpoint)
    }

    /// The clone `<dataset>/<name>` after the ownership checks.
    func ownedClone(_ name: String, _ operation: String) async throws(StorageError) -> Clone {
        guard SnapshotNaming.isPortableName(name) else {
            throw error(.notFound, operation, "no clone named '\(name)'")
        }
        guard
            let record = try await properties(
                cloneDataset(name), ["type", "origin", "mountpoint"], depth: nil, operation, missingIsEmpty: true
            ).first
        else {
            throw error(.notFound, operation, "clone \(cloneDataset(name)) does not exist")
        }
        guard let origin = record.values["origin"] else {
            throw error(.notAClone, operation, "\(cloneDataset(name)) is not a clone (it has no origin); refusing")
        }
        guard origin.hasPrefix("\(area)@") else {
            throw error(
                .notOwned, operation,
                "\(cloneDataset(name)) is a clone of \(origin), not of a snapshot of \(area); refusing")
        }
        return clone(from: CloneRecord(name: record.name, origin: origin, mountpoint: mountPath(record)))
    }

    /// `zfs get -H -p -o name,property,value <properties> [-r -d <depth>] <target>`, grouped by dataset. A missing
    /// target is `.notFound`, or no records with `missingIsEmpty`.
    func properties(
        _ target: String, _ wanted: [String], depth: Int?, _ operation: String, missingIsEmpty: Bool = false
    ) async throws(StorageError) -> [ZFSProperties] {
        var arguments = ["get", "-H", "-p"]
        if let depth { arguments += ["-r", "-d", String(depth)] }
        arguments += ["-o", "name,property,value", wanted.joined(separator: ","), target]
        let result = try await run(arguments, operation)
        if result.exitStatus != 0, missingIsEmpty, result.standardError.contains("dataset does not exist") {
            return []
        }
        try check(result, arguments, operation)
        return ZFSOutput.parseGet(result.standardOutput)
    }

    /// Runs `zfs <arguments>`; a non-zero exit is a StorageError with the command line and its error output.
    func zfs(_ arguments: [String], _ operation: String) async throws(StorageError) -> String {
        let result = try await run(arguments, operation)
        try check(result, arguments, operation)
        return result.standardOutput
    }

    /// Maps a failed command to its error code: `.notFound` (dataset does not exist), `.alreadyExists`,
    /// `.hasClones` (dependent clones), `.locked` (a held snapshot is busy), `.permissionDenied`, else
    /// `.commandFailed`; the message holds the command line and the first lines of its error output.
    func check(_ result: DriverCommandResult, _ arguments: [String], _ operation: String) throws(StorageError) {
        guard result.exitStatus != 0 else { return }
        let lines = result.standardError.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // A usage error prints the whole property table after the reason: keep the reason.
        let cut = lines.firstIndex(where: { $0.hasPrefix("usage:") }) ?? lines.endIndex
        let detail = lines[..<cut].filter { !$0.isEmpty }.joined(separator: "; ")
        let code: StorageError.Code =
            if detail.contains("dataset does not exist") {
                .notFound
            } else if detail.contains("already exists") {
                .alreadyExists
            } else if detail.contains("dependent clones") {
                .hasClones
            } else if detail.contains("dataset is busy") && arguments.first == "destroy"
                && arguments.last?
                    .contains("@") == true
            {
                .locked
            } else if detail.contains("permission denied") || detail.contains("Permission denied")
                || detail.contains("a password is required")
            {
                .permissionDenied
            } else {
                .commandFailed
            }
        throw error(
            code, operation,
            "\((command + arguments).joined(separator: " ")) exited with \(result.exitStatus): \(detail.isEmpty ? "no error output" : detail)"
        )
    }

    /// Runs the command with `LC_ALL=C` and the timeout; only a command that cannot start or times out throws.
    func run(_ arguments: [String], _ operation: String) async throws(StorageError) -> DriverCommandResult {
        let line = (command + arguments).joined(separator: " ")
        logger.trace("Running \(line)")
        let result: DriverCommandResult
        do {
            result = try await DriverCommandRunner.run(
                executable: Self.resolve(command[0]), arguments: Array(command.dropFirst()) + arguments,
                environment: ["LC_ALL": "C", "TZ": "UTC"], timeout: timeout)
        } catch {
            throw self.error(.commandFailed, operation, "\(error)")
        }
        if result.timedOut {
            throw error(.timeout, operation, "\(line) did not finish within \(timeout)")
        }
        if !result.outputComplete {
            throw error(
                .commandFailed, operation,
                "\(line) ended but its output stayed open (a process it started holds it); not trusting a partial answer"
            )
        }
        return result
    }
}

extension OpenZFSDriver {
    /// The executable for a bare command name: the first in `PATH`, then in the standard directories (`zfs` lives
    /// in an `sbin`, which the `PATH` of cron or `su` lacks; a bare environment has no `PATH` at all); a name with
    /// a `/` is used as it is.
    static func resolve(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String {
        guard !name.contains("/") else { return name }
        let directories =
            (path ?? "").split(separator: ":").map(String.init) + [
                "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
            ]
        for directory in directories where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }
}

/// What this driver learned about its `zfs` (whether it knows `written`), shared by copies of the driver.
final class ZFSFeatures: @unchecked Sendable {
    private let lock = NSLock()
    private var knowsWritten: Bool?

    /// `nil` until the first listing.
    var written: Bool? {
        get { lock.withLock { knowsWritten } }
        set { lock.withLock { knowsWritten = newValue } }
    }
}
