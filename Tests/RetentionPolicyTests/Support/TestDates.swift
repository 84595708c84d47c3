import Foundation

/// Date helpers for tests, built on Foundation's calendar so they are independent of the code under test.
enum TestDates {
    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static let isoCalendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `utc(2026, 11, 25, 10)` is 2026-11-25 10:00:00 UTC.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0)
        -> Date
    {
        utcCalendar.date(
            from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    }

    static let day: TimeInterval = 86_400
    static let hour: TimeInterval = 3_600

    /// `YYYY-MM` of a date in UTC via Foundation (the oracle's month rule).
    static func yearMonth(_ date: Date) -> (Int, Int) {
        let components = utcCalendar.dateComponents([.year, .month], from: date)
        return (components.year!, components.month!)
    }
}
