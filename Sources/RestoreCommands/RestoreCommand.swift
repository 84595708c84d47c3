import ArgumentParser
import AutorestoreEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import OracleTools
import StandardDrivers
import StorageKit
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `restore [--config F] <db>` (or the original's `restore <configfile>.cfg <db>`): a point-in-time copy of a database on an isolated host (the original's
/// restore.py), interactive by default, scriptable with flags.
public struct RestoreCommand: AsyncParsableCommand {
    /// The command's name, one-line summary and `--help` discussion (interactive and unattended use).
    public static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Starts a copy of a database restored to a point in time, from a snapshot clone.",
        discussion: """
            Without flags it asks every question like the original. With --target-time, --sid, --mount-dir (NFS
            storage only) and --yes it runs unattended; the clone is then mounted with mountcommand of
            [autorestore] (${mountstring}, ${mountpoint}). The instance is left open READ ONLY; the printed steps
            clean up.

            With --instant --move-to DIR it is an instant restore for production: the database opens READ WRITE
            (resetlogs) on the clone's image copies, then every datafile is moved online to DIR (Oracle 12.1 and
            later) and the clone is dropped. An interrupted run continues when the same command (or --resume) runs
            again.
            """)

    /// The usage line printed after every usage error (exit 2).
    public static let usage =
        "Usage: restore [--config FILE | <configfile>.cfg] <database> [--list-snapshots] [--target-time 'YYYY-MM-DD HH:MM:SS' [--utc]] [--snapshot ID] [--sid SID] [--mount-dir DIR] [--yes] [--instant --move-to DIR [--resume]]"

    /// `--config FILE`.
    @OptionGroup public var configuration: ConfigurationOptions

    /// The configuration file given with `--config`.
    public var config: String? { configuration.config }

    /// `--list-snapshots`: list the database's snapshots and exit without restoring.
    @Flag(name: .long, help: "List the snapshots and exit.")
    public var listSnapshots = false

    /// `--target-time 'YYYY-MM-DD HH:MM:SS'`: the recovery target (local time unless `--utc`); `nil` asks for it.
    @Option(name: .long, help: "Restore to this time, 'YYYY-MM-DD HH:MM:SS' (local time unless --utc).")
    public var targetTime: String?

    /// `--utc`: `--target-time` is in UTC rather than the host's time zone.
    @Flag(name: .long, help: "The target time is UTC.")
    public var utc = false

    /// `--snapshot ID`: the snapshot to restore from; `nil` takes the oldest one taken at or after the target time.
    @Option(name: .long, help: "Restore from this snapshot instead of the first one taken after the target time.")
    public var snapshot: String?

    /// `--sid SID`: the new instance's SID, 1 to 8 ASCII letters or digits; `nil` asks for it.
    @Option(name: .long, help: "SID of the new instance (at most 8 letters and digits).")
    public var sid: String?

    /// `--mount-dir DIR`: an existing, writable directory where an NFS clone is mounted; `nil` asks for it. Not used on
    /// storage whose clones are local directories.
    @Option(name: .long, help: "Where the clone is mounted (NFS storage).")
    public var mountDir: String?

    /// `--yes`: answer yes to every question (isolation, parameters, mount done); an NFS clone is then mounted with
    /// `mountcommand` of `[autorestore]`.
    @Flag(name: .long, help: "Answer yes to the questions (isolation, parameters, mount done).")
    public var yes = false

    /// `--instant`: an instant restore for production (open READ WRITE on the clone, then move the datafiles to
    /// `--move-to`).
    @Flag(name: .long, help: "Instant restore: run the database from the clone, then move its datafiles to --move-to.")
    public var instant = false

    /// `--move-to DIR`: the primary storage directory an instant restore moves the datafiles to.
    @Option(name: .long, help: "With --instant: the primary storage directory the datafiles move to.")
    public var moveTo: String?

    /// `--resume`: continue an interrupted instant restore (the same command without it continues too).
    @Flag(name: .long, help: "With --instant: continue an interrupted instant restore.")
    public var resume = false

    /// The positional words: the original's optional `<configfile>.cfg`, then the database.
    @Argument(help: "[<configfile>.cfg] <database>: the original's `restore.py <configfile> <db>` form also works.")
    public var words: [String] = []

    /// The database (configuration section): the last word.
    public var database: String { words.last ?? "" }

    /// The original's `restore <configfile>.cfg <db>` form: the first of two words, when it ends in `.cfg`.
    var positionalFile: String? {
        guard words.count == 2, let name = words.first, name.hasSuffix(".cfg") else { return nil }
        return name
    }

    /// An empty command; ArgumentParser fills the options when it parses the arguments.
    public init() {}

    /// Checks the arguments before anything is read: one database (after an optional `.cfg` file), a valid `--sid`
    /// and `--target-time`. Throws `ValidationError` (usage, exit 2).
    public func validate() throws {
        guard words.count == 1 || (words.count == 2 && words[0].hasSuffix(".cfg")) else {
            throw ValidationError(
                words.isEmpty ? "missing the database" : "too many arguments: \(words.joined(separator: " "))")
        }
        try DatabaseArgument.validate(database)
        if let sid, !PointInTimeRestore.isValidSID(sid) {
            throw ValidationError("--sid must be 1 to 8 letters or digits")
        }
        if let targetTime, PointInTimeRestore.parseTime(targetTime, utc: utc) == nil {
            throw ValidationError("--target-time must be 'YYYY-MM-DD HH:MM:SS'")
        }
        if !instant && (moveTo != nil || resume) {
            throw ValidationError("--move-to and --resume belong to --instant")
        }
        if instant && moveTo == nil { throw ValidationError("--instant needs --move-to DIR (the primary storage)") }
        if instant && listSnapshots { throw ValidationError("--list-snapshots cannot be combined with --instant") }
    }

    /// Asks the original's questions (or takes the flags), clones the chosen snapshot, has it mounted, and restores
    /// and opens the copy READ ONLY through `PointInTimeRestore`; prints the clean-up steps whatever the result.
    /// Refuses root (exit 1). Throws ``ToolExit``: 1 for a refusal, no suitable snapshot or a failed restore, 2 for a
    /// usage or configuration problem.
    public func run() async throws {
        if instant { return try await runInstant() }
        Output.line("This utility will start a copy of a database restored to a specified point in time.")
        Output.line("THIS UTILITY SHOULD NOT BE RUN ON A SYSTEM WITH ACCESS TO PRODUCTION STORAGE!")
        Output.line("THIS UTILITY IS NOT INTENDED FOR EMERGENCY PRODUCTION RESTORE.")
        Output.line("")
        if getuid() == 0 { throw ToolExit(1, "No, I will not run as root.") }
        let environment = ProcessInfo.processInfo.environment
        let configuration = try self.configuration.loadForTool(
            environment: environment, positional: positionalFile, storageModules: StandardDrivers.registry)
        let (loaded, problems) = configuration.databaseCollectingProblems(database, for: [.storage])
        guard let settings = loaded, problems.isEmpty, let home = settings.generic.oracleHome else {
            throw ToolExit.usage(ConfigError(problems).description)
        }
        let (logDirectory, logPath, logger, storage) = try openSession(
            kind: "restore", settings: settings, configuration: configuration, environment: environment)
        // The storage session ends with the restore (or the listing), failed or not.
        try await closingStorage(storage) {
            // Up front, before any storage call: without named clones there is nothing to restore from.
            if !listSnapshots, let refusal = storage.refusal(lacking: .clone, for: "restore") {
                logger.error("\(refusal)")
                throw ToolExit.usage(refusal)
            }
            let snapshots = try await listedSnapshots(storage)
            let dialogue = RestoreDialogue(yes: yes)
            if listSnapshots {
                for snapshot in snapshots { Output.line(DisplayFormat.snapshotLine(snapshot)) }
                return
            }

            try dialogue.confirmIsolation()
            // Clones that are local directories are used in place; an NFS clone is mounted over a directory.
            let mountPath: String?
            if storage.capabilities.contains(.localClones) {
                mountPath = nil
            } else {
                mountPath = try dialogue.mountDirectory(
                    given: mountDir, homeDirectories: [environment["HOME"], NSHomeDirectory()].compactMap { $0 })
            }
            let target = try dialogue.targetTime(given: targetTime, utc: utc)
            let snapshot: Snapshot
            do throws(PointInTimeRestore.PlanningError) {
                snapshot = try PointInTimeRestore.snapshot(
                    named: self.snapshot, target: target, in: snapshots, database: database)
            } catch {
                throw ToolExit(error.exitCode, error.message)
            }
            let instance = try dialogue.instanceName(given: sid)
            let cloneName = PointInTimeRestore.cloneName(database: database, date: Date())
            try dialogue.confirmParameters([
                "Database unique name: \(database)", "Oracle home: \(home)",
                "Clone mount path: \(mountPath ?? "(the clone directory itself)")", "Target instance SID: \(instance)",
                "Restore target time UTC: \(PointInTimeRestore.formatTime(target, utc: true))",
                "Restore target time local: \(PointInTimeRestore.formatTime(target, utc: false))",
                "Restored from snapshot: \(snapshot.id)",
            ])

            // Unattended (--yes), the clone is mounted with the configured command; interactively, the DBA mounts it.
            let (mounting, automaticUnmount): (CloneMounting, [String]?)
            do throws(PointInTimeRestore.PlanningError) {
                (mounting, automaticUnmount) = try PointInTimeRestore.mounting(
                    at: mountPath, unattended: yes, settings: settings.autorestore, vendor: storage.vendor)
            } catch {
                throw ToolExit(error.exitCode, error.message)
            }
            var restoreSettings = settings
            restoreSettings.autorestore.logDirectory = logDirectory
            var restore: PointInTimeRestore
            do {
                restore = try PointInTimeRestore(
                    settings: restoreSettings, storage: storage, environment: environment, logger: logger,
                    logFile: logPath, mounting: mounting,
                    request: PointInTimeRequest(
                        targetTime: PointInTimeRestore.formatTime(target, utc: false), sid: instance,
                        snapshotID: snapshot.id,
                        cloneName: cloneName))
            } catch {
                throw ToolExit.usage("\(error)")
            }
            if let mountPath, automaticUnmount == nil {
                // The clone must be mounted before the restore reads it.
                let clone = try await cloneForManualMount(storage, snapshot: snapshot.id, name: cloneName)
                try dialogue.waitForManualMount(mountString: storage.mountString(clone: clone), mountPath: mountPath)
                restore.existingClone = clone
            }
            let result = await restore.run()
            var code: Int32 = 0
            if result.success {
                logger.info("Database restore complete")
                logger.info("SID: \(instance)")
                logger.info("Requested target time: \(PointInTimeRestore.formatTime(target, utc: false))")
                logger.info("Verified restored database time: \(result.verifiedTime ?? "unknown")")
                logger.info(
                    "Difference from target: \(PythonDuration.format(seconds: Int64(result.differenceSeconds ?? 0)))")
            } else {
                logger.error("Database restore failed")
                code = 1
            }
            Output.line("")
            Output.line("To clean up when you are done:")
            var mountString: String?
            if automaticUnmount != nil, let clone = try? await storage.cloneInfo(name: result.cloneName ?? cloneName) {
                mountString = storage.mountString(clone: clone)
            }
            for step in PointInTimeRestore.cleanUpSteps(
                sid: instance, mountPath: mountPath, unmount: automaticUnmount, mountString: mountString,
                configurationPath: configuration.path, database: database, cloneName: result.cloneName ?? cloneName)
            {
                Output.line(step)
            }
            if code != 0 { throw ToolExit(code) }
        }
    }

    /// The session of one restore: its log directory (R-18: one of our own, never /tmp's other files), a logger to
    /// the screen and `<kind>_<time>_<db>.log` there (its path printed; the logger keeps the run log open) and the
    /// database's storage driver.
    func openSession(
        kind: String, settings: DatabaseSettings, configuration: BackupConfiguration, environment: [String: String]
    ) throws -> (logDirectory: String, logPath: String, logger: Logger, storage: any StorageDriver) {
        let logDirectory =
            settings.autorestore.logDirectory
            ?? (environment["HOME"] ?? NSTemporaryDirectory()) + "/oib-restore-logs"
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let runLog = RunLog(screen: RunLog.standardOutput)
        let logger = runLog.logger(name: database)
        let logPath = logDirectory + "/\(kind)_\(RunLogNames.timestamp(Date()))_\(database).log"
        do {
            try runLog.attach(file: logPath)
        } catch {
            throw ToolExit.failure("cannot write the session log \(logPath): \(error)")
        }
        Output.line("Session log file: \(logPath)")
        do {
            let storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
            return (logDirectory, logPath, logger, storage)
        } catch let setup as DriverSetupError {
            throw ToolExit(setup.exitCode, setup.message)
        } catch {
            throw ToolExit.usage("\(error)")
        }
    }

    func listedSnapshots(_ storage: any StorageDriver) async throws -> [Snapshot] {
        do {
            return try await storage.listSnapshots().sortedByCreation()
        } catch {
            throw ToolExit.failure("listing snapshots failed: \(error)")
        }
    }

    func cloneForManualMount(_ storage: any StorageDriver, snapshot: String, name: String) async throws -> Clone {
        do {
            return try await storage.cloneSnapshot(id: snapshot, cloneName: name)
        } catch {
            throw ToolExit.failure("cloning snapshot \(snapshot) failed: \(error)")
        }
    }
}
