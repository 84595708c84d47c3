import Dispatch
import Foundation
import Synchronization

/// Runs an operation with a time limit that holds even when the operation blocks its thread and ignores
/// cancellation (a `stat` on a hung hard NFS mount, a read blocked in the kernel): the caller gets
/// ``DeadlineExceeded`` on time and the operation is left to finish or hang on its own. Meant for read-only work in
/// short-lived tools, whose exit ends what is left.
///
/// The operation runs on threads of its own (``BlockingWorkExecutor``) and the time is kept by a thread of its own,
/// so blocked operations can use up neither Swift's cooperative threads (as many as cores) nor the timer.
public enum Deadline {
    /// `operation`'s result, or ``DeadlineExceeded`` when it has not finished within `limit`.
    public static func run<T: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            let finished = DispatchSemaphore(value: 0)
            let nanoseconds =
                max(0, limit.components.seconds) * 1_000_000_000
                + limit.components.attoseconds / 1_000_000_000
            Thread.detachNewThread {
                if finished.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .timedOut {
                    once.resume(.failure(DeadlineExceeded(limit: limit)))
                }
            }
            Task(executorPreference: BlockingWorkExecutor.shared) {
                do { once.resume(.success(try await operation())) } catch { once.resume(.failure(error)) }
                finished.signal()
            }
        }
    }
}

/// Runs every job on a new thread, outside Swift's cooperative pool: work that may block its thread for good (file
/// system calls on a hung mount) cannot starve the rest of the program.
public final class BlockingWorkExecutor: TaskExecutor, Sendable {
    /// The executor ``Deadline`` runs its operations on.
    public static let shared = BlockingWorkExecutor()

    /// Runs `job` on a new thread of its own.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        Thread.detachNewThread { job.runSynchronously(on: executor) }
    }
}

/// Resumes a continuation with the first result given; later ones are dropped.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(_ result: Result<T, any Error>) {
        let pending = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        pending?.resume(with: result)
    }
}

/// An operation did not finish within its time limit.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    /// The limit it was given.
    public var limit: Duration
    public var description: String {
        let milliseconds = limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0
            ? "no answer within \(milliseconds / 1000) s (timed out)"
            : "no answer within \(milliseconds) ms (timed out)"
    }
}
