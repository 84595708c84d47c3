import ConfigModel
import Foundation
import Logging
import StorageBtrfs
import StorageHTTP
import StorageKit
import StorageLocalFS
import StorageONTAP
import StorageZFSSA

/// Why a database's settings do not give a storage driver.
public struct DriverSetupError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the file, section and key.
    public var message: String
    /// True for a configuration problem (the tools' exit 2), false for a build without the driver (exit 1).
    public var isConfigurationProblem: Bool

    /// A problem described by `message`.
    public init(_ message: String, isConfigurationProblem: Bool = true) {
        self.message = message
        self.isConfigurationProblem = isConfigurationProblem
    }

    /// The tools' exit code for it: 2 for a configuration problem, else 1.
    public var exitCode: Int32 { isConfigurationProblem ? 2 : 1 }

    public var description: String { message }
}

/// The storage drivers the executables know, and how a database's settings become a driver.
public enum StandardDrivers {
    /// Every driver linked into the tools.
    public static var registry: StorageDriverRegistry {
        var registry = StorageDriverRegistry()
        LocalFSDriver.register(in: &registry)
        BtrfsDriver.register(in: &registry)
        ZFSSADriver.register(in: &registry, transport: AsyncHTTPClientTransport.factory)
        ONTAPDriver.register(in: &registry, transport: AsyncHTTPClientTransport.factory)
        return registry
    }

    /// Builds the driver of `settings` (credentials come from the configuration's credentials file).
    /// - Throws: ``DriverSetupError`` for a missing driver or an unsafe URL; the credentials file's and the driver's
    ///   own configuration errors as they are.
    public static func driver(for settings: DatabaseSettings, configuration: BackupConfiguration, logger: Logger)
        throws -> any StorageDriver
    {
        guard let kind = settings.storage.driver else {
            throw DriverSetupError(
                "\(configuration.path): [generic] snappermodule: no storage driver configured for \(settings.name)")
        }
        if let key = settings.storage.plainHTTPKey {
            guard settings.storage.allowPlainHTTP else {
                throw DriverSetupError(
                    "\(configuration.path): [\(kind.sectionName)] \(key): plain http:// would send the appliance "
                        + "credentials unencrypted; use https://, or set allowplainhttp: TRUE")
            }
            logger.warning(
                "[\(kind.sectionName)] \(key) is plain http:// (allowplainhttp: TRUE): the appliance credentials and all data travel unencrypted"
            )
        }
        var values = settings.storage.values
        if let root = settings.generic.backupRoot {
            // The local drivers keep the live area at <root>/<db>.
            values["backupdest"] =
                settings.generic.backupDestinationShared
                ? root : (root as NSString).deletingLastPathComponent
        }
        if !settings.additionalVolumeSuffixes.isEmpty {
            values["additionalvolumesuffixes"] = settings.additionalVolumeSuffixes.joined(separator: ",")
        }
        let loaded = try configuration.loadCredentials(for: kind)
        for warning in loaded?.warnings ?? [] { logger.warning("\(warning)") }
        let credentials = loaded.map { StorageCredential(user: $0.user, password: $0.password) }
        guard registry.contains(kind.rawValue) else {
            throw DriverSetupError(
                "storage driver '\(kind.rawValue)' is not available in this build", isConfigurationProblem: false)
        }
        return try registry.makeDriver(
            named: kind.rawValue,
            configuration: StorageDriverConfiguration(
                databaseName: settings.name, settings: values, caFile: settings.storage.caFile,
                insecureTLS: settings.storage.insecureTLS, credentials: credentials, logger: logger))
    }
}
