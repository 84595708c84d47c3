import ArgumentParser
import AutorestoreEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import OracleTools
import StandardCatalogs
import StandardDrivers
import StorageKit
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `autorestore [--config F] [--parallel N] [<db> | !<db> | --createcatalog | --listvalidationdates]`.
/// The original's `autorestore <configfile> …` form also works: a first word ending in `.cfg` is the file.
public struct AutorestoreCommand: AsyncParsableCommand {
    /// The command's name, one-line summary and `--help` discussion (sandbox rule, exit codes).
    public static let configuration = CommandConfiguration(
        commandName: "autorestore",
        abstract: "Proves that backups restore: clone a snapshot, restore it on a throw-away instance, verify.",
        discussion: """
            Runs only on an isolated host and only with AUTORESTORE_SAFE_SANDBOX=TRUE.
            Exit codes: 0 all restores passed, 1 a restore (or recording it) failed, 2 usage or lock problem,
            3 the sandbox acknowledgement is missing.
            """)

    /// The usage text printed after every usage error (exit 2).
    public static let usage = """
        Usage: autorestore [--config FILE] [--parallel N] [<database> | !<database> | --createcatalog | --listvalidationdates]
          Without a database every enabled database is restored; !<database> excludes one.
               autorestore [--config FILE] --check <database> [--max-age-hours N]   (Nagios check, exit 0-3)
        """

    /// `--config FILE`.
    @OptionGroup public var configuration: ConfigurationOptions

    /// The configuration file given with `--config`.
    public var config: String? { configuration.config }

    /// `--parallel N`: how many databases are restored at the same time, each with its own clone and directories (at
    /// least 1; the original restored one by one).
    @Option(
        name: .long, help: "Restore this many databases at the same time (each gets its own clone and directories).")
    public var parallel: Int = 1

    /// `--createcatalog`: create the results catalog schema (the original's `--createcatalog`) and exit.
    @Flag(name: .long, help: "Create the results catalog schema.")
    public var createcatalog = false

    /// `--listvalidationdates`: print each enabled database's next block-validation date (or how validation is chosen)
    /// and exit.
    @Flag(name: .long, help: "Print the next block-validation date of every database.")
    public var listvalidationdates = false

    /// `--from-replica`: restore from the off-site copy (`[replication]`): the snapshot is chosen among the replica's
    /// and cloned there, so the restore test proves the copy at the second site.
    @Flag(name: .long, help: "Restore from the off-site copy ([replication]) instead of the database's own storage.")
    public var fromReplica = false

    /// `--check <db> [--max-age-hours N]`: the Nagios check of the newest restore test (AutorestoreCheckCommand.swift).
    @OptionGroup public var checkOptions: AutorestoreCheckOptions

    /// The positional words: the original's `<configfile>.cfg`, then `<database>` (only that one) or `!<database>` (all
    /// but that one); without a database every enabled database is restored.
    @Argument(help: "[<configfile>.cfg] [<database> | !<database>]")
    public var words: [String] = []

    /// An empty command; ArgumentParser fills the options when it parses the arguments.
    public init() {}

    /// Checks the arguments before anything is read: `--parallel` at least 1, at most one configuration file and one
    /// database selector, no selector with `--createcatalog` or `--listvalidationdates`. Throws `ValidationError`
    /// (usage, exit 2).
    public func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        let positional = words.filter { !$0.hasSuffix(".cfg") }
        guard positional.count <= 1, words.count - positional.count <= 1 else {
            throw ValidationError("too many arguments: \(words.joined(separator: " "))")
        }
        if (createcatalog || listvalidationdates), !positional.isEmpty {
            throw ValidationError("\(createcatalog ? "--createcatalog" : "--listvalidationdates") takes no database")
        }
        if let selector = positional.first {
            try DatabaseArgument.validate(selector.hasPrefix("!") ? String(selector.dropFirst()) : selector)
        }
        try checkOptions.validate(otherModes: createcatalog || listvalidationdates || !positional.isEmpty)
    }

    /// Refuses root (exit 1) and a missing `AUTORESTORE_SAFE_SANDBOX=TRUE` (exit 3), loads the configuration and runs
    /// the chosen mode through `AutorestoreEngine`, printing `Exitstatus is <n>` (not after `--listvalidationdates`).
    /// Throws ``ToolExit`` when the code is not 0: 1 a restore or its recording failed, 2 a usage, configuration or
    /// lock problem.
    public func run() async throws {
        if let database = checkOptions.check {
            let file = words.first { $0.hasSuffix(".cfg") }
            try await checkOptions.run(database: database, configurationOptions: configuration, configFile: file)
        }
        if getuid() == 0 {
            // R-19: refusing is a failure, not a success.
            throw ToolExit(1, "No, I will not run as root.")
        }
        let environment = ProcessInfo.processInfo.environment
        if environment["AUTORESTORE_SAFE_SANDBOX"] != "TRUE" {
            Output.line(
                """
                THIS UTILITY RESTORES DATABASES FROM BACKUP CLONES AND STARTS ORACLE INSTANCES ON THIS HOST.
                IT MUST RUN ON A HOST WITH NO ACCESS TO PRODUCTION DATABASE STORAGE: THE RESTORED CONTROLFILE
                STILL NAMES PRODUCTION DATAFILES, ONLINE LOGS AND THE BLOCK CHANGE TRACKING FILE.
                TO CONTINUE, SET ENVIRONMENT VARIABLE AUTORESTORE_SAFE_SANDBOX TO VALUE TRUE (CASE SENSITIVE).
                """)
            throw ToolExit(3)
        }
        let configuration = try self.configuration.loadForTool(
            environment: environment, positional: words.first { $0.hasSuffix(".cfg") },
            storageModules: StandardDrivers.registry)
        // A broken file (e.g. a database section whose name is not a db_unique_name) stops every action.
        if !configuration.parseProblems.isEmpty {
            throw ToolExit.usage(ConfigError(configuration.parseProblems).description)
        }
        let selector = words.first { !$0.hasSuffix(".cfg") }
        let engine = AutorestoreEngine(
            configuration: configuration, environment: environment, parallel: parallel,
            makeDriver: { [fromReplica] settings, logger in
                do {
                    let storage = try StandardDrivers.driver(
                        for: settings, configuration: configuration, logger: logger)
                    guard fromReplica else { return storage }
                    return try Self.replicaDriver(
                        of: storage, settings: settings, configuration: configuration, logger: logger)
                } catch let setup as DriverSetupError {
                    throw AutorestoreSetupError(setup.message)
                }
            },
            openCatalog: CatalogFactory.opener(environment: environment))
        if listvalidationdates {
            for line in engine.validationDateLines() { Output.line(line) }
            return
        }
        let code: Int32
        if createcatalog {
            code = await Self.createCatalog(engine)
        } else {
            do {
                let outcomes = try await engine.run(selector: selector) { event in
                    // A problem after the log was opened is already on the screen through the run log.
                    if case .finished(let outcome) = event, let problem = outcome.setupProblem, outcome.logFile == nil {
                        Output.error(problem)
                    }
                }
                code = outcomes.map(\.exitCode).max() ?? 0
            } catch {
                Output.error(error.message)
                code = 2
            }
        }
        Output.line("Exitstatus is \(code)")
        if code != 0 { throw ToolExit(code) }
    }

    /// The driver of `settings`' volume at the replica site; a setup error naming `[replication]` when the database
    /// has none configured.
    static func replicaDriver(
        of storage: any StorageDriver, settings: DatabaseSettings, configuration: BackupConfiguration, logger: Logger
    ) throws -> any StorageDriver {
        guard
            let replica = try StandardDrivers.registry.replica(
                of: storage, database: settings.name, in: configuration, databaseModule: settings.storage.moduleName,
                logger: logger)
        else {
            throw AutorestoreSetupError(
                "\(configuration.path): --from-replica: no replication configured for \(settings.name) (add a [replication] section)"
            )
        }
        return replica.driver
    }

    static func createCatalog(_ engine: AutorestoreEngine) async -> Int32 {
        do {
            Output.line("Results catalog (\(try await engine.createCatalog())) is ready")
            return 0
        } catch let error as AutorestoreSetupError {
            Output.error(error.message)
            return 2
        } catch {
            Output.error("\(error)")
            return 1
        }
    }
}
