import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT handling shared by the tools.
///
/// The first signal is recorded, observers are told (run logs say why the run stops), and the running children's
/// process groups are stopped (SIGTERM, SIGKILL after a grace period). The run then fails at its current step and
/// goes through its normal clean-up: no new child starts except inside ``allowingChildren(_:)`` (clean-up such as
/// aborting an instance or unmounting a clone), locks are released, and the tool exits with 128 + the signal.
/// A second signal ends the process at once (its children die with it).
public enum Interruption {
    static let received = Atomic<Int32>(0)
    static let observers = Mutex<[(id: UInt64, observer: @Sendable (Int32) -> Void)]>([])
    static let nextObserverID = Atomic<UInt64>(1)
    static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// Time children get between SIGTERM and SIGKILL.
    public static let childGracePeriod: Duration = .seconds(5)

    /// The first signal received, if any.
    public static var signal: Int32? {
        let value = received.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// `SIGTERM`, `SIGINT`, or `signal N`.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// Handles SIGTERM and SIGINT from now on (idempotent).
    public static func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGTERM, SIGINT] {
                Glibc.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { deliver(number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Acts on a received signal (also the entry point for tests).
    static func deliver(_ number: Int32) {
        let (exchanged, _) = received.compareExchange(
            expected: 0, desired: number, ordering: .sequentiallyConsistent)
        guard exchanged else {
            // Second signal: stop now. Children in their own groups are killed; the rest die with us.
            for child in ChildProcesses.current { kill(-child.group, SIGKILL) }
            _exit(128 + number)
        }
        for entry in observers.withLock({ $0 }) { entry.observer(number) }
        let children = ChildProcesses.current
        Thread.detachNewThread { ChildProcesses.terminate(children, grace: childGracePeriod) }
    }

    /// Calls `observer` (from a signal-handling thread) when the first signal arrives, until the returned
    /// registration is cancelled: a run cancels its own when it ends, so a long-lived embedder that runs many jobs
    /// does not keep one observer (and what it captures) per finished run.
    @discardableResult
    public static func onSignal(_ observer: @escaping @Sendable (Int32) -> Void) -> SignalObserver {
        let id = nextObserverID.add(1, ordering: .relaxed).oldValue
        observers.withLock { $0.append((id, observer)) }
        return SignalObserver(id: id)
    }

    /// How many observers are registered (for tests and diagnostics).
    public static var observerCount: Int { observers.withLock { $0.count } }

    /// A registration made by ``onSignal(_:)``.
    public struct SignalObserver: Sendable {
        let id: UInt64

        /// Stops calling the observer; cancelling twice does nothing.
        public func cancel() {
            Interruption.observers.withLock { $0.removeAll { $0.id == id } }
        }
    }

    @TaskLocal static var childrenAllowed = false

    /// True when a new child may start: no signal received, or the caller is cleaning up.
    public static var mayStartChildren: Bool { signal == nil || childrenAllowed }

    /// Runs clean-up that must still start children after a signal (abort an instance, unmount a clone).
    public static func allowingChildren<T>(_ body: () async throws -> T) async rethrows -> T {
        try await $childrenAllowed.withValue(true) { try await body() }
    }

    /// The message a tool prints when it stops because of `signal`.
    public static func stopMessage(tool: String, signal: Int32) -> String {
        "\(tool) stopped by \(name(signal)): running children were stopped, locks released, "
            + "exit code \(128 + signal)"
    }
}
