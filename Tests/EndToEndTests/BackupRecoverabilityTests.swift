import Foundation
import ResultCatalogSQLite
import Testing

/// The backup reports the day it happens what would make a snapshot unrestorable (issue 20, items 6 and 7): an
/// archived log missing from the backup area when the snapshot is taken, a datafile that is not online. Real
/// `backup` cycles with the built tools against oracle-sim and localfs; the restore test then names the same cause.
///
/// The choice for both: the run still takes its snapshot and finishes every step (a partial backup is better than
/// none), logs a WARNING naming what is wrong and the fix, and exits 1, so the scheduler or Jenkins raises the alarm.
/// A datafile offline for good is one that is dropped (with its tablespace): it is no longer in the controlfile and
/// is not reported; any datafile the controlfile still lists as not online fails the backup, since the restore test
/// of the next snapshot would fail with datafile-not-online.
@Suite("backup recoverability checks end to end (oracle-sim + localfs)", .serialized)
struct BackupRecoverabilityTests {
    let restores = AutorestoreFlowTests()

    /// A configured database with `backups` clean imagecopywithsnap runs, workload before each.
    func prepared(backups: Int = 2) async throws -> OracleEnvironment {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)")
        for _ in 0..<backups {
            let run = try await backup(environment)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        return environment
    }

    /// Workload, then one `backup orcl imagecopywithsnap`.
    func backup(_ environment: OracleEnvironment) async throws -> BuiltProducts.Result {
        try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
        try await Task.sleep(for: .milliseconds(1100))  // snapshot names have one-second resolution
        return try await environment.backup(["orcl", "imagecopywithsnap"])
    }

    /// The simulated database as `oracle-sim inspect` prints it.
    func inspect(_ environment: OracleEnvironment) async throws -> [String: Any] {
        let output = try await environment.sim(["inspect", "orcl"]).stdout
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    func snapshots(_ environment: OracleEnvironment) -> [String] {
        environment.contents(environment.backupRoot + "/.snapshots/orcl").filter { !$0.hasSuffix(".json") }
    }

    /// The restore left nothing behind: no clone, nothing mounted, no instance, only the work directory's markers.
    func expectCleanedUp(_ environment: OracleEnvironment) {
        #expect(environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }.isEmpty)
        #expect(environment.contents(environment.root + "/autorestore/mnt").isEmpty)
        let work = environment.contents(environment.root + "/autorestore/dest")
        #expect(work.allSatisfy { $0.hasPrefix(".oib-autorestore-") }, "\(work)")
    }

    @Test func aCheckThatCannotRunFailsTheBackupAndTheRecordNamesTheSnapshot() async throws {
        let environment = try OracleEnvironment(databaseExtra: "autorestorecatalogfile: CATALOG")
        let catalogPath = environment.root + "/results.sqlite"
        let config = environment.text(environment.configPath).replacingOccurrences(of: "CATALOG", with: catalogPath)
        try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        try await SQLiteResultCatalog(path: catalogPath).prepare()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        // The archived log check's query fails (a missing grant, a broken site template): not a silent pass.
        try await environment.sim(["inject", "fail", "--statement", "'ARCHIVELOG NEEDED: '", "--tool", "sqlplus"])
        let run = try await backup(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let output = run.stdout + run.stderr
        #expect(
            output.contains("whether the snapshot holds every archived log it needs could not be checked"), "\(output)")
        let taken = try #require(snapshots(environment).last)
        let record = try #require(
            try await SQLiteResultCatalog(path: catalogPath).backups(database: "orcl", limit: 5).first?.record)
        #expect(record.success == false)
        #expect(record.snapshotID == taken, "the failed run's record names the snapshot it took")
    }

    @Test func archivedLogMissingFromTheBackupAreaFailsTheBackupAndItsRestoreNamesTheSequence() async throws {
        let environment = try await prepared()
        let archive = environment.backupArea + "/archivelog"
        // The backup area's destination cannot create the log of the next switch (ORA-19504 in the alert log):
        // the log switch of the backup archives it to the recovery area only.
        let sequence = try #require(try await inspect(environment)["currentSequence"] as? Int)
        try await environment.sim(["inject", "archive-dest-error", "--db", "orcl", "--destination", archive])
        let run = try await backup(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        let warning =
            "WARNING  orcl            Archived log thread 1 sequence \(sequence) is missing from \(archive) although the database archived it"
        // Checked after the switch, before the snapshot; the snapshot is still taken and the run finishes.
        #expect(
            log.containsInOrder([
                "Switch current log", warning, "run 'backup orcl missingarchlog'", "Snap the current backup area",
                "Created snapshot: orcl-", "Refresh imagecopy", "Write database parameters for autorestore",
                "------------ TOTAL ------------", "ERROR    orcl            imagecopywithsnap failed: snapshot orcl-",
            ]), "\(log)")
        #expect(log.contains("lacks archived log thread 1 sequence \(sequence) (missing from \(archive))"))
        #expect(snapshots(environment).count == 3)
        #expect(!FileManager.default.fileExists(atPath: environment.backupArea + "/backup.lck"))
        // oracle-sim archived the log to the recovery area only and keeps the destination's error.
        let state = try await inspect(environment)
        let logs = try #require(state["archivedLogs"] as? [[String: Any]]).filter { $0["sequence"] as? Int == sequence }
        #expect(logs.count == 1)
        #expect((logs.first?["path"] as? String)?.hasPrefix(archive) == false)

        // The restore test of that snapshot stops at the same log.
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let row = try await restores.expectFailure(environment, reason: "missing-archivelog")
        #expect(row?.failureDetail?.contains("with sequence \(sequence) ") == true, "\(row?.failureDetail ?? "")")
        expectCleanedUp(environment)

        // The fix the warning names copies the log into the backup area; the next backup is clean again.
        try environment.reconnectToProduction()
        let fix = try await environment.backup(["orcl", "missingarchlog"])
        #expect(fix.status == 0, "\(fix.stdout)\(fix.stderr)")
        #expect(environment.latestLog("missingarchlog").contains("archivelog sequence \(sequence) thread 1;"))
        let next = try await backup(environment)
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(!environment.latestLog("imagecopywithsnap").contains("is missing from"))
    }

    @Test func archivedLogRemovedFromTheBackupAreaIsFoundOnDisk() async throws {
        // The controlfile lists the log in the backup area, but its file is gone: the check looks at the disk, and
        // names the fix for this case (missingarchlog alone sees nothing to copy while the controlfile lists it).
        let environment = try await prepared()
        let archive = environment.backupArea + "/archivelog"
        let sequences = environment.contents(archive).compactMap { name -> (Int, String)? in
            let fields = name.split(separator: "_")
            guard fields.count == 3, let sequence = Int(fields[1]) else { return nil }
            return (sequence, name)
        }
        let (sequence, newest) = try #require(sequences.max { $0.0 < $1.0 })
        try FileManager.default.removeItem(atPath: archive + "/" + newest)
        let run = try await backup(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(
            log.containsInOrder([
                "Switch current log",
                "WARNING  orcl            Archived log thread 1 sequence \(sequence) is missing from \(archive): the controlfile lists its file there but it is gone",
                "'crosscheck archivelog all' and 'delete expired archivelog all', then 'backup orcl missingarchlog'",
                "Snap the current backup area", "imagecopywithsnap failed: snapshot orcl-",
            ]), "\(log)")
    }

    @Test func offlineDatafileFailsTheBackupThatSeesIt() async throws {
        let environment = try await prepared()
        let users = try #require(
            (try await inspect(environment)["datafiles"] as? [[String: Any]])?.first { $0["fileNumber"] as? Int == 4 })
        let path = try #require(users["path"] as? String)
        try await environment.sim(["workload", "orcl", "--offline-datafile", "4"])
        let run = try await backup(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(
            log.containsInOrder([
                "Snap the current backup area", "Created snapshot: orcl-", "Refresh imagecopy",
                "WARNING  orcl            Datafile 4 (\(path)) is OFFLINE: its image copy is not refreshed",
                "datafile-not-online", "alter database datafile 4 online",
                "Write database parameters for autorestore", "------------ TOTAL ------------",
                "ERROR    orcl            imagecopywithsnap failed: datafile 4 (\(path)) is OFFLINE",
            ]), "\(log)")
        #expect(snapshots(environment).count == 3)
        // Each backup that sees it says so; online again, the backup is clean.
        let again = try await backup(environment)
        #expect(again.status == 1)
        #expect(environment.latestLog("imagecopywithsnap").contains("Datafile 4 (\(path)) is OFFLINE"))
        try await environment.sim(["workload", "orcl", "--online-datafile", "4"])
        let online = try await backup(environment)
        #expect(online.status == 0, "\(online.stdout)\(online.stderr)")
        #expect(!environment.latestLog("imagecopywithsnap").contains("is OFFLINE"))
    }

    @Test func datafileOfflineForGoodIsNotReported() async throws {
        // A datafile taken offline and then dropped with its tablespace is no longer part of the database.
        let environment = try await prepared(backups: 1)
        try await environment.sim(["workload", "orcl", "--add-datafile", "ARCHIVE2015"])
        let added = try await backup(environment)
        #expect(added.status == 0, "\(added.stdout)\(added.stderr)")
        try await environment.sim(["workload", "orcl", "--offline-datafile", "5"])
        try await environment.sim(["workload", "orcl", "--drop-datafile", "5"])
        let run = try await backup(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(!log.contains("Datafile 5"), "\(log)")
        #expect(!log.contains("imagecopywithsnap failed"))
        #expect(log.contains("Deleting expired datafile copies"))
    }
}
