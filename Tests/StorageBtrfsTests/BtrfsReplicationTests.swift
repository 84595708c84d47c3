import ConfigModel
import Foundation
import Logging
import StorageKit
import Testing

@testable import StorageBtrfs

@Suite(
    "btrfs replication on a real file system (send | receive)",
    .enabled(if: BtrfsEnvironment.root != nil, BtrfsEnvironment.skipReason))
struct BtrfsReplicationTests {
    /// The primary and its replica in one harness directory; the replica root is a directory of its own.
    func withReplica(_ body: (BtrfsHarness, BtrfsDriver, BtrfsReplicaDriver) async throws -> Void) async throws {
        let harness = try BtrfsHarness()
        let replicaRoot = "\(harness.root)/offsite"
        try FileManager.default.createDirectory(atPath: replicaRoot, withIntermediateDirectories: true)
        let primary = harness.driver("orcl")
        let replica = try #require(
            try primary.replicaDriver(configuration: BtrfsConfiguration(root: replicaRoot), logger: harness.logger)
                as? BtrfsReplicaDriver)
        do {
            try await body(harness, primary, replica)
        } catch {
            await Self.cleanUp(replica)
            await harness.cleanUp()
            throw error
        }
        await Self.cleanUp(replica)
        await harness.cleanUp()
    }

    static func cleanUp(_ replica: BtrfsReplicaDriver) async {
        for clone in (try? await replica.listClones()) ?? [] { try? await replica.dropClone(name: clone.name) }
        for snapshot in (try? await replica.listSnapshots()) ?? [] {
            try? await replica.deleteSnapshot(id: snapshot.id)
        }
    }

    func write(_ primary: BtrfsDriver, _ name: String, _ byte: UInt8) throws {
        try Data(repeating: byte, count: 100_000).write(to: URL(fileURLWithPath: "\(primary.volumePath)/\(name)"))
    }

    @Test("the first copy is full, later ones incremental; the replica lists them dated at the source and clones them")
    func fullThenIncremental() async throws {
        try await withReplica { harness, primary, replica in
            _ = try await primary.createVolume()
            try write(primary, "data_1", 1)
            let first = try await primary.createSnapshot(named: "orcl-20261201T010000")
            #expect(try await replica.listSnapshots().isEmpty)

            let run1 = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run1.succeeded, "\(String(describing: run1.failure))")
            #expect(run1.replicated.map(\.id) == [first.id])
            #expect(run1.replicated.first?.base == nil)
            #expect(run1.lag?.snapshotsBehind == 0)

            try write(primary, "data_2", 2)
            let second = try await primary.createSnapshot(named: "orcl-20261202T010000")
            try write(primary, "data_3", 3)
            let third = try await primary.createSnapshot(named: "orcl-20261203T010000")
            let lagBefore = ReplicationLag(
                source: try await primary.listSnapshots(), replica: try await replica.listSnapshots())
            #expect(lagBefore.snapshotsBehind == 2)
            #expect(lagBefore.newestReplica == first.id)

            let run2 = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run2.succeeded, "\(String(describing: run2.failure))")
            #expect(run2.replicated.map(\.id) == [second.id, third.id])
            #expect(run2.replicated.map(\.base) == [first.id, second.id])

            let listed = try await replica.listSnapshots()
            #expect(listed.map(\.id) == [first.id, second.id, third.id])
            // The source's creation time, not the arrival time.
            #expect(abs(listed[2].creation.timeIntervalSince(third.creation)) < 0.01)
            #expect(listed.allSatisfy { $0.cloneCount == 0 })

            // The replicated snapshot restores at the replica site: a clone holds every file of that point.
            let clone = try await replica.cloneSnapshot(id: third.id, cloneName: "orcl-offsite-test")
            let mountPoint = try #require(clone.mountPoint)
            for (name, byte) in [("data_1", UInt8(1)), ("data_2", 2), ("data_3", 3)] {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(mountPoint)/\(name)"))
                #expect(data == Data(repeating: byte, count: 100_000))
            }
            #expect(try await replica.listClones().map(\.originSnapshot) == [third.id])
            let refused = await #expect(throws: StorageError.self) { try await replica.deleteSnapshot(id: third.id) }
            #expect(refused?.code == .hasClones)
            try await replica.dropClone(name: clone.name)

            // Nothing new: nothing sent.
            let run3 = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run3.succeeded && run3.replicated.isEmpty)

            // The replica takes no snapshots of its own.
            await #expect(throws: StorageError.self) { _ = try await replica.createSnapshot(named: "x") }
        }
    }

    @Test("an incremental copy continues after older snapshots are deleted on either side")
    func baseSurvivesRetention() async throws {
        try await withReplica { harness, primary, replica in
            _ = try await primary.createVolume()
            for (index, name) in ["orcl-20261201T010000", "orcl-20261202T010000"].enumerated() {
                try write(primary, "data_\(index)", UInt8(index + 1))
                _ = try await primary.createSnapshot(named: name)
                let run = await SnapshotReplication.run(
                    source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
                #expect(run.succeeded, "\(String(describing: run.failure))")
            }
            try await primary.deleteSnapshot(id: "orcl-20261201T010000")
            try await replica.deleteSnapshot(id: "orcl-20261201T010000")
            try write(primary, "data_9", 9)
            _ = try await primary.createSnapshot(named: "orcl-20261203T010000")
            let run = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run.succeeded, "\(String(describing: run.failure))")
            #expect(run.replicated.map(\.base) == ["orcl-20261202T010000"])
            #expect(try await replica.listSnapshots().map(\.id) == ["orcl-20261202T010000", "orcl-20261203T010000"])
        }
    }

    @Test("a failed receive leaves nothing the replica lists, and the next run sends the snapshot again")
    func failedReceive() async throws {
        try await withReplica { harness, primary, replica in
            _ = try await primary.createVolume()
            try write(primary, "data_1", 1)
            let snapshot = try await primary.createSnapshot(named: "orcl-20261201T010000")
            // A receiver that reads a little and fails: the transfer stops, the error names both ends.
            let broken = BtrfsReplicaDriver(
                volumeName: "orcl", root: replica.root, command: "/bin/false", timeout: .seconds(60),
                logger: harness.logger)
            let failure = await #expect(throws: StorageError.self) {
                _ = try await primary.replicate(snapshot, incrementalFrom: nil, to: broken, timeout: .seconds(60))
            }
            #expect(failure?.code == .commandFailed)
            #expect(failure?.message.contains("receive with 1") == true)
            #expect(try await replica.listSnapshots().isEmpty)
            let run = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(120), logger: harness.logger)
            #expect(run.succeeded, "\(String(describing: run.failure))")
            #expect(try await replica.listSnapshots().map(\.id) == [snapshot.id])
        }
    }
}
