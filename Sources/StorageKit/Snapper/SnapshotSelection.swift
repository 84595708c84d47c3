import Foundation
import Logging

/// Whether a snapshot may be used for a restore (e.g. it holds a complete `autorestore.cfg`, R-15).
public enum SnapshotUsability: Sendable, Hashable {
    case usable
    case unusable(reason: String)
}

/// A snapshot passed over by autoclone selection, and why.
public struct SkippedSnapshot: Sendable, Hashable {
    /// The snapshot passed over.
    public var snapshot: Snapshot
    /// Why it cannot be used, as logged.
    public var reason: String
    /// A skipped snapshot and the reason.
    public init(snapshot: Snapshot, reason: String) {
        self.snapshot = snapshot
        self.reason = reason
    }
}

/// The outcome of ``SnapshotSelection/autocloneCandidate(from:minimumAge:now:logger:isUsable:)``.
public struct AutocloneSelection: Sendable, Hashable {
    /// The snapshot to clone; `nil` when none qualifies.
    public var selected: Snapshot?
    /// Old-enough snapshots newer than `selected` that the predicate rejected, newest first.
    public var skipped: [SkippedSnapshot]

    /// A selection result.
    public init(selected: Snapshot?, skipped: [SkippedSnapshot]) {
        self.selected = selected
        self.skipped = skipped
    }

    /// The reference's failure text when nothing qualifies.
    public static let notFoundMessage = "Suitable snapshot not found for cloning."
}

/// Snapshot choice rules shared by autorestore, `snapper autoclone` and point-in-time restore (reference §4.3).
public enum SnapshotSelection {
    /// Walks snapshots newest first and returns the first one at least `minimumAge` old that `isUsable` accepts.
    /// Each rejection is logged at WARNING with its reason and reported in `skipped`; an error `isUsable` throws
    /// ends the walk.
    public static func autocloneCandidate(
        from snapshots: [Snapshot], minimumAge: TimeInterval, now: Date, logger: Logger? = nil,
        isUsable: (Snapshot) async throws -> SnapshotUsability
    ) async rethrows -> AutocloneSelection {
        var skipped: [SkippedSnapshot] = []
        for snapshot in snapshots.sortedByCreation(newestFirst: true)
        where now.timeIntervalSince(snapshot.creation) >= minimumAge {
            switch try await isUsable(snapshot) {
            case .usable:
                logger?.debug("Snapshot id for autoclone: \(snapshot.id)")
                return AutocloneSelection(selected: snapshot, skipped: skipped)
            case .unusable(let reason):
                logger?.warning("Skipping snapshot \(snapshot.id) for autoclone: \(reason)")
                skipped.append(SkippedSnapshot(snapshot: snapshot, reason: reason))
            }
        }
        logger?.error("\(AutocloneSelection.notFoundMessage)")
        return AutocloneSelection(selected: nil, skipped: skipped)
    }

    /// Minimum age given in hours (`autorestoresnapage`).
    public static func autocloneCandidate(
        from snapshots: [Snapshot], minimumAgeHours: Double, now: Date, logger: Logger? = nil,
        isUsable: (Snapshot) async throws -> SnapshotUsability
    ) async rethrows -> AutocloneSelection {
        try await autocloneCandidate(
            from: snapshots, minimumAge: minimumAgeHours * 3600, now: now, logger: logger, isUsable: isUsable)
    }

    /// The newest snapshot at least `minimumAgeHours` old (every snapshot is usable).
    public static func autocloneCandidate(
        from snapshots: [Snapshot], minimumAgeHours: Double, now: Date, logger: Logger? = nil
    ) async -> AutocloneSelection {
        await autocloneCandidate(
            from: snapshots, minimumAge: minimumAgeHours * 3600, now: now, logger: logger, isUsable: { _ in .usable })
    }

    /// Point-in-time restore: the oldest snapshot created at or after `target`, or `nil`.
    public static func pointInTimeSnapshot(for target: Date, in snapshots: [Snapshot]) -> Snapshot? {
        snapshots.sortedByCreation().first { $0.creation >= target }
    }
}
