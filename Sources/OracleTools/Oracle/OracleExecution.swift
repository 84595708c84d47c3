import Foundation
import Logging

/// How an engine talks to Oracle (the backup actions today): really (``OracleRunner``) or as a dry run that only prints.
public protocol OracleExecution: Sendable {
    /// Runs an RMAN script that appends its own output to `logFile`.
    func rman(_ script: String, logFile: String, secrets: [String]) async throws
    /// Runs a SQL*Plus script and returns its captured output (for marker parsing).
    func sqlplus(_ script: String, silent: Bool, secrets: [String]) async throws -> String
    /// Runs a helper program (srvctl, opatch); nil when it does not exist.
    func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome?
}

// OracleRunner's own `rman` and `sqlplus` satisfy the protocol; only `helper` differs (nil when missing).
extension OracleRunner: OracleExecution {
    /// Runs `executable` through ``OracleRunner/runHelper(_:arguments:timeoutStep:)``; nil when it is not an
    /// executable file (e.g. no `srvctl` without Grid Infrastructure). Throws ``OracleToolError`` on a time-out or
    /// when it cannot start; a non-zero exit is returned, not thrown.
    public func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome? {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
        let outcome: ProcessOutcome = try await runHelper(executable, arguments: arguments, timeoutStep: timeoutStep)
        return outcome
    }
}

/// `--dry-run`: every script is printed (secrets masked) in the order it would run; nothing is executed.
public struct DryRunOracle: OracleExecution {
    /// Receives each script or command line that would run.
    public let print: @Sendable (String) -> Void

    /// A dry run that hands everything it would run to `print`.
    public init(print: @escaping @Sendable (String) -> Void) { self.print = print }

    /// Prints the RMAN script (secrets masked) with the `rman log <logFile> append` line it would run under.
    public func rman(_ script: String, logFile: String, secrets: [String]) async throws {
        print("--- RMAN script (rman log \(logFile) append) ---\n\(Redaction.mask(script, secrets: secrets))")
    }

    /// Prints the SQL*Plus script (secrets masked) and returns empty output, so no marker line is found.
    public func sqlplus(_ script: String, silent: Bool, secrets: [String]) async throws -> String {
        print(
            "--- SQL*Plus script (sqlplus \(silent ? "-S " : "")/nolog) ---\n\(Redaction.mask(script, secrets: secrets))"
        )
        return ""
    }

    /// Prints the command line and returns nil, as if the helper were not installed.
    public func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome? {
        print("--- command ---\n\(([executable] + arguments).joined(separator: " "))")
        return nil
    }
}
