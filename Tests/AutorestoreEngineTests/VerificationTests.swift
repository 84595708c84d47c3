import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKitTesting
import Testing

@testable import AutorestoreEngine

/// The checks after opening the restored database, on SQL*Plus output as the templates print it.
@Suite("Restore verification rules")
struct VerificationTests {
    func job(tolerance: Int = 5, timeAhead: FindingPolicy = .fail, nonlogged: FindingPolicy = .warn) throws
        -> AutorestoreJob
    {
        let configuration = BackupConfiguration(
            text: "[autorestore]\nautorestoremaxtoleranceminutes: \(tolerance)\n[orcl]\ndbid: 1\n",
            path: "/x/backup.cfg")
        let settings = try configuration.database("orcl", for: [])
        return AutorestoreJob(
            settings: settings, storage: InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend()),
            oracleHome: OracleHome(path: "/nonexistent", tnsAdmin: nil), baseEnvironment: [:], timeouts: .init(),
            templates: try ScriptTemplates(text: "[template]\nx: y\n", file: "t.cfg"), logger: Logger(label: "t"),
            logFile: "/dev/null", validate: false, mounting: .direct, nonloggedPolicy: nonlogged,
            timeAheadPolicy: timeAhead)
    }

    @Test("v$nonlogged_block is read only when the database's compatible is 12 or later")
    func blockCountTemplateFollowsCompatible() {
        #expect(VerificationStage.blockCounts(["db_compatible": "11.2.0.4.0"]) == "blockcounts11")
        #expect(VerificationStage.blockCounts(["db_compatible": "10.2.0"]) == "blockcounts11")
        #expect(VerificationStage.blockCounts(["db_compatible": "12.1.0.2"]) == "blockcounts")
        #expect(VerificationStage.blockCounts(["db_compatible": "19.0.0"]) == "blockcounts")
        // Unknown: the current form (autorestore.cfg always records compatible; R-15 refuses a snapshot without it).
        #expect(VerificationStage.blockCounts([:]) == "blockcounts")
    }

    func verify(_ job: AutorestoreJob, _ output: String, expected: String = "2016-11-08 22:39:45") throws
        -> AutorestoreResult
    {
        let context = job.makeContext()
        let stage = VerificationStage(
            context: context, nonloggedPolicy: job.nonloggedPolicy, timeAheadPolicy: job.timeAheadPolicy)
        try stage.verify(output: output, expected: expected)
        return context.progress.result
    }

    func reason(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let failure as RestoreFailure {
            return failure.reason.rawValue
        } catch {
            return "other"
        }
    }

    let clean = "CUSTOM VERIFICATION TIME: 2016-11-08 22:39:35\nCORRUPT BLOCK COUNT: 0\nNONLOGGED BLOCK COUNT: 0\n"

    @Test func withinToleranceRecordsTheDifference() throws {
        let result = try verify(try job(), clean)
        #expect(result.differenceSeconds == 10)
        #expect(result.verifiedTime == "2016-11-08 22:39:35")
    }

    @Test func datafileNotOnlineFails() throws {
        let job = try job()
        #expect(
            reason { _ = try verify(job, clean + "DATAFILE STATUS: 5 OFFLINE AVAILABLE /u01/users02.dbf\n") }
                == "datafile-not-online")
    }

    @Test func timesBothWays() throws {
        let job = try job()
        #expect(
            reason { _ = try verify(job, "CUSTOM VERIFICATION TIME: 2016-11-08 22:30:00\n") } == "verified-time-behind")
        #expect(
            reason { _ = try verify(job, "CUSTOM VERIFICATION TIME: 2016-11-08 23:00:00\n") } == "verified-time-ahead")
        #expect(
            reason { _ = try verify(try self.job(timeAhead: .warn), "CUSTOM VERIFICATION TIME: 2016-11-08 23:00:00\n") }
                == nil)
        #expect(reason { _ = try verify(job, "no marker\n") } == "verification-query-failed")
    }

    @Test func blocks() throws {
        let job = try job()
        #expect(
            reason { _ = try verify(job, "CUSTOM VERIFICATION TIME: 2016-11-08 22:39:35\nCORRUPT BLOCK COUNT: 2\n") }
                == "corrupt-blocks")
        let nonlogged = "CUSTOM VERIFICATION TIME: 2016-11-08 22:39:35\nNONLOGGED BLOCK COUNT: 3\n"
        #expect(reason { _ = try verify(job, nonlogged) } == nil)  // default: warning
        #expect(reason { _ = try verify(try self.job(nonlogged: .fail), nonlogged) } == "nonlogged-blocks")
    }

    @Test func workDirectoryRefusals() throws {
        #expect(throws: WorkDirectory.Refusal.self) { try WorkDirectory.prepare("/", homeDirectories: []) }
        #expect(throws: WorkDirectory.Refusal.self) { try WorkDirectory.prepare("/etc", homeDirectories: []) }
        let home = NSTemporaryDirectory() + "oib-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        #expect(throws: WorkDirectory.Refusal.self) { try WorkDirectory.prepare(home, homeDirectories: [home]) }
        let foreign = NSTemporaryDirectory() + "oib-foreign-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try "precious".write(toFile: foreign + "/data.txt", atomically: true, encoding: .utf8)
        #expect(throws: WorkDirectory.Refusal.self) { try WorkDirectory.prepare(foreign, homeDirectories: []) }
        #expect(FileManager.default.fileExists(atPath: foreign + "/data.txt"))
        try FileManager.default.removeItem(atPath: foreign + "/data.txt")
        try WorkDirectory.prepare(foreign, homeDirectories: [])
        // What the tool created (claimed first) is removed by the next prepare; the marker and manifest stay.
        try WorkDirectory.claim(["init.ora"], in: foreign)
        try "scratch".write(toFile: foreign + "/init.ora", atomically: true, encoding: .utf8)
        try WorkDirectory.prepare(foreign, homeDirectories: [])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: foreign).sorted() == [
                WorkDirectory.manifestFileName, WorkDirectory.markerFileName,
            ])
    }
}

@Suite("Mount command placeholders")
struct MountCommandPlaceholderTests {
    @Test("${mountstring} becomes the clone's NFS source in every argument; other arguments are kept")
    func mountStringIsSubstituted() {
        let command = ["/bin/mount", "-t", "nfs", "${mountstring}", "/mnt/ar", "--label=${mountstring}"]
        #expect(
            CloneMounting.substitute(command, mountString: "zfs1:/export/demo-backup/autorestore") == [
                "/bin/mount", "-t", "nfs", "zfs1:/export/demo-backup/autorestore", "/mnt/ar",
                "--label=zfs1:/export/demo-backup/autorestore",
            ])
        #expect(
            CloneMounting.substitute(["/bin/umount", "/mnt/ar"], mountString: "x:/y") == ["/bin/umount", "/mnt/ar"])
    }
}
