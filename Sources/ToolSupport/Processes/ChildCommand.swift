import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command to run as a child process with its standard output and standard error kept apart: for drivers that
/// drive a command-line tool (btrfs, zfs), for embedding programs and for tests that run the built tools.
///
/// The child gets its own process group, dies with this process (parent-death signal, Linux; cleared by the kernel
/// when the child executes a set-user-ID program such as `sudo` or changes its credentials, as `runuser` and
/// `setpriv` do), inherits no descriptor but 0, 1 and 2, and starts in ``workingDirectory``. Oracle's tools have their own runner in
/// OracleTools, which interleaves both streams and masks secrets.
public struct ChildCommand: Sendable {
    /// The program: a path, or a bare name looked up in ``environment``'s `PATH` (else ours).
    public var executable: String
    /// The arguments after the program name.
    public var arguments: [String]
    /// The complete environment of the child (not merged with ours).
    public var environment: [String: String]
    /// Written to the child's standard input, which is then closed; `nil` connects `/dev/null`.
    public var standardInput: [UInt8]?
    /// The directory the child starts in; `nil` keeps ours.
    public var workingDirectory: String?
    /// The child's process group gets SIGTERM when this elapses, SIGKILL ``killGrace`` later; `nil` for no limit.
    public var timeout: Duration?
    /// Time between SIGTERM and SIGKILL when ``timeout`` fires.
    public var killGrace: Duration
    /// Whether the child carries ``ProcessTable/ownerVariable`` with this process's identity (so a later run can
    /// prove a leftover process was ours); off, ``environment`` is passed as it is.
    public var marksOwner = true
    /// When set, standard output goes to this file (created or truncated) instead of the result: a child killed
    /// mid-run may leave grandchildren that hold a pipe open, but not a file.
    public var standardOutputPath: String?
    /// When set, standard error goes to this file (created or truncated) instead of the result.
    public var standardErrorPath: String?
    /// Standard error goes where standard output goes, interleaved as the child writes them (``standardErrorPath``
    /// is then ignored and the result's standard error is empty).
    public var mergesErrorIntoOutput = false

    /// A command; the environment defaults to this process's.
    public init(
        executable: String, arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment, standardInput: [UInt8]? = nil,
        workingDirectory: String? = nil, timeout: Duration? = nil, killGrace: Duration = .seconds(2),
        standardOutputPath: String? = nil, standardErrorPath: String? = nil
    ) {
        self.standardOutputPath = standardOutputPath
        self.standardErrorPath = standardErrorPath
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.killGrace = killGrace
    }

    /// A command whose standard input is `text` (UTF-8).
    public init(
        executable: String, arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment, input text: String,
        workingDirectory: String? = nil, timeout: Duration? = nil, killGrace: Duration = .seconds(2)
    ) {
        self.init(
            executable: executable, arguments: arguments, environment: environment, standardInput: Array(text.utf8),
            workingDirectory: workingDirectory, timeout: timeout, killGrace: killGrace)
    }

    /// Starts the command; throws only when it cannot be started (or an output file cannot be opened).
    public func start() async throws(ChildCommandLaunchError) -> RunningChild {
        let prepared = try prepare()
        return try prepared.finish(await DedicatedThread.spawn.run { prepared.spawn() })
    }

    /// Starts the command, blocking the calling thread briefly (for synchronous callers).
    public func startBlocking() throws(ChildCommandLaunchError) -> RunningChild {
        let prepared = try prepare()
        return try prepared.finish(DedicatedThread.spawn.runBlocking { prepared.spawn() })
    }

    /// Runs the command to its end and returns what it printed; throws only when it cannot be started.
    public func run() async throws(ChildCommandLaunchError) -> ChildCommandResult {
        try await start().wait()
    }

    /// Runs the command to its end, blocking the calling thread (for synchronous callers).
    public func runBlocking() throws(ChildCommandLaunchError) -> ChildCommandResult {
        try startBlocking().waitBlocking()
    }

    /// The command line for messages.
    public var displayCommand: String { ([executable] + arguments).joined(separator: " ") }

    private func prepare() throws(ChildCommandLaunchError) -> PreparedSpawn {
        _ = ChildSpawn.ignoreBrokenPipes
        func failure(_ reason: String) -> ChildCommandLaunchError {
            ChildCommandLaunchError(command: displayCommand, reason: reason)
        }
        let searchPath = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
        guard let resolved = ExecutableSearch.resolve(executable, searchPath: searchPath) else {
            throw failure(ExecutableSearch.failure(executable, searchPath: searchPath))
        }
        // A file sink is a descriptor the parent opened (read end -1); a pipe sink is read by a thread.
        var sinks: [(read: Int32, write: Int32)] = []
        func closeAll() {
            for sink in sinks {
                if sink.read >= 0 { ChildSpawn.close(sink.read) }
                if sink.write >= 0 { ChildSpawn.close(sink.write) }
            }
        }
        func makeSink(_ path: String?) throws(ChildCommandLaunchError) {
            if let path {
                let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard descriptor >= 0 else {
                    let reason = "\(path): \(String(cString: strerror(errno)))"
                    closeAll()
                    throw failure(reason)
                }
                sinks.append((-1, descriptor))
            } else {
                guard let pipe = ChildSpawn.makePipe() else {
                    let reason = "pipe: \(String(cString: strerror(errno)))"
                    closeAll()
                    throw failure(reason)
                }
                sinks.append(pipe)
            }
        }
        try makeSink(standardOutputPath)
        if mergesErrorIntoOutput {
            sinks.append((-1, -1))  // no descriptor of its own: the child gets the output's
        } else {
            try makeSink(standardErrorPath)
        }
        if standardInput != nil { try makeSink(nil) }
        var assignments = environment
        if marksOwner { assignments[ProcessTable.ownerVariable] = ProcessTable.ownerValue }
        return PreparedSpawn(
            command: self, resolved: resolved,
            assignments: assignments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            output: sinks[0], error: sinks[1], input: sinks.count > 2 ? sinks[2] : nil)
    }
}

/// The pipes and resolved program of a command about to start.
private struct PreparedSpawn: Sendable {
    var command: ChildCommand
    var resolved: String
    var assignments: [String]
    var output: (read: Int32, write: Int32)
    var error: (read: Int32, write: Int32)
    var input: (read: Int32, write: Int32)?

    /// On the spawn thread: forks, closes the child's ends, and on success starts the reaper, the watchdog and
    /// the I/O threads right away (a busy task pool may resume the caller much later).
    func spawn() -> (Int32, RunningChild?) {
        let (result, pid) = ChildSpawn.spawn(
            resolved, arguments: [command.executable] + command.arguments, assignments: assignments,
            input: input?.read ?? -1, output: output.write, error: error.write >= 0 ? error.write : output.write,
            directory: command.workingDirectory)
        let started = ContinuousClock.now
        ChildSpawn.close(output.write)
        if error.write >= 0 { ChildSpawn.close(error.write) }
        if let input { ChildSpawn.close(input.read) }
        guard result == 0 else {
            if output.read >= 0 { ChildSpawn.close(output.read) }
            if error.read >= 0 { ChildSpawn.close(error.read) }
            if let input { ChildSpawn.close(input.write) }
            return (result, nil)
        }
        let child = RunningChild(pid: pid, started: started)
        ChildSpawn.watch(
            pid: pid, exit: child.exit, timeout: command.timeout, killGrace: command.killGrace,
            onTimeout: { child.timedOut.store(true, ordering: .sequentiallyConsistent) })
        if let input, let bytes = command.standardInput {
            Thread.detachNewThread {
                ChildSpawn.writeAll(bytes, to: input.write)
                ChildSpawn.close(input.write)
            }
        }
        for (descriptor, isError) in [(output.read, false), (error.read, true)] {
            guard descriptor >= 0 else {
                child.streamsDone.signal()  // a file: nothing to read
                continue
            }
            Thread.detachNewThread {
                ChildSpawn.readToEnd(descriptor) { chunk in
                    child.buffers.withLock { buffers in
                        if isError { buffers.error += chunk } else { buffers.output += chunk }
                    }
                }
                child.streamsDone.signal()
            }
        }
        return (0, child)
    }

    func finish(_ spawned: (Int32, RunningChild?)) throws(ChildCommandLaunchError) -> RunningChild {
        guard let child = spawned.1 else {
            throw ChildCommandLaunchError(
                command: command.displayCommand, reason: String(cString: strerror(spawned.0)))
        }
        return child
    }
}

/// A started child: its pid (also its process group), signals, and its result once it has ended.
public final class RunningChild: Sendable {
    /// The child's pid, which is also its process group id.
    public let pid: Int32
    /// When the child was forked.
    public let started: ContinuousClock.Instant
    let exit = ExitWaiter()
    let timedOut = Atomic<Bool>(false)
    let buffers = Mutex<(output: [UInt8], error: [UInt8])>(([], []))
    /// Signalled once by each of the two reader threads at EOF.
    let streamsDone = DispatchSemaphore(value: 0)
    private let drained = Mutex<Bool?>(nil)

    init(pid: Int32, started: ContinuousClock.Instant) {
        self.pid = pid
        self.started = started
    }

    /// Sends `signal` to the child's whole process group (SIGTERM by default).
    public func signalGroup(_ signal: Int32 = SIGTERM) { kill(-pid, signal) }

    /// Sends `signal` to the child alone.
    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// What the child has written to standard output so far (empty when it goes to a file).
    public var outputSoFar: [UInt8] { buffers.withLock { $0.output } }

    /// Waits until the child's standard output contains `text` (true), or the child has ended or `limit` has
    /// passed without it (false). The watching runs on a thread of its own, so a busy task pool cannot make the
    /// caller miss a short window after the text appeared by more than the pool's own delay.
    public func waitForOutput(containing text: String, within limit: Duration) async -> Bool {
        let needle = Array(text.utf8)
        let deadline = ContinuousClock.now + limit
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                while true {
                    if self.contains(self.outputSoFar, needle) { return continuation.resume(returning: true) }
                    if !self.isRunning {
                        // Ended: once the readers have the last chunk, look a final time.
                        _ = self.drain()
                        return continuation.resume(returning: self.contains(self.outputSoFar, needle))
                    }
                    if ContinuousClock.now >= deadline { return continuation.resume(returning: false) }
                    usleep(10_000)
                }
            }
        }
    }

    /// Whether the child has not been reaped yet.
    public var isRunning: Bool { !exit.hasExited }

    /// Waits for the child to end and its output to drain (at most 5 s after the end: a grandchild that keeps a
    /// pipe open must not hang the caller) and returns the result.
    public func wait() async -> ChildCommandResult {
        let (status, ended) = await exit.wait()
        let isDrained = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.drain()) }
        }
        return result(status: status, ended: ended, drained: isDrained)
    }

    /// As ``wait()``, blocking the calling thread.
    public func waitBlocking() -> ChildCommandResult {
        let (status, ended) = exit.waitBlocking()
        return result(status: status, ended: ended, drained: drain())
    }

    private func contains(_ output: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, output.count >= needle.count else { return false }
        return (0...(output.count - needle.count)).contains { output[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Waits (at most 5 s) for both readers to reach EOF; the group of a timed-out child was killed by the reaper.
    private func drain() -> Bool {
        drained.withLock { known in
            if let known { return known }
            let deadline = DispatchTime.now() + .seconds(5)
            let complete =
                streamsDone.wait(timeout: deadline) == .success && streamsDone.wait(timeout: deadline) == .success
            known = complete
            return complete
        }
    }

    private func result(status: Int32, ended: ContinuousClock.Instant, drained: Bool) -> ChildCommandResult {
        let signal = status & 0x7f
        let (output, error) = buffers.withLock { $0 }
        return ChildCommandResult(
            exitStatus: signal == 0 ? (status >> 8) & 0xff : 128 + signal, signal: signal == 0 ? nil : signal,
            standardOutput: output, standardError: error,
            timedOut: timedOut.load(ordering: .sequentiallyConsistent), outputComplete: drained,
            duration: ended - started)
    }
}

/// How a ``ChildCommand`` ended and what it printed.
public struct ChildCommandResult: Sendable {
    /// The exit code, or 128 + the signal that ended the child.
    public var exitStatus: Int32
    /// The signal that ended the child, if one did.
    public var signal: Int32?
    /// Everything it wrote to standard output.
    public var standardOutput: [UInt8]
    /// Everything it wrote to standard error.
    public var standardError: [UInt8]
    /// Whether the time limit fired.
    public var timedOut: Bool
    /// False when a grandchild still held a pipe open 5 s after the child ended (the output may be cut short).
    public var outputComplete: Bool
    /// From the fork to the child's exit, measured on the thread that reaped it.
    public var duration: Duration

    /// Standard output as UTF-8 text.
    public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var errorText: String { String(decoding: standardError, as: UTF8.self) }
    /// True for exit code 0 within the time limit.
    public var succeeded: Bool { exitStatus == 0 && signal == nil && !timedOut }
}

/// A ``ChildCommand`` could not be started at all.
public struct ChildCommandLaunchError: Error, Sendable, CustomStringConvertible {
    /// The command line.
    public var command: String
    /// Why it did not start: not found, not executable, or a system error.
    public var reason: String
    public var description: String { "cannot run \(command): \(reason)" }
}
