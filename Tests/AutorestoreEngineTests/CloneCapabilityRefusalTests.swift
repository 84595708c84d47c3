import AutorestoreEngine
import ConfigModel
import Foundation
import Logging
import ResultCatalog
import StorageKit
import Testing

/// A driver without clones (like SoftNAS) that records every call made to it.
final class NoCloneDriver: StorageDriver, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var calls: [String] { lock.withLock { recorded } }
    private func record(_ call: String) { lock.withLock { recorded.append(call) } }

    let vendor = "noclones"
    let volumeName = "orcl"
    var capabilities: StorageCapabilities { [.serverNamedSnapshots, .spaceUsage, .createVolume] }

    func listSnapshots() async throws(StorageError) -> [Snapshot] {
        record("listSnapshots")
        return [Snapshot(id: "s1", creation: Date(timeIntervalSince1970: 0))]
    }
    func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        record("createSnapshot")
        return Snapshot(id: name, creation: Date())
    }
    func deleteSnapshot(id: String) async throws(StorageError) { record("deleteSnapshot") }
    func dropClone(name: String) async throws(StorageError) { record("dropClone \(name)") }
    func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        record("cloneSnapshot")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: nil)
    }
    func volumeInfo() async throws(StorageError) -> Volume {
        record("volumeInfo")
        return Volume(name: volumeName, mountPoint: nil)
    }
}

/// A flag set from a `@Sendable` closure.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// autorestore and the point-in-time restore refuse a driver without clones before any storage call, instance or
/// catalog row: the original's SoftNAS could only fail half-way.
@Suite("Clone capability refusals of the autorestore engine")
struct CloneCapabilityRefusalTests {
    @Test func autorestoreRefusesUpFrontNamingTheModuleAndTheReason() async throws {
        let root = NSTemporaryDirectory() + "oib-noclone-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for directory in ["dest", "mnt", "log", "home/bin"] {
            try FileManager.default.createDirectory(
                atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        let text = """
            [generic]
            logretention: 7
            backupdest: \(root)/backup
            tnsadmin: tns
            oraclehome: \(root)/home
            maxlockwait: 1
            snappermodule: noclones
            [autorestore]
            autorestoredestination: \(root)/dest
            autorestoreclonename: autorestore
            autorestoremountpoint: \(root)/mnt
            autorestoresnapage: 0
            autorestorelogdir: \(root)/log
            autorestoremaxtoleranceminutes: 5
            autorestorecatalog: sqlite:\(root)/log/results.sqlite
            [orcl]
            dbid: 1433672784
            recoverywindow: 2
            parallel: 1
            autorestoreenabled: 1
            """
        let driver = NoCloneDriver()
        let catalogOpened = Flag()
        let engine = AutorestoreEngine(
            configuration: BackupConfiguration(text: text, path: "\(root)/backup.cfg"), environment: [:],
            makeDriver: { _, _ in driver },
            openCatalog: { _, _ in
                catalogOpened.set()
                throw AutorestoreSetupError("no catalog in this test")
            },
            screen: { _ in })
        let outcome = await engine.restore("orcl")
        #expect(outcome.exitCode == 2)
        #expect(
            outcome.setupProblem
                == "orcl: snappermodule noclones cannot create named clones, so autorestore cannot run on it",
            "\(String(describing: outcome.setupProblem))")
        #expect(outcome.result == nil, "no restore was attempted")
        #expect(driver.calls.isEmpty, "storage calls: \(driver.calls)")
        #expect(!catalogOpened.isSet, "no catalog row")
        let log = try String(contentsOfFile: try #require(outcome.logFile), encoding: .utf8)
        #expect(log.contains("cannot create named clones, so autorestore cannot run on it"))
        #expect(!log.contains("startup"))
    }

    @Test func thePointInTimeRestoreRefusesBeforeCloning() throws {
        let settings = try BackupConfiguration(
            text: "[generic]\noraclehome: /u01/db\nsnappermodule: noclones\n[orcl]\ndbid: 1\n", path: "/etc/b.cfg"
        ).database("orcl", for: [])
        let driver = NoCloneDriver()
        let error = #expect(throws: AutorestoreSetupError.self) {
            try PointInTimeRestore(
                settings: settings, storage: driver, environment: [:], logger: Logger(label: "t"),
                logFile: "/dev/null", mounting: .direct,
                request: PointInTimeRequest(
                    targetTime: "2024-01-01 00:00:00", sid: "X", snapshotID: "s1", cloneName: "c"))
        }
        #expect(
            error?.message
                == "snappermodule noclones cannot create named clones, so a point-in-time restore cannot run on it")
        #expect(driver.calls.isEmpty)
    }

    @Test func driversWithClonesAreNotRefused() {
        struct WithClones: StorageDriver {
            let vendor = "x"
            let volumeName = "orcl"
            var capabilities: StorageCapabilities { [.clone, .listClones] }
            func listSnapshots() async throws(StorageError) -> [Snapshot] { [] }
            func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
                Snapshot(id: name, creation: Date())
            }
            func deleteSnapshot(id: String) async throws(StorageError) {}
            func volumeInfo() async throws(StorageError) -> Volume { Volume(name: "orcl", mountPoint: nil) }
        }
        #expect(WithClones().refusal(lacking: [.clone, .listClones], for: "autorestore") == nil)
        #expect(
            NoCloneDriver().refusal(lacking: .listClones, for: "snapper listclones")
                == "snappermodule noclones cannot list clones, so snapper listclones cannot run on it")
    }
}
