import Foundation
import Testing

@Suite("Workload variants")
struct WorkloadVariantTests {
    @Test("a datafile added after a backup is created during recovery from the redo")
    func addedDatafileIsCreatedByRecovery() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await flows.harness.admin(["workload", "orcl", "--add-datafile", "EXTRA", "--transactions", "3"])
        let snapshot = try await flows.backupRun(snapshotName: "two")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "3"])
        let third = try await flows.backupRun(snapshotName: "three")
        // Snapshot two: the copies and controlfile are from run one, before file 5 existed.
        let result = try await flows.restore(from: snapshot)
        #expect(
            result.recoverLog.contains(
                "creating datafile file number=5 name=\(flows.harness.mountPoint)/ORCL/datafile/o1_mf_extra_"))
        #expect(!result.verifyOutput.contains("DATAFILE STATUS: "))
        try await flows.abortInstance()
        // Snapshot three has a copy of file 5 (taken by run two).
        #expect(try FileManager.default.contentsOfDirectory(atPath: third).contains { $0.contains("_TS-EXTRA_FNO-5_") })
    }

    @Test("copies of a dropped datafile are reported by deletedatafilecopy and deleted by RMAN")
    func droppedDatafileCopies() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.admin(["workload", "orcl", "--add-datafile", "EXTRA"])
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: flows.harness.backupDestination).first {
                $0.contains("_FNO-5_")
            })
        try await flows.harness.admin(["workload", "orcl", "--drop-datafile", "5"])
        let expired = try await flows.harness.sqlplus(try flows.sqlplusScript(["deletedatafilecopy"]))
        #expect(
            expired.output.contains(
                "DELETECOPY: delete noprompt datafilecopy '\(flows.harness.backupDestination)/\(copy)';"))
        try await flows.backupRun(snapshotName: "two")
        #expect(!FileManager.default.fileExists(atPath: flows.harness.backupDestination + "/" + copy))
        let after = try await flows.harness.sqlplus(try flows.sqlplusScript(["deletedatafilecopy"]))
        #expect(!after.output.contains("DELETECOPY:"))
    }

    @Test(
        "11g has no v$nonlogged_block: blockcounts fails with ORA-00942, blockcounts11 counts from the corruption view")
    func blockCountsOn11g() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases(extraOptions: ["--version", "11.2.0.4.0"])
        func counts(_ key: String) async throws -> SimulatorHarness.Run {
            // The backup header connects to the (open) production database; the body is the restore template's.
            let script = try flows.sqlplusScript([]).replacingOccurrences(
                of: "spool off", with: try flows.restoreTemplates.render(key, flows.backupValues) + "\nspool off")
            return try await flows.harness.sqlplus(script)
        }
        let modern = try await counts("blockcounts")
        #expect(modern.output.contains("ORA-00942"), "\(modern.output)")
        let old = try await counts("blockcounts11")
        #expect(old.exitCode == 0, "\(old.output)")
        #expect(old.output.contains("CORRUPT BLOCK COUNT: 0"), "\(old.output)")
        #expect(old.output.contains("NONLOGGED BLOCK COUNT: 0"), "\(old.output)")
    }

    @Test("NOLOGGING changes replayed by recovery leave nonlogged blocks the verification reports")
    func nologgingBlocks() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "2", "--nologging", "3"])
        let snapshot = try await flows.backupRun(snapshotName: "two")
        let result = try await flows.restore(from: snapshot)
        // Oracle 12.1 lists them in v$database_block_corruption (type NOLOGGING) and in v$nonlogged_block: the count
        // is of distinct ranges, and NOLOGGING is not counted as corruption.
        #expect(result.marker("NONLOGGED BLOCK COUNT: ") == "1")
        #expect(result.marker("CORRUPT BLOCK COUNT: ") == "0")
        try await flows.abortInstance()
        let report = try await flows.harness.rman(try flows.rmanScript("REPORT UNRECOVERABLE;"), log: flows.backupLog)
        #expect(report.exitCode == 0)
    }

    @Test("the clock only moves when told to: ORACLE_SIM_NOW plus simulated sleeps")
    func controllableClock() async throws {
        let harness = try SimulatorHarness(now: "2020-02-29 23:59:50")
        #expect(try await harness.admin(["clock"]).output == "2020-02-29 23:59:50\n")
        try await harness.admin(["clock", "advance", "15"])
        #expect(try await harness.admin(["inspect", "--clock"]).output == "2020-03-01 00:00:05\n")
    }
}

@Suite("Auxiliary tools")
struct AuxiliaryToolTests {
    @Test("opatch lsinventory succeeds and names the Oracle home")
    func opatch() async throws {
        let harness = try SimulatorHarness()
        let run = try await harness.run(harness.tool("opatch"), ["lsinventory"])
        #expect(run.exitCode == 0)
        #expect(run.output.contains("Oracle Home       : \(harness.oracleHome.path)"))
        #expect(run.output.hasSuffix("OPatch succeeded.\n"))
        #expect(try await harness.run(harness.tool("opatch"), ["apply"]).exitCode != 0)
    }

    @Test("srvctl without clusterware prints the transcript's message; with it, the configuration")
    func srvctl() async throws {
        let harness = try SimulatorHarness()
        try await harness.admin(["create-db", "--name", "orcl", "--service", "backup_orcl"])
        let plain = try await harness.run(harness.tool("srvctl"), ["config", "database", "-d", "orcl"])
        #expect(
            plain.output
                == "****Unable to retrieve Oracle Clusterware home.\nStart Oracle Clusterware stack and try again.\n")
        let grid = try await harness.run(
            harness.tool("srvctl"), ["config", "database", "-d", "orcl"], extraEnvironment: ["ORACLE_SIM_GRID": "TRUE"])
        #expect(grid.exitCode == 0)
        #expect(grid.output.contains("Database unique name: orcl"))
        let services = try await harness.run(
            harness.tool("srvctl"), ["config", "service", "-d", "orcl"], extraEnvironment: ["ORACLE_SIM_GRID": "TRUE"])
        #expect(services.output.contains("Service name: backup_orcl"))
    }

    @Test("adrci purges files older than the given age from ADR homes")
    func adrciPurge() async throws {
        let harness = try SimulatorHarness()
        let home = harness.logDirectory + "/diag/rdbms/orcl/orcl/trace"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let old = home + "/old.trc"
        let fresh = home + "/fresh.trc"
        try "x".write(toFile: old, atomically: true, encoding: .utf8)
        try "y".write(toFile: fresh, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_478_000_000)], ofItemAtPath: old)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_478_641_000)], ofItemAtPath: fresh)
        let script = harness.root.appendingPathComponent("purge.adrci").path
        try "set base \(harness.logDirectory)\nset home diag/rdbms/orcl/orcl\npurge -age 1440\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        let run = try await harness.run(harness.tool("adrci"), ["script=\(script)"])
        #expect(run.exitCode == 0)
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: fresh))
    }
}
