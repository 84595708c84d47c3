import Foundation

/// `report --prometheus FILE`: the report as a node_exporter textfile (Prometheus text exposition format 0.0.4).
/// Every metric is a gauge labelled `database`; a value that is not known (no backup recorded, storage unreachable)
/// is left out for that database rather than written as a made-up number.
public enum PrometheusReport {
    /// One metric family: name, help text and how to read its value from a database.
    public struct Family: Sendable {
        /// The metric name (`oib_…`, base units in the suffix).
        public var name: String
        /// The `# HELP` text.
        public var help: String
        /// The value for one database, `nil` to leave it out.
        public var value: @Sendable (DatabaseReport) -> Double?
    }

    static func flag(_ value: Bool) -> Double { value ? 1 : 0 }

    /// Every family written, in file order.
    public static let families: [Family] = [
        Family(
            name: "oib_up",
            help: "Whether both the storage and the results catalog of the database could be read (1) or not (0).",
            value: { flag($0.storage.reachable && (!$0.catalog.configured || $0.catalog.reachable)) }),
        Family(
            name: "oib_storage_up", help: "Whether the database's snapshots could be listed (1) or not (0).",
            value: { flag($0.storage.reachable) }),
        Family(
            name: "oib_catalog_up",
            help:
                "Whether the database's results catalog could be read (1) or not (0); absent when none is configured.",
            value: { $0.catalog.configured ? flag($0.catalog.reachable) : nil }),
        Family(
            name: "oib_status",
            help: "Overall health as in the report: 0 ok, 1 warning, 2 critical, 3 unknown.",
            value: { Double($0.status.nagiosCode) }),
        Family(
            name: "oib_replica_up",
            help: "Whether the off-site copy's snapshots could be listed (1) or not (0); absent without [replication].",
            value: { $0.replica.map { flag($0.reachable) } }),
        Family(
            name: "oib_replica_snapshots_behind",
            help: "Snapshots of the database the off-site copy does not hold yet (newer than its newest).",
            value: { $0.replica?.snapshotsBehind.map(Double.init) }),
        Family(
            name: "oib_replica_lag_seconds",
            help: "Seconds between the database's newest snapshot and the off-site copy's newest.",
            value: { $0.replica?.lagSeconds }),
        Family(
            name: "oib_replica_newest_age_seconds",
            help: "Age of the off-site copy's newest snapshot at report time, in seconds.",
            value: { $0.replica?.newest.map { Double($0.ageSeconds) } }),
        Family(
            name: "oib_snapshots", help: "Number of snapshots of the database's backup area.",
            value: { $0.storage.snapshotCount.map(Double.init) }),
        Family(
            name: "oib_snapshots_locked", help: "Number of snapshots the storage protects from deletion.",
            value: { $0.storage.reachable ? Double($0.storage.lockedSnapshots.count) : nil }),
        Family(
            name: "oib_snapshot_newest_timestamp_seconds",
            help: "Creation time of the newest snapshot, seconds since the Unix epoch.",
            value: { $0.storage.newest.map { $0.createdAt.timeIntervalSince1970.rounded(.down) } }),
        Family(
            name: "oib_snapshot_newest_age_seconds", help: "Age of the newest snapshot at report time, in seconds.",
            value: { $0.storage.newest.map { Double($0.ageSeconds) } }),
        Family(
            name: "oib_snapshot_oldest_age_seconds", help: "Age of the oldest snapshot at report time, in seconds.",
            value: { $0.storage.oldest.map { Double($0.ageSeconds) } }),
        Family(
            name: "oib_snapshot_bytes",
            help: "Bytes referenced by all snapshots together, as the storage reports them.",
            value: { $0.storage.spaceTotalBytes.map(Double.init) }),
        Family(
            name: "oib_snapshot_unique_bytes",
            help: "Bytes held only by single snapshots (freed by deleting them), as the storage reports them.",
            value: { $0.storage.spaceUniqueBytes.map(Double.init) }),
        Family(
            name: "oib_backup_last_timestamp_seconds",
            help: "End time of the newest recorded backup run, seconds since the Unix epoch.",
            value: { $0.lastBackup.map { $0.finishedAt.timeIntervalSince1970.rounded(.down) } }),
        Family(
            name: "oib_backup_last_success", help: "Whether the newest recorded backup run succeeded (1) or not (0).",
            value: { $0.lastBackup.map { flag($0.success) } }),
        Family(
            name: "oib_backup_last_duration_seconds", help: "Duration of the newest recorded backup run, in seconds.",
            value: { $0.lastBackup?.durationSeconds }),
        Family(
            name: "oib_autorestore_last_timestamp_seconds",
            help: "End time of the newest restore test, seconds since the Unix epoch.",
            value: { $0.lastAutorestore.map { $0.finishedAt.timeIntervalSince1970.rounded(.down) } }),
        Family(
            name: "oib_autorestore_last_success", help: "Whether the newest restore test passed (1) or not (0).",
            value: { $0.lastAutorestore.map { flag($0.success) } }),
        Family(
            name: "oib_autorestore_last_duration_seconds", help: "Duration of the newest restore test, in seconds.",
            value: { $0.lastAutorestore?.durationSeconds }),
        Family(
            name: "oib_autorestore_time_difference_seconds",
            help: "Expected minus verified database time of the newest restore test, in seconds.",
            value: { $0.lastAutorestore?.timeDifferenceSeconds.map(Double.init) }),
        Family(
            name: "oib_autorestore_last_validated",
            help: "Whether the newest restore test also ran RMAN block validation (1) or not (0).",
            value: { $0.lastAutorestore.map { flag($0.validated) } }),
        Family(
            name: "oib_autorestore_validation_age_seconds",
            help: "Seconds since the start of the newest successful restore test that ran block validation.",
            value: { $0.validation.lastValidatedAgeSeconds.map(Double.init) }),
        Family(
            name: "oib_autorestore_next_validation_seconds",
            help:
                "Time until the next planned block validation day, in whole days expressed in seconds (modulus schedule only).",
            value: { $0.validation.daysToNext.map { Double($0 * 86_400) } }),
    ]

    /// The textfile: `# HELP`/`# TYPE gauge` then one sample per database that has a value, for every family, and
    /// `oib_report_timestamp_seconds` (when the report was made).
    public static func text(_ report: Report) -> String {
        var lines: [String] = []
        for family in families {
            lines.append("# HELP \(family.name) \(escapeHelp(family.help))")
            lines.append("# TYPE \(family.name) gauge")
            for database in report.databases {
                if let value = family.value(database) {
                    lines.append("\(family.name){database=\"\(escapeLabel(database.name))\"} \(number(value))")
                }
            }
        }
        lines.append("# HELP oib_report_timestamp_seconds When the report was made, seconds since the Unix epoch.")
        lines.append("# TYPE oib_report_timestamp_seconds gauge")
        lines.append("oib_report_timestamp_seconds \(number(report.generatedAt.timeIntervalSince1970.rounded(.down)))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Integers without a fraction, everything else in full precision.
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A label value with `\`, `"` and newlines escaped.
    public static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Writes files so that a reader (node_exporter, a web server) sees the old content or the new, never a part:
/// a temporary file in the same directory, flushed to disk, then renamed over the target.
public enum AtomicFile {
    /// Writes `text` to `path` atomically with mode 0644. Throws `CocoaError` (or POSIX errors) when the directory is
    /// missing or not writable; the temporary file is removed then.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp"
        let created = FileManager.default.createFile(
            atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
        guard created else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.synchronize()
            try handle.close()
            if rename(temporary, path) != 0 {
                throw CocoaError(
                    .fileWriteUnknown,
                    userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
