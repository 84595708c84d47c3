import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKit
import ToolSupport

/// How the clone becomes a directory on this host.
public enum CloneMounting: Sendable {
    /// Local copy-on-write drivers (localfs, btrfs): the clone already is a local directory.
    case direct
    /// NFS appliances: run `mount` / `umount` commands (each `[program, arguments…]`) on the mount point. Any
    /// ``mountStringPlaceholder`` in an argument becomes the driver's mount string of the clone (e.g.
    /// `filer:/export/autorestore`) when the command runs.
    case commands(mount: [String], unmount: [String], mountPoint: String)

    /// `${mountstring}`: replaced by `StorageDriver.mountString(clone:)` of the clone being mounted/unmounted.
    public static let mountStringPlaceholder = "${mountstring}"

    /// `command` with ``mountStringPlaceholder`` replaced by `mountString` in every argument.
    public static func substitute(_ command: [String], mountString: String) -> [String] {
        command.map { $0.replacingOccurrences(of: mountStringPlaceholder, with: mountString) }
    }
}

/// What to do when a rule is broken that does not always mean a bad backup.
public enum FindingPolicy: String, Sendable {
    case warn
    case fail
}

/// A manual point-in-time copy (the original's restore.py): a chosen snapshot, recovery to the requested time,
/// the DBA's SID; the instance is left open read only and the clone is kept (the DBA cleans up).
public struct PointInTimeRequest: Sendable {
    /// Recovery target in the database host's local time, `yyyy-MM-dd HH:mm:ss`.
    public var targetTime: String
    /// The new instance's SID (1 to 8 letters or digits), chosen by the DBA.
    public var sid: String
    /// The snapshot to clone and restore from.
    public var snapshotID: String
    /// The name of the clone made on the storage and kept for the DBA.
    public var cloneName: String
    /// An instant restore's primary storage directory (`restore --instant --move-to`): the instance's controlfile,
    /// online logs, new files and recovery area go there, and the database opens READ WRITE with resetlogs instead
    /// of READ ONLY. Nil for a point-in-time copy.
    public var instantDestination: String?
    /// The work directory of a copy is created inside the clone; an instant restore's is
    /// ``InstantRestore/workArea(destination:database:)``, on the primary storage.
    public init(
        targetTime: String, sid: String, snapshotID: String, cloneName: String, instantDestination: String? = nil
    ) {
        self.targetTime = targetTime
        self.sid = sid
        self.snapshotID = snapshotID
        self.cloneName = cloneName
        self.instantDestination = instantDestination
    }
}

/// The outcome of one autorestore: what the catalog records.
public struct AutorestoreResult: Sendable {
    /// The database (configuration section) restored.
    public var database: String
    /// When the job started.
    public var startedAt: Date
    /// When the job ended, after the clean-up.
    public var finishedAt: Date
    /// Why the restore failed; `nil` when it passed.
    public var failure: RestoreFailure?
    /// The snapshot cloned last (the one restored, unless the run stopped); `nil` when none was cloned.
    public var snapshotID: String?
    /// The clone made of it (the catalog's restore target); `nil` when none was made.
    public var cloneName: String?
    /// The recovery target, `lasttime` of the snapshot's `autorestore.cfg` in this host's time zone
    /// (`yyyy-MM-dd HH:mm:ss`); `nil` when the run stopped before it was read.
    public var expectedTime: String?
    /// The time the opened database reports (`customverifydate`'s query), as Oracle printed it; `nil` when not read.
    public var verifiedTime: String?
    /// Expected minus verified time in seconds: positive when the restored data is older than expected; `nil` when
    /// the times were not compared. Autorestore fails beyond `autorestoremaxtoleranceminutes` either way.
    public var differenceSeconds: Int?
    /// Whether block validation was planned for this run (the schedule's choice). The catalog records ``validated``
    /// instead: the original recorded the plan even when the restore failed before validating.
    public var validationPlanned: Bool
    /// Whether RMAN block validation ran to the end (it may have found corruption); what the catalog records as
    /// validated. False when validation was not planned or the run stopped before it completed.
    public var validated = false
    /// Corrupt block ranges in `v$database_block_corruption` after opening or validation; `nil` when not read.
    public var corruptBlocks: Int?
    /// Seconds spent in each phase, by name (`leftovers`, `clone`, `startup`, `mount`, `recover`, `verify`, `validate`,
    /// `cleanup`); a phase that did not run is absent.
    public var phaseSeconds: [String: Double] = [:]
    /// True when the restore passed (``failure`` is `nil`).
    public var success: Bool { failure == nil }
}

/// One autorestore of one database (reference §7.3 with the fixes of §9): clone the newest usable snapshot,
/// start a throw-away instance on it, recover to the recorded time, open read only, verify, optionally validate
/// every block, and always clean up.
///
/// The job runs the stages in order, each over the run's shared context (settings, storage, Oracle home,
/// templates, log, clock, progress): the work directory and a leftover instance (`InstanceStage`), a leftover
/// clone, then snapshot selection, clone, mount and contract check (`SnapshotCloneStage`), the parameter file and
/// the instance (`InstanceStage`), controlfile, catalog and recovery (`RecoveryStage`), open read only and the
/// checks (`VerificationStage`), block validation (`ValidationStage`), and the clean-up (`CleanUpStage`). The
/// engine records the result.
public struct AutorestoreJob: Sendable {
    /// The database's settings (`[autorestore]` directories, clone name, snapshot age, tolerance, memory, …).
    public var settings: DatabaseSettings
    /// The driver of the database's backup volume: lists and clones snapshots and drops the clone.
    public var storage: any StorageDriver
    /// The Oracle home (and `TNS_ADMIN`) the temporary instance runs from.
    public var oracleHome: OracleHome
    /// The environment the Oracle tools start from; the job sets the Oracle variables on top.
    public var baseEnvironment: [String: String]
    /// Time limits of the Oracle and mount steps (`timeout<step>` in `[generic]`).
    public var timeouts: StepTimeouts
    /// The restore script templates: the built-in ones, overridden from `templatedir` when set.
    public var templates: ScriptTemplates
    /// The run log's logger.
    public var logger: Logger
    /// The run log file, to which RMAN and SQL*Plus output is appended.
    public var logFile: String
    /// Whether to run the `validate` phase (RMAN block validation) after verification.
    public var validate: Bool
    /// How the clone becomes a directory on this host.
    public var mounting: CloneMounting
    /// What NOLOGGING blocks found after opening or validation do (`nologging` in `[autorestore]`): `.warn`, the
    /// default, logs a WARNING; `.fail` fails the restore.
    public var nonloggedPolicy: FindingPolicy
    /// What a verified time later than expected by more than the tolerance does (`timeahead` in `[autorestore]`):
    /// `.fail`, the default, fails the restore; `.warn` logs a WARNING.
    public var timeAheadPolicy: FindingPolicy
    /// Home directories (the running user's, `$HOME`) that may never be the work directory or the mount point, besides
    /// those in `/etc/passwd`.
    public var homeDirectories: [String]
    /// The current time: the result's times, phase durations and the snapshot's minimum age; injectable for tests.
    public var now: @Sendable () -> Date
    /// Set for a manual point-in-time copy instead of an autorestore.
    public var pointInTime: PointInTimeRequest?
    /// Receives the phases as they begin.
    public var events: @Sendable (AutorestoreEvent) -> Void = { _ in }

    /// A job over `settings` and `storage`; the defaults warn on NOLOGGING blocks, fail on a time ahead and add no home
    /// directories. Nothing runs before ``run()``.
    public init(
        settings: DatabaseSettings, storage: any StorageDriver, oracleHome: OracleHome,
        baseEnvironment: [String: String], timeouts: StepTimeouts, templates: ScriptTemplates,
        logger: Logger, logFile: String, validate: Bool, mounting: CloneMounting,
        nonloggedPolicy: FindingPolicy = .warn, timeAheadPolicy: FindingPolicy = .fail,
        homeDirectories: [String] = [], now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.settings = settings
        self.storage = storage
        self.oracleHome = oracleHome
        self.baseEnvironment = baseEnvironment
        self.timeouts = timeouts
        self.templates = templates
        self.logger = logger
        self.logFile = logFile
        self.validate = validate
        self.mounting = mounting
        self.nonloggedPolicy = nonloggedPolicy
        self.timeAheadPolicy = timeAheadPolicy
        self.homeDirectories = homeDirectories
        self.now = now
    }

    /// Runs the restore and the clean-up; never throws: failures are in the result.
    public func run() async -> AutorestoreResult {
        let context = makeContext()
        let progress = context.progress
        do {
            try await restore(context)
        } catch let failure as RestoreFailure {
            progress.result.failure = failure
        } catch {
            progress.result.failure = RestoreFailure(.configuration, "\(error)")
        }
        if var failure = progress.result.failure, let newest = progress.skippedNewer.first,
            failure.reason != .newestSnapshotUnusable
        {
            // The older snapshot failed on its own; that is the reason, but the newest one's state must not be lost.
            failure.detail += " (the newer snapshot \(newest.snapshot.id) was skipped too: \(newest.reason))"
            progress.result.failure = failure
        }
        if let failure = progress.result.failure {
            logger.error("Restore failed (\(failure.reason)): \(failure.detail)")
        }
        // After SIGTERM/SIGINT the clean-up still aborts the instance and unmounts the clone.
        if pointInTime == nil { await Interruption.allowingChildren { await CleanUpStage(context: context).run() } }
        progress.result.finishedAt = now()
        return progress.result
    }

    /// What the stages of one run share, with a fresh result.
    func makeContext() -> RestoreContext {
        RestoreContext(
            settings: settings, storage: storage, oracleHome: oracleHome, baseEnvironment: baseEnvironment,
            timeouts: timeouts, templates: templates, logger: logger, logFile: logFile, mounting: mounting,
            homeDirectories: homeDirectories, now: now, pointInTime: pointInTime, events: events,
            workDirectory: settings.autorestore.destination ?? "",
            progress: RestoreProgress(
                result: AutorestoreResult(
                    database: settings.name, startedAt: now(), finishedAt: now(), validationPlanned: validate)))
    }

    /// The stages in order: work directory and leftovers (autorestore only), snapshot and clone, instance,
    /// recovery, verification, validation (when planned). The clean-up is ``run()``'s.
    func restore(_ base: RestoreContext) async throws {
        var context = base
        var clone: ClonedSnapshot
        if let request = pointInTime {
            logger.info("Starting database restore")
            clone = try await context.phase("clone") {
                try await SnapshotCloneStage(context: context).clonePointInTime(request)
            }
            if let destination = request.instantDestination {
                // Online datafile moves need 12.1: refused before any instance starts.
                try InstantRestore.checkCompatible(clone.parameters["compatible"])
                context.workDirectory = InstantRestore.workArea(destination: destination, database: settings.name)
            } else {
                // The work directory lives in the clone: nothing outside it is written.
                context.workDirectory = try InstanceStage.makeWorkDirectory(inClone: clone.mainPath)
            }
            // The requested time is this host's local time: the snapshot's recorded offset does not apply to it.
            clone.parameters["lasttime"] = request.targetTime
            clone.parameters[AutorestoreParameters.lastTimeUTCOffsetKey] = nil
        } else {
            try await InstanceStage(context: context).prepareWorkDirectory()
            let snapshotClone = SnapshotCloneStage(context: context)
            try await context.phase("leftovers") { try await snapshotClone.removeLeftoverClone() }
            if validate { logger.debug("Database will be validated during this restore session") }
            logger.info("Starting to restore")
            clone = try await context.phase("clone") { try await snapshotClone.cloneUsableSnapshot() }
        }

        let instanceStage = InstanceStage(context: context)
        var instance = try instanceStage.prepare(clone)
        // TDE: the keystore copy the instance finds through its own TNS_ADMIN, opened after mount.
        let keystore = try KeystoreStage(context: context).prepare()
        if let keystore { instance.oracle.home.tnsAdmin = keystore.tnsAdmin }
        try await context.phase("startup") { try await instanceStage.start(instance) }
        let recovery = RecoveryStage(context: context)
        try await context.phase("mount") { try await recovery.mount(instance) }
        if let keystore {
            try await context.phase("keystore") {
                try await KeystoreStage(context: context).open(instance, password: keystore.password)
            }
        }
        try await context.phase("recover") { try await recovery.recover(instance) }
        let verification = VerificationStage(
            context: context, nonloggedPolicy: nonloggedPolicy, timeAheadPolicy: timeAheadPolicy)
        try await context.phase("verify") { try await verification.run(instance, marker: clone.parameters.marker) }
        if validate {
            let validation = ValidationStage(context: context, nonloggedPolicy: nonloggedPolicy)
            try await context.phase("validate") { try await validation.run(instance) }
        }
        if let failure = Self.newestSnapshotUnusable(
            skipped: context.progress.skippedNewer, restored: context.progress.result.snapshotID)
        {
            throw failure
        }
    }

    /// The failure of a run that restored an older snapshot because newer ones could not be restored; `nil` when
    /// none was skipped. The older snapshot's restore passed: the detail says so, so the DBA knows the fallback.
    static func newestSnapshotUnusable(skipped: [SkippedSnapshot], restored: String?) -> RestoreFailure? {
        guard let newest = skipped.first else { return nil }
        let others = skipped.dropFirst().map(\.snapshot.id)
        let alsoSkipped = others.isEmpty ? "" : " (also skipped: \(others.joined(separator: ", ")))"
        return RestoreFailure(
            .newestSnapshotUnusable,
            "the newest snapshot \(newest.snapshot.id) was skipped: \(newest.reason)\(alsoSkipped); the older snapshot \(restored ?? "?") restored and passed every check, but the newest backup cannot be restored: look at the backup run that made \(newest.snapshot.id)"
        )
    }
}
