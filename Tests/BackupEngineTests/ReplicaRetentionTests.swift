import BackupEngine
import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StorageKit
import StorageKitTesting
import StorageRetention
import Testing

@Suite("Replica retention: its own rules, never the newest replicated snapshot")
struct ReplicaRetentionTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    func replica(days: [Int]) async throws -> (InMemoryStorageBackend, InMemoryStorageDriver) {
        let backend = InMemoryStorageBackend(clock: { Self.now })
        for day in days {
            await backend.addSnapshot(
                volume: "orcl", id: "orcl-\(day)", creation: Self.now.addingTimeInterval(-Double(day) * 86_400))
        }
        return (backend, InMemoryStorageDriver(volumeName: "orcl", backend: backend))
    }

    @Test("[replication] keys, not the database's, decide; the newest stays even when every snapshot is expired")
    func ownRulesAndNewestKept() async throws {
        let configuration = BackupConfiguration(
            text: """
                [generic]
                snappermodule: btrfs
                [replication]
                root: /srv/offsite
                snapexpirationdays: 1
                snapminimumcount: 1
                snapkeepverified: false
                [orcl]
                dbid: 1
                snapexpirationdays: 365
                """, path: "/etc/oib/backup.cfg")
        let settings = try #require(
            try ReplicationSettings.read(database: "orcl", in: configuration, databaseModule: "btrfs"))
        let rules = try settings.retentionConfiguration()
        let (_, replica) = try await replica(days: [40, 30, 20, 10])
        let outcome = await ReplicaRetention.apply(
            replica: replica, configuration: rules, verified: .known([]), now: Self.now,
            logger: Logger(label: "test"))
        #expect(outcome.succeeded)
        #expect(try await replica.listSnapshots().map(\.id) == ["orcl-10"])
    }

    @Test("a locked replica snapshot and one with a clone are kept")
    func lockedAndClonedKept() async throws {
        let rules = try RetentionConfiguration { key in
            ["snapexpirationdays": "1", "snapkeepverified": "false"][key]
        }
        let (_, replica) = try await replica(days: [40, 30, 20, 10])
        try await replica.lockSnapshot(id: "orcl-40")
        _ = try await replica.cloneSnapshot(id: "orcl-30", cloneName: "offsite-test")
        let plan = await ReplicaRetention.plan(
            replica: replica, configuration: rules, verified: .known([]), now: Self.now)
        #expect(plan.1 == nil)
        _ = await ReplicaRetention.apply(
            replica: replica, configuration: rules, verified: .known([]), now: Self.now,
            logger: Logger(label: "test"))
        #expect(try await replica.listSnapshots().map(\.id).sorted() == ["orcl-10", "orcl-30", "orcl-40"])
    }
}

@Suite("The database's own retention keeps the base of the off-site copy's next incremental copy")
struct OffsiteCopyBaseRetentionTests {
    static let now = ReplicaRetentionTests.now
    static let rules = try! RetentionConfiguration { key in
        ["snapexpirationdays": "1", "snapminimumcount": "1", "snapkeepverified": "false"][key]
    }

    func storage(days: [Int]) async -> InMemoryStorageDriver {
        let backend = InMemoryStorageBackend(clock: { Self.now })
        for day in days {
            await backend.addSnapshot(
                volume: "orcl", id: "orcl-\(day)", creation: Self.now.addingTimeInterval(-Double(day) * 86_400))
        }
        return InMemoryStorageDriver(volumeName: "orcl", backend: backend)
    }

    @Test("the newest snapshot the replica holds is kept, older ones it holds and the others go by the rules")
    func baseKept() async throws {
        let source = await storage(days: [40, 30, 20, 10])
        // The copies stopped after day 30: the replica holds days 50 (gone at the source), 40 and 30.
        let replica = await storage(days: [50, 40, 30])
        let base = await OffsiteCopyBase.read(replica: replica)
        #expect(base == .replicaHolds(["orcl-50", "orcl-40", "orcl-30"]))
        let (logger, records) = RecordingLogHandler.makeLogger()
        let outcome = await SnapshotRetention.apply(
            storage: source, configuration: Self.rules, verified: .known([]), now: Self.now, offsiteCopyBase: base,
            logger: logger)
        #expect(outcome.succeeded)
        #expect(try await source.listSnapshots().map(\.id).sorted() == ["orcl-10", "orcl-30"])
        #expect(records.messages(at: .warning).isEmpty)
        // Without [replication] the same rules drop it.
        let alone = await storage(days: [40, 30, 20, 10])
        _ = await SnapshotRetention.apply(
            storage: alone, configuration: Self.rules, verified: .known([]), now: Self.now, logger: logger)
        #expect(try await alone.listSnapshots().map(\.id) == ["orcl-10"])
    }

    @Test("a replica that cannot be listed: every snapshot kept, one WARNING, the retention itself succeeded")
    func unknownReplicaKeepsEverything() async throws {
        let source = await storage(days: [40, 30, 20, 10])
        let replica = await storage(days: [40])
        await replica.backend.injectFailure(.transport, on: "listSnapshots")
        let base = await OffsiteCopyBase.read(replica: replica)
        guard case .unknown(let reason) = base else {
            Issue.record("expected an unknown base, got \(base)")
            return
        }
        #expect(reason.contains("listing the replica orcl failed"))
        let (logger, records) = RecordingLogHandler.makeLogger()
        let outcome = await SnapshotRetention.apply(
            storage: source, configuration: Self.rules, verified: .known([]), now: Self.now, offsiteCopyBase: base,
            logger: logger)
        #expect(outcome.succeeded)
        #expect(outcome.droppedCount == 0)
        #expect(try await source.listSnapshots().count == 4)
        #expect(records.messages(at: .warning).contains { $0.contains("off-site copy cannot be listed") })
    }

    @Test("no [replication]: nothing to keep; a [replication] that cannot be read: unknown, naming file and key")
    func fromConfiguration() async throws {
        let source = await storage(days: [10])
        let plain = BackupConfiguration(
            text: "[generic]\nsnappermodule: btrfs\n[orcl]\ndbid: 1\n", path: "/etc/oib/backup.cfg")
        let none = await OffsiteCopyBase.read(
            database: "orcl", source: source, in: plain, databaseModule: "btrfs", registry: StorageDriverRegistry(),
            logger: Logger(label: "test"))
        #expect(none == .none)
        let disabled = BackupConfiguration(
            text:
                "[generic]\nsnappermodule: btrfs\n[replication]\nroot: /srv/offsite\n[orcl]\ndbid: 1\nreplicationenabled: FALSE\n",
            path: "/etc/oib/backup.cfg")
        let off = await OffsiteCopyBase.read(
            database: "orcl", source: source, in: disabled, databaseModule: "btrfs", registry: StorageDriverRegistry(),
            logger: Logger(label: "test"))
        #expect(off == .none)
        let wrong = BackupConfiguration(
            text: "[generic]\nsnappermodule: btrfs\n[replication]\ndriver: nosuchdriver\n[orcl]\ndbid: 1\n",
            path: "/etc/oib/backup.cfg")
        let unknown = await OffsiteCopyBase.read(
            database: "orcl", source: source, in: wrong, databaseModule: "btrfs", registry: StorageDriverRegistry(),
            logger: Logger(label: "test"))
        guard case .unknown(let reason) = unknown else {
            Issue.record("expected an unknown base, got \(unknown)")
            return
        }
        #expect(reason.contains("/etc/oib/backup.cfg") && reason.contains("driver"), "\(reason)")
    }
}

@Suite("backup --all: a failed off-site copy (exit 3) never hides a failed backup")
struct FleetExitCodeWithReplicationTests {
    func members(_ codes: [Int32]) -> [BackupFleet.Member] {
        codes.enumerated().map {
            BackupFleet.Member(database: "db\($0.offset)", exitCode: $0.element, output: "", seconds: 0)
        }
    }

    @Test func ranking() {
        #expect(BackupFleet.exitCode(members([0, 3, 1])) == 1)
        #expect(BackupFleet.exitCode(members([3, 2])) == 2)
        #expect(BackupFleet.exitCode(members([0, 3])) == 3)
        #expect(BackupFleet.exitCode(members([0, 0])) == 0)
        #expect(BackupFleet.exitCode(members([])) == 0)
        #expect(BackupFleet.summary(action: "imagecopywithsnap", members: members([3])).joined().contains("no copy"))
    }
}
