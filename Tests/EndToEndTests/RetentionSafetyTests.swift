import AutorestoreEngine
import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// A scratch installation on localfs whose snapshot history is written directly, with chosen creation times.
final class RetentionScenario {
    let environment: OracleEnvironment
    /// Five snapshots of 2016, far beyond `snapexpirationdays: 31` / `snapexpirationmonths: 6`: the scheme
    /// drops all but the newest.
    static let history = (1...5).map { "orcl-2016010\($0)T000000" }
    /// The one whose latest autorestore succeeded in ``recordRestores(catalog:)``.
    static let verified = history[1]

    init(autorestore: String = "", databaseExtra: String = "", oracle: Bool = false) async throws {
        environment = try OracleEnvironment(databaseExtra: databaseExtra)
        if !autorestore.isEmpty {
            let config = environment.text(environment.configPath).replacingOccurrences(
                of: "autorestoremaxtoleranceminutes: 5\n", with: "autorestoremaxtoleranceminutes: 5\n\(autorestore)\n")
            try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        }
        if oracle {
            try await environment.sim([
                "create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup",
            ])
            try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        }
        try FileManager.default.createDirectory(atPath: environment.backupArea, withIntermediateDirectories: true)
        for (day, id) in Self.history.enumerated() { try seed(id, creation: "2016-01-0\(day + 1)T00:00:00Z") }
    }

    var root: String { environment.root }
    var snapshotDirectory: String { environment.backupRoot + "/.snapshots/orcl" }

    /// Puts a snapshot of orcl on the localfs storage as if the storage had taken it at `creation` (ISO 8601).
    func seed(_ id: String, creation: String) throws {
        try FileManager.default.createDirectory(atPath: snapshotDirectory + "/" + id, withIntermediateDirectories: true)
        try #"{"volume": "orcl", "snapshot": "\#(id)", "creation": "\#(creation)", "bytes": 0, "reflinked": true}"#
            .write(toFile: snapshotDirectory + "/" + id + ".json", atomically: true, encoding: .utf8)
    }

    /// The snapshot ids on the storage, sorted.
    var snapshots: [String] {
        environment.contents(snapshotDirectory).filter { !$0.hasSuffix(".json") && !$0.hasPrefix(".") }
    }

    /// Restore results: `verified` passed its latest autorestore; `history[3]` passed once, then failed (so it is
    /// not verified); `history[4]` failed; another database's success on `history[4]` does not count for orcl.
    func recordRestores(catalog path: String) async throws {
        let catalog = try SQLiteResultCatalog(path: path)
        try await catalog.prepare()
        func record(_ database: String, _ snapshot: String, _ start: TimeInterval, _ success: Bool) async throws {
            _ = try await catalog.recordRestore(
                RestoreRecord(
                    database: database, startedAt: Date(timeIntervalSince1970: start),
                    finishedAt: Date(timeIntervalSince1970: start + 60), success: success, snapshotID: snapshot))
        }
        try await record("orcl", Self.verified, 1_452_000_000, true)
        try await record("orcl", Self.history[3], 1_452_100_000, true)
        try await record("orcl", Self.history[3], 1_452_200_000, false)
        try await record("orcl", Self.history[4], 1_452_300_000, false)
        try await record("otherdb", Self.history[4], 1_452_400_000, true)
    }

    func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
        try await environment.snapper(arguments)
    }
}

@Suite("Retention keeps what it promises (built binaries)", .serialized)
struct RetentionSafetyTests {
    // MARK: snapkeepverified on every deleting path

    @Test func snapperCleanKeepsTheNewestVerifiedSnapshot() async throws {
        let scenario = try await RetentionScenario(autorestore: "catalogfile: results.sqlite")
        try await scenario.recordRestores(catalog: scenario.root + "/results.sqlite")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == [RetentionScenario.verified, RetentionScenario.history[4]])
        let line = clean.stdout.split(separator: "\n").first { $0.hasPrefix(RetentionScenario.verified) } ?? ""
        #expect(line.contains("newest snapshot that passed an autorestore (snapkeepverified)"), "\(clean.stdout)")
    }

    @Test func snapperDropsnapRefusesTheNewestVerifiedSnapshot() async throws {
        let scenario = try await RetentionScenario(autorestore: "catalogfile: results.sqlite")
        try await scenario.recordRestores(catalog: scenario.root + "/results.sqlite")
        let refused = try await scenario.snapper(["orcl", "dropsnap", RetentionScenario.verified])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("newest snapshot that passed an autorestore"), "\(refused.stderr)")
        #expect(scenario.snapshots.contains(RetentionScenario.verified))
        // Its latest restore failed, so history[3] is not verified and may go.
        let allowed = try await scenario.snapper(["orcl", "dropsnap", RetentionScenario.history[3]])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(!scenario.snapshots.contains(RetentionScenario.history[3]))
    }

    @Test func imagecopywithsnapKeepsTheNewestVerifiedSnapshot() async throws {
        let scenario = try await RetentionScenario(autorestore: "catalogfile: results.sqlite", oracle: true)
        try await scenario.recordRestores(catalog: scenario.root + "/results.sqlite")
        #expect(try await scenario.environment.backup(["orcl", "config"]).status == 0)
        let run = try await scenario.environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let remaining = scenario.snapshots
        #expect(remaining.count == 2, "\(remaining)")
        #expect(remaining.first == RetentionScenario.verified)
    }

    @Test func backupAllKeepsTheNewestVerifiedSnapshot() async throws {
        let scenario = try await RetentionScenario(autorestore: "catalogfile: results.sqlite", oracle: true)
        try await scenario.recordRestores(catalog: scenario.root + "/results.sqlite")
        #expect(try await scenario.environment.backup(["orcl", "config"]).status == 0)
        let run = try await scenario.environment.backup(["--all", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let remaining = scenario.snapshots
        #expect(remaining.count == 2, "\(remaining)")
        #expect(remaining.first == RetentionScenario.verified)
    }

    // MARK: an unreadable catalog fails closed

    @Test func unreadableSQLiteCatalogDeletesNothingWarnsAndFails() async throws {
        let missing = "missing-dir/results.sqlite"
        let scenario = try await RetentionScenario(autorestore: "catalogfile: \(missing)")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 1, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history)
        let warning = clean.stderr.split(separator: "\n").first { $0.contains("WARNING") && $0.contains(missing) }
        #expect(warning?.contains("retention drops nothing this run") == true, "\(clean.stderr)")
        let drop = try await scenario.snapper(["orcl", "dropsnap", RetentionScenario.history[0]])
        #expect(drop.status == 1, "\(drop.stdout)\(drop.stderr)")
        #expect(drop.stderr.contains("autorestore results cannot be read"), "\(drop.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history)
    }

    @Test func unreachablePostgresCatalogIsNamedWithoutItsPassword() async throws {
        let scenario = try await RetentionScenario(
            autorestore: "autorestorecatalogtype: postgres\ncatalogurl: postgres://oib:pw-Very-Secret@127.0.0.1:1/none")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 1, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history)
        #expect(clean.stderr.contains("WARNING"))
        #expect(clean.stderr.contains("postgres://oib@127.0.0.1:1/none"), "\(clean.stderr)")
        #expect(!clean.stderr.contains("pw-Very-Secret") && !clean.stdout.contains("pw-Very-Secret"))
    }

    @Test func oracleCatalogCannotBeReadYetSoNothingIsDeleted() async throws {
        let scenario = try await RetentionScenario(
            autorestore: "autorestorecatalogtype: oracle\nautorestorecatalog: results/Catalog-Secret@AUTORESTORE")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 1, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history)
        #expect(clean.stderr.contains("results/***@AUTORESTORE (oracle) cannot be read"), "\(clean.stderr)")
        #expect(!clean.stderr.contains("Catalog-Secret"))
    }

    /// An original configuration names its Oracle catalog only for autorestore (`autorestorecatalog`, no type, no
    /// `snapkeepverified`); the original's retention never read it. Unreadable from the backup host, retention runs
    /// as the original's did, with a WARNING; set `snapkeepverified` explicitly and it fails closed again.
    @Test func originalConfigWithAnUnreadableOracleCatalogRetainsLikeTheOriginal() async throws {
        let original = try await RetentionScenario(
            autorestore: "autorestorecatalog: results/Catalog-Secret@AUTORESTORE")
        let clean = try await original.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(original.snapshots == [RetentionScenario.history.last!])
        #expect(clean.stderr.contains("results/***@AUTORESTORE (oracle) cannot be read"), "\(clean.stderr)")
        #expect(clean.stderr.contains("retention runs as the original did"), "\(clean.stderr)")
        #expect(!clean.stderr.contains("Catalog-Secret"))

        let explicit = try await RetentionScenario(
            autorestore: "autorestorecatalog: results/Catalog-Secret@AUTORESTORE",
            databaseExtra: "snapkeepverified: TRUE")
        let refused = try await explicit.snapper(["orcl", "clean"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(explicit.snapshots == RetentionScenario.history)
    }

    @Test func imagecopywithsnapWithAnUnreadableCatalogStillBacksUpButDeletesNothing() async throws {
        let missing = "missing-dir/results.sqlite"
        let scenario = try await RetentionScenario(autorestore: "catalogfile: \(missing)", oracle: true)
        #expect(try await scenario.environment.backup(["orcl", "config"]).status == 0)
        let run = try await scenario.environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(scenario.snapshots.count == RetentionScenario.history.count + 1)
        #expect(Set(RetentionScenario.history).isSubset(of: scenario.snapshots))
        let log = scenario.environment.latestLog("imagecopywithsnap")
        #expect(
            log.split(separator: "\n").contains { $0.contains("WARNING") && $0.contains(missing) }, "\(log)")
        #expect(log.contains("Write database parameters for autorestore"))
        #expect(scenario.environment.text(scenario.environment.backupArea + "/autorestore.cfg").contains("db_name"))
    }

    // MARK: no catalog configured

    @Test func withoutACatalogRetentionWarnsOnceAndPlansWithoutVerifiedSnapshots() async throws {
        let scenario = try await RetentionScenario()
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == [RetentionScenario.history[4]])
        #expect(clean.stderr.components(separatedBy: "no autorestore results catalog is configured").count == 2)
        #expect(clean.stderr.contains("set snapkeepverified: false to silence"))

        let silent = try await RetentionScenario(databaseExtra: "snapkeepverified: false")
        let quiet = try await silent.snapper(["orcl", "clean"])
        #expect(quiet.status == 0)
        #expect(!quiet.stderr.contains("snapkeepverified"), "\(quiet.stderr)")
    }

    @Test func theDefaultResultsFileBesideTheAutorestoreLogsIsRead() async throws {
        let scenario = try await RetentionScenario()
        try await scenario.recordRestores(catalog: scenario.root + "/autorestore/log/autorestore-results.sqlite")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == [RetentionScenario.verified, RetentionScenario.history[4]])
        #expect(!clean.stderr.contains("WARNING"), "\(clean.stderr)")
    }

    // MARK: clock skew

    @Test func aSnapshotDatedInTheFutureStopsSnapperClean() async throws {
        let scenario = try await RetentionScenario()
        try scenario.seed("orcl-20990101T000000", creation: "2099-01-01T00:00:00Z")
        let plan = try await scenario.snapper(["orcl", "clean", "--dry-run"])
        #expect(plan.stdout.contains("Nothing will be dropped because snapshot 'orcl-20990101T000000'"))
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 1, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history + ["orcl-20990101T000000"])
        let error = clean.stderr.split(separator: "\n").first { $0.contains("ERROR") } ?? ""
        #expect(error.contains("'orcl-20990101T000000' is dated 2099-01-01 00:00:00 UTC"), "\(clean.stderr)")
        #expect(error.contains(#/after this host's time 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC/#), "\(error)")
        let drop = try await scenario.snapper(["orcl", "dropsnap", RetentionScenario.history[0]])
        #expect(drop.status == 1)
        #expect(scenario.snapshots.contains(RetentionScenario.history[0]))
    }

    @Test func aHostClockBehindTheSnapshotsStopsRetention() async throws {
        // As if the host clock had been set back two days: every snapshot on the storage is "from the future".
        let scenario = try await RetentionScenario(databaseExtra: "snapretention: gfs\nsnapkeeplast: 1")
        let formatter = ISO8601DateFormatter()
        let ahead = (2...4).map { "orcl-ahead\($0)" }
        for (offset, id) in zip(2..., ahead) {
            try scenario.seed(id, creation: formatter.string(from: Date().addingTimeInterval(Double(offset) * 86_400)))
        }
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 1, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == RetentionScenario.history + ahead)
        #expect(clean.stderr.contains("ERROR") && clean.stderr.contains("'orcl-ahead4' is dated"), "\(clean.stderr)")
    }

    @Test func imagecopywithsnapWithAFutureSnapshotBacksUpDeletesNothingAndFails() async throws {
        let scenario = try await RetentionScenario(oracle: true)
        try scenario.seed("orcl-20990101T000000", creation: "2099-01-01T00:00:00Z")
        #expect(try await scenario.environment.backup(["orcl", "config"]).status == 0)
        let run = try await scenario.environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(scenario.snapshots.count == RetentionScenario.history.count + 2)
        #expect(Set(RetentionScenario.history + ["orcl-20990101T000000"]).isSubset(of: scenario.snapshots))
        let log = scenario.environment.latestLog("imagecopywithsnap")
        let error = log.split(separator: "\n").first { $0.contains("ERROR") && $0.contains("orcl-20990101T000000") }
        #expect(error?.contains("is dated 2099-01-01 00:00:00 UTC") == true, "\(log)")
        #expect(error?.contains("after this host's time") == true)
        #expect(log.contains("Write database parameters for autorestore"))
        #expect(scenario.environment.text(scenario.environment.backupArea + "/autorestore.cfg").contains("db_name"))
    }

    @Test func theSnapshotOfThisRunIsNeverDeletedByThisRun() async throws {
        // The storage clock runs four minutes ahead (inside the allowance): an older snapshot is stamped after the
        // one this run takes, and GFS "keep the last 1" would drop this run's snapshot.
        let scenario = try await RetentionScenario(
            databaseExtra: "snapretention: gfs\nsnapkeeplast: 1\nsnapkeepverified: false", oracle: true)
        try scenario.seed(
            "orcl-stamped-ahead", creation: ISO8601DateFormatter().string(from: Date().addingTimeInterval(240)))
        #expect(try await scenario.environment.backup(["orcl", "config"]).status == 0)
        let run = try await scenario.environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = scenario.environment.latestLog("imagecopywithsnap")
        let taken = try #require(
            log.split(separator: "\n").first { $0.contains("Created snapshot: ") }.map {
                String($0.split(separator: " ").last!)
            })
        #expect(scenario.snapshots.contains(taken), "\(scenario.snapshots)\n\(log)")
        #expect(Set(RetentionScenario.history).isDisjoint(with: scenario.snapshots))
    }

    // MARK: GFS with only snapkeep* keys

    @Test func gfsWorksWithOnlySnapkeepKeys() async throws {
        let scenario = try await RetentionScenario()
        let config = scenario.environment.text(scenario.environment.configPath)
            .replacingOccurrences(
                of: "snapexpirationdays: 31\nsnapexpirationmonths: 6\n", with: "snapretention: gfs\nsnapkeeplast: 2\n")
        try config.write(toFile: scenario.environment.configPath, atomically: true, encoding: .utf8)
        let check = try await scenario.environment.backup(["checkconfig"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == Array(RetentionScenario.history.suffix(2)))
        #expect(clean.stdout.contains("keep: GFS last #1"))
    }
}
