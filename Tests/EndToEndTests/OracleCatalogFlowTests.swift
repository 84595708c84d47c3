import AutorestoreEngine
import Foundation
import Logging
import OracleTools
import ResultCatalog
import ResultCatalogOracle
import ResultCatalogSQLite
import Testing

/// autorestore, backup and snapper with `autorestorecatalogtype: oracle`: the results live in oracle-sim's `catdb`
/// (`/@autorestore`), and the tests read the stored rows back.
@Suite("Oracle results catalog end to end (oracle-sim)", .serialized)
struct OracleCatalogFlowTests {
    let flows = AutorestoreFlowTests()

    static func catalog(_ environment: OracleEnvironment) throws -> OracleResultCatalog {
        OracleResultCatalog(
            connect: "/@autorestore",
            runner: OracleRunner(
                home: OracleHome(path: environment.oracleHome, tnsAdmin: environment.root + "/tns"),
                baseEnvironment: environment.environment, logger: Logger(label: "oracle-catalog-test")),
            templates: try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil),
            workDirectory: environment.root)
    }

    @Test func autorestoreRecordsItsRunWithItsOwnLogAndRetentionReadsIt() async throws {
        let environment = try await flows.backedUp(
            databaseExtra:
                "autorestoreautorestorecatalogtype: oracle\nautorestoreautorestorecatalog: /@autorestore",
            beforeBackup: { environment, cycle in
                // The catalog exists before the first backup, whose retention reads it (snapkeepverified).
                if cycle == 0 { try await OracleCatalogFlowTests.catalog(environment).prepare() }
            })
        // Every object exists already: --createcatalog creates nothing and succeeds (the original's failed).
        let created = try await flows.autorestore(environment, ["--createcatalog"])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let snapshot = (AutorestoreFlowTests.newestSnapshot(environment) as NSString).lastPathComponent
        let run = try await flows.autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")

        let catalog = try Self.catalog(environment)
        let rows = try await catalog.restores(database: "orcl", limit: 10)
        #expect(rows.count == 1)
        let row = try #require(rows.first?.record)
        #expect(row.success)
        #expect(row.snapshotID == snapshot)
        #expect(row.restoreTarget == "autorestore")
        #expect(row.expectedTime != nil && row.verifiedTime != nil)
        #expect(row.phaseSeconds["recover"] != nil)
        // restoreaction.logfile is the run's own log in autorestorelogdir, which still exists; the CLOB is its text.
        let logDirectory = environment.root + "/autorestore/log"
        let logName = try #require(environment.contents(logDirectory).first { $0.hasSuffix("-orcl.log") })
        #expect(row.logFile == logDirectory + "/" + logName)
        #expect(row.logText.contains("Logfile: \(logDirectory)/\(logName)"))
        #expect(row.logText.contains("Restore successful, elapsed time: "))
        #expect(environment.text(logDirectory + "/" + logName).hasPrefix(row.logText))
        #expect(!environment.contents(logDirectory).contains { $0.hasPrefix("catalog-upload-") })
        #expect(try await catalog.verifiedSnapshotIDs(database: "orcl") == [snapshot])
        #expect(!run.stdout.contains("has no RESTOREACTION_DETAIL"), "\(run.stdout)")
        // An explicitly configured Oracle catalog also gets the backup runs (the newest one took `snapshot`).
        let backups = try await catalog.backups(database: "orcl", limit: 10).map(\.record)
        #expect(!backups.isEmpty && backups.allSatisfy { $0.success && $0.action == "imagecopywithsnap" })
        #expect(backups.first?.snapshotID == snapshot, "\(backups)")
    }

    @Test func snapkeepverifiedKeepsTheSnapshotTheOracleCatalogVerified() async throws {
        let scenario = try await RetentionScenario(
            autorestore: "autorestorecatalogtype: oracle\nautorestorecatalog: /@autorestore", oracle: true)
        let catalog = try Self.catalog(scenario.environment)
        try await catalog.prepare()
        func record(_ database: String, _ snapshot: String, _ start: TimeInterval, _ success: Bool) async throws {
            try await catalog.recordRestore(
                RestoreRecord(
                    database: database, startedAt: Date(timeIntervalSince1970: start),
                    finishedAt: Date(timeIntervalSince1970: start + 60), success: success, snapshotID: snapshot))
        }
        try await record("orcl", RetentionScenario.verified, 1_452_000_000, true)
        try await record("orcl", RetentionScenario.history[3], 1_452_100_000, true)
        try await record("orcl", RetentionScenario.history[3], 1_452_200_000, false)
        try await record("orcl", RetentionScenario.history[4], 1_452_300_000, false)
        try await record("otherdb", RetentionScenario.history[4], 1_452_400_000, true)
        let clean = try await scenario.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(scenario.snapshots == [RetentionScenario.verified, RetentionScenario.history[4]], "\(clean.stdout)")
        let line = clean.stdout.split(separator: "\n").first { $0.hasPrefix(RetentionScenario.verified) } ?? ""
        #expect(line.contains("newest snapshot that passed an autorestore (snapkeepverified)"), "\(clean.stdout)")
    }

    @Test func aCatalogMadeByTheOriginalRecordsTheRunWithOneWarningUntilCreatecatalogCompletesIt() async throws {
        let environment = try await flows.backedUp(
            databaseExtra:
                "autorestoreautorestorecatalogtype: oracle\nautorestoreautorestorecatalog: /@autorestore\nsnapkeepverified: false"
        )
        // The original's createcatalog script, as an existing installation ran it.
        let original = try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil).render(
            "createcatalog",
            ["autorestorecatalog": "/@autorestore", "logfile": environment.root + "/createcatalog.log"])
        try await Self.catalog(environment).runner.sqlplus(original, silent: false)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let run = try await flows.autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let warnings = run.stdout.split(separator: "\n").filter { $0.contains("RESTOREACTION_DETAIL") }
        #expect(warnings.count == 1, "\(run.stdout)")
        #expect(warnings.first?.contains("--createcatalog") == true)
        let catalog = try Self.catalog(environment)
        let row = try #require(try await catalog.restores(database: "orcl", limit: 1).first?.record)
        #expect(row.success)
        #expect(row.logText.contains("Restore successful, elapsed time: "))
        #expect(row.restoreTarget == nil)  // no restoreaction_detail yet
        let completed = try await flows.autorestore(environment, ["--createcatalog"])
        #expect(completed.status == 0, "\(completed.stdout)\(completed.stderr)")
        #expect(try await catalog.existingObjects() == Set(OracleResultCatalog.SchemaObject.allCases))
        #expect(try await catalog.restores(database: "orcl", limit: 5).count == 1)
    }
}
