import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StorageKit

extension ReplicationSettings {
    /// The replica's own retention rules: the retention keys of a database section (`snapexpirationdays`,
    /// `snapminimumcount`, `snapretention` and the GFS keys, …) read from `[replication]` (per database
    /// `replication<key>`), not from the database's section. The same safety rules hold: the newest
    /// `snapminimumcount` (at least one) are never dropped, nor a locked or cloned snapshot.
    /// - Throws: ``RetentionConfigurationError`` naming the key and the bad value.
    public func retentionConfiguration() throws(RetentionConfigurationError) -> RetentionConfiguration {
        let section = section
        return try RetentionConfiguration { key in (try? section.value(key))?.value }
    }
}

/// Retention at the replica site: the planner and the drops of ``SnapshotRetention`` on the replica's driver, with
/// the replica's newest snapshot always kept (the base of the next incremental copy, besides the planner's own
/// rules).
public enum ReplicaRetention {
    /// The plan for the replica (a failed listing drops nothing).
    public static func plan(
        replica: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date
    ) async -> (RetentionPlan, StorageError?) {
        let (plan, listingError, _) = await SnapshotRetention.listAndPlan(
            storage: replica, configuration: configuration, verified: verified, now: now, takenByThisRun: nil,
            offsiteCopyBase: ownNewest)
        return (plan, listingError)
    }

    /// Plans and drops at the replica; see
    /// ``SnapshotRetention/apply(storage:configuration:verified:now:takenByThisRun:offsiteCopyBase:logger:)``.
    public static func apply(
        replica: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        logger: Logger
    ) async -> RetentionOutcome {
        await SnapshotRetention.apply(
            storage: replica, configuration: configuration, verified: verified, now: now, takenByThisRun: nil,
            offsiteCopyBaseOfListing: ownNewest, logger: logger)
    }

    /// At the replica every listed snapshot is one it holds, so the base kept is its newest (from the one listing
    /// the plan is made of).
    static func ownNewest(_ listed: [Snapshot]) -> OffsiteCopyBase { .replicaHolds(Set(listed.map(\.id))) }
}

extension OffsiteCopyBase {
    /// What `replica` holds now: the ids of its snapshots (none before the first copy), or why it cannot be listed.
    public static func read(replica: any StorageDriver) async -> OffsiteCopyBase {
        do {
            return .replicaHolds(Set(try await SnapshotReplication.listing(of: replica).map(\.id)))
        } catch {
            return .unknown(reason: "listing the replica \(replica.volumeName) failed: \(error)")
        }
    }

    /// What the off-site copy of `database` holds, for retention on the database's own storage `source`: `.none`
    /// when `[replication]` configures no copy for it; its driver is built from `registry`, listed and closed. A
    /// `[replication]` that cannot be read or a replica that cannot be listed gives `.unknown` (retention then
    /// keeps every snapshot), never an error.
    /// - Parameters:
    ///   - database: The database section's name.
    ///   - source: The database's own storage driver.
    ///   - configuration: The parsed configuration file.
    ///   - databaseModule: The database's `snappermodule` (the default replica driver).
    ///   - registry: The drivers the replica may use.
    ///   - logger: Receives the replica driver's warnings.
    public static func read(
        database: String, source: any StorageDriver, in configuration: BackupConfiguration, databaseModule: String?,
        registry: StorageDriverRegistry, logger: Logger
    ) async -> OffsiteCopyBase {
        let configured: ConfiguredReplica?
        do {
            configured = try registry.replica(
                of: source, database: database, in: configuration, databaseModule: databaseModule, logger: logger)
        } catch {
            return .unknown(reason: "\(configuration.path): \(error.description)")
        }
        guard let configured else { return .none }
        let base = await read(replica: configured.driver)
        await configured.driver.close()
        return base
    }
}
