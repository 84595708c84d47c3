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
