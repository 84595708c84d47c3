import Foundation
import Logging
import OracleTools

/// The original's results schema in an Oracle database (`restoreaction`/`restorelob`), written with SQL*Loader
/// (the log as a CLOB) and the `insertlog` PL/SQL block, as `autorestorecatalog` describes. Reading history back
/// is done in SQL by the DBA's monitoring (`autorestore_check.sql`); this catalog only writes.
public struct OracleResultCatalog: ResultCatalog {
    public var backendName: String { "oracle" }
    /// The connect string with any password masked (`user/secret@tns` shows as `user/***@tns`; a wallet's
    /// `/@tns` is shown as is).
    public var location: String {
        let at = connect.lastIndex(of: "@") ?? connect.endIndex
        guard let slash = connect[..<at].firstIndex(of: "/"), connect.index(after: slash) < at else { return connect }
        return connect[...slash] + "***" + connect[at...]
    }
    public let connect: String
    public let runner: OracleRunner
    public let templates: ScriptTemplates
    public let workDirectory: String

    public init(connect: String, runner: OracleRunner, templates: ScriptTemplates, workDirectory: String) {
        self.connect = connect
        self.runner = runner
        self.templates = templates
        self.workDirectory = workDirectory
    }

    /// The connect string's password, if it has one (wallet logins have none), masked in output.
    var secrets: [String] { [Redaction.connectStringPassword(connect)].compactMap { $0 } }

    func render(_ key: String, _ values: [String: String]) throws(CatalogError) -> String {
        do {
            return try templates.render(key, values)
        } catch {
            throw CatalogError(.configuration, backend: backendName, detail: error.description)
        }
    }

    /// `--createcatalog`: creates the schema objects (fails when they exist, like the original).
    public func prepare() async throws(CatalogError) {
        let script = try render(
            "createcatalog", ["autorestorecatalog": connect, "logfile": workDirectory + "/createcatalog.log"])
        do {
            _ = try await runner.sqlplus(script, silent: false, secrets: secrets)
        } catch {
            throw CatalogError(.schema, backend: backendName, detail: error.description)
        }
    }

    public func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 {
        // SQL*Loader reads the log from a file: write the complete text (with the final line) next to the others.
        let logPath = workDirectory + "/catalog-upload-\(UUID().uuidString.prefix(8)).log"
        do {
            try record.logText.write(toFile: logPath, atomically: true, encoding: .utf8)
        } catch {
            throw CatalogError(
                .write, backend: backendName, detail: "cannot stage the log in \(workDirectory): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        func quoted(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let values = [
            "logfile": logPath, "autorestorecatalog": connect, "log_dbname": quoted(record.database),
            "log_start": formatter.string(from: record.startedAt),
            "log_stop": formatter.string(from: record.finishedAt),
            "log_success": record.success ? "1" : "0", "log_diff": String(record.timeDifferenceSeconds ?? -1),
            "log_snapid": quoted(record.snapshotID ?? ""), "lasttime": quoted(record.expectedTime ?? ""),
            "log_validated": record.validated ? "1" : "0",
        ]
        do {
            try await runner.sqlldr(
                login: connect, control: try render("sqlldrlog", values), workDirectory: workDirectory)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(
                .write, backend: backendName, detail: "uploading the log with SQL*Loader failed: \(error)")
        }
        let output: String
        do {
            output = try await runner.sqlplus(try render("insertlog", values), silent: true, secrets: secrets)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(.write, backend: backendName, detail: "inserting the result row failed: \(error)")
        }
        guard let id = OutputMarkers.value(after: "LOG MESSAGE ID:", in: output).flatMap({ Int64($0) }) else {
            throw CatalogError(.write, backend: backendName, detail: "insertlog did not report LOG MESSAGE ID")
        }
        return id
    }

    public func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 {
        throw CatalogError(.write, backend: backendName, detail: "the Oracle results schema has no backup-run table")
    }

    public func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
        throw CatalogError(.read, backend: backendName, detail: "read the restoreaction table with SQL")
    }

    public func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] {
        throw CatalogError(.read, backend: backendName, detail: "the Oracle results schema has no backup-run table")
    }

    /// Reading results back from the Oracle schema is not implemented yet, so the verified snapshots cannot be
    /// known from here: callers fail closed.
    public func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> {
        throw CatalogError(
            .read, backend: backendName,
            detail: "\(location): reading autorestore results from the Oracle catalog is not implemented")
    }
}
