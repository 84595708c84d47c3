/// The result of applying a ``RetentionPlan``.
public struct RetentionOutcome: Sendable {
    /// The final status of one snapshot.
    public struct SnapshotResult: Sendable {
        /// The plan's decision.
        public let decision: RetentionDecision
        /// What happened: `valid`, `has a clone`, `dropped`, `DROP FAILED` or not attempted.
        public let status: SnapshotStatus
    }

    /// A drop that the storage refused or that failed.
    public struct DropFailure: Sendable {
        /// The snapshot that is still there.
        public let snapshot: SnapshotRecord
        /// The error the drop threw.
        public let error: any Error
    }

    /// The plan that was applied.
    public let plan: RetentionPlan
    /// One result per decision, oldest first.
    public let results: [SnapshotResult]
    /// Every failed drop, in the order they were attempted.
    public let failures: [DropFailure]
    /// `true` when the run was cancelled before every planned drop was attempted.
    public let wasCancelled: Bool

    /// `true` only when the plan had no blocking problem (incomplete listing, clock skew, unreadable autorestore
    /// results), every planned drop succeeded and the run was not cancelled.
    public var succeeded: Bool { plan.blockingProblems.isEmpty && failures.isEmpty && !wasCancelled }

    /// The number of snapshots actually dropped.
    public var droppedCount: Int { results.reduce(0) { $0 + ($1.status == .dropped ? 1 : 0) } }

    /// A one-line summary for logs and monitoring, e.g. `retention: 3 dropped, 1 DROP FAILED, 40 kept`.
    public var summary: String {
        var parts = ["\(droppedCount) dropped"]
        if !failures.isEmpty { parts.append("\(failures.count) DROP FAILED") }
        let notAttempted = results.reduce(0) { $0 + ($1.status == .notAttempted ? 1 : 0) }
        if notAttempted > 0 { parts.append("\(notAttempted) not attempted (cancelled)") }
        parts.append("\(results.count - droppedCount - failures.count - notAttempted) kept")
        var text = "retention \(succeeded ? "succeeded" : "FAILED"): " + parts.joined(separator: ", ")
        for problem in plan.blockingProblems { text += "; nothing dropped because \(problem)" }
        return text
    }
}

/// Thrown by a drop that left the snapshot on purpose (e.g. its lock expired but the account may not release it):
/// the snapshot counts as kept (`valid`), not as a failed drop, and the run can still succeed. The drop has already
/// said why (a warning).
public struct SnapshotKept: Error, Sendable {
    /// Why the snapshot stays.
    public let reason: String

    /// A kept snapshot and why.
    public init(reason: String) { self.reason = reason }
}

extension RetentionPlan {
    /// Drops the planned snapshots, oldest first, and reports every failure.
    ///
    /// A failed drop does not stop the run: the remaining drops are still attempted, the snapshot's status
    /// becomes `DROP FAILED` and ``RetentionOutcome/succeeded`` is `false`. When the task is cancelled, the
    /// remaining drops are not attempted. A plan with a blocking problem drops nothing and never succeeds.
    ///
    /// - Parameters:
    ///   - isolation: The actor `drop` runs on: the caller's by default (`#isolation`), so `drop` need not be
    ///     `Sendable`.
    ///   - drop: Deletes one snapshot on the storage; throws if it could not, or ``SnapshotKept`` when it kept the
    ///     snapshot on purpose (then its status is `valid`, and it is no failure).
    public func apply(
        isolation: isolated (any Actor)? = #isolation,
        drop: (SnapshotRecord) async throws -> Void
    ) async -> RetentionOutcome {
        var results: [RetentionOutcome.SnapshotResult] = []
        results.reserveCapacity(decisions.count)
        var failures: [RetentionOutcome.DropFailure] = []
        var wasCancelled = false
        for decision in decisions {
            guard decision.action == .drop else {
                results.append(.init(decision: decision, status: decision.plannedStatus))
                continue
            }
            if wasCancelled || Task.isCancelled {
                wasCancelled = true
                results.append(.init(decision: decision, status: .notAttempted))
                continue
            }
            do {
                try await drop(decision.snapshot)
                results.append(.init(decision: decision, status: .dropped))
            } catch is SnapshotKept {
                results.append(.init(decision: decision, status: .valid))
            } catch {
                failures.append(.init(snapshot: decision.snapshot, error: error))
                results.append(.init(decision: decision, status: .dropFailed))
            }
        }
        return RetentionOutcome(plan: self, results: results, failures: failures, wasCancelled: wasCancelled)
    }
}
