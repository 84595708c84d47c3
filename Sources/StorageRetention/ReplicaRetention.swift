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
        let newest = await newestID(replica)
        return await SnapshotRetention.plan(
            storage: replica, configuration: configuration, verified: verified, now: now, takenByThisRun: newest)
    }

    /// Plans and drops at the replica; see ``SnapshotRetention/apply(storage:configuration:verified:now:takenByThisRun:logger:)``.
    public static func apply(
        replica: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        logger: Logger
    ) async -> RetentionOutcome {
        let newest = await newestID(replica)
        return await SnapshotRetention.apply(
            storage: replica, configuration: configuration, verified: verified, now: now, takenByThisRun: newest,
            logger: logger)
    }

    static func newestID(_ replica: any StorageDriver) async -> String? {
        (try? await replica.listSnapshots())?.max { $0.creation < $1.creation }?.id
    }
}
