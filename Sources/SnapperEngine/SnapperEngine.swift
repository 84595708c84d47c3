import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StorageKit
import StorageRetention
import ToolSupport

/// Why a snapper operation did not run or was refused, with its exit code (see `ActionFailure`).
public typealias SnapperFailure = ActionFailure

/// The operations of `snapper` (the original's zsnapper and zvolume) on one database's storage, as typed calls:
/// snapshots under the backup lock, listings, clones, the autorestore clone, retention and the guarded manual drop.
///
/// It prints nothing: listings and outcomes are returned, messages go to ``logger``.
public struct SnapperEngine: Sendable {
    /// The database's settings (backup area, lock wait, autorestore clone name and snapshot age, age-check limits).
    public var settings: DatabaseSettings
    /// The driver bound to the database's backup volume.
    public var storage: any StorageDriver
    /// The configuration file's path, for messages.
    public var configurationPath: String
    /// The database's retention rules; throws a message naming the key when they are invalid.
    public var retention: @Sendable () throws(RetentionConfigurationError) -> RetentionConfiguration
    /// Which snapshots passed an autorestore (`snapkeepverified`), asked before anything is dropped.
    public var verifiedSnapshots: @Sendable (RetentionConfiguration) async -> VerifiedSnapshots
    /// What the database's off-site copy holds (`[replication]`), asked before anything is dropped so that the base
    /// of its next incremental copy is kept; `.none` without one.
    public var offsiteCopyBase: @Sendable () async -> OffsiteCopyBase = { .none }
    /// Receives the engine's messages; it prints nothing itself.
    public var logger: Logger
    /// The current time, for clone names, the autorestore snapshot's minimum age and retention; injectable for tests.
    public var clock: @Sendable () -> Date

    /// Operations on `storage` for the database of `settings`.
    public init(
        settings: DatabaseSettings, storage: any StorageDriver, configurationPath: String,
        retention: @escaping @Sendable () throws(RetentionConfigurationError) -> RetentionConfiguration,
        verifiedSnapshots: @escaping @Sendable (RetentionConfiguration) async -> VerifiedSnapshots,
        logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.settings = settings
        self.storage = storage
        self.configurationPath = configurationPath
        self.retention = retention
        self.verifiedSnapshots = verifiedSnapshots
        self.logger = logger
        self.clock = clock
    }

    /// `create`: where the backup area is on this host, under its backup lock (waiting up to `maxlockwait` for a
    /// running backup), whose file is removed before the snapshot is taken (no lock file in the snapshot). With
    /// `snaplockdays` the snapshot is locked on the storage for that many days.
    public func createSnapshot() async throws -> Snapshot {
        let lockDays = settings.snapshotLockDays
        var isDirectory: ObjCBool = false
        guard let area = settings.backupDestination,
            FileManager.default.fileExists(atPath: area, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            logger.debug("The backup area is not on this host; the snapshot is taken without its lock")
            return try await storage.createTimestampedSnapshot(logger: logger, lockDays: lockDays)
        }
        let lock: HardLinkLock
        do {
            lock = try await HardLinkLock.acquire(
                directory: area, maxWait: .seconds(60 * (settings.generic.maxLockWaitMinutes ?? 0)),
                snapshotPending: true, logger: logger)
        } catch let error as LockError where error.reason == .directoryUnusable {
            // As the original did: the snapshot is taken through the storage, the area need not be writable here.
            logger.warning("\(error.description); the snapshot is taken without the backup lock")
            return try await storage.createTimestampedSnapshot(logger: logger, lockDays: lockDays)
        } catch let error as LockError {
            throw SnapperFailure(error.description, exitCode: 2)
        }
        defer { lock.release() }
        return try await lock.releasing {
            try await storage.createTimestampedSnapshot(logger: logger, lockDays: lockDays)
        }
    }

    /// The snapshots, oldest first.
    public func snapshots() async throws(StorageError) -> [Snapshot] {
        try await storage.listSnapshots().sortedByCreation()
    }

    /// `clone <snapshot>`: a clone named for the snapshot and the time, and the driver's mount string for it.
    public func clone(snapshot: String) async throws(StorageError) -> (clone: Clone, mountString: String) {
        let clone = try await storage.cloneSnapshot(
            id: snapshot, cloneName: SnapshotNaming.cloneName(snapshot: snapshot, date: clock()))
        return (clone, storage.mountString(clone: clone))
    }

    /// `autorestoreclonename` of `[autorestore]`.
    public func autorestoreCloneName() throws(SnapperFailure) -> String {
        guard let name = settings.autorestore.cloneName, !name.isEmpty else {
            throw SnapperFailure(
                "\(configurationPath): [autorestore] autorestoreclonename: required key is missing", exitCode: 2)
        }
        return name
    }

    /// `autoclone`: the newest snapshot at least `autorestoresnapage` hours old, cloned as the autorestore clone
    /// (the same choice as autorestore's).
    public func autoclone() async throws -> (name: String, snapshot: Snapshot) {
        let name = try autorestoreCloneName()
        let selection = await SnapshotSelection.autocloneCandidate(
            from: try await storage.listSnapshots(), minimumAgeHours: settings.autorestore.snapshotAgeHours ?? 0,
            now: clock(), logger: logger)
        guard let snapshot = selection.selected else { throw SnapperFailure(AutocloneSelection.notFoundMessage) }
        _ = try await storage.cloneSnapshot(id: snapshot.id, cloneName: name)
        return (name, snapshot)
    }

    /// `dropautoclone`: drops the autorestore clone (the driver drops only a clone of this database).
    public func dropAutoclone() async throws {
        try await storage.dropClone(name: try autorestoreCloneName())
    }

    /// The database's retention rules.
    /// - Throws: ``SnapperFailure`` (exit 2) naming the file, the section and the key.
    public func retentionConfiguration() throws(SnapperFailure) -> RetentionConfiguration {
        do {
            return try retention()
        } catch {
            throw SnapperFailure("\(configurationPath): [\(settings.name)] \(error.description)", exitCode: 2)
        }
    }

    /// `clean --dry-run`: the retention plan (a failed listing gives a plan that drops nothing, and its error).
    public func planRetention() async throws(SnapperFailure) -> (RetentionPlan, StorageError?) {
        let rules = try retentionConfiguration()
        return await SnapshotRetention.plan(
            storage: storage, configuration: rules, verified: await verifiedSnapshots(rules), now: clock(),
            offsiteCopyBase: await offsiteCopyBase())
    }

    /// `clean`: applies retention; the outcome tells what was kept, dropped or could not be dropped.
    public func applyRetention() async throws(SnapperFailure) -> RetentionOutcome {
        let rules = try retentionConfiguration()
        return await SnapshotRetention.apply(
            storage: storage, configuration: rules, verified: await verifiedSnapshots(rules), now: clock(),
            offsiteCopyBase: await offsiteCopyBase(), logger: logger)
    }

    /// `dropsnap <id>`: drops one snapshot by hand, refusing locked, cloned (or unknown clone count),
    /// compliance-window and newest verified snapshots, the base of the off-site copy's next incremental copy, and any
    /// snapshot while the results catalog or the off-site copy cannot be read or the clocks disagree.
    public func dropSnapshot(_ id: String) async throws {
        let rules = try retentionConfiguration()
        let listing = try await storage.listSnapshots().map(SnapshotRetention.record)
        guard let snapshot = listing.first(where: { $0.id == id }) else {
            throw SnapperFailure("snapshot \(id) is not a snapshot of \(storage.volumeName)")
        }
        let verified = await verifiedSnapshots(rules)
        let now = clock()
        if let refusal = rules.safety.manualDropRefusal(
            for: snapshot, listing: listing, verified: verified, now: now, offsiteCopyBase: await offsiteCopyBase())
        {
            if let skew = rules.safety.clockSkew(in: listing, now: now) { logger.error("dropsnap: \(skew)") }
            throw SnapperFailure(refusal.description)
        }
        try await storage.deleteSnapshot(id: id)
    }
}
