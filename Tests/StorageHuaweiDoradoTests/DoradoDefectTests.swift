import Foundation
import Logging
import StorageHTTP
import StorageHuaweiDorado
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

/// One test per defect reference-behaviour §4.7 lists for the original's Huawei plug-in, each written to
/// fail on the defective behaviour, over HTTPS to storage-sim's Dorado mode.
@Suite("Dorado: the original's defects stay fixed", .enabled(if: opensslAvailable, opensslReason))
struct DoradoDefectTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "orcl", project: testVStore,
            snapshots: [
                .init(name: "orcl-20161108T205336", creation: utc("2016-11-08T20:53:36Z")),
                .init(name: "orcl-20161109T205336", creation: utc("2016-11-09T20:53:36Z")),
            ]),
        .init(
            name: "hrdb", project: testVStore,
            snapshots: [.init(name: "hrdb-20161108T205336", creation: utc("2016-11-08T20:53:36Z"))]),
    ])

    /// The original's id look-up fell back to the parent's (the database's) id for a name it did not find, so a
    /// drop of a missing clone aimed at the backup file system itself.
    @Test("a name that is not found is not found: never the parent's id")
    func notFoundIsNotTheParent() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let dropped = await storageError { () async throws(StorageError) in
                try await driver.dropClone(name: "orcl_missing_clone")
            }
            let info = await storageError { () async throws(StorageError) in
                try await driver.cloneInfo(name: "orcl_missing_clone")
            }
            for error in [dropped, info] {
                #expect(error?.code == .notFound, "\(String(describing: error))")
                #expect(error?.message.contains("orcl_missing_clone") == true)
            }
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method != "DELETE" })
            #expect(await fixture.engine.shareExists(named: "orcl", project: testVStore))
            #expect(try await driver.listSnapshots().count == 2)
        }
    }

    /// The original deleted any file system of that name in the vStore.
    @Test("dropclone refuses the backup file system, another database's clone and a plain file system")
    func dropRefusesWhatIsNotOurClone() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let orcl = try fixture.driver("orcl")
            let hrdb = try fixture.driver("hrdb")
            _ = try await hrdb.cloneSnapshot(id: "hrdb-20161108T205336", cloneName: "hrdb_clone")
            await fixture.engine.addDoradoPlainFilesystem(named: "plain_fs", vstore: testVStore)
            await fixture.engine.clearLog()
            let cases: [(String, StorageError.Code)] = [
                ("orcl", .notAClone), ("hrdb", .notAClone), ("hrdb_clone", .notOwned), ("plain_fs", .notAClone),
            ]
            for (name, code) in cases {
                let error = await storageError { () async throws(StorageError) in try await orcl.dropClone(name: name) }
                #expect(error?.code == code, "\(name): \(String(describing: error))")
                #expect(error?.message.contains("refusing") == true)
            }
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method != "DELETE" })
            for name in ["orcl", "hrdb", "hrdb_clone", "plain_fs"] {
                #expect(await fixture.engine.shareExists(named: name, project: testVStore), "\(name) was deleted")
            }
            #expect(try await orcl.listClones().isEmpty)
            #expect(try await hrdb.listClones().map(\.name) == ["hrdb_clone"])
        }
    }

    /// A clone whose parent NAME matches but whose parent ID is another file system's (a look-alike in another
    /// vStore, or a renamed file system) is not ours: ownership is proven by id.
    @Test("a clone of a same-named file system in another vStore is invisible and never dropped")
    func ownershipByID() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let orcl = try fixture.driver("orcl")
            let other = try fixture.driver("orcl", vstore: "otherstore")
            _ = try await other.createVolume()
            let snapshot = try await other.createSnapshot(named: "orcl-20240101T000000")
            _ = try await other.cloneSnapshot(id: snapshot.id, cloneName: "other_clone")
            // Same vStore-independent name "orcl": the clone lives in otherstore, invisible to our driver.
            #expect(try await orcl.listClones().isEmpty)
            let error = await storageError { () async throws(StorageError) in
                try await orcl.dropClone(name: "other_clone")
            }
            #expect(error?.code == .notFound)
            #expect(try await other.listClones().map(\.name) == ["other_clone"])
        }
    }

    /// The original kept its request headers (the token) in a class attribute shared by every instance.
    @Test("two drivers on two arrays each log in and never send the other's token")
    func headersAreNotShared() async throws {
        try await withDorado(seed: Self.history) { first in
            try await withDorado(seed: Self.history) { second in
                let a = try first.driver("orcl")
                let b = try second.driver("orcl")
                for _ in 0..<2 {
                    #expect(try await a.listSnapshots().count == 2)
                    #expect(try await b.listSnapshots().count == 2)
                }
                #expect(await first.engine.doradoForeignTokenCount() == 0)
                #expect(await second.engine.doradoForeignTokenCount() == 0)
                #expect(await first.engine.doradoLoginCount() == 1)
                #expect(await second.engine.doradoLoginCount() == 1)
                // A copy of a driver shares its session; a new instance has its own.
                let copy = a
                _ = try await copy.listSnapshots()
                #expect(await first.engine.doradoLoginCount() == 1)
                _ = try await first.driver("orcl").listSnapshots()
                #expect(await first.engine.doradoLoginCount() == 2)
            }
        }
    }

    /// The original mixed `vstoreid` and `vstoreId`; the simulator scopes by `vstoreId` only, so a request with the
    /// other spelling addresses the system vStore and finds nothing.
    @Test("every vStore-scoped request spells vstoreId, and works outside the system vStore")
    func vstoreIdCasing() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let snapshot = try await driver.createSnapshot(named: "orcl-20240101T000000")
            let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "orcl_clone")
            #expect(try await driver.cloneInfo(name: clone.name).originSnapshot == snapshot.id)
            try await driver.dropClone(name: clone.name)
            try await driver.deleteSnapshot(id: snapshot.id)
            let log = await fixture.engine.requestLog()
            #expect(log.allSatisfy { !$0.target.contains("vstoreid=") }, "\(log)")
            let scoped = log.filter { entry in
                ["filesystem", "FSSNAPSHOT", "NFSHARE"].contains { entry.target.contains("/\($0)") }
                    && entry.method != "POST"
            }
            #expect(!scoped.isEmpty)
            #expect(scoped.allSatisfy { $0.target.contains("vstoreId=1") }, "\(scoped)")
            #expect(log.allSatisfy { $0.errorCode == 0 }, "\(log.filter { $0.errorCode != 0 })")
        }
    }

    /// The original's filesystem_info treated a list as a dictionary and crashed, after `zsnapper clone` had made
    /// the clone.
    @Test("cloneInfo (filesystem_info) gives origin, share path and mount string")
    func filesystemInfoWorks() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let made = try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            #expect(made.mountPoint == "/orcl_clone/")
            let info = try await driver.cloneInfo(name: "orcl_clone")
            #expect(info.name == "orcl_clone")
            #expect(info.originVolume == "orcl")
            #expect(info.originSnapshot == "orcl-20161108T205336")
            #expect(info.mountPoint == "/orcl_clone/")
            #expect(driver.mountString(clone: info) == "dorado-nfs:/orcl_clone/")
            let volume = try await driver.volumeInfo()
            #expect(volume.mountPoint == "/orcl/")
        }
    }

    /// The original looked the snapshot up by name and did nothing when it was not there.
    @Test("deleting a missing snapshot is notFound, not a silent no-op")
    func missingSnapshotDrop() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-20991231T000000")
            }
            #expect(error?.code == .notFound)
            #expect(error?.operation == "deleteSnapshot")
            #expect(error?.message.contains("orcl-20991231T000000") == true)
            // Another database's snapshot is not ours either.
            let foreign = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "hrdb-20161108T205336")
            }
            #expect(foreign?.code == .notFound)
            #expect(await fixture.engine.snapshotNames(of: "hrdb") == ["hrdb-20161108T205336"])
        }
    }

    /// The original logged in again only when 15 minutes had passed; an array that ended the session earlier
    /// answered -401 to every further call.
    @Test("an expired session (-401) gets one re-login and one retry")
    func reloginOnExpiry() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.listSnapshots()
            await fixture.engine.expireSessions()
            await fixture.engine.clearLog()
            #expect(try await driver.listSnapshots().count == 2)
            let log = await fixture.engine.requestLog()
            #expect(log.first?.errorCode == -401)
            #expect(log.dropFirst().first.map { $0.method == "POST" && $0.target.hasSuffix("/xxxxx/sessions") } == true)
            #expect(log.dropFirst().allSatisfy { $0.errorCode == 0 })
            #expect(await fixture.engine.doradoLoginCount() == 2)
        }
    }

    @Test("a session that times out on the array between two calls is renewed")
    func reloginAfterTimeout() async throws {
        // Long enough that a loaded machine cannot let the renewed session expire again within one listing.
        try await withDorado(seed: Self.history, configure: { $0.sessionTimeout = 8 }) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.listSnapshots()
            try await Task.sleep(for: .milliseconds(8500))
            #expect(try await driver.listSnapshots().count == 2)
            #expect(await fixture.engine.doradoLoginCount() == 2)
        }
    }

    @Test("a fresh session rejected again is permission denied, without a loop")
    func rejectedFreshSession() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.addFault(FaultRule(.expireSession, method: "GET", times: nil))
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message.contains("fresh session") == true)
            #expect(await fixture.engine.requestLog().count == 4)
        }
    }
}
