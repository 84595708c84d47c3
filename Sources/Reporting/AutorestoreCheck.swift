import Foundation
import ResultCatalog
import StorageKit

/// `autorestore --check <db>`: the Nagios answer to "did the last restore test of this database pass, and is it
/// recent?" (the original's `autorestore_check.sql`, for one database).
///
/// - OK: the newest restore test succeeded and ended at most ``maxAgeHours`` ago.
/// - WARNING: it succeeded, but ended longer ago than that.
/// - CRITICAL: it failed (the reason is in the text), or none is recorded.
/// - UNKNOWN: a bad threshold (the command adds: the catalog cannot be read).
public struct AutorestoreCheck: Sendable, Hashable {
    /// The largest accepted age of the newest restore test, in hours (the original's check used 2 days).
    public var maxAgeHours: Double

    /// A check with the given limit.
    public init(maxAgeHours: Double = 48) {
        self.maxAgeHours = maxAgeHours
    }

    /// The outcome for `database` from its restores, newest first. Perfdata: `age` (seconds since the newest restore
    /// ended, warning threshold), `duration` (its seconds) and `timediff` (expected minus verified time) when known.
    public func evaluate(database: String, restores: [RestoreRecord], now: Date) -> NagiosResult {
        guard (0...1_000_000.0).contains(maxAgeHours) else {
            return NagiosResult(status: .unknown, message: "Invalid --max-age-hours \(maxAgeHours)")
        }
        let limit = Int((maxAgeHours * 3600).rounded())
        guard let last = restores.first else {
            return NagiosResult(
                status: .critical, message: "\(database): no autorestore recorded", performanceData: "age=U;\(limit)")
        }
        let age = max(0, Int(now.timeIntervalSince(last.finishedAt).rounded(.down)))
        let duration = Int(last.finishedAt.timeIntervalSince(last.startedAt).rounded())
        var perf = "age=\(age)s;\(limit) duration=\(duration)s"
        if let difference = last.timeDifferenceSeconds { perf += " timediff=\(difference)s" }
        let when = "\(DisplayFormat.utcTimestamp(last.finishedAt)) UTC (\(ReportCollector.age(age)) ago)"
        if !last.success {
            let reason = Self.reasonText(reason: last.failureReason, detail: last.failureDetail)
            return NagiosResult(
                status: .critical, message: "\(database): last autorestore failed at \(when): \(reason)",
                performanceData: perf)
        }
        var facts = ["took \(ReportCollector.age(duration))"]
        if let difference = last.timeDifferenceSeconds { facts.append("time difference \(difference)s") }
        if last.validated { facts.append("validated") }
        if age > limit {
            return NagiosResult(
                status: .warning,
                message:
                    "\(database): last autorestore succeeded at \(when), older than \(ReportCollector.hours(maxAgeHours)) h",
                performanceData: perf)
        }
        return NagiosResult(
            status: .ok,
            message: "\(database): last autorestore succeeded at \(when), \(facts.joined(separator: ", "))",
            performanceData: perf)
    }

    /// `reason: detail`, either alone, or `no reason recorded`.
    public static func reasonText(reason: String?, detail: String?) -> String {
        let parts = [reason, detail].compactMap { $0?.isEmpty == false ? $0 : nil }
        return parts.isEmpty ? "no reason recorded" : parts.joined(separator: ": ")
    }

    static func reasonText(_ run: AutorestoreRunReport) -> String {
        reasonText(reason: run.failureReason, detail: run.failureDetail)
    }
}
