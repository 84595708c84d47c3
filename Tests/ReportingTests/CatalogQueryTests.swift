import Foundation
import StorageKit
import Testing

/// The SQL of Documentation/monitoring.md, run as documented against catalogs the catalog implementations wrote.
@Suite("Monitoring SQL of Documentation/monitoring.md")
struct CatalogQueryTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Documentation/monitoring.md").path

    /// The ```sql block after `<!-- sql: NAME -->` in the document.
    static func query(_ name: String) throws -> String {
        let text = try String(contentsOfFile: document, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- sql: \(name) -->"), "no query \(name)")
        let start = try #require(text.range(of: "```sql\n", range: marker.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// Rows as text (NULL as nil) from the SQLite file, opened read-only, through python3's sqlite3 module.
    static func sqlite(_ path: String, _ sql: String) async throws -> [[String?]] {
        let script = #"""
            import json, sqlite3, sys
            connection = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
            rows = connection.execute(sys.stdin.read() if len(sys.argv) < 3 else sys.argv[2]).fetchall()
            print(json.dumps([[None if v is None else str(v) for v in row] for row in rows]))
            """#
        let run = try await Programs.run("/usr/bin/python3", ["-c", script, path, sql])
        try #require(run.status == 0, "\(run.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[Any]])
        return rows.map { $0.map { $0 as? String } }
    }

    /// Rows as text (NULL as nil) from PostgreSQL through psql.
    static func postgres(_ sql: String) async throws -> [[String?]] {
        let run = try await Programs.run(
            "/usr/bin/psql", [postgresURL!, "-X", "-q", "-A", "-t", "-F", "\u{1f}", "-P", "null=\u{1e}", "-c", sql],
            environment: ["PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "10"])
        try #require(run.status == 0, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map {
            $0.split(separator: "\u{1f}", omittingEmptySubsequences: false).map { $0 == "\u{1e}" ? nil : String($0) }
        }
    }

    /// Checks the last-restore and last-backup rows of the fixture's databases.
    static func check(restores: [[String?]], backups: [[String?]], fixture: ReportFixture) throws {
        let (orcl, cdb1, olddb, newdb) = (fixture.names[0], fixture.names[1], fixture.names[2], fixture.names[3])
        let byName = Dictionary(
            restores.filter { fixture.names.contains($0[0] ?? "") }.map { ($0[0]!, $0) },
            uniquingKeysWith: { a, _ in a })
        #expect(Set(byName.keys) == [orcl, cdb1, olddb])
        #expect(byName[newdb] == nil)
        let now = Date()
        func utc(_ hoursAgo: Double, plus seconds: Double) -> String {
            DisplayFormat.utcTimestamp(fixture.base.addingTimeInterval(-hoursAgo * 3600 + seconds))
        }
        func checkAge(_ row: [String?], endedHoursAgo: Double, plus seconds: Double) {
            let expected = now.timeIntervalSince(fixture.base.addingTimeInterval(-endedHoursAgo * 3600 + seconds))
            let age = Double(row[5] ?? "") ?? -1
            #expect(abs(age - expected) < 120, "age \(age), expected about \(expected)")
        }
        // database, finished_utc, success, failure_reason, failure_detail, age_seconds, duration_seconds,
        // time_difference_seconds, validated, nagios_status
        let o = try #require(byName[orcl])
        #expect(o[1] == utc(2, plus: 720) && o[2] == "1" && o[3] == nil && o[4] == nil)
        checkAge(o, endedHoursAgo: 2, plus: 720)
        #expect(Array(o[6...]) == ["720", "12", "0", "0"])
        let c = try #require(byName[cdb1])
        #expect(c[1] == utc(3, plus: 450) && c[2] == "0" && c[3] == "time-difference")
        #expect(c[4] == "verified time is 4000 s before the expected time")
        checkAge(c, endedHoursAgo: 3, plus: 450)
        #expect(Array(c[6...]) == ["450", "4000", "0", "2"])
        let d = try #require(byName[olddb])
        #expect(d[1] == utc(200, plus: 2700) && d[2] == "1" && d[3] == nil)
        checkAge(d, endedHoursAgo: 200, plus: 2700)
        #expect(Array(d[6...]) == ["2700", "3", "1", "1"])

        // database, action, finished_utc, success, failure_detail, duration_seconds, age_seconds
        let lastBackups = backups.filter { fixture.names.contains($0[0] ?? "") }
        #expect(lastBackups.count == 2)
        let ob = try #require(lastBackups.first { $0[0] == orcl })
        #expect(Array(ob[1...5]) == ["imagecopywithsnap", utc(1, plus: 1500), "1", nil, "1500"])
        let cb = try #require(lastBackups.first { $0[0] == cdb1 })
        #expect(
            Array(cb[1...5]) == [
                "imagecopywithsnap", utc(1.5, plus: 240), "0", "RMAN-03009: failure of backup command", "240",
            ])
        let backupAge = Double(cb[6] ?? "") ?? -1
        #expect(abs(backupAge - now.timeIntervalSince(fixture.base.addingTimeInterval(-1.5 * 3600 + 240))) < 120)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3"))
    func sqliteQueries() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let file = fixture.directory + "/results.sqlite"
        try Self.check(
            restores: try await Self.sqlite(file, try Self.query("sqlite-last-restore")),
            backups: try await Self.sqlite(file, try Self.query("sqlite-last-backup")), fixture: fixture)
    }

    @Test(
        .enabled(
            if: postgresURL != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"),
            "needs OIB_POSTGRES_URL (Scripts/test.sh) and psql"))
    func postgresQueries() async throws {
        let fixture = try await ReportFixture.postgres()
        defer { fixture.remove() }
        try Self.check(
            restores: try await Self.postgres(try Self.query("postgres-last-restore")),
            backups: try await Self.postgres(try Self.query("postgres-last-backup")), fixture: fixture)
    }
}
