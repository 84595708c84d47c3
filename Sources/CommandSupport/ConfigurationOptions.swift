import ArgumentParser
import ConfigModel
import Foundation

/// `--config FILE`, the option every tool shares, and the loading of the file it names.
public struct ConfigurationOptions: ParsableArguments {
    /// The configuration file given with `--config`.
    @Option(name: .long, help: "Configuration file (default: $BACKUPCONFIG or backup.cfg beside the program).")
    public var config: String?

    /// No `--config` yet.
    public init() {}

    /// The original's `<file>.cfg` argument (`autorestore`, `restore`): a relative name that exists in the program's
    /// directory means that file, as the original read it; any other name is taken as given.
    public static func positionalFile(_ name: String) -> String {
        name.hasPrefix("/")
            || !FileManager.default.fileExists(atPath: ProgramLocation.executableDirectory + "/" + name)
            ? name : ProgramLocation.executableDirectory + "/" + name
    }

    /// Loads the configuration: `--config`, else `positional` (the original's `<file>.cfg` argument), else
    /// `$BACKUPCONFIG`, else `backup.cfg` beside the program.
    /// - Parameter storageModules: the storage drivers this tool knows, to check each database's storage section.
    /// - Throws: ``ConfigError`` naming the file (not found, unreadable, not an INI file).
    public func load(
        environment: [String: String], positional: String? = nil, storageModules: (any StorageModuleCatalog)?
    ) throws(ConfigError) -> BackupConfiguration {
        try BackupConfiguration.load(
            explicitPath: config ?? positional.map(Self.positionalFile), environment: environment,
            executableDirectory: ProgramLocation.executableDirectory, storageModules: storageModules)
    }

    /// ``load(environment:positional:storageModules:)`` for a tool: a file that cannot be loaded is a usage error
    /// (exit 2) with the loader's message.
    public func loadForTool(
        environment: [String: String], positional: String? = nil, storageModules: (any StorageModuleCatalog)?
    ) throws(ToolExit) -> BackupConfiguration {
        do {
            return try load(environment: environment, positional: positional, storageModules: storageModules)
        } catch {
            throw ToolExit.usage(error.description)
        }
    }
}
