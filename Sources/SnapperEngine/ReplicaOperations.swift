import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StorageKit
import StorageRetention

/// The snapper operations on a database's off-site copy (`[replication]`): send the snapshots the replica lacks,
/// list the replica, apply the replica's own retention.
public struct ReplicaOperations: Sendable {
    /// The database's own storage (the source).
    public var source: any StorageDriver
    /// The replica site, as `[replication]` describes it.
    public var replica: ConfiguredReplica
    /// Which snapshots passed an autorestore (`snapkeepverified`), asked before anything is dropped.
    public var verifiedSnapshots: @Sendable (RetentionConfiguration) async -> VerifiedSnapshots
    /// Receives the messages.
    public var logger: Logger
    /// The current time (retention); injectable for tests.
    public var clock: @Sendable () -> Date

    /// Operations on `replica`, the off-site copy of `source`.
    public init(
        source: any StorageDriver, replica: ConfiguredReplica,
        verifiedSnapshots: @escaping @Sendable (RetentionConfiguration) async -> VerifiedSnapshots, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.replica = replica
        self.verifiedSnapshots = verifiedSnapshots
        self.logger = logger
        self.clock = clock
    }

    /// `replicate`: sends every snapshot the replica lacks (the first time only the newest, in full).
    /// - Throws: ``SnapperFailure`` when the database's driver cannot replicate.
    public func replicate() async throws(SnapperFailure) -> ReplicationOutcome {
        guard let replicating = source as? any SnapshotReplicating else {
            throw SnapperFailure("storage driver \(source.vendor) cannot replicate snapshots", exitCode: 2)
        }
        return await SnapshotReplication.run(
            source: replicating, replica: replica.driver, timeout: replica.settings.transferTimeout, logger: logger)
    }

    /// `list --replica`: the replica's snapshots, oldest first.
    public func snapshots() async throws(StorageError) -> [Snapshot] {
        try await SnapshotReplication.listing(of: replica.driver).sortedByCreation()
    }

    /// How far the replica is behind.
    public func lag() async throws(StorageError) -> ReplicationLag {
        ReplicationLag(
            source: try await source.listSnapshots(), replica: try await SnapshotReplication.listing(of: replica.driver)
        )
    }

    /// The replica's retention rules (`[replication]`).
    /// - Throws: ``SnapperFailure`` (exit 2) naming the section and the key.
    public func retentionConfiguration() throws(SnapperFailure) -> RetentionConfiguration {
        do {
            return try replica.settings.retentionConfiguration()
        } catch {
            throw SnapperFailure(
                "\(replica.settings.section.file ?? "configuration"): [\(ReplicationSettings.sectionName)] \(error.description)",
                exitCode: 2)
        }
    }

    /// `clean --replica --dry-run`.
    public func planRetention() async throws(SnapperFailure) -> (RetentionPlan, StorageError?) {
        let rules = try retentionConfiguration()
        return await ReplicaRetention.plan(
            replica: replica.driver, configuration: rules, verified: await verifiedSnapshots(rules), now: clock())
    }

    /// `clean --replica`.
    public func applyRetention() async throws(SnapperFailure) -> RetentionOutcome {
        let rules = try retentionConfiguration()
        return await ReplicaRetention.apply(
            replica: replica.driver, configuration: rules, verified: await verifiedSnapshots(rules), now: clock(),
            logger: logger)
    }
}
