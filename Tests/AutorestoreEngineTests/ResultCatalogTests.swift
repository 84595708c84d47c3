import Foundation
import Logging
import Testing
import ToolSupport

@testable import ResultCatalog
@testable import ResultCatalogOracle
@testable import ResultCatalogPostgres
@testable import ResultCatalogSQLite

/// Set by Scripts/fixtures-postgres.sh (a throw-away server on 127.0.0.1).
let postgresURL = ProcessInfo.processInfo.environment["OIB_POSTGRES_URL"]

func sampleRestore(
    _ database: String, start: TimeInterval, success: Bool, validated: Bool = false,
    difference: Int? = 10
) -> RestoreRecord {
    RestoreRecord(
        database: database, startedAt: Date(timeIntervalSince1970: start),
        finishedAt: Date(timeIntervalSince1970: start + 600), success: success,
        failureReason: success ? nil : "missing-archivelog",
        failureDetail: success ? nil : "RMAN-06054: media recovery requesting unknown archived log",
        snapshotID: "\(database)-20161108T223946", restoreTarget: "autorestore", expectedTime: "2016-11-08 22:39:45",
        verifiedTime: "2016-11-08 22:39:35", timeDifferenceSeconds: difference, validated: validated,
        corruptBlocks: validated ? 0 : nil, phaseSeconds: ["clone": 1.5, "recover": 30.25],
        logText: "line 1\nRestore successful, elapsed time: 0:10:00 'quoted' \\ ; drop table x;\n",
        logFile: "/nfs/autorestore/log/\(Int(start))-\(database).log")
}

/// The same checks for every backend.
func exerciseCatalog(_ catalog: some ResultCatalog) async throws {
    try await catalog.prepare()
    try await catalog.prepare()  // idempotent, unlike the original's createcatalog
    let database = "db\(UInt32.random(in: 0..<UInt32.max))"
    let first = sampleRestore(database, start: 1_478_600_000, success: true)
    let second = sampleRestore(database, start: 1_478_700_000, success: false, difference: nil)
    let third = sampleRestore(database, start: 1_478_800_000, success: true, validated: true, difference: 20)
    let ids = [
        try await catalog.recordRestore(first), try await catalog.recordRestore(second),
        try await catalog.recordRestore(third),
    ]
    #expect(Set(ids).count == 3)
    let stored = try await catalog.restores(database: database, limit: 10)
    #expect(stored.map(\.record) == [third, second, first])  // newest first, every field round-trips
    #expect(try await catalog.restores(database: database, limit: 1).count == 1)
    #expect(try await catalog.restores(database: "no-such-db", limit: 10).isEmpty)

    let summary = try await catalog.summary(database: database)
    #expect(summary.lastSuccess == third.startedAt)
    #expect(summary.lastFailure == second.startedAt)
    #expect(summary.lastValidated == third.startedAt)
    #expect(summary.averageDifferenceSeconds == 15)
    #expect(summary.averageRestoreMinutes == 10)
    #expect(summary.restoreCount == 3)

    let backup = BackupRunRecord(
        database: database, action: "imagecopywithsnap",
        startedAt: Date(timeIntervalSince1970: 1_478_641_000),
        finishedAt: Date(timeIntervalSince1970: 1_478_641_023), success: true,
        snapshotID: "\(database)-20161108T215336")
    try await catalog.recordBackup(backup)
    #expect(try await catalog.backups(database: database, limit: 5).map(\.record) == [backup])
    try await exerciseVerifiedReads(catalog)
}

@Suite("Results catalog")
struct ResultCatalogTests {
    @Test func sqlite() async throws {
        let path = NSTemporaryDirectory() + "oib-catalog-\(UUID().uuidString).sqlite"
        try await exerciseCatalog(try SQLiteResultCatalog(path: path))
    }

    @Test func sqliteUnreachableIsACatalogError() async throws {
        let error = #expect(throws: CatalogError.self) {
            _ = try SQLiteResultCatalog(path: "/nonexistent/dir/results.sqlite")
        }
        #expect(error?.code == .unreachable)
    }

    @Test(
        .enabled(
            if: postgresURL != nil,
            "OIB_POSTGRES_URL is not set: run Scripts/test.sh, which starts a throw-away PostgreSQL"))
    func postgres() async throws {
        try await exerciseCatalog(try PostgresResultCatalog(url: postgresURL!, logger: Logger(label: "pg")))
    }

    @Test(
        "a statement that cannot finish (the schema lock held elsewhere) ends at the statement timeout",
        .enabled(
            if: postgresURL != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"),
            "needs OIB_POSTGRES_URL (Scripts/test.sh) and psql"))
    func postgresStatementTimeout() async throws {
        // Another session holds the catalog's schema lock until the test ends it (at most two minutes): a fixed
        // short hold could end before a test resumed late by a loaded machine gets to its statement.
        let marker = "oib-lock-holder-\(UUID().uuidString.prefix(8))"
        var environment = ProcessInfo.processInfo.environment
        environment["PGAPPNAME"] = marker
        let holder = try ChildCommand(
            executable: "/usr/bin/psql",
            arguments: [
                postgresURL!, "-q", "-A", "-t", "-c", "SELECT 'locked' FROM pg_advisory_lock(4207011401)", "-c",
                "SELECT pg_sleep(120)",
            ], environment: environment
        ).startBlocking()
        defer {
            // The server ends the holder's session (a killed psql's backend would keep the lock while it sleeps).
            _ = try? ChildCommand(
                executable: "/usr/bin/psql",
                arguments: [
                    postgresURL!, "-q", "-A", "-t", "-c",
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(marker)'",
                ], timeout: .seconds(30)
            ).runBlocking()
            holder.signal(SIGTERM)
        }
        // Only once psql says it holds the lock (its start can take seconds on a loaded machine).
        let locked = await holder.waitForOutput(containing: "locked", within: .seconds(60))
        try #require(locked, "psql did not take the lock: \(String(decoding: holder.outputSoFar, as: UTF8.self))")
        let catalog = try PostgresResultCatalog(
            url: postgresURL!, statementTimeout: .seconds(1), logger: Logger(label: "pg"))
        let error = await #expect(throws: CatalogError.self) { try await catalog.prepare() }
        #expect(error?.code == .schema)
        #expect(error?.description.contains("statement timeout") == true, "\(String(describing: error))")
    }

    @Test func postgresUnreachableIsACatalogError() async throws {
        // A port on loopback where nothing listens.
        let catalog = try PostgresResultCatalog(url: "postgres://oib@127.0.0.1:1/none", logger: Logger(label: "pg"))
        let error = await #expect(throws: CatalogError.self) { try await catalog.prepare() }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("postgres://oib@127.0.0.1:1/none") == true)
    }

    @Test func postgresURLValidation() {
        for bad in ["mysql://a@b/c", "postgres://host/db", "postgres://u@h/", "postgres://u@h/db?sslmode=allow"] {
            #expect(throws: CatalogError.self) { _ = try PostgresResultCatalog(url: bad, logger: Logger(label: "x")) }
        }
        let catalog = try? PostgresResultCatalog(url: "postgres://u:secret@127.0.0.1:5/db", logger: Logger(label: "x"))
        #expect(catalog?.displayURL.contains("secret") == false)
    }
}
