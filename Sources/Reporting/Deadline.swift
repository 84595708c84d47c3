import Foundation
import Synchronization

/// Runs an operation with a time limit that holds even when the operation cannot be cancelled (a `stat` on a hung
/// NFS mount, a read blocked in the kernel): the caller gets ``DeadlineExceeded`` on time, and the operation is left
/// to finish or hang on its own. Meant for read-only work in short-lived tools, whose exit ends what is left.
public enum Deadline {
    /// `operation`'s result, or ``DeadlineExceeded`` when it has not finished within `limit`.
    public static func run<T: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }  // cancelled: the work finished
                once.resume(.failure(DeadlineExceeded(limit: limit)))
            }
            Task {
                do { once.resume(.success(try await operation())) } catch { once.resume(.failure(error)) }
                timer.cancel()
            }
        }
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
