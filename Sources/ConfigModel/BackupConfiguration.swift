import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loaded `backup.cfg`: the parsed document plus the original's lookup rules and typed settings.
public struct BackupConfiguration: Sendable {
    /// Absolute path of the file.
    public let path: String
    /// Directory relative paths in the file (tnsadmin, templatedir, certs, credentials) resolve against.
    public let baseDirectory: String
    /// The parsed file, built-in defaults in `[DEFAULT]`.
    public let document: INIDocument
    /// Structural problems found while parsing (duplicate sections, unparsable lines, database sections whose name
    /// is not a valid `db_unique_name`); every action of every tool reports them.
    public let parseProblems: [ConfigProblem]
    /// The process environment used for defaults (`ORACLE_HOME`) and credentials.
    public let environment: [String: String]
    /// The storage modules of the program reading the file (StorageKit's driver registry), which check each
    /// database's `snappermodule`, `snapperclass` and the module's section; `nil`: those are not checked here (the
    /// driver registry still checks them when it builds a driver).
    public var storageModules: (any StorageModuleCatalog)?

    /// The sections this module reads that are not databases (the storage modules' sections are theirs).
    /// Databases are recognised positively by their `dbid` key, so this list only serves messages and
    /// `--all` sanity checks.
    public static let sharedSectionNames: Set<String> = ["generic", "rman", "autorestore"]

    /// Built-in defaults of the original (reference §3.4), placed in `[DEFAULT]`.
    static func builtInDefaults(environment: [String: String]) -> [(String, String)] {
        var defaults: [(String, String)] = [
            ("registercatalog", "false"), ("hasdataguard", "false"), ("dosnapshot", "true"), ("gimanaged", "true"),
            ("schedulebackup", "FREQ=DAILY"), ("schedulearchlog", "FREQ=HOURLY;INTERVAL=6"),
            ("snapexpirationmonths", "0"), ("backupjobenabled", "true"), ("sectionsize", ""),
            ("pga_size", "1G"), ("sga_size", "2G"), ("backupdestshared", "true"),
            ("customverifydate", "select max(time_dp) from sys.smon_scn_time"), ("autorestoreenabled", "1"),
            ("autorestoreinstancenumber", "1"), ("autorestorethread", "1"),
        ]
        if let home = environment["ORACLE_HOME"], !home.isEmpty { defaults.append(("oraclehome", home)) }
        return defaults
    }

    /// Parses configuration text. Built-in defaults are added to `[DEFAULT]` unless the file sets them there.
    /// - Parameters:
    ///   - text: the file's content.
    ///   - path: the file, named in messages.
    ///   - baseDirectory: what relative paths in the file resolve against; default: the file's directory.
    ///   - environment: the process environment (defaults such as `ORACLE_HOME`, credentials, `HOME`).
    ///   - storageModules: the storage modules the program links (``storageModules``).
    public init(
        text: String, path: String, baseDirectory: String? = nil, environment: [String: String] = [:],
        storageModules: (any StorageModuleCatalog)? = nil
    ) {
        var (document, errors) = INIParser.parseCollectingErrors(text, file: path)
        for (key, value) in Self.builtInDefaults(environment: environment)
        where document.defaults.entry(key) == nil {
            document.setDefault(key, value)
        }
        self.path = path
        self.baseDirectory = baseDirectory ?? (path as NSString).deletingLastPathComponent
        self.document = document
        self.parseProblems =
            errors.map(ConfigProblem.init) + Self.databaseNameProblems(document, path: path)
        self.environment = environment
        self.storageModules = storageModules
    }

    /// Finds and reads the configuration file.
    ///
    /// Order: `--config` (relative to the current directory), then `BACKUPCONFIG` (relative names resolve
    /// against the executable's directory as in the original, then the current directory), then `backup.cfg`
    /// beside the executable.
    /// - Parameters:
    ///   - explicitPath: the `--config` value, if any.
    ///   - environment: the process environment (`BACKUPCONFIG`, defaults, credentials).
    ///   - executableDirectory: the directory of the running tool.
    ///   - currentDirectory: what a relative `--config` resolves against.
    ///   - storageModules: the storage modules the program links (``storageModules``).
    /// - Throws: ``ConfigError`` naming the file when it is missing, unreadable or not UTF-8.
    public static func load(
        explicitPath: String?, environment: [String: String], executableDirectory: String,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        storageModules: (any StorageModuleCatalog)? = nil
    )
        throws(ConfigError) -> BackupConfiguration
    {
        let path = try locate(
            explicitPath: explicitPath, environment: environment,
            executableDirectory: executableDirectory, currentDirectory: currentDirectory)
        return try read(path: path, environment: environment, storageModules: storageModules)
    }

    /// Resolves which file to read, without reading it.
    public static func locate(
        explicitPath: String?, environment: [String: String], executableDirectory: String,
        currentDirectory: String
    ) throws(ConfigError) -> String {
        func absolute(_ name: String, against directory: String) -> String {
            name.hasPrefix("/") ? name : directory.appendingPathComponent(name)
        }
        if let explicitPath, !explicitPath.isEmpty {
            return standardized(absolute(explicitPath, against: currentDirectory))
        }
        if let name = environment["BACKUPCONFIG"], !name.isEmpty {
            let besideExecutable = absolute(name, against: executableDirectory)
            if name.hasPrefix("/") || FileManager.default.fileExists(atPath: besideExecutable) {
                return standardized(besideExecutable)
            }
            let inCurrent = absolute(name, against: currentDirectory)
            if FileManager.default.fileExists(atPath: inCurrent) { return standardized(inCurrent) }
            throw ConfigError(
                ConfigProblem(
                    file: name,
                    message:
                        "configuration file named by BACKUPCONFIG not found (looked in \(executableDirectory) and \(currentDirectory))"
                ))
        }
        let defaultFile = executableDirectory.appendingPathComponent("backup.cfg")
        if FileManager.default.fileExists(atPath: defaultFile) { return standardized(defaultFile) }
        throw ConfigError(
            ConfigProblem(
                file: defaultFile,
                message: "no configuration file: pass --config FILE, set BACKUPCONFIG, or put backup.cfg there"))
    }

    /// Lexical clean-up of an absolute path (empty and `.` components dropped, `..` applied), like Python's
    /// `os.path.normpath`. Symbolic links are kept as written: Foundation's `standardizingPath` resolves them, which
    /// would, for example, turn a mount point that is a link into its target.
    static func standardized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Reads and parses one file.
    /// - Parameters:
    ///   - path: the file.
    ///   - environment: the process environment (defaults, credentials).
    ///   - storageModules: the storage modules the program links (``storageModules``).
    public static func read(
        path: String, environment: [String: String], storageModules: (any StorageModuleCatalog)? = nil
    ) throws(ConfigError) -> BackupConfiguration {
        let text = try readText(path: path, what: "configuration file")
        return BackupConfiguration(text: text, path: path, environment: environment, storageModules: storageModules)
    }

    static func readText(path: String, what: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(ConfigProblem(file: path, message: "\(what) not found"))
        }
        if isDirectory.boolValue {
            throw ConfigError(ConfigProblem(file: path, message: "\(what) is a directory, not a file"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(ConfigProblem(file: path, message: "\(what) cannot be read (check its permissions)"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(ConfigProblem(file: path, message: "\(what) is not UTF-8 text"))
        }
        return text
    }

    /// Database sections: those with a `dbid` key of their own, in file order.
    public var databaseNames: [String] {
        document.sections.filter { $0.entry("dbid") != nil }.map(\.name)
    }

    /// Resolves a possibly relative path against ``baseDirectory``.
    public func resolvePath(_ value: String) -> String {
        if value.hasPrefix("/") { return Self.standardized(value) }
        if value.hasPrefix("~/"), let home = environment["HOME"] {
            return Self.standardized(home.appendingPathComponent(String(value.dropFirst(2))))
        }
        return Self.standardized(baseDirectory.appendingPathComponent(value))
    }

    /// A lookup whose default section is `section` (a database, or `autorestore`/`generic`).
    public func lookup(defaultSection: String) -> ConfigLookup {
        ConfigLookup(document: document, defaultSection: defaultSection)
    }
}
