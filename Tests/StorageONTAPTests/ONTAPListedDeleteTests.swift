import Foundation
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

/// Retention's delete (`deleteListedSnapshot`): one DELETE per volume, the safety taken from the listing
/// (issue 15 item 5).
@Suite("ONTAP deletes what its listing saw", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPListedDeleteTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "nfs_orcl",
            snapshots: [
                .init(name: "orcl_1", creation: utc("2016-11-08T20:53:36Z")),
                .init(name: "orcl_2", creation: utc("2016-11-09T20:53:36Z")),
            ]),
        .init(name: "nfs_other", snapshots: [.init(name: "other_1", creation: utc("2016-11-08T20:53:36Z"))]),
    ])

    func listed(_ driver: ONTAPDriver, _ id: String) async throws -> Snapshot {
        try #require(try await driver.listSnapshots().first { $0.id == id })
    }

    @Test("a listed snapshot costs exactly one DELETE (the job is awaited through return_timeout)")
    func oneDelete() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let snapshot = try await listed(driver, "orcl_1")
            await fixture.engine.clearLog()
            try await driver.deleteListedSnapshot(snapshot)
            let log = await fixture.engine.requestLog()
            #expect(log.map(\.method) == ["DELETE"], "\(log)")
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl") == ["orcl_2"])
            #expect(await fixture.engine.unfinishedJobCount() == 0)
        }
    }

    @Test("a FlexClone made after the listing: the cluster refuses, reported as hasClones, snapshot kept")
    func cloneAppearedSinceListing() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let stale = try await listed(driver, "orcl_2")
            #expect(stale.cloneCount == 0)
            _ = try await driver.cloneSnapshot(id: "orcl_2", cloneName: "autorestore")
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(stale)
            }
            #expect(error?.code == .hasClones)
            #expect(error?.message.contains("autorestore") == true)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").contains("orcl_2"))
        }
    }

    @Test("clone-held and foreign snapshots are refused without any request")
    func refusedFromTheListing() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.cloneSnapshot(id: "orcl_2", cloneName: "autorestore")
            let held = try await listed(driver, "orcl_2")
            let foreign = try await listed(try fixture.driver("other"), "other_1")
            await fixture.engine.clearLog()
            for (snapshot, code) in [(held, StorageError.Code.hasClones), (foreign, .notOwned)] {
                let error = await storageError { () async throws(StorageError) in
                    try await driver.deleteListedSnapshot(snapshot)
                }
                #expect(error?.code == code, "\(snapshot.id): \(String(describing: error))")
            }
            #expect(await fixture.engine.requestLog().isEmpty)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").count == 2)
            #expect(await fixture.engine.snapshotNames(of: "nfs_other") == ["other_1"])
        }
    }
}
