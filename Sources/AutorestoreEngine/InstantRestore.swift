import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKit
import ToolSupport

/// An instant restore (`restore <db> --instant --move-to <dir>`): the chosen snapshot is cloned, the database
/// starts on the clone's image copies (switch to copy, recover to the requested time, open READ WRITE with
/// resetlogs), so it runs from the backup storage within minutes; then every datafile is moved online
/// (`alter database move datafile`, Oracle 12.1 and later) to the primary storage, one at a time, and the clone is
/// dropped once nothing of the instance is in it.
///
/// Everything the instance writes besides its datafiles (controlfile, online logs, recovery area, files recovery
/// creates) is on the primary storage from the start, in the work area ``workArea(destination:database:)`` and the
/// destination. The work area's ``InstantRestoreState`` records each step, so an interrupted run is continued by
/// running the command again (or with `--resume`); `v$datafile` decides where each file is, so no file is moved
/// twice.
public struct InstantRestore: Sendable {
    /// The database's settings.
    public var settings: DatabaseSettings
    /// The driver of the database's backup volume: clones the snapshot, locks it meanwhile and drops the clone.
    public var storage: any StorageDriver
    /// The environment the Oracle tools start from.
    public var environment: [String: String]
    /// The session log's logger.
    public var logger: Logger
    /// The session log RMAN and SQL*Plus append to.
    public var logFile: String
    /// How the clone reaches this host.
    public var mounting: CloneMounting
    /// The primary storage directory the datafiles move to (`--move-to`).
    public var destination: String
    /// The unmount command run before the clone is dropped when a command mounted it; nil when the clone is a
    /// local directory or the DBA mounted it (then the DBA unmounts, and a later run drops it).
    public var unmountCommand: [String]?
    /// The current time (state file times, lock expiry).
    public var now: @Sendable () -> Date = { Date() }
    let home: String
    let templates: ScriptTemplates

    /// How long a snapshot lock lasts where the storage only locks until a time (a hold is released at the end).
    public static let lockDays = 30

    /// An instant restore of `settings`' database to `destination`.
    /// - Throws: ``AutorestoreSetupError`` without `oraclehome`; the template loader's error.
    public init(
        settings: DatabaseSettings, storage: any StorageDriver, environment: [String: String], logger: Logger,
        logFile: String, mounting: CloneMounting, destination: String, unmountCommand: [String]? = nil
    ) throws {
        guard let home = settings.generic.oracleHome else {
            throw AutorestoreSetupError("[\(settings.name)] oraclehome is required")
        }
        self.home = home
        self.templates = try BuiltInTemplates.load(
            BuiltInTemplates.restore, overrideDirectory: settings.generic.templateDirectory)
        self.settings = settings
        self.storage = storage
        self.environment = environment
        self.logger = logger
        self.logFile = logFile
        self.mounting = mounting
        self.destination = destination
        self.unmountCommand = unmountCommand
    }

    /// What a run ended with.
    public struct Outcome: Sendable {
        /// The database is open READ WRITE (on the clone or already on the primary storage).
        public var opened = false
        /// Every datafile is on the primary storage.
        public var moved = false
        /// The clone was dropped.
        public var cloneDropped = false
        /// Why the clone was kept although every datafile moved (something still points into it, or the DBA
        /// must unmount it first); empty otherwise.
        public var cloneKeptBecause: [String] = []
        /// The time the opened database reported.
        public var verifiedTime: String?
        /// Difference between the requested and the verified time, in seconds.
        public var differenceSeconds: Int?
        /// Why the run failed; nil when it did what it could (see ``cloneKeptBecause``).
        public var failure: String?
        /// The steps the DBA takes now (after a failure, or to finish).
        public var nextSteps: [String] = []
        /// True when no failure stopped the run.
        public var success: Bool { failure == nil }
    }

    // MARK: Planning

    /// `<destination>/oib_instant_<db>`: the instance's pfile, controlfile and the state file, on the primary
    /// storage.
    public static func workArea(destination: String, database: String) -> String {
        destination + "/oib_instant_" + database
    }

    /// Refuses a database whose `compatible` is before 12.1: `alter database move datafile` does not exist there.
    /// - Throws: ``RestoreFailure`` (configuration) naming the release.
    static func checkCompatible(_ compatible: String?) throws {
        let parts = (compatible ?? "").split(separator: ".").compactMap { Int($0) }
        guard let major = parts.first else { return }
        if major < 12 || (major == 12 && (parts.dropFirst().first ?? 0) < 1) {
            throw RestoreFailure(
                .configuration,
                "an instant restore needs Oracle Database 12.1 or later (online datafile moves); this database runs with compatible=\(compatible ?? ""): restore it without --instant and copy its files to the primary storage with RMAN instead"
            )
        }
    }

    /// Why `destination` cannot receive the datafiles, or nil: it must be an absolute, existing, writable directory,
    /// not a shared or system directory, and neither inside nor around the backup area or the clone's mount point.
    public static func destinationRefusal(
        _ destination: String, settings: DatabaseSettings, mountPath: String?, homeDirectories: [String]
    ) -> String? {
        guard destination.hasPrefix("/") else { return "--move-to \(destination): give an absolute path" }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue
        else { return "--move-to \(destination): no such directory" }
        guard FileManager.default.isWritableFile(atPath: destination) else {
            return "--move-to \(destination): not writable"
        }
        if let reason = SharedDirectories.reason(for: destination, homeDirectories: homeDirectories) {
            return "--move-to \(destination): \(reason)"
        }
        let target = SharedDirectories.resolved(destination)
        var forbidden: [(String, String)] = []
        if let area = settings.backupDestination { forbidden.append((area, "the backup area")) }
        if let root = settings.generic.backupRoot { forbidden.append((root, "the backup mount (backupdest)")) }
        if let mountPath { forbidden.append((mountPath, "the clone's mount point")) }
        if let mountPoint = settings.autorestore.mountPoint {
            forbidden.append((mountPoint, "autorestore's mount point"))
        }
        for (path, name) in forbidden {
            let other = SharedDirectories.resolved(path)
            if isInside(target, other) {
                return
                    "--move-to \(destination) is inside \(name) \(path): the datafiles must move to the primary storage, never to the backup storage"
            }
            if isInside(other, target) {
                return "--move-to \(destination) contains \(name) \(path): give a directory of the primary storage only"
            }
        }
        return nil
    }

    /// Whether `path` is `root` or below it (both resolved, no trailing slash).
    static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// `<destination>/<tablespace>_<file#>.dbf`, the tablespace lower-cased with anything but letters, digits,
    /// `_`, `$` and `#` replaced by `_`.
    static func targetName(destination: String, tablespace: String, fileNumber: Int) -> String {
        let safe = String(
            tablespace.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || "_$#".contains($0)) ? $0 : "_" })
        return "\(destination)/\(safe.isEmpty ? "datafile" : safe)_\(fileNumber).dbf"
    }

    // MARK: Running

    /// Starts a new instant restore of `request` (its ``PointInTimeRequest/instantDestination`` is set to
    /// ``destination``), from `existingClone` when the DBA made and mounted it.
    public func start(_ request: PointInTimeRequest, existingClone: Clone? = nil) async -> Outcome {
        var outcome = Outcome()
        let area = Self.workArea(destination: destination, database: settings.name)
        if FileManager.default.fileExists(atPath: area) {
            outcome.failure =
                "\(area) exists but holds no instant restore state: remove it (it may hold an earlier restore's controlfile) and run again"
            return outcome
        }
        do {
            try FileManager.default.createDirectory(atPath: area, withIntermediateDirectories: false)
        } catch {
            outcome.failure = "cannot create the work area \(area): \(error.localizedDescription)"
            return outcome
        }
        var state = InstantRestoreState(
            database: settings.name, sid: request.sid, snapshotID: request.snapshotID, cloneName: request.cloneName,
            cloneRoot: nil, mountPoint: mountPoint, destination: destination, targetTime: request.targetTime,
            startedAt: now(), phase: .restoring)
        do {
            try state.write(workArea: area)
        } catch {
            try? FileManager.default.removeItem(atPath: area)
            outcome.failure = "cannot write the state file in \(area): \(error)"
            return outcome
        }
        state.snapshotLock = await lockSnapshot(request.snapshotID)
        try? state.write(workArea: area)

        var instantRequest = request
        instantRequest.instantDestination = destination
        var job = AutorestoreJob(
            settings: settings,
            storage: existingClone.map { AlreadyCloned(base: storage, clone: $0) } ?? storage,
            oracleHome: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), templates: templates, logger: logger,
            logFile: logFile, validate: false, mounting: mounting, now: now)
        job.pointInTime = instantRequest
        var context = job.makeContext()
        // The work area, never autorestore's directory: the clean-up after a failure touches only files there.
        context.workDirectory = area
        logger.info("Starting instant restore of \(settings.name) from snapshot \(request.snapshotID)")
        do {
            try await job.restore(context)
        } catch {
            let failure = (error as? RestoreFailure) ?? RestoreFailure(.configuration, "\(error)")
            logger.error("Instant restore failed before the database opened (\(failure.reason)): \(failure.detail)")
            outcome.failure = failure.detail
            await abandon(context, state: state, area: area, outcome: &outcome)
            return outcome
        }
        outcome.opened = true
        outcome.verifiedTime = context.progress.result.verifiedTime
        outcome.differenceSeconds = context.progress.result.differenceSeconds
        state.cloneRoot = context.progress.cloneRoot
        state.verifiedTime = outcome.verifiedTime
        state.phase = .moving
        do {
            try state.write(workArea: area)
        } catch {
            outcome.failure = "cannot record progress in \(InstantRestoreState.path(workArea: area)): \(error)"
            return outcome
        }
        let verified = outcome.verifiedTime ?? "unknown"
        logger.info(
            "Database \(settings.name) is open READ WRITE on the clone as instance \(request.sid) (verified time \(verified)); moving its datafiles to \(destination)"
        )
        return await finish(state, context: context, area: area, outcome: outcome)
    }

    /// Continues the instant restore recorded in `state` (an earlier run stopped while moving, or kept the clone).
    public func resume(_ state: InstantRestoreState) async -> Outcome {
        var outcome = Outcome()
        let area = Self.workArea(destination: destination, database: settings.name)
        switch state.phase {
        case .complete:
            outcome.opened = true
            outcome.moved = true
            outcome.cloneDropped = true
            logger.info("The instant restore of \(settings.name) finished earlier: nothing is left to do")
            return outcome
        case .restoring:
            let failure =
                "the instant restore started at \(DisplayFormat.utcTimestamp(state.startedAt)) UTC stopped before the database opened; it cannot be continued"
            logger.error("Cannot continue: \(failure); follow the steps below, then start again")
            outcome.failure = failure
            outcome.nextSteps = Self.abandonSteps(state, area: area)
            return outcome
        case .moving, .moved:
            break
        }
        logger.info(
            "Continuing the instant restore of \(settings.name) started at \(DisplayFormat.utcTimestamp(state.startedAt)) UTC (instance \(state.sid), clone \(state.cloneName), \(state.files.filter { $0.movedAt != nil }.count) of \(state.files.count) planned moves done)"
        )
        outcome.opened = true
        outcome.verifiedTime = state.verifiedTime
        var job = AutorestoreJob(
            settings: settings, storage: storage,
            oracleHome: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), templates: templates, logger: logger,
            logFile: logFile, validate: false, mounting: mounting, now: now)
        job.pointInTime = PointInTimeRequest(
            targetTime: state.targetTime, sid: state.sid, snapshotID: state.snapshotID, cloneName: state.cloneName,
            instantDestination: destination)
        var context = job.makeContext()
        context.workDirectory = area
        return await finish(state, context: context, area: area, outcome: outcome)
    }

    /// The mount point of the clone when it is mounted (by command or by the DBA); nil for local clones.
    var mountPoint: String? {
        if case .commands(_, _, let mountPoint) = mounting { return mountPoint }
        return nil
    }

    /// Moves what is left, then drops the clone when nothing points into it.
    func finish(_ initial: InstantRestoreState, context: RestoreContext, area: String, outcome initialOutcome: Outcome)
        async -> Outcome
    {
        var state = initial
        var outcome = initialOutcome
        let cloneName = initial.cloneName
        let sid = initial.sid
        let stage = DatafileMoveStage(context: context, area: area, logger: logger)
        let oracle = context.runner(sid: sid)
        do {
            if state.phase == .moving {
                state = try await stage.moveAll(state, oracle: oracle)
                state.phase = .moved
                try state.write(workArea: area)
            }
            outcome.moved = true
            let reasons = try await stage.cloneUsers(state, oracle: oracle)
            if !reasons.isEmpty {
                outcome.cloneKeptBecause = reasons
                let listed = reasons.joined(separator: "; ")
                logger.warning(
                    "Keeping clone \(cloneName): \(listed); run the same command again once that is changed to drop it")
                return outcome
            }
            if let mountPoint = state.mountPoint {
                guard let unmountCommand else {
                    let reason =
                        "the clone is mounted at \(mountPoint) by hand: unmount it (as root: umount \(mountPoint)), then run the same command again to drop it"
                    outcome.cloneKeptBecause = [reason]
                    logger.warning("Keeping clone \(cloneName): \(reason)")
                    return outcome
                }
                var mountString = context.defaultMountString
                if let clone = try? await storage.cloneInfo(name: cloneName) {
                    mountString = storage.mountString(clone: clone)
                }
                try await context.runCommand(
                    CloneMounting.substitute(unmountCommand, mountString: mountString), step: "umount",
                    failure: .leftoverCleanup, what: "Unmounting the clone failed")
            }
            try await dropClone(cloneName)
            logger.info("Dropped clone \(cloneName): nothing of instance \(sid) is on the backup storage")
            outcome.cloneDropped = true
            await releaseLock(state)
            state.phase = .complete
            try state.write(workArea: area)
        } catch {
            // The stage recorded every move it made in the state file; this copy may be older.
            let detail = (error as? RestoreFailure)?.detail ?? "\(error)"
            outcome.failure = detail
            logger.error("Instant restore stopped: \(detail)")
            outcome.nextSteps = [
                "The database keeps running from the clone \(cloneName); nothing moved is undone.",
                "Fix the cause, then run the same command again (or add --resume): it continues with the files not moved yet.",
            ]
        }
        return outcome
    }

    /// Drops the clone; one already gone is fine.
    func dropClone(_ name: String) async throws {
        do {
            try await storage.dropClone(name: name)
        } catch {
            guard error.code == .notFound else { throw error }
            logger.info("Clone \(name) is already gone")
        }
    }

    /// After a failure before the database opened: the instance is aborted and, unless the DBA mounted the clone,
    /// the clone dropped and the work area removed; the snapshot's hold is released. When the instance cannot be
    /// aborted (it may still use the clone's files) or the clone cannot be unmounted or dropped, everything stays
    /// and the DBA gets the steps (``abandonSteps(_:area:)``).
    func abandon(_ context: RestoreContext, state: InstantRestoreState, area: String, outcome: inout Outcome) async {
        var manualMount = false
        if case .commands(let mount, _, _) = mounting, mount.isEmpty { manualMount = true }
        if manualMount {
            // The DBA's mount stays: only the instance is aborted.
            if let sid = context.progress.instanceSID {
                _ = try? await InstanceStage(context: context).shutdownAbort(sid: sid)
            }
            outcome.nextSteps = Self.abandonSteps(state, area: area)
            return
        }
        // The instance may have the clone's files open: it is aborted first, and when that fails the clone, its
        // mount, the snapshot's hold and the work area stay (dropping the clone under a running instance would
        // pull its datafiles away).
        if let sid = context.progress.instanceSID {
            do {
                try await InstanceStage(context: context).shutdownAbort(sid: sid)
                try? FileManager.default.removeItem(atPath: context.instanceMarker)
                context.progress.instanceSID = nil
            } catch {
                logger.error(
                    "Aborting instance \(sid) failed (\(error)): it may still use the clone, so clone \(state.cloneName), its mount, the snapshot's hold and \(area) are kept"
                )
                outcome.nextSteps = Self.abandonSteps(state, area: area)
                return
            }
        }
        // A clone mounted by `mountcommand` is unmounted with `umountcommand` before it is dropped (the mounting
        // the restore used carries no unmount command: the clean-up stage would drop it still mounted).
        if context.progress.mountedAt != nil, let unmountCommand {
            let mountString = context.progress.mountString ?? context.defaultMountString
            do {
                try await context.runCommand(
                    CloneMounting.substitute(unmountCommand, mountString: mountString), step: "umount",
                    failure: .leftoverCleanup, what: "Unmounting the clone failed")
                context.progress.mountedAt = nil
                context.progress.mountString = nil
            } catch {
                let detail = (error as? RestoreFailure)?.detail ?? "\(error)"
                logger.error("\(detail); clone \(state.cloneName), the snapshot's hold and \(area) are kept")
                outcome.nextSteps = Self.abandonSteps(state, area: area)
                return
            }
        }
        await CleanUpStage(context: context).run()
        if context.progress.cloned != nil {
            outcome.nextSteps = Self.abandonSteps(state, area: area)
            return
        }
        await releaseLock(state)
        removeWorkArea(area)
        outcome.nextSteps = ["Nothing was left behind: the instance was aborted and the clone dropped."]
    }

    /// Removes the files the restore wrote to its work area, then the work area when it is empty.
    func removeWorkArea(_ area: String) {
        for name in [
            "init.ora", "control01.ctl", "snapcf.f", "bct.bct", "instant-restore.json", "instant-restore.json.new",
        ] {
            try? FileManager.default.removeItem(atPath: area + "/" + name)
        }
        if ((try? FileManager.default.contentsOfDirectory(atPath: area)) ?? ["?"]).isEmpty {
            try? FileManager.default.removeItem(atPath: area)
        }
    }

    /// The clean-up of a run that stopped before the database opened.
    static func abandonSteps(_ state: InstantRestoreState, area: String) -> [String] {
        var steps = ["1. Shut down instance \(state.sid) if it runs (shutdown abort)"]
        if let mountPoint = state.mountPoint { steps.append("2. Unmount the clone: umount \(mountPoint)") }
        steps.append(
            "\(steps.count + 1). Drop clone: snapper <database> dropclone \(state.cloneName) (with your configuration)")
        steps.append("\(steps.count + 1). Remove \(area), then start the instant restore again")
        if state.snapshotLock == "hold" {
            steps.append(
                "Snapshot \(state.snapshotID) stays held: the next instant restore from it releases the hold when it completes; if you give up instead, release it on the storage"
            )
        }
        return steps
    }

    // MARK: Snapshot lock

    /// Protects the snapshot the clone depends on while the database runs from it: a hold where the driver has
    /// one, else a lock for ``lockDays`` days; nil (with a warning) where the storage cannot lock.
    func lockSnapshot(_ id: String) async -> String? {
        guard storage.capabilities.contains(.lock) else {
            logger.warning(
                "\(storage.vendor) cannot lock snapshots: make sure nothing deletes snapshot \(id) (retention, snapper) until the instant restore has finished"
            )
            return nil
        }
        do {
            try await storage.lockSnapshot(id: id)
            logger.info("Snapshot \(id) is held until the instant restore finishes")
            return "hold"
        } catch {
            let until = now().addingTimeInterval(Double(Self.lockDays) * 86_400)
            do {
                try await storage.lockSnapshot(id: id, until: until)
                logger.info("Snapshot \(id) is locked until \(DisplayFormat.utcTimestamp(until)) UTC")
                return "locked until \(DisplayFormat.utcTimestamp(until)) UTC"
            } catch {
                logger.warning(
                    "Snapshot \(id) could not be locked (\(error)): make sure nothing deletes it until the instant restore has finished"
                )
                return nil
            }
        }
    }

    /// Releases a hold taken by ``lockSnapshot(_:)``; a lock with an expiry stays until it expires.
    func releaseLock(_ state: InstantRestoreState) async {
        guard state.snapshotLock == "hold" else { return }
        do {
            try await storage.unlockSnapshot(id: state.snapshotID)
            logger.info("Released the hold on snapshot \(state.snapshotID)")
        } catch {
            logger.warning("The hold on snapshot \(state.snapshotID) was not released: \(error)")
        }
    }
}
