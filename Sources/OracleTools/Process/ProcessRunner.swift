import CProcessSpawn
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
        _ = Self.ignoreBrokenPipes
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
                    Self.writeAll(input, to: inputDescriptor)
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
        if state.timedOut.load(ordering: .sequentiallyConsistent) {
            // The leader is gone; whatever else is left of its group (background children that survived
            // SIGTERM) is killed now rather than left running.
            kill(-child.pid, SIGKILL)
        }
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

    /// A child that exits without reading its input must not kill us with SIGPIPE: writes then fail with EPIPE
    /// instead. (Children get every default disposition back in `oib_spawn`.)
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Shared between the reader thread, the timeout task and the caller.
    final class RunState: Sendable {
        let output = Mutex<[UInt8]>([])
        let timedOut = Atomic<Bool>(false)
    }

    static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(Int(min(seconds, Int64(Int32.max))) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
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
            if !request.executable.contains("/") {
                throw failure("\(request.executable) not found in PATH (\(searchPath ?? ExecutableSearch.defaultPath))")
            }
            throw failure(
                FileManager.default.fileExists(atPath: request.executable)
                    ? "\(request.executable) is not executable" : "\(request.executable) not found")
        }
        // Close-on-exec: a child spawned concurrently for another request must not inherit these ends
        // (it would keep our output pipe open and hide EOF). The child's copies on 0/1/2 are inheritable.
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        guard createPipe(&outputPipe, O_CLOEXEC) == 0 else {
            throw failure("pipe: \(String(cString: strerror(errno)))")
        }
        if request.standardInput != nil {
            guard createPipe(&inputPipe, O_CLOEXEC) == 0 else {
                closeFileDescriptor(outputPipe[0])
                closeFileDescriptor(outputPipe[1])
                throw failure("pipe: \(String(cString: strerror(errno)))")
            }
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
        let (result, pid, started) = await SpawnThread.shared.run {
            let (result, pid) = Self.forkAndExec(
                executable, arguments, assignments, input: inputEnd, output: outputEnd, directory)
            let started = ContinuousClock.now
            // The child's ends are the child's now; our copies would hide the end of its output.
            closeFileDescriptor(outputEnd)
            if inputEnd >= 0 { closeFileDescriptor(inputEnd) }
            if result == 0 {
                Self.watch(pid: pid, exit: exit, timeout: timeout, killGrace: killGrace, state: state)
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

    /// Runs on the spawn thread: the child gets its own process group and dies with this process
    /// (`PR_SET_PDEATHSIG`); see `oib_spawn`.
    private static func forkAndExec(
        _ executable: String, _ arguments: [String], _ assignments: [String], input: Int32, output: Int32,
        _ directory: String?
    ) -> (Int32, pid_t) {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = assignments.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        func attempt() -> Int32 {
            if let directory { return oib_spawn(executable, argv, envp, input, output, directory, &pid) }
            return oib_spawn(executable, argv, envp, input, output, nil, &pid)
        }
        var result = attempt()
        // ETXTBSY: a just-written script is still open for writing in a process forked concurrently elsewhere
        // in this program; that descriptor disappears at its exec, so retry briefly.
        var attempts = 0
        while result == ETXTBSY && attempts < 50 {
            attempts += 1
            usleep(20_000)
            result = attempt()
        }
        return (result, pid)
    }

    /// Runs on the spawn thread right after the fork: reaps `pid` on a dedicated thread (which notes the time and
    /// signals the watchdog as soon as the child is gone) and enforces `timeout` on another.
    private static func watch(
        pid: pid_t, exit: ExitWaiter, timeout: Duration?, killGrace: Duration, state: RunState
    ) {
        let exited = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let ended = ContinuousClock.now
            exited.signal()
            exit.deliver(status: status, ended: ended)
        }
        guard let timeout else { return }
        let deadline = DispatchTime.now() + dispatchInterval(timeout)
        Thread.detachNewThread {
            guard exited.wait(timeout: deadline) == .timedOut else { return }
            state.timedOut.store(true, ordering: .sequentiallyConsistent)
            kill(-pid, SIGTERM)
            if exited.wait(timeout: .now() + dispatchInterval(killGrace)) == .timedOut { kill(-pid, SIGKILL) }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // EPIPE: the child stopped reading.
            }
            offset += written
        }
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

func closeFileDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(descriptor)
    #else
        _ = Darwin.close(descriptor)
    #endif
}

/// `pipe2(2)`, which the Swift Glibc module does not import.
@_silgen_name("pipe2")
func createPipe(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// Hands a child's wait status from its reaping thread to the awaiting caller, whichever comes first.
final class ExitWaiter: Sendable {
    typealias Exit = (status: Int32, ended: ContinuousClock.Instant)
    private let state = Mutex<(exit: Exit?, waiter: CheckedContinuation<Exit, Never>?)>((nil, nil))

    func deliver(status: Int32, ended: ContinuousClock.Instant) {
        let waiter = state.withLock { current -> CheckedContinuation<Exit, Never>? in
            if let waiter = current.waiter {
                current.waiter = nil
                return waiter
            }
            current.exit = (status, ended)
            return nil
        }
        waiter?.resume(returning: (status, ended))
    }

    func wait() async -> Exit {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { current -> Exit? in
                if let exit = current.exit { return exit }
                current.waiter = continuation
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }
}

/// The one thread that forks children. The parent-death signal fires when the *forking thread* ends, and the
/// threads of Dispatch and of Swift's task pool come and go, so every fork happens on this thread, which lives as
/// long as the process.
final class SpawnThread: Sendable {
    static let shared = SpawnThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let pending = DispatchSemaphore(value: 0)

    private init() {
        Thread.detachNewThread { [self] in
            while true {
                pending.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
    }

    /// Runs `body` on the spawn thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(returning: body()) } }
            pending.signal()
        }
    }
}

/// Finds a program the way a shell does: a name with a `/` is used as given, a bare name is looked up in the
/// directories of `PATH` (as the original ran `mount <mountpoint>` for an fstab `user` entry).
public enum ExecutableSearch {
    /// Used when neither the request nor this process has a `PATH`.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

    /// The executable file `name` stands for, or nil when there is none.
    public static func resolve(_ name: String, searchPath: String?) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (searchPath ?? defaultPath).split(separator: ":", omittingEmptySubsequences: false) {
            // An empty PATH entry means the current directory, as in a shell.
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }
}
