import Foundation
import RetentionPolicy

/// A line-by-line transcription of the original tool's `clean` (reference-behaviour §4.3), used as the oracle.
/// It deliberately shares no code with the planner: months come from Foundation's calendar.
enum OriginalRetention {
    struct Decision: Equatable {
        let id: String
        /// The original would call `dropsnap` for it.
        let attemptsDrop: Bool
        /// `valid`, `has a clone` or `dropped` (assuming the drop succeeds).
        let status: String
        /// The windows alone say drop (before the clone check).
        let windowsSayDrop: Bool
    }

    /// Snapshots sorted by creation ascending (Python's stable sort), then the original's loop.
    static func clean(_ snapshots: [SnapshotRecord], days: Int, months: Int, now: Date) -> [Decision] {
        let sorted = snapshots.enumerated()
            .sorted { ($0.element.createdAt, $0.offset) < ($1.element.createdAt, $1.offset) }
            .map(\.element)
        var decisions: [Decision] = []
        for (index, snapshot) in sorted.enumerated() {
            let age = now.timeIntervalSince(snapshot.createdAt)
            var drop = false
            var status = "valid"
            if age > Double(days) * 86_400 {
                if age > Double(months * 31) * 86_400 {
                    drop = true
                } else if index + 1 < sorted.count {
                    drop = TestDates.yearMonth(snapshot.createdAt) == TestDates.yearMonth(sorted[index + 1].createdAt)
                }
            }
            let windowsSayDrop = drop
            if drop && snapshot.cloneCount != 0 {
                status = "has a clone"
                drop = false
            }
            if drop { status = "dropped" }
            decisions.append(
                Decision(id: snapshot.id, attemptsDrop: drop, status: status, windowsSayDrop: windowsSayDrop))
        }
        return decisions
    }
}
