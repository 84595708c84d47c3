import ConfigModel
import StorageKit
import StorageRetention

/// `backup checkconfig`: every problem of a configuration file at once — each database's settings, its storage
/// module and section (through the driver registry), its retention rules, and the credentials file of every
/// appliance a database snapshots on (each file once).
public struct ConfigurationCheck: Sendable {
    /// What the check found.
    public struct Result: Sendable {
        /// Problems, each naming the file, section and key; empty when the file is valid.
        public var problems: [ConfigProblem]
        /// What is allowed but unwise (a credentials file readable by others), to show as warnings.
        public var warnings: [String]
        /// The databases of the file (sections with a `dbid`).
        public var databases: [String]
        /// True when there is no problem.
        public var isValid: Bool { problems.isEmpty }
    }

    /// The loaded configuration file to check (its own parse problems are part of the result).
    public var configuration: BackupConfiguration
    /// The storage modules the tools know; their credentials layouts are read from here.
    public var registry: StorageDriverRegistry

    /// A check of `configuration` against the drivers of `registry`.
    public init(configuration: BackupConfiguration, registry: StorageDriverRegistry) {
        self.configuration = configuration
        self.registry = registry
    }

    /// Runs every check; never throws.
    public func run() -> Result {
        var problems = configuration.validateAll()
        var warnings: [String] = []
        var credentials: [String: StorageCredentialsLayout] = [:]
        for name in configuration.databaseNames {
            if let settings = configuration.databaseCollectingProblems(name, for: [.storage]).0,
                settings.doSnapshot, let module = settings.storage.moduleName,
                let descriptor = registry.registration(forModule: module)?.descriptor,
                let layout = descriptor.credentials
            {
                credentials[descriptor.name] = layout
            }
            do {
                _ = try configuration.retentionConfiguration(database: name)
            } catch {
                problems.append(ConfigProblem(file: configuration.path, section: name, message: error.description))
            }
            problems += replicationProblems(database: name, warnings: &warnings)
        }
        for (_, layout) in credentials.sorted(by: { $0.key < $1.key }) {
            do {
                warnings += try configuration.loadCredentials(layout).warnings
            } catch {
                problems.append(contentsOf: error.problems)
            }
        }
        return Result(problems: problems, warnings: warnings, databases: configuration.databaseNames)
    }

    /// The problems of the database's off-site copy (`[replication]`, or its `replication<key>` keys): its own
    /// keys, a driver that is unknown, of another kind than the database's or cannot replicate, the replica
    /// driver's own keys and the replica's retention keys. Nothing for a database without replication.
    /// The replica driver's warnings (e.g. ontap: retention keys for a mirror) go to `warnings`.
    func replicationProblems(database name: String, warnings: inout [String]) -> [ConfigProblem] {
        let settings = configuration.databaseCollectingProblems(name, for: [.storage]).0
        let module = settings?.storage.moduleName
        let replication: ReplicationSettings
        do {
            guard
                let read = try ReplicationSettings.read(database: name, in: configuration, databaseModule: module)
            else { return [] }
            replication = read
        } catch {
            return error.problems
        }
        let section = replication.section
        func problem(_ key: String, _ message: String) -> [ConfigProblem] { section.error(key, message).problems }
        guard let registration = registry.registration(forModule: replication.module) else {
            return problem(
                "driver",
                "unknown storage driver '\(replication.module)' (known: \(registry.names.joined(separator: ", ")))")
        }
        if let module, let own = registry.registration(forModule: module),
            own.descriptor.name != registration.descriptor.name
        {
            return problem(
                "driver",
                "the replica's driver '\(registration.descriptor.name)' is not the database's ('\(own.descriptor.name)'): snapshots are copied between storages of one kind"
            )
        }
        guard registration.descriptor.capabilities.contains(.replication) else {
            let able = registry.names.filter {
                registry.registration(forModule: $0)?.descriptor.capabilities.contains(.replication) == true
            }
            return problem(
                "driver",
                "storage driver '\(registration.descriptor.name)' cannot replicate snapshots (drivers that can: \(able.joined(separator: ", ")))"
            )
        }
        for key in section.keys.sorted() {
            if let owner = ReplicationSettings.driverOwnKeys[key], owner != registration.descriptor.name {
                let warning =
                    "\(configuration.path): [\(section.name)] \(key) is read by the \(owner) driver only; this database's replica uses \(registration.descriptor.name), which ignores it"
                if !warnings.contains(warning) { warnings.append(warning) }
            }
        }
        var found: [ConfigProblem] = []
        do {
            let typed = try registration.readConfiguration(from: section, database: StorageDatabase(name: name))
            warnings += typed.warnings.filter { !warnings.contains($0) }
        } catch {
            found += error.problems
        }
        if let layout = registration.descriptor.credentials {
            // The replica appliance's own account ([replication] in the credentials file), when there is one.
            do {
                _ = try configuration.loadReplicaCredentials(layout)
            } catch {
                found += error.problems
            }
        }
        do {
            _ = try replication.retentionConfiguration()
        } catch {
            found.append(
                ConfigProblem(file: configuration.path, section: section.name, message: error.description))
        }
        return found
    }
}
