import ArgumentParser
import AutorestoreCommands
import CommandSupport
import Foundation
import Reporting
import ResultCatalog
import StorageKit
import Testing

@testable import ReportCommands

@Suite("autorestore --check: Nagios status of the newest restore test")
struct AutorestoreCheckTests {
    @Test func everyExitCodeThroughTheTool() async throws {
        let fixture = try await ReportFixture.sqlite()
        defer { fixture.remove() }
        let (orcl, cdb1, _, newdb) = (fixture.names[0], fixture.names[1], fixture.names[2], fixture.names[3])
        func check(_ arguments: [String], config: String? = nil) async throws -> RunResult {
            try await Programs.tool("autorestore", ["--config", config ?? fixture.configPath] + arguments)
        }
        let last = fixture.restores[orcl]![0]
        let when = DisplayFormat.utcTimestamp(last.finishedAt)

        // 0 OK: the newest restore passed 1 h 48 min ago (limit 48 h).
        let ok = try await check(["--check", orcl])
        #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")
        let okLine = try #require(ok.stdout.split(separator: "\n").first.map(String.init))
        #expect(ok.stdout == okLine + "\n")
        #expect(okLine.hasPrefix("OK: \(orcl): last autorestore succeeded at \(when) UTC (1h 4"), "\(okLine)")
        #expect(okLine.contains("ago), took 12m 00s, time difference 12s|age="))
        let age = try #require(Int(okLine.split(separator: "|")[1].split(separator: "=")[1].prefix { $0.isNumber }))
        #expect(okLine.hasSuffix("|age=\(age)s;172800 duration=720s timediff=12s"))
        #expect((6480..<6600).contains(age))

        // 1 WARNING: the same restore is older than --max-age-hours 1.
        let warning = try await check(["--check", orcl, "--max-age-hours", "1"])
        #expect(warning.status == 1)
        #expect(warning.stdout.hasPrefix("WARNING: \(orcl): last autorestore succeeded at \(when) UTC ("))
        #expect(warning.stdout.contains("ago), older than 1 h|age="))
        #expect(warning.stdout.contains(";3600 duration=720s timediff=12s\n"))

        // 2 CRITICAL: the newest restore failed; the reason is in the text.
        let failed = try await check(["--check", cdb1])
        #expect(failed.status == 2)
        #expect(failed.stdout.hasPrefix("CRITICAL: \(cdb1): last autorestore failed at "))
        #expect(
            failed.stdout.contains(
                "ago): time-difference: verified time is 4000 s before the expected time|age="))
        #expect(failed.stdout.hasSuffix(";172800 duration=450s timediff=4000s\n"))

        // 2 CRITICAL: nothing recorded.
        let never = try await check(["--check", newdb])
        #expect(never.status == 2)
        #expect(never.stdout == "CRITICAL: \(newdb): no autorestore recorded|age=U;172800\n")

        // 3 UNKNOWN: the catalog cannot be read; an unknown database.
        let text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        let broken = fixture.directory + "/broken.cfg"
        try Data(
            text.replacingOccurrences(
                of: "catalogfile: \(fixture.directory)/results.sqlite",
                with: "catalogfile: \(fixture.directory)/gone/results.sqlite"
            )
            .utf8
        ).write(to: URL(fileURLWithPath: broken))
        let unreachable = try await check(["--check", orcl], config: broken)
        #expect(unreachable.status == 3)
        #expect(unreachable.stdout.hasPrefix("UNKNOWN: \(orcl): results catalog cannot be opened: "))
        #expect(unreachable.stdout.contains("gone/results.sqlite does not exist"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/gone"))
        let unknownDatabase = try await check(["--check", "nosuchdb"])
        #expect(unknownDatabase.status == 3)
        #expect(unknownDatabase.stdout.hasPrefix("UNKNOWN: nosuchdb is not a database section of "))
        let missingConfig = try await check(["--check", orcl], config: fixture.directory + "/none.cfg")
        #expect(missingConfig.status == 3)
        #expect(missingConfig.stdout.hasPrefix("UNKNOWN: "))

        // Usage errors stay exit 2.
        let usage = try await check(["--max-age-hours", "3"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--max-age-hours goes with --check"))
        #expect(try await check(["--check", orcl, "--createcatalog"]).status == 2)
    }

    /// A `|` in a failure detail would start the perfdata early, and NRPE 2 cuts output at 1 KiB: the message is
    /// cleaned and capped so the perfdata survives.
    @Test func statusLineKeepsThePerfdataIntact() {
        let long = NagiosResult(
            status: .critical, message: "orcl: mount failed: a|b " + String(repeating: "é", count: 2000),
            performanceData: "age=1s;86400")
        let line = long.line
        #expect(line.split(separator: "|").count == 2, "\(line.prefix(80))")
        #expect(line.hasSuffix("…|age=1s;86400"))
        #expect(line.contains("mount failed: a/b"))
        #expect(line.utf8.count <= NagiosResult.maximumMessageBytes + "|age=1s;86400".utf8.count)
        #expect(NagiosResult(status: .ok, message: "short").line == "OK: short")
    }

    @Test func aDatabaseNamedTwiceIsReportedOnce() throws {
        let command = try ReportCommand.parse(["orcl,other,orcl"])
        #expect(command.selectedNames == ["orcl", "other"])
    }

    @Test func evaluation() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let check = AutorestoreCheck(maxAgeHours: 24)
        func record(_ success: Bool, endedAgo: Double, reason: String? = nil, detail: String? = nil)
            -> RestoreRecord
        {
            RestoreRecord(
                database: "orcl", startedAt: now - endedAgo - 300, finishedAt: now - endedAgo, success: success,
                failureReason: reason, failureDetail: detail, validated: true)
        }
        let ok = check.evaluate(database: "orcl", restores: [record(true, endedAgo: 3600)], now: now)
        #expect(ok.status == .ok)
        #expect(
            ok.line
                == "OK: orcl: last autorestore succeeded at 1970-01-12 12:46:40 UTC (1h 00m ago), took 5m 00s, validated|age=3600s;86400 duration=300s"
        )
        let stale = check.evaluate(database: "orcl", restores: [record(true, endedAgo: 90_000)], now: now)
        #expect(stale.status == .warning && stale.exitCode == 1)
        let failed = check.evaluate(
            database: "orcl",
            restores: [record(false, endedAgo: 10, reason: nil, detail: nil), record(true, endedAgo: 99)],
            now: now)
        #expect(failed.status == .critical)
        #expect(failed.message.hasSuffix("ago): no reason recorded"))
        let bad = AutorestoreCheck(maxAgeHours: -1).evaluate(database: "orcl", restores: [], now: now)
        #expect(bad.status == .unknown && bad.exitCode == 3)
    }
}
