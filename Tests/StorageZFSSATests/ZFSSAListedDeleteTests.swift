import Foundation
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageZFSSA
import Testing

/// Retention's delete (`deleteListedSnapshot`): one DELETE, the safety taken from the listing (issue 15 item 5).
@Suite("ZFSSA deletes what its listing saw", .enabled(if: opensslAvailable, opensslReason))
struct ZFSSAListedDeleteTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "orcl",
            snapshots: [
                .init(name: "orcl-1", creation: utc("2016-11-08T20:53:36Z")),
                .init(name: "orcl-2", creation: utc("2016-11-09T20:53:36Z")),
                .init(name: "orcl-locked", creation: utc("2016-11-10T20:53:36Z"), retention: "locked"),
                .init(name: "orcl-unknown", creation: utc("2016-11-11T20:53:36Z"), omitsNumclones: true),
            ]),
        .init(name: "other", snapshots: [.init(name: "other-1", creation: utc("2016-11-08T20:53:36Z"))]),
    ])

    func listed(_ driver: ZFSSADriver, _ id: String) async throws -> Snapshot {
        try #require(try await driver.listSnapshots().first { $0.id == id })
    }

    @Test("a listed snapshot costs exactly one DELETE")
    func oneDelete() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let snapshot = try await listed(driver, "orcl-1")
            #expect(snapshot.location?.listedBy == "zfssa:pool1/demo-backup/orcl")
            await fixture.engine.clearLog()
            try await driver.deleteListedSnapshot(snapshot)
            let log = await fixture.engine.requestLog()
            #expect(log.map(\.method) == ["DELETE"], "\(log)")
            #expect(await fixture.engine.snapshotNames(of: "orcl").contains("orcl-1") == false)
        }
    }

    @Test("a clone made after the listing: the appliance refuses, reported as hasClones, snapshot kept")
    func cloneAppearedSinceListing() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let stale = try await listed(driver, "orcl-2")
            #expect(stale.cloneCount == 0)
            _ = try await driver.cloneSnapshot(id: "orcl-2", cloneName: "autorestore")
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(stale)
            }
            #expect(error?.code == .hasClones)
            #expect(error?.message.contains("orcl-2") == true)
            #expect(error?.status == 409)
            #expect(await fixture.engine.snapshotNames(of: "orcl").contains("orcl-2"))
            #expect(await fixture.engine.shareExists(named: "autorestore"))
        }
    }

    @Test("locked, clone-held, unknown-count and foreign snapshots are refused without any request")
    func refusedFromTheListing() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.cloneSnapshot(id: "orcl-2", cloneName: "autorestore")
            let locked = try await listed(driver, "orcl-locked")
            #expect(locked.isLocked)
            let held = try await listed(driver, "orcl-2")
            let unknown = try await listed(driver, "orcl-unknown")
            let foreign = try await listed(try fixture.driver("other"), "other-1")
            await fixture.engine.clearLog()
            for (snapshot, code) in [
                (locked, StorageError.Code.locked), (held, .hasClones), (unknown, .hasClones), (foreign, .notOwned),
            ] {
                let error = await storageError { () async throws(StorageError) in
                    try await driver.deleteListedSnapshot(snapshot)
                }
                #expect(error?.code == code, "\(snapshot.id): \(String(describing: error))")
            }
            #expect(await fixture.engine.requestLog().isEmpty)
            #expect(await fixture.engine.snapshotNames(of: "orcl").count == 4)
            #expect(await fixture.engine.snapshotNames(of: "other") == ["other-1"])
        }
    }
}
