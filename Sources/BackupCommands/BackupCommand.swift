import ArgumentParser
import BackupEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import OracleTools
import RetentionPolicy
import StandardDrivers
import StorageKit
import StorageRetention
import ToolSupport

/// `backup [--config F] [--dry-run] <db> <action>`, `backup [--config F] checkconfig`,
/// `backup [--config F] --all <action> [--exclude a,b] [--parallel N]`.
public struct BackupCommand: AsyncParsableCommand {
    /// The command's name, one-line summary and `--help` discussion (actions, configuration file, exit codes).
    public static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Incremental-forever RMAN image-copy backups on snapshot-capable storage.",
        discussion: """
            Actions for one database: config, imagecopywithsnap, missingarchlog, setschedule, generaterestore,
            backupimagecopy, report, validatebackup, showconfig,
            systemd-units [--user USER] [--prefix DIR] (prints systemd service+timer pairs for the backup,
            missingarchlog and autorestore).
            Actions for the whole configuration file: checkconfig.
            configreference prints the configuration reference (every key, its default and meaning) as Markdown;
            it reads no configuration file.
            The configuration file is --config, else $BACKUPCONFIG, else backup.cfg beside this program.
            Exit codes: 0 success, 1 Oracle or storage failure, 2 usage, configuration or lock problem.
            """)

    /// The original's usage line, printed on every usage error.
    public static let usage =
        "Usage: backup [--config FILE] [--dry-run] <database> <config|setschedule|backupimagecopy|report|validatebackup|generaterestore|imagecopywithsnap|missingarchlog|showconfig>\n"
        + "       backup [--config FILE] <database> generaterestore [--until 'YYYY-MM-DD HH24:MI:SS'] [--snapshot ID]\n"
        + "       backup [--config FILE] <database> systemd-units [--user USER] [--prefix DIR]\n"
        + "       backup [--config FILE] checkconfig\n"
        + "       backup configreference\n"
        + "       backup [--config FILE] --all <action> [--exclude db1,db2] [--parallel N]"

    static let databaseActions: Set<String> = [
        "config", "setschedule", "backupimagecopy", "report", "validatebackup", "generaterestore",
        "imagecopywithsnap", "missingarchlog", "showconfig", "systemd-units",
    ]
    static let fileActions: Set<String> = ["checkconfig", "configreference"]

    /// `--config FILE`.
    @OptionGroup public var configuration: ConfigurationOptions

    /// The configuration file given with `--config`.
    public var config: String? { configuration.config }

    /// `--dry-run`: print the scripts and storage changes the action would make, in order, and change nothing.
    @Flag(name: .long, help: "Print every RMAN/SQL*Plus script and storage change in order; change nothing.")
    public var dryRun = false

    /// `--all`: run the one action for every database of the configuration file (the original's `exec_all.py`).
    @Flag(name: .long, help: "Run the action for every database of the configuration file.")
    public var all = false

    /// `--exclude a,b`: with `--all`, the databases to leave out; `nil` leaves none out.
    @Option(name: .long, help: "With --all: comma-separated databases to leave out.")
    public var exclude: String?

    /// `--parallel N`: with `--all`, how many databases run at the same time (at least 1; the original ran them one by
    /// one).
    @Option(name: .long, help: "With --all: how many databases run at the same time (default 1).")
    public var parallel: Int = 1

    /// `--until 'YYYY-MM-DD HH24:MI:SS'`: with `generaterestore`, the recovery target in database time; `nil` recovers
    /// as far as the backup reaches.
    @Option(
        name: .long,
        help:
            "generaterestore: recover to this time, 'YYYY-MM-DD HH24:MI:SS' (database time; default: as far as the backup reaches)."
    )
    public var until: String?

    /// `--snapshot ID`: with `generaterestore`, the snapshot to restore from; `nil` takes the first one taken at or
    /// after `--until`.
    @Option(
        name: .long,
        help: "generaterestore: restore from this snapshot (default: the first one taken at or after --until).")
    public var snapshot: String?

    /// `--user USER`: with `systemd-units`, the OS user the jobs run as; `nil`: `osuser` of `[generic]`, else
    /// `oracle`.
    @Option(name: .long, help: "systemd-units: the OS user the jobs run as (default: osuser, else oracle).")
    public var user: String?

    /// `--prefix DIR`: with `systemd-units`, the directory holding the installed `backup` and `autorestore`;
    /// `nil`: this program's directory.
    @Option(
        name: .long,
        help: "systemd-units: the directory holding the installed backup and autorestore (default: this program's).")
    public var prefix: String?

    /// The positional words: `<database> <action>`, a file-wide action (`checkconfig`), or with `--all` the action
    /// alone.
    @Argument(help: "<database> <action>, a file-wide action such as checkconfig, or with --all just <action>.")
    public var words: [String] = []

    /// An empty command; ArgumentParser fills the options when it parses the arguments.
    public init() {}

    /// Checks the argument combination before anything is read: known actions, `--until`/`--snapshot` only with
    /// `generaterestore` for one database (a past time, a plausible snapshot ID), `--exclude`/`--parallel` only with
    /// `--all`, a valid database name. Throws `ValidationError` (usage, exit 2).
    public func validate() throws {
        if until != nil || snapshot != nil {
            let option = until != nil ? "--until" : "--snapshot"
            guard !all, words.count == 2, words[1].lowercased() == "generaterestore" else {
                throw ValidationError(
                    "\(option) goes with generaterestore for one database: backup <database> generaterestore \(option) …"
                )
            }
        }
        if let until {
            guard let time = RestoreRequest.parse(until, timeZone: .current) else {
                throw ValidationError(
                    "--until must be a time 'YYYY-MM-DD HH24:MI:SS' (for example '2016-11-08 21:40:00'), not '\(until)'"
                )
            }
            guard time <= Date() else {
                throw ValidationError("--until \(until) is in the future: no backup reaches it yet")
            }
        }
        if user != nil || prefix != nil {
            let option = user != nil ? "--user" : "--prefix"
            guard !all, words.count == 2, words[1].lowercased() == "systemd-units" else {
                throw ValidationError(
                    "\(option) goes with systemd-units for one database: backup <database> systemd-units \(option) …")
            }
        }
        if let user, user.isEmpty || user.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "'" }) {
            throw ValidationError("--user must be an OS user name, not '\(user)'")
        }
        if let prefix, !prefix.hasPrefix("/") || prefix.contains(where: \.isNewline) {
            throw ValidationError(
                "--prefix must be an absolute directory (systemd runs the tools by full path), not '\(prefix)'")
        }
        if let snapshot, snapshot.isEmpty || snapshot.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "'" }) {
            throw ValidationError(
                "--snapshot must be a snapshot ID as 'snapper <database> list' shows it, not '\(snapshot)'")
        }
        if all {
            guard words.count == 1, Self.databaseActions.contains(words[0].lowercased()),
                !["showconfig", "systemd-units"].contains(words[0].lowercased())
            else { throw ValidationError("--all takes exactly one database action") }
            guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
            return
        }
        if exclude != nil || parallel != 1 { throw ValidationError("--exclude and --parallel go with --all") }
        switch words.count {
        case 1 where Self.fileActions.contains(words[0].lowercased()): return
        case 2 where Self.databaseActions.contains(words[1].lowercased()):
            try DatabaseArgument.validate(words[0])
        default: throw ValidationError("unknown action or wrong number of arguments: \(words.joined(separator: " "))")
        }
    }

    /// Loads the configuration and runs the action through `BackupEngine` (or checks or shows the configuration).
    /// Throws ``ToolExit``: 1 for an Oracle or storage failure, 2 for a usage, configuration or lock problem.
    public func run() async throws {
        if !all, words.count == 1, words[0].lowercased() == "configreference" {
            Output.write(1, ConfigurationReference.markdown())
            return
        }
        let environment = ProcessInfo.processInfo.environment
        if !all, words.count == 2, words[1].lowercased() == "setschedule", (environment["OSPASSWORD"] ?? "").isEmpty {
            throw ToolExit.usage("Environment variable OSPASSWORD must be set.")
        }
        let configuration = try self.configuration.loadForTool(
            environment: environment, storageModules: StandardDrivers.registry)
        if all {
            let code = try await AllDatabases.run(
                action: words[0].lowercased(), configuration: configuration, exclude: exclude, parallel: parallel,
                dryRun: dryRun)
            throw ToolExit(code)
        }
        if words.count == 1 {
            try checkConfig(configuration)
            return
        }
        let action = words[1].lowercased()
        if action == "showconfig" {
            try showConfig(configuration, database: words[0])
            return
        }
        if action == "systemd-units" {
            try systemdUnits(configuration, database: words[0])
            return
        }
        guard let backupAction = BackupAction(rawValue: action) else {
            throw ToolExit.usage("unknown action \(action)")
        }
        let outcome = await BackupEngine.standard(configuration: configuration, environment: environment).run(
            BackupRequest(
                database: words[0], action: backupAction, dryRun: dryRun,
                restore: RestoreRequest(until: until, snapshotID: snapshot)))
        if let failure = outcome.failure { throw failure.toolExit }
        // The off-site copy ([replication]) after the backup's own result is settled: its failure is exit 3.
        if backupAction == .imagecopywithsnap, !dryRun,
            let warning = await OffsiteCopy.run(
                database: words[0], configuration: configuration, environment: environment)
        {
            throw ToolExit(OffsiteCopy.failedExitCode, warning)
        }
    }

    func checkConfig(_ configuration: BackupConfiguration) throws {
        let result = ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run()
        for warning in result.warnings { Output.error("WARNING: \(warning)") }
        let (problems, names) = (result.problems, result.databases)
        if problems.isEmpty {
            Output.line(
                "Configuration file \(configuration.path) is valid: \(names.count) database\(names.count == 1 ? "" : "s") (\(names.joined(separator: ", ")))"
            )
            return
        }
        Output.error(
            "Configuration file \(configuration.path) has \(problems.count) problem\(problems.count == 1 ? "" : "s"):")
        for problem in problems { Output.error("  \(problem)") }
        throw ToolExit(2)
    }

    func systemdUnits(_ configuration: BackupConfiguration, database: String) throws {
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: [])
        guard let settings, problems.isEmpty else {
            throw ToolExit.usage(ConfigError(problems).description)
        }
        let path = URL(fileURLWithPath: configuration.path).standardizedFileURL.path
        let units = SystemdUnits(
            settings: settings, configurationPath: path,
            toolDirectory: prefix ?? ProgramLocation.executableDirectory, user: user)
        Output.line(units.text)
    }

    func showConfig(_ configuration: BackupConfiguration, database: String) throws {
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: [])
        guard let settings, problems.isEmpty else {
            throw ToolExit.usage(ConfigError(problems).description)
        }
        let storage = StandardDrivers.registry.settingsReport(for: settings, in: configuration)
        let credentials = settings.storage.moduleName.flatMap {
            StandardDrivers.registry.registration(forModule: $0)?.descriptor.credentials
        }.flatMap { try? configuration.loadCredentials($0) }
        Output.line(
            ConfigReport.render(settings, configuration: configuration, storage: storage, credentials: credentials))
    }
}
