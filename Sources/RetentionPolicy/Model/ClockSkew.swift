#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A snapshot dated further in the future than `snapclockskewallowance` allows: the host clock or the storage
/// clock is wrong (or was moved back), so no age or period computed from either can be trusted.
public struct ClockSkew: Sendable, Hashable, CustomStringConvertible {
    /// The snapshot with the latest creation time.
    public let snapshotID: String
    /// Its creation time, as the storage reports it.
    public let createdAt: Date
    /// The planning time (the host's wall clock).
    public let now: Date
    /// The allowance in seconds (`snapclockskewallowance`).
    public let allowanceSeconds: Int

    public var description: String {
        "snapshot '\(snapshotID)' is dated \(UTCCalendar.timestampText(createdAt)) UTC, "
            + "\(UTCCalendar.wholeSeconds(createdAt) - UTCCalendar.wholeSeconds(now)) s after this host's time "
            + "\(UTCCalendar.timestampText(now)) UTC (snapclockskewallowance \(allowanceSeconds) s): "
            + "the host or storage clock is wrong, so nothing is dropped"
    }
}
