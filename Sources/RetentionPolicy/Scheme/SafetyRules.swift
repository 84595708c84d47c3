#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Rules that override every retention scheme: a snapshot they protect is never dropped.
///
/// Independently of these settings, a snapshot that has clones (or whose clone count is unknown) is never
/// dropped either (the original tool's `has a clone` rule).
public struct SafetyRules: Sendable, Hashable {
    /// `snapminimumcount`: the newest this-many snapshots are never dropped. At least 1, so the newest
    /// snapshot always survives.
    public let minimumCount: Int
    /// `snapkeepverified`: never drop the newest snapshot that passed an autorestore.
    public let keepNewestVerified: Bool
    /// `snapcompliancedays`: never drop a snapshot younger than this many days (0 disables the window).
    public let complianceDays: Int
    /// `snapclockskewallowance`: seconds a snapshot may be dated after the planning time before the clocks are
    /// declared wrong and nothing is dropped.
    public let clockSkewAllowanceSeconds: Int

    /// The default `snapclockskewallowance`: five minutes.
    public static let defaultClockSkewAllowanceSeconds = 300

    /// The defaults: keep the newest snapshot, keep the newest verified snapshot, no compliance window, five
    /// minutes of clock skew.
    public static let `default` = SafetyRules(
        validatedMinimumCount: 1, keepNewestVerified: true, complianceDays: 0,
        clockSkewAllowanceSeconds: defaultClockSkewAllowanceSeconds)

    /// Creates the rules; a minimum count below 1, a negative compliance window and a negative clock-skew
    /// allowance are refused.
    public init(
        minimumCount: Int = 1, keepNewestVerified: Bool = true, complianceDays: Int = 0,
        clockSkewAllowanceSeconds: Int = defaultClockSkewAllowanceSeconds
    ) throws(RetentionConfigurationError) {
        guard minimumCount >= 1 else {
            throw .belowMinimum(
                key: "snapminimumcount", value: String(minimumCount), minimum: 1,
                reason: "the newest snapshot is never deleted")
        }
        guard complianceDays >= 0 else {
            throw .belowMinimum(
                key: "snapcompliancedays", value: String(complianceDays), minimum: 0, reason: "days cannot be negative")
        }
        guard clockSkewAllowanceSeconds >= 0 else {
            throw .belowMinimum(
                key: "snapclockskewallowance", value: String(clockSkewAllowanceSeconds), minimum: 0,
                reason: "seconds cannot be negative")
        }
        self.init(
            validatedMinimumCount: minimumCount, keepNewestVerified: keepNewestVerified, complianceDays: complianceDays,
            clockSkewAllowanceSeconds: clockSkewAllowanceSeconds)
    }

    private init(
        validatedMinimumCount: Int, keepNewestVerified: Bool, complianceDays: Int, clockSkewAllowanceSeconds: Int
    ) {
        self.minimumCount = validatedMinimumCount
        self.keepNewestVerified = keepNewestVerified
        self.complianceDays = complianceDays
        self.clockSkewAllowanceSeconds = clockSkewAllowanceSeconds
    }

    /// The compliance window in seconds.
    var complianceWindowSeconds: Double { Double(complianceDays) * UTCCalendar.secondsPerDay }

    /// The snapshot dated furthest after `now`, when it lies beyond the allowance; `nil` when the clocks agree.
    /// Non-finite creation times are left to the listing check.
    public func clockSkew(in snapshots: [SnapshotRecord], now: Date) -> ClockSkew? {
        clockSkew(in: snapshots, listingTimes: snapshots.map(\.createdAt.timeIntervalSince1970), now: now)
    }

    /// ``clockSkew(in:now:)`` with the snapshots' creation times (seconds since the epoch, listing order) at hand.
    func clockSkew(in snapshots: [SnapshotRecord], listingTimes: [Double], now: Date) -> ClockSkew? {
        let limit = now.timeIntervalSince1970 + Double(clockSkewAllowanceSeconds)
        var latest: Int?
        for index in listingTimes.indices where listingTimes[index].isFinite && listingTimes[index] > limit {
            // Among the few snapshots past the limit, compare the dates themselves, as before.
            if latest.map({ snapshots[index].createdAt > snapshots[$0].createdAt }) ?? true { latest = index }
        }
        return latest.map {
            ClockSkew(
                snapshotID: snapshots[$0].id, createdAt: snapshots[$0].createdAt, now: now,
                allowanceSeconds: clockSkewAllowanceSeconds)
        }
    }
}
