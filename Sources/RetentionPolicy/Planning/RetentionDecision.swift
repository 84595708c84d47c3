#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What happens to a snapshot.
public enum RetentionAction: String, Sendable, Hashable {
    case keep, drop
}

/// The decision for one snapshot: the action, the scheme's verdict and the safety rules that overrode it.
public struct RetentionDecision: Sendable, Hashable {
    /// The snapshot decided on.
    public let snapshot: SnapshotRecord
    /// Keep or drop. `drop` only when the scheme wants it and no ``Protection`` applies.
    public let action: RetentionAction
    /// What the retention scheme alone says.
    public let verdict: PolicyVerdict
    /// Safety rules that keep a snapshot the scheme would drop; empty when the scheme keeps it.
    public let protections: [Protection]

    init(snapshot: SnapshotRecord, verdict: PolicyVerdict, protections: [Protection]) {
        self.snapshot = snapshot
        self.verdict = verdict
        self.protections = verdict.wantsDrop ? protections : []
        self.action = verdict.wantsDrop && protections.isEmpty ? .drop : .keep
    }

    /// The original tool's status for a kept snapshot: `has a clone` when the scheme would drop it but it has
    /// clones, otherwise `valid` (also for an unknown clone count, whose reason says so). A planned drop reports ``SnapshotStatus/dropped``; the real result comes from
    /// ``RetentionPlan/apply(isolation:drop:)``.
    public var plannedStatus: SnapshotStatus {
        if action == .drop { return .dropped }
        if let clones = snapshot.knownCloneCount, clones > 0, verdict.wantsDrop { return .hasAClone }
        return .valid
    }

    /// A one-line human explanation, e.g. `drop: not the last snapshot of 2026-10 (monthly window 3×31 days)`.
    public var reasonText: String {
        switch verdict {
        case .keep(let reason):
            return "keep: " + Self.text(for: reason, of: snapshot)
        case .drop(let reason) where protections.isEmpty:
            return "drop: " + Self.text(for: reason, of: snapshot)
        case .drop(let reason):
            return "keep: " + protections.map(\.text).joined(separator: "; ") + " (scheme alone would drop: "
                + Self.text(for: reason, of: snapshot) + ")"
        }
    }

    static func text(for reason: KeepReason, of snapshot: SnapshotRecord) -> String {
        switch reason {
        case .createdAfterNow:
            return "created after the planning time (clock skew?), inside the daily window"
        case .insideDailyWindow(let days):
            return "younger than \(days) days (snapexpirationdays)"
        case .lastOfMonthInsideMonthlyWindow(let months):
            return "last snapshot of \(UTCCalendar.monthText(snapshot.createdAt)) inside the monthly window "
                + "(\(months)×31 days)"
        case .newestInsideMonthlyWindow(let months):
            return "newest snapshot, inside the monthly window (\(months)×31 days)"
        case .gfs(let matches):
            return "GFS " + matches.map { text(for: $0, of: snapshot) }.joined(separator: ", ")
        }
    }

    static func text(for reason: DropReason, of snapshot: SnapshotRecord) -> String {
        switch reason {
        case .beyondMonthlyWindow(let days, let months):
            return months == 0
                ? "older than \(days) days and no monthly window (snapexpirationmonths 0)"
                : "older than the monthly window (\(months)×31 days)"
        case .notLastOfMonth(let months):
            return "not the last snapshot of \(UTCCalendar.monthText(snapshot.createdAt)) "
                + "(monthly window \(months)×31 days)"
        case .matchesNoGFSRule:
            return "matches no GFS rule"
        }
    }

    static func text(for match: GFSMatch, of snapshot: SnapshotRecord) -> String {
        switch match {
        case .last(let rank):
            return "last #\(rank)"
        case .period(let period, let ordinal):
            return "\(period.rawValue) #\(ordinal) (\(periodLabel(period, of: snapshot.createdAt)))"
        case .within(let span):
            return "within \(span) of the newest snapshot"
        }
    }

    /// The UTC period a date falls in, e.g. `2026-11-24 10:00`, `2026-W48`, `2026-11`.
    static func periodLabel(_ period: GFSPeriod, of date: Date) -> String {
        let seconds = UTCCalendar.wholeSeconds(date)
        let day = UTCCalendar.dayNumber(wholeSeconds: seconds)
        let civil = UTCCalendar.civilDate(dayNumber: day)
        let year = UTCCalendar.padded(civil.year, 4)
        let month = UTCCalendar.padded(civil.month, 2)
        let dayOfMonth = UTCCalendar.padded(civil.day, 2)
        switch period {
        case .hourly:
            return "\(year)-\(month)-\(dayOfMonth) \(UTCCalendar.padded((seconds - day * 86_400) / 3_600, 2)):00"
        case .daily: return "\(year)-\(month)-\(dayOfMonth)"
        case .weekly:
            let week = UTCCalendar.isoWeek(dayNumber: day)
            return "\(UTCCalendar.padded(week.year, 4))-W\(UTCCalendar.padded(week.week, 2))"
        case .monthly: return "\(year)-\(month)"
        case .yearly: return year
        }
    }
}

/// Snapshot status strings, spelled exactly as the original tool logs them (plus one for cancelled runs).
public enum SnapshotStatus: String, Sendable, Hashable {
    /// Kept.
    case valid = "valid"
    /// The scheme would drop it, but it has clones.
    case hasAClone = "has a clone"
    /// Deleted (or, in a plan, to be deleted).
    case dropped = "dropped"
    /// The delete failed.
    case dropFailed = "DROP FAILED"
    /// A planned drop that was not attempted because the run was cancelled.
    case notAttempted = "not dropped (cancelled)"
}
