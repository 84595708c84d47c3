import ArgumentParser
import CommandSupport
import ConfigModel
import Foundation
import Logging
import Reporting
import RetentionPolicy
import SnapperEngine
import StandardCatalogs
import StandardDrivers
import StorageKit
import StorageRetention
import ToolSupport

/// `snapper [--config F] [--json] <db> <action> [name]`: the original zsnapper/zvolume on every driver.
public struct SnapperCommand: AsyncParsableCommand {
    /// The command's name, one-line summary and `--help` discussion (actions, `checkage` exit codes).
    public static let configuration = CommandConfiguration(
        commandName: "snapper",
        abstract: "Snapshots and clones of a database's backup area.",
        discussion: """
            Actions: create, list, clone <snapshot>, listclones, dropclone <clone>, checkage, clean [--dry-run],
            autoclone, dropautoclone, dropsnap <snapshot>, volume create, replicate.
            With [replication] configured: replicate sends the snapshots the off-site copy lacks; list --replica,
            clean --replica [--dry-run] and checkage --replica work on the off-site copy.
            checkage follows Nagios conventions: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
            """)

    /// The usage line printed after every usage error (exit 2).
    public static let usage =
        "Usage: snapper [--config FILE] [--json] <database> <list|clean [--dry-run]|create|checkage|clone <snapshot>|dropclone <clone>|listclones|autoclone|dropautoclone|dropsnap <snapshot>|volume create|replicate> [--replica]"

    /// What each clone action needs of the driver; checked before any storage call. `dropclone` and
    /// `dropautoclone` need the clone capability too: a driver that cannot make named clones has none to drop, and
    /// must never be asked to delete a volume by name (the original's SoftNAS `dropclone <db>` deleted the backup).
    static let requiredCapabilities: [String: StorageCapabilities] = [
        "clone": .clone, "autoclone": .clone, "dropclone": .clone, "dropautoclone": .clone,
        "listclones": .listClones,
    ]

    static let actions: [String: Int] = [
        "list": 0, "clean": 0, "create": 0, "checkage": 0, "clone": 1, "dropclone": 1, "listclones": 0,
        "autoclone": 0, "dropautoclone": 0, "dropsnap": 1, "volume": 1, "replicate": 0,
    ]

    /// The actions `--replica` turns to the off-site copy.
    static let replicaActions: Set<String> = ["list", "clean", "checkage"]

    /// `--config FILE`.
    @OptionGroup public var configuration: ConfigurationOptions

    /// The configuration file given with `--config`.
    public var config: String? { configuration.config }

    /// `--json`: print listings and created objects as JSON instead of text lines.
    @Flag(name: .long, help: "Listings as JSON.")
    public var json = false

    /// `--dry-run`: with `clean`, print the retention plan with the reason for each snapshot and drop nothing.
    @Flag(name: .long, help: "With clean: print the retention plan with reasons and drop nothing.")
    public var dryRun = false

    /// `--replica`: `list`, `clean` and `checkage` work on the off-site copy (`[replication]`).
    @Flag(name: .long, help: "With list, clean or checkage: the off-site copy ([replication]).")
    public var replica = false

    /// The positional words: `<database> <action>` and the action's argument (a snapshot, a clone, or `create` after
    /// `volume`).
    @Argument(help: "<database> <action> [name]")
    public var words: [String] = []

    /// An empty command; ArgumentParser fills the options when it parses the arguments.
    public init() {}

    /// Checks the arguments before anything is read: a known action with its argument count, `volume create`,
    /// `--dry-run` only with `clean`, a valid database name. Throws `ValidationError` (usage, exit 2).
    public func validate() throws {
        guard words.count >= 2, let arity = Self.actions[words[1].lowercased()], words.count == 2 + arity else {
            throw ValidationError("unknown action or wrong number of arguments: \(words.joined(separator: " "))")
        }
        if words[1].lowercased() == "volume", words[2] != "create" {
            throw ValidationError("volume takes one action: create")
        }
        if dryRun, words[1].lowercased() != "clean" { throw ValidationError("--dry-run goes with clean") }
        if replica, !Self.replicaActions.contains(words[1].lowercased()) {
            throw ValidationError("--replica goes with list, clean or checkage")
        }
        try DatabaseArgument.validate(words[0])
    }

    /// Loads the configuration and the database's storage driver and performs the action through `SnapperEngine`,
    /// printing its result. Throws ``ToolExit``: 1 when the action failed or was refused, 2 for a usage, configuration
    /// or lock problem; `checkage` exits with its Nagios status instead (3 UNKNOWN for any problem).
    public func run() async throws {
        let database = words[0]
        let action = words[1].lowercased()
        let environment = ProcessInfo.processInfo.environment
        let configuration: BackupConfiguration
        do {
            configuration = try self.configuration.load(
                environment: environment, storageModules: StandardDrivers.registry)
        } catch {
            throw action == "checkage"
                ? ToolExit.nagios(3, NagiosResult.unknown(error).line) : ToolExit.usage(error.description)
        }
        var purposes: ConfigPurpose = [.storage]
        // The replica has its own age limits and retention ([replication]); the database's are not needed.
        if action == "checkage", !replica { purposes.insert(.snapshotAgeCheck) }
        if action == "clean", !replica { purposes.insert(.retention) }
        if action == "autoclone" || action == "dropautoclone" { purposes.insert(.autorestore) }
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: purposes)
        guard let settings, problems.isEmpty else {
            let message = ConfigError(problems).description
            throw action == "checkage" ? ToolExit.nagios(3, "UNKNOWN: \(message)") : ToolExit.usage(message)
        }
        // Messages go to standard error so listings stay clean for scripts; the original logged nothing here.
        var debugLogger = Logger(label: database) { label in
            RunLogHandler(name: label, runLog: RunLog(screen: { Output.error($0) }, screenLevel: .warning))
        }
        debugLogger.logLevel = environment["SNAPPER_DEBUG"] == "TRUE" ? .debug : .info
        let logger = debugLogger
        let storage: any StorageDriver
        do {
            storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
        } catch let setup as DriverSetupError {
            throw action == "checkage"
                ? ToolExit.nagios(3, "UNKNOWN: \(setup.message)") : ToolExit(setup.exitCode, setup.message)
        } catch {
            throw action == "checkage"
                ? ToolExit.nagios(3, NagiosResult.unknown(error).line) : ToolExit.usage("\(error)")
        }
        // Up front, before any storage call: clone actions on a driver without clones refuse, naming why.
        if let required = Self.requiredCapabilities[action],
            let refusal = storage.refusal(lacking: required, for: "snapper \(action)")
        {
            await storage.close()
            throw ToolExit.usage(refusal)
        }
        var engine = SnapperEngine(
            settings: settings, storage: storage, configurationPath: configuration.path,
            retention: { () throws(RetentionConfigurationError) in
                try configuration.retentionConfiguration(database: database)
            },
            verifiedSnapshots: { rules in
                await VerifiedSnapshotLookup.read(
                    settings: settings, retention: rules,
                    keepVerifiedExplicit: configuration.keepVerifiedIsExplicit(database: database),
                    environment: environment, logger: logger)
            }, logger: logger)
        engine.offsiteCopyBase = {
            await OffsiteCopyBase.read(
                database: database, source: storage, in: configuration, databaseModule: settings.storage.moduleName,
                registry: StandardDrivers.registry, logger: logger)
        }
        var replicaOperations: ReplicaOperations?
        if action == "replicate" || replica {
            do {
                replicaOperations = try await replicaSite(
                    source: storage, settings: settings, configuration: configuration, engine: engine)
            } catch {
                await storage.close()
                throw action == "checkage" ? ToolExit.nagios(3, "UNKNOWN: \(error.message)") : error
            }
        }
        let printer = SnapperPrinter(engine: engine, json: json, replica: replicaOperations, onReplica: replica)
        do {
            // The storage sessions end with the action, failed or not.
            try await closingStorage(storage) {
                try await closingStorage(replicaOperations?.replica.driver) {
                    try await printer.perform(action, argument: words.count > 2 ? words[2] : nil, dryRun: dryRun)
                }
            }
        } catch let exit as ToolExit {
            throw exit
        } catch let failure as SnapperFailure {
            if action == "checkage" { throw ToolExit.nagios(3, "UNKNOWN: \(failure.message)") }
            throw ToolExit(failure.exitCode, failure.message)
        } catch {
            if action == "checkage" { throw ToolExit.nagios(3, NagiosResult.unknown(error).line) }
            throw ToolExit.failure("\(action) failed: \(error)")
        }
    }
}

extension SnapperCommand {
    /// The off-site copy of the database (`[replication]`), its driver built; a usage error (exit 2) when none is
    /// configured or its section is wrong.
    func replicaSite(
        source: any StorageDriver, settings: DatabaseSettings, configuration: BackupConfiguration,
        engine: SnapperEngine
    ) async throws(ToolExit) -> ReplicaOperations {
        let configured: ConfiguredReplica?
        do {
            configured = try StandardDrivers.registry.replica(
                of: source, database: settings.name, in: configuration, databaseModule: settings.storage.moduleName,
                ageHours: (settings.generic.warningSnapshotAgeHours, settings.generic.criticalSnapshotAgeHours),
                logger: engine.logger)
        } catch {
            throw ToolExit.usage(error.description)
        }
        guard let configured else {
            throw ToolExit.usage(
                "\(configuration.path): no replication configured for \(settings.name): add a [replication] section (see configuration.md, Off-site copies)"
            )
        }
        return ReplicaOperations(
            source: source, replica: configured, verifiedSnapshots: engine.verifiedSnapshots, logger: engine.logger,
            clock: engine.clock)
    }
}
