import Foundation
import Logging
import OracleTools
import Testing

@testable import ResultCatalog
@testable import ResultCatalogOracle
@testable import ResultCatalogPostgres
@testable import ResultCatalogSQLite

/// The verified-snapshot read of every backend (PostgreSQL through ``exerciseCatalog(_:)``, which runs once per
/// backend: parallel `CREATE TABLE IF NOT EXISTS` on one server can collide).
func exerciseVerifiedReads(_ catalog: some ResultCatalog) async throws {
    let database = try await recordVerificationHistory(catalog)
    #expect(try await catalog.verifiedSnapshotIDs(database: database) == ["snap-a", "snap-c"])
    #expect(try await catalog.verifiedSnapshotIDs(database: "no-such-db").isEmpty)
}

/// Restores of one database whose latest result per snapshot differs from older ones; returns that database.
func recordVerificationHistory(_ catalog: some ResultCatalog) async throws -> String {
    try await catalog.prepare()
    let database = "db\(UInt32.random(in: 0..<UInt32.max))"
    func record(_ snapshot: String?, _ start: TimeInterval, _ success: Bool, database name: String? = nil) async throws
    {
        var restore = sampleRestore(name ?? database, start: start, success: success)
        restore.snapshotID = snapshot
        try await catalog.recordRestore(restore)
    }
    try await record("snap-a", 1_000, true)  // verified
    try await record("snap-b", 2_000, true)
    try await record("snap-b", 3_000, false)  // latest restore failed: not verified
    try await record("snap-c", 4_000, false)
    try await record("snap-c", 5_000, true)  // failed once, then passed: verified
    try await record("snap-d", 6_000, false)
    try await record(nil, 7_000, true)  // a run that never got to a snapshot
    try await record("snap-e", 8_000, true, database: database + "-other")  // another database
    return database
}

@Suite("Verified snapshots from the results catalog")
struct VerifiedSnapshotReadTests {
    @Test func sqliteReadsTheLatestResultPerSnapshot() async throws {
        let path = NSTemporaryDirectory() + "oib-verified-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await exerciseVerifiedReads(try SQLiteResultCatalog(path: path))
        let database = try await recordVerificationHistory(try SQLiteResultCatalog(path: path))
        let reader = try SQLiteResultCatalog(path: path, readOnly: true)
        #expect(try await reader.verifiedSnapshotIDs(database: database) == ["snap-a", "snap-c"])
        #expect(reader.location == path)
    }

    @Test func sqliteReaderNeverCreatesAMissingFile() async throws {
        let path = NSTemporaryDirectory() + "oib-verified-\(UUID().uuidString).sqlite"
        let error = #expect(throws: CatalogError.self) { _ = try SQLiteResultCatalog(path: path, readOnly: true) }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("\(path) does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func sqliteWithoutTheSchemaIsAReadError() async throws {
        let path = NSTemporaryDirectory() + "oib-verified-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let reader = try SQLiteResultCatalog(path: path, readOnly: true)
        let error = await #expect(throws: CatalogError.self) { try await reader.verifiedSnapshotIDs(database: "orcl") }
        #expect(error?.code == .read)
    }

    @Test func postgresUnreachableIsAReadFailureNamingTheURLWithoutPassword() async throws {
        let catalog = try PostgresResultCatalog(
            url: "postgres://oib:Very-Secret@127.0.0.1:1/none", logger: Logger(label: "pg"))
        let error = await #expect(throws: CatalogError.self) { try await catalog.verifiedSnapshotIDs(database: "x") }
        #expect(error?.description.contains("postgres://oib@127.0.0.1:1/none") == true)
        #expect(error?.description.contains("Very-Secret") == false)
        #expect(catalog.location == "postgres://oib@127.0.0.1:1/none")
    }

    @Test func anUnreachableOracleCatalogFailsTheReadWithoutThePassword() async throws {
        func catalog(_ connect: String) throws -> OracleResultCatalog {
            OracleResultCatalog(
                connect: connect,
                runner: OracleRunner(
                    home: OracleHome(path: "/nonexistent", tnsAdmin: nil), baseEnvironment: [:],
                    logger: Logger(label: "oracle")),
                templates: try BuiltInTemplates.load(BuiltInTemplates.restore, overrideDirectory: nil),
                workDirectory: "/tmp")
        }
        let oracle = try catalog("results/Catalog-Secret@AUTORESTORE")
        #expect(oracle.location == "results/***@AUTORESTORE")
        #expect(try catalog("/@AUTORESTORE").location == "/@AUTORESTORE")
        #expect(try catalog("results/pw").location == "results/***")
        let error = await #expect(throws: CatalogError.self) { try await oracle.verifiedSnapshotIDs(database: "orcl") }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("Catalog-Secret") == false)
    }
}
