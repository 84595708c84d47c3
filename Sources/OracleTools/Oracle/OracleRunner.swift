import Foundation
import Logging
import ToolSupport

/// An Oracle utility failed, timed out or could not start.
public struct OracleToolError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; an open set of codes whose `description` is the raw text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code with the given text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The tool ran but exited non-zero or was killed by a signal.
        public static let failed = Code("failed")
        /// The step's time limit (`timeout<step>`) elapsed and the tool's process group was killed.
        public static let timedOut = Code("timed out")
        /// The tool could not be started, or its script or control file could not be written.
        public static let notStarted = Code("not started")
        /// The tool succeeded but its output lacks what the caller needs (e.g. a marker line).
        public static let unexpectedOutput = Code("unexpected output")
    }

    /// The kind of failure.
    public var code: Code
    /// `rman`, `sqlplus`, `sqlldr`, `adrci`, …
    public var tool: String
    /// How the process ended; nil when it never started.
    public var termination: ProcessTermination?
    /// The last lines of output, secrets masked.
    public var outputTail: String
    /// One line as logged, e.g. `RMAN execution failed with code 1`.
    public var message: String

    public var description: String {
        var text = message
        if !outputTail.isEmpty { text += "\n--- last output lines ---\n" + outputTail }
        return text
    }
}

/// Runs RMAN, SQL*Plus, SQL*Loader and ADRCI the way the original did (reference §5.3), with time limits.
public struct OracleRunner: Sendable {
    /// The Oracle home whose programs run and whose variables the children get.
    public var home: OracleHome
    /// ORACLE_SID for the children, or nil to unset it.
    public var sid: String?
    /// The environment the children start from; ``OracleHome/environment(sid:base:)`` adds the Oracle variables.
    public var baseEnvironment: [String: String]
    /// Time limit per step (`timeout<step>` keys in `[generic]`).
    public var timeouts: StepTimeouts
    /// Receives the original's DEBUG and ERROR lines (`RMAN execution starts`, `SQL*Plus exited with code N`, …).
    public var logger: Logger
    /// Receives child output that should land in the run log (SQL*Loader, ADRCI, helper commands).
    public var appendToLog: (@Sendable (String) -> Void)?
    /// Starts the children (own process group, time limit, output streaming).
    public var processRunner: ProcessRunner

    /// A runner for `home`; a nil `sid` unsets `ORACLE_SID` for the children.
    public init(
        home: OracleHome, sid: String? = nil, baseEnvironment: [String: String], timeouts: StepTimeouts = .init(),
        logger: Logger, appendToLog: (@Sendable (String) -> Void)? = nil,
        processRunner: ProcessRunner = ProcessRunner()
    ) {
        self.home = home
        self.sid = sid
        self.baseEnvironment = baseEnvironment
        self.timeouts = timeouts
        self.logger = logger
        self.appendToLog = appendToLog
        self.processRunner = processRunner
    }

    var environment: [String: String] { home.environment(sid: sid, base: baseEnvironment) }

    private func execute(
        tool: String, executable: String, arguments: [String], input: String?, timeoutStep: String,
        secrets: [String], onLine: (@Sendable (String) -> Void)? = nil
    ) async throws(OracleToolError)
        -> ProcessOutcome
    {
        let request = ProcessRequest(
            executable: executable, arguments: arguments, environment: environment,
            standardInput: input, timeout: timeouts.limit(for: timeoutStep), secrets: secrets)
        let outcome: ProcessOutcome
        do {
            outcome = try await processRunner.run(request, onLine: onLine)
        } catch {
            logger.error("\(error.description)")
            throw OracleToolError(
                code: .notStarted, tool: tool, termination: nil, outputTail: "",
                message: error.description)
        }
        if outcome.timedOut {
            let limit = timeouts.seconds[timeoutStep] ?? 0
            let message =
                "\(tool) did not finish within \(limit) seconds (timeout\(timeoutStep)); its process group was killed"
            logger.error("\(message)")
            throw OracleToolError(
                code: .timedOut, tool: tool, termination: outcome.termination,
                outputTail: Redaction.mask(outcome.outputTail(), secrets: secrets), message: message)
        }
        return outcome
    }

    /// `rman log <logFile> append` with the script on standard input; RMAN writes the log itself, its own
    /// standard output is discarded (kept only for the error message).
    public func rman(_ script: String, logFile: String, secrets: [String] = []) async throws(OracleToolError) {
        logger.debug("RMAN execution starts")
        let outcome = try await execute(
            tool: "rman", executable: home.rman, arguments: ["log", logFile, "append"],
            input: script, timeoutStep: "rman", secrets: secrets)
        logger.debug("RMAN execution time \(PythonDuration.format(outcome.duration))")
        guard outcome.succeeded else {
            logger.error("RMAN execution failed with code \(outcome.exitCode)")
            throw OracleToolError(
                code: .failed, tool: "rman", termination: outcome.termination,
                outputTail: Redaction.mask(outcome.outputTail(), secrets: secrets),
                message: "RMAN execution failed with code \(outcome.exitCode)")
        }
        logger.debug("RMAN execution successful")
    }

    /// `sqlplus [-S] /nolog` with the script on standard input. The script spools into the run log itself;
    /// the captured output is returned for marker parsing.
    @discardableResult
    public func sqlplus(_ script: String, silent: Bool, secrets: [String] = []) async throws(OracleToolError) -> String
    {
        logger.debug("SQL*Plus execution starts")
        let outcome = try await execute(
            tool: "sqlplus", executable: home.sqlplus,
            arguments: silent ? ["-S", "/nolog"] : ["/nolog"], input: script,
            timeoutStep: "sqlplus", secrets: secrets)
        guard outcome.succeeded else {
            logger.error("SQL*Plus exited with code \(outcome.exitCode)")
            throw OracleToolError(
                code: .failed, tool: "sqlplus", termination: outcome.termination,
                outputTail: Redaction.mask(outcome.outputTail(), secrets: secrets),
                message: "sqlplus exited with code \(outcome.exitCode)")
        }
        logger.debug("SQL*Plus execution successful")
        return Redaction.mask(outcome.output, secrets: secrets)
    }

    /// `sqlldr <login> control=<file> log=<file> errors=0 silent=all`; temporary files are removed on success.
    public func sqlldr(login: String, control: String, workDirectory: String) async throws(OracleToolError) {
        logger.debug("SQLLDR execution starts")
        let base = workDirectory + "/sqlldr-\(UUID().uuidString.prefix(8))"
        let controlFile = base + ".ctl"
        let logFile = base + ".log"
        do {
            try control.write(toFile: controlFile, atomically: true, encoding: .utf8)
        } catch {
            throw OracleToolError(
                code: .notStarted, tool: "sqlldr", termination: nil, outputTail: "",
                message: "cannot write SQL*Loader control file \(controlFile): \(error)")
        }
        let secrets = [Redaction.connectStringPassword(login)].compactMap { $0 }
        let outcome = try await execute(
            tool: "sqlldr", executable: home.sqlldr,
            arguments: [login, "control=\(controlFile)", "log=\(logFile)", "errors=0", "silent=all"], input: nil,
            timeoutStep: "sqlldr", secrets: secrets)
        appendToLog?(Redaction.mask(outcome.output, secrets: secrets))
        guard outcome.succeeded else {
            logger.error("SQLLDR exited with code \(outcome.exitCode)")
            let details = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? outcome.output
            throw OracleToolError(
                code: .failed, tool: "sqlldr", termination: outcome.termination,
                outputTail: Redaction.mask(
                    details.split(separator: "\n").suffix(20).joined(separator: "\n"), secrets: secrets),
                message: "SQLLDR exited with code \(outcome.exitCode)")
        }
        try? FileManager.default.removeItem(atPath: controlFile)
        try? FileManager.default.removeItem(atPath: logFile)
    }

    /// `adrci script=<file>`; returns its output.
    public func adrci(script: String, workDirectory: String) async throws(OracleToolError) -> String {
        let file = workDirectory + "/adrci-\(UUID().uuidString.prefix(8)).txt"
        do {
            try script.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            throw OracleToolError(
                code: .notStarted, tool: "adrci", termination: nil, outputTail: "",
                message: "cannot write ADRCI script \(file): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let outcome = try await execute(
            tool: "adrci", executable: home.adrci, arguments: ["script=\(file)"],
            input: nil, timeoutStep: "adrci", secrets: [])
        guard outcome.succeeded else {
            throw OracleToolError(
                code: .failed, tool: "adrci", termination: outcome.termination,
                outputTail: outcome.outputTail(), message: "ADRCI exited with code \(outcome.exitCode)")
        }
        return outcome.output
    }

    /// Runs a helper program (opatch, srvctl, mount …) and returns its outcome as data; only a time-out or a
    /// failure to start throws.
    public func runHelper(_ executable: String, arguments: [String], timeoutStep: String) async throws(OracleToolError)
        -> ProcessOutcome
    {
        try await execute(
            tool: (executable as NSString).lastPathComponent, executable: executable,
            arguments: arguments, input: nil, timeoutStep: timeoutStep, secrets: [])
    }
}
