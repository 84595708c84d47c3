import ConfigModel
import Foundation
import Logging
import StorageKit

/// The configuration of an in-memory replica: the backend standing for the second storage.
public struct InMemoryReplicaConfiguration: StorageSectionConfiguration {
    /// The second storage.
    public var backend: InMemoryStorageBackend

    /// A replica on `backend`.
    public init(backend: InMemoryStorageBackend) { self.backend = backend }

    /// Not read from a file: a replica of the in-memory driver is only made in code.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        throw section.error("driver", "the in-memory driver's replica is made in code, not from a file")
    }
}

extension InMemoryStorageDriver: SnapshotReplicating {
    /// The same volume on the backend of an ``InMemoryReplicaConfiguration``.
    public func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver
    {
        guard let typed = configuration as? InMemoryReplicaConfiguration else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicaDriver", message: "not an in-memory replica")
        }
        return InMemoryStorageDriver(volumeName: volumeName, backend: typed.backend)
    }

    /// Adds the snapshot, with its creation time, to the replica's backend (a copy takes no time). Throws
    /// `.notFound` for a snapshot or base this volume lacks, `.alreadyExists` when the replica holds it.
    public func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    ) async throws(StorageError) -> ReplicatedSnapshot {
        guard let target = replica as? InMemoryStorageDriver else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicate", message: "not an in-memory replica")
        }
        let listed = try await listSnapshots()
        guard let source = listed.first(where: { $0.id == snapshot.id }) else {
            throw StorageError(.notFound, vendor: vendor, operation: "replicate", message: "no snapshot \(snapshot.id)")
        }
        if let base, !listed.contains(where: { $0.id == base.id }) {
            throw StorageError(.notFound, vendor: vendor, operation: "replicate", message: "no base \(base.id)")
        }
        let held = (try? await target.listSnapshots()) ?? []
        if held.contains(where: { $0.id == snapshot.id }) {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: "replicate", message: "the replica holds \(snapshot.id)")
        }
        await target.backend.addSnapshot(
            volume: target.volumeName, id: source.id, creation: source.creation, spaceTotal: source.spaceTotal)
        return ReplicatedSnapshot(id: source.id, creation: source.creation, base: base?.id, seconds: 0)
    }
}
