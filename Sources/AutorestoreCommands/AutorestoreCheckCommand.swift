import ArgumentParser
import CommandSupport
import ConfigModel
import Foundation
import Logging
import Reporting
import ResultCatalog
import StandardCatalogs
import StandardDrivers

/// `autorestore --check <db> [--max-age-hours N]`: a Nagios/NRPE check of the newest restore test of one database,
/// read from the results catalog (read-only; needs neither the sandbox acknowledgement nor a non-root user).
public struct AutorestoreCheckOptions: ParsableArguments {
    /// `--check <db>`: check this database instead of restoring.
    @Option(name: .long, help: "Nagios check: did the newest restore test of this database pass, and is it recent?")
    public var check: String?

    /// `--max-age-hours N`: with `--check`, the largest accepted age of the newest restore test (default 48).
    @Option(name: .long, help: "With --check: a restore test older than this many hours is a WARNING (default 48).")
    public var maxAgeHours: Double?

    /// No check.
    public init() {}

    /// `--max-age-hours` only with `--check`; a valid database name.
    public func validate(otherModes: Bool) throws {
        if maxAgeHours != nil, check == nil { throw ValidationError("--max-age-hours goes with --check") }
        guard let check else { return }
        if otherModes {
            throw ValidationError("--check takes no other database, --createcatalog or --listvalidationdates")
        }
        try DatabaseArgument.validate(check)
    }

    /// Runs the check and ends with its Nagios status: the status line on standard output, exit 0 OK, 1 WARNING,
    /// 2 CRITICAL, 3 UNKNOWN (configuration or catalog problems).
    public func run(database: String, configurationOptions: ConfigurationOptions, configFile: String?) async throws {
        let result = await Self.evaluate(
            database: database, maxAgeHours: maxAgeHours ?? 48, configurationOptions: configurationOptions,
            configFile: configFile, environment: ProcessInfo.processInfo.environment, now: Date())
        throw ToolExit.nagios(result.exitCode, result.line)
    }

    /// The check's outcome; every failure to read is UNKNOWN with its reason.
    public static func evaluate(
        database: String, maxAgeHours: Double, configurationOptions: ConfigurationOptions, configFile: String?,
        environment: [String: String], now: Date
    ) async -> NagiosResult {
        func unknown(_ message: String) -> NagiosResult { NagiosResult(status: .unknown, message: message) }
        let configuration: BackupConfiguration
        do {
            configuration = try configurationOptions.load(
                environment: environment, positional: configFile, storageModules: StandardDrivers.registry)
        } catch {
            return unknown(error.description)
        }
        guard configuration.databaseNames.contains(database) else {
            return unknown("\(database) is not a database section of \(configuration.path)")
        }
        let (found, problems) = configuration.databaseCollectingProblems(database, for: [])
        guard let settings = found, problems.isEmpty else { return unknown(ConfigError(problems).description) }
        var logger = Logger(label: database) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        let catalog: any ResultCatalog
        do {
            guard
                let opened = try VerifiedSnapshotLookup.configuredCatalog(
                    settings: settings, environment: environment, logger: logger)
            else {
                return unknown(
                    "\(database): no results catalog is configured and \(VerifiedSnapshotLookup.defaultPath(settings) ?? "autorestore-results.sqlite") does not exist"
                )
            }
            catalog = opened
        } catch {
            return unknown("\(database): results catalog cannot be opened: \(error)")
        }
        do {
            let restores = try await catalog.restores(database: database, limit: 1).map(\.record)
            return AutorestoreCheck(maxAgeHours: maxAgeHours).evaluate(database: database, restores: restores, now: now)
        } catch {
            return unknown("\(database): results catalog cannot be read: \(error)")
        }
    }
}
