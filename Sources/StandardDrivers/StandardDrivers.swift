import ConfigModel
import Foundation
import Logging
import StorageBtrfs
import StorageHTTP
import StorageHuaweiDorado
import StorageKit
import StorageLocalFS
import StorageONTAP
import StorageOpenZFS
import StorageSoftNAS
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
    /// Every storage module the tools know, each with its driver: localfs, btrfs, zfssa, ontap (also module
    /// `netapp`), softnas and huaweidorado (also module `huawei`).
    public static let registry: StorageDriverRegistry = {
        var registry = StorageDriverRegistry()
        LocalFSDriver.register(in: &registry)
        BtrfsDriver.register(in: &registry)
        OpenZFSDriver.register(in: &registry)
        ZFSSADriver.register(in: &registry, transport: CurlTransport.factory)
        ONTAPDriver.register(in: &registry, transport: CurlTransport.factory)
        SoftNASDriver.register(in: &registry, transport: CurlTransport.factory)
        HuaweiDoradoDriver.register(in: &registry, transport: CurlTransport.factory)
        return registry
    }()

    /// The original's SoftNAS module (`snappermodule: softnas`): `[softnas]`, credentials in
    /// `softnascredentials.cfg` (``SoftNASDriver/descriptor``).
    public static let softNAS = SoftNASDriver.descriptor

    /// The original's Huawei Dorado module (`snappermodule: huawei`): `[huaweidorado]`, credentials from
    /// `DBBACKUPSUITE_HUAWEI_USER`/`_PASSWORD`, then `~/.dbbackupsuite_storage.cfg` `[huaweicredentials]`, then
    /// `huaweidoradocredentials.cfg` (``HuaweiDoradoDriver/descriptor``).
    public static let huaweiDorado = HuaweiDoradoDriver.descriptor

    /// Builds the driver of `settings` with ``registry`` (credentials come from the driver's credentials file).
    /// - Throws: ``DriverSetupError`` for a module without a driver in this build; `ConfigError` for the
    ///   configuration (no module, an unknown one, its section) and the credentials file; the driver's own
    ///   `StorageError`.
    public static func driver(for settings: DatabaseSettings, configuration: BackupConfiguration, logger: Logger)
        throws -> any StorageDriver
    {
        do {
            return try registry.makeDriver(for: settings, in: configuration, logger: logger)
        } catch let error as StorageError where error.code == .unsupported && error.operation == "makeDriver" {
            throw DriverSetupError(error.message, isConfigurationProblem: false)
        }
    }

    /// ``driver(for:configuration:logger:)`` as the factory an engine takes (`makeDriver:`).
    public static func factory(configuration: BackupConfiguration)
        -> @Sendable (DatabaseSettings, Logger) throws -> any StorageDriver
    {
        { settings, logger in try driver(for: settings, configuration: configuration, logger: logger) }
    }
}
