import ConfigModel
import Foundation
import Logging
import StorageKit
import Testing

@testable import StorageOpenZFS

@Suite(
    "OpenZFS replication on zfs-fuse (send | receive)",
    .enabled(if: ZFSEnvironment.dataset != nil, ZFSEnvironment.skipReason), .serialized)
struct OpenZFSReplicationTests {
    /// A primary `<harness>/orcl` and its replica under `<harness>/offsite`.
    func withReplica(_ body: (ZFSHarness, OpenZFSDriver, OpenZFSDriver) async throws -> Void) async throws {
        try await withZFSHarness { harness in
            try await harness.zfs(["create", "\(harness.dataset)/offsite"])
            let primary = harness.driver("orcl")
            let replica = try #require(
                try primary.replicaDriver(
                    configuration: OpenZFSConfiguration(
                        dataset: "\(harness.dataset)/offsite", command: ZFSEnvironment.command, timeout: .seconds(60)),
                    logger: harness.logger) as? OpenZFSDriver)
            try await body(harness, primary, replica)
        }
    }

    func write(_ mountPoint: String, _ name: String, _ byte: UInt8) throws {
        try Data(repeating: byte, count: 100_000).write(to: URL(fileURLWithPath: "\(mountPoint)/\(name)"))
    }

    @Test("the first copy is full, later ones incremental; the replica keeps creation times and clones restore them")
    func fullThenIncremental() async throws {
        try await withReplica { harness, primary, replica in
            let volume = try await primary.createVolume()
            let area = try #require(volume.mountPoint)
            try write(area, "data_1", 1)
            let first = try await primary.createSnapshot(named: "orcl-20261201T010000")
            let run1 = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run1.succeeded, "\(String(describing: run1.failure))")
            #expect(run1.replicated.map(\.id) == [first.id] && run1.replicated.first?.base == nil)

            try write(area, "data_2", 2)
            let second = try await primary.createSnapshot(named: "orcl-20261202T010000")
            let run2 = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run2.succeeded, "\(String(describing: run2.failure))")
            #expect(run2.replicated.map(\.base) == [first.id])
            #expect(run2.lag?.snapshotsBehind == 0 && run2.lag?.seconds == 0)

            let listed = try await replica.listSnapshots()
            #expect(listed.map(\.id) == [first.id, second.id])
            #expect(listed.map(\.creation) == [first.creation, second.creation])

            let clone = try await replica.cloneSnapshot(id: second.id, cloneName: "orcl-offsite-test")
            let mountPoint = try #require(clone.mountPoint)
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: "\(mountPoint)/data_1")) == Data(repeating: 1, count: 100_000)
            )
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: "\(mountPoint)/data_2")) == Data(repeating: 2, count: 100_000)
            )
            try await replica.dropClone(name: clone.name)
        }
    }

    @Test("a full copy over a replica holding other snapshots, and an incremental from an older base, are refused")
    func refusesDestructiveReceives() async throws {
        try await withReplica { harness, primary, replica in
            let area = try #require(try await primary.createVolume().mountPoint)
            try write(area, "data_1", 1)
            let first = try await primary.createSnapshot(named: "orcl-20261201T010000")
            let second = try await primary.createSnapshot(named: "orcl-20261202T010000")
            let run = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run.replicated.map(\.id) == [second.id])
            let full = await #expect(throws: StorageError.self) {
                _ = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(60))
            }
            #expect(full?.message.contains("a full copy would replace them") == true)
            let third = try await primary.createSnapshot(named: "orcl-20261203T010000")
            let old = await #expect(throws: StorageError.self) {
                _ = try await primary.replicate(third, incrementalFrom: first, to: replica, timeout: .seconds(60))
            }
            #expect(old?.message.contains("not the base") == true)
            #expect(try await replica.listSnapshots().map(\.id) == [second.id])
        }
    }
}
