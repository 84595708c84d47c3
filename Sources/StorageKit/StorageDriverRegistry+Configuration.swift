import ConfigModel
import Foundation
import Logging

/// A database's storage module, found and read: where checking the configuration ends and building the driver
/// starts.
public struct ConfiguredStorage: Sendable {
    /// The module `snappermodule` names.
    public var registration: StorageDriverRegistration
    /// Its typed configuration, read from its section as the database sees it.
    public var configuration: any StorageSectionConfiguration
    /// The database.
    public var database: StorageDatabase
}

extension StorageDriverRegistry: StorageModuleCatalog {
    /// The problems of the storage settings of `settings`: an unknown `snappermodule`, a `snapperclass` that does
    /// not belong to it and, when `required`, a module without a driver in this build, `snaplockdays` for a module
    /// that cannot lock snapshots, and everything the module's configuration refuses.
    public func storageProblems(for settings: DatabaseSettings, in configuration: BackupConfiguration, required: Bool)
        -> [ConfigProblem]
    {
        let problems = ProblemCollector()
        guard let registration = module(of: settings, in: configuration, problems: problems) else {
            return problems.problems
        }
        if required {
            if !registration.isAvailable, let module = settings.storage.module {
                problems.add(
                    ConfigProblem(
                        file: module.file ?? configuration.path, line: module.line, section: module.section,
                        key: module.key,
                        message:
                            "storage module '\(module.value)' has no driver in this build (available: \(availableNames.joined(separator: ", ")))"
                    ))
            }
            if settings.snapshotLockDays > 0, !registration.descriptor.capabilities.contains(.lock) {
                let found = try? configuration.lookup(defaultSection: settings.name).value("snaplockdays")
                problems.add(
                    ConfigProblem(
                        file: found?.file ?? configuration.path, line: found?.line,
                        section: found?.section ?? settings.name, key: "snaplockdays",
                        message:
                            "snaplockdays \(settings.snapshotLockDays): storage module '\(registration.descriptor.name)' cannot lock snapshots (modules that can: \(lockingNames.isEmpty ? "none" : lockingNames.joined(separator: ", "))); set snaplockdays: 0"
                    ))
            }
            _ = problems.read(nil) { () throws(ConfigError) in
                try read(registration, for: settings, in: configuration)
            }
        }
        return problems.problems
    }

    /// The module names (`snappermodule` values) whose driver this build has, sorted.
    public var availableNames: [String] {
        registrations.filter(\.isAvailable).flatMap(\.descriptor.moduleNames).sorted()
    }

    /// The module names whose driver declares ``StorageCapabilities/lock``, sorted.
    var lockingNames: [String] {
        registrations.filter { $0.isAvailable && $0.descriptor.capabilities.contains(.lock) }
            .flatMap(\.descriptor.moduleNames).sorted()
    }

    /// The storage module of `settings`, with its configuration read; every problem at once.
    /// - Throws: `ConfigError`: no `snappermodule`, an unknown one, a mismatched `snapperclass`, and
    ///   everything the module's configuration refuses.
    public func configuredStorage(for settings: DatabaseSettings, in configuration: BackupConfiguration)
        throws(ConfigError) -> ConfiguredStorage
    {
        guard settings.storage.moduleName != nil else {
            throw ConfigError(
                ConfigProblem(
                    file: configuration.path, section: "generic", key: "snappermodule",
                    message: "no storage driver configured for \(settings.name)"))
        }
        let problems = ProblemCollector()
        let registration = module(of: settings, in: configuration, problems: problems)
        let typed = registration.flatMap { registration in
            problems.read(nil) { () throws(ConfigError) in try read(registration, for: settings, in: configuration) }
        }
        try problems.check()
        guard let registration, let typed else { throw ConfigError(problems.problems) }
        return ConfiguredStorage(registration: registration, configuration: typed, database: StorageDatabase(settings))
    }

    /// Builds the storage driver of `settings`: the module's configuration (its warnings are logged), the
    /// credentials from its credentials file (their warnings are logged), then its factory. No I/O on the storage.
    /// - Throws: `ConfigError` for the configuration and the credentials file; ``StorageError``
    ///   `.unsupported` for a module without a driver in this build, and the factory's errors.
    public func makeDriver(for settings: DatabaseSettings, in configuration: BackupConfiguration, logger: Logger)
        throws -> any StorageDriver
    {
        let configured = try configuredStorage(for: settings, in: configuration)
        for warning in configured.configuration.warnings { logger.warning("\(warning)") }
        var credential: StorageCredential?
        if let layout = configured.registration.descriptor.credentials {
            let loaded = try configuration.loadCredentials(layout)
            for warning in loaded.warnings { logger.warning("\(warning)") }
            credential = StorageCredential(user: loaded.user, password: loaded.password)
        }
        return try configured.registration.makeDriver(
            configuration: configured.configuration,
            context: StorageDriverContext(databaseName: settings.name, credentials: credential, logger: logger))
    }

    /// The storage lines of a settings report (`backup <db> showconfig`): `driver`, the module's keys as the
    /// database sees them (passwords in URLs masked) and, for an appliance, its TLS and plain-HTTP state. Nothing
    /// is refused here: unset or broken values are left out.
    public func settingsReport(for settings: DatabaseSettings, in configuration: BackupConfiguration)
        -> [(key: String, value: String?)]
    {
        guard let name = settings.storage.moduleName else { return [("driver", nil)] }
        guard let descriptor = registration(forModule: name)?.descriptor else { return [("driver", name)] }
        let section = configuration.storageSection(
            descriptor.sectionName, database: settings.name, credentials: descriptor.credentials)
        var lines: [(key: String, value: String?)] = [("driver", descriptor.name)]
        for key in descriptor.keys.sorted() {
            if let found = try? section.value(key) {
                lines.append((key, SecretRedaction.maskingURLPassword(found.value)))
            }
        }
        if let endpointKey = descriptor.endpointKey {
            lines += ApplianceConnectionSettings.report(section: section, endpointKey: endpointKey)
        }
        return lines
    }

    /// The registration `settings` names, recording an unknown module or a mismatched class in `problems`; `nil`
    /// when there is no module or it is unknown.
    func module(of settings: DatabaseSettings, in configuration: BackupConfiguration, problems: ProblemCollector)
        -> StorageDriverRegistration?
    {
        guard let module = settings.storage.module, let name = settings.storage.moduleName else { return nil }
        func problem(_ value: ConfigValue, _ message: String) -> ConfigProblem {
            ConfigProblem(
                file: value.file ?? configuration.path, line: value.line, section: value.section, key: value.key,
                message: message)
        }
        guard let registration = registration(forModule: name) else {
            problems.add(
                problem(module, "unknown storage vendor '\(module.value)' (known: \(names.joined(separator: ", ")))"))
            return nil
        }
        let classes = registration.descriptor.classNames
        if let moduleClass = settings.storage.moduleClass,
            !classes.contains(moduleClass.value.trimmingCharacters(in: .whitespaces).lowercased())
        {
            problems.add(
                problem(
                    moduleClass,
                    "class '\(moduleClass.value)' does not belong to module '\(module.value)' (expected one of: \(classes.sorted().joined(separator: ", ")))"
                ))
        }
        return registration
    }

    func read(
        _ registration: StorageDriverRegistration, for settings: DatabaseSettings, in configuration: BackupConfiguration
    )
        throws(ConfigError) -> any StorageSectionConfiguration
    {
        let descriptor = registration.descriptor
        let section = configuration.storageSection(
            descriptor.sectionName, database: settings.name, credentials: descriptor.credentials)
        return try registration.readConfiguration(from: section, database: StorageDatabase(settings))
    }
}
