import Foundation
import RetentionPolicy

/// A brute-force statement of the documented GFS semantics, independent of the planner's streaming algorithm:
/// group snapshots by UTC period with Foundation's calendar, take the newest *n* groups, keep each group's newest.
enum GFSOracle {
    struct Rules {
        var last = 0
        var hourly = 0
        var daily = 0
        var weekly = 0
        var monthly = 0
        var yearly = 0
        var within: (years: Int, months: Int, days: Int, hours: Int)?
    }

    /// Indices (into `snapshots`) that the rules keep.
    static func keptIndices(_ snapshots: [SnapshotRecord], rules: Rules) -> Set<Int> {
        let newestFirst = snapshots.indices.sorted {
            (snapshots[$0].createdAt, $0) > (snapshots[$1].createdAt, $1)
        }
        var kept = Set(newestFirst.prefix(rules.last))

        let periods: [(Int, (Date) -> [Int])] = [
            (rules.hourly, { components($0, [.year, .month, .day, .hour]) }),
            (rules.daily, { components($0, [.year, .month, .day]) }),
            (rules.weekly, { isoWeek($0) }),
            (rules.monthly, { components($0, [.year, .month]) }),
            (rules.yearly, { components($0, [.year]) }),
        ]
        for (count, label) in periods where count > 0 {
            var groups: [[Int]: [Int]] = [:]
            for index in snapshots.indices { groups[label(snapshots[index].createdAt), default: []].append(index) }
            let newestOfEachGroup = groups.values.map { members in
                members.max { (snapshots[$0].createdAt, $0) < (snapshots[$1].createdAt, $1) }!
            }
            let newestGroups = newestOfEachGroup.sorted {
                (snapshots[$0].createdAt, $0) > (snapshots[$1].createdAt, $1)
            }
            kept.formUnion(newestGroups.prefix(count))
        }

        if let within = rules.within, let newest = newestFirst.first {
            let threshold = goStyleSubtract(within, from: snapshots[newest].createdAt)
            for index in snapshots.indices where snapshots[index].createdAt > threshold { kept.insert(index) }
        }
        return kept
    }

    private static func components(_ date: Date, _ units: Set<Calendar.Component>) -> [Int] {
        let parts = TestDates.utcCalendar.dateComponents(units, from: date)
        return [parts.year, parts.month, parts.day, parts.hour].compactMap { $0 }
    }

    private static func isoWeek(_ date: Date) -> [Int] {
        let parts = TestDates.isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return [parts.yearForWeekOfYear!, parts.weekOfYear!]
    }

    /// Go's `t.AddDate(-y, -m, -d).Add(-h hours)`: month overflow carries into years, day overflow into months.
    static func goStyleSubtract(_ span: (years: Int, months: Int, days: Int, hours: Int), from date: Date) -> Date {
        let parts = TestDates.utcCalendar.dateComponents([.year, .month, .day], from: date)
        let startOfDay = TestDates.utcCalendar.startOfDay(for: date)
        let timeOfDay = date.timeIntervalSince(startOfDay)
        var monthIndex = parts.year! * 12 + (parts.month! - 1) - span.years * 12 - span.months
        let year = Int((Double(monthIndex) / 12).rounded(.down))
        monthIndex -= year * 12
        let firstOfMonth = TestDates.utc(year, monthIndex + 1, 1)
        return firstOfMonth.addingTimeInterval(
            Double(parts.day! - span.days - 1) * TestDates.day + timeOfDay - Double(span.hours) * TestDates.hour)
    }
}
