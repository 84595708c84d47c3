import ConfigModel
import Foundation
import StorageKit
import Testing

@testable import AutorestoreEngine

/// The decisions of a point-in-time copy that the `restore` tool takes from PointInTimeRestore.
@Suite("Point-in-time copy: planning without questions")
struct PointInTimePlanningTests {
    let snapshots = [
        Snapshot(id: "orcl-1", creation: Date(timeIntervalSince1970: 1_000)),
        Snapshot(id: "orcl-2", creation: Date(timeIntervalSince1970: 2_000)),
    ]

    func settings(_ extra: String = "") throws -> AutorestoreSettings {
        let configuration = BackupConfiguration(
            text: "[autorestore]\n\(extra)\n[orcl]\ndbid: 1\n", path: "/x/backup.cfg")
        return try configuration.database("orcl", for: []).autorestore
    }

    @Test func snapshotNamedOrFirstAfterTheTarget() throws {
        let chosen = try PointInTimeRestore.snapshot(
            named: nil, target: Date(timeIntervalSince1970: 1_500), in: snapshots, database: "orcl")
        #expect(chosen.id == "orcl-2")
        let named = try PointInTimeRestore.snapshot(
            named: "orcl-1", target: Date(timeIntervalSince1970: 1_500), in: snapshots, database: "orcl")
        #expect(named.id == "orcl-1")
        #expect(throws: PointInTimeRestore.PlanningError.self) {
            try PointInTimeRestore.snapshot(
                named: "other-1", target: .distantPast, in: snapshots, database: "orcl")
        }
        do {
            _ = try PointInTimeRestore.snapshot(
                named: nil, target: Date(timeIntervalSince1970: 3_000), in: snapshots, database: "orcl")
            Issue.record("a target after the newest snapshot found one")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.message.hasPrefix("Suitable snapshot not found."))
        }
    }

    @Test func mountingLocalManualAndUnattended() throws {
        let (direct, none) = try PointInTimeRestore.mounting(
            at: nil, unattended: true, settings: try settings(), vendor: "btrfs")
        guard case .direct = direct else { Issue.record("a local clone is not mounted"); return }
        #expect(none == nil)

        let (manual, manualUnmount) = try PointInTimeRestore.mounting(
            at: "/mnt/r", unattended: false, settings: try settings(), vendor: "zfssa")
        guard case .commands(let mount, let unmount, let point) = manual else { Issue.record("\(manual)"); return }
        #expect(mount.isEmpty && unmount.isEmpty && point == "/mnt/r")
        #expect(manualUnmount == nil)

        let plain = try settings()
        do {
            _ = try PointInTimeRestore.mounting(at: "/mnt/r", unattended: true, settings: plain, vendor: "zfssa")
            Issue.record("--yes without mountcommand was accepted")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("mountcommand"))
        }

        let configured = try settings(
            "mountcommand: sudo mount ${mountstring} ${mountpoint}\numountcommand: sudo umount ${mountpoint}")
        let (automatic, automaticUnmount) = try PointInTimeRestore.mounting(
            at: "/mnt/r", unattended: true, settings: configured, vendor: "zfssa")
        guard case .commands(let mount, let unmount, _) = automatic else { Issue.record("\(automatic)"); return }
        #expect(mount == ["sudo", "mount", "${mountstring}", "/mnt/r"])
        // The copy keeps its mount: the restore itself never unmounts.
        #expect(unmount.isEmpty)
        #expect(automaticUnmount == ["sudo", "umount", "/mnt/r"])
    }

    @Test func cleanUpSteps() {
        #expect(
            PointInTimeRestore.cleanUpSteps(
                sid: "TEST1", mountPath: nil, unmount: nil, mountString: nil, configurationPath: "/x/backup.cfg",
                database: "orcl", cloneName: "restore_orcl_1")
                == [
                    "1. Shut down database instance TEST1",
                    "2. Drop clone: snapper --config /x/backup.cfg orcl dropclone restore_orcl_1",
                ])
        #expect(
            PointInTimeRestore.cleanUpSteps(
                sid: "TEST1", mountPath: "/mnt/r", unmount: ["umount", "${mountstring}"], mountString: "filer:/c",
                configurationPath: "/x/backup.cfg", database: "orcl", cloneName: "c")[1]
                == "2. Unmount the clone: umount filer:/c")
        #expect(
            PointInTimeRestore.cleanUpSteps(
                sid: "T", mountPath: "/mnt/r", unmount: nil, mountString: nil, configurationPath: "/x/backup.cfg",
                database: "orcl", cloneName: "c")[1] == "2. Execute as root: umount /mnt/r")
    }

    @Test func timesAndNames() {
        #expect(PointInTimeRestore.isValidSID("TEST1"))
        #expect(!PointInTimeRestore.isValidSID("toolongsid"))
        #expect(!PointInTimeRestore.isValidSID("a-b"))
        let date = PointInTimeRestore.parseTime("2016-11-08 21:40:00", utc: true)
        #expect(date == Date(timeIntervalSince1970: 1_478_641_200))
        #expect(PointInTimeRestore.parseTime("2016-11-08T21:40:00", utc: true) == nil)
        #expect(date.map { PointInTimeRestore.formatTime($0, utc: true) } == "2016-11-08 21:40:00")
        #expect(PointInTimeRestore.cloneName(database: "orcl", date: Date()).hasPrefix("restore_orcl_"))
    }
}
