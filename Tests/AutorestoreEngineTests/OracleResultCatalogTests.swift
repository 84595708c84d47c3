import Foundation
import Logging
import OracleTools
import StorageKitTesting
import Testing

@testable import ResultCatalog
@testable import ResultCatalogOracle
@testable import ResultCatalogPostgres
@testable import ResultCatalogSQLite

/// A catalog database `catdb` in a throw-away oracle-sim state, reached through a TNS alias of its own (so the
/// once-per-run warnings of different tests do not share a catalog location).
final class OracleCatalogWorld: Sendable {
    let root: String
    let alias: String
    let environment: [String: String]
    let messages = RecordingLogHandler.Store()

    static var simulator: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/oracle-sim").path
    }

    init() async throws {
        root = NSTemporaryDirectory() + "oib-oracle-catalog-\(UUID().uuidString.prefix(8))"
        alias = "CAT\(UInt32.random(in: 0..<UInt32.max))"
        let files = FileManager.default
        for directory in [root + "/home/bin", root + "/tns", root + "/work"] {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for tool in ["sqlplus", "sqlldr"] {
            try files.createSymbolicLink(atPath: root + "/home/bin/" + tool, withDestinationPath: Self.simulator)
        }
        try
            "\(alias) = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))\n"
            .write(toFile: root + "/tns/tnsnames.ora", atomically: true, encoding: .utf8)
        environment = [
            "ORACLE_SIM_STATE": root + "/state", "ORACLE_SIM_NOW": "2016-11-08 21:50:00", "TZ": "UTC",
            "PATH": "/usr/bin:/bin",
        ]
        try await admin(["create-db", "--name", "catdb", "--dbid", "2000000001"])
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// `oracle-sim <arguments>` (create-db, inject, inspect); returns its output.
    @discardableResult
    func admin(_ arguments: [String]) async throws -> String {
        let outcome = try await ProcessRunner().run(
            ProcessRequest(executable: Self.simulator, arguments: arguments, environment: environment))
        guard outcome.succeeded else { throw CatalogError(.configuration, backend: "test", detail: outcome.output) }
        return outcome.output
    }

    var runner: OracleRunner {
        var logger = Logger(label: "oracle-catalog-test") { _ in RecordingLogHandler(store: self.messages) }
        logger.logLevel = .debug
        return OracleRunner(
            home: OracleHome(path: root + "/home", tnsAdmin: root + "/tns"), baseEnvironment: environment,
            logger: logger)
    }

    func catalog(connect: String? = nil) throws -> OracleResultCatalog {
        OracleResultCatalog(
            connect: connect ?? "/@\(alias)", runner: runner,
            templates: try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil),
            workDirectory: root + "/work")
    }

    /// Creates the schema with the original's `createcatalog` script only (an existing installation's catalog).
    func createOriginalSchema() async throws {
        let script = try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil).render(
            "createcatalog", ["autorestorecatalog": "/@\(alias)", "logfile": root + "/work/createcatalog.log"])
        try await runner.sqlplus(script, silent: false)
    }

    /// Rendered restore templates run through sqlplus: output and whether it exited 0.
    func sqlplus(_ keys: [String], _ values: [String: String]) async throws -> (output: String, succeeded: Bool) {
        let templates = try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil)
        let script =
            try keys.map {
                try templates.render($0, values.merging(["autorestorecatalog": "/@\(alias)"]) { first, _ in first })
            }.joined(separator: "\n") + "\n"
        let outcome = try await ProcessRunner().run(
            ProcessRequest(
                executable: root + "/home/bin/sqlplus", arguments: ["-S", "/nolog"],
                environment: environment.merging(["TNS_ADMIN": root + "/tns", "ORACLE_HOME": root + "/home"]) {
                    $1
                }, standardInput: script))
        return (outcome.output, outcome.succeeded)
    }

    /// The catalog state oracle-sim keeps for catdb (JSON).
    func inspect() async throws -> String { try await admin(["inspect", "catdb"]) }
}

@Suite("Oracle results catalog against oracle-sim", .serialized)
struct OracleResultCatalogTests {
    @Test func conformsLikeTheOtherBackends() async throws {
        let world = try await OracleCatalogWorld()
        try await exerciseCatalog(try world.catalog())
        #expect(world.messages.messages(at: .warning).isEmpty)
    }

    @Test func textWithQuotesSeparatorsNewlinesAndTrailingBlanksRoundTrips() async throws {
        let world = try await OracleCatalogWorld()
        let catalog = try world.catalog()
        try await catalog.prepare()
        let awkward = "it's | a \"test\"\n/\n.\n&x  %s $$ ünïcödé \u{1F600}\ttab  "
        var restore = sampleRestore("orcl", start: 1_478_600_000, success: false)
        restore.failureDetail = awkward
        restore.failureReason = "reason with 'quote'"
        restore.restoreTarget = "clone|name "
        restore.logText = String(repeating: "a log line with 'quotes' and | bars ünï\n", count: 300) + awkward
        restore.snapshotID = "snap'1"
        try await catalog.recordRestore(restore)
        let stored = try await catalog.restores(database: "orcl", limit: 5)
        #expect(stored.map(\.record) == [restore])
        #expect(try await catalog.verifiedSnapshotIDs(database: "orcl").isEmpty)
        var passed = restore
        passed.startedAt = restore.startedAt.addingTimeInterval(3600)
        passed.success = true
        try await catalog.recordRestore(passed)
        #expect(try await catalog.verifiedSnapshotIDs(database: "orcl") == ["snap'1"])
        let backup = BackupRunRecord(
            database: "orcl", action: "imagecopywithsnap", startedAt: Date(timeIntervalSince1970: 1_478_641_000),
            finishedAt: Date(timeIntervalSince1970: 1_478_641_023), success: false, failureDetail: awkward)
        try await catalog.recordBackup(backup)
        #expect(try await catalog.backups(database: nil, limit: 5).map(\.record) == [backup])
    }

    @Test func theRunLogFileIsLoadedAndItsPathRecorded() async throws {
        let world = try await OracleCatalogWorld()
        let catalog = try world.catalog()
        try await catalog.prepare()
        let logFile = world.root + "/work/20161108T224851-orcl.log"
        let text = "Logfile: \(logFile)\nRestore successful, elapsed time: 0:01:00\n"
        try text.write(toFile: logFile, atomically: true, encoding: .utf8)
        var restore = sampleRestore("orcl", start: 1_478_600_000, success: true)
        restore.logFile = logFile
        restore.logText = text
        try await catalog.recordRestore(restore)
        let row = try #require(try await catalog.restores(database: "orcl", limit: 1).first?.record)
        #expect(row.logFile == logFile)
        // insertlog spools into the run log like the original, after SQL*Loader loaded it.
        #expect(row.logText == text)
        #expect(FileManager.default.fileExists(atPath: logFile))
        let state = try await world.inspect()
        #expect(state.contains("\"logfile\" : \"\(logFile)\""), "\(state)")
        #expect(!state.contains("catalog-upload-"))
    }

    @Test func aCatalogMadeByTheOriginalKeepsWorkingWarnsOnceAndIsCompletedByPrepare() async throws {
        let world = try await OracleCatalogWorld()
        try await world.createOriginalSchema()
        let catalog = try world.catalog()
        #expect(
            try await catalog.existingObjects()
                == [.restoreActionSequence, .restoreAction, .restoreLob, .logRetention])
        let first = sampleRestore("orcl", start: 1_478_600_000, success: true)
        let second = sampleRestore("orcl", start: 1_478_700_000, success: false, difference: nil)
        try await catalog.recordRestore(first)
        try await catalog.recordRestore(second)
        let stored = try await catalog.restores(database: "orcl", limit: 10).map(\.record)
        #expect(stored.map(\.startedAt) == [second.startedAt, first.startedAt])
        // What the original's columns hold round-trips; the rest needs restoreaction_detail.
        #expect(stored.last?.snapshotID == first.snapshotID)
        #expect(stored.last?.expectedTime == first.expectedTime)
        #expect(stored.last?.timeDifferenceSeconds == first.timeDifferenceSeconds)
        #expect(stored.first?.timeDifferenceSeconds == nil)  // the original's -1
        #expect(stored.last?.logText == first.logText)
        #expect(stored.last?.failureReason == nil && stored.last?.phaseSeconds == [:])
        #expect(try await catalog.verifiedSnapshotIDs(database: "orcl").isEmpty)  // its newest restore failed
        #expect(try await catalog.backups(database: "orcl", limit: 5).isEmpty)
        let refused = await #expect(throws: CatalogError.self) {
            try await catalog.recordBackup(
                BackupRunRecord(
                    database: "orcl", action: "imagecopywithsnap", startedAt: Date(), finishedAt: Date(),
                    success: true))
        }
        #expect(refused?.description.contains("BACKUPACTION") == true)
        #expect(refused?.description.contains("--createcatalog") == true)
        let warnings = world.messages.messages(at: .warning)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("RESTOREACTION_DETAIL") == true)
        #expect(warnings.first?.contains("autorestore --config <file> --createcatalog") == true)

        try await catalog.prepare()
        #expect(try await catalog.existingObjects() == Set(OracleResultCatalog.SchemaObject.allCases))
        try await catalog.prepare()  // nothing left to create: no ORA-00955
        #expect(try await catalog.restores(database: "orcl", limit: 10).count == 2)  // the rows stayed
        var third = sampleRestore("orcl", start: 1_478_800_000, success: true, validated: true)
        third.snapshotID = first.snapshotID
        try await catalog.recordRestore(third)
        #expect(try await catalog.restores(database: "orcl", limit: 1).map(\.record) == [third])
        #expect(try await catalog.verifiedSnapshotIDs(database: "orcl") == [first.snapshotID!])
        let backup = BackupRunRecord(
            database: "orcl", action: "imagecopywithsnap", startedAt: Date(timeIntervalSince1970: 1_478_641_000),
            finishedAt: Date(timeIntervalSince1970: 1_478_641_023), success: true, snapshotID: "orcl-1")
        try await catalog.recordBackup(backup)
        #expect(try await catalog.backups(database: "orcl", limit: 5).map(\.record) == [backup])
    }

    @Test func anEmptySchemaIsAClearErrorAndTheSimulatorAnswersWithOracleErrors() async throws {
        let world = try await OracleCatalogWorld()
        let catalog = try world.catalog()
        let write = await #expect(throws: CatalogError.self) {
            try await catalog.recordRestore(sampleRestore("orcl", start: 1_478_600_000, success: true))
        }
        #expect(write?.code == .write)
        #expect(write?.description.contains("RESTOREACTION_SEQ, RESTOREACTION, RESTORELOB") == true)
        let read = await #expect(throws: CatalogError.self) { try await catalog.verifiedSnapshotIDs(database: "orcl") }
        #expect(read?.code == .read)
        // The statements themselves, on a schema without our objects.
        try await world.createOriginalSchema()
        let values = ["log_dbname": "orcl", "limit": "5"]
        let detail = try await world.sqlplus(["listrestores"], values)
        #expect(!detail.succeeded)
        #expect(detail.output.contains("ORA-00942: table or view does not exist"), "\(detail.output)")
        let backups = try await world.sqlplus(["listbackups"], values)
        #expect(!backups.succeeded)
        #expect(backups.output.contains("ORA-00942: table or view does not exist"), "\(backups.output)")
        let again = try await world.sqlplus(
            ["createcatalogheader", "catalogddl_restoreaction", "createcatalogfooter"],
            ["logfile": world.root + "/work/x.log"])
        #expect(again.output.contains("ORA-00955: name is already used by an existing object"), "\(again.output)")
        let original = try await world.sqlplus(["listrestoresoriginal"], values)
        #expect(original.succeeded, "\(original.output)")
        #expect(original.output.contains("RESTOREACTION ROWS: 0"))
    }

    @Test func aFailingStatementInPrepareIsARealErrorWithoutThePassword() async throws {
        let world = try await OracleCatalogWorld()
        try await world.admin([
            "inject", "fail", "--statement", "create table backupaction", "--tool", "sqlplus", "--error",
            "ORA-01031: insufficient privileges",
        ])
        let catalog = try world.catalog(connect: "results/Catalog-Secret@\(world.alias)")
        #expect(catalog.location == "results/***@\(world.alias)")
        let error = await #expect(throws: CatalogError.self) { try await catalog.prepare() }
        #expect(error?.code == .schema)
        #expect(error?.description.contains("ORA-01031") == true, "\(String(describing: error))")
        #expect(error?.description.contains("Catalog-Secret") == false)
        // The objects before the failing one were created; a second prepare creates the rest.
        #expect(try await catalog.existingObjects().contains(.restoreActionDetail))
        #expect(!(try await catalog.existingObjects().contains(.backupAction)))
        try await world.admin(["inject", "clear"])
        try await catalog.prepare()
        #expect(try await catalog.existingObjects() == Set(OracleResultCatalog.SchemaObject.allCases))
        try await world.admin(["inject", "refuse-connection", world.alias])
        let unreachable = await #expect(throws: CatalogError.self) {
            try await catalog.restores(database: nil, limit: 1)
        }
        #expect(unreachable?.code == .unreachable)
        #expect(unreachable?.description.contains("Catalog-Secret") == false)
    }
}
