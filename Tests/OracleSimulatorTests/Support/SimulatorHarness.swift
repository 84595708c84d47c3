import Foundation
import ToolSupport

/// A throw-away world for one test: state directory, fake ORACLE_HOME whose tools are links to the built
/// `oracle-sim`, tnsnames.ora, backup and autorestore directories. Tools run as real child processes.
final class SimulatorHarness {
    let root: URL
    let oracleHome: URL
    let backupDestination: String
    let autorestoreDestination: String
    let mountPoint: String
    let logDirectory: String
    var environment: [String: String]

    struct Run {
        var output: String
        var exitCode: Int32
    }

    static var binary: URL {
        if let explicit = ProcessInfo.processInfo.environment["ORACLE_SIM_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/oracle-sim")
    }

    init(now: String = "2016-11-08 21:50:00") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-sim-test-\(UUID().uuidString)")
        oracleHome = root.appendingPathComponent("oraclehome")
        let manager = FileManager.default
        try manager.createDirectory(at: oracleHome.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try manager.createDirectory(at: oracleHome.appendingPathComponent("OPatch"), withIntermediateDirectories: true)
        for tool in ["rman", "sqlplus", "sqlldr", "srvctl", "adrci"] {
            try manager.createSymbolicLink(
                at: oracleHome.appendingPathComponent("bin/\(tool)"), withDestinationURL: SimulatorHarness.binary)
        }
        try manager.createSymbolicLink(
            at: oracleHome.appendingPathComponent("OPatch/opatch"), withDestinationURL: SimulatorHarness.binary)
        let tns = root.appendingPathComponent("tns")
        try manager.createDirectory(at: tns, withIntermediateDirectories: true)
        try """
        ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
        RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
        AUTORESTORE =
          (DESCRIPTION =
            (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521))
            (CONNECT_DATA = (SERVICE_NAME = catdb)))

        """.write(to: tns.appendingPathComponent("tnsnames.ora"), atomically: true, encoding: .utf8)
        backupDestination = root.appendingPathComponent("backup/orcl").path
        autorestoreDestination = root.appendingPathComponent("autorestore/dest").path
        mountPoint = root.appendingPathComponent("autorestore/mnt").path
        logDirectory = root.appendingPathComponent("autorestore/log").path
        for directory in [backupDestination, autorestoreDestination, mountPoint, logDirectory] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        environment = [
            "ORACLE_SIM_STATE": root.appendingPathComponent("state").path, "ORACLE_HOME": oracleHome.path,
            "TNS_ADMIN": tns.path, "ORACLE_SIM_NOW": now, "TZ": "UTC", "NLS_DATE_FORMAT": "yyyy-mm-dd hh24:mi:ss",
            "PATH": "/usr/bin:/bin",
        ]
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// Runs `executable` with `arguments`, feeding `input` on stdin. The blocking part (writing, reading, waiting)
    /// runs on a thread of its own: a test blocked on Swift's task pool would stall every other test.
    @discardableResult
    func run(_ executable: URL, _ arguments: [String], input: String = "", extraEnvironment: [String: String] = [:])
        async throws -> Run
    {
        var command = ChildCommand(
            executable: executable.path, arguments: arguments,
            environment: environment.merging(extraEnvironment) { $1 }, input: input)
        command.mergesErrorIntoOutput = true
        let result = try await command.run()
        return Run(output: result.outputText, exitCode: result.exitStatus)
    }

    func tool(_ name: String) -> URL {
        name == "opatch"
            ? oracleHome.appendingPathComponent("OPatch/opatch") : oracleHome.appendingPathComponent("bin/\(name)")
    }

    @discardableResult
    func admin(_ arguments: [String]) async throws -> Run {
        try await run(SimulatorHarness.binary, arguments)
    }

    @discardableResult
    func sqlplus(_ script: String, silent: Bool = true, sid: String? = nil) async throws -> Run {
        try await run(
            tool("sqlplus"), (silent ? ["-S"] : []) + ["/nolog"], input: script,
            extraEnvironment: sid.map { ["ORACLE_SID": $0] } ?? [:])
    }

    @discardableResult
    func rman(_ script: String, log: String, sid: String? = nil) async throws -> Run {
        try await run(
            tool("rman"), ["log", log, "append"], input: script, extraEnvironment: sid.map { ["ORACLE_SID": $0] } ?? [:]
        )
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Copies the backup area like a storage snapshot would.
    func snapshot(_ name: String) throws -> String {
        let target = root.appendingPathComponent("snapshots/\(name)").path
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backupDestination, toPath: target)
        return target
    }
}
