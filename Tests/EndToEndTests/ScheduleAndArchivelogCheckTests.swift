import Foundation
import Testing

/// `setschedule` on a database, then what the hourly ARCHLOGBACKUP job does when a log is missing from the
/// backup area: its procedure creates a one-off MISSINGARCH job, whose program is `backup <db> missingarchlog`.
/// Also the original's semantics of `archivelogmissing` and `deletedatafilecopy`, and the service section.
@Suite("setschedule, the archivelog check and the backup's SQL on oracle-sim", .serialized)
struct ScheduleAndArchivelogCheckTests {
    func prepared(cdb: Bool = false, databaseExtra: String = "", services: [String] = []) async throws
        -> OracleEnvironment
    {
        let environment = try OracleEnvironment(databaseExtra: databaseExtra)
        try await environment.sim(
            ["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"]
                + (cdb ? ["--cdb"] : []) + services.flatMap { ["--service", $0] })
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        return environment
    }

    func state(_ environment: OracleEnvironment) async throws -> [String: Any] {
        let output = try await environment.sim(["inspect", "orcl"]).stdout
        return try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// Runs a SQL*Plus script as sysdba on orcl through the simulator.
    func sqlplus(_ environment: OracleEnvironment, _ body: String) async throws -> BuiltProducts.Result {
        try await BuiltProducts.run(
            "oracle-sim", ["sqlplus", "-S", "/nolog"],
            environment: environment.environment.merging(["TNS_ADMIN": environment.root + "/tns"]) { $1 },
            input: "whenever sqlerror exit failure\nconn /@orcl as sysdba\n\(body)\nexit\n")
    }

    /// Switches a log and removes its copy from the backup area (file and record), as when the archive
    /// destination in the backup area failed for a while; returns the sequence.
    func loseLogInBackupArea(_ environment: OracleEnvironment) async throws -> Int {
        try await environment.sim(["workload", "orcl", "--transactions", "3", "--switch-logfile"])
        let archiveDirectory = environment.backupArea + "/archivelog"
        let logs = try #require(try await state(environment)["archivedLogs"] as? [[String: Any]])
        let sequence = try #require(
            logs.filter { ($0["path"] as? String ?? "").hasPrefix(archiveDirectory + "/") }
                .compactMap { $0["sequence"] as? Int }.max())
        try await environment.sim([
            "inject", "delete-archivelog", "--db", "orcl", "--sequence", "\(sequence)", "--destination",
            archiveDirectory, "--uncatalog", "yes",
        ])
        return sequence
    }

    @Test(
        "the hourly check creates a MISSINGARCH job in the BACKUPEXEC schema that runs missingarchlog",
        arguments: [false, true])
    func archivelogCheckCreatesTheCopyJob(cdb: Bool) async throws {
        let environment = try await prepared(cdb: cdb)
        let prefix = cdb ? "C##" : ""
        let schedule = try await environment.backup(
            ["orcl", "setschedule"], extraEnvironment: ["OSPASSWORD": "Os-Password-1"])
        #expect(schedule.status == 0, "\(schedule.stdout)\(schedule.stderr)")
        let sequence = try await loseLogInBackupArea(environment)

        // What the scheduler does every hour: run ARCHLOGBACKUP_JOB (a stored-procedure job).
        let check = try await sqlplus(
            environment,
            "exec dbms_scheduler.run_job('\(prefix)BACKUPEXEC.ARCHLOGBACKUP_JOB', use_current_session => true);")
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!check.stdout.contains("ORA-"), "\(check.stdout)")

        let scheduler = try #require(try await state(environment)["scheduler"] as? [String: Any])
        let jobs = try #require(scheduler["jobs"] as? [String: [String: Any]])
        let created = jobs.filter { $0.key.hasPrefix("\(prefix)BACKUPEXEC.MISSINGARCH") }
        #expect(created.count == 1, "\(jobs.keys.sorted())")
        let job = try #require(created.values.first)
        #expect(job["owner"] as? String == "\(prefix)BACKUPEXEC")
        #expect(job["program"] as? String == "\(prefix)BACKUPEXEC.ARCHLOGBACKUP_PRG")
        #expect(job["credential"] as? String == "\(prefix)BACKUPEXEC.OSCRED")
        #expect(job["jobClass"] as? String == "BACKUPEXEC_JOB")
        #expect(job["enabled"] as? Bool == true)

        // The job's program is what the scheduler then starts: <scriptpath>/backup orcl missingarchlog.
        let programs = try #require(scheduler["programs"] as? [String: [String: Any]])
        let program = try #require(programs["\(prefix)BACKUPEXEC.ARCHLOGBACKUP_PRG"])
        #expect((program["action"] as? String)?.hasSuffix("/backup") == true)
        #expect(program["arguments"] as? [String] == ["configname=orcl", "action=missingarchlog"])
        let copy = try await environment.backup(["orcl", "missingarchlog"])
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        #expect(environment.latestLog("missingarchlog").contains("- Copying missing archivelogs"))
        let copied = try #require(try await state(environment)["archivedLogs"] as? [[String: Any]]).filter {
            ($0["sequence"] as? Int) == sequence && ($0["deleted"] as? Bool) == false
                && ($0["path"] as? String ?? "").hasPrefix(environment.backupArea + "/archivelog/")
        }
        #expect(copied.count == 1)

        // Nothing missing any more: the next check creates no further job.
        let again = try await sqlplus(
            environment,
            "exec dbms_scheduler.run_job('\(prefix)BACKUPEXEC.ARCHLOGBACKUP_JOB', use_current_session => true);")
        #expect(again.status == 0, "\(again.stdout)")
        let after = try #require(
            (try await state(environment)["scheduler"] as? [String: Any])?["jobs"] as? [String: Any])
        #expect(after.keys.filter { $0.hasPrefix("\(prefix)BACKUPEXEC.MISSINGARCH") }.count == 1)
    }

    @Test("missingarchlog copies a log whose FRA destination is written in lower case")
    func lowerCaseRecoveryAreaDestination() async throws {
        let environment = try await prepared()
        let set = try await sqlplus(
            environment, "alter system set log_archive_dest_1='location=use_db_recovery_file_dest' scope=both;")
        #expect(set.status == 0, "\(set.stdout)")
        let sequence = try await loseLogInBackupArea(environment)
        let run = try await environment.backup(["orcl", "missingarchlog"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("missingarchlog")
        #expect(log.contains("BACKUP force as copy archivelog sequence \(sequence) thread 1;"), "\(log)")
        #expect(log.contains("- Copying missing archivelogs"))
    }

    @Test("imagecopywithsnap deletes an expired copy of a dropped datafile (any status, as the original)")
    func expiredCopyOfDroppedDatafileIsDeleted() async throws {
        let environment = try await prepared(databaseExtra: "dosnapshot: FALSE")
        try await environment.sim(["workload", "orcl", "--add-datafile", "USERS"])
        let first = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let before = try #require(try await state(environment)["datafiles"] as? [[String: Any]])
        let added = try #require(before.compactMap { $0["fileNumber"] as? Int }.max())
        let copies = try #require(try await state(environment)["datafileCopies"] as? [[String: Any]])
        let copy = try #require(
            copies.first { ($0["fileNumber"] as? Int) == added && ($0["deleted"] as? Bool) == false }?["path"]
                as? String)

        // The datafile is dropped, its copy file removed by hand and the copy crosschecked: status X (EXPIRED).
        try await environment.sim(["workload", "orcl", "--drop-datafile", "\(added)"])
        try FileManager.default.removeItem(atPath: copy)
        let crosscheck = try await BuiltProducts.run(
            "oracle-sim", ["rman", "log", environment.root + "/crosscheck.log", "append"],
            environment: environment.environment.merging(["TNS_ADMIN": environment.root + "/tns"]) { $1 },
            input: "connect target /@orcl\ncrosscheck datafilecopy all;\nexit\n")
        #expect(crosscheck.status == 0, "\(environment.text(environment.root + "/crosscheck.log"))")
        #expect(environment.text(environment.root + "/crosscheck.log").contains("validation failed for datafile copy"))
        let expired = try #require(try await state(environment)["datafileCopies"] as? [[String: Any]]).first {
            ($0["path"] as? String) == copy
        }
        #expect(expired?["status"] as? String == "X")

        let second = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("- Deleting expired datafile copies"), "\(log)")
        #expect(log.contains("datafile copy file name=\(copy)"))
        let remaining = try #require(try await state(environment)["datafileCopies"] as? [[String: Any]]).first {
            ($0["path"] as? String) == copy
        }
        #expect(remaining?["deleted"] as? Bool == true)
    }

    @Test(
        "the backup log has the Service configuration parsed section with srvctl add service lines",
        arguments: ["12.1.0.2.0", "11.2.0.4.0"])
    func serviceConfigurationParsed(version: String) async throws {
        let environment = try OracleEnvironment(databaseExtra: "gimanaged: TRUE\ndosnapshot: FALSE")
        environment.environment["ORACLE_SIM_GRID"] = "TRUE"
        try await environment.sim([
            "create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup", "--version", version,
            "--service", "orcl_app", "--service", "orcl_batch", "--service", "orcl_old",
        ])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        try await environment.sim(["srvctl", "disable", "service", "-d", "orcl", "-s", "orcl_old"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        let expected =
            version.hasPrefix("11")
            ? [
                "srvctl add service -d orcl -s orcl_app -j LONG -B NONE -r orcl",
                "srvctl add service -d orcl -s orcl_batch -j LONG -B NONE -r orcl",
            ]
            : [
                "srvctl add service -database orcl -service orcl_app -preferred orcl",
                "srvctl add service -database orcl -service orcl_batch -preferred orcl",
            ]
        #expect(
            log.containsInOrder(
                [
                    "== Database configuration ==", "Database unique name: orcl", "== Service configuration ==",
                    "Service name: orcl_app", "== Service configuration parsed ==",
                ] + expected), "\(log)")
        let parsed = log.components(separatedBy: "== Service configuration parsed ==").last ?? ""
        #expect(!parsed.contains("orcl_old"), "a disabled service is not re-created")
    }
}
