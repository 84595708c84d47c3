import Foundation
import Testing

@testable import RetentionPolicy

@Suite("UTC calendar arithmetic")
struct UTCCalendarTests {
    @Test("civil dates, ISO weeks and months agree with Foundation's calendar on 20 000 random instants")
    func agreesWithFoundation() {
        var random = SplitMix64(seed: 0xCA1E_DA25)
        let range = TestDates.utc(1600, 1, 1).timeIntervalSince1970...TestDates.utc(2600, 1, 1).timeIntervalSince1970
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: range, using: &random).rounded(.down))
            let day = UTCCalendar.dayNumber(wholeSeconds: UTCCalendar.wholeSeconds(date))
            let civil = UTCCalendar.civilDate(dayNumber: day)
            let parts = TestDates.utcCalendar.dateComponents([.year, .month, .day], from: date)
            let iso = TestDates.isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear, .weekday], from: date)
            let week = UTCCalendar.isoWeek(dayNumber: day)
            guard
                civil == (parts.year!, parts.month!, parts.day!),
                week == (iso.yearForWeekOfYear!, iso.weekOfYear!),
                UTCCalendar.dayNumber(year: civil.year, month: civil.month, day: civil.day) == day,
                UTCCalendar.isoWeekStart(dayNumber: day) <= day, day - UTCCalendar.isoWeekStart(dayNumber: day) < 7
            else {
                Issue.record("mismatch at \(date): civil \(civil) vs \(parts), week \(week) vs \(iso)")
                return
            }
        }
    }

    @Test("day overflow and month overflow carry like Go's AddDate")
    func normalisation() {
        #expect(
            UTCCalendar.dayNumber(year: 2026, month: 2, day: 31) == UTCCalendar.dayNumber(year: 2026, month: 3, day: 3))
        #expect(
            UTCCalendar.dayNumber(year: 2026, month: 0, day: 1) == UTCCalendar.dayNumber(year: 2025, month: 12, day: 1))
        #expect(
            UTCCalendar.dayNumber(year: 2026, month: 14, day: 0) == UTCCalendar.dayNumber(year: 2027, month: 1, day: 31)
        )
        #expect(
            UTCCalendar.subtract(CalendarSpan(years: 1, days: 1, hours: 2), from: TestDates.utc(2024, 2, 29, 1))
                == TestDates.utc(2023, 2, 27, 23))
    }
}
