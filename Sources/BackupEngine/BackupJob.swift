import ConfigModel
import Foundation
import Logging
import OracleTools
import RetentionPolicy
import StorageKit
import ToolSupport

/// A failure of a backup action, with the exit code the original used for it (see `ActionFailure`).
public typealias BackupError = ActionFailure

/// Everything one backup action of one database needs: settings, Oracle access, templates, storage, the run
/// log and the clock. Values are per run: nothing is shared between databases.
public struct BackupJob: Sendable {
    /// The database's settings, resolved from its section and the shared ones (`[generic]`, `[rman]`, storage).
    public var settings: DatabaseSettings
    /// The configuration file's path, for messages.
    public var configurationPath: String
    /// Runs RMAN, SQL*Plus and helpers: an `OracleRunner`, or a `DryRunOracle` that only prints.
    public var oracle: any OracleExecution
    /// The backup scripts, `rmantemplate.cfg` (the DBA's copy in `templatedir` first).
    public var templates: ScriptTemplates
    /// The storage driver; nil when `dosnapshot` is false or the action needs none.
    public var storage: (any StorageDriver)?
    /// Snapshot retention rules (`snapexpirationdays`, `snapexpirationmonths`, …); nil runs no retention.
    public var retention: RetentionConfiguration?
    /// Reads, at retention time, which snapshots passed an autorestore (`snapkeepverified`).
    public var verifiedSnapshots: @Sendable () async -> VerifiedSnapshots
    /// Writes the run log (and any extra handler of the embedder); step titles go at INFO.
    public var logger: Logger
    /// The run log file RMAN and SQL*Plus append to.
    public var logFile: String
    /// Directory of the `backup` executable (`${scriptpath}`, used by scheduler programs).
    public var programDirectory: String
    /// `OSPASSWORD` for `setschedule`.
    public var osPassword: String?
    /// Where `generaterestore` copies datafiles (`restoredestination`, default `+DATA`).
    public var restoreDestination: String
    /// Print scripts and storage changes instead of running them, and write no files (`--dry-run`).
    public var dryRun: Bool
    /// Prints to the user's screen (stdout), for `generaterestore` and dry runs.
    public var screen: @Sendable (String) -> Void
    /// The clock: timings, snapshot names and retention ages.
    public var now: @Sendable () -> Date
    /// The zone of snapshot names, logged timestamps and `generaterestore --until` (the host's by default).
    public var timeZone: TimeZone
    /// The run's lock in the backup area; its file is removed while the snapshot is taken.
    public var snapshotLock: HardLinkLock?
    /// Receives the run's progress (steps, the snapshot, retention).
    public var events: @Sendable (BackupEvent) -> Void = { _ in }
    /// Reads, at retention time, what the database's off-site copy holds (`[replication]`), so that retention keeps
    /// the base of its next incremental copy; `.none` without one.
    public var offsiteCopyBase: @Sendable () async -> OffsiteCopyBase = { .none }

    /// A job for one action of one database; ``BackupEngine`` builds it from the configuration.
    public init(
        settings: DatabaseSettings, configurationPath: String, oracle: any OracleExecution,
        templates: ScriptTemplates, storage: (any StorageDriver)?, retention: RetentionConfiguration?,
        verifiedSnapshots: @escaping @Sendable () async -> VerifiedSnapshots, logger: Logger, logFile: String,
        programDirectory: String, osPassword: String? = nil,
        restoreDestination: String = "+DATA", dryRun: Bool = false,
        screen: @escaping @Sendable (String) -> Void, now: @escaping @Sendable () -> Date = { Date() },
        timeZone: TimeZone = .current
    ) {
        self.settings = settings
        self.configurationPath = configurationPath
        self.oracle = oracle
        self.templates = templates
        self.storage = storage
        self.retention = retention
        self.verifiedSnapshots = verifiedSnapshots
        self.logger = logger
        self.logFile = logFile
        self.programDirectory = programDirectory
        self.osPassword = osPassword
        self.restoreDestination = restoreDestination
        self.dryRun = dryRun
        self.screen = screen
        self.now = now
        self.timeZone = timeZone
    }

    var backupDestination: String { settings.backupDestination ?? "" }
    var archivelogDirectory: String { settings.archivelogDirectory ?? "" }

    /// The substitution values of the original (reference §2.1 step 7), built per run.
    func values(connection: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        var values: [String: String] = [
            "recoverywindow": settings.recoveryWindowDays.map(String.init) ?? "",
            "parallel": settings.parallelism.map(String.init) ?? "",
            "dbid": settings.dbid.map(String.init) ?? "",
            "schedulebackup": settings.scheduleBackup,
            "schedulearchlog": settings.scheduleArchivelog,
            "catalogconnect": settings.rman.catalog ?? "",
            "osuser": settings.generic.osUser ?? "",
            "backupdest": backupDestination,
            "archdir": archivelogDirectory,
            "configname": settings.name,
            "scriptpath": programDirectory,
            "oraclehome": settings.generic.oracleHome ?? "",
            "tnspath": settings.generic.tnsAdmin ?? "",
            "logfile": logFile,
            "backupjobenabled": settings.backupJobEnabled ? "true" : "false",
            "sectionsize": settings.rman.sectionSize.isEmpty ? "" : "section size \(settings.rman.sectionSize)",
            "restoredestination": restoreDestination,
            "sqlplusconnection": connection ?? "/@\(settings.name) as sysdba",
            "scheduleuserprefix": "",
        ]
        if let osPassword { values["ospassword"] = osPassword }
        values.merge(extra) { _, new in new }
        return values
    }

    func render(_ key: String, _ values: [String: String]) throws -> String {
        do {
            return try templates.render(key, values)
        } catch {
            throw BackupError(error.description, exitCode: 2)
        }
    }

    /// Header (+ catalog connect when registering) + body + footer, as the original assembled RMAN scripts.
    func rmanScript(_ body: String) throws -> String {
        let values = values()
        var parts = [try render("header", values)]
        if settings.registerCatalog { parts.append(try render("headercatalog", values)) }
        parts.append(body)
        parts.append(try render("footer", values))
        return parts.joined(separator: "\n") + "\n"
    }

    func runRMAN(_ body: String) async throws {
        try await oracle.rman(try rmanScript(body), logFile: logFile, secrets: secrets)
    }

    /// `sqlplusheader` + body + `sqlplusfooter`, connected to `tns` (default: this database).
    func runSQLPlus(_ body: String, silent: Bool, tns: String? = nil, extra: [String: String] = [:]) async throws
        -> String
    {
        let values = values(connection: "/@\(tns ?? settings.name) as sysdba", extra: extra)
        let script =
            [try render("sqlplusheader", values), body, try render("sqlplusfooter", values)]
            .joined(separator: "\n") + "\n"
        return try await oracle.sqlplus(script, silent: silent, secrets: secrets)
    }

    /// Masked wherever scripts or output are shown: the OS password and a password in the catalog connect string.
    var secrets: [String] {
        [osPassword, settings.rman.catalog.flatMap(Redaction.connectStringPassword)].compactMap { $0 }.filter {
            !$0.isEmpty
        }
    }

    /// Logs the title of a step at INFO and reports it as progress.
    func step(_ title: String) {
        logger.info("\(title)")
        events(.step(title))
    }

    func elapsed(since start: Date) -> String {
        PythonDuration.format(.milliseconds(Int64(now().timeIntervalSince(start) * 1000)))
    }

    func timestampText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }
}
