import Foundation
import Testing

@testable import StorageSimulator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scratch data root, removed at the end.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "oib-simdata-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // Snapshot trees may be read only: restore write permission before removing.
        if let enumerator = FileManager.default.enumerator(atPath: path) {
            for case let name as String in enumerator { _ = chmod(path + "/" + name, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ text: String, _ relative: String) throws {
        let file = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: path + "/" + relative, encoding: .utf8) }
}

func body(_ object: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }

func zfssaRequest(_ method: String, _ path: String, _ object: [String: Any]? = nil) -> SimRequest {
    SimRequest(
        method: method, path: "/api/storage/v2/pools/pool1/projects/demo-backup" + path,
        headers: ["X-Auth-User": "admin", "X-Auth-Key": "secret"], body: object.map(body) ?? [])
}

func ontapRequest(_ method: String, _ path: String, query: String = "", _ object: [String: Any]? = nil)
    -> SimRequest
{
    SimRequest(
        method: method, path: "/api" + path, query: query,
        headers: ["Authorization": "Basic " + Data("admin:secret".utf8).base64EncodedString()],
        body: object.map(body) ?? [])
}

func json(_ response: SimResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
}

@Suite("storage-sim file-backed shares, snapshots and clones")
struct FileBackedSimulatorTests {
    @Test("without --data-root nothing touches the disk")
    func metadataOnlyByDefault() async throws {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa))
        try await engine.seed(SimulatorSeed(shares: [.init(name: "orcl")]))
        #expect(await engine.dataStore == nil)
        #expect(await engine.backingDirectory(ofShare: "orcl") == nil)
        let created = await engine.handle(
            zfssaRequest("POST", "/filesystems/orcl/snapshots", ["name": "s1"]), fault: nil)
        #expect(created.status == 201)
    }

    @Test("ZFSSA: a snapshot freezes the files, a clone is an independent writable copy, deletes remove trees")
    func zfssaSnapshotCloneDelete() async throws {
        let scratch = try ScratchDirectory()
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa, dataRoot: scratch.path))
        try await engine.seed(SimulatorSeed(shares: [.init(name: "orcl")]))
        let live = try #require(await engine.backingDirectory(ofShare: "orcl"))
        #expect(live == scratch.path + "/export/demo-backup/orcl")
        try scratch.write("version 1", "export/demo-backup/orcl/data/file1.dbf")
        try scratch.write("log 1", "export/demo-backup/orcl/archivelog/1.arc")
        #expect(chmod(live + "/data/file1.dbf", 0o640) == 0)
        let past = Date(timeIntervalSince1970: 1_478_638_416)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: live + "/data/file1.dbf")
        try FileManager.default.createSymbolicLink(atPath: live + "/latest", withDestinationPath: "data/file1.dbf")

        let snap = await engine.handle(zfssaRequest("POST", "/filesystems/orcl/snapshots", ["name": "s1"]), fault: nil)
        #expect(snap.status == 201)
        let frozen = try #require(await engine.snapshotDirectory(ofShare: "orcl", snapshot: "s1"))
        #expect(frozen.hasPrefix(scratch.path + "/.storage-sim/zfssa/"))
        #expect(try String(contentsOfFile: frozen + "/data/file1.dbf", encoding: .utf8) == "version 1")
        let attributes = try FileManager.default.attributesOfItem(atPath: frozen + "/data/file1.dbf")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect((attributes[.modificationDate] as? Date) == past)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: frozen + "/latest") == "data/file1.dbf")

        // Later writes to the live share do not reach the snapshot.
        try scratch.write("version 2", "export/demo-backup/orcl/data/file1.dbf")
        try scratch.write("log 2", "export/demo-backup/orcl/archivelog/2.arc")
        #expect(try String(contentsOfFile: frozen + "/data/file1.dbf", encoding: .utf8) == "version 1")
        #expect(!FileManager.default.fileExists(atPath: frozen + "/archivelog/2.arc"))

        let clone = await engine.handle(
            zfssaRequest("PUT", "/filesystems/orcl/snapshots/s1/clone", ["project": "demo-backup", "share": "ac"]),
            fault: nil)
        #expect(clone.status == 201)
        let cloned = scratch.path + "/export/demo-backup/ac"
        #expect(await engine.backingDirectory(ofShare: "ac") == cloned)
        #expect(scratch.read("export/demo-backup/ac/data/file1.dbf") == "version 1")
        // The clone is writable and independent of both the snapshot and the live share.
        try scratch.write("changed in clone", "export/demo-backup/ac/data/file1.dbf")
        try scratch.write("new", "export/demo-backup/ac/new.txt")
        #expect(try String(contentsOfFile: frozen + "/data/file1.dbf", encoding: .utf8) == "version 1")
        #expect(scratch.read("export/demo-backup/orcl/data/file1.dbf") == "version 2")
        #expect(!FileManager.default.fileExists(atPath: frozen + "/new.txt"))

        // A snapshot with a clone is refused, nothing is removed.
        let held = await engine.handle(zfssaRequest("DELETE", "/filesystems/orcl/snapshots/s1"), fault: nil)
        #expect(held.status == 409)
        #expect(FileManager.default.fileExists(atPath: frozen))

        #expect(await engine.handle(zfssaRequest("DELETE", "/filesystems/ac"), fault: nil).status == 204)
        #expect(!FileManager.default.fileExists(atPath: cloned))
        #expect(await engine.handle(zfssaRequest("DELETE", "/filesystems/orcl/snapshots/s1"), fault: nil).status == 204)
        #expect(!FileManager.default.fileExists(atPath: frozen))
        #expect(FileManager.default.fileExists(atPath: live + "/data/file1.dbf"))

        // A share created through the API gets an empty directory; destroying it removes it.
        let created = await engine.handle(zfssaRequest("POST", "/filesystems", ["name": "fresh"]), fault: nil)
        #expect(created.status == 201)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/export/demo-backup/fresh").isEmpty)
        #expect(await engine.handle(zfssaRequest("DELETE", "/filesystems/fresh"), fault: nil).status == 204)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/export/demo-backup/fresh"))
    }

    @Test("ZFSSA: a seeded snapshot without data clones to an empty directory")
    func seededSnapshotClonesEmpty() async throws {
        let scratch = try ScratchDirectory()
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa, dataRoot: scratch.path))
        try await engine.seed(
            SimulatorSeed(shares: [.init(name: "orcl", snapshots: [.init(name: "old", creation: Date())])]))
        let clone = await engine.handle(
            zfssaRequest("PUT", "/filesystems/orcl/snapshots/old/clone", ["share": "c1"]), fault: nil)
        #expect(clone.status == 201)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/export/demo-backup/c1").isEmpty)
    }

    @Test("ZFSSA: a copy failure is the appliance's error, and no snapshot is recorded")
    func copyFailureIsAnApplianceError() async throws {
        let scratch = try ScratchDirectory()
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa, dataRoot: scratch.path))
        try await engine.seed(SimulatorSeed(shares: [.init(name: "orcl")]))
        // A plain file where the snapshot directories go: the copy cannot start (works as root too).
        try scratch.write("in the way", ".storage-sim/zfssa")
        let response = await engine.handle(
            zfssaRequest("POST", "/filesystems/orcl/snapshots", ["name": "s1"]), fault: nil)
        #expect(response.status == 500)
        let fault = json(response)["fault"] as? [String: Any]
        #expect(fault?["message"] as? String == "ERR_INTERNAL")
        #expect((fault?["details"] as? String)?.contains("cannot create snapshot s1") == true)
        #expect(await engine.snapshotNames(of: "orcl").isEmpty)
    }

    @Test("ONTAP: junction paths are directories; snapshot, FlexClone, unmount and delete move or remove trees")
    func ontapVolumes() async throws {
        let scratch = try ScratchDirectory()
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .ontap, dataRoot: scratch.path))
        try await engine.seed(SimulatorSeed(shares: [.init(name: "backup_orcl", junctionPath: "/backup/orcl")]))
        #expect(await engine.backingDirectory(ofShare: "backup_orcl") == scratch.path + "/backup/orcl")
        try scratch.write("v1", "backup/orcl/file.dbf")
        let volume = try #require(await engine.ontap.volume(named: "backup_orcl"))
        let snap = await engine.handle(
            ontapRequest(
                "POST", "/storage/volumes/\(volume.uuid)/snapshots", query: "return_timeout=10", ["name": "s1"]),
            fault: nil)
        #expect(snap.status == 201)
        try scratch.write("v2", "backup/orcl/file.dbf")
        #expect(scratch.read(".storage-sim/ontap/snapshots/backup_orcl/s1/file.dbf") == "v1")

        let clone = await engine.handle(
            ontapRequest(
                "POST", "/storage/volumes", query: "return_timeout=10",
                [
                    "name": "ac", "nas": ["path": "/ac"],
                    "clone": [
                        "is_flexclone": true, "parent_volume": ["name": "backup_orcl"],
                        "parent_snapshot": ["name": "s1"],
                    ],
                ]), fault: nil)
        #expect(clone.status == 201)
        #expect(scratch.read("ac/file.dbf") == "v1")
        let cloneUUID = try #require(await engine.ontap.volume(named: "ac")?.uuid)
        let unmounted = await engine.handle(
            ontapRequest("PATCH", "/storage/volumes/\(cloneUUID)", query: "return_timeout=10", ["nas": ["path": ""]]),
            fault: nil)
        #expect(unmounted.status == 200)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/ac"))
        #expect(scratch.read(".storage-sim/ontap/unmounted/ac/file.dbf") == "v1")
        let deleted = await engine.handle(
            ontapRequest("DELETE", "/storage/volumes/\(cloneUUID)", query: "return_timeout=10"), fault: nil)
        #expect(deleted.status == 200)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/.storage-sim/ontap/unmounted/ac"))

        let snapshotUUID = try #require(await engine.ontap.volume(named: "backup_orcl")?.snapshots.first?.uuid)
        let dropped = await engine.handle(
            ontapRequest(
                "DELETE", "/storage/volumes/\(volume.uuid)/snapshots/\(snapshotUUID)", query: "return_timeout=10"),
            fault: nil)
        #expect(dropped.status == 200)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/.storage-sim/ontap/snapshots/backup_orcl/s1"))
    }

    @Test("ONTAP: a copy failure fails the job with the vendor's error body")
    func ontapCopyFailureFailsTheJob() async throws {
        let scratch = try ScratchDirectory()
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .ontap, dataRoot: scratch.path))
        try await engine.seed(SimulatorSeed(shares: [.init(name: "vol")]))
        try scratch.write("in the way", ".storage-sim/ontap/snapshots")
        let uuid = try #require(await engine.ontap.volume(named: "vol")?.uuid)
        let response = await engine.handle(
            ontapRequest("POST", "/storage/volumes/\(uuid)/snapshots", query: "return_timeout=10", ["name": "s1"]),
            fault: nil)
        #expect(response.status == 400)
        let error = json(response)["error"] as? [String: Any]
        #expect((error?["message"] as? String)?.contains("Simulated storage data operation failed") == true)
        #expect(await engine.snapshotNames(of: "vol").isEmpty)
    }

    @Test("the data store refuses paths that are not its own")
    func safetyChecks() throws {
        let scratch = try ScratchDirectory()
        let outside = try ScratchDirectory()
        try outside.write("precious", "keep.txt")
        let store = SimulatorDataStore(root: scratch.path + "/root")
        try store.prepare()
        #expect(throws: SimulatorDataError.self) { try store.remove(outside.path) }
        #expect(throws: SimulatorDataError.self) { try store.remove(store.root) }
        #expect(throws: SimulatorDataError.self) { try store.remove(store.root + "/export/../../x") }
        #expect(throws: SimulatorDataError.self) { try store.exportDirectory(for: "/export/../etc") }
        #expect(throws: SimulatorDataError.self) { try store.exportDirectory(for: "/.storage-sim/zfssa") }
        #expect(throws: SimulatorDataError.self) { try store.exportDirectory(for: "relative/path") }
        // A symbolic link inside the root leading outside: neither it nor anything through it is removed.
        try FileManager.default.createSymbolicLink(atPath: store.root + "/export", withDestinationPath: outside.path)
        #expect(throws: SimulatorDataError.self) { try store.remove(store.root + "/export") }
        #expect(throws: SimulatorDataError.self) { try store.remove(store.root + "/export/keep.txt") }
        #expect(throws: SimulatorDataError.self) { try store.createDirectory(store.root + "/export/new") }
        #expect(outside.read("keep.txt") == "precious")
        // A file is never removed as a directory.
        try scratch.write("file", "root/plain")
        #expect(throws: SimulatorDataError.self) { try store.remove(store.root + "/plain") }
        #expect(scratch.read("root/plain") == "file")
    }
}

@Suite("storage-sim simulated NFS mount")
struct SimulatedNFSMountTests {
    @Test("mount makes the export visible at the mount point; umount restores the empty directory")
    func mountAndUnmount() throws {
        let scratch = try ScratchDirectory()
        let store = SimulatorDataStore(root: scratch.path + "/data")
        try store.prepare()
        try scratch.write("restored", "data/export/demo-backup/ac/autorestore.cfg")
        let point = scratch.path + "/mnt"
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: false)
        #expect(chmod(point, 0o750) == 0)

        let target = try SimulatedNFSMount.mount(
            source: "127.0.0.1:/export/demo-backup/ac", mountPoint: point, data: store)
        #expect(target == store.root + "/export/demo-backup/ac")
        #expect(scratch.read("mnt/autorestore.cfg") == "restored")
        #expect(SimulatedNFSMount.mountedExport(at: point) == target)
        // Writes through the mount point (in place and new files) land in the export.
        try scratch.write("recovered", "mnt/autorestore.cfg")
        try scratch.write("new", "mnt/archivelog/9.arc")
        #expect(scratch.read("data/export/demo-backup/ac/autorestore.cfg") == "recovered")
        #expect(scratch.read("data/export/demo-backup/ac/archivelog/9.arc") == "new")
        // Mounting again over our own mount (a crashed run) is allowed.
        try SimulatedNFSMount.mount(source: "h:/export/demo-backup/ac", mountPoint: point, data: store)

        try SimulatedNFSMount.unmount(mountPoint: point, data: store)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: point, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: point).isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: point)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o750)
        #expect(!FileManager.default.fileExists(atPath: SimulatedNFSMount.recordPath(for: point)))
        #expect(scratch.read("data/export/demo-backup/ac/archivelog/9.arc") == "new")
        // Not mounted any more: umount refuses.
        #expect(throws: SimulatorDataError.self) { try SimulatedNFSMount.unmount(mountPoint: point, data: store) }
    }

    @Test("mount refuses bad sources and mount points that are not empty or not ours")
    func refusals() throws {
        let scratch = try ScratchDirectory()
        let store = SimulatorDataStore(root: scratch.path + "/data")
        try store.prepare()
        try scratch.write("x", "data/export/ac/file")
        try scratch.write("mine", "busy/file")
        let point = scratch.path + "/mnt"
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: false)
        func refused(_ source: String, _ mountPoint: String) -> String? {
            do {
                try SimulatedNFSMount.mount(source: source, mountPoint: mountPoint, data: store)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(refused("host:/export/missing", point)?.contains("no such export") == true)
        #expect(refused("host:export/ac", point)?.contains("host:/export/path") == true)
        #expect(refused(":/export/ac", point)?.contains("host is empty") == true)
        #expect(refused("host:/export/../../etc", point) != nil)
        #expect(refused("host:/export/ac", scratch.path + "/busy")?.contains("not empty") == true)
        #expect(refused("host:/export/ac", scratch.path + "/nothing")?.contains("does not exist") == true)
        #expect(refused("host:/export/ac", store.root + "/export/ac") != nil)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/link", withDestinationPath: point)
        #expect(refused("host:/export/ac", scratch.path + "/link")?.contains("did not create") == true)
        #expect(throws: SimulatorDataError.self) {
            try SimulatedNFSMount.unmount(mountPoint: scratch.path + "/link", data: store)
        }
        #expect(throws: SimulatorDataError.self) {
            try SimulatedNFSMount.unmount(mountPoint: scratch.path + "/busy", data: store)
        }
        #expect(scratch.read("busy/file") == "mine")
        #expect(try FileManager.default.contentsOfDirectory(atPath: point).isEmpty)
    }
}
