import Logging
import OracleTools

/// How a backup action talks to Oracle: really (``OracleRunner``) or as a dry run that only prints.
public protocol OracleExecution: Sendable {
    /// Runs an RMAN script that appends its own output to `logFile`.
    func rman(_ script: String, logFile: String, secrets: [String]) async throws
    /// Runs a SQL*Plus script and returns its captured output (for marker parsing).
    func sqlplus(_ script: String, silent: Bool, secrets: [String]) async throws -> String
    /// Runs a helper program (srvctl, opatch); nil when it does not exist.
    func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome?
}

extension OracleRunner: OracleExecution {
    public func rman(_ script: String, logFile: String, secrets: [String]) async throws {
        try await rman(script, logFile: logFile, secrets: secrets) as Void
    }

    public func sqlplus(_ script: String, silent: Bool, secrets: [String]) async throws -> String {
        try await sqlplus(script, silent: silent, secrets: secrets) as String
    }

    public func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome? {
        guard FileManagerCompat.isExecutable(executable) else { return nil }
        return try await helper(executable, arguments: arguments, timeoutStep: timeoutStep) as ProcessOutcome
    }
}

/// `--dry-run`: every script is printed (secrets masked) in the order it would run; nothing is executed.
public struct DryRunOracle: OracleExecution {
    public let print: @Sendable (String) -> Void

    public init(print: @escaping @Sendable (String) -> Void) { self.print = print }

    public func rman(_ script: String, logFile: String, secrets: [String]) async throws {
        print("--- RMAN script (rman log \(logFile) append) ---\n\(Redaction.mask(script, secrets: secrets))")
    }

    public func sqlplus(_ script: String, silent: Bool, secrets: [String]) async throws -> String {
        print("--- SQL*Plus script (sqlplus \(silent ? "-S " : "")/nolog) ---\n\(Redaction.mask(script, secrets: secrets))")
        return ""
    }

    public func helper(_ executable: String, arguments: [String], timeoutStep: String) async throws -> ProcessOutcome? {
        print("--- command ---\n\(([executable] + arguments).joined(separator: " "))")
        return nil
    }
}
