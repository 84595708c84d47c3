import Foundation
import Logging
import RetentionPolicy
import StorageKit

/// Applies snapshot retention to one backup area: list (complete or nothing is dropped), plan, drop.
public enum SnapshotRetention {
    /// The storage snapshot as retention sees it.
    public static func record(_ snapshot: Snapshot) -> SnapshotRecord {
        SnapshotRecord(
            id: snapshot.id, createdAt: snapshot.creation, cloneCount: snapshot.cloneCount,
            totalBytes: snapshot.spaceTotal, uniqueBytes: snapshot.spaceUnique)
    }

    /// Lists and plans. A failed listing gives a plan from an incomplete listing, which drops nothing.
    public static func plan(
        storage: any StorageDriver, configuration: RetentionConfiguration,
        verified: Set<String> = [], now: Date
    ) async -> (RetentionPlan, StorageError?) {
        do {
            let snapshots = try await storage.listSnapshots()
            return (
                RetentionPlanner.plan(
                    listing: .complete(snapshots.map(record)), verifiedSnapshotIDs: verified,
                    configuration: configuration, now: now), nil
            )
        } catch {
            let plan = RetentionPlanner.plan(
                listing: .incomplete([], reason: "listing snapshots failed: \(error)"), verifiedSnapshotIDs: verified,
                configuration: configuration, now: now)
            return (plan, error)
        }
    }

    /// Plans and drops; logs each snapshot line with its status at DEBUG (as the original) and failures at
    /// WARNING. Returns the outcome; `succeeded` is false when anything could not be listed or dropped.
    public static func apply(
        storage: any StorageDriver, configuration: RetentionConfiguration,
        verified: Set<String> = [], now: Date, logger: Logger
    ) async -> RetentionOutcome {
        let (plan, listingError) = await plan(
            storage: storage, configuration: configuration, verified: verified,
            now: now)
        if let listingError { logger.warning("Snapshot listing failed, nothing is dropped: \(listingError)") }
        let outcome = await plan.apply { snapshot in try await storage.deleteSnapshot(id: snapshot.id) }
        for line in RetentionPlanRenderer.lines(for: outcome) { logger.debug("\(line)") }
        if !outcome.succeeded { logger.warning("\(outcome.summary)") } else { logger.debug("\(outcome.summary)") }
        return outcome
    }
}
