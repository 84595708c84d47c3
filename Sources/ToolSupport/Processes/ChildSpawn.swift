internal import CProcessSpawn
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The one way this package starts a child process: `oib_spawn_split` (fork + execve) on a thread that lives as long
// as the process. Foundation's `Process` is not used anywhere: on Linux (Swift 6.3.1) its `run()` reads
// /proc/self/fd past the end of glibc's buffer (swift-corelibs-foundation pull request 5472), which crashes the
// process or fails the start with EBADF when the garbage names a descriptor that is not open.

/// A thread that lives as long as the process and runs the jobs given to it one at a time, for work that must not
/// move between the threads of Dispatch and of Swift's task pool, which come and go.
package final class DedicatedThread: Sendable {
    /// The one thread that forks children: the parent-death signal fires when the *forking thread* ends.
    package static let spawn = DedicatedThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let pending = DispatchSemaphore(value: 0)

    /// Starts the thread.
    package init() {
        Thread.detachNewThread { [self] in
            while true {
                pending.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
    }

    /// Runs `body` on the thread and returns its result.
    package func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(returning: body()) } }
            pending.signal()
        }
    }

    /// Runs `body` on the thread and blocks the calling thread until it returns (for synchronous callers).
    package func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        jobs.withLock {
            $0.append {
                let value = body()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        pending.signal()
        done.wait()
        return result.withLock { $0! }
    }
}

/// Forks and executes children through the C shim; call only on ``DedicatedThread/spawn``.
package enum ChildSpawn {
    /// Starts `executable` (an absolute or relative path, not looked up) with `arguments` (the whole argv, the
    /// program name first) and `assignments` (`NAME=value`, the whole environment). `input` (or -1 for
    /// /dev/null), `output` and `error` become the child's descriptors 0, 1 and 2; nothing else is inherited.
    /// Returns 0 and the pid, or an errno value and no child.
    package static func spawn(
        _ executable: String, arguments: [String], assignments: [String], input: Int32, output: Int32,
        error: Int32, directory: String?
    ) -> (Int32, Int32) {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = assignments.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: Int32 = 0
        func attempt() -> Int32 {
            if let directory {
                return oib_spawn_split(executable, argv, envp, input, output, error, directory, &pid)
            }
            return oib_spawn_split(executable, argv, envp, input, output, error, nil, &pid)
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

    /// Reaps `pid` on a dedicated thread (which notes the time and tells the watchdog as soon as the child is
    /// gone) and, with a `timeout`, enforces it on another: SIGTERM to the child's process group, SIGKILL after
    /// `killGrace`. `onTimeout` runs before the first signal.
    package static func watch(
        pid: Int32, exit: ExitWaiter, timeout: Duration?, killGrace: Duration,
        onTimeout: @escaping @Sendable () -> Void
    ) {
        let exited = DispatchSemaphore(value: 0)
        let fired = Atomic<Bool>(false)
        Thread.detachNewThread {
            var status: Int32 = 0
            while true {
                if waitpid(pid, &status, 0) >= 0 { break }
                if errno == EINTR { continue }
                status = 255 << 8  // cannot be reaped (ECHILD): never report that as a success
                break
            }
            let ended = ContinuousClock.now
            if fired.load(ordering: .sequentiallyConsistent) {
                // The leader is gone; what is left of its group (children that survived SIGTERM) goes now, once,
                // right after the reap (the group id cannot name another group while members remain).
                kill(-pid, SIGKILL)
            }
            exited.signal()
            exit.deliver(status: status, ended: ended)
        }
        guard let timeout else { return }
        let deadline = DispatchTime.now() + dispatchInterval(timeout)
        Thread.detachNewThread {
            guard exited.wait(timeout: deadline) == .timedOut else { return }
            fired.store(true, ordering: .sequentiallyConsistent)
            onTimeout()
            kill(-pid, SIGTERM)
            if exited.wait(timeout: .now() + dispatchInterval(killGrace)) == .timedOut { kill(-pid, SIGKILL) }
        }
    }

    /// `duration` as a Dispatch interval (at most Int32.max seconds).
    package static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(Int(min(seconds, Int64(Int32.max))) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    /// A pipe whose both ends are close-on-exec (a child spawned concurrently for another command must not
    /// inherit them: it would keep the pipe open and hide EOF); nil with errno set when it cannot be made.
    package static func makePipe() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard createPipe(&ends, O_CLOEXEC) == 0 else { return nil }
        return (ends[0], ends[1])
    }

    /// Closes `descriptor`, ignoring errors.
    package static func close(_ descriptor: Int32) {
        #if canImport(Glibc)
            _ = Glibc.close(descriptor)
        #else
            _ = Darwin.close(descriptor)
        #endif
    }

    /// Writes all of `bytes`; stops quietly when the reader has gone (EPIPE; SIGPIPE is ignored by
    /// ``ignoreBrokenPipes``).
    package static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// Reads `descriptor` to EOF, handing each chunk to `body`, then closes it.
    package static func readToEnd(_ descriptor: Int32, _ body: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            body(Array(buffer[0..<count]))
        }
        close(descriptor)
    }

    /// A child that exits without reading its input must not kill us with SIGPIPE: writes then fail with EPIPE
    /// instead. (Children get every default disposition back in `oib_spawn_split`.)
    package static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}

/// `pipe2(2)`, which the Swift Glibc module does not import.
@_silgen_name("pipe2")
private func createPipe(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// Hands a child's wait status from its reaping thread to the awaiting caller, whichever comes first.
package final class ExitWaiter: Sendable {
    /// The raw wait status and when the child was reaped.
    package typealias Exit = (status: Int32, ended: ContinuousClock.Instant)
    private let state = Mutex<(exit: Exit?, waiters: [CheckedContinuation<Exit, Never>])>((nil, []))
    private let delivered = DispatchSemaphore(value: 0)

    /// An exit not delivered yet.
    package init() {}

    /// Called once, by the reaping thread.
    package func deliver(status: Int32, ended: ContinuousClock.Instant) {
        let waiters = state.withLock { current -> [CheckedContinuation<Exit, Never>] in
            current.exit = (status, ended)
            defer { current.waiters = [] }
            return current.waiters
        }
        delivered.signal()
        for waiter in waiters { waiter.resume(returning: (status, ended)) }
    }

    /// Whether the child has been reaped.
    package var hasExited: Bool { state.withLock { $0.exit != nil } }

    /// The exit, once the child has been reaped.
    package func wait() async -> Exit {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { current -> Exit? in
                if let exit = current.exit { return exit }
                current.waiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    /// The exit; blocks the calling thread until the child has been reaped.
    package func waitBlocking() -> Exit {
        if let exit = state.withLock({ $0.exit }) { return exit }
        delivered.wait()
        delivered.signal()  // for any other blocking waiter
        return state.withLock { $0.exit! }
    }
}

/// Finds a program the way a shell does: a name with a `/` is used as given, a bare name is looked up in the
/// directories of `PATH` (as the original ran `mount <mountpoint>` for an fstab `user` entry).
public enum ExecutableSearch {
    /// Used when neither the request nor this process has a `PATH`.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

    /// The executable file `name` stands for, or nil when there is none. A relative result (a relative `name` or
    /// PATH entry) is made absolute against the current directory, so a child started in another directory runs
    /// the file that was checked.
    public static func resolve(_ name: String, searchPath: String?) -> String? {
        guard !name.isEmpty else { return nil }
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? absolute(name) : nil }
        for directory in (searchPath ?? defaultPath).split(separator: ":", omittingEmptySubsequences: false) {
            // An empty PATH entry means the current directory, as in a shell.
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return absolute(candidate)
            }
        }
        return nil
    }

    /// Why `name` cannot be run: not found (in `searchPath` for a bare name) or not executable.
    public static func failure(_ name: String, searchPath: String?) -> String {
        if !name.contains("/") { return "\(name) not found in PATH (\(searchPath ?? defaultPath))" }
        return FileManager.default.fileExists(atPath: name) ? "\(name) is not executable" : "\(name) not found"
    }
}
