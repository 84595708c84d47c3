import Dispatch
import Foundation
import Logging
import Synchronization
import ToolSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What to run: program, arguments, environment, the text fed on standard input, and a time limit.
public struct ProcessRequest: Sendable {
    /// The program: a path, or a bare name looked up in the child's `PATH` (else ours).
    public var executable: String
    /// The arguments after the program name.
    public var arguments: [String]
    /// The complete environment of the child (not merged with ours).
    public var environment: [String: String]
    /// Written to the child's standard input, which is then closed; `nil` connects `/dev/null`.
    public var standardInput: String?
    /// The child's whole process group is killed when this elapses; `nil` for no limit.
    public var timeout: Duration?
    /// The directory the child starts in; `nil` keeps ours.
    public var workingDirectory: String?
    /// Texts replaced by `****` wherever output or the command line is logged (e.g. an OS password).
    public var secrets: [String]

    /// A request; only the program and the complete environment are required.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String],
        standardInput: String? = nil, timeout: Duration? = nil, workingDirectory: String? = nil,
        secrets: [String] = []
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.timeout = timeout
        self.workingDirectory = workingDirectory
        self.secrets = secrets
    }

    /// The command line for messages, secrets masked.
    public var displayCommand: String {
        Redaction.mask(([executable] + arguments).joined(separator: " "), secrets: secrets)
    }
}

/// How a child process ended.
public enum ProcessTermination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signalled(let signal): "signal \(signal)"
        }
    }
}

/// The result of a finished child process, returned as data (a non-zero exit is not an error here).
public struct ProcessOutcome: Sendable {
    /// The exit code or the signal that ended the child.
    public var termination: ProcessTermination
    /// Standard output and standard error, interleaved as the child wrote them.
    public var output: String
    /// True when the time limit killed the process group.
    public var timedOut: Bool
    /// Wall-clock time from the fork to the child's exit.
    public var duration: Duration

    /// True for exit code 0 within the time limit.
    public var succeeded: Bool { termination == .exited(0) && !timedOut }

    /// The exit code, or 128+signal as shells report it.
    public var exitCode: Int32 {
        switch termination {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
    }

    /// The last `count` lines of output, for error messages.
    public func outputTail(lines count: Int = 20) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }
}

/// A child process could not be started at all.
public struct ProcessLaunchError: Error, Sendable, CustomStringConvertible {
    /// The command line, secrets masked.
    public var command: String
    /// Why it did not start: not found, not executable, a system error, or stopping after a termination signal.
    public var reason: String
    public var description: String { "cannot run \(command): \(reason)" }
}

/// Masks secrets in text that is about to be logged.
public enum Redaction {
    /// `text` with every occurrence of each non-empty secret replaced by `****`.
    public static func mask(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty {
            result = result.replacingOccurrences(of: secret, with: "****")
        }
        return result
    }
}

/// Runs child processes in their own process group, streams their output line by line, and enforces a timeout
/// that kills the whole group (SIGTERM, then SIGKILL after a grace period).
///
/// Children die with this process (parent-death signal SIGKILL), are registered in ``ChildProcesses`` while they
/// run (held locks record them; a signal stops them) and carry ``ProcessTable/ownerVariable``.
public struct ProcessRunner: Sendable {
    /// Time between SIGTERM and SIGKILL when a timeout fires.
    public var killGracePeriod: Duration

    /// A runner that waits `killGracePeriod` between SIGTERM and SIGKILL when a time limit fires.
    public init(killGracePeriod: Duration = .seconds(5)) {
        self.killGracePeriod = killGracePeriod
    }

    /// Runs `request` to completion.
    /// - Parameter onLine: called for every output line (secrets already masked), in order, from a reader thread.
    public func run(_ request: ProcessRequest, onLine: (@Sendable (String) -> Void)? = nil)
        async throws(ProcessLaunchError) -> ProcessOutcome
    {
        _ = ChildSpawn.ignoreBrokenPipes
        let state = RunState()
        // Blocking work (writing input, reading output, waitpid, the time limit) runs on dedicated threads started
        // by the spawn thread right after the fork, never on the shared dispatch or Swift concurrency pools: on a
        // 2-core machine those have two threads, a blocked one would stall unrelated tasks, and a busy pool could
        // resume us long after the child started (its input would then arrive late).
        let input = request.standardInput.map { Array($0.utf8) }
        let secrets = request.secrets
        let readerDone = DispatchSemaphore(value: 0)
        let startIO: @Sendable (Int32, Int32) -> Void = { inputDescriptor, outputDescriptor in
            // Standard input is fed on its own thread so a child that does not read cannot block us.
            if let input, inputDescriptor >= 0 {
                Thread.detachNewThread {
                    ChildSpawn.writeAll(input, to: inputDescriptor)
                    closeFileDescriptor(inputDescriptor)
                }
            }
            Thread.detachNewThread {
                Self.readLines(from: outputDescriptor) { bytes, line in
                    state.output.withLock { $0.append(contentsOf: bytes) }
                    if let line, let onLine { onLine(Redaction.mask(line, secrets: secrets)) }
                }
                readerDone.signal()
            }
        }
        let child = try await spawn(request, killGrace: killGracePeriod, state: state, startIO: startIO)
        let started = child.started
        let group = ChildGroup(group: child.pid, startTime: ProcessTable.record(child.pid)?.startTime ?? 0)
        ChildProcesses.started(group)
        if !Interruption.mayStartChildren {
            // A signal arrived while this child started: it is stopped like the others.
            Thread.detachNewThread { ChildProcesses.terminate([group], grace: Interruption.childGracePeriod) }
        }

        // The exit is reaped, signalled and timed on a thread started right after the fork, and the time limit is
        // watched on another: a busy task pool may resume us much later, and neither the kill nor the reported
        // duration may depend on that.
        let (status, ended) = await child.exit.wait()
        ChildProcesses.finished(group)
        // After a time limit, the reaper has already killed what was left of the group (ChildSpawn.watch).
        // Wait for the output to drain; a grandchild that keeps the pipe open must not hang us forever.
        let drained = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: readerDone.wait(timeout: .now() + .seconds(5)) == .success)
            }
        }
        if !drained { onLine?("(output still open after the process ended; stopped reading)") }

        let termination: ProcessTermination =
            status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        let bytes = state.output.withLock { $0 }
        return ProcessOutcome(
            termination: termination, output: String(decoding: bytes, as: UTF8.self),
            timedOut: state.timedOut.load(ordering: .sequentiallyConsistent),
            duration: ended - started)
    }

    /// Shared between the reader thread, the timeout task and the caller.
    final class RunState: Sendable {
        let output = Mutex<[UInt8]>([])
        let timedOut = Atomic<Bool>(false)
    }

    struct SpawnedChild {
        var pid: pid_t
        /// When the child was forked: the time limit and the duration count from here, not from when a busy task
        /// pool got round to resuming the caller.
        var started: ContinuousClock.Instant
        /// Delivers the child's wait status and the time it ended.
        var exit: ExitWaiter
    }

    /// Forks the child on the spawn thread, which then starts the watchers and `startIO(input, output)` (the
    /// parent's ends of the child's standard input, or -1, and of its output).
    private func spawn(
        _ request: ProcessRequest, killGrace: Duration, state: RunState,
        startIO: @escaping @Sendable (Int32, Int32) -> Void
    ) async throws(ProcessLaunchError) -> SpawnedChild {
        func failure(_ reason: String) -> ProcessLaunchError {
            ProcessLaunchError(command: request.displayCommand, reason: reason)
        }
        if let signal = Interruption.signal, !Interruption.mayStartChildren {
            throw failure("not started: stopping after \(Interruption.name(signal))")
        }
        let searchPath = request.environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
        guard let resolvedExecutable = ExecutableSearch.resolve(request.executable, searchPath: searchPath) else {
            throw failure(ExecutableSearch.failure(request.executable, searchPath: searchPath))
        }
        // Close-on-exec: a child spawned concurrently for another request must not inherit these ends
        // (it would keep our output pipe open and hide EOF). The child's copies on 0/1/2 are inheritable.
        var inputPipe: [Int32] = [-1, -1]
        guard let outputEnds = ChildSpawn.makePipe() else {
            throw failure("pipe: \(String(cString: strerror(errno)))")
        }
        let outputPipe = [outputEnds.read, outputEnds.write]
        if request.standardInput != nil {
            guard let inputEnds = ChildSpawn.makePipe() else {
                let reason = "pipe: \(String(cString: strerror(errno)))"
                closeFileDescriptor(outputPipe[0])
                closeFileDescriptor(outputPipe[1])
                throw failure(reason)
            }
            inputPipe = [inputEnds.read, inputEnds.write]
        }
        // Every child carries the identity of this run, so a later run can prove a leftover process is ours.
        var environment = request.environment
        environment[ProcessTable.ownerVariable] = ProcessTable.ownerValue
        let arguments = [request.executable] + request.arguments
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let (inputEnd, outputEnd) = (inputPipe[0], outputPipe[1])
        let (executable, directory) = (resolvedExecutable, request.workingDirectory)
        let exit = ExitWaiter()
        let timeout = request.timeout
        let (parentInput, parentOutput) = (inputPipe[1], outputPipe[0])
        let (result, pid, started) = await DedicatedThread.spawn.run {
            let (result, pid) = ChildSpawn.spawn(
                executable, arguments: arguments, assignments: assignments, input: inputEnd, output: outputEnd,
                error: outputEnd, directory: directory)
            let started = ContinuousClock.now
            // The child's ends are the child's now; our copies would hide the end of its output.
            closeFileDescriptor(outputEnd)
            if inputEnd >= 0 { closeFileDescriptor(inputEnd) }
            if result == 0 {
                ChildSpawn.watch(
                    pid: pid, exit: exit, timeout: timeout, killGrace: killGrace,
                    onTimeout: { state.timedOut.store(true, ordering: .sequentiallyConsistent) })
                startIO(parentInput, parentOutput)
            }
            return (result, pid, started)
        }
        guard result == 0 else {
            closeFileDescriptor(outputPipe[0])
            if request.standardInput != nil { closeFileDescriptor(inputPipe[1]) }
            throw failure(String(cString: strerror(result)))
        }
        return SpawnedChild(
            pid: pid, started: started, exit: exit)
    }

    /// Reads until EOF; calls `body` with each chunk's bytes and each complete line (the rest at EOF).
    private static func readLines(from descriptor: Int32, _ body: ([UInt8], String?) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [UInt8] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            let chunk = Array(buffer[0..<count])
            body(chunk, nil)
            pending.append(contentsOf: chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                body([], String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { body([], String(decoding: pending, as: UTF8.self)) }
        closeFileDescriptor(descriptor)
    }
}

func closeFileDescriptor(_ descriptor: Int32) { ChildSpawn.close(descriptor) }

/// Kept for source compatibility: the search now lives in ToolSupport, which starts every child of this package.
public typealias ExecutableSearch = ToolSupport.ExecutableSearch
