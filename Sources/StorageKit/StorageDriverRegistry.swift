import Logging

/// What a driver factory receives: the database (= volume) name, its settings and a logger.
public struct StorageDriverConfiguration: Sendable {
    /// The configuration section name; doubles as volume/share/filesystem name.
    public var databaseName: String
    /// Settings visible to the database (section merged over `[generic]` and vendor sections), keys lower-cased.
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

/// Maps driver names (case-insensitive) to factories. Executables fill one and pick a driver from the config;
/// libraries only receive the built `any StorageDriver`.
public struct StorageDriverRegistry: Sendable {
    /// Builds a driver without doing I/O (no log-in until the first call).
    public typealias Factory = @Sendable (StorageDriverConfiguration) throws(StorageError) -> any StorageDriver

    private var factories: [String: Factory] = [:]

    /// An empty registry; executables register the drivers they link.
    public init() {}

    /// Registers (or replaces) the factory for `name`.
    public mutating func register(_ name: String, factory: @escaping Factory) {
        factories[name.lowercased()] = factory
    }

    /// Registered names, sorted.
    public var names: [String] { factories.keys.sorted() }

    /// Whether a factory is registered under `name` (case-insensitive).
    public func contains(_ name: String) -> Bool { factories[name.lowercased()] != nil }

    /// Builds the driver called `name`; `.invalidConfiguration` when unknown.
    public func makeDriver(named name: String, configuration: StorageDriverConfiguration) throws(StorageError)
        -> any StorageDriver
    {
        guard let factory = factories[name.lowercased()] else {
            throw StorageError(
                .invalidConfiguration, vendor: name, operation: "makeDriver",
                message: "unknown storage driver '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return try factory(configuration)
    }
}
