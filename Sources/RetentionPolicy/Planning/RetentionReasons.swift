#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the retention scheme alone says about one snapshot, before safety rules.
public enum PolicyVerdict: Sendable, Hashable {
    /// The scheme keeps the snapshot.
    case keep(KeepReason)
    /// The scheme would drop the snapshot.
    case drop(DropReason)

    /// `true` for ``drop(_:)``.
    public var wantsDrop: Bool {
        if case .drop = self { return true }
        return false
    }
}

/// Why a retention scheme keeps a snapshot.
public enum KeepReason: Sendable, Hashable {
    /// Reference: created after the planning time (clock skew); its age is negative, so it is in the daily window.
    case createdAfterNow
    /// Reference: not older than `snapexpirationdays`.
    case insideDailyWindow(days: Int)
    /// Reference: the last snapshot of its UTC month, inside the `months × 31` day window.
    case lastOfMonthInsideMonthlyWindow(months: Int)
    /// Reference: the newest snapshot of all, past the daily window but inside the monthly window.
    case newestInsideMonthlyWindow(months: Int)
    /// GFS: the rules that keep it (never empty).
    case gfs([GFSMatch])
}

/// Why a retention scheme would drop a snapshot.
public enum DropReason: Sendable, Hashable {
    /// Reference: older than the `months × 31` day window (with `months = 0`: older than the daily window).
    case beyondMonthlyWindow(days: Int, months: Int)
    /// Reference: past the daily window, and a newer snapshot exists in the same UTC month.
    case notLastOfMonth(months: Int)
    /// GFS: no rule keeps it.
    case matchesNoGFSRule
}

/// One GFS rule that keeps a snapshot.
public enum GFSMatch: Sendable, Hashable {
    /// `snapkeeplast`: the snapshot is the `rank`-th newest (1 = newest).
    case last(rank: Int)
    /// A period rule: the snapshot is the newest of the `ordinal`-th newest period holding a snapshot.
    case period(GFSPeriod, ordinal: Int)
    /// `snapkeepwithin`: created less than `span` before the newest snapshot.
    case within(CalendarSpan)
}

/// The calendar periods of the GFS rules, in UTC.
public enum GFSPeriod: String, Sendable, Hashable, CaseIterable {
    /// `snapkeephourly`: UTC clock hours.
    case hourly
    /// `snapkeepdaily`: UTC calendar days.
    case daily
    /// `snapkeepweekly`: ISO 8601 weeks, Monday to Sunday.
    case weekly
    /// `snapkeepmonthly`: UTC calendar months.
    case monthly
    /// `snapkeepyearly`: UTC calendar years.
    case yearly
}

/// A safety rule that stops a snapshot from being dropped, whatever the scheme says.
public enum Protection: Sendable, Hashable {
    /// The listing was incomplete or inconsistent, so nothing is dropped.
    case listingIncomplete(reason: String)
    /// A snapshot (`snapshotID`) is dated beyond `snapclockskewallowance` after the planning time, so nothing is
    /// dropped.
    case clockSkew(snapshotID: String)
    /// The autorestore results could not be read, so any snapshot could be the newest verified one and nothing
    /// is dropped (`snapkeepverified`).
    case verifiedSnapshotsUnknown(reason: String)
    /// The snapshot has clones (the original's `has a clone`).
    case hasClones(count: Int)
    /// The storage listing did not say how many clones the snapshot has; unknown is never read as none.
    case cloneCountUnknown
    /// The storage holds the snapshot locked (a lock without an expiry).
    case locked
    /// The storage holds the snapshot locked until this instant (`snaplockdays`).
    case lockedUntil(Date)
    /// Younger than `snapcompliancedays`.
    case insideComplianceWindow(days: Int)
    /// Among the newest `snapminimumcount` snapshots; `rank` 1 is the newest.
    case amongNewest(rank: Int, minimumCount: Int)
    /// The newest snapshot that passed an autorestore (`snapkeepverified`).
    case newestVerified
    /// The snapshot the run that applies the plan has just taken.
    case takenByThisRun
    /// The newest snapshot the off-site copy holds: the base of its next incremental copy (`[replication]`).
    case offsiteCopyBase
    /// The off-site copy could not be listed, so any snapshot could be the base of its next incremental copy and
    /// nothing is dropped (`[replication]`).
    case offsiteCopyBaseUnknown(reason: String)

    /// A short human explanation.
    public var text: String {
        switch self {
        case .listingIncomplete(let reason): return "snapshot listing incomplete (\(reason)), nothing is dropped"
        case .clockSkew(let snapshotID):
            return "snapshot '\(snapshotID)' is dated in the future (host or storage clock wrong, "
                + "snapclockskewallowance), nothing is dropped"
        case .verifiedSnapshotsUnknown(let reason):
            return "autorestore results cannot be read (\(reason)), so any snapshot could be the newest verified "
                + "one (snapkeepverified), nothing is dropped"
        case .hasClones(let count): return count == 1 ? "has a clone" : "has \(count) clones"
        case .cloneCountUnknown: return "clone count unknown (the storage listing does not report it)"
        case .locked: return "locked on the storage"
        case .lockedUntil(let date): return "locked on the storage until \(SnapshotLineFormat.utcTimestamp(date)) UTC"
        case .insideComplianceWindow(let days):
            return "younger than the \(days)-day compliance window (snapcompliancedays)"
        case .amongNewest(let rank, let minimumCount):
            return rank == 1
                ? "newest snapshot (snapminimumcount \(minimumCount))"
                : "newest snapshot #\(rank) of the \(minimumCount) always kept (snapminimumcount)"
        case .newestVerified: return "newest snapshot that passed an autorestore (snapkeepverified)"
        case .takenByThisRun: return "taken by this run"
        case .offsiteCopyBase:
            return "newest snapshot the off-site copy holds (the base of its next incremental copy, [replication])"
        case .offsiteCopyBaseUnknown(let reason):
            return "the off-site copy cannot be listed (\(reason)), so any snapshot could be the base of its next "
                + "incremental copy ([replication]), nothing is dropped"
        }
    }
}
