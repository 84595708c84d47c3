import Foundation
import RetentionPolicy

/// Small builders for hand-written retention cases.
enum Fixtures {
    /// A snapshot named like the original's (`orcl-YYYYmmddTHHMMSS`) at a UTC time.
    static func snapshot(
        _ date: Date, clones: Int = 0, locked: Bool = false, total: Int64? = nil, unique: Int64? = nil
    ) -> SnapshotRecord {
        let parts = TestDates.utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let id = String(
            format: "orcl-%04d%02d%02dT%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
            parts.second!)
        return SnapshotRecord(
            id: id, createdAt: date, cloneCount: clones, isLocked: locked, totalBytes: total, uniqueBytes: unique)
    }

    /// One snapshot a day at `hour`:00 UTC from `first` to `last` inclusive.
    static func daily(from first: Date, through last: Date) -> [SnapshotRecord] {
        stride(from: first.timeIntervalSince1970, through: last.timeIntervalSince1970, by: TestDates.day).map {
            snapshot(Date(timeIntervalSince1970: $0))
        }
    }

    static func plan(
        _ snapshots: [SnapshotRecord], _ scheme: RetentionScheme, safety: SafetyRules = .default,
        verified: Set<String> = [], now: Date, complete: Bool = true
    ) -> RetentionPlan {
        RetentionPlanner.plan(
            listing: complete ? .complete(snapshots) : .incomplete(snapshots, reason: "storage timed out"),
            verifiedSnapshotIDs: verified, scheme: scheme, safety: safety, now: now)
    }

    static func reference(days: Int, months: Int) -> RetentionScheme {
        .reference(try! ReferenceWindows(days: days, months: months))
    }

    /// Ids of the kept snapshots.
    static func kept(_ plan: RetentionPlan) -> [String] {
        plan.decisions.filter { $0.action == .keep }.map(\.snapshot.id)
    }

    /// Ids of the dropped snapshots.
    static func dropped(_ plan: RetentionPlan) -> [String] {
        plan.drops.map(\.snapshot.id)
    }

    static func decision(_ plan: RetentionPlan, _ id: String) -> RetentionDecision? {
        plan.decisions.first { $0.snapshot.id == id }
    }
}
