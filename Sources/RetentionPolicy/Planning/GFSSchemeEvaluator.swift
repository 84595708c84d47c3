#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Restic-like grandfather-father-son decisions, before clones and safety rules.
enum GFSSchemeEvaluator {
    /// Verdicts for creation times sorted oldest first (seconds since the epoch), one per time.
    ///
    /// Each rule walks the snapshots newest first on its own. A period rule keeps a snapshot when its period
    /// differs from the period of the last snapshot that rule kept, until it has kept its count. Because period
    /// keys grow with time, this keeps the newest snapshot of each of the newest *n* periods holding one.
    static func verdicts(sortedCreationTimes times: [Double], rules: GFSRules) -> [PolicyVerdict] {
        var matches = [[GFSMatch]](repeating: [], count: times.count)
        guard let newest = times.last else { return [] }

        for rank in stride(from: 1, through: min(rules.keepLast, times.count), by: 1) {
            matches[times.count - rank].append(.last(rank: rank))
        }

        let periodCounts: [(GFSPeriod, Int)] = [
            (.hourly, rules.keepHourly), (.daily, rules.keepDaily), (.weekly, rules.keepWeekly),
            (.monthly, rules.keepMonthly), (.yearly, rules.keepYearly),
        ]
        for (period, count) in periodCounts where count > 0 {
            var keptPeriods = 0
            var lastKeptKey: Int?
            for position in times.indices.reversed() {
                let key = periodKey(period, seconds: times[position])
                guard key != lastKeptKey else { continue }
                keptPeriods += 1
                lastKeptKey = key
                matches[position].append(.period(period, ordinal: keptPeriods))
                if keptPeriods == count { break }
            }
        }

        if let span = rules.keepWithin {
            let threshold = UTCCalendar.subtract(span, from: Date(timeIntervalSince1970: newest)).timeIntervalSince1970
            for position in times.indices.reversed() {
                guard times[position] > threshold else { break }
                matches[position].append(.within(span))
            }
        }

        return matches.map { $0.isEmpty ? .drop(.matchesNoGFSRule) : .keep(.gfs($0)) }
    }

    /// A key equal for two times exactly when they share the UTC period, and growing with time.
    static func periodKey(_ period: GFSPeriod, seconds: Double) -> Int {
        let whole = UTCCalendar.wholeSeconds(Date(timeIntervalSince1970: seconds))
        switch period {
        case .hourly: return UTCCalendar.floorDivide(whole, 3_600)
        case .daily: return UTCCalendar.dayNumber(wholeSeconds: whole)
        case .weekly: return UTCCalendar.isoWeekStart(dayNumber: UTCCalendar.dayNumber(wholeSeconds: whole))
        case .monthly: return UTCCalendar.monthKey(dayNumber: UTCCalendar.dayNumber(wholeSeconds: whole))
        case .yearly: return UTCCalendar.civilDate(dayNumber: UTCCalendar.dayNumber(wholeSeconds: whole)).year
        }
    }
}
