import Foundation
import Testing

/// Anything outside the simulated dialect fails loudly; secrets stay out of the spool.
@Suite("Unknown statements and spool security")
struct StrictnessAndSecurityTests {
    static func connectedFlows() async throws -> OracleFlows {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        return flows
    }

    @Test("an unknown query fails with ORA-00942 and exits 1 under whenever sqlerror")
    func unknownQuery() async throws {
        let flows = try await Self.connectedFlows()
        let strict = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@orcl as sysdba\nselect name from v$nonexistent_view;\nselect user from dual;\nexit\n"
        )
        #expect(strict.exitCode == 1)
        #expect(strict.output.contains("ORA-00942: table or view does not exist"))
        #expect(!strict.output.contains("SYS\n"), "execution stops at the failing statement")
        let lenient = try await flows.harness.sqlplus(
            "conn /@orcl as sysdba\nselect name from v$nonexistent_view;\nselect user from dual;\nexit\n")
        #expect(lenient.exitCode == 0)
        #expect(lenient.output.contains("ORA-00942"))
        #expect(lenient.output.contains("SYS\n"))
    }

    @Test("unknown SQL*Plus commands and PL/SQL blocks fail with SP2-/PLS- errors")
    func unknownCommandAndBlock() async throws {
        let flows = try await Self.connectedFlows()
        let command = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@orcl as sysdba\nfrobnicate the database\nexit\n")
        #expect(command.exitCode == 1)
        #expect(
            command.output.contains("SP2-0734: unknown command beginning \"frobnicate...\" - rest of line ignored."))
        let block = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@orcl as sysdba\nbegin\nmy_package.do_things;\nend;\n/\nexit\n")
        #expect(block.exitCode == 1)
        #expect(block.output.contains("PLS-00201: identifier 'MY_PACKAGE.DO_THINGS' must be declared"))
        let option = try await flows.harness.sqlplus("whenever sqlerror exit failure\nset frobnication on\nexit\n")
        #expect(option.exitCode == 1)
        #expect(option.output.contains("SP2-0158: unknown SET option \"frobnication\""))
    }

    @Test("an unknown RMAN command is a parse error: nothing in its run block executes")
    func unknownRMANCommand() async throws {
        let flows = try await Self.connectedFlows()
        let log = flows.harness.root.appendingPathComponent("rman.log").path
        let script = "connect target /@orcl\nrun {\nbackup spfile tag 'x';\nfrobnicate database;\n}\nexit\n"
        let run = try await flows.harness.rman(script, log: log)
        #expect(run.exitCode == 1)
        let output = flows.harness.read(log)
        #expect(output.contains("RMAN-00558: error encountered while parsing input commands"))
        #expect(output.contains("RMAN-01008: the bad identifier was: frobnicate"))
        #expect(!output.contains("including current SPFILE in backup set"))
        let state = try await flows.harness.admin(["inspect", "orcl"])
        #expect(!state.output.contains("\"kind\" : \"spfile\""))
    }

    @Test("an RMAN runtime error prints the error stack and stops with exit code 1")
    func rmanRuntimeError() async throws {
        let flows = try await Self.connectedFlows()
        let log = flows.harness.root.appendingPathComponent("rman.log").path
        let run = try await flows.harness.rman("connect target /@orcl\nresync catalog;\nshow all;\nexit\n", log: log)
        #expect(run.exitCode == 1)
        let output = TranscriptFormatTests.lines(flows.harness.read(log))
        let stack = try #require(
            output.firstIndex(of: "RMAN-00571: ==========================================================="))
        #expect(output[stack + 1] == "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============")
        #expect(output[stack + 3].hasPrefix("RMAN-03002: failure of resync command at 11/08/2016 21:50:00"))
        #expect(output[stack + 4] == "RMAN-06002: command not allowed when not connected to a recovery catalog")
        #expect(!output.contains { $0.hasPrefix("RMAN configuration parameters") })
    }

    static func setscheduleScript(_ flows: OracleFlows, keepSpoolSwitches: Bool) throws -> String {
        var script = try flows.sqlplusScript(["cdbdetect", "createuser", "dropschedule", "createschedule"])
        if !keepSpoolSwitches {
            // Control experiment: the same script without the template's spool off / spool on around the secret.
            script = script.replacingOccurrences(
                of: "-- The next block carries the OS password: it is kept out of the spooled log\nspool off\n",
                with: "")
        }
        return script
    }

    @Test("createschedule never spools the OS password, although SQL*Plus spools statement text")
    func passwordNotSpooled() async throws {
        let flows = try await Self.connectedFlows()
        let run = try await flows.harness.sqlplus(
            try Self.setscheduleScript(flows, keepSpoolSwitches: true), silent: false)
        #expect(run.exitCode == 0, "\(run.output)")
        let log = flows.harness.read(flows.backupLog)
        #expect(!log.contains("S3cret-OS-pw"))
        #expect(!run.output.contains("S3cret-OS-pw"))
        #expect(log.contains("SQL> create or replace procedure backupexec.check_archlog_copy as"))
        #expect(log.contains("Scheduler objects created (the credential block is not spooled)"))
        let state = try await flows.harness.admin(["inspect", "orcl"])
        #expect(state.output.contains("\"BACKUPEXEC.OSCRED\" : \"oracle\""))
        #expect(state.output.contains("\"BACKUPEXEC.IMAGECOPY_JOB\""))
        #expect(state.output.contains("\"BACKUPEXEC.ARCHLOGBACKUP_JOB\""))
        #expect(!state.output.contains("S3cret-OS-pw"))
        // Running setschedule again drops and re-creates everything without errors.
        let again = try await flows.harness.sqlplus(
            try Self.setscheduleScript(flows, keepSpoolSwitches: true), silent: false)
        #expect(again.exitCode == 0, "\(again.output)")
    }

    @Test("control: without switching the spool off, the password would be in the log")
    func passwordSpooledWithoutProtection() async throws {
        let flows = try await Self.connectedFlows()
        let run = try await flows.harness.sqlplus(
            try Self.setscheduleScript(flows, keepSpoolSwitches: false), silent: false)
        #expect(run.exitCode == 0, "\(run.output)")
        #expect(flows.harness.read(flows.backupLog).contains("password => 'S3cret-OS-pw'"))
    }

    @Test("cdbdetect prints the common user prefix only in a CDB root")
    func cdbDetect() async throws {
        let harness = try SimulatorHarness()
        let flows = try OracleFlows(harness: harness)
        try await flows.createDatabases(extraOptions: ["--cdb"])
        let run = try await harness.sqlplus(try flows.sqlplusScript(["cdbdetect"]))
        #expect(run.output.contains("CDB-DETECT: C##"))
        // setschedule in the root uses the common user prefix for users and objects, not for the job class.
        var values = flows.backupValues
        values["scheduleuserprefix"] = "C##"
        let schedule = try await harness.sqlplus(
            try flows.sqlplusScript(["createuser", "dropschedule", "createschedule"], values: values))
        #expect(schedule.exitCode == 0, "\(schedule.output)")
        let state = try await harness.admin(["inspect", "orcl"])
        #expect(state.output.contains("\"C##BACKUPEXEC.OSCRED\" : \"oracle\""))
        #expect(state.output.contains("\"C##BACKUPEXEC.CHECK_ARCHLOG_COPY\""))
        #expect(state.output.contains("\"BACKUPEXEC_JOB\""))
        let plainFlows = try await Self.connectedFlows()
        let plain = try await plainFlows.harness.sqlplus(try plainFlows.sqlplusScript(["cdbdetect"]))
        #expect(plain.output.contains("CDB-DETECT: NO"))
    }
}
