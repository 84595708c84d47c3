/// The configuration keys retention reads from a database section.
public enum RetentionSettingKey: String, Sendable, CaseIterable {
    /// `reference` (default) or `gfs`.
    case scheme = "snapretention"
    /// Reference scheme: days during which every snapshot is kept. Required for the reference scheme.
    case expirationDays = "snapexpirationdays"
    /// Reference scheme: months (× 31 days) during which the last snapshot of each month is kept. Default 0.
    case expirationMonths = "snapexpirationmonths"
    /// Safety: the newest this-many snapshots are never dropped. Default 1, minimum 1.
    case minimumCount = "snapminimumcount"
    /// Safety: never drop the newest snapshot that passed an autorestore. Default `true`.
    case keepVerified = "snapkeepverified"
    /// Safety: never drop snapshots younger than this many days. Default 0 (off).
    case complianceDays = "snapcompliancedays"
    /// Safety: seconds a snapshot may be dated in the future before the clocks count as wrong and nothing is
    /// dropped. Default 300.
    case clockSkewAllowance = "snapclockskewallowance"
    /// GFS: keep the newest n snapshots.
    case keepLast = "snapkeeplast"
    /// GFS: keep the newest snapshot of each of the newest n UTC hours holding one.
    case keepHourly = "snapkeephourly"
    /// GFS: keep the newest snapshot of each of the newest n UTC days holding one.
    case keepDaily = "snapkeepdaily"
    /// GFS: keep the newest snapshot of each of the newest n ISO weeks holding one.
    case keepWeekly = "snapkeepweekly"
    /// GFS: keep the newest snapshot of each of the newest n UTC months holding one.
    case keepMonthly = "snapkeepmonthly"
    /// GFS: keep the newest snapshot of each of the newest n UTC years holding one.
    case keepYearly = "snapkeepyearly"
    /// GFS: keep every snapshot created less than this span (e.g. `30d`, `1y6m`) before the newest one.
    case keepWithin = "snapkeepwithin"

    /// The keys that only the GFS scheme reads.
    public static let gfsKeys: [RetentionSettingKey] = [
        .keepLast, .keepHourly, .keepDaily, .keepWeekly, .keepMonthly, .keepYearly, .keepWithin,
    ]
}
