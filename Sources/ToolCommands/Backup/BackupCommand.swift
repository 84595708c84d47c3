import ArgumentParser
import ConfigModel
import Foundation

/// `backup [--config F] <db> <action>` and `backup [--config F] checkconfig`.
public struct BackupCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Incremental-forever RMAN image-copy backups on snapshot-capable storage.",
        discussion: """
            Actions for one database: showconfig.
            Actions for the whole configuration file: checkconfig.
            The configuration file is --config, else $BACKUPCONFIG, else backup.cfg beside this program.
            """)

    /// The original's usage line, printed on every usage error.
    public static let usage =
        "Usage: backup [--config FILE] <database> <showconfig> | backup [--config FILE] checkconfig"

    static let databaseActions: Set<String> = ["showconfig"]
    static let fileActions: Set<String> = ["checkconfig"]

    @Option(name: .long, help: "Configuration file (default: $BACKUPCONFIG or backup.cfg beside the program).")
    public var config: String?

    @Argument(help: "<database> <action>, or a file-wide action such as checkconfig.")
    public var words: [String] = []

    public init() {}

    public func validate() throws {
        switch words.count {
        case 1 where Self.fileActions.contains(words[0].lowercased()): return
        case 2 where Self.databaseActions.contains(words[1].lowercased()): return
        default: throw ValidationError("unknown action or wrong number of arguments: \(words.joined(separator: " "))")
        }
    }

    public func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: BackupConfiguration
        do {
            configuration = try BackupConfiguration.load(
                explicitPath: config, environment: environment,
                executableDirectory: ProgramLocation.executableDirectory)
        } catch {
            throw ToolExit.usage(error.description)
        }
        if words.count == 1 {
            try checkConfig(configuration)
        } else {
            try showConfig(configuration, database: words[0])
        }
    }

    func checkConfig(_ configuration: BackupConfiguration) throws {
        var problems = configuration.validateAll()
        var drivers: Set<StorageDriverKind> = []
        for name in configuration.databaseNames {
            if let settings = configuration.databaseCollectingProblems(name, for: [.storage]).0,
                settings.doSnapshot, let driver = settings.storage.driver
            {
                drivers.insert(driver)
            }
        }
        for driver in drivers.sorted(by: { $0.rawValue < $1.rawValue }) {
            do {
                _ = try configuration.loadCredentials(for: driver)
            } catch {
                problems.append(contentsOf: error.problems)
            }
        }
        if problems.isEmpty {
            let names = configuration.databaseNames
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

    func showConfig(_ configuration: BackupConfiguration, database: String) throws {
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: [])
        guard let settings, problems.isEmpty else {
            throw ToolExit.usage(ConfigError(problems).description)
        }
        var credentials: StorageCredentials?
        if let driver = settings.storage.driver { credentials = try? configuration.loadCredentials(for: driver) }
        Output.line(ConfigReport.render(settings, configuration: configuration, credentials: credentials))
    }
}
