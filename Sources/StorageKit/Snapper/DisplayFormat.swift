import Foundation

/// The `snapper` text formats (reference §4.2), with unknown values shown as `unknown` (R-26).
public enum DisplayFormat {
    /// Binary units with floor division: `TB`, `GB`, `MB`, `kB`, `B`; `nil` or negative → `unknown`.
    public static func size(_ bytes: Int64?) -> String {
        guard let bytes, bytes >= 0 else { return "unknown" }
        let units: [(shift: Int64, suffix: String)] = [(40, "TB"), (30, "GB"), (20, "MB"), (10, "kB")]
        for unit in units where bytes >= (Int64(1) << unit.shift) {
            return "\(bytes >> unit.shift)\(unit.suffix)"
        }
        return "\(bytes)B"
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    public static func utcTimestamp(_ date: Date) -> String {
        // Arithmetic, not a calendar: a listing prints hundreds of these.
        let fields = WireTimestamp.utcFields(date)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(padded(fields.year, 4))-\(padded(fields.month, 2))-\(padded(fields.day, 2)) "
            + "\(padded(fields.hour, 2)):\(padded(fields.minute, 2)):\(padded(fields.second, 2))"
    }

    /// `orcl-20161017T093914 [2016-10-17 07:39:14 UTC] total=177MB unique=0B clones=1`; an unknown clone count
    /// prints `clones=unknown`. A locked snapshot ends with ` locked until 2016-10-24 07:39:14 UTC` (` (expired)`
    /// once the expiry passed while the storage still holds it), or ` locked` for a lock without an expiry.
    public static func snapshotLine(_ snapshot: Snapshot) -> String {
        let line =
            "\(snapshot.id) [\(utcTimestamp(snapshot.creation)) UTC] total=\(size(snapshot.spaceTotal))"
            + " unique=\(size(snapshot.spaceUnique)) clones=\(count(snapshot.cloneCount))"
        let lock = SnapshotLock.describe(snapshot)
        if lock == "not locked" { return line }
        return line + " " + (snapshot.lockedUntil == nil ? "locked" : lock)
    }

    /// A count, or `unknown` for `nil` or negative.
    public static func count(_ value: Int?) -> String {
        guard let value, value >= 0 else { return "unknown" }
        return String(value)
    }

    /// `<clonename> [<origin snapshot>] [mount point: <mountpoint>]`; an unknown mount point prints `unknown`.
    public static func cloneLine(_ clone: Clone) -> String {
        "\(clone.name) [\(clone.originSnapshot)] [mount point: \(clone.mountPoint ?? "unknown")]"
    }

    /// Python `timedelta` text without microseconds: `0:03:57`, `1 day, 2:03:04`, `3 days, 0:00:00`.
    public static func duration(seconds: Int) -> String {
        let negative = seconds < 0
        // Python normalises negative durations to "-1 day, 23:59:59"; we keep a plain sign instead.
        let total = abs(seconds)
        let days = total / 86_400
        let rest = total % 86_400
        let clock = String(format: "%d:%02d:%02d", rest / 3600, (rest % 3600) / 60, rest % 60)
        let text = days == 0 ? clock : "\(days) day\(days == 1 ? "" : "s"), \(clock)"
        return negative ? "-" + text : text
    }
}
