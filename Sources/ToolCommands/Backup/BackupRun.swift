import BackupEngine
import ConfigModel
import Foundation
import Logging
import OracleTools
import ResultCatalog
import RetentionPolicy
import StorageKit
import ToolSupport

/// One `backup <db> <action>`: the original's start-up sequence (reference §2.1), then the action.
struct BackupRun {
    var configuration: BackupConfiguration
    var database: String
    var action: String
    var dryRun: Bool
    var environment: [String: String]
    /// `generaterestore --until/--snapshot`.
    var restoreRequest = RestoreRequest()

    /// `generaterestore` with a time or a snapshot chooses among the snapshots, so it needs the storage.
    var needsStorage: Bool {
        action == "imagecopywithsnap"
            || (action == "generaterestore" && (restoreRequest.until != nil || restoreRequest.snapshotID != nil))
    }

    var purposes: ConfigPurpose {
        switch action {
        case "imagecopywithsnap": [.backup, .storage, .retention]
        case "generaterestore" where needsStorage: [.backup, .storage]
        case "setschedule": [.backup, .scheduling]
        default: [.backup]
        }
    }

    func execute() async throws {
        // Configuration first: every problem at once, exit 2.
        var (settings, problems) = configuration.databaseCollectingProblems(database, for: purposes)
        if let loaded = settings, !loaded.doSnapshot, needsStorage {
            (settings, problems) = configuration.databaseCollectingProblems(database, for: [.backup])
        }
        guard let settings, problems.isEmpty else { throw ToolExit.usage(ConfigError(problems).description) }
        var retention: RetentionConfiguration?
        if action == "imagecopywithsnap", settings.doSnapshot {
            do {
                retention = try configuration.retentionConfiguration(database: database)
            } catch {
                throw ToolExit.usage("\(configuration.path): [\(database)] \(error.description)")
            }
        }
        guard let destination = settings.backupDestination, let home = settings.generic.oracleHome else {
            throw ToolExit.usage("\(configuration.path): [\(database)] backupdest and oraclehome are required")
        }

        // never write a backup (or its log) to a local directory where the NFS area should be mounted.
        if settings.generic.requireMount, !dryRun {
            do {
                try BackupAreaCheck.verify(destination)
            } catch {
                throw ToolExit.failure(error.description)
            }
        }
        // A missing area would be created empty by the run's log and then backed up into and cleaned (delete
        // obsolete, snapshot retention); on mounted storage it may be a share that is not mounted yet. Only
        // `config`, which sets a database up, creates it. A dry run writes nothing, so it may show what would run.
        if action != "config", !dryRun {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory)
                || !isDirectory.boolValue
            {
                throw ToolExit.usage(
                    "\(configuration.path): [generic] backupdest: the backup area \(destination) of \(database) does not exist (or is not a directory); refusing to run \(action), which would create it empty on the local disk and apply delete obsolete and retention to it. Mount the backup area, or set the database up with 'backup \(database) config'"
                )
            }
        }

        let runLog = RunLog(screen: RunLog.standardOutput)
        let logger = runLog.logger(name: database)
        let now = Date()
        let logPath = RunLogNames.backupLog(destination: destination, database: database, action: action, date: now)
        logger.debug("Oracle home: \(home)")
        let runner = OracleRunner(
            home: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), sid: nil, baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), logger: logger,
            appendToLog: { runLog.appendRaw($0) })
        let templates: ScriptTemplates
        do {
            templates = try BuiltInTemplates.load(
                BuiltInTemplates.backup,
                overrideDirectory: settings.generic.templateDirectory)
        } catch {
            throw ToolExit.usage(error.description)
        }
        var storage: (any StorageDriver)?
        if needsStorage, settings.doSnapshot {
            do {
                storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
            } catch let exit as ToolExit {
                throw exit
            } catch {
                throw ToolExit.usage("\(error)")
            }
            if dryRun, let base = storage { storage = DryRunStorage(base: base, print: { Output.line($0) }) }
        }
        let (environment, retentionRules) = (environment, retention)
        let keepVerifiedExplicit = configuration.keepVerifiedIsExplicit(database: database)
        let job = BackupJob(
            settings: settings, configurationPath: configuration.path,
            oracle: dryRun ? DryRunOracle(print: { Output.line($0) }) : runner, templates: templates, storage: storage,
            retention: retention,
            verifiedSnapshots: {
                guard let retentionRules else { return .known([]) }
                return await VerifiedSnapshotLookup.read(
                    settings: settings, retention: retentionRules,
                    keepVerifiedExplicit: keepVerifiedExplicit,
                    environment: environment, logger: logger)
            },
            logger: logger, logFile: logPath,
            programDirectory: ProgramLocation.executableDirectory,
            osPassword: environment["OSPASSWORD"],
            restoreDestination: (try? configuration.lookup(defaultSection: database).value(
                "restoredestination", section: "generic"))??.value ?? "+DATA",
            dryRun: dryRun, screen: { Output.line($0) })

        if dryRun {
            Output.line("Dry run of \(action) for \(database): nothing is executed, locked or written.")
            _ = try await perform(job)
            return
        }

        let session = RunSession(
            runLog: runLog, logPath: logPath, logRetentionDays: settings.generic.logRetentionDays,
            lockDirectory: destination, maxLockWait: .seconds(60 * (settings.generic.maxLockWaitMinutes ?? 0)),
            dumpLogToScreen: environment["BACKUP_LOG_TO_SCREEN"] == "TRUE")
        let started = Date()
        do {
            let snapshotID = try await session.run(
                logger: logger, snapshotPending: job.storage != nil && action == "imagecopywithsnap"
            ) { lock in
                logger.info("Configuration file: \(configuration.path)")
                var locked = job
                locked.snapshotLock = lock
                return try await perform(locked)
            }
            await recordBackupRun(
                settings: settings, started: started, success: true, snapshotID: snapshotID,
                detail: nil, logger: logger)
        } catch {
            if case .action(let underlying) = error {
                await recordBackupRun(
                    settings: settings, started: started, success: false, snapshotID: nil,
                    detail: "\(underlying)", logger: logger)
            }
            switch error {
            case .lock(let lockError):
                throw ToolExit(2, lockError.description)
            case .logFile(let message):
                throw ToolExit.failure(message)
            case .action(let underlying):
                let exitCode = (underlying as? BackupError)?.exitCode ?? 1
                logger.error("\(action) failed: \(underlying)")
                throw ToolExit(exitCode, "")
            }
        }
    }

    /// Backup runs go to the results catalog when one is configured explicitly (`catalogfile` or `catalogurl`),
    /// so reports can show backups beside restores. Recording is best effort here: a backup is not failed for it.
    func recordBackupRun(
        settings: DatabaseSettings, started: Date, success: Bool, snapshotID: String?,
        detail: String?, logger: Logger
    ) async {
        // Recorded in an explicitly configured catalog only: the original's backup never connected to its Oracle
        // results catalog (`autorestorecatalog` without `autorestorecatalogtype`), so that one is not used here.
        let oracle = settings.autorestore.catalogType == "oracle"
        let explicitCatalog =
            oracle ? !settings.autorestore.catalogTypeImplied : settings.autorestore.catalogLocation != nil
        guard ["imagecopywithsnap", "backupimagecopy"].contains(action), explicitCatalog else { return }
        do {
            let catalog = try CatalogFactory.make(settings: settings, environment: environment, logger: logger)
            // The Oracle schema is created by `autorestore --createcatalog` only (its owner's grants, its job).
            if !oracle { try await catalog.prepare() }
            try await catalog.recordBackup(
                BackupRunRecord(
                    database: database, action: action, startedAt: started, finishedAt: Date(),
                    success: success, snapshotID: snapshotID, failureDetail: detail))
            logger.debug("Backup run recorded in the \(catalog.backendName) catalog")
        } catch {
            logger.warning("Recording the backup run in the results catalog failed: \(error)")
        }
    }

    /// Runs the action; returns the snapshot it took, if any.
    func perform(_ job: BackupJob) async throws -> String? {
        switch action {
        case "config": try await job.config()
        case "imagecopywithsnap": return try await job.imageCopyWithSnap().snapshotID
        case "missingarchlog": try await job.missingArchivelogs()
        case "setschedule": try await job.setSchedule()
        case "generaterestore": try await job.generateRestore(restoreRequest)
        case "backupimagecopy", "report", "validatebackup": try await job.plainRMAN(action)
        default: throw ToolExit.usage("unknown action \(action)")
        }
        return nil
    }
}
