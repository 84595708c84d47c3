import AutorestoreEngine
import ConfigModel
import Dispatch
import Foundation
import Logging
import ReportCommands
import Reporting
import ResultCatalog
import ResultCatalogSQLite
import StorageKit
import StorageLocalFS
import Synchronization
import Testing

/// What the fixture's history must give, field by field, at report time `now`.
struct ExpectedReport {
    let fixture: ReportFixture
    let now: Date

    func age(_ date: Date) -> Int { Int(now.timeIntervalSince(date).rounded(.down)) }
    func hoursAgo(_ hours: Double) -> Date { fixture.base.addingTimeInterval(-hours * 3600) }
    var names: (orcl: String, cdb1: String, olddb: String, newdb: String) {
        (fixture.names[0], fixture.names[1], fixture.names[2], fixture.names[3])
    }
    func plan(_ name: String) -> ValidationSchedule.Plan {
        ValidationSchedule.plan(key: name, modulus: 30, now: now)
    }
    func snapshot(_ name: String, _ index: Int) -> Snapshot { fixture.snapshots[name]![index] }
    func bytes(_ name: String) -> Int64 { fixture.snapshots[name]!.compactMap(\.spaceTotal).reduce(0, +) }

    /// Checks every field of every database.
    func check(_ report: Report) throws {
        #expect(report.schemaVersion == 1)
        #expect(report.generatedAt == now)
        #expect(report.trendLength == 10)
        #expect(report.databases.map(\.name) == fixture.names)
        let (orcl, cdb1, olddb, newdb) = names
        let byName = Dictionary(uniqueKeysWithValues: report.databases.map { ($0.name, $0) })

        // orcl: healthy.
        let o = try #require(byName[orcl])
        #expect(o.status == .ok)
        #expect(o.problems.isEmpty)
        #expect(o.storage.reachable && o.storage.error == nil)
        #expect(o.storage.snapshotCount == 3)
        #expect(
            o.storage.newest
                == SnapshotSummary(
                    id: "\(orcl)-snap2", createdAt: snapshot(orcl, 2).creation,
                    ageSeconds: age(snapshot(orcl, 2).creation)))
        #expect(
            o.storage.oldest
                == SnapshotSummary(
                    id: "\(orcl)-snap0", createdAt: snapshot(orcl, 0).creation,
                    ageSeconds: age(snapshot(orcl, 0).creation)))
        #expect(o.storage.spaceTotalBytes == bytes(orcl) && bytes(orcl) > 0)
        #expect(o.storage.spaceUniqueBytes == nil)
        #expect(o.storage.lockedSnapshots == [])
        #expect(o.catalog.configured && o.catalog.reachable && o.catalog.error == nil)
        #expect(
            o.lastBackup
                == BackupRunReport(
                    action: "imagecopywithsnap", startedAt: hoursAgo(1), finishedAt: hoursAgo(1) + 1500, success: true,
                    durationSeconds: 1500, ageSeconds: age(hoursAgo(1) + 1500), snapshotID: "\(orcl)-snap",
                    failureDetail: nil))
        #expect(o.autorestoreEnabled)
        #expect(
            o.lastAutorestore
                == AutorestoreRunReport(
                    startedAt: hoursAgo(2), finishedAt: hoursAgo(2) + 720, success: true, failureReason: nil,
                    failureDetail: nil, snapshotID: "\(orcl)-snap2", timeDifferenceSeconds: 12, durationSeconds: 720,
                    ageSeconds: age(hoursAgo(2) + 720), validated: false, corruptBlocks: nil))
        #expect(
            o.validation
                == ValidationReport(
                    mode: "modulus", every: 30, lastValidatedAt: hoursAgo(50),
                    lastValidatedAgeSeconds: age(hoursAgo(50)),
                    nextDate: plan(orcl).nextDate, daysToNext: plan(orcl).daysToNext))
        #expect(o.restoreTrend.map(\.durationSeconds) == [600, 660, 1860, 1200, 720])
        #expect(o.restoreTrend.map(\.success) == [true, true, true, false, true])
        #expect(o.restoreTrend.map(\.validated) == [false, false, true, false, false])
        #expect(o.restoreTrend.map(\.startedAt) == [98, 74, 50, 26, 2].map { hoursAgo(Double($0)) })

        // cdb1: the newest backup and the newest restore failed.
        let c = try #require(byName[cdb1])
        #expect(c.status == .critical)
        #expect(
            c.problems.map(\.text) == [
                "last backup (imagecopywithsnap) failed: RMAN-03009: failure of backup command",
                "last restore test failed: time-difference: verified time is 4000 s before the expected time",
            ])
        #expect(c.storage.snapshotCount == 1)
        #expect(c.storage.newest?.id == "\(cdb1)-snap0" && c.storage.oldest?.id == "\(cdb1)-snap0")
        #expect(c.storage.spaceTotalBytes == bytes(cdb1))
        #expect(
            c.lastBackup
                == BackupRunReport(
                    action: "imagecopywithsnap", startedAt: hoursAgo(1.5), finishedAt: hoursAgo(1.5) + 240,
                    success: false, durationSeconds: 240, ageSeconds: age(hoursAgo(1.5) + 240), snapshotID: nil,
                    failureDetail: "RMAN-03009: failure of backup command"))
        #expect(
            c.lastAutorestore
                == AutorestoreRunReport(
                    startedAt: hoursAgo(3), finishedAt: hoursAgo(3) + 450, success: false,
                    failureReason: "time-difference", failureDetail: "verified time is 4000 s before the expected time",
                    snapshotID: nil, timeDifferenceSeconds: 4000, durationSeconds: 450,
                    ageSeconds: age(hoursAgo(3) + 450), validated: false, corruptBlocks: nil))
        #expect(c.validation.lastValidatedAt == nil && c.validation.lastValidatedAgeSeconds == nil)
        #expect(c.validation.daysToNext == plan(cdb1).daysToNext)
        #expect(c.restoreTrend.map(\.durationSeconds) == [360, 450])
        #expect(c.restoreTrend.map(\.success) == [true, false])

        // olddb: its storage cannot be listed; its only restore is old.
        let d = try #require(byName[olddb])
        #expect(d.status == .unknown)
        #expect(!d.storage.reachable && d.storage.snapshotCount == nil && d.storage.newest == nil)
        #expect(d.storage.error?.contains(olddb) == true, "\(d.storage.error ?? "")")
        #expect(d.problems.count == 2)
        #expect(d.problems.first?.text.hasPrefix("storage cannot be listed: ") == true)
        #expect(d.problems.map(\.status) == [.unknown, .warning])
        #expect(d.problems.last?.text == "last restore test is 8d 8h old (more than 48 h)")
        #expect(d.catalog.reachable)
        #expect(d.lastBackup == nil)
        #expect(d.lastAutorestore?.success == true && d.lastAutorestore?.validated == true)
        #expect(d.lastAutorestore?.durationSeconds == 2700 && d.lastAutorestore?.timeDifferenceSeconds == 3)
        #expect(d.lastAutorestore?.corruptBlocks == 0)
        #expect(d.validation.lastValidatedAt == hoursAgo(200))
        #expect(d.validation.lastValidatedAgeSeconds == age(hoursAgo(200)))

        // newdb: autorestore disabled, nothing recorded: healthy.
        let n = try #require(byName[newdb])
        #expect(n.status == .ok && n.problems.isEmpty)
        #expect(!n.autorestoreEnabled)
        #expect(n.storage.snapshotCount == 1)
        #expect(n.lastBackup == nil && n.lastAutorestore == nil && n.restoreTrend == [])
        #expect(n.validation.nextDate == plan(newdb).nextDate)

        #expect(report.overallStatus == .critical)
    }

    /// The table's cells of every database.
    var cells: [[String]] {
        let (orcl, cdb1, olddb, newdb) = names
        func t(_ date: Date) -> String { DisplayFormat.utcTimestamp(date) }
        func a(_ seconds: Int) -> String { ReportCollector.age(seconds) }
        func next(_ name: String) -> String { "\(plan(name).nextDate) (in \(plan(name).daysToNext) d)" }
        let (o0, o2, c0, n0) = (snapshot(orcl, 0), snapshot(orcl, 2), snapshot(cdb1, 0), snapshot(newdb, 0))
        return [
            [
                orcl, "OK", "3", t(o2.creation), a(age(o2.creation)), t(o0.creation), a(age(o0.creation)),
                "\(DisplayFormat.size(bytes(orcl)))/unknown", "0", t(hoursAgo(1)), "ok", "25m 00s", t(hoursAgo(2)),
                "ok", "-", "12s", "12m 00s", "no", next(orcl), "10m00s 11m00s 31m00sv 20m00s! 12m00s",
            ],
            [
                cdb1, "CRITICAL", "1", t(c0.creation), a(age(c0.creation)), t(c0.creation), a(age(c0.creation)),
                "\(DisplayFormat.size(bytes(cdb1)))/unknown", "0", t(hoursAgo(1.5)), "FAILED", "4m 00s",
                t(hoursAgo(3)), "FAILED", "time-difference", "4000s", "7m 30s", "no", next(cdb1), "6m00s 7m30s!",
            ],
            [
                olddb, "UNKNOWN", "unreachable", "-", "-", "-", "-", "-", "-", "none", "-", "-", t(hoursAgo(200)),
                "ok", "-", "3s", "45m 00s", "yes", next(olddb), "45m00sv",
            ],
            [
                newdb, "OK", "1", t(n0.creation), a(age(n0.creation)), t(n0.creation), a(age(n0.creation)),
                "\(DisplayFormat.size(bytes(newdb)))/unknown", "0", "none", "-", "-", "none", "-", "-", "-", "-", "-",
                next(newdb), "-",
            ],
        ]
    }

    /// Every Prometheus sample: (name, database label) → value.
    var samples: [String: Double] {
        let (orcl, cdb1, olddb, newdb) = names
        func ts(_ date: Date) -> Double { date.timeIntervalSince1970.rounded(.down) }
        var expected: [String: Double] = ["oib_report_timestamp_seconds|": ts(now)]
        func put(_ db: String, _ values: [String: Double]) {
            for (name, value) in values { expected["\(name)|\(db)"] = value }
        }
        func storage(_ db: String, count: Int) -> [String: Double] {
            let list = fixture.snapshots[db]!
            return [
                "oib_snapshots": Double(count), "oib_snapshots_locked": 0,
                "oib_snapshot_newest_timestamp_seconds": ts(list.last!.creation),
                "oib_snapshot_newest_age_seconds": Double(age(list.last!.creation)),
                "oib_snapshot_oldest_age_seconds": Double(age(list.first!.creation)),
                "oib_snapshot_bytes": Double(bytes(db)),
            ]
        }
        put(orcl, storage(orcl, count: 3))
        put(
            orcl,
            [
                "oib_up": 1, "oib_storage_up": 1, "oib_catalog_up": 1, "oib_status": 0,
                "oib_backup_last_timestamp_seconds": ts(hoursAgo(1) + 1500), "oib_backup_last_success": 1,
                "oib_backup_last_duration_seconds": 1500,
                "oib_autorestore_last_timestamp_seconds": ts(hoursAgo(2) + 720), "oib_autorestore_last_success": 1,
                "oib_autorestore_last_duration_seconds": 720, "oib_autorestore_time_difference_seconds": 12,
                "oib_autorestore_last_validated": 0,
                "oib_autorestore_validation_age_seconds": Double(age(hoursAgo(50))),
                "oib_autorestore_next_validation_seconds": Double(plan(orcl).daysToNext * 86_400),
            ])
        put(cdb1, storage(cdb1, count: 1))
        put(
            cdb1,
            [
                "oib_up": 1, "oib_storage_up": 1, "oib_catalog_up": 1, "oib_status": 2,
                "oib_backup_last_timestamp_seconds": ts(hoursAgo(1.5) + 240), "oib_backup_last_success": 0,
                "oib_backup_last_duration_seconds": 240,
                "oib_autorestore_last_timestamp_seconds": ts(hoursAgo(3) + 450), "oib_autorestore_last_success": 0,
                "oib_autorestore_last_duration_seconds": 450, "oib_autorestore_time_difference_seconds": 4000,
                "oib_autorestore_last_validated": 0,
                "oib_autorestore_next_validation_seconds": Double(plan(cdb1).daysToNext * 86_400),
            ])
        put(
            olddb,
            [
                "oib_up": 0, "oib_storage_up": 0, "oib_catalog_up": 1, "oib_status": 3,
                "oib_autorestore_last_timestamp_seconds": ts(hoursAgo(200) + 2700), "oib_autorestore_last_success": 1,
                "oib_autorestore_last_duration_seconds": 2700, "oib_autorestore_time_difference_seconds": 3,
                "oib_autorestore_last_validated": 1,
                "oib_autorestore_validation_age_seconds": Double(age(hoursAgo(200))),
                "oib_autorestore_next_validation_seconds": Double(plan(olddb).daysToNext * 86_400),
            ])
        put(newdb, storage(newdb, count: 1))
        put(
            newdb,
            [
                "oib_up": 1, "oib_storage_up": 1, "oib_catalog_up": 1, "oib_status": 0,
                "oib_autorestore_next_validation_seconds": Double(plan(newdb).daysToNext * 86_400),
            ])
        return expected
    }
}

/// Checks `table` line by line: every cell of every row starts at its header's column.
func checkTable(_ table: String, cells: [[String]], problems: [String]) {
    let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.count == 1 + cells.count + 1 + problems.count + 2, "\(table)")
    var starts: [String.Index] = []
    var cursor = lines[0].startIndex
    for header in ReportText.headers {
        let range = lines[0].range(of: header, range: cursor..<lines[0].endIndex)!
        starts.append(range.lowerBound)
        cursor = range.upperBound
    }
    let offsets = starts.map { lines[0].distance(from: lines[0].startIndex, to: $0) }
    for (row, expected) in cells.enumerated() {
        let line = lines[1 + row]
        for (column, cell) in expected.enumerated() {
            let start =
                line.index(line.startIndex, offsetBy: offsets[column], limitedBy: line.endIndex) ?? line.endIndex
            #expect(line[start...].hasPrefix(cell), "row \(row) column \(ReportText.headers[column]): \(line)")
            if column + 1 < expected.count {
                let end = line.index(line.startIndex, offsetBy: offsets[column + 1])
                #expect(
                    line[start..<end].trimmingCharacters(in: .whitespaces) == cell,
                    "row \(row) column \(ReportText.headers[column])")
            }
        }
    }
    #expect(Array(lines[(2 + cells.count)..<(2 + cells.count + problems.count)]) == problems)
}

/// Validates a textfile with `promtool check metrics` and reads it back with the `prometheus_client` parser.
func parsePrometheus(_ path: String) async throws -> [String: Double] {
    let lint = try await Programs.run("/bin/sh", ["-c", "promtool check metrics < '\(path)'"])
    #expect(lint.status == 0, "promtool: \(lint.stdout) \(lint.stderr)")
    let script = NSTemporaryDirectory() + "oib-prom-parse-\(UUID().uuidString).py"
    try Data(prometheusParseScript.utf8).write(to: URL(fileURLWithPath: script))
    defer { try? FileManager.default.removeItem(atPath: script) }
    let parsed = try await Programs.run("/usr/bin/python3", [script, path])
    try #require(parsed.status == 0, "\(parsed.stderr)")
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[Any]])
    var values: [String: Double] = [:]
    for row in rows {
        let name = row[0] as! String
        #expect(values["\(name)|\(row[1] as! String)"] == nil, "duplicate sample \(name)")
        values["\(name)|\(row[1] as! String)"] = (row[2] as! NSNumber).doubleValue
        #expect(row[3] as? String == "gauge")
        #expect((row[4] as? String)?.isEmpty == false)
    }
    return values
}

let toolsInstalled =
    FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

@Suite("report: a history written by the catalogs, storage listed by localfs")
struct ReportTests {
    @Test func everyFieldFromSQLite() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let now = fixture.base.addingTimeInterval(3600)
        let report = await ReportCommand.collect(
            configuration: try fixture.configuration, names: fixture.names, environment: [:], now: now,
            trendLength: 10, parallelism: 2, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        let expected = ExpectedReport(fixture: fixture, now: now)
        try expected.check(report)

        // The table.
        #expect(report.databases.map(ReportText.cells) == expected.cells)
        let problems = report.databases.flatMap { db in
            db.problems.map { "\(db.name): \($0.status.rawValue.uppercased()): \($0.text)" }
        }
        #expect(problems.count == 4)
        checkTable(ReportText.table(report), cells: expected.cells, problems: problems)
        #expect(ReportText.table(report).hasSuffix("report made \(DisplayFormat.utcTimestamp(now)) UTC."))

        // JSON: versioned, and it reads back to the same report.
        let json = try ReportText.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        #expect(object["generatedAt"] as? String == StorageJSON.iso8601(now))
        let first = try #require((object["databases"] as? [[String: Any]])?.first)
        #expect(
            Set(first.keys) == [
                "name", "status", "problems", "storage", "catalog", "lastBackup", "autorestoreEnabled",
                "lastAutorestore",
                "validation", "restoreTrend",
            ])
        #expect(try ReportText.decode(json) == report)
    }

    @Test(.enabled(if: toolsInstalled, "needs promtool (Debian prometheus) and python3-prometheus-client"))
    func prometheusTextfileReadsBackWithEveryValue() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let now = fixture.base.addingTimeInterval(3600)
        let path = fixture.directory + "/oib.prom"
        let run = try await Programs.tool(
            "report", ["--config", fixture.configPath, "--now", StorageJSON.iso8601(now), "--prometheus", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        let values = try await parsePrometheus(path)
        let expected = ExpectedReport(fixture: fixture, now: now).samples
        #expect(Set(values.keys) == Set(expected.keys))
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(values[key] == value, "\(key)")
        }
        // Written atomically: nothing but the file (and the tree's own files) is left.
        let left = try FileManager.default.contentsOfDirectory(atPath: fixture.directory).filter { $0.hasPrefix(".") }
        #expect(left == [])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
    }

    @Test func theToolPrintsWhatTheLibraryCollects() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let now = fixture.base.addingTimeInterval(3600)
        let report = await ReportCommand.collect(
            configuration: try fixture.configuration, names: fixture.names, environment: [:], now: now,
            trendLength: 10, parallelism: 8, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        let common = ["--config", fixture.configPath, "--now", StorageJSON.iso8601(now)]
        let text = try await Programs.tool("report", common)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == ReportText.table(report) + "\n")
        let json = try await Programs.tool("report", common + ["--json"])
        #expect(json.stdout == (try ReportText.json(report)) + "\n")
        try ExpectedReport(fixture: fixture, now: now).check(try ReportText.decode(json.stdout))

        // A selection, in the order given.
        let some = try await Programs.tool("report", common + ["--json", "\(fixture.names[3]),\(fixture.names[0])"])
        #expect(try ReportText.decode(some.stdout).databases.map(\.name) == [fixture.names[3], fixture.names[0]])

        // Usage errors exit 2.
        let unknown = try await Programs.tool("report", common + ["nosuchdb"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nosuchdb is not a database section"))
        #expect(try await Programs.tool("report", common + ["--trend", "0"]).status == 2)

        // Later: the newest snapshot has aged past warningsnapage (24 h) and criticalsnapage (48 h).
        let later = try await Programs.tool(
            "report", ["--config", fixture.configPath, "--json", "--now", StorageJSON.iso8601(now + 30 * 3600)])
        let aged = try ReportText.decode(later.stdout)
        #expect(aged.databases[0].status == .warning)
        #expect(
            aged.databases[0].problems.first?.text.hasPrefix("newest snapshot is 1d 7h old (warning at 24 h)") == true)
        let muchLater = try ReportText.decode(
            try await Programs.tool(
                "report", ["--config", fixture.configPath, "--json", "--now", StorageJSON.iso8601(now + 50 * 3600)]
            ).stdout)
        #expect(muchLater.databases[0].status == .critical)
        #expect(muchLater.databases[3].problems.first?.text.contains("(critical at 48 h)") == true)
        // The restore test is now 2d 4h old: more than 48 h.
        #expect(muchLater.databases[0].problems.contains { $0.text.hasPrefix("last restore test is 2d 4h old") })
        // The report changed nothing: same catalog rows, same snapshots.
        let again = await ReportCommand.collect(
            configuration: try fixture.configuration, names: fixture.names, environment: [:], now: now,
            trendLength: 10, parallelism: 8, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        #expect(again == report)
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "needs Debian's chromium"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3"))
    func htmlPageRendersInHeadlessChromium() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let now = fixture.base.addingTimeInterval(3600)
        let page = fixture.directory + "/report.html"
        let run = try await Programs.tool(
            "report", ["--config", fixture.configPath, "--now", StorageJSON.iso8601(now), "--html", page])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let report = await ReportCommand.collect(
            configuration: try fixture.configuration, names: fixture.names, environment: [:], now: now,
            trendLength: 10, parallelism: 8, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        #expect(html == HTMLReport.page(report))
        // Self-contained: no script, no link, no external reference.
        for forbidden in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(forbidden)) }
        #expect(html.components(separatedBy: "http").count == 1 + 3)  // the three SVG namespaces only
        let (orcl, cdb1, olddb, newdb) = ExpectedReport(fixture: fixture, now: now).names
        for (name, status) in [(orcl, "ok"), (cdb1, "critical"), (olddb, "unknown"), (newdb, "ok")] {
            #expect(html.contains("<tr class=\"\(status)\" id=\"db-\(name)\">"))
        }
        #expect(html.components(separatedBy: "<svg ").count == 1 + 3)
        let titles = 1 + 5 + 2 + 1  // the page title and one per bar
        #expect(html.components(separatedBy: "<title>").count == titles + 1)
        #expect(html.contains("RMAN-03009: failure of backup command"))
        #expect(html.contains("time-difference: verified time is 4000 s before the expected time"))
        #expect(html.contains("storage cannot be listed: "))
        #expect(html.contains("(not enabled)"))

        // The screenshot shows the page: many colours, among them the critical and ok status colours.
        let png = fixture.directory + "/report.png"
        let shot = try await Programs.run(
            "/usr/bin/chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(fixture.directory)/chromium",
                "--screenshot=\(png)", "--window-size=1200,800", "file://\(page)",
            ], environment: ["HOME": fixture.directory, "PATH": "/usr/bin:/bin"])
        try #require(FileManager.default.fileExists(atPath: png), "chromium: \(shot.stderr)")
        let script = fixture.directory + "/png.py"
        try Data(pngColoursScript.utf8).write(to: URL(fileURLWithPath: script))
        let colours = try await Programs.run("/usr/bin/python3", [script, png])
        try #require(colours.status == 0, "\(colours.stderr)")
        let lines = colours.stdout.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: " ").compactMap { Int($0) }
        #expect(header[0] == 1200 && header[1] == 800)
        #expect(header[2] > 50, "distinct colours: \(header[2])")
        let frequent = Set(lines.dropFirst().map { String($0.split(separator: " ")[0]) })
        #expect(frequent.contains(HTMLReport.colours[.critical]!), "\(frequent)")
        #expect(frequent.contains(HTMLReport.colours[.ok]!), "\(frequent)")
        #expect(frequent.contains(HTMLReport.colours[.unknown]!), "\(frequent)")
        // OIB_REPORT_SAMPLES=DIR keeps the screenshot, the table and the metrics (Documentation/monitoring.md).
        if let keep = ProcessInfo.processInfo.environment["OIB_REPORT_SAMPLES"] {
            try? FileManager.default.removeItem(atPath: keep + "/report.png")
            try FileManager.default.copyItem(atPath: png, toPath: keep + "/report.png")
            try Data((ReportText.table(report) + "\n").utf8).write(to: URL(fileURLWithPath: keep + "/report.txt"))
            try Data(PrometheusReport.text(report).utf8).write(to: URL(fileURLWithPath: keep + "/oib.prom"))
            try Data((try ReportText.json(report) + "\n").utf8).write(to: URL(fileURLWithPath: keep + "/report.json"))
        }
    }

    @Test(.enabled(if: postgresURL != nil, "OIB_POSTGRES_URL is not set: run Scripts/test.sh"))
    func everyFieldFromPostgreSQL() async throws {
        let fixture = try await ReportFixture.postgres()
        defer { fixture.remove() }
        let now = fixture.base.addingTimeInterval(3600)
        let report = await ReportCommand.collect(
            configuration: try fixture.configuration, names: fixture.names, environment: [:], now: now,
            trendLength: 10, parallelism: 4, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        try ExpectedReport(fixture: fixture, now: now).check(report)
        #expect(report.databases.allSatisfy { $0.catalog.backend == "postgres" })
    }
}

@Suite("report: collector rules")
struct ReportCollectorTests {
    struct FailingCatalog: ResultCatalog {
        var backendName: String { "sqlite" }
        var location: String { "/gone/results.sqlite" }
        func prepare() async throws(CatalogError) {}
        func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 { 0 }
        func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 { 0 }
        func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
            throw CatalogError(.unreachable, backend: "sqlite", detail: "/gone/results.sqlite does not exist")
        }
        func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] { [] }
        func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> { [] }
    }

    @Test func storageIsListedInParallelWithinTheBound() async throws {
        let running = Mutex((now: 0, most: 0))
        let subjects = (0..<12).map { index in
            ReportSubject(
                name: "db\(index)",
                listSnapshots: {
                    running.withLock {
                        $0.now += 1; $0.most = max($0.most, $0.now)
                    }
                    try await Task.sleep(for: .milliseconds(50))
                    running.withLock { $0.now -= 1 }
                    return [Snapshot(id: "db\(index)-s", creation: Date(timeIntervalSince1970: 1_000))]
                }, catalog: .notConfigured, autorestoreEnabled: false, validation: .never)
        }
        let report = await ReportCollector(
            catalogs: [:], parallelism: 3, now: Date(timeIntervalSince1970: 2_000), logger: ReportFixture.logger
        ).collect(subjects)
        #expect(report.databases.map(\.name) == (0..<12).map { "db\($0)" })
        #expect(report.databases.allSatisfy { $0.storage.newest?.ageSeconds == 1000 })
        let most = running.withLock { $0.most }
        #expect(most == 3)
    }

    @Test func lockedAndUniqueSpaceAndAnUnreadableCatalogHideNothingElse() async throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let snapshots = [
            Snapshot(id: "a", creation: now - 7200, spaceTotal: 100, spaceUnique: 10, isLocked: true),
            Snapshot(
                id: "b", creation: now - 3600, spaceTotal: 200, spaceUnique: 20, isLocked: true, lockedUntil: now - 1),
            Snapshot(
                id: "c", creation: now - 60, spaceTotal: 300, spaceUnique: 30, isLocked: true, lockedUntil: now + 60),
        ]
        let report = await ReportCollector(
            catalogs: ["broken": FailingCatalog()], now: now, logger: ReportFixture.logger
        ).collect([
            ReportSubject(
                name: "good", listSnapshots: { snapshots }, catalog: .notConfigured, autorestoreEnabled: true,
                validation: .chance(oneIn: 7), snapshotWarningHours: 1, snapshotCriticalHours: 2),
            ReportSubject(
                name: "broken", listSnapshots: { snapshots }, catalog: .catalog(key: "broken"),
                autorestoreEnabled: true, validation: .never),
        ])
        let good = report.databases[0]
        #expect(good.storage.lockedSnapshots == ["a", "c"])  // b's lock has expired
        #expect(good.storage.spaceTotalBytes == 600 && good.storage.spaceUniqueBytes == 60)
        #expect(good.storage.newest?.id == "c" && good.storage.oldest?.id == "a")
        #expect(good.status == .warning)
        #expect(good.problems.map(\.text) == ["no results catalog is configured, so restore tests cannot be shown"])
        #expect(good.validation == ValidationReport(mode: "chance", every: 7))
        #expect(ReportText.cells(good)[7] == "600B/60B" && ReportText.cells(good)[8] == "2")
        #expect(ReportText.cells(good)[18] == "1 in 7 restores")
        let broken = report.databases[1]
        #expect(broken.status == .unknown)
        #expect(!broken.catalog.reachable && broken.catalog.location == "/gone/results.sqlite")
        #expect(
            broken.problems.map(\.text) == [
                "results catalog cannot be read: results catalog (sqlite) unreachable: /gone/results.sqlite does not exist"
            ])
        #expect(broken.storage.snapshotCount == 3)
        #expect(ReportText.cells(broken)[9] == "unreachable" && ReportText.cells(broken)[12] == "unreachable")
        let metrics = PrometheusReport.text(report)
        #expect(metrics.contains("oib_catalog_up{database=\"broken\"} 0\n"))
        #expect(metrics.contains("oib_up{database=\"broken\"} 0\n"))
        #expect(!metrics.contains("oib_catalog_up{database=\"good\"}"))
        #expect(metrics.contains("oib_snapshot_unique_bytes{database=\"good\"} 60\n"))
        #expect(metrics.contains("oib_snapshots_locked{database=\"good\"} 2\n"))
        #expect(PrometheusReport.escapeLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}

@Suite("report: a hung storage")
struct ReportDeadlineTests {
    /// A listing that blocks its thread (as a `stat` on a hung hard NFS mount does) and ignores cancellation is
    /// given up after the time limit; the other database is reported as usual.
    @Test func aHungListingIsShownAsTimedOutAndHidesNothing() async throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var collector = ReportCollector(catalogs: [:], now: now, logger: ReportFixture.logger)
        collector.sourceTimeout = .milliseconds(300)
        // Blocks its thread until the test ends (a hung mount never answers); released after the checks.
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let report = await collector.collect([
            ReportSubject(
                name: "hung",
                listSnapshots: {
                    release.wait()
                    return [Snapshot(id: "late", creation: now - 60)]
                }, catalog: .notConfigured, autorestoreEnabled: false, validation: .never),
            ReportSubject(
                name: "fine", listSnapshots: { [Snapshot(id: "s", creation: now - 60)] }, catalog: .notConfigured,
                autorestoreEnabled: false, validation: .never),
        ])
        let hung = report.databases[0]
        #expect(!hung.storage.reachable)
        #expect(hung.problems.contains { $0.text.contains("timed out") }, "\(hung.problems)")
        #expect(report.databases[1].storage.newest?.id == "s")
    }

    @Test func theDeadlinePassesResultsAndErrorsThrough() async throws {
        #expect(try await Deadline.run(within: .seconds(30)) { 42 } == 42)
        await #expect(throws: CancellationError.self) {
            try await Deadline.run(within: .seconds(30)) { () async throws -> Int in throw CancellationError() }
        }
    }
}

@Suite("report: 200 databases")
struct ReportScaleTests {
    @Test func twoHundredDatabasesInSeconds() async throws {
        let directory = NSTemporaryDirectory() + "oib-report-scale-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = directory + "/backup"
        let names = (0..<200).map { String(format: "db%03d", $0) }
        var config = """
            [generic]
            backupdest: \(root)
            snappermodule: localfs
            [autorestore]
            autorestorecatalogtype: sqlite
            catalogfile: \(directory)/results.sqlite

            """
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let catalog = try SQLiteResultCatalog(path: directory + "/results.sqlite")
        try await catalog.prepare()
        let base = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        for (index, name) in names.enumerated() {
            config += "[\(name)]\ndbid: \(index + 1)\n"
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/\(name)/data.dbf"))
            let driver = LocalFSDriver(volumeName: name, root: root, logger: ReportFixture.logger)
            _ = try await driver.createSnapshot(named: "\(name)-a")
            for run in 0..<3 {
                let start = base - Double(run * 86_400 + index)
                try await catalog.recordRestore(
                    RestoreRecord(
                        database: name, startedAt: start, finishedAt: start + 600, success: run != 1,
                        failureReason: run == 1 ? "missing-archivelog" : nil, timeDifferenceSeconds: 10 + run,
                        logText: String(repeating: "log line\n", count: 200)))
            }
            try await catalog.recordBackup(
                BackupRunRecord(
                    database: name, action: "imagecopywithsnap", startedAt: base - 3600, finishedAt: base - 3000,
                    success: true))
        }
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/backup.cfg"))
        let configuration = try BackupConfiguration.read(path: directory + "/backup.cfg", environment: [:])
        let clock = ContinuousClock()
        let started = clock.now
        let report = await ReportCommand.collect(
            configuration: configuration, names: names, environment: [:], now: base + 60, trendLength: 10,
            parallelism: 8, restoreMaxAgeHours: 48, logger: ReportFixture.logger)
        let elapsed = clock.now - started
        #expect(elapsed < .seconds(20), "\(elapsed)")
        #expect(report.databases.map(\.name) == names)
        #expect(
            report.databases.allSatisfy { $0.status == .ok },
            "\(String(describing: report.databases.first { $0.status != .ok }))")
        #expect(report.databases.allSatisfy { $0.restoreTrend.map(\.success) == [true, false, true] })
        #expect(report.databases.allSatisfy { $0.storage.snapshotCount == 1 && $0.lastBackup?.success == true })
        #expect(report.databases.allSatisfy { $0.lastAutorestore?.timeDifferenceSeconds == 10 })
    }
}
