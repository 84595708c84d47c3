import Foundation

/// Date formatting and parsing in the shapes Oracle tools print (all in the simulator's time zone).
public enum OracleTime {
    /// The time zone of every simulated clock reading: `ORACLE_SIM_TZ`, else `TZ`, else the process default.
    public static func timeZone(_ environment: [String: String]) -> TimeZone {
        if let name = environment["ORACLE_SIM_TZ"] ?? environment["TZ"], let zone = TimeZone(identifier: name) {
            return zone
        }
        return TimeZone.current
    }

    private static func formatter(_ pattern: String, _ zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }

    /// The wall-clock fields of `date` in `zone` (proleptic Gregorian calendar).
    struct Fields: Equatable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        /// 0 = Sunday.
        var weekday: Int
    }

    /// Splits `date` into its fields in `zone` by arithmetic (no DateFormatter: creating one loads ICU's locale
    /// data, milliseconds that every simulated program paid for each date it printed).
    static func fields(_ date: Date, _ zone: TimeZone) -> Fields {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down)) + zone.secondsFromGMT(for: date)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 7 + 4) % 7
        return Fields(
            year: year, month: month, day: day, hour: secondOfDay / 3600, minute: (secondOfDay / 60) % 60,
            second: secondOfDay % 60, weekday: weekday)
    }

    /// Days from 1970-01-01 to the given civil date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `yyyy-mm-dd hh24:mi:ss`, the NLS_DATE_FORMAT the tools set.
    public static func isoSeconds(_ date: Date, _ zone: TimeZone) -> String {
        let f = fields(date, zone)
        return
            "\(pad(f.year, 4))-\(pad(f.month, 2))-\(pad(f.day, 2)) \(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2))"
    }

    /// Parses `yyyy-mm-dd hh24:mi:ss` (also accepts `-` as time separator, as Oracle's lenient parser does).
    public static func parseISOSeconds(_ text: String, _ zone: TimeZone) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = parseFixed(trimmed, timeSeparator: ":", zone) ?? parseFixed(trimmed, timeSeparator: "-", zone) {
            return date
        }
        // Anything the strict scan does not take goes to the formatter, as before.
        if let date = formatter("yyyy-MM-dd HH:mm:ss", zone).date(from: trimmed) { return date }
        return formatter("yyyy-MM-dd HH-mm-ss", zone).date(from: trimmed)
    }

    /// `Y-M-D h<sep>m<sep>s` with 1–4 digit year and 1–2 digit other fields, each in its range (the day in its
    /// month), as a wall-clock time of `zone`; nil for anything else.
    static func parseFixed(_ text: String, timeSeparator: Character, _ zone: TimeZone) -> Date? {
        let halves = text.split(separator: " ", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let datePart = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        let timePart = halves[1].split(separator: timeSeparator, omittingEmptySubsequences: false)
        guard datePart.count == 3, timePart.count == 3 else { return nil }
        func number(_ part: Substring, _ maxDigits: Int) -> Int? {
            guard !part.isEmpty, part.count <= maxDigits, part.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return nil
            }
            return Int(part)
        }
        guard let year = number(datePart[0], 4), let month = number(datePart[1], 2), let day = number(datePart[2], 2),
            let hour = number(timePart[0], 2), let minute = number(timePart[1], 2),
            let second = number(timePart[2], 2), year >= 1, (1...12).contains(month), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...monthDays).contains(day) else { return nil }
        let local = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        // The instants whose wall-clock time this is, trying the zone's offsets a day before and a day after: two
        // in the hour a clock is set back (the later one, as DateFormatter picks), none in the hour it skips
        // (left to DateFormatter).
        func offset(_ instant: Int) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant))) }
        let candidates = Set([local - offset(local - 86_400), local - offset(local + 86_400)])
            .filter { local - offset($0) == $0 }
        guard let instant = candidates.max() else { return nil }
        return Date(timeIntervalSince1970: Double(instant))
    }

    private static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The RMAN banner form, e.g. `Tue Nov 8 21:53:24 2016`.
    public static func banner(_ date: Date, _ zone: TimeZone) -> String {
        let f = fields(date, zone)
        return "\(weekdayNames[f.weekday]) \(monthNames[f.month - 1]) \(f.day) "
            + "\(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2)) \(pad(f.year, 4))"
    }

    /// The RMAN-03002 form, e.g. `11/08/2016 22:49:18`.
    public static func rmanErrorStamp(_ date: Date, _ zone: TimeZone) -> String {
        let f = fields(date, zone)
        return
            "\(pad(f.month, 2))/\(pad(f.day, 2))/\(pad(f.year, 4)) \(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2))"
    }

    /// `YYYYMMDD` for controlfile autobackup names.
    public static func compactDay(_ date: Date, _ zone: TimeZone) -> String {
        let f = fields(date, zone)
        return pad(f.year, 4) + pad(f.month, 2) + pad(f.day, 2)
    }

    /// `YYYY_MM_DD` for fast-recovery-area directories.
    public static func fraDay(_ date: Date, _ zone: TimeZone) -> String {
        let f = fields(date, zone)
        return pad(f.year, 4) + "_" + pad(f.month, 2) + "_" + pad(f.day, 2)
    }

    /// SQL*Plus `Elapsed: hh:mm:ss.cc` for a duration in seconds.
    public static func elapsed(_ seconds: Double) -> String {
        let centis = Int((max(0, seconds) * 100).rounded())
        let hours = centis / 360_000
        let minutes = (centis / 6000) % 60
        let secs = (centis / 100) % 60
        return String(format: "%02d:%02d:%02d.%02d", hours, minutes, secs, centis % 100)
    }

    /// RMAN `elapsed time: hh:mm:ss`.
    public static func rmanElapsed(_ seconds: Int) -> String {
        String(format: "%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60)
    }
}
