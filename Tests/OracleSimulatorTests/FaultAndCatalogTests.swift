import Foundation
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("a refused catalog connection fails insertlog and sqlldr with ORA-12545")
    func refusedCatalog() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.admin(["inject", "refuse-connection", "autorestore"])
        let values = CatalogTests.insertValues(flows)
        let insert = try await flows.harness.sqlplus(
            try flows.restoreTemplates.render("insertlog", values), silent: true)
        #expect(insert.exitCode == 1)
        #expect(
            insert.output.contains("ERROR:\nORA-12545: Connect failed because target host or object does not exist"))
        let loader = try await CatalogTests.runLoader(flows, values)
        #expect(loader.exitCode == 1)
        #expect(flows.harness.read(values["logfile"]! + ".sqlldr.log").contains("ORA-12545"))
        // The RMAN catalog alias is unaffected.
        let other = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@rman\nselect user from dual;\nexit\n")
        #expect(other.exitCode == 0)
        #expect(other.output.contains("RMAN"))
    }

    @Test("a failing statement fails the given number of times, then works")
    func failStatement() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.admin([
            "inject", "fail", "--statement", "alter system archive log current", "--tool", "sqlplus", "--error",
            "ORA-00257: Archiver error. Connect AS SYSDBA only until resolved.", "--times", "1",
        ])
        let first = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivecurrentlogs"]))
        #expect(first.exitCode == 1)
        #expect(first.output.contains("ORA-00257: Archiver error."))
        let second = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivecurrentlogs"]))
        #expect(second.exitCode == 0)
        #expect(second.output.contains("System altered."))
    }

    @Test("a hanging statement blocks for real time (so callers' timeouts can be exercised)")
    func hangStatement() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.admin([
            "inject", "hang", "--statement", "show all", "--tool", "rman", "--seconds", "1.5", "--times", "1",
        ])
        let start = Date()
        let run = try await flows.harness.rman(
            "connect target /@orcl\nshow all;\nexit\n", log: flows.harness.root.appendingPathComponent("hang.log").path)
        #expect(run.exitCode == 0)
        #expect(Date().timeIntervalSince(start) >= 1.5)
    }

    @Test("a database that needs a TDE wallet cannot be opened after restore without one")
    func walletRequired() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.admin(["inject", "require-wallet", "--db", "orcl"])
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "3"])
        let snapshot = try await flows.backupRun(snapshotName: "two")
        do {
            _ = try await flows.restore(from: snapshot)
            Issue.record("open should need the wallet")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.step == "openandverify")
            #expect(failure.output.contains("ORA-28365: wallet is not open"))
        }
        try await flows.abortInstance()
    }

    @Test("an archived log deleted behind Oracle's back is still listed, but RMAN validation fails on it")
    func deletedArchivedLogFailsValidation() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        let removed = try await flows.harness.admin(["inject", "delete-archivelog", "--db", "orcl", "--sequence", "1"])
        #expect(removed.exitCode == 0)
        let paths = removed.output.split(separator: "\n").map(String.init)
        #expect(paths.count == 2, "one copy in the recovery area, one in the backup area")
        #expect(paths.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        // v$archived_log still lists both copies (Oracle does not notice files deleted behind its back) ...
        let missing = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogmissing"]))
        #expect(missing.exitCode == 0)
        #expect(!missing.output.contains("BACKUP force as copy"))
        // ... but RMAN's restore validation reads the files.
        let validate = try await flows.harness.rman(
            try flows.rmanScript(try flows.backupTemplates.render("validatebackup", flows.backupValues)),
            log: flows.backupLog)
        #expect(validate.exitCode == 1)
        #expect(
            flows.harness.read(flows.backupLog).contains(
                "RMAN-06025: no backup of archived log for thread 1 with sequence 1"))
    }

    @Test("a log lost from the backup area (and uncatalogued) is listed by archivelogmissing and copied back")
    func logOnlyInRecoveryArea() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.harness.admin(["workload", "orcl", "--transactions", "2", "--switch-logfile"])
        let archive = flows.harness.backupDestination + "/archivelog"
        let removed = try await flows.harness.admin([
            "inject", "delete-archivelog", "--db", "orcl", "--sequence", "1", "--destination", archive, "--uncatalog",
            "yes",
        ])
        #expect(removed.exitCode == 0)
        let missing = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogmissing"]))
        #expect(missing.output.contains("BACKUP force as copy archivelog sequence 1 thread 1;"))
        // backupRun performs the missingarchlog step first: the log is copied from the recovery area.
        try await flows.backupRun(snapshotName: "one")
        let copies = try FileManager.default.contentsOfDirectory(atPath: archive).filter {
            $0.hasPrefix("arch_D-ORCL_I-1433672784_SEQ-1_TH-1_")
        }
        #expect(copies.count == 1)
        let after = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogmissing"]))
        #expect(!after.output.contains("BACKUP force as copy"))
    }
}

@Suite("Autorestore catalog and reports")
struct CatalogTests {
    static func insertValues(_ flows: OracleFlows) -> [String: String] {
        let logfile = flows.harness.logDirectory + "/20161108T224851-orcl.log"
        try? "restore log line 1\nrestore log line 2\n".write(toFile: logfile, atomically: true, encoding: .utf8)
        return [
            "logfile": logfile, "autorestorecatalog": "/@autorestore", "log_dbname": "orcl",
            "log_start": "2016-11-08 22-48-51", "log_stop": "2016-11-08 22-50-23", "log_success": "1", "log_diff": "10",
            "log_snapid": "orcl-20161108T223946", "lasttime": "2016-11-08 22:39:45", "log_validated": "1",
            "log_logfile": logfile, "log_detail_insert": "",
        ]
    }

    static func runLoader(_ flows: OracleFlows, _ values: [String: String]) async throws -> SimulatorHarness.Run {
        let control = values["logfile"]! + ".ctl"
        try flows.restoreTemplates.render("sqlldrlog", values).write(toFile: control, atomically: true, encoding: .utf8)
        return try await flows.harness.run(
            flows.harness.tool("sqlldr"),
            [
                "/@autorestore", "control=\(control)", "log=\(values["logfile"]! + ".sqlldr.log")", "errors=0",
                "silent=all",
            ])
    }

    @Test("createcatalog, sqlldr upload and insertlog record one result with the log contents")
    func recordResult() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let values = CatalogTests.insertValues(flows)
        let before = try await CatalogTests.runLoader(flows, values)
        #expect(before.exitCode == 1, "no restorelob table before createcatalog")
        #expect(
            flows.harness.read(values["logfile"]! + ".sqlldr.log").contains(
                "ORA-04043: object RESTORELOB does not exist"))
        let create = try await flows.harness.sqlplus(try flows.restoreTemplates.render("createcatalog", values))
        #expect(create.exitCode == 0, "\(create.output)")
        let again = try await flows.harness.sqlplus(try flows.restoreTemplates.render("createcatalog", values))
        #expect(again.exitCode == 1)
        #expect(again.output.contains("ORA-00955: name is already used by an existing object"))
        let load = try await CatalogTests.runLoader(flows, values)
        #expect(load.exitCode == 0)
        let insert = try await flows.harness.sqlplus(try flows.restoreTemplates.render("insertlog", values))
        #expect(insert.exitCode == 0, "\(insert.output)")
        #expect(insert.output.contains("LOG MESSAGE ID: 1"))
        let duplicate = try await flows.harness.sqlplus(try flows.restoreTemplates.render("insertlog", values))
        #expect(duplicate.exitCode == 1)
        #expect(duplicate.output.contains("ORA-00001: unique constraint"))
        let state = try await flows.harness.admin(["inspect", "catdb"])
        #expect(state.output.contains("restore log line 2"))
        #expect(
            state.output.contains("\"lobs\" : {\n\n    }") || state.output.contains("\"lobs\" : {}")
                || state.output.contains("\"lobs\" : {\n    }"))
        let report = try TemplateFile(named: "reporttemplate.cfg")
        let status = try await flows.harness.sqlplus(
            try ["sqlplusautorestoreheader", "autorestorestatus", "sqlplusfooter"].map {
                try report.render($0, values.merging(["dbname": "orcl"]) { $1 })
            }.joined(separator: "\n") + "\n")
        #expect(status.exitCode == 0, "\(status.output)")
        let line = try #require(status.output.split(separator: "\n").first { $0.hasPrefix("OUTLOG: ") })
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.dropFirst(8).utf8)) as? [String: Any])
        #expect(object["type"] as? String == "restore")
        #expect(object["last_success"] as? String == "2016-11-08 22:48:51")
        #expect(object["avgdiff"] as? Int == 10)
        #expect(object["last_fail"] is NSNull)
    }

    @Test("jobstatus reports the scheduler jobs created by setschedule as JSON")
    func jobStatus() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let setup = try await flows.harness.sqlplus(
            try StrictnessAndSecurityTests.setscheduleScript(flows, keepSpoolSwitches: true))
        #expect(setup.exitCode == 0)
        let report = try TemplateFile(named: "reporttemplate.cfg")
        let values = ["logfile": flows.backupLog, "dbname": "orcl"]
        let run = try await flows.harness.sqlplus(
            try ["sqlplusheader", "jobstatus", "sqlplusfooter"].map { try report.render($0, values) }.joined(
                separator: "\n") + "\n")
        #expect(run.exitCode == 0, "\(run.output)")
        let jobs = run.output.split(separator: "\n").filter { $0.hasPrefix("OUTLOG: ") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.dropFirst(8).utf8)) as? [String: Any]
        }
        #expect(jobs.compactMap { $0["job_name"] as? String } == ["ARCHLOGBACKUP_JOB", "IMAGECOPY_JOB"])
        #expect(jobs.allSatisfy { $0["state"] as? String == "SCHEDULED" })
    }

    @Test("register database puts the DBID into the RMAN catalog that isdbregisteredincatalog reads")
    func registration() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let check = try flows.backupTemplates.render("isdbregisteredincatalog", flows.backupValues)
        let before = try await flows.harness.sqlplus(check)
        #expect(before.exitCode == 0)
        #expect(!before.output.contains("DATABASE IS REGISTERED IN RC"))
        let body =
            try flows.backupTemplates.render("headercatalog", flows.backupValues) + "\n"
            + flows.backupTemplates.render("registerdatabase", flows.backupValues)
        let register = try await flows.harness.rman(try flows.rmanScript(body), log: flows.backupLog)
        #expect(register.exitCode == 0, "\(flows.harness.read(flows.backupLog))")
        #expect(flows.harness.read(flows.backupLog).contains("database registered in recovery catalog"))
        let after = try await flows.harness.sqlplus(check)
        #expect(after.output.contains("DATABASE IS REGISTERED IN RC"))
        let resync = try await flows.harness.rman(
            try flows.rmanScript(
                try flows.backupTemplates.render("headercatalog", flows.backupValues) + "\n"
                    + flows.backupTemplates.render("resynccatalog", flows.backupValues)), log: flows.backupLog)
        #expect(resync.exitCode == 0)
    }
}

@Suite("Inspection and loader edge cases")
struct InspectionTests {
    @Test("sqlldr rejects a second upload of the same log (errors=0) with exit code 2")
    func duplicateUpload() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let values = CatalogTests.insertValues(flows)
        #expect(
            try await flows.harness.sqlplus(try flows.restoreTemplates.render("createcatalog", values)).exitCode == 0)
        await #expect(try CatalogTests.runLoader(flows, values).exitCode == 0)
        let again = try await CatalogTests.runLoader(flows, values)
        #expect(again.exitCode == 2)
        #expect(flows.harness.read(values["logfile"]! + ".sqlldr.log").contains("ORA-00001: unique constraint"))
    }

    @Test("a datafile taken offline is OFFLINE in the controlfile; SYSTEM and unknown files are refused")
    func offlineDatafile() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let system = try await flows.harness.admin(["workload", "orcl", "--offline-datafile", "1"])
        #expect(system.exitCode != 0)
        #expect(system.output.contains("ORA-01541"), "\(system.output)")
        let unknown = try await flows.harness.admin(["workload", "orcl", "--offline-datafile", "99"])
        #expect(unknown.exitCode != 0)
        #expect(unknown.output.contains("ORA-01516"), "\(unknown.output)")
        #expect(try await flows.harness.admin(["workload", "orcl", "--offline-datafile", "4"]).exitCode == 0)
        let state = try await flows.harness.admin(["inspect", "orcl"]).output
        let offline = try #require(state.range(of: #""onlineStatus" : "OFFLINE""#))
        _ = offline
        #expect(try await flows.harness.admin(["workload", "orcl", "--online-datafile", "4"]).exitCode == 0)
        #expect(!(try await flows.harness.admin(["inspect", "orcl"]).output.contains("OFFLINE")))
    }

    @Test("inspect --file reports a copy's header and its corrupt blocks")
    func inspectFile() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: flows.harness.backupDestination).first {
                $0.contains("_FNO-4_")
            })
        let path = flows.harness.backupDestination + "/" + copy
        try await flows.harness.admin(["inject", "corrupt-block", "--file", path, "--block", "3"])
        let report = try await flows.harness.admin(["inspect", "--file", path])
        #expect(report.exitCode == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [String: Any])
        #expect(object["corruptBlocks"] as? [Int] == [3])
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["tag"] as? String == "IMAGE_COPY_BACKUP")
        #expect(header["fileNumber"] as? Int == 4)
        #expect(
            try await flows.harness.admin(["inspect", "--file", flows.harness.backupDestination + "/autorestore.cfg"])
                .exitCode == 1)
    }
}
