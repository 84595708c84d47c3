import Foundation
import Logging
import RetentionPolicy
import StorageKit

/// Applies snapshot retention to one backup area: list (complete or nothing is dropped), plan, drop.
public enum SnapshotRetention {
    /// The storage snapshot as retention sees it; an unknown clone count stays unknown, a lock keeps its expiry
    /// (it protects the snapshot until then, and no longer).
    public static func record(_ snapshot: Snapshot) -> SnapshotRecord {
        SnapshotRecord(
            id: snapshot.id, createdAt: snapshot.creation, cloneCount: snapshot.cloneCount,
            isLocked: snapshot.isLocked, totalBytes: snapshot.spaceTotal, uniqueBytes: snapshot.spaceUnique,
            lockedUntil: snapshot.lockedUntil)
    }

    /// Lists and plans. A failed listing gives a plan from an incomplete listing, which drops nothing.
    ///
    /// - Parameters:
    ///   - verified: The snapshots whose latest autorestore succeeded, or why the results cannot be read.
    ///   - now: The host's wall clock.
    ///   - takenByThisRun: The snapshot the calling run took; never dropped.
    ///   - offsiteCopyBase: What the off-site copy holds (``OffsiteCopyBase/read(replica:)``); its base is never
    ///     dropped.
    public static func plan(
        storage: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        takenByThisRun: String? = nil, offsiteCopyBase: OffsiteCopyBase = .none
    ) async -> (RetentionPlan, StorageError?) {
        let (plan, listingError, _) = await listAndPlan(
            storage: storage, configuration: configuration, verified: verified, now: now,
            takenByThisRun: takenByThisRun, offsiteCopyBase: { _ in offsiteCopyBase })
        return (plan, listingError)
    }

    /// ``plan(storage:configuration:verified:now:takenByThisRun:offsiteCopyBase:)`` plus the listed snapshots by
    /// id, which the drops hand back to the driver (so it need not look each one up again). `offsiteCopyBase` is
    /// given the listing (the replica's retention derives its base from its own listing, without a second one).
    static func listAndPlan(
        storage: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        takenByThisRun: String?, offsiteCopyBase: ([Snapshot]) -> OffsiteCopyBase
    ) async -> (RetentionPlan, StorageError?, [String: Snapshot]) {
        let listing: SnapshotListing
        var listingError: StorageError?
        var listed: [String: Snapshot] = [:]
        var base = OffsiteCopyBase.none
        do {
            let snapshots = try await storage.listSnapshots()
            listed = Dictionary(snapshots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            listing = .complete(snapshots.map(record))
            base = offsiteCopyBase(snapshots)
        } catch {
            listing = .incomplete([], reason: "listing snapshots failed: \(error)")
            listingError = error
        }
        let plan = RetentionPlanner.plan(
            listing: listing, verified: verified, configuration: configuration, now: now,
            takenByThisRun: takenByThisRun, offsiteCopyBase: base)
        return (plan, listingError, listed)
    }

    /// Plans and drops; logs each snapshot line with its status at DEBUG (as the original), a clock skew at
    /// ERROR (naming the snapshot and both times) and other failures at WARNING. A snapshot whose expired lock the
    /// storage refuses to release (``StorageError/Code/lockReleaseRefused``: the account lacks the right, as
    /// recommended) gets one WARNING naming the remedy and is kept; that is not a failure. Returns the outcome; `succeeded`
    /// is false when anything could not be listed, verified or dropped, or the clocks disagree. An off-site copy
    /// that cannot be listed keeps every snapshot with a WARNING, without failing the outcome.
    public static func apply(
        storage: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        takenByThisRun: String? = nil, offsiteCopyBase: OffsiteCopyBase = .none, logger: Logger
    ) async -> RetentionOutcome {
        await apply(
            storage: storage, configuration: configuration, verified: verified, now: now,
            takenByThisRun: takenByThisRun, offsiteCopyBaseOfListing: { _ in offsiteCopyBase }, logger: logger)
    }

    /// ``apply(storage:configuration:verified:now:takenByThisRun:offsiteCopyBase:logger:)`` with the off-site copy's
    /// base derived from the listing.
    static func apply(
        storage: any StorageDriver, configuration: RetentionConfiguration, verified: VerifiedSnapshots, now: Date,
        takenByThisRun: String?, offsiteCopyBaseOfListing: ([Snapshot]) -> OffsiteCopyBase, logger: Logger
    ) async -> RetentionOutcome {
        let (plan, listingError, listed) = await listAndPlan(
            storage: storage, configuration: configuration, verified: verified, now: now,
            takenByThisRun: takenByThisRun, offsiteCopyBase: offsiteCopyBaseOfListing)
        if let listingError { logger.warning("Snapshot listing failed, nothing is dropped: \(listingError)") }
        if let problem = plan.offsiteCopyProblem, plan.decisions.contains(where: { $0.verdict.wantsDrop }) {
            logger.warning(
                "Snapshot retention keeps every snapshot this run: the off-site copy cannot be listed (\(problem)), so any of them could be the base of its next incremental copy"
            )
        }
        if let skew = plan.clockSkew { logger.error("Snapshot retention: \(skew)") }
        // One DELETE per snapshot: the driver trusts the listing it made (clone counts, locks, location).
        let outcome = await plan.apply { snapshot in
            do {
                if let snapshot = listed[snapshot.id] {
                    try await storage.deleteListedSnapshot(snapshot)
                } else {
                    try await storage.deleteSnapshot(id: snapshot.id)
                }
            } catch let error as StorageError where error.code == .lockReleaseRefused {
                logger.warning("Snapshot retention kept \(snapshot.id): \(error.message)")
                throw SnapshotKept(reason: error.message)
            }
        }
        for line in RetentionPlanRenderer.lines(for: outcome) { logger.debug("\(line)") }
        if !outcome.succeeded { logger.warning("\(outcome.summary)") } else { logger.debug("\(outcome.summary)") }
        return outcome
    }
}
