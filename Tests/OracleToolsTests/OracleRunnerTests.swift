import Foundation
import Logging
import Testing

@testable import OracleTools

/// A fake ORACLE_HOME whose tools are small shell scripts.
struct FakeOracleHome {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "oib-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
    }

    func tool(_ name: String, _ body: String) throws {
        let path = root + "/bin/" + name
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    func runner(timeouts: [String: Int] = [:]) -> OracleRunner {
        OracleRunner(
            home: OracleHome(path: root, tnsAdmin: root + "/tns"), sid: "orcl",
            baseEnvironment: ["PATH": "/usr/bin:/bin"], timeouts: StepTimeouts(overrides: timeouts),
            logger: Logger(label: "test"), processRunner: ProcessRunner(killGracePeriod: .milliseconds(200)))
    }
}

@Suite("Oracle runner")
struct OracleRunnerTests {
    @Test func rmanGetsLogArgumentsScriptAndEnvironment() async throws {
        let home = try FakeOracleHome()
        try home.tool(
            "rman",
            """
            echo "args: $*" >> "$2"
            echo "env: $ORACLE_SID $TNS_ADMIN $NLS_DATE_FORMAT" >> "$2"
            cat >> "$2"
            """)
        let log = home.root + "/run.log"
        try await home.runner().rman("SET ECHO ON\nEXIT\n", logFile: log)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(
            text == "args: log \(log) append\nenv: orcl \(home.root)/tns yyyy-mm-dd hh24:mi:ss\nSET ECHO ON\nEXIT\n")
    }

    @Test func rmanFailureCarriesCodeAndOutput() async throws {
        let home = try FakeOracleHome()
        try home.tool("rman", "echo 'RMAN-03002: failure of backup command'\nexit 1\n")
        let error = await #expect(throws: OracleToolError.self) {
            try await home.runner().rman("x", logFile: home.root + "/l.log")
        }
        #expect(error?.code == .failed)
        #expect(error?.message == "RMAN execution failed with code 1")
        #expect(error?.outputTail.contains("RMAN-03002") == true)
    }

    @Test func sqlplusSilentReturnsOutputForMarkers() async throws {
        let home = try FakeOracleHome()
        try home.tool("sqlplus", "echo \"$1 $2\"\necho 'CURRENT DATABASE SCN: 799175'\n")
        let output = try await home.runner().sqlplus("select 1 from dual;", silent: true)
        #expect(output == "-S /nolog\nCURRENT DATABASE SCN: 799175\n")
        let loud = try await home.runner().sqlplus("select 1 from dual;", silent: false)
        #expect(loud.hasPrefix("/nolog"))
    }

    @Test func hangingSqlplusTimesOut() async throws {
        let home = try FakeOracleHome()
        try home.tool("sqlplus", "sleep 60\n")
        let error = await #expect(throws: OracleToolError.self) {
            try await home.runner(timeouts: ["sqlplus": 1]).sqlplus("x", silent: true)
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("timeoutsqlplus") == true)
    }

    @Test func missingToolIsNotStarted() async throws {
        let home = try FakeOracleHome()
        let error = await #expect(throws: OracleToolError.self) {
            try await home.runner().sqlplus("x", silent: true)
        }
        #expect(error?.code == .notStarted)
    }

    @Test func secretsNeverReachTheErrorText() async throws {
        let home = try FakeOracleHome()
        try home.tool("sqlplus", "cat\nexit 2\n")
        let error = await #expect(throws: OracleToolError.self) {
            try await home.runner().sqlplus("password => 'Tiger123'", silent: false, secrets: ["Tiger123"])
        }
        #expect(error?.description.contains("Tiger123") == false)
        #expect(error?.description.contains("****") == true)
    }

    @Test func sqlldrCleansUpOnSuccessOnly() async throws {
        let home = try FakeOracleHome()
        let work = home.root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try home.tool("sqlldr", "test \"$1\" = '/@autorestore' || exit 1\ncat \"${2#control=}\" > \(work)/seen.ctl\n")
        try await home.runner().sqlldr(login: "/@autorestore", control: "LOAD DATA\n", workDirectory: work)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work) == ["seen.ctl"])
        await #expect(throws: OracleToolError.self) {
            try await home.runner().sqlldr(login: "/@wrong", control: "LOAD DATA\n", workDirectory: work)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).count == 2)
    }

    @Test func environmentUnsetsSidWhenNone() {
        let home = OracleHome(path: "/u01/db", tnsAdmin: nil)
        let environment = home.environment(sid: nil, base: ["ORACLE_SID": "prod", "TNS_ADMIN": "/x", "PATH": "/bin"])
        #expect(environment == ["ORACLE_HOME": "/u01/db", "NLS_DATE_FORMAT": "yyyy-mm-dd hh24:mi:ss", "PATH": "/bin"])
    }
}
