import Foundation

/// One section of the configuration as one database sees it, with typed getters.
///
/// A key is looked up by the original's rules (reference §3.3): the prefixed override `<section><key>` in the
/// database's section first (`zfssapool` in `[orcl]`), then `key` in the section itself, then `[DEFAULT]`. Values
/// given as `overrides` (a credentials file's section that may override storage settings) come before all of them.
///
/// This is how a storage module reads its own section: ConfigModel supplies the lookup, the value syntax and the
/// messages, the module decides which keys exist and what they mean. Every error is a ``ConfigError`` whose
/// problem names the file, line, section and key where the value was found (or, for a missing key, where it
/// belongs), so a DBA can go straight to the spot:
/// ```swift
/// let url = try section.requiredString("url")           // [zfssa] url: required key is missing (…)
/// let insecure = try section.bool("insecure", default: false)
/// let timeout = try section.seconds("timeout") ?? .seconds(300)
/// ```
/// To report every problem of a section at once, read through a ``ProblemCollector`` (``ProblemCollector/read(_:_:)``).
public struct ConfigSection: Sendable {
    /// The section, e.g. `zfssa`.
    public let name: String
    /// The database section whose prefixed overrides apply (its name is the database's).
    public let database: String
    /// Where plain keys and prefixed overrides are read.
    let lookup: ConfigLookup
    /// Values that win over the configuration (lower-case keys).
    let overrides: [String: ConfigValue]
    /// Relative paths resolve against this directory.
    let baseDirectory: String
    /// `~/` in paths means this directory; `nil` leaves `~/` relative.
    let homeDirectory: String?

    /// Section `name` of `document` as database `database` sees it.
    /// - Parameters:
    ///   - overrides: values that win over the document, by lower-case key, each with where it came from.
    ///   - baseDirectory: what relative paths resolve against (the configuration file's directory).
    ///   - homeDirectory: what `~/` in paths means.
    init(
        document: INIDocument, name: String, database: String, overrides: [String: ConfigValue] = [:],
        baseDirectory: String, homeDirectory: String?
    ) {
        self.name = name
        self.database = database
        self.lookup = ConfigLookup(document: document, defaultSection: database)
        self.overrides = overrides
        self.baseDirectory = baseDirectory
        self.homeDirectory = homeDirectory
    }

    /// A section made from `values` (tests, programs that hold settings without a configuration file): `[name]`
    /// holds them, taken literally (no `%(name)s` interpolation); `database` has no overrides.
    /// - Parameters:
    ///   - name: the section, e.g. `zfssa`.
    ///   - database: the database that reads it.
    ///   - values: the section's values by key (keys are lower-cased).
    ///   - file: the file named in messages (`nil`: `<configuration>`).
    ///   - baseDirectory: what relative paths resolve against; default: the directory of `file`, else `/`.
    public init(
        name: String, database: String, values: [String: String], file: String? = nil, baseDirectory: String? = nil
    ) {
        var document = INIDocument(file: file)
        document.addSection(database, line: 0)
        document.addSection(name, line: 0)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            document.set(section: name, key: key, value: value.replacingOccurrences(of: "%", with: "%%"))
        }
        self.init(
            document: document, name: name, database: database,
            baseDirectory: baseDirectory ?? file.map { ($0 as NSString).deletingLastPathComponent } ?? "/",
            homeDirectory: nil)
    }

    /// Section `name` of the same file as the same database sees it (its `<name><key>` overrides apply), e.g. a
    /// storage driver reading `[replication]` beside its own section.
    /// - Parameter name: the other section, e.g. `replication`.
    public func sibling(_ name: String) -> ConfigSection {
        ConfigSection(
            document: lookup.document, name: name, database: database, overrides: [:], baseDirectory: baseDirectory,
            homeDirectory: homeDirectory)
    }

    /// The file named in messages.
    public var file: String? { lookup.file }

    /// Keys this section sets for the database: the section's own, the database's `<section><key>` overrides and
    /// the `overrides`, sorted (`[DEFAULT]` keys only when the section names them).
    public var keys: [String] {
        var keys = Set(lookup.document.section(name)?.keys ?? [])
        let prefix = name.lowercased()
        if database != name {
            for key in lookup.document.section(database)?.keys ?? [] where key.hasPrefix(prefix) && key != prefix {
                keys.insert(String(key.dropFirst(prefix.count)))
            }
        }
        keys.formUnion(overrides.keys)
        return keys.sorted()
    }

    // MARK: Values

    /// The value of `key` with where it was found, or `nil` when it is set nowhere; an empty value is returned.
    /// - Throws: a broken `%(name)s` interpolation.
    public func value(_ key: String) throws(ConfigError) -> ConfigValue? {
        let key = key.lowercased()
        ConfigKeyReads.record(section: name, key: key)
        if let override = overrides[key] { return override }
        return try lookup.value(key, section: name)
    }

    /// The text of `key`, or `nil` when it is not set or empty.
    public func string(_ key: String) throws(ConfigError) -> String? {
        guard let found = try value(key), !found.value.isEmpty else { return nil }
        return found.value
    }

    /// The text of `key`.
    /// - Parameters:
    ///   - key: the key, any case.
    ///   - allowingEmpty: accept an empty value (a prefix that may be nothing); otherwise an empty value is a
    ///     problem.
    /// - Throws: when the key is missing (the problem says where to set it) or empty.
    public func requiredString(_ key: String, allowingEmpty: Bool = false) throws(ConfigError) -> String {
        guard let found = try value(key) else { throw ConfigError(missing(key)) }
        if found.value.isEmpty, !allowingEmpty { throw ConfigError(problem(found, "must not be empty")) }
        return found.value
    }

    /// A flag: `TRUE` or `FALSE` in any case; `defaultValue` when not set or empty.
    ///
    /// The original treated only `TRUE` as true and anything else as false; to avoid silently misreading `yes` or
    /// `1`, anything but `TRUE`/`FALSE` is a problem.
    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let found = try value(key), !found.value.isEmpty else { return defaultValue }
        switch found.value.uppercased() {
        case "TRUE": return true
        case "FALSE": return false
        default:
            throw ConfigError(
                problem(
                    found, "'\(found.value)' is not TRUE or FALSE (the original tool read anything but TRUE as FALSE)"))
        }
    }

    /// A whole number within `range`, or `nil` when not set or empty.
    public func int(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(ConfigError) -> Int? {
        guard let found = try value(key), !found.value.isEmpty else { return nil }
        guard let number = Int(found.value.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigError(problem(found, "'\(found.value)' is not a whole number"))
        }
        guard range.contains(number) else {
            throw ConfigError(
                problem(
                    found,
                    range.upperBound == Int.max
                        ? "\(number) is out of range: must be at least \(range.lowerBound)"
                        : "\(number) is out of range: must be between \(range.lowerBound) and \(range.upperBound)"))
        }
        return number
    }

    /// A positive number of seconds (fractions allowed) up to `maximum`, or `nil` when not set or empty.
    /// - Parameters:
    ///   - key: the key, any case.
    ///   - maximum: the largest accepted value; the default, a year, keeps typing errors out (and fits the
    ///     millisecond resolution of the result).
    public func seconds(_ key: String, maximum: Double = 31_536_000) throws(ConfigError) -> Duration? {
        guard let found = try value(key), !found.value.isEmpty else { return nil }
        guard let seconds = Double(found.value.trimmingCharacters(in: .whitespaces)), seconds > 0,
            seconds <= maximum
        else {
            throw ConfigError(
                problem(
                    found, "'\(found.value)' is not a positive number of seconds (at most \(Self.format(maximum)))"))
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// A path, resolved: absolute as written (cleaned lexically, links kept), `~/…` in the home directory, anything
    /// else relative to the configuration file's directory; `nil` when not set or empty.
    /// - Parameters:
    ///   - key: the key, any case.
    ///   - directory: where a bare file name (no `/`) is looked for instead, relative to the configuration
    ///     file's directory (the original read certificate files from `certs/`).
    public func path(_ key: String, bareNamesIn directory: String? = nil) throws(ConfigError) -> String? {
        guard let text = try string(key) else { return nil }
        if let directory, !text.contains("/") { return resolvePath(directory.appendingPathComponent(text)) }
        return resolvePath(text)
    }

    /// `value` resolved as ``path(_:bareNamesIn:)`` resolves a setting.
    public func resolvePath(_ value: String) -> String {
        if value.hasPrefix("/") { return BackupConfiguration.standardized(value) }
        if value.hasPrefix("~/"), let homeDirectory {
            return BackupConfiguration.standardized(homeDirectory.appendingPathComponent(String(value.dropFirst(2))))
        }
        return BackupConfiguration.standardized(baseDirectory.appendingPathComponent(value))
    }

    // MARK: Problems

    /// A problem with `key`: located where its value was found, or, when it is not set, where it belongs.
    public func problem(_ key: String, _ message: String) -> ConfigProblem {
        if let found = try? value(key) { return problem(found, message) }
        return ConfigProblem(file: file, section: name, key: key.lowercased(), message: message)
    }

    /// ``problem(_:_:)`` as an error to throw.
    public func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(problem(key, message))
    }

    func problem(_ value: ConfigValue, _ message: String) -> ConfigProblem {
        ConfigProblem(
            file: value.file ?? file, line: value.line, section: value.section, key: value.key, message: message)
    }

    func missing(_ key: String) -> ConfigProblem {
        let key = key.lowercased()
        return ConfigProblem(
            file: file, section: name, key: key,
            message: database == name
                ? "required key is missing"
                : "required key is missing (set it in [\(name)], or as \(name.lowercased())\(key) in [\(database)])")
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

extension BackupConfiguration {
    /// Section `name` as database `database` sees it (``ConfigSection``), paths relative to ``baseDirectory``.
    /// - Parameters:
    ///   - name: the section, e.g. `zfssa`.
    ///   - database: the database whose `<name><key>` overrides apply.
    ///   - overrides: values that win over the file, by lower-case key.
    public func section(_ name: String, database: String, overrides: [String: ConfigValue] = [:]) -> ConfigSection {
        ConfigSection(
            document: document, name: name, database: database, overrides: overrides, baseDirectory: baseDirectory,
            homeDirectory: environment["HOME"])
    }

    /// A storage module's section as database `database` sees it, with the values of the credentials file's
    /// settings section (``StorageCredentialsLayout/settingsSection``, NetApp's `[netapp]` in
    /// `netappcredentials.cfg`) winning over the configuration. A missing or unreadable credentials file adds
    /// nothing here; loading the credentials reports it.
    public func storageSection(_ name: String, database: String, credentials: StorageCredentialsLayout?)
        -> ConfigSection
    {
        var overrides: [String: ConfigValue] = [:]
        if let credentials, let settingsSection = credentials.settingsSection {
            overrides = (try? loadCredentialOverrides(file: credentials.file, section: settingsSection)) ?? [:]
        }
        return section(name, database: database, overrides: overrides)
    }
}
