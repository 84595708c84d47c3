#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The original tool's retention decisions (reference-behaviour §4.3), before clones and safety rules.
enum ReferenceSchemeEvaluator {
    /// Verdicts for creation times sorted oldest first (seconds since the epoch), one per time.
    ///
    /// For the snapshot at position `i`, with `age = now − creation`:
    /// - `age` not above `days`: keep;
    /// - else `age` above `months × 31` days: drop;
    /// - else a newer snapshot `i + 1` exists: drop exactly when both fall in the same UTC `YYYY-MM`;
    /// - else (the newest snapshot, inside the monthly window): keep.
    static func verdicts(sortedCreationTimes times: [Double], windows: ReferenceWindows, now: Double) -> [PolicyVerdict]
    {
        let dailyWindow = windows.dailyWindowSeconds
        let monthlyWindow = windows.monthlyWindowSeconds
        var verdicts: [PolicyVerdict] = []
        verdicts.reserveCapacity(times.count)
        var monthKeys = MonthKeys()
        for position in times.indices {
            let age = now - times[position]
            if !(age > dailyWindow) {
                verdicts.append(.keep(age < 0 ? .createdAfterNow : .insideDailyWindow(days: windows.days)))
            } else if age > monthlyWindow {
                verdicts.append(.drop(.beyondMonthlyWindow(days: windows.days, months: windows.months)))
            } else if position + 1 < times.count {
                let sameMonthAsNext = monthKeys.key(times[position]) == monthKeys.key(times[position + 1])
                verdicts.append(
                    sameMonthAsNext
                        ? .drop(.notLastOfMonth(months: windows.months))
                        : .keep(.lastOfMonthInsideMonthlyWindow(months: windows.months)))
            } else {
                verdicts.append(.keep(.newestInsideMonthlyWindow(months: windows.months)))
            }
        }
        return verdicts
    }

    /// UTC month keys of sorted times, computed once per month: a walk asks for the same month many times.
    private struct MonthKeys {
        var bucket: UTCCalendar.PeriodBucket?

        mutating func key(_ seconds: Double) -> Int {
            let whole = UTCCalendar.wholeSeconds(Date(timeIntervalSince1970: seconds))
            if bucket?.contains(whole) != true { bucket = UTCCalendar.bucket(.monthly, wholeSeconds: whole) }
            return bucket!.key
        }
    }
}
