#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The original tool's display formats (reference-behaviour §4.2), with unknown sizes shown as `unknown`.
public enum SnapshotLineFormat {
    /// `<id> [YYYY-MM-DD HH:MM:SS UTC] total=<size> unique=<size> clones=<n>`; an unknown clone count prints
    /// `clones=unknown`.
    public static func line(for snapshot: SnapshotRecord) -> String {
        "\(snapshot.id) [\(utcTimestamp(snapshot.createdAt)) UTC] total=\(byteSize(snapshot.totalBytes)) "
            + "unique=\(byteSize(snapshot.uniqueBytes)) clones=\(snapshot.knownCloneCount.map(String.init) ?? "unknown")"
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC; fractions of a second are truncated.
    public static func utcTimestamp(_ date: Date) -> String {
        UTCCalendar.timestampText(date)
    }

    /// Bytes with binary thresholds and floor division: `TB` from 2^40, `GB` from 2^30, `MB` from 2^20, `kB`
    /// from 2^10, else `B`. `nil` or negative (a plug-in's "unknown") gives `unknown`.
    public static func byteSize(_ bytes: Int64?) -> String {
        guard let bytes, bytes >= 0 else { return "unknown" }
        let units: [(shift: Int64, suffix: String)] = [(40, "TB"), (30, "GB"), (20, "MB"), (10, "kB")]
        for unit in units where bytes >= Int64(1) << unit.shift {
            return "\(bytes >> unit.shift)\(unit.suffix)"
        }
        return "\(bytes)B"
    }
}
