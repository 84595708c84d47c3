#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Proleptic Gregorian calendar arithmetic in UTC with plain integers.
///
/// Retention runs over up to hundreds of thousands of snapshots, so it avoids `Calendar` and works on
/// day numbers (days since 1970-01-01) with the civil-from-days conversion. All bucket keys it returns are
/// monotonic in time, so snapshots sorted by creation fall into contiguous buckets.
enum UTCCalendar {
    static let secondsPerDay: Double = 86_400

    /// The largest magnitude of seconds accepted before clamping (about 300 000 years); protects integer maths
    /// from absurd or non-finite creation times.
    private static let clampSeconds: Double = 1e13

    /// Whole seconds since the epoch, rounded down, clamped to a safe range.
    static func wholeSeconds(_ date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return seconds > 0 ? Int(clampSeconds) : -Int(clampSeconds) }
        return Int(min(max(seconds, -clampSeconds), clampSeconds).rounded(.down))
    }

    /// Day number (days since 1970-01-01) of a whole-second timestamp.
    static func dayNumber(wholeSeconds: Int) -> Int {
        floorDivide(wholeSeconds, 86_400)
    }

    /// Year, month (1–12) and day (1–31) of a day number.
    static func civilDate(dayNumber: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = dayNumber + 719_468  // days since 0000-03-01
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchBasedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchBasedMonth + 2) / 5 + 1
        let month = marchBasedMonth < 10 ? marchBasedMonth + 3 : marchBasedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Day number of a civil date. Months outside 1–12 and days outside the month are normalised by carrying
    /// into the neighbouring months (so 31 February is 3 March in a common year).
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let normalisedYear = year + floorDivide(month - 1, 12)
        let normalisedMonth = floorModulo(month - 1, 12) + 1
        let marchBasedYear = normalisedMonth <= 2 ? normalisedYear - 1 : normalisedYear
        let era = floorDivide(marchBasedYear, 400)
        let yearOfEra = marchBasedYear - era * 400
        let marchBasedMonth = normalisedMonth > 2 ? normalisedMonth - 3 : normalisedMonth + 9
        let dayOfYear = (153 * marchBasedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// A key that is equal for two day numbers exactly when they are in the same UTC calendar month.
    static func monthKey(dayNumber: Int) -> Int {
        let date = civilDate(dayNumber: dayNumber)
        return date.year * 12 + (date.month - 1)
    }

    /// ISO 8601 weekday, Monday = 1 … Sunday = 7 (1970-01-01 was a Thursday).
    static func isoWeekday(dayNumber: Int) -> Int {
        floorModulo(dayNumber + 3, 7) + 1
    }

    /// Day number of the Monday that starts the ISO week containing `dayNumber`; a monotonic week key.
    static func isoWeekStart(dayNumber: Int) -> Int {
        dayNumber - (isoWeekday(dayNumber: dayNumber) - 1)
    }

    /// ISO 8601 week-numbering year and week (1–53) of a day number.
    static func isoWeek(dayNumber: Int) -> (year: Int, week: Int) {
        let thursday = dayNumber - isoWeekday(dayNumber: dayNumber) + 4
        let year = civilDate(dayNumber: thursday).year
        let week = (thursday - self.dayNumber(year: year, month: 1, day: 1)) / 7 + 1
        return (year, week)
    }

    /// A key that is equal for two times exactly when they share the UTC period, growing with time, and the whole
    /// seconds `[start, end)` the period spans, so a walk over sorted times computes the key once per period.
    struct PeriodBucket {
        /// The same key as `GFSSchemeEvaluator.periodKey`: hour number, day number, day number of the ISO week's
        /// Monday, `year × 12 + month − 1`, or the year.
        let key: Int
        /// The first whole second of the period.
        let start: Int
        /// The first whole second after the period.
        let end: Int

        /// Whether `wholeSeconds` falls in this period.
        @inline(__always)
        func contains(_ wholeSeconds: Int) -> Bool { wholeSeconds >= start && wholeSeconds < end }
    }

    /// The period of `period` holding `wholeSeconds`.
    static func bucket(_ period: GFSPeriod, wholeSeconds: Int) -> PeriodBucket {
        let day = dayNumber(wholeSeconds: wholeSeconds)
        switch period {
        case .hourly:
            let hour = floorDivide(wholeSeconds, 3_600)
            return PeriodBucket(key: hour, start: hour * 3_600, end: (hour + 1) * 3_600)
        case .daily:
            return PeriodBucket(key: day, start: day * 86_400, end: (day + 1) * 86_400)
        case .weekly:
            let monday = isoWeekStart(dayNumber: day)
            return PeriodBucket(key: monday, start: monday * 86_400, end: (monday + 7) * 86_400)
        case .monthly:
            let civil = civilDate(dayNumber: day)
            return PeriodBucket(
                key: civil.year * 12 + (civil.month - 1),
                start: dayNumber(year: civil.year, month: civil.month, day: 1) * 86_400,
                end: dayNumber(year: civil.year, month: civil.month + 1, day: 1) * 86_400)
        case .yearly:
            let year = civilDate(dayNumber: day).year
            return PeriodBucket(
                key: year, start: dayNumber(year: year, month: 1, day: 1) * 86_400,
                end: dayNumber(year: year + 1, month: 1, day: 1) * 86_400)
        }
    }

    /// `date` moved back by a calendar span: years, months and days on the civil date (carrying like
    /// Go's `AddDate`, which restic uses), then hours, keeping the time of day and any fraction of a second.
    static func subtract(_ span: CalendarSpan, from date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return date }
        let day = dayNumber(wholeSeconds: wholeSeconds(date))
        let timeOfDay = seconds - Double(day) * secondsPerDay
        let civil = civilDate(dayNumber: day)
        let movedDay = dayNumber(
            year: civil.year - span.years, month: civil.month - span.months, day: civil.day - span.days)
        return Date(timeIntervalSince1970: Double(movedDay) * secondsPerDay + timeOfDay - Double(span.hours) * 3_600)
    }

    /// `YYYY-MM-DD HH:MM:SS` of `date` in UTC, seconds truncated like Python's `strftime`.
    static func timestampText(_ date: Date) -> String {
        let seconds = wholeSeconds(date)
        let day = dayNumber(wholeSeconds: seconds)
        let civil = civilDate(dayNumber: day)
        let secondOfDay = seconds - day * 86_400
        return "\(padded(civil.year, 4))-\(padded(civil.month, 2))-\(padded(civil.day, 2)) "
            + "\(padded(secondOfDay / 3_600, 2)):\(padded(secondOfDay / 60 % 60, 2)):\(padded(secondOfDay % 60, 2))"
    }

    /// `YYYY-MM` of `date` in UTC.
    static func monthText(_ date: Date) -> String {
        let civil = civilDate(dayNumber: dayNumber(wholeSeconds: wholeSeconds(date)))
        return "\(padded(civil.year, 4))-\(padded(civil.month, 2))"
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let padding = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + padding + digits
    }

    static func floorDivide(_ dividend: Int, _ divisor: Int) -> Int {
        let quotient = dividend / divisor
        return (dividend % divisor != 0 && (dividend < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func floorModulo(_ dividend: Int, _ divisor: Int) -> Int {
        dividend - floorDivide(dividend, divisor) * divisor
    }
}
