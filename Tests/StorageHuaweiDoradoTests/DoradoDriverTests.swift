import Foundation
import Logging
import StorageHTTP
import StorageHuaweiDorado
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

@Suite("Dorado driver over HTTPS to storage-sim", .enabled(if: opensslAvailable, opensslReason))
struct DoradoDriverTests {
    static let history = DoradoDefectTests.history

    @Test("seeded creation times are exact UTC instants (utcTimeStamp as a string and as a number)")
    func creationTimes() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let snapshots = try await fixture.driver("orcl").listSnapshots()
            #expect(snapshots.map(\.id) == ["orcl-20161108T205336", "orcl-20161109T205336"])
            #expect(snapshots.map(\.creation) == [utc("2016-11-08T20:53:36Z"), utc("2016-11-09T20:53:36Z")])
            #expect(snapshots.allSatisfy { $0.spaceTotal == nil && $0.spaceUnique == nil && $0.cloneCount == 0 })
            #expect(
                DisplayFormat.snapshotLine(snapshots[0]).hasPrefix("orcl-20161108T205336 [2016-11-08 20:53:36 UTC]"))
        }
    }

    @Test("snapshot names are <db>-<UTC YYYYmmddTHHMMSS> whatever the time zone")
    func snapshotNamesAreUTC() throws {
        let driver = try HuaweiDoradoDriver(
            volumeName: "orcl", url: "https://dorado:8088", vstore: "v", mountHost: "m", restoreNFSClient: "c",
            credential: StorageCredential(user: "u", password: "p"), transport: NoNetwork(), logger: Logger(label: "t"))
        let date = utc("2016-11-08T20:53:36Z")
        #expect(
            driver.snapshotName(for: date, timeZone: TimeZone(identifier: "Europe/Tallinn")!) == "orcl-20161108T205336")
        #expect(driver.capabilities == [.clone, .listClones, .createVolume])
    }

    @Test("a snapshot name longer than maxnamelength is refused before anything is sent")
    func nameLengthIsCheckedUpFront() async throws {
        try await withDorado { fixture in
            let driver = try fixture.driver("averyverylongdbname")
            let name = driver.snapshotName(for: Date(), timeZone: .current)
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: name)
            }
            #expect(error?.code == .invalidName)
            #expect(error?.message.contains("35 characters") == true, "\(String(describing: error))")
            #expect(error?.message.contains("at most 31") == true)
            #expect(await fixture.engine.requestLog().isEmpty)
            // An array that accepts longer names: the limit is a setting, and the simulator's own check (31)
            // answers with the vendor's code, mapped to invalidName as well.
            let relaxed = try fixture.driver("averyverylongdbname", maxNameLength: 64)
            _ = try await relaxed.createVolume()
            let refused = await storageError { () async throws(StorageError) in
                try await relaxed.createSnapshot(named: name)
            }
            #expect(refused?.code == .invalidName)
            #expect(refused?.message.contains("1077949103") == true)
        }
    }

    @Test("a wrong password is permission denied, names the user, never the password, and is not retried")
    func wrongPassword() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl", password: "Wrong-canary")
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .permissionDenied)
            #expect(error?.vendor == "huaweidorado")
            #expect(error?.operation == "listSnapshots")
            #expect(error?.message.contains("admin") == true)
            #expect(error?.message.contains("1077987870") == true)
            #expect(error?.description.contains("Wrong-canary") == false)
            #expect(await fixture.engine.requestLog().count == 1)
        }
    }

    @Test("a vStore is matched exactly; one differing in case is named in the error")
    func vstoreIsExact() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl", vstore: "BackupStore")
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .notFound)
            #expect(error?.message.contains("vStore BackupStore not found") == true)
            #expect(error?.message.contains("the array has backupstore") == true, "\(String(describing: error))")
        }
    }

    @Test("file systems are matched exactly even when the array's NAME:: filter is fuzzy")
    func exactNamesWithFuzzyFilter() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "orcl2", project: testVStore, snapshots: [.init(name: "orcl2-1", creation: Date())]),
            .init(name: "xorcl", project: testVStore, snapshots: [.init(name: "xorcl-1", creation: Date())]),
        ])
        try await withDorado(seed: seed, configure: { $0.doradoFuzzyExactFilter = true }) { fixture in
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .notFound, "the look-up must not take orcl2 or xorcl for orcl")
            _ = try await driver.createVolume()
            #expect(try await driver.listSnapshots().isEmpty)
            let missing = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl")
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("clone: file system, share /<clone>/ and read-write access for restorenfsclient; counted for retention")
    func cloneExportsAndCounts() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "autorestore")
            #expect(await fixture.engine.doradoSharePaths(ofFilesystem: "autorestore") == ["/autorestore/"])
            let clients = await fixture.engine.doradoClients(ofFilesystem: "autorestore")
            #expect(clients.map(\.name) == ["10.20.30.40"])
            #expect(
                clients.first?.fields == ["ACCESSVAL": "1", "SYNC": "0", "ALLSQUASH": "1", "ROOTSQUASH": "1"])
            let listed = try await driver.listSnapshots()
            #expect(listed.map(\.cloneCount) == [1, 0])
            let held = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed[0])
            }
            #expect(held?.code == .hasClones)
            let direct = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-20161108T205336")
            }
            #expect(direct?.code == .hasClones)
            #expect(direct?.message.contains("autorestore") == true)
            let clones = try await driver.listClones()
            #expect(clones.map(\.name) == ["autorestore"])
            #expect(clones.first?.originSnapshot == "orcl-20161108T205336")
            #expect(clones.first?.mountPoint == "/autorestore/")
            // Retention's delete of the snapshot without clones costs one DELETE.
            await fixture.engine.clearLog()
            try await driver.deleteListedSnapshot(listed[1])
            #expect(await fixture.engine.requestLog().map(\.method) == ["DELETE"])
        }
    }

    @Test("the array refuses a snapshot delete that a clone made meanwhile: hasClones")
    func listedDeleteRaceWithClone() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try await driver.listSnapshots()
            _ = try await driver.cloneSnapshot(id: listed[0].id, cloneName: "late_clone")
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed[0])
            }
            #expect(error?.code == .hasClones)
            #expect(await fixture.engine.snapshotNames(of: "orcl").count == 2)
        }
    }

    @Test("dropclone deletes the clone's shares before the file system")
    func dropOrder() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            await fixture.engine.clearLog()
            try await driver.dropClone(name: "orcl_clone")
            let deletes = await fixture.engine.requestLog().filter { $0.method == "DELETE" }
            #expect(deletes.count == 2)
            #expect(deletes.first?.target.contains("/NFSHARE/") == true)
            #expect(deletes.last?.target.contains("/filesystem/") == true)
            #expect(await fixture.engine.shareExists(named: "orcl_clone", project: testVStore) == false)
            #expect(try await driver.listSnapshots().map(\.cloneCount) == [0, 0])
        }
    }

    @Test("a failed grant removes the share and the clone again")
    func exportFailureRollsBack() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.addFault(
                FaultRule(
                    .status, method: "POST", pathContains: "NFS_SHARE_AUTH_CLIENT", status: 200, message: "no",
                    code: "1077949006"))
            let error = await storageError { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            }
            #expect(error?.code == .serverError)
            #expect(await fixture.engine.shareExists(named: "orcl_clone", project: testVStore) == false)
            #expect(try await driver.listClones().isEmpty)
        }
    }

    @Test("createVolume: file system, share and client; a second one is alreadyExists")
    func createVolume() async throws {
        try await withDorado { fixture in
            let driver = try fixture.driver("newdb")
            let volume = try await driver.createVolume()
            #expect(volume.name == "newdb")
            #expect(volume.mountPoint == "/newdb/")
            #expect(await fixture.engine.doradoClients(ofFilesystem: "newdb").map(\.name) == ["10.20.30.40"])
            let again = await storageError { () async throws(StorageError) in try await driver.createVolume() }
            #expect(again?.code == .alreadyExists)
        }
    }

    @Test("listings page through range=[start-end]: 250 snapshots")
    func paging() async throws {
        let base = utc("2020-01-01T00:00:00Z")
        let seed = SimulatorSeed(shares: [
            .init(
                name: "orcl", project: testVStore,
                snapshots: (0..<250).map {
                    .init(name: "orcl-\(1000 + $0)", creation: base.addingTimeInterval(Double($0) * 3600))
                })
        ])
        try await withDorado(seed: seed) { fixture in
            let snapshots = try await fixture.driver("orcl").listSnapshots()
            #expect(snapshots.count == 250)
            #expect(Set(snapshots.map(\.id)).count == 250)
            let pages = await fixture.requests(containing: "FSSNAPSHOT").count
            #expect(pages == 3)
        }
    }

    @Test("the array busy (1077949006) on a GET is retried; on a POST it is not")
    func busy() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.addFault(
                FaultRule(.status, method: "GET", pathContains: "FSSNAPSHOT", status: 200, code: "1077949006"))
            #expect(try await driver.listSnapshots().count == 2)
            await fixture.engine.addFault(
                FaultRule(.status, method: "POST", pathContains: "FSSNAPSHOT", status: 200, code: "1077949006"))
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl-20240101T000000")
            }
            #expect(error?.code == .serverError)
            #expect(await fixture.requests(containing: "FSSNAPSHOT").filter { $0.method == "POST" }.count == 1)
        }
    }

    @Test("an error that echoes the request shows neither password, token nor cookie")
    func secretsStayOut() async throws {
        try await withDorado(seed: Self.history) { fixture in
            var lines: [String] = []
            var (logger, recorder) = RecordingLogHandler.makeLogger(label: "dorado-secrets")
            logger.logLevel = .trace
            let driver = try fixture.driver("orcl", password: "secret", logger: logger)
            _ = try await driver.listSnapshots()
            await fixture.engine.addFault(
                FaultRule(
                    .status, method: "POST", pathContains: "FSSNAPSHOT", status: 200, message: "echo", code: "1",
                    echoRequest: true))
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl-20240101T000000")
            }
            lines.append(error?.description ?? "")
            lines += recorder.records.map(\.message)
            #expect(error?.message.contains("echo") == true)
            #expect(error?.message.contains("ibasetoken: ****") == true, "\(String(describing: error))")
            for line in lines {
                #expect(!line.contains("simtoken"), "\(line)")
                #expect(!line.contains("session=sim"), "\(line)")
                #expect(!line.contains("\"password\":\"secret\""), "\(line)")
            }
        }
    }

    @Test("close() ends the session with DELETE sessions; the next call logs in again")
    func closeEndsTheSession() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.listSnapshots()
            await driver.close()
            let last = await fixture.engine.requestLog().last
            #expect(last?.method == "DELETE")
            #expect(last?.target.hasSuffix("/sessions") == true)
            #expect(last?.errorCode == 0)
            _ = try await driver.listSnapshots()
            #expect(await fixture.engine.doradoLoginCount() == 2)
            #expect(await fixture.engine.doradoForeignTokenCount() == 0)
        }
    }

    @Test("TLS is verified by default: without the test CA the array is not trusted; insecure opts out")
    func tlsVerification() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let untrusted = try fixture.driver("orcl", caFile: .some(nil))
            let error = await storageError { () async throws(StorageError) in try await untrusted.listSnapshots() }
            #expect(error?.code == .transport)
            let insecure = try fixture.driver("orcl", caFile: .some(nil), insecure: true)
            #expect(try await insecure.listSnapshots().count == 2)
        }
    }
}
