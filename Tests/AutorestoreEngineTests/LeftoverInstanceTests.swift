import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKitTesting
import Testing

@testable import AutorestoreEngine

/// R-33 leftover instances: a run aborts the instance an earlier run recorded in its work directory, and only when
/// that directory is proven ours (our marker, not shared): a `.oib-instance` file in a directory that is not ours
/// must never make the tool shut an instance down.
@Suite("Leftover instance in autorestoredestination")
struct LeftoverInstanceTests {
    /// A job whose Oracle home has a `sqlplus` that records the ORACLE_SID it was started for in `calls`.
    func job(workDirectory: String, root: String) throws -> (AutorestoreJob, calls: String) {
        let home = root + "/oraclehome"
        let calls = root + "/sqlplus-calls"
        try FileManager.default.createDirectory(atPath: home + "/bin", withIntermediateDirectories: true)
        let sqlplus = home + "/bin/sqlplus"
        try "#!/bin/sh\necho \"$ORACLE_SID\" >> '\(calls)'\ncat >/dev/null\n".write(
            toFile: sqlplus, atomically: true, encoding: .utf8)
        chmod(sqlplus, 0o755)
        let configuration = BackupConfiguration(text: "[autorestore]\n[orcl]\ndbid: 1\n", path: "/x/backup.cfg")
        var settings = try configuration.database("orcl", for: [])
        settings.autorestore.destination = workDirectory
        let job = AutorestoreJob(
            settings: settings, storage: InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend()),
            oracleHome: OracleHome(path: home, tnsAdmin: nil), baseEnvironment: [:], timeouts: .init(),
            templates: try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil),
            logger: Logger(label: "t"), logFile: "/dev/null", validate: false, mounting: .direct)
        return (job, calls)
    }

    func scratch() throws -> String {
        let root = NSTemporaryDirectory() + "oib-leftover-instance-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/work", withIntermediateDirectories: true)
        chmod(root + "/work", 0o750)
        return root
    }

    @Test("no instance starts when its SID cannot be recorded")
    func unrecordableSIDStartsNothing() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let work = root + "/work"
        let (job, calls) = try job(workDirectory: work, root: root)
        let context = job.makeContext()
        try await InstanceStage(context: context).prepareWorkDirectory()
        // The record's name is ours (in the manifest) but a non-empty directory sits there: the write fails.
        try WorkDirectory.claim([".oib-instance"], in: work)
        try FileManager.default.createDirectory(atPath: work + "/.oib-instance/x", withIntermediateDirectories: true)
        let clone = ClonedSnapshot(
            parameters: AutorestoreParameters(entries: [("db_name", "ORCL"), ("lasttime", "2016-11-08 21:00:00")]),
            mainPath: root, datafilePaths: [root])
        let refused = #expect(throws: RestoreFailure.self) { _ = try InstanceStage(context: context).prepare(clone) }
        #expect(refused?.reason == .unsafeDestination)
        #expect(refused?.detail.contains("cannot record the instance's SID") == true, "\(refused?.detail ?? "")")
        #expect(context.progress.instanceSID == nil, "the clean-up would abort an instance nobody can find later")
        #expect(!FileManager.default.fileExists(atPath: calls), "sqlplus ran")
    }

    @Test("a foreign directory's .oib-instance shuts nothing down and stays")
    func foreignDirectory() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let work = root + "/work"
        // Not ours: files of another job and no marker of this tool.
        try "other job".write(toFile: work + "/data.txt", atomically: true, encoding: .utf8)
        try "PROD1\n".write(toFile: work + "/.oib-instance", atomically: true, encoding: .utf8)
        let (job, calls) = try job(workDirectory: work, root: root)

        let refused = await #expect(throws: RestoreFailure.self) {
            try await InstanceStage(context: job.makeContext()).prepareWorkDirectory()
        }
        #expect(refused?.reason == .unsafeDestination)
        #expect(!FileManager.default.fileExists(atPath: calls), "sqlplus ran for a SID from a foreign directory")
        #expect(FileManager.default.fileExists(atPath: work + "/.oib-instance"))
    }

    @Test("our marked directory's recorded instance is aborted")
    func ownDirectory() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let work = root + "/work"
        try WorkDirectory.prepare(work, homeDirectories: [])
        try WorkDirectory.claim([".oib-instance"], in: work)
        try "ar123456\n".write(toFile: work + "/.oib-instance", atomically: true, encoding: .utf8)
        let (job, calls) = try job(workDirectory: work, root: root)

        try await InstanceStage(context: job.makeContext()).prepareWorkDirectory()
        let sids = (try? String(contentsOfFile: calls, encoding: .utf8)) ?? ""
        #expect(sids.contains("ar123456"), "no shutdown abort for the recorded instance: \(sids)")
        #expect(!FileManager.default.fileExists(atPath: work + "/.oib-instance"))
    }
}
