import BackupEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StandardCatalogs
import StandardDrivers
import StorageKit
import StorageRetention
import ToolSupport

/// The last step of `imagecopywithsnap` when `[replication]` is configured: send the snapshots the off-site copy
/// lacks (the one this run took among them), then apply the replica's own retention.
///
/// It runs after the backup has ended (its lock released, its result recorded), so a slow or failed transfer never
/// changes the backup's own outcome: a failure is a WARNING on standard error and exit code 3 (the backup
/// succeeded, its off-site copy did not).
enum OffsiteCopy {
    /// The exit code of a backup that succeeded while its off-site copy failed.
    static let failedExitCode: Int32 = BackupFleet.offsiteCopyFailedExitCode

    /// Replicates `database`; `nil` when it has no replication configured or it went well, else the WARNING to
    /// print.
    static func run(database: String, configuration: BackupConfiguration, environment: [String: String]) async
        -> String?
    {
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: [.storage])
        guard let settings, problems.isEmpty, settings.doSnapshot else { return nil }
        // Without [replication] for this database nothing is built or read (no driver, no credentials).
        do {
            guard
                try ReplicationSettings.read(
                    database: database, in: configuration, databaseModule: settings.storage.moduleName) != nil
            else { return nil }
        } catch {
            return "WARNING: the off-site copy of \(database) was not made: \(error)"
        }
        var screenLogger = Logger(label: database) { label in
            RunLogHandler(name: label, runLog: RunLog(screen: { Output.line($0) }, screenLevel: .info))
        }
        screenLogger.logLevel = .info
        let logger = screenLogger
        let source: any StorageDriver
        let replica: ConfiguredReplica
        do {
            source = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
            guard
                let configured = try StandardDrivers.registry.replica(
                    of: source, database: database, in: configuration, databaseModule: settings.storage.moduleName,
                    ageHours: (settings.generic.warningSnapshotAgeHours, settings.generic.criticalSnapshotAgeHours),
                    logger: logger)
            else { return nil }
            replica = configured
        } catch {
            return "WARNING: the off-site copy of \(database) was not made: \(error)"
        }
        return await closingStorage(source) {
            await closingStorage(replica.driver) { () async -> String? in
                guard let replicating = source as? any SnapshotReplicating else { return nil }
                let outcome = await SnapshotReplication.run(
                    source: replicating, replica: replica.driver, timeout: replica.settings.transferTimeout,
                    logger: logger)
                if let failure = outcome.failure {
                    return "WARNING: the backup of \(database) succeeded, its off-site copy failed: \(failure)"
                }
                if let lag = outcome.lag { logger.info("Off-site copy of \(database): \(lag.summary)") }
                let rules: RetentionConfiguration
                do {
                    rules = try replica.settings.retentionConfiguration()
                } catch {
                    return "WARNING: replica retention of \(database) did not run: [replication] \(error)"
                }
                let verified = await VerifiedSnapshotLookup.read(
                    settings: settings, retention: rules, environment: environment, logger: logger)
                let retention = await ReplicaRetention.apply(
                    replica: replica.driver, configuration: rules, verified: verified, now: Date(), logger: logger)
                return retention.succeeded
                    ? nil : "WARNING: replica retention of \(database) failed: \(retention.summary)"
            }
        }
    }
}
