import Foundation
import Testing

/// Output formats compared line by line with the Oracle 12.1 transcripts (shared/reference/oracle-transcripts).
@Suite("Transcript formats")
struct TranscriptFormatTests {
    static func lines(_ text: String) -> [String] { text.components(separatedBy: "\n") }

    /// Lines of `log` starting at the first line equal to `first`.
    static func section(_ log: String, from first: String, count: Int) -> [String] {
        let all = lines(log)
        guard let start = all.firstIndex(of: first) else { return [] }
        return Array(all[start..<min(all.count, start + count)])
    }

    @Test("RMAN configure output has the transcript's shape (second run shows old and new values)")
    func rmanConfigure() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try FileManager.default.removeItem(atPath: flows.backupLog)
        try await flows.configure()
        let log = flows.harness.read(flows.backupLog)
        let dest = flows.harness.backupDestination
        // From orcl_20161108T215324_config.log, with /nfs/backup/orcl replaced by our backup destination.
        let expected = [
            "", "Recovery Manager: Release 12.1.0.2.0 - Production on Tue Nov 8 21:50:00 2016", "",
            "Copyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.", "", "RMAN> ",
            "echo set on", "",
            "RMAN> CONNECT TARGET *", "connected to target database: ORCL (DBID=1433672784)", "",
            "RMAN> CONFIGURE ARCHIVELOG DELETION POLICY TO NONE;",
            "using target database control file instead of recovery catalog", "old RMAN configuration parameters:",
            "CONFIGURE ARCHIVELOG DELETION POLICY TO NONE;", "new RMAN configuration parameters:",
            "CONFIGURE ARCHIVELOG DELETION POLICY TO NONE;",
            "new RMAN configuration parameters are successfully stored", "",
            "", "RMAN> CONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS;", "old RMAN configuration parameters:",
            "CONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS;", "new RMAN configuration parameters:",
            "CONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS;",
            "new RMAN configuration parameters are successfully stored",
        ]
        #expect(Array(Self.lines(log).prefix(expected.count)) == expected)
        let channel = Self.section(log, from: "RMAN> CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '\(dest)/%U';", count: 6)
        #expect(
            channel == [
                "RMAN> CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '\(dest)/%U';", "old RMAN configuration parameters:",
                "CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT   '\(dest)/%U';", "new RMAN configuration parameters:",
                "CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT   '\(dest)/%U';",
                "new RMAN configuration parameters are successfully stored",
            ])
        #expect(
            Self.section(log, from: "RMAN> EXIT", count: 4) == ["RMAN> EXIT", "", "", "Recovery Manager complete."])
    }

    @Test("SQL*Plus spool of the backup header matches the transcript")
    func sqlplusHeaderSpool() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.harness.sqlplus(try flows.sqlplusScript(["archivecurrentlogs"]), silent: false)
        let log = flows.harness.read(flows.backupLog)
        let header = Self.section(
            log, from: "SQL> select instance_name, host_name, version, status, database_status from v$instance;",
            count: 15)
        #expect(header.count == 15)
        #expect(
            Array(header.prefix(7)) == [
                "SQL> select instance_name, host_name, version, status, database_status from v$instance;", "",
                "INSTANCE_NAME    HOST_NAME                VERSION    STATUS       DATABASE_STATUS",
                "---------------- ------------------------ ---------- ------------ -----------------",
                "orcl             backup                   12.1.0.2.0 OPEN         ACTIVE", "", "1 row selected.",
            ])
        #expect(header[7] == "")
        #expect(header[8].hasPrefix("Elapsed: 00:00:00."))
        #expect(
            Array(header[9...13]) == ["SQL> set pages 0", "SQL> select user from dual;", "SYS", "", "1 row selected."])
        let markers = Self.section(
            log,
            from:
                "SQL> select 'CURRENT DATABASE TIME: '||to_char(sysdate, 'yyyy-mm-dd hh24:mi:ss') from dual union all",
            count: 21)
        #expect(markers[1] == "  2  select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database union all")
        #expect(markers[2] == "  3  select 'BCT FILE: '||filename from v$block_change_tracking;")
        #expect(markers[3] == "CURRENT DATABASE TIME: 2016-11-08 21:50:00")
        #expect(markers[4].hasPrefix("CURRENT DATABASE SCN: "))
        #expect(markers[5].hasPrefix("BCT FILE: ") && markers[5].hasSuffix("_.chg"))
        #expect(Array(markers[6...8]) == ["", "3 rows selected.", ""])
        #expect(
            Array(markers[10...20]) == [
                "SQL> exec dbms_lock.sleep(1);", "", "PL/SQL procedure successfully completed.", "",
                "Elapsed: 00:00:01.00",
                "SQL> alter system archive log current;", "", "System altered.", "", "Elapsed: 00:00:00.06",
                "SQL> exec dbms_lock.sleep(10);",
            ])
        #expect(Self.lines(log).suffix(2) == ["SQL> spool off", ""])
    }

    @Test("silent SQL*Plus: no echo, dbconfig rows directly followed by Elapsed when feedback is off")
    func silentRestoreParameters() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let run = try await flows.harness.sqlplus(try flows.sqlplusScript(["autorestoreparameters"]))
        #expect(run.exitCode == 0)
        #expect(!run.output.contains("SQL>"))
        let output = Self.lines(run.output)
        let first = try #require(output.firstIndex(of: "dbconfig-db_block_size: 8192"))
        #expect(
            Array(output[first..<(first + 6)]) == [
                "dbconfig-db_block_size: 8192", "dbconfig-compatible: 12.1.0.2.0", "dbconfig-db_files: 200",
                "dbconfig-undo_tablespace: UNDOTBS1", "dbconfig-db_name: orcl",
                "dbconfig-enable_pluggable_database: FALSE",
            ])
        #expect(output[first + 6] == "dbconfig-backup-finished: 2016-11-08 21:50:00")
        #expect(output[first + 7].hasPrefix("Elapsed: "))
        // The spool (the log) gets the same rows without statement echo.
        #expect(flows.harness.read(flows.backupLog).contains("dbconfig-db_name: orcl\n"))
        #expect(!flows.harness.read(flows.backupLog).contains("SQL>"))
    }

    @Test("startup nomount spool matches the autorestore transcript (SGA lines padded to the line size)")
    func startupNomount() async throws {
        let harness = try SimulatorHarness()
        let pfile = harness.autorestoreDestination + "/init.ora"
        try
            "*.db_name='orcl'\n*.control_files='\(harness.autorestoreDestination)/restore.cf'\n*.sga_target=3G\n*.diagnostic_dest='\(harness.logDirectory)'\n"
            .write(toFile: pfile, atomically: true, encoding: .utf8)
        let spool = harness.logDirectory + "/nomount.log"
        let script =
            "set pages 0\nset lines 200\nset timing on\nset echo on\nspool \(spool) append\nconn / as sysdba\nwhenever sqlerror exit failure\nstartup nomount pfile='\(pfile)'\nspool off\nexit\n"
        let run = try await harness.sqlplus(script, silent: false, sid: "orcl")
        #expect(run.exitCode == 0)
        let log = Self.lines(harness.read(spool))
        #expect(
            Array(log.prefix(5)) == [
                "SQL> conn / as sysdba", "Connected to an idle instance.", "SQL> whenever sqlerror exit failure",
                "SQL> startup nomount pfile='\(pfile)'", "ORACLE instance started.",
            ])
        #expect(
            log[5] == "Total System Global Area 3221225472 bytes".padding(toLength: 200, withPad: " ", startingAt: 0))
        #expect(log[6].hasPrefix("Fixed Size                  2929552 bytes"))
        #expect(log[9].hasPrefix("Redo Buffers               13844480 bytes"))
        #expect(log[10] == "SQL> spool off")
        // The ADR home now exists for adrci.
        let adrci = harness.root.appendingPathComponent("purge.adrci").path
        try "set base \(harness.logDirectory)\nshow homes\n".write(toFile: adrci, atomically: true, encoding: .utf8)
        let homes = try await harness.run(harness.tool("adrci"), ["script=\(adrci)"])
        #expect(homes.exitCode == 0)
        #expect(homes.output.contains("ADR Homes: \ndiag/rdbms/orcl/orcl\n"))
    }

    @Test("missing pfile and missing db_name fail like Oracle")
    func startupErrors() async throws {
        let harness = try SimulatorHarness()
        let missing = try await harness.sqlplus(
            "whenever sqlerror exit failure\nconn / as sysdba\nstartup nomount pfile='/nonexistent/init.ora'\nexit\n",
            sid: "orcl")
        #expect(missing.exitCode == 1)
        #expect(missing.output.contains("LRM-00109: could not open parameter file '/nonexistent/init.ora'"))
        let pfile = harness.autorestoreDestination + "/init.ora"
        try "*.control_files='/tmp/x.cf'\n*.sga_target=1G\n".write(toFile: pfile, atomically: true, encoding: .utf8)
        let noName = try await harness.sqlplus(
            "whenever sqlerror exit failure\nconn / as sysdba\nstartup nomount pfile='\(pfile)'\nexit\n", sid: "orcl")
        #expect(noName.exitCode == 1)
        #expect(noName.output.contains("ORA-01506: missing or illegal database name"))
        try "*.db_name='orcl'\n*.control_files='/tmp/x.cf'\n*.bogus_parameter=1\n".write(
            toFile: pfile, atomically: true, encoding: .utf8)
        let unknown = try await harness.sqlplus(
            "whenever sqlerror exit failure\nconn / as sysdba\nstartup nomount pfile='\(pfile)'\nexit\n", sid: "orcl")
        #expect(unknown.output.contains("LRM-00101: unknown parameter name 'bogus_parameter'"))
    }
}
