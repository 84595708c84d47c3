import Foundation
import StorageKit

/// The `report` outputs that go to standard output: the aligned text table and the versioned JSON.
public enum ReportText {
    /// Column headers of the table, in order.
    public static let headers = [
        "DATABASE", "STATUS", "SNAPS", "NEWEST", "AGE", "OLDEST", "AGE", "SPACE TOTAL/UNIQUE", "LOCKED",
        "LAST BACKUP", "RESULT", "TOOK", "LAST RESTORE", "RESULT", "REASON", "DIFF", "TOOK", "VALIDATED",
        "NEXT VALIDATION", "RESTORE TREND (oldest first)",
    ]

    /// The cells of one database's row, in ``headers`` order.
    public static func cells(_ database: DatabaseReport) -> [String] {
        let storage = database.storage
        let reachable = storage.reachable
        let backup = database.lastBackup
        let restore = database.lastAutorestore
        let catalogDown = database.catalog.configured && !database.catalog.reachable
        let noCatalog = !database.catalog.configured
        func fromCatalog(_ value: String?) -> String {
            catalogDown ? "unreachable" : noCatalog ? "no catalog" : (value ?? "none")
        }
        return [
            database.name,
            database.status.rawValue.uppercased(),
            reachable ? String(storage.snapshotCount ?? 0) : "unreachable",
            reachable ? (storage.newest.map { time($0.createdAt) } ?? "none") : "-",
            storage.newest.map { ReportCollector.age($0.ageSeconds) } ?? "-",
            reachable ? (storage.oldest.map { time($0.createdAt) } ?? "none") : "-",
            storage.oldest.map { ReportCollector.age($0.ageSeconds) } ?? "-",
            reachable
                ? "\(DisplayFormat.size(storage.spaceTotalBytes))/\(DisplayFormat.size(storage.spaceUniqueBytes))"
                : "-",
            reachable ? String(storage.lockedSnapshots.count) : "-",
            fromCatalog(backup.map { time($0.startedAt) }),
            backup.map { $0.success ? "ok" : "FAILED" } ?? "-",
            backup.map { ReportCollector.age(Int($0.durationSeconds.rounded())) } ?? "-",
            fromCatalog(restore.map { time($0.startedAt) }),
            restore.map { $0.success ? "ok" : "FAILED" } ?? "-",
            restore.flatMap(\.failureReason) ?? "-",
            restore.flatMap(\.timeDifferenceSeconds).map { "\($0)s" } ?? "-",
            restore.map { ReportCollector.age(Int($0.durationSeconds.rounded())) } ?? "-",
            restore.map { $0.validated ? "yes" : "no" } ?? "-",
            nextValidation(database.validation),
            trend(database.restoreTrend),
        ]
    }

    /// The next validation: `2026-12-09 (in 4 d)`, `1 in 7 restores` or `never`.
    public static func nextValidation(_ validation: ValidationReport) -> String {
        switch validation.mode {
        case "modulus": "\(validation.nextDate ?? "?") (in \(validation.daysToNext ?? 0) d)"
        case "chance": "1 in \(validation.every ?? 0) restores"
        default: "never"
        }
    }

    /// Restore durations, oldest first, as short ages; a failed restore ends with `!`, a validated one with `v`.
    public static func trend(_ points: [RestoreTrendPoint]) -> String {
        if points.isEmpty { return "-" }
        return points.map {
            ReportCollector.age(Int($0.durationSeconds.rounded())).replacingOccurrences(of: " ", with: "")
                + ($0.success ? "" : "!") + ($0.validated ? "v" : "")
        }.joined(separator: " ")
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    public static func time(_ date: Date) -> String { DisplayFormat.utcTimestamp(date) }

    /// The table: a header line, one aligned line per database (columns two spaces apart), then a line per problem
    /// (`<db>: <STATUS>: <problem>`), and a footer naming the report time.
    public static func table(_ report: Report) -> String {
        let rows = [headers] + report.databases.map(cells)
        var widths = [Int](repeating: 0, count: headers.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var lines = rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let problems = report.databases.flatMap { database in
            database.problems.map { "\(database.name): \($0.status.rawValue.uppercased()): \($0.text)" }
        }
        if !problems.isEmpty {
            lines.append("")
            lines += problems
        }
        lines.append("")
        lines.append("Times in UTC; report made \(time(report.generatedAt)) UTC.")
        return lines.joined(separator: "\n")
    }

    /// The `--json` document: pretty-printed, sorted keys, ISO-8601 UTC times; unknown values are left out.
    public static func json(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(StorageJSON.iso8601(date))
        }
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Reads a `--json` document back (tests and consumers written in Swift).
    public static func decode(_ text: String) throws -> Report {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = StorageJSON.parseISO8601(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not ISO-8601: \(text)")
            }
            return date
        }
        return try decoder.decode(Report.self, from: Data(text.utf8))
    }
}
