import ConfigModel
import Foundation
import Logging

/// How a storage module appears in `backup.cfg`, and what building its driver needs besides its section.
///
/// The registry holds one per driver and is the one list of drivers a program knows: `snappermodule` is looked up
/// in ``moduleNames``, `snapperclass` checked against ``classNames``, the module's settings read from
/// ``sectionName``, its credentials from ``credentials``.
public struct StorageDriverDescriptor: Sendable, Hashable {
    /// The driver's name in messages, logs and `showconfig`, e.g. `ontap`.
    public var name: String
    /// The `snappermodule` values that select it, lower-case (the original's names first, e.g. `netapp`).
    public var moduleNames: [String]
    /// The `snapperclass` values that go with it, lower-case (compared case-insensitively).
    public var classNames: [String]
    /// The section holding its settings, e.g. `netapp`; a database overrides a key with `<section><key>`.
    public var sectionName: String
    /// Keys the section must set.
    public var requiredKeys: [String]
    /// Keys the section may set.
    public var optionalKeys: [String]
    /// The key holding the appliance's address, checked for plain `http://` and for a password in it; `nil` for
    /// drivers that talk to no appliance.
    public var endpointKey: String?
    /// Where its appliance credentials are kept; `nil` for drivers that need none.
    public var credentials: StorageCredentialsLayout?
    /// What its drivers can do, as declared before any driver is built (the configuration check refuses
    /// `snaplockdays` for a module without ``StorageCapabilities/lock``); empty by default.
    public var capabilities: StorageCapabilities = []
    /// The documentation of every key of the section (``keys``): default, meaning, whether it is a secret. The
    /// configuration reference (`Documentation/configuration.md`) is generated from it, and a test fails when a
    /// key the module reads has no entry here.
    public var keyReference: [ConfigKeyReference] = []

    /// A descriptor. Module and class names default to `[name]`, the section to `name`; names are lower-cased;
    /// `capabilities` declares what its drivers can do; `keyReference` documents the section's keys.
    public init(
        name: String, moduleNames: [String]? = nil, classNames: [String]? = nil, sectionName: String? = nil,
        requiredKeys: [String] = [], optionalKeys: [String] = [], endpointKey: String? = nil,
        credentials: StorageCredentialsLayout? = nil, capabilities: StorageCapabilities = [],
        keyReference: [ConfigKeyReference] = []
    ) {
        self.capabilities = capabilities
        self.keyReference = keyReference
        self.name = name.lowercased()
        self.moduleNames = (moduleNames ?? [name]).map { $0.lowercased() }
        self.classNames = (classNames ?? [name]).map { $0.lowercased() }
        self.sectionName = sectionName ?? name.lowercased()
        self.requiredKeys = requiredKeys
        self.optionalKeys = optionalKeys
        self.endpointKey = endpointKey
        self.credentials = credentials
    }

    /// Every key of the section, required ones first.
    public var keys: [String] { requiredKeys + optionalKeys }
}

/// A storage driver's typed configuration, read from its section of `backup.cfg`.
///
/// Each vendor target owns one (`ZFSSAConfiguration`, `ONTAPConfiguration`, …) and registers it with its factory
/// (``StorageDriverRegistry/register(_:configuration:factory:)``). Reading does no I/O and reports every problem
/// it finds, each naming the file, section and key (read through a `ProblemCollector`).
public protocol StorageSectionConfiguration: Sendable {
    /// Reads the configuration from `section` (the module's section as `database` sees it).
    /// - Throws: `ConfigError` with every problem found.
    init(section: ConfigSection, database: StorageDatabase) throws(ConfigError)

    /// What to log as a WARNING each time a driver is built from it (e.g. a plain-HTTP endpoint that was
    /// allowed); empty by default.
    var warnings: [String] { get }
}

extension StorageSectionConfiguration {
    /// No warnings.
    public var warnings: [String] { [] }
}

/// What a storage configuration may need to know about its database besides its own section.
public struct StorageDatabase: Sendable, Hashable {
    /// The database (section) name: the volume, share or directory name.
    public var name: String
    /// The directory holding the database's backup area: `backupdest`, or its parent when `backupdestshared` is
    /// FALSE (the local drivers' default root); `nil` when `backupdest` is not set.
    public var backupRoot: String?
    /// `additionalvolumesuffixes`: further volumes of the backup area (`<prefix><db><suffix>`).
    public var additionalVolumeSuffixes: [String]
    /// `snaplockdays`: new backup snapshots are locked for this many days (0: not locked). A module whose locking
    /// depends on its own settings refuses settings that cannot lock.
    public var snapshotLockDays: Int

    /// A database called `name`.
    public init(
        name: String, backupRoot: String? = nil, additionalVolumeSuffixes: [String] = [], snapshotLockDays: Int = 0
    ) {
        self.name = name
        self.backupRoot = backupRoot
        self.additionalVolumeSuffixes = additionalVolumeSuffixes
        self.snapshotLockDays = snapshotLockDays
    }

    /// The database of `settings`.
    public init(_ settings: DatabaseSettings) {
        var root = settings.generic.backupRoot
        if let backupRoot = root, !settings.generic.backupDestinationShared {
            root = Self.parent(of: backupRoot)
        }
        self.init(
            name: settings.name, backupRoot: root, additionalVolumeSuffixes: settings.additionalVolumeSuffixes,
            snapshotLockDays: settings.snapshotLockDays)
    }

    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}

/// What building a driver needs besides its configuration.
public struct StorageDriverContext: Sendable {
    /// The database (section) name the driver is bound to: its volume name.
    public var databaseName: String
    /// Appliance credentials (from the driver's credentials file); `nil` for drivers that need none.
    public var credentials: StorageCredential?
    /// Logger the driver logs to; libraries never bootstrap logging.
    public var logger: Logger

    /// A context for `databaseName`.
    public init(databaseName: String, credentials: StorageCredential? = nil, logger: Logger) {
        self.databaseName = databaseName
        self.credentials = credentials
        self.logger = logger
    }

    /// The credentials, or an `.invalidConfiguration` error naming `file`.
    public func requiredCredentials(vendor: String, file: String) throws(StorageError) -> StorageCredential {
        guard let credentials else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "configure",
                message: "no credentials for database \(databaseName) (expected in \(file))")
        }
        return credentials
    }
}

/// One storage module of a registry: its descriptor, how its section is read, and how its driver is built.
public struct StorageDriverRegistration: Sendable {
    /// Reads the module's section.
    public typealias Reader =
        @Sendable (ConfigSection, StorageDatabase) throws(ConfigError) -> any StorageSectionConfiguration
    /// Builds a driver from what ``Reader`` returned.
    public typealias Builder =
        @Sendable (any StorageSectionConfiguration, StorageDriverContext) throws(StorageError) -> any StorageDriver

    /// How the module appears in the configuration.
    public let descriptor: StorageDriverDescriptor
    let read: Reader
    let build: Builder?

    /// A registration; without `build`, the module is known to the configuration but has no driver in this
    /// build (``isAvailable`` is false).
    public init(descriptor: StorageDriverDescriptor, read: @escaping Reader, build: Builder?) {
        self.descriptor = descriptor
        self.read = read
        self.build = build
    }

    /// False for a module this build knows only by its configuration: checking it works, building its driver
    /// fails with "not available in this build".
    public var isAvailable: Bool { build != nil }

    /// Reads the module's typed configuration from `section`.
    public func readConfiguration(from section: ConfigSection, database: StorageDatabase) throws(ConfigError)
        -> any StorageSectionConfiguration
    {
        try read(section, database)
    }

    /// Builds the driver (no I/O).
    /// - Throws: `.unsupported` when the module has no driver in this build; the factory's errors.
    public func makeDriver(configuration: any StorageSectionConfiguration, context: StorageDriverContext)
        throws(StorageError) -> any StorageDriver
    {
        guard let build else {
            throw StorageError(
                .unsupported, vendor: descriptor.name, operation: "makeDriver",
                message: "storage driver '\(descriptor.name)' is not available in this build")
        }
        return try build(configuration, context)
    }
}

/// The storage drivers a program links: the one list of drivers, each with how it appears in the configuration
/// (``StorageDriverDescriptor``), how its section is read and how its driver is built.
///
/// Executables fill one (every vendor target has a `register(in:)`) and attach it to the configuration they load
/// (`BackupConfiguration.storageModules`), which then checks every database's storage settings with it; libraries
/// only receive the built `any StorageDriver`. Module names are case-insensitive.
public struct StorageDriverRegistry: Sendable {
    /// Builds a driver from a settings dictionary, for drivers without a typed configuration
    /// (``register(_:factory:)``); does no I/O (no log-in until the first call).
    public typealias Factory = @Sendable (StorageDriverConfiguration) throws(StorageError) -> any StorageDriver

    /// The registrations in the order they were made.
    public private(set) var registrations: [StorageDriverRegistration] = []

    /// An empty registry; executables register the drivers they link.
    public init() {}

    /// Adds `registration`; an earlier registration sharing a module name is replaced.
    public mutating func register(_ registration: StorageDriverRegistration) {
        let names = Set(registration.descriptor.moduleNames)
        registrations.removeAll { !names.isDisjoint(with: $0.descriptor.moduleNames) }
        registrations.append(registration)
    }

    /// Registers a driver with a typed configuration: `Configuration` is read from the section the descriptor
    /// names, `factory` builds the driver from it.
    public mutating func register<Configuration: StorageSectionConfiguration>(
        _ descriptor: StorageDriverDescriptor, configuration: Configuration.Type,
        factory: @escaping @Sendable (Configuration, StorageDriverContext) throws(StorageError) -> any StorageDriver
    ) {
        let name = descriptor.name
        register(
            StorageDriverRegistration(
                descriptor: descriptor,
                read: { section, database throws(ConfigError) in
                    try Configuration(section: section, database: database)
                },
                build: { configuration, context throws(StorageError) in
                    guard let typed = configuration as? Configuration else {
                        throw StorageError(
                            .invalidConfiguration, vendor: name, operation: "makeDriver",
                            message: "\(type(of: configuration)) is not a configuration of \(name)")
                    }
                    return try factory(typed, context)
                }))
    }

    /// Registers a module this build knows by its configuration only (a vendor whose driver is not linked): the
    /// configuration is checked (required keys, the appliance address and TLS settings), building its driver
    /// fails with "storage driver '<name>' is not available in this build".
    public mutating func registerUnavailable(_ descriptor: StorageDriverDescriptor) {
        register(
            StorageDriverRegistration(
                descriptor: descriptor,
                read: { section, database throws(ConfigError) in
                    try DescribedSection(section: section, descriptor: descriptor)
                }, build: nil))
    }

    /// Registers (or replaces) a driver without a typed configuration under `name` (also its module, class and
    /// section name). `factory` receives every value of the section as the database sees it, plus `backupdest`
    /// (the directory holding the database's backup area) and `additionalvolumesuffixes` when the section does
    /// not set them.
    public mutating func register(_ name: String, factory: @escaping Factory) {
        register(
            StorageDriverRegistration(
                descriptor: StorageDriverDescriptor(name: name),
                read: { section, database throws(ConfigError) in
                    try SectionValues(section: section, database: database)
                },
                build: { configuration, context throws(StorageError) in
                    let values = (configuration as? SectionValues)?.values ?? [:]
                    return try factory(
                        StorageDriverConfiguration(
                            databaseName: context.databaseName, settings: values, logger: context.logger,
                            credentials: context.credentials))
                }))
    }

    /// The descriptors, in registration order.
    public var descriptors: [StorageDriverDescriptor] { registrations.map(\.descriptor) }

    /// Every module name (`snappermodule` value) the registry accepts, sorted.
    public var names: [String] { registrations.flatMap(\.descriptor.moduleNames).sorted() }

    /// Whether `name` (case-insensitive) is a module name of a registration.
    public func contains(_ name: String) -> Bool { registration(forModule: name) != nil }

    /// The registration selected by module name `name` (case-insensitive, surrounding blanks ignored).
    public func registration(forModule name: String) -> StorageDriverRegistration? {
        let name = name.trimmingCharacters(in: .whitespaces).lowercased()
        return registrations.first { $0.descriptor.moduleNames.contains(name) }
    }

    /// Builds the driver of module `name` from a settings dictionary instead of a configuration file (tests,
    /// programs that keep settings elsewhere): `configuration.settings` are read as the module's section (values
    /// taken literally), its `backupdest` and `additionalvolumesuffixes` as the database's.
    /// - Throws: `.invalidConfiguration` for an unknown module or settings its configuration refuses (the message
    ///   names every problem), `.unsupported` for a module without a driver in this build, the factory's errors.
    public func makeDriver(named name: String, configuration: StorageDriverConfiguration) throws(StorageError)
        -> any StorageDriver
    {
        guard let registration = registration(forModule: name) else {
            throw StorageError(
                .invalidConfiguration, vendor: name, operation: "makeDriver",
                message: "unknown storage driver '\(name)'; known: \(names.joined(separator: ", "))")
        }
        let descriptor = registration.descriptor
        let section = ConfigSection(
            name: descriptor.sectionName, database: configuration.databaseName, values: configuration.settings)
        let database = StorageDatabase(
            name: configuration.databaseName, backupRoot: configuration.setting("backupdest"),
            additionalVolumeSuffixes: SectionValues.suffixes(configuration.setting("additionalvolumesuffixes")))
        let typed: any StorageSectionConfiguration
        do {
            typed = try registration.readConfiguration(from: section, database: database)
        } catch {
            throw StorageError(
                .invalidConfiguration, vendor: descriptor.name, operation: "configure",
                message: error.problems.map { problem in
                    [problem.key, problem.message].compactMap { $0 }.joined(separator: ": ")
                }.joined(separator: "; "))
        }
        for warning in typed.warnings { configuration.logger.warning("\(warning)") }
        return try registration.makeDriver(
            configuration: typed,
            context: StorageDriverContext(
                databaseName: configuration.databaseName, credentials: configuration.credentials,
                logger: configuration.logger))
    }
}

/// The configuration of a driver registered without a type of its own: every value of its section.
struct SectionValues: StorageSectionConfiguration {
    var values: [String: String]

    init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        var values: [String: String] = [:]
        for key in section.keys {
            if let found = try section.value(key) { values[key] = found.value }
        }
        if values["backupdest"] == nil, let root = database.backupRoot { values["backupdest"] = root }
        if values["additionalvolumesuffixes"] == nil, !database.additionalVolumeSuffixes.isEmpty {
            values["additionalvolumesuffixes"] = database.additionalVolumeSuffixes.joined(separator: ",")
        }
        self.values = values
    }

    /// `a, b,c` → `["a", "b", "c"]`.
    static func suffixes(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// The configuration of a module registered without a driver: its required keys are set, and an appliance's
/// address and TLS settings are valid.
struct DescribedSection: StorageSectionConfiguration {
    var connection: ApplianceConnectionSettings?

    init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        try self.init(section: section, descriptor: StorageDriverDescriptor(name: section.name))
    }

    init(section: ConfigSection, descriptor: StorageDriverDescriptor) throws(ConfigError) {
        let problems = ProblemCollector()
        for key in descriptor.requiredKeys where key != descriptor.endpointKey {
            _ = problems.read("") { () throws(ConfigError) in try section.requiredString(key) }
        }
        connection = descriptor.endpointKey.flatMap { key in
            problems.read(nil) { () throws(ConfigError) in
                try ApplianceConnectionSettings(
                    section: section, endpointKey: key, credentialsFile: descriptor.credentials?.file)
            }
        }
        try problems.check()
    }

    var warnings: [String] { connection?.warnings ?? [] }
}

/// What a driver registered with ``StorageDriverRegistry/register(_:factory:)`` receives: the database (= volume)
/// name, its section's settings, credentials and a logger.
public struct StorageDriverConfiguration: Sendable {
    /// The configuration section name; doubles as volume/share/filesystem name.
    public var databaseName: String
    /// The section's settings as the database sees them (prefixed overrides applied), keys lower-cased.
    public var settings: [String: String]
    /// Logger the driver logs to; libraries never bootstrap logging.
    public var logger: Logger
    /// Appliance credentials (from the vendor's credentials file); `nil` for drivers that need none.
    public var credentials: StorageCredential?

    /// A configuration; `settings` keys are lower-cased (the last of two spellings wins).
    public init(
        databaseName: String, settings: [String: String] = [:], logger: Logger, credentials: StorageCredential? = nil
    ) {
        self.databaseName = databaseName
        self.settings = Dictionary(
            settings.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.logger = logger
        self.credentials = credentials
    }

    /// The value of `key` (case-insensitive), or `nil` when missing or empty.
    public func setting(_ key: String) -> String? {
        guard let value = settings[key.lowercased()], !value.isEmpty else { return nil }
        return value
    }

    /// The value of the first of `keys` that is set.
    public func setting(firstOf keys: [String]) -> String? {
        for key in keys { if let value = setting(key) { return value } }
        return nil
    }

    /// A positive number of seconds from setting `key`, or `default`.
    public func seconds(_ key: String, default defaultValue: Double, vendor: String) throws(StorageError) -> Duration {
        try seconds(firstOf: [key], default: defaultValue, vendor: vendor)
    }

    /// A positive number of seconds from the first of `keys` that is set, or `default`; an error names that key.
    public func seconds(firstOf keys: [String], default defaultValue: Double, vendor: String) throws(StorageError)
        -> Duration
    {
        guard let key = keys.first(where: { setting($0) != nil }), let text = setting(key) else {
            return .milliseconds(Int64(defaultValue * 1000))
        }
        // At most a year: larger values are typing errors (and would not fit the milliseconds below).
        guard let value = Double(text), value > 0, value <= 31_536_000 else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "configure",
                message: "\(key) must be a positive number of seconds (at most 31536000), not '\(text)'")
        }
        return .milliseconds(Int64(value * 1000))
    }

    /// The value of `key`, or an `.invalidConfiguration` error naming the driver and key.
    public func requiredSetting(_ key: String, vendor: String) throws(StorageError) -> String {
        guard let value = setting(key) else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "configure",
                message: "setting '\(key)' is required for database \(databaseName)")
        }
        return value
    }
}
