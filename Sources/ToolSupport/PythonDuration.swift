/// Formats durations like Python's `timedelta` text (`0:00:46.689587`, `1 day, 2:03:04`), the way the original
/// tool printed elapsed times and snapshot ages.
public enum PythonDuration {
    /// `duration` as `timedelta` text, to the microsecond (truncated).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return format(seconds: seconds, microseconds: Int64(attoseconds / 1_000_000_000_000))
    }

    /// Whole seconds plus microseconds as `timedelta` text: `H:MM:SS[.ffffff]`, with `N day(s), ` in front
    /// when a day or more (negative values as Python shows them, e.g. `-1 day, 23:59:59`).
    public static func format(seconds totalSeconds: Int64, microseconds: Int64 = 0) -> String {
        var seconds = totalSeconds
        var micros = microseconds
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        // timedelta normalises to days (may be negative) + 0 ≤ seconds < 86400.
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let hours = rest / 3600
        let minutes = (rest % 3600) / 60
        let secs = rest % 60
        var text = "\(hours):" + two(minutes) + ":" + two(secs)
        if micros != 0 {
            let digits = String(micros)
            text += "." + String(repeating: "0", count: 6 - digits.count) + digits
        }
        if days != 0 { text = "\(days) day\(abs(days) == 1 ? "" : "s"), " + text }
        return text
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
