import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What an external command printed and how it ended.
public struct DriverCommandResult: Sendable, Equatable {
    /// The exit status (128 + the signal when the command was killed).
    public var exitStatus: Int32
    /// Everything it wrote to standard output.
    public var standardOutput: String
    /// Everything it wrote to standard error.
    public var standardError: String
    /// Whether the deadline passed and the command was stopped.
    public var timedOut: Bool
    /// From the start of the command to its exit, measured on the thread that watches it (not including any
    /// delay before the caller is resumed).
    public var duration: Duration = .zero
    /// False when a process the command started still held its output open 5 s after it ended: the output may be
    /// cut short, and a driver must not act on it.
    public var outputComplete = true

    /// A result, as a runner or a test builds it.
    public init(
        exitStatus: Int32, standardOutput: String, standardError: String, timedOut: Bool, duration: Duration = .zero,
        outputComplete: Bool = true
    ) {
        self.outputComplete = outputComplete
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.timedOut = timedOut
        self.duration = duration
    }
}

/// Runs one external command with a deadline; on timeout it sends SIGTERM to the command's process group, then
/// SIGKILL after a grace period. For drivers that drive a command-line tool (btrfs, zfs); the Oracle tools have
/// their own runner in OracleTools.
///
/// Children start through ToolSupport's `ChildCommand` (fork and exec on one long-lived thread, in their own
/// process group, dying with this process), never through Foundation's `Process`, whose start on Linux can crash
/// or fail with EBADF (see `ChildSpawn`). Blocking waits run on dedicated threads, not on the shared pools.
public enum DriverCommandRunner {
    /// Runs `executable` (a path, or a name looked up in `PATH`) with `arguments` (plus `environment` over the
    /// inherited one) in `/` and returns its output; throws only when it cannot be started.
    public static func run(
        executable: String, arguments: [String], environment: [String: String] = [:], timeout: Duration,
        killGrace: Duration = .seconds(2)
    ) async throws -> DriverCommandResult {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        // Every path in the arguments is absolute. Start in / rather than this process's working directory, which
        // the tool's user may not be able to enter (cron, su or the scheduler from a private directory).
        let command = ChildCommand(
            executable: executable, arguments: arguments, environment: merged, workingDirectory: "/",
            timeout: timeout, killGrace: killGrace)
        let result = try await command.run()
        return DriverCommandResult(
            exitStatus: result.exitStatus, standardOutput: result.outputText, standardError: result.errorText,
            timedOut: result.timedOut, duration: result.duration, outputComplete: result.outputComplete)
    }
}
