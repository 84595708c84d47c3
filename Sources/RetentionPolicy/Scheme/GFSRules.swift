/// Grandfather-father-son retention rules with restic-like semantics, all in UTC.
///
/// A snapshot is kept when at least one rule keeps it:
/// - ``keepLast`` keeps the newest *n* snapshots.
/// - ``keepHourly``, ``keepDaily``, ``keepWeekly`` (ISO 8601 weeks, Monday first), ``keepMonthly`` and
///   ``keepYearly`` each keep the newest snapshot of the newest *n* periods that contain a snapshot.
///   Periods without snapshots are skipped, so an outage never uses up a rule.
/// - ``keepWithin`` keeps every snapshot created less than the span before the *newest snapshot* (not before
///   now), so a long outage cannot empty it either.
public struct GFSRules: Sendable, Hashable {
    /// `snapkeeplast`.
    public let keepLast: Int
    /// `snapkeephourly`.
    public let keepHourly: Int
    /// `snapkeepdaily`.
    public let keepDaily: Int
    /// `snapkeepweekly`.
    public let keepWeekly: Int
    /// `snapkeepmonthly`.
    public let keepMonthly: Int
    /// `snapkeepyearly`.
    public let keepYearly: Int
    /// `snapkeepwithin`; `nil` when not set.
    public let keepWithin: CalendarSpan?

    /// Creates the rules. Negative counts and a policy that keeps nothing are refused.
    public init(
        keepLast: Int = 0, keepHourly: Int = 0, keepDaily: Int = 0, keepWeekly: Int = 0, keepMonthly: Int = 0,
        keepYearly: Int = 0, keepWithin: CalendarSpan? = nil
    ) throws(RetentionConfigurationError) {
        let counts = [
            ("snapkeeplast", keepLast), ("snapkeephourly", keepHourly), ("snapkeepdaily", keepDaily),
            ("snapkeepweekly", keepWeekly), ("snapkeepmonthly", keepMonthly), ("snapkeepyearly", keepYearly),
        ]
        for (key, count) in counts where count < 0 {
            throw .belowMinimum(key: key, value: String(count), minimum: 0, reason: "counts cannot be negative")
        }
        let within = keepWithin?.isZero == true ? nil : keepWithin
        guard counts.contains(where: { $0.1 > 0 }) || within != nil else { throw .emptyGFSPolicy }
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = within
    }
}
