import ConfigModel
import Foundation
import Logging
import OracleTools
import ResultCatalog
import RetentionPolicy
import StorageKit
import StorageRetention
import ToolSupport

/// The backup actions of one database (reference §2).
public enum BackupAction: String, Sendable, CaseIterable {
    case config, imagecopywithsnap, missingarchlog, setschedule, generaterestore, backupimagecopy, report,
        validatebackup
}

/// One backup action of one database, as the caller asks for it.
public struct BackupRequest: Sendable {
    /// The database: its section in the configuration file.
    public var database: String
    /// The action to run, as in `backup <db> <action>`.
    public var action: BackupAction
    /// Print every script and storage change instead of running it; lock and write nothing.
    public var dryRun: Bool
    /// `generaterestore --until/--snapshot`.
    public var restore: RestoreRequest

    /// A request for `action` on `database`.
    public init(database: String, action: BackupAction, dryRun: Bool = false, restore: RestoreRequest = .init()) {
        self.database = database
        self.action = action
        self.dryRun = dryRun
        self.restore = restore
    }

    /// `generaterestore` with a time or a snapshot chooses among the snapshots, so it needs the storage.
    var needsStorage: Bool {
        action == .imagecopywithsnap
            || (action == .generaterestore && (restore.until != nil || restore.snapshotID != nil))
    }

    /// The settings the action reads, for the configuration check.
    var purposes: ConfigPurpose {
        switch action {
        case .imagecopywithsnap: [.backup, .storage, .retention]
        case .generaterestore where needsStorage: [.backup, .storage]
        case .setschedule: [.backup, .scheduling]
        default: [.backup]
        }
    }
}

/// Why a backup run did not succeed.
public struct BackupFailure: Error, Sendable, CustomStringConvertible {
    /// Where the run stopped.
    public enum Stage: Sendable, Equatable {
        /// The configuration (or the environment it needs) is incomplete or wrong; nothing ran.
        case configuration
        /// The backup area is missing or on the root file system; nothing ran.
        case backupArea
        /// Another run holds the backup lock.
        case lock
        /// The run log could not be written.
        case logFile
        /// The action itself failed (Oracle, storage or retention).
        case action
    }

    /// Where the run stopped.
    public var stage: Stage
    /// What went wrong, naming the file, section and key where it is a configuration problem.
    public var message: String
    /// The tools' exit code: 1 for a run failure, 2 for a usage, configuration or lock problem.
    public var exitCode: Int32
    /// True when the run log (and so the screen) already carries the failure.
    public var logged: Bool

    /// A failure at `stage`.
    public init(_ stage: Stage, _ message: String, exitCode: Int32, logged: Bool = false) {
        self.stage = stage
        self.message = message
        self.exitCode = exitCode
        self.logged = logged
    }

    public var description: String { message }
}

/// What one backup run did.
public struct BackupOutcome: Sendable {
    /// The database (configuration section) the run was for.
    public var database: String
    /// The action that ran.
    public var action: BackupAction
    /// When ``BackupEngine/run(_:events:)`` began, configuration check included.
    public var startedAt: Date
    /// When the run ended, the results catalog record included.
    public var finishedAt: Date
    /// The run's log file; nil when the run stopped before it had one (or was a dry run).
    public var logFile: String?
    /// The snapshot `imagecopywithsnap` took.
    public var snapshotID: String?
    /// What snapshot retention kept and dropped, when it ran.
    public var retention: RetentionOutcome?
    /// Nil when the run succeeded.
    public var failure: BackupFailure?

    /// True when the action ran to its end.
    public var succeeded: Bool { failure == nil }
    /// 0, or the failure's exit code.
    public var exitCode: Int32 { failure?.exitCode ?? 0 }
}

/// Progress of a backup run, in order, for a caller that shows it (a GUI, a scheduler).
public enum BackupEvent: Sendable {
    /// The run starts writing `logFile`.
    case started(database: String, action: BackupAction, logFile: String)
    /// A step of the action begins (the title is also logged at INFO).
    case step(String)
    /// `imagecopywithsnap` took its snapshot.
    case snapshotTaken(Snapshot)
    /// Snapshot retention ran.
    case retentionApplied(RetentionOutcome)
    /// The run ended.
    case finished(BackupOutcome)
}

/// Runs every backup action of the databases of one configuration file: the original's start-up sequence
/// (configuration check, backup area check, log, lock; reference §2.1), then the action, then the results catalog.
///
/// The engine prints nothing itself: the run log goes to ``screen`` and the log file, progress goes to the event
/// handler, and ``run(_:events:)`` returns a ``BackupOutcome``.
public struct BackupEngine: Sendable {
    /// The parsed configuration file; each request names one of its database sections.
    public var configuration: BackupConfiguration
    /// The process environment as the original read it (`OSPASSWORD`, `BACKUP_LOG_TO_SCREEN`, Oracle variables).
    public var environment: [String: String]
    /// Builds the storage driver of a database.
    public var makeDriver: @Sendable (DatabaseSettings, Logger) throws -> any StorageDriver
    /// Opens the results catalog backup runs are recorded in; nil when the configuration names none explicitly.
    public var openCatalog: (@Sendable (DatabaseSettings, Logger) throws -> any ResultCatalog)?
    /// Which snapshots passed an autorestore (`snapkeepverified`), read when retention runs.
    public var verifiedSnapshots:
        @Sendable (DatabaseSettings, RetentionConfiguration, Logger) async -> VerifiedSnapshots
    /// What a database's off-site copy holds (`[replication]`), read when retention runs so that the base of its
    /// next incremental copy is kept; the storage passed is the database's own driver.
    public var offsiteCopyBase: @Sendable (DatabaseSettings, any StorageDriver, Logger) async -> OffsiteCopyBase
    /// Receives screen lines: the run log at INFO and up, dry-run scripts, `generaterestore` output.
    public var screen: @Sendable (String) -> Void
    /// An extra log handler for every run's messages (beside the run log), for an embedder's own logging.
    public var additionalLogHandler: (@Sendable (String) -> any LogHandler)?
    /// Directory of the `backup` executable (`${scriptpath}` in scheduler programs).
    public var programDirectory: String
    /// The time source for log names, timings and snapshot names (tests pass a fixed one).
    public var clock: @Sendable () -> Date

    /// An engine over `configuration`.
    public init(
        configuration: BackupConfiguration, environment: [String: String],
        makeDriver: @escaping @Sendable (DatabaseSettings, Logger) throws -> any StorageDriver,
        openCatalog: (@Sendable (DatabaseSettings, Logger) throws -> any ResultCatalog)? = nil,
        verifiedSnapshots:
            @escaping @Sendable (DatabaseSettings, RetentionConfiguration, Logger) async ->
            VerifiedSnapshots = { _, _, _ in .known([]) },
        offsiteCopyBase:
            @escaping @Sendable (DatabaseSettings, any StorageDriver, Logger) async -> OffsiteCopyBase = { _, _, _ in
                .none
            },
        screen: @escaping @Sendable (String) -> Void = RunLog.standardOutput,
        additionalLogHandler: (@Sendable (String) -> any LogHandler)? = nil,
        programDirectory: String, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.environment = environment
        self.makeDriver = makeDriver
        self.openCatalog = openCatalog
        self.verifiedSnapshots = verifiedSnapshots
        self.offsiteCopyBase = offsiteCopyBase
        self.screen = screen
        self.additionalLogHandler = additionalLogHandler
        self.programDirectory = programDirectory
        self.clock = clock
    }

    /// Runs `request` and returns what happened; never throws.
    public func run(_ request: BackupRequest, events: @escaping @Sendable (BackupEvent) -> Void = { _ in })
        async -> BackupOutcome
    {
        let started = clock()
        var outcome = BackupOutcome(
            database: request.database, action: request.action, startedAt: started, finishedAt: started)
        do {
            try await execute(request, outcome: &outcome, events: events)
        } catch {
            outcome.failure = error
        }
        outcome.finishedAt = clock()
        events(.finished(outcome))
        return outcome
    }

    func execute(
        _ request: BackupRequest, outcome: inout BackupOutcome, events: @escaping @Sendable (BackupEvent) -> Void
    ) async throws(BackupFailure) {
        let (database, action, dryRun) = (request.database, request.action, request.dryRun)
        func configurationProblem(_ message: String) -> BackupFailure {
            BackupFailure(.configuration, message, exitCode: 2)
        }
        // Configuration first: every problem at once, exit 2.
        var (settings, problems) = configuration.databaseCollectingProblems(database, for: request.purposes)
        if let loaded = settings, !loaded.doSnapshot, request.needsStorage {
            (settings, problems) = configuration.databaseCollectingProblems(database, for: [.backup])
        }
        guard let settings, problems.isEmpty else { throw configurationProblem(ConfigError(problems).description) }
        var retention: RetentionConfiguration?
        if action == .imagecopywithsnap, settings.doSnapshot {
            do {
                retention = try configuration.retentionConfiguration(database: database)
            } catch {
                throw configurationProblem("\(configuration.path): [\(database)] \(error.description)")
            }
        }
        guard let destination = settings.backupDestination, let home = settings.generic.oracleHome else {
            throw configurationProblem("\(configuration.path): [\(database)] backupdest and oraclehome are required")
        }
        try checkBackupArea(destination, settings: settings, request: request)

        let runLog = RunLog(screen: screen)
        // The log file is closed when the run ends, whatever happened (an embedder runs many).
        defer { runLog.close() }
        let logger = makeLogger(database: database, runLog: runLog)
        let logPath = RunLogNames.backupLog(
            destination: destination, database: database, action: action.rawValue, date: clock())
        logger.debug("Oracle home: \(home)")
        let runner = OracleRunner(
            home: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), sid: nil, baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), logger: logger,
            appendToLog: { runLog.appendRaw($0) })
        let templates: ScriptTemplates
        do {
            templates = try BuiltInTemplates.load(
                BuiltInTemplates.backup, overrideDirectory: settings.generic.templateDirectory)
        } catch {
            throw configurationProblem(error.description)
        }
        var storage: (any StorageDriver)?
        if request.needsStorage, settings.doSnapshot {
            do {
                storage = try makeDriver(settings, logger)
            } catch let failure as BackupFailure {
                throw failure
            } catch {
                throw configurationProblem("\(error)")
            }
            if dryRun, let base = storage { storage = DryRunStorage(base: base, print: screen) }
        }
        let ownStorage = storage.map { ($0 as? DryRunStorage)?.base ?? $0 }
        let (verifiedSnapshots, retentionRules) = (self.verifiedSnapshots, retention)
        var job = BackupJob(
            settings: settings, configurationPath: configuration.path,
            oracle: dryRun ? DryRunOracle(print: screen) : runner, templates: templates, storage: storage,
            retention: retention,
            verifiedSnapshots: {
                guard let retentionRules else { return .known([]) }
                return await verifiedSnapshots(settings, retentionRules, logger)
            },
            logger: logger, logFile: logPath, programDirectory: programDirectory,
            osPassword: environment["OSPASSWORD"],
            restoreDestination: settings.generic.restoreDestination,
            dryRun: dryRun, screen: screen, now: clock)
        job.events = events
        if let ownStorage, retention != nil {
            let offsiteCopyBase = self.offsiteCopyBase
            job.offsiteCopyBase = { await offsiteCopyBase(settings, ownStorage, logger) }
        }
        let preparedJob = job

        if dryRun {
            screen("Dry run of \(action.rawValue) for \(database): nothing is executed, locked or written.")
            do {
                // Nothing was taken or dropped: the printed snapshot and plan are not part of the outcome.
                _ = try await closingStorage(job.storage) { try await Self.perform(job, request) }
            } catch {
                // As before the engine existed: a failed dry run is reported like an unexpected error.
                throw BackupFailure(.action, "Error: \(error)", exitCode: 1)
            }
            return
        }

        let session = RunSession(
            runLog: runLog, logPath: logPath, logRetentionDays: settings.generic.logRetentionDays,
            lockDirectory: destination, maxLockWait: .seconds(60 * (settings.generic.maxLockWaitMinutes ?? 0)),
            dumpLogToScreen: environment["BACKUP_LOG_TO_SCREEN"] == "TRUE", screen: screen)
        outcome.logFile = logPath
        events(.started(database: database, action: action, logFile: logPath))
        let started = clock()
        do {
            let result = try await session.run(
                logger: logger, snapshotPending: preparedJob.storage != nil && action == .imagecopywithsnap
            ) { lock in
                logger.info("Configuration file: \(configuration.path)")
                var locked = preparedJob
                locked.snapshotLock = lock
                // The storage session ends with the action, failed or not, while the run log is still open.
                return try await closingStorage(locked.storage) { try await Self.perform(locked, request) }
            }
            (outcome.snapshotID, outcome.retention) = (result.snapshotID, result.retention)
            await recordBackupRun(
                request, settings: settings, started: started, success: true, snapshotID: result.snapshotID,
                detail: nil, logger: logger)
        } catch {
            switch error {
            case .lock(let lockError):
                // Logged by the session and also printed on standard error, as the original did.
                throw BackupFailure(.lock, lockError.description, exitCode: 2)
            case .logFile(let message):
                throw BackupFailure(.logFile, message, exitCode: 1)
            case .action(let underlying):
                // A run that took its snapshot and then found it unrestorable still names that snapshot.
                await recordBackupRun(
                    request, settings: settings, started: started, success: false,
                    snapshotID: (underlying as? UnrestorableSnapshotError)?.snapshotID,
                    detail: "\(underlying)", logger: logger)
                logger.error("\(action.rawValue) failed: \(underlying)")
                throw BackupFailure(
                    .action, "\(action.rawValue) failed: \(underlying)", exitCode: Self.exitCode(of: underlying),
                    logged: true)
            }
        }
    }

    /// never write a backup (or its log) to a local directory where the NFS area should be mounted. A missing
    /// area would be created empty by the run's log and then backed up into and cleaned (delete obsolete, snapshot
    /// retention); on mounted storage it may be a share that is not mounted yet. Only `config`, which sets a
    /// database up, creates it. A dry run writes nothing, so it may show what would run.
    func checkBackupArea(_ destination: String, settings: DatabaseSettings, request: BackupRequest)
        throws(BackupFailure)
    {
        guard !request.dryRun else { return }
        if settings.generic.requireMount {
            do {
                try BackupAreaCheck.verify(destination)
            } catch {
                throw BackupFailure(.backupArea, error.description, exitCode: 1)
            }
        }
        guard request.action != .config else { return }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw BackupFailure(
                .backupArea,
                "\(configuration.path): [generic] backupdest: the backup area \(destination) of \(request.database) does not exist (or is not a directory); refusing to run \(request.action.rawValue), which would create it empty on the local disk and apply delete obsolete and retention to it. Mount the backup area, or set the database up with 'backup \(request.database) config'",
                exitCode: 2)
        }
    }

    func makeLogger(database: String, runLog: RunLog) -> Logger {
        guard let additionalLogHandler else { return runLog.logger(name: database) }
        // Each handler keeps its own level: the run log takes everything, the embedder's handler what it asks for.
        return Logger(label: database) { label in
            MultiplexLogHandler([RunLogHandler(name: label, runLog: runLog), additionalLogHandler(label)])
        }
    }

    static func exitCode(of error: any Error) -> Int32 { (error as? BackupError)?.exitCode ?? 1 }

    /// Runs the action; returns the snapshot it took and what retention did, if anything.
    static func perform(_ job: BackupJob, _ request: BackupRequest) async throws -> ImageCopyOutcome {
        switch request.action {
        case .config: try await job.config()
        case .imagecopywithsnap: return try await job.imageCopyWithSnap()
        case .missingarchlog: try await job.missingArchivelogs()
        case .setschedule: try await job.setSchedule()
        case .generaterestore: try await job.generateRestore(request.restore)
        case .backupimagecopy, .report, .validatebackup: try await job.plainRMAN(request.action.rawValue)
        }
        return ImageCopyOutcome()
    }

    /// Backup runs go to the results catalog when one is configured explicitly (`catalogfile` or `catalogurl`),
    /// so reports can show backups beside restores. Recording is best effort: a backup is not failed for it.
    func recordBackupRun(
        _ request: BackupRequest, settings: DatabaseSettings, started: Date, success: Bool, snapshotID: String?,
        detail: String?, logger: Logger
    ) async {
        // Recorded in an explicitly configured catalog only: the original's backup never connected to its Oracle
        // results catalog (`autorestorecatalog` without `autorestorecatalogtype`), so that one is not used here.
        let oracle = settings.autorestore.catalogType == "oracle"
        let explicitCatalog =
            oracle ? !settings.autorestore.catalogTypeImplied : settings.autorestore.catalogLocation != nil
        guard [.imagecopywithsnap, .backupimagecopy].contains(request.action), explicitCatalog,
            let openCatalog
        else { return }
        do {
            let catalog = try openCatalog(settings, logger)
            // The Oracle schema is created by `autorestore --createcatalog` only (its owner's grants, its job).
            if !oracle { try await catalog.prepare() }
            try await catalog.recordBackup(
                BackupRunRecord(
                    database: request.database, action: request.action.rawValue, startedAt: started,
                    finishedAt: clock(), success: success, snapshotID: snapshotID, failureDetail: detail))
            logger.debug("Backup run recorded in the \(catalog.backendName) catalog")
        } catch {
            logger.warning("Recording the backup run in the results catalog failed: \(error)")
        }
    }
}
