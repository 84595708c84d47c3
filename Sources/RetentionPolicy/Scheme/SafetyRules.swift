/// Rules that override every retention scheme: a snapshot they protect is never dropped.
///
/// Independently of these settings, a snapshot that has clones is never dropped either (the original tool's
/// `has a clone` rule).
public struct SafetyRules: Sendable, Hashable {
    /// `snapminimumcount`: the newest this-many snapshots are never dropped. At least 1, so the newest
    /// snapshot always survives.
    public let minimumCount: Int
    /// `snapkeepverified`: never drop the newest snapshot that passed an autorestore.
    public let keepNewestVerified: Bool
    /// `snapcompliancedays`: never drop a snapshot younger than this many days (0 disables the window).
    public let complianceDays: Int

    /// The defaults: keep the newest snapshot, keep the newest verified snapshot, no compliance window.
    public static let `default` = SafetyRules(validatedMinimumCount: 1, keepNewestVerified: true, complianceDays: 0)

    /// Creates the rules; a minimum count below 1 and a negative compliance window are refused.
    public init(minimumCount: Int = 1, keepNewestVerified: Bool = true, complianceDays: Int = 0)
        throws(RetentionConfigurationError)
    {
        guard minimumCount >= 1 else {
            throw .belowMinimum(
                key: "snapminimumcount", value: String(minimumCount), minimum: 1,
                reason: "the newest snapshot is never deleted")
        }
        guard complianceDays >= 0 else {
            throw .belowMinimum(
                key: "snapcompliancedays", value: String(complianceDays), minimum: 0, reason: "days cannot be negative")
        }
        self.init(
            validatedMinimumCount: minimumCount, keepNewestVerified: keepNewestVerified, complianceDays: complianceDays)
    }

    private init(validatedMinimumCount: Int, keepNewestVerified: Bool, complianceDays: Int) {
        self.minimumCount = validatedMinimumCount
        self.keepNewestVerified = keepNewestVerified
        self.complianceDays = complianceDays
    }

    /// The compliance window in seconds.
    var complianceWindowSeconds: Double { Double(complianceDays) * UTCCalendar.secondsPerDay }
}
