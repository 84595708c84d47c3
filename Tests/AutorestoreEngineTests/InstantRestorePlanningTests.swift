import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@testable import AutorestoreEngine

/// The decisions of an instant restore that need no Oracle: where the datafiles may go, their names, the release
/// check, what of the instance still uses the clone, and the state file.
@Suite("Instant restore: planning and the clone check")
struct InstantRestorePlanningTests {
    let scratch = NSTemporaryDirectory() + "oib-instant-\(UUID().uuidString.prefix(8))"

    func settings(backupRoot: String, mountPoint: String? = nil) throws -> DatabaseSettings {
        let configuration = BackupConfiguration(
            text:
                "[generic]\nbackupdest: \(backupRoot)\noraclehome: /u01/app/oracle\n[autorestore]\n\(mountPoint.map { "autorestoremountpoint: \($0)\n" } ?? "")[orcl]\ndbid: 1\n",
            path: "/x/backup.cfg")
        return try configuration.database("orcl", for: [])
    }

    @Test func destinationsInOrAroundTheBackupStorageAreRefused() throws {
        let files = FileManager.default
        defer { try? files.removeItem(atPath: scratch) }
        for directory in ["backup/orcl/inside", "primary", "mnt/clone", "mnt/clone/below"] {
            try files.createDirectory(atPath: scratch + "/" + directory, withIntermediateDirectories: true)
        }
        let settings = try settings(backupRoot: scratch + "/backup", mountPoint: scratch + "/mnt/auto")
        func refusal(_ destination: String, mountPath: String? = nil) -> String? {
            InstantRestore.destinationRefusal(
                destination, settings: settings, mountPath: mountPath, homeDirectories: [])
        }
        #expect(refusal(scratch + "/primary") == nil)
        #expect(refusal(scratch + "/backup/orcl/inside")?.contains("is inside the backup area") == true)
        #expect(refusal(scratch + "/backup")?.contains("backup") == true)
        #expect(refusal(scratch)?.contains("contains") == true, "a directory holding the backup area")
        #expect(
            refusal(scratch + "/mnt/clone/below", mountPath: scratch + "/mnt/clone")?.contains(
                "inside the clone's mount point") == true)
        #expect(refusal("relative/dir")?.contains("absolute") == true)
        #expect(refusal(scratch + "/missing")?.contains("no such directory") == true)
        #expect(refusal("/tmp")?.contains("temporary") == true)
    }

    @Test func targetNamesAndTheReleaseCheck() throws {
        #expect(
            InstantRestore.targetName(destination: "/u02/oradata", tablespace: "USERS", fileNumber: 4)
                == "/u02/oradata/users_4.dbf")
        #expect(
            InstantRestore.targetName(destination: "/d", tablespace: "MY TS/x", fileNumber: 12) == "/d/my_ts_x_12.dbf")
        #expect(
            InstantRestore.workArea(destination: "/u02/oradata", database: "orcl") == "/u02/oradata/oib_instant_orcl")
        try InstantRestore.checkCompatible("12.1.0.2.0")
        try InstantRestore.checkCompatible("19.0.0")
        for old in ["11.2.0.4.0", "12.0.0", "10.2.0"] {
            #expect(throws: RestoreFailure.self, "\(old)") { try InstantRestore.checkCompatible(old) }
        }
    }

    @Test func whatStillPointsIntoTheCloneKeepsIt() {
        let clean = """
            INSTANCE FILE: DATAFILE /u02/oradata/system_1.dbf
            INSTANCE FILE: LOGFILE /u02/oradata/ORCL/onlinelog/o1_mf_1_x_.log
            INSTANCE FILE: CONTROLFILE /u02/oradata/oib_instant_orcl/control01.ctl
            INSTANCE FILE: ARCHIVE_DESTINATION USE_DB_RECOVERY_FILE_DEST
            INSTANCE FILE: PARAMETER_DB_RECOVERY_FILE_DEST /u02/oradata
            INSTANCE FILE: PARAMETER_CONTROL_FILES /u02/oradata/oib_instant_orcl/control01.ctl
            """
        #expect(DatafileMoveStage.cloneUsers(in: clean, cloneRoot: "/backup/.clones/restore_orcl_1").isEmpty)
        let used = """
            INSTANCE FILE: DATAFILE /u02/oradata/system_1.dbf
            INSTANCE FILE: TEMPFILE /backup/.clones/restore_orcl_1/temp01.dbf
            INSTANCE FILE: CONTROLFILE /u02/oradata/oib_instant_orcl/control01.ctl
            INSTANCE FILE: ARCHIVE_DESTINATION USE_DB_RECOVERY_FILE_DEST
            INSTANCE FILE: PARAMETER_DB_RECOVERY_FILE_DEST /backup/.clones/restore_orcl_1
            INSTANCE FILE: PARAMETER_CONTROL_FILES /u02/a.ctl, '/backup/.clones/restore_orcl_1/b.ctl'
            """
        #expect(
            DatafileMoveStage.cloneUsers(in: used, cloneRoot: "/backup/.clones/restore_orcl_1") == [
                "tempfile /backup/.clones/restore_orcl_1/temp01.dbf",
                "archive destination /backup/.clones/restore_orcl_1",
                "parameter db recovery file dest /backup/.clones/restore_orcl_1",
                "parameter control files /backup/.clones/restore_orcl_1/b.ctl",
            ])
        // A sibling directory whose name starts like the clone's is not the clone.
        #expect(
            DatafileMoveStage.cloneUsers(
                in: "INSTANCE FILE: DATAFILE /backup/.clones/restore_orcl_10/x\nINSTANCE FILE: CONTROLFILE /c",
                cloneRoot: "/backup/.clones/restore_orcl_1"
            ).isEmpty)
        // When in doubt the clone stays.
        #expect(DatafileMoveStage.cloneUsers(in: "no rows selected", cloneRoot: "/c").count == 1)
    }

    @Test func theStateFileRoundTrips() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        #expect(try InstantRestoreState.read(workArea: scratch) == nil)
        var state = InstantRestoreState(
            database: "orcl", sid: "orcl", snapshotID: "orcl-1", cloneName: "restore_orcl_1", cloneRoot: "/c",
            mountPoint: nil, destination: "/u02/oradata", targetTime: "2016-11-08 21:45:00",
            startedAt: Date(timeIntervalSince1970: 1_478_641_500), phase: .moving)
        state.files = [
            .init(fileNumber: 1, tablespace: "SYSTEM", from: "/c/a", to: "/u02/oradata/system_1.dbf", movedAt: Date())
        ]
        try state.write(workArea: scratch)
        let read = try #require(try InstantRestoreState.read(workArea: scratch))
        #expect(read.phase == .moving)
        #expect(read.files.first?.to == "/u02/oradata/system_1.dbf")
        #expect(read.files.first?.movedAt != nil)
        #expect(read.startedAt == state.startedAt)
    }

    @Test func theSnapshotIsHeldWhileTheDatabaseRunsFromItsClone() async throws {
        let backend = InMemoryStorageBackend()
        let storage = InMemoryStorageDriver(volumeName: "orcl", backend: backend)
        _ = try await storage.createVolume()
        let snapshot = try await storage.createSnapshot(named: "orcl-1")
        let restore = try InstantRestore(
            settings: try settings(backupRoot: "/backup"), storage: storage, environment: [:],
            logger: Logger(label: "test"), logFile: "/dev/null", mounting: .direct, destination: "/u02/oradata")
        let lock = await restore.lockSnapshot(snapshot.id)
        #expect(lock == "hold")
        await #expect(throws: StorageError.self) { try await storage.deleteSnapshot(id: snapshot.id) }
        var state = InstantRestoreState(
            database: "orcl", sid: "orcl", snapshotID: snapshot.id, cloneName: "c", cloneRoot: "/c", mountPoint: nil,
            destination: "/u02/oradata", targetTime: "", startedAt: Date(), phase: .complete)
        state.snapshotLock = lock
        await restore.releaseLock(state)
        try await storage.deleteSnapshot(id: snapshot.id)
    }
}
