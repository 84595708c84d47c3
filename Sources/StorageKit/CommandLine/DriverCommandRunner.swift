import Foundation

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

    /// A result, as a runner or a test builds it.
    public init(
        exitStatus: Int32, standardOutput: String, standardError: String, timedOut: Bool, duration: Duration = .zero
    ) {
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
/// Blocking waits run on dedicated threads, not on Dispatch's global queues: on Linux those are as wide as the
/// CPU count, and blocked readers there would starve every other client (timers included).
public enum DriverCommandRunner {
    /// Runs `executable` with `arguments` (plus `environment` over the inherited one) and returns its output;
    /// throws only when it cannot be started.
    public static func run(
        executable: String, arguments: [String], environment: [String: String] = [:], timeout: Duration,
        killGrace: Duration = .seconds(2)
    ) async throws -> DriverCommandResult {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        // Every path in the arguments is absolute. Foundation would start the child in this process's working
        // directory, and fail when the tool's user cannot enter it (cron, su or the scheduler from a private
        // directory): start it in / instead.
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let state = RunState(process: process, started: ContinuousClock.now)
        return await withCheckedContinuation { continuation in
            state.onFinish { continuation.resume(returning: $0) }
            Thread.detachNewThread { state.collect(output.fileHandleForReading, isError: false) }
            Thread.detachNewThread { state.collect(errors.fileHandleForReading, isError: true) }
            Thread.detachNewThread { state.monitor(timeout: timeout, killGrace: killGrace) }
        }
    }
}

/// Shared state of one run; every field is guarded by `lock`.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private let process: Process
    private var output = Data()
    private var errors = Data()
    private var openStreams = 2
    private var exited = false
    private var timedOut = false
    private var delivered = false
    private var completion: ((DriverCommandResult) -> Void)?
    private let started: ContinuousClock.Instant
    private var ended: ContinuousClock.Instant?

    init(process: Process, started: ContinuousClock.Instant) {
        self.process = process
        self.started = started
    }

    func onFinish(_ completion: @escaping (DriverCommandResult) -> Void) {
        lock.withLock { self.completion = completion }
    }

    func collect(_ handle: FileHandle, isError: Bool) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            lock.withLock {
                if isError { errors.append(chunk) } else { output.append(chunk) }
            }
        }
        lock.withLock { openStreams -= 1 }
        deliverIfDone(force: false)
    }

    func monitor(timeout: Duration, killGrace: Duration) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var terminatedAt: ContinuousClock.Instant?
        let group = process.processIdentifier
        while process.isRunning {
            let now = clock.now
            if terminatedAt == nil, now >= deadline {
                lock.withLock { timedOut = true }
                // Foundation on Linux starts the child in its own process group; signal the group so grandchildren
                // go too, and the child itself in case it shares our group.
                kill(-group, SIGTERM)
                kill(group, SIGTERM)
                terminatedAt = now
            } else if let terminatedAt, now >= terminatedAt + killGrace {
                kill(-group, SIGKILL)
                kill(group, SIGKILL)
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        let killed = lock.withLock {
            exited = true
            ended = ContinuousClock.now
            return timedOut
        }
        if killed {
            // A grandchild that ignored the signals may still hold the pipes; do not wait for it.
            kill(-group, SIGKILL)
            usleep(100_000)
            deliverIfDone(force: true)
        } else {
            deliverIfDone(force: false)
        }
    }

    private func deliverIfDone(force: Bool) {
        let ready: (DriverCommandResult, (DriverCommandResult) -> Void)? = lock.withLock {
            guard !delivered, exited, force || openStreams == 0, let completion else { return nil }
            delivered = true
            let result = DriverCommandResult(
                exitStatus: process.terminationStatus, standardOutput: String(decoding: output, as: UTF8.self),
                standardError: String(decoding: errors, as: UTF8.self), timedOut: timedOut,
                duration: (ended ?? started) - started)
            return (result, completion)
        }
        if let (result, completion) = ready { completion(result) }
    }
}
