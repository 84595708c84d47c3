/// Which rule decides the snapshots a backup area keeps, before the ``SafetyRules`` override it.
///
/// Named *scheme* rather than *policy* so that the type does not shadow the `RetentionPolicy` module name.
public enum RetentionScheme: Sendable, Hashable {
    /// The original tool's daily window plus monthly window (`snapexpirationdays`, `snapexpirationmonths`).
    case reference(ReferenceWindows)
    /// Grandfather-father-son buckets with restic-like semantics (`snapretention: gfs`).
    case gfs(GFSRules)
}

/// The original tool's two windows.
///
/// - Everything younger than ``days`` is kept.
/// - Up to ``months`` × 31 days old, the last snapshot of each UTC calendar month is kept.
/// - Older snapshots are dropped.
public struct ReferenceWindows: Sendable, Hashable {
    /// `snapexpirationdays`: keep every snapshot for this many days.
    public let days: Int
    /// `snapexpirationmonths`: keep the last snapshot of each UTC month for `months × 31` days.
    public let months: Int

    /// Creates the windows; negative values are refused.
    public init(days: Int, months: Int) throws(RetentionConfigurationError) {
        guard days >= 0 else {
            throw .belowMinimum(
                key: "snapexpirationdays", value: String(days), minimum: 0, reason: "days cannot be negative")
        }
        guard months >= 0 else {
            throw .belowMinimum(
                key: "snapexpirationmonths", value: String(months), minimum: 0, reason: "months cannot be negative")
        }
        self.days = days
        self.months = months
    }

    /// The daily window in seconds.
    var dailyWindowSeconds: Double { Double(days) * UTCCalendar.secondsPerDay }
    /// The monthly window (`months × 31` days) in seconds.
    var monthlyWindowSeconds: Double { Double(months) * 31 * UTCCalendar.secondsPerDay }
}
