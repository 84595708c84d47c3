import Foundation
import Testing

/// oracle-sim checks every DBMS_SCHEDULER call it accepts as Oracle documents it, so that a template passing a
/// too-long name, a bad prefix, a missing argument or an undocumented value fails in tests as on a database.
@Suite("oracle-sim enforces the documented DBMS_SCHEDULER argument limits")
struct SchedulerLimitTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var title: String
        var block: String
        /// The error line expected, or nil when the call must succeed.
        var error: String?
        var version = "12.1.0.2.0"
        var testDescription: String { title }
    }

    static let name30 = String(repeating: "J", count: 30)
    static let name128 = String(repeating: "J", count: 128)

    static let cases: [Case] = [
        Case(
            title: "generate_job_name accepts an 18-character prefix",
            block: "declare n varchar2(128); begin n := dbms_scheduler.generate_job_name('ABCDEFGHIJKLMNOPQR'); end;",
            error: nil),
        Case(
            title: "generate_job_name refuses a 19-character prefix",
            block: "declare n varchar2(128); begin n := dbms_scheduler.generate_job_name('ABCDEFGHIJKLMNOPQRS'); end;",
            error: "ORA-24102: invalid prefix for generate_job_name"),
        Case(
            title: "generate_job_name refuses a prefix ending in a digit",
            block: "declare n varchar2(128); begin n := dbms_scheduler.generate_job_name('BACKUP1'); end;",
            error: "ORA-24102: invalid prefix for generate_job_name"),
        Case(
            title: "a generated job name's prefix is checked inside create_job too",
            block:
                "begin dbms_scheduler.create_job(job_name => dbms_scheduler.generate_job_name('BACKUPEXEC.MISSINGARCH'), job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;",
            error: "ORA-24102: invalid prefix for generate_job_name"),
        Case(
            title: "a 30-byte job name is accepted in 12.1",
            block:
                "begin dbms_scheduler.create_job(job_name => '\(name30)', job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;",
            error: nil),
        Case(
            title: "a 31-byte job name is refused in 12.1",
            block:
                "begin dbms_scheduler.create_job(job_name => '\(name30)K', job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;",
            error: "ORA-27452: \"\(name30)K\" is an invalid name for a database object."),
        Case(
            title: "a 128-byte job name is accepted from 12.2",
            block:
                "begin dbms_scheduler.create_job(job_name => '\(name128)', job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;",
            error: nil, version: "12.2.0.1.0"),
        Case(
            title: "a 129-byte job name is refused from 12.2",
            block:
                "begin dbms_scheduler.create_job(job_name => '\(name128)K', job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;",
            error: "ORA-27452: \"\(name128)K\" is an invalid name for a database object.", version: "19.0.0.0.0"),
        Case(
            title: "a schema part longer than 30 bytes is refused in 12.1",
            block:
                "begin dbms_scheduler.create_schedule(schedule_name => '\(name30)S.SCHED', repeat_interval => 'FREQ=DAILY'); end;",
            error: "ORA-27452: \"\(name30)S.SCHED\" is an invalid name for a database object."),
        Case(
            title: "a name that does not start with a letter is refused",
            block:
                "begin dbms_scheduler.create_program(program_name => '1PRG', program_type => 'EXECUTABLE', program_action => '/bin/true'); end;",
            error: "ORA-27452: \"1PRG\" is an invalid name for a database object."),
        Case(
            title: "create_job needs job_type and job_action, or a program",
            block: "begin dbms_scheduler.create_job(job_name => 'J1', enabled => true); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_JOB'"),
        Case(
            title: "create_job with a job_type but no job_action",
            block: "begin dbms_scheduler.create_job(job_name => 'J1', job_type => 'PLSQL_BLOCK'); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_JOB'"),
        Case(
            title: "create_job refuses an undocumented job_type",
            block: "begin dbms_scheduler.create_job(job_name => 'J1', job_type => 'SHELL', job_action => 'ls'); end;",
            error: "ORA-27465: invalid value SHELL for attribute JOB_TYPE"),
        Case(
            title: "enabled must be the BOOLEAN TRUE or FALSE, not a string",
            block:
                "begin dbms_scheduler.create_job(job_name => 'J1', job_type => 'PLSQL_BLOCK', job_action => 'null;', enabled => 'true'); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_JOB'"),
        Case(
            title: "enabled must not be an undeclared identifier",
            block:
                "begin dbms_scheduler.create_job(job_name => 'J1', job_type => 'PLSQL_BLOCK', job_action => 'null;', enabled => yes); end;",
            error: "PLS-00201: identifier 'YES' must be declared"),
        Case(
            title: "an unknown parameter name matches no declaration",
            block: "begin dbms_scheduler.create_schedule(schedule_name => 'S1', repeat => 'FREQ=DAILY'); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_SCHEDULE'"),
        Case(
            title: "create_schedule needs a repeat_interval",
            block: "begin dbms_scheduler.create_schedule(schedule_name => 'S1'); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_SCHEDULE'"),
        Case(
            title: "a calendar string needs a known frequency",
            block:
                "begin dbms_scheduler.create_schedule(schedule_name => 'S1', repeat_interval => 'FREQ=FORTNIGHTLY'); end;",
            error: "ORA-27412: repeat interval or calendar contains invalid identifier: FORTNIGHTLY"),
        Case(
            title: "an empty repeat interval is refused",
            block: "begin dbms_scheduler.create_schedule(schedule_name => 'S1', repeat_interval => ''); end;",
            error: "ORA-27411: empty string is not a valid repeat interval."),
        Case(
            title: "create_credential needs a password",
            block: "begin dbms_scheduler.create_credential(credential_name => 'C1', username => 'oracle'); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'CREATE_CREDENTIAL'"),
        Case(
            title: "create_program refuses an undocumented program_type",
            block:
                "begin dbms_scheduler.create_program(program_name => 'P1', program_type => 'SCRIPT', program_action => '/bin/true'); end;",
            error: "ORA-27465: invalid value SCRIPT for attribute PROGRAM_TYPE"),
        Case(
            title: "number_of_arguments is at most 255",
            block:
                "begin dbms_scheduler.create_program(program_name => 'P1', program_type => 'EXECUTABLE', program_action => '/bin/true', number_of_arguments => 256); end;",
            error: "ORA-27465: invalid value 256 for attribute NUMBER_OF_ARGUMENTS"),
        Case(
            title: "an argument position beyond number_of_arguments is refused",
            block:
                "begin dbms_scheduler.create_program(program_name => 'P1', program_type => 'EXECUTABLE', program_action => '/bin/true', number_of_arguments => 1); dbms_scheduler.define_program_argument(program_name => 'P1', argument_position => 2, argument_name => 'action', argument_type => 'VARCHAR2', default_value => 'x'); end;",
            error: "ORA-27465: invalid value 2 for attribute ARGUMENT_POSITION"),
        Case(
            title: "an argument name must be an identifier",
            block:
                "begin dbms_scheduler.create_program(program_name => 'P1', program_type => 'EXECUTABLE', program_action => '/bin/true', number_of_arguments => 1); dbms_scheduler.define_program_argument(program_name => 'P1', argument_position => 1, argument_name => 'the action', argument_type => 'VARCHAR2', default_value => 'x'); end;",
            error: "ORA-27453: \"the action\" is an invalid job or program argument name."),
        Case(
            title: "logging_level must be one of the LOGGING_ constants",
            block:
                "begin dbms_scheduler.create_job_class(job_class_name => 'JC1', logging_level => dbms_scheduler.logging_everything); end;",
            error: "ORA-27465: invalid value dbms_scheduler.logging_everything for attribute LOGGING_LEVEL"),
        Case(
            title: "log_history is at most 1000000 days",
            block: "begin dbms_scheduler.create_job_class(job_class_name => 'JC1', log_history => 1000001); end;",
            error: "ORA-27465: invalid value 1000001 for attribute LOG_HISTORY"),
        Case(
            title: "commit_semantics must be a documented value",
            block: "begin dbms_scheduler.drop_job(job_name => 'J1', commit_semantics => 'IGNORE'); end;",
            error: "ORA-27465: invalid value IGNORE for attribute COMMIT_SEMANTICS"),
        Case(
            title: "drop_job needs a job name",
            block: "begin dbms_scheduler.drop_job(force => true); end;",
            error: "PLS-00306: wrong number or types of arguments in call to 'DROP_JOB'"),
        Case(
            title: "run_job of a job that does not exist",
            block: "begin dbms_scheduler.run_job(job_name => 'NOSUCHJOB'); end;",
            error: "ORA-27476: \"NOSUCHJOB\" does not exist"),
        Case(
            title: "run_job of an executable job needs the external job agent",
            block:
                "begin dbms_scheduler.create_program(program_name => 'P1', program_type => 'EXECUTABLE', program_action => '/bin/true', enabled => true); dbms_scheduler.create_job(job_name => 'J1', program_name => 'P1'); dbms_scheduler.run_job('J1'); end;",
            error: "ORA-27370: job slave failed to launch a job of type EXECUTABLE"),
    ]

    @Test(arguments: cases)
    func limit(_ testCase: Case) async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases(extraOptions: ["--version", testCase.version])
        let run = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@orcl as sysdba\n\(testCase.block)\n/\nexit\n")
        if let error = testCase.error {
            #expect(run.exitCode == 1, "\(run.output)")
            #expect(run.output.contains(error), "\(run.output)")
        } else {
            #expect(run.exitCode == 0, "\(run.output)")
            #expect(!run.output.contains("ORA-") && !run.output.contains("PLS-"), "\(run.output)")
        }
    }

    @Test("generate_job_name numbers the names from the scheduler's sequence")
    func generatedNamesAreNumbered() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        for _ in 1...2 {
            let run = try await flows.harness.sqlplus(
                "whenever sqlerror exit failure\nconn /@orcl as sysdba\nbegin dbms_scheduler.create_job(job_name => 'SYSTEM.'||dbms_scheduler.generate_job_name('MISSINGARCH'), job_type => 'PLSQL_BLOCK', job_action => 'null;'); end;\n/\nexit\n"
            )
            #expect(run.exitCode == 0, "\(run.output)")
        }
        let state = try await flows.harness.admin(["inspect", "orcl"])
        #expect(state.output.contains("\"SYSTEM.MISSINGARCH1\""))
        #expect(state.output.contains("\"SYSTEM.MISSINGARCH2\""))
    }

    @Test("a check procedure the simulator cannot compile is created with errors and fails when its job runs")
    func invalidProcedure() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let setup = try await flows.harness.sqlplus(
            try StrictnessAndSecurityTests.setscheduleScript(flows, keepSpoolSwitches: true))
        #expect(setup.exitCode == 0, "\(setup.output)")
        let broken = try await flows.harness.sqlplus(
            "whenever sqlerror exit failure\nconn /@orcl as sysdba\ncreate or replace procedure backupexec.check_archlog_copy as\nn number;\nbegin\nselect count(*) into n from v$archived_log where status = 'A';\nend;\n/\nexec dbms_scheduler.run_job('BACKUPEXEC.ARCHLOGBACKUP_JOB');\nexit\n"
        )
        #expect(broken.output.contains("Warning: Procedure created with compilation errors."), "\(broken.output)")
        #expect(broken.output.contains("ORA-06575: Package or function CHECK_ARCHLOG_COPY is in an invalid state"))
        #expect(broken.exitCode == 1)
    }
}
