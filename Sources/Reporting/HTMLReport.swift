import Foundation
import StorageKit

/// `report --html FILE`: one self-contained page (inline CSS, inline SVG charts, no script, no external asset) with a
/// status colour per database and a chart of each database's recent restore durations.
public enum HTMLReport {
    /// Background colour of each status (also the chart's bar colours for passed and failed restores).
    public static let colours: [HealthStatus: String] = [
        .ok: "#2e7d32", .warning: "#f9a825", .critical: "#c62828", .unknown: "#6d4c9f",
    ]

    /// The page.
    public static func page(_ report: Report) -> String {
        let generated = DisplayFormat.utcTimestamp(report.generatedAt)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Backup and restore test report \(generated) UTC</title>
            <style>
            body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; background: #fafafa; }
            h1 { font-size: 22px; margin: 0 0 4px 0; }
            p.meta { color: #555; margin: 0 0 16px 0; }
            table { border-collapse: collapse; width: 100%; background: #fff; }
            th, td { border: 1px solid #ccc; padding: 6px 8px; font-size: 13px; text-align: left; vertical-align: top; }
            th { background: #37474f; color: #fff; }
            td.status { color: #fff; font-weight: bold; text-align: center; }
            tr.ok td.status { background: \(colours[.ok]!); }
            tr.warning td.status { background: \(colours[.warning]!); color: #222; }
            tr.critical td.status { background: \(colours[.critical]!); }
            tr.unknown td.status { background: \(colours[.unknown]!); }
            tr.critical td.name { border-left: 6px solid \(colours[.critical]!); }
            tr.warning td.name { border-left: 6px solid \(colours[.warning]!); }
            tr.unknown td.name { border-left: 6px solid \(colours[.unknown]!); }
            tr.ok td.name { border-left: 6px solid \(colours[.ok]!); }
            .problems { margin: 4px 0 0 0; padding-left: 16px; max-width: 320px; }
            .problems li.critical { color: #8e0000; }
            .problems li.warning { color: #6d5200; }
            .problems li.unknown { color: #4a2f73; }
            .t { white-space: nowrap; }
            .summary span { display: inline-block; padding: 4px 10px; margin-right: 8px; border-radius: 4px; color: #fff; }
            .muted { color: #888; }
            </style>
            </head>
            <body>
            <h1>Backups and restore tests</h1>
            <p class="meta">Report made \(generated) UTC; times in UTC; restore trend: the last \(report.trendLength) restores, oldest on the left (red: failed).</p>

            """
        html += "<p class=\"summary\">"
        for status in HealthStatus.allCases {
            let count = report.databases.filter { $0.status == status }.count
            let textColour = status == .warning ? "#222" : "#fff"
            html +=
                "<span style=\"background: \(colours[status]!); color: \(textColour)\">\(status.rawValue.uppercased()): \(count)</span>"
        }
        html += "</p>\n<table>\n<tr>"
        for header in [
            "Database", "Status", "Snapshots", "Last backup", "Last restore test", "Validation", "Restore durations",
        ] {
            html += "<th>\(header)</th>"
        }
        html += "</tr>\n"
        for database in report.databases { html += row(database) }
        html += "</table>\n</body>\n</html>\n"
        return html
    }

    static func row(_ database: DatabaseReport) -> String {
        let cells = ReportText.cells(database)
        // cells: 0 name, 1 status, 2 snaps, 3 newest, 4 age, 5 oldest, 6 age, 7 space, 8 locked, 9 backup, 10 result,
        // 11 took, 12 restore, 13 result, 14 reason, 15 diff, 16 took, 17 validated, 18 next validation.
        var problems = ""
        if !database.problems.isEmpty {
            problems =
                "<ul class=\"problems\">"
                + database.problems.map {
                    "<li class=\"\($0.status.rawValue)\">\($0.status.rawValue.uppercased()): \(escape($0.text))</li>"
                }.joined() + "</ul>"
        }
        let storage = database.storage
        var snapshots = "<span class=\"muted\">unreachable</span>"
        if storage.reachable {
            snapshots = "<b>\(cells[2])</b> snapshots, \(escape(cells[7])) total/unique"
            if let newest = storage.newest, let oldest = storage.oldest {
                snapshots += "<br>newest <span class=\"t\">\(escape(newest.id))</span>, \(cells[4]) old"
                snapshots += "<br>oldest <span class=\"t\">\(escape(oldest.id))</span>, \(cells[6]) old"
            }
            snapshots +=
                storage.lockedSnapshots.isEmpty
                ? "<br>none locked" : "<br>locked: " + escape(storage.lockedSnapshots.joined(separator: ", "))
        }
        let backup =
            database.lastBackup.map {
                "<b>\(cells[10])</b> <span class=\"t\">\(escape(cells[9]))</span><br>\(escape($0.action)), took \(cells[11])"
            } ?? "<span class=\"muted\">\(escape(cells[9]))</span>"
        let restore =
            database.lastAutorestore.map {
                "<b>\(cells[13])</b> <span class=\"t\">\(escape(cells[12]))</span>"
                    + ($0.failureReason.map { "<br>\(escape($0))" } ?? "")
                    + "<br>took \(cells[16]), difference \(cells[15]), validated \(cells[17])"
            }
            ?? "<span class=\"muted\">\(escape(cells[12]))\(database.autorestoreEnabled ? "" : " (not enabled)")</span>"
        let lastValidated =
            database.validation.lastValidatedAt.map {
                "last <span class=\"t\">\(DisplayFormat.utcTimestamp($0))</span>"
            }
            ?? "never validated"
        return """
            <tr class="\(database.status.rawValue)" id="db-\(escape(database.name))">\
            <td class="name"><b>\(escape(database.name))</b>\(problems)</td>\
            <td class="status">\(cells[1])</td>\
            <td>\(snapshots)</td><td>\(backup)</td><td>\(restore)</td>\
            <td>\(lastValidated)<br>next \(escape(cells[18]))</td>\
            <td>\(chart(database.restoreTrend))</td></tr>

            """
    }

    /// An inline SVG bar chart of restore durations in minutes, oldest on the left; red bars failed, lighter bars
    /// validated. Each bar has a `<title>` (shown on hover, no script needed).
    public static func chart(_ points: [RestoreTrendPoint], width: Int = 200, height: Int = 64) -> String {
        guard !points.isEmpty else { return "<span class=\"muted\">no restores</span>" }
        let longest = max(points.map(\.durationSeconds).max() ?? 1, 1)
        let top = 12
        let plot = Double(height - top - 2)
        let slot = Double(width) / Double(points.count)
        let barWidth = max(2, slot * 0.7)
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#eceff1\"/>"
        svg +=
            "<text x=\"2\" y=\"10\" font-size=\"9\" fill=\"#333\">max \(ReportCollector.age(Int(longest.rounded())))</text>"
        for (index, point) in points.enumerated() {
            let barHeight = max(1, plot * point.durationSeconds / longest)
            let x = Double(index) * slot + (slot - barWidth) / 2
            let y = Double(height) - 1 - barHeight
            let colour = point.success ? (point.validated ? "#66bb6a" : colours[.ok]!) : colours[.critical]!
            let label =
                "\(DisplayFormat.utcTimestamp(point.startedAt)) UTC: \(ReportCollector.age(Int(point.durationSeconds.rounded())))"
                + (point.success ? "" : ", failed") + (point.validated ? ", validated" : "")
            func f(_ value: Double) -> String { String(format: "%.1f", value) }
            svg +=
                "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(barWidth))\" height=\"\(f(barHeight))\" fill=\"\(colour)\"><title>\(escape(label))</title></rect>"
        }
        return svg + "</svg>"
    }

    /// HTML text escaping (`&`, `<`, `>`, `"`, `'`).
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
