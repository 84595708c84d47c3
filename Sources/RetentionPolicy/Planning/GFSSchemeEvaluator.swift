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
        guard let newest = times.last else { return [] }
        // Few snapshots match a rule, so their matches live in `matchLists` and `listOf` points there (-1: none).
        var listOf = [Int](repeating: -1, count: times.count)
        var matchLists: [[GFSMatch]] = []
        func record(_ match: GFSMatch, at position: Int) {
            if listOf[position] < 0 {
                listOf[position] = matchLists.count
                matchLists.append([match])
            } else {
                matchLists[listOf[position]].append(match)
            }
        }

        for rank in stride(from: 1, through: min(rules.keepLast, times.count), by: 1) {
            record(.last(rank: rank), at: times.count - rank)
        }

        let periodCounts: [(GFSPeriod, Int)] = [
            (.hourly, rules.keepHourly), (.daily, rules.keepDaily), (.weekly, rules.keepWeekly),
            (.monthly, rules.keepMonthly), (.yearly, rules.keepYearly),
        ]
        for (period, count) in periodCounts where count > 0 {
            var keptPeriods = 0
            var lastKeptKey: Int?
            var bucket: UTCCalendar.PeriodBucket?
            for position in times.indices.reversed() {
                // The times only fall while walking back, so the key changes only when a period is left.
                let whole = UTCCalendar.wholeSeconds(Date(timeIntervalSince1970: times[position]))
                if bucket?.contains(whole) != true { bucket = UTCCalendar.bucket(period, wholeSeconds: whole) }
                let key = bucket!.key
                guard key != lastKeptKey else { continue }
                keptPeriods += 1
                lastKeptKey = key
                record(.period(period, ordinal: keptPeriods), at: position)
                if keptPeriods == count { break }
            }
        }

        if let span = rules.keepWithin {
            let threshold = UTCCalendar.subtract(span, from: Date(timeIntervalSince1970: newest)).timeIntervalSince1970
            for position in times.indices.reversed() {
                guard times[position] > threshold else { break }
                record(.within(span), at: position)
            }
        }

        return listOf.map { $0 < 0 ? .drop(.matchesNoGFSRule) : .keep(.gfs(matchLists[$0])) }
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
