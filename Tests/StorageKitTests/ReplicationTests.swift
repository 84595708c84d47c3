import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@Suite("Replication: plan, lag, the run and [replication]")
struct ReplicationTests {
    static let day: TimeInterval = 86_400
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    func snapshots(_ days: [Int]) -> [Snapshot] {
        days.map { Snapshot(id: "orcl-\($0)", creation: Self.start.addingTimeInterval(Double($0) * Self.day)) }
    }

    @Test("no common snapshot: only the newest, in full; otherwise every newer one from the newest common")
    func plan() {
        let first = ReplicationPlan(source: snapshots([1, 2, 3]), replica: [])
        #expect(first.base == nil && first.toSend.map(\.id) == ["orcl-3"])
        let later = ReplicationPlan(source: snapshots([3, 1, 4, 5, 2]), replica: snapshots([0, 1, 2]))
        #expect(later.base?.id == "orcl-2" && later.toSend.map(\.id) == ["orcl-3", "orcl-4", "orcl-5"])
        let inStep = ReplicationPlan(source: snapshots([1, 2]), replica: snapshots([2]))
        #expect(inStep.base?.id == "orcl-2" && inStep.toSend.isEmpty)
        #expect(ReplicationPlan(source: [], replica: snapshots([1])).toSend.isEmpty)
    }

    @Test("lag: snapshots and time between the newest on each side")
    func lag() {
        let behind = ReplicationLag(source: snapshots([1, 2, 3]), replica: snapshots([1]))
        #expect(behind.snapshotsBehind == 2 && behind.seconds == 2 * Self.day)
        #expect(behind.newestSource == "orcl-3" && behind.newestReplica == "orcl-1")
        #expect(behind.summary == "2 snapshots (48.0 h) behind")
        let inStep = ReplicationLag(source: snapshots([1, 2]), replica: snapshots([1, 2]))
        #expect(inStep.snapshotsBehind == 0 && inStep.seconds == 0 && inStep.summary == "in step")
        let empty = ReplicationLag(source: snapshots([1]), replica: [])
        #expect(empty.seconds == nil && empty.snapshotsBehind == 1 && empty.summary == "nothing replicated yet")
    }

    @Test("a run sends the missing snapshots oldest first, each from the one before")
    func run() async throws {
        let primary = InMemoryStorageBackend()
        let offsite = InMemoryStorageBackend()
        for day in [1, 2, 3] {
            await primary.addSnapshot(
                volume: "orcl", id: "orcl-\(day)", creation: Self.start.addingTimeInterval(Double(day) * Self.day))
        }
        await offsite.addSnapshot(volume: "orcl", id: "orcl-1", creation: Self.start.addingTimeInterval(Self.day))
        let source = InMemoryStorageDriver(volumeName: "orcl", backend: primary)
        let replica = try source.replicaDriver(
            configuration: InMemoryReplicaConfiguration(backend: offsite), logger: Logger(label: "test"))
        let outcome = await SnapshotReplication.run(
            source: source, replica: replica, timeout: .seconds(10), logger: Logger(label: "test"))
        #expect(outcome.succeeded)
        #expect(outcome.replicated.map(\.id) == ["orcl-2", "orcl-3"])
        #expect(outcome.replicated.map(\.base) == ["orcl-1", "orcl-2"])
        #expect(outcome.lag?.snapshotsBehind == 0)
        let copied = try await replica.listSnapshots().map(\.creation)
        #expect(try await copied == source.listSnapshots().map(\.creation))
    }

    func configuration(_ text: String) -> BackupConfiguration {
        BackupConfiguration(text: text, path: "/etc/oib/backup.cfg")
    }

    @Test("[replication]: driver defaults to the database's, per-database overrides, enabled FALSE, problems named")
    func settings() throws {
        let text = """
            [generic]
            snappermodule: btrfs
            [replication]
            root: /srv/offsite
            transfertimeout: 600
            [orcl]
            dbid: 1
            [other]
            dbid: 2
            replicationenabled: FALSE
            [third]
            dbid: 3
            replicationdriver: openzfs
            replicationwarningsnapage: 30
            replicationcriticalsnapage: 20
            """
        let config = configuration(text)
        let orcl = try #require(try ReplicationSettings.read(database: "orcl", in: config, databaseModule: "btrfs"))
        #expect(orcl.module == "btrfs" && orcl.transferTimeout == .seconds(600))
        #expect(try orcl.section.string("root") == "/srv/offsite")
        #expect(try ReplicationSettings.read(database: "other", in: config, databaseModule: "btrfs") == nil)
        let problem = #expect(throws: ConfigError.self) {
            _ = try ReplicationSettings.read(database: "third", in: config, databaseModule: "btrfs")
        }
        #expect(problem?.description.contains("warningsnapage 30.0 exceeds criticalsnapage 20.0") == true)
        let none = configuration("[orcl]\ndbid: 1\n")
        #expect(try ReplicationSettings.read(database: "orcl", in: none, databaseModule: "btrfs") == nil)
    }
}
