import Foundation

/// Snapshot and clone names as the reference builds them.
public enum SnapshotNaming {
    /// `YYYYmmddTHHMMSS` wall-clock time in `timeZone` (the reference uses the host's local time).
    public static func timestamp(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// `<volume><separator><YYYYmmddTHHMMSS>`, e.g. `orcl-20161108T215336` (NetApp uses `_`).
    public static func snapshotName(
        volume: String, date: Date, timeZone: TimeZone = .current, separator: String = "-"
    ) -> String {
        volume + separator + timestamp(date, timeZone: timeZone)
    }

    /// `<snapshot>_clone_<YYYYmmddTHHMMSS>` (the `zsnapper clone` naming).
    public static func cloneName(snapshot: String, date: Date, timeZone: TimeZone = .current) -> String {
        "\(snapshot)_clone_\(timestamp(date, timeZone: timeZone))"
    }

    /// True for names every driver accepts: 1–200 characters of `A-Z a-z 0-9 . _ : -`, not starting with `.` or `-`.
    public static func isPortableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 200, first != ".", first != "-"
        else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", ":", "-": return true
            default: return false
            }
        }
    }
}
