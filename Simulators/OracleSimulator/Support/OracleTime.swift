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

    /// `yyyy-mm-dd hh24:mi:ss`, the NLS_DATE_FORMAT the tools set.
    public static func isoSeconds(_ date: Date, _ zone: TimeZone) -> String {
        formatter("yyyy-MM-dd HH:mm:ss", zone).string(from: date)
    }

    /// Parses `yyyy-mm-dd hh24:mi:ss` (also accepts `-` as time separator, as Oracle's lenient parser does).
    public static func parseISOSeconds(_ text: String, _ zone: TimeZone) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = formatter("yyyy-MM-dd HH:mm:ss", zone).date(from: trimmed) { return date }
        return formatter("yyyy-MM-dd HH-mm-ss", zone).date(from: trimmed)
    }

    /// The RMAN banner form, e.g. `Tue Nov 8 21:53:24 2016`.
    public static func banner(_ date: Date, _ zone: TimeZone) -> String {
        formatter("EEE MMM d HH:mm:ss yyyy", zone).string(from: date)
    }

    /// The RMAN-03002 form, e.g. `11/08/2016 22:49:18`.
    public static func rmanErrorStamp(_ date: Date, _ zone: TimeZone) -> String {
        formatter("MM/dd/yyyy HH:mm:ss", zone).string(from: date)
    }

    /// `YYYYMMDD` for controlfile autobackup names.
    public static func compactDay(_ date: Date, _ zone: TimeZone) -> String {
        formatter("yyyyMMdd", zone).string(from: date)
    }

    /// `YYYY_MM_DD` for fast-recovery-area directories.
    public static func fraDay(_ date: Date, _ zone: TimeZone) -> String {
        formatter("yyyy_MM_dd", zone).string(from: date)
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
