import Foundation
import GRDB
import ResultCatalog

/// The default results catalog: one SQLite file (GRDB).
public struct SQLiteResultCatalog: ResultCatalog {
    /// The SQLite file (`catalogfile`; by default `<autorestorelogdir>/autorestore-results.sqlite`).
    public let path: String
    /// Always `sqlite`.
    public var backendName: String { "sqlite" }
    /// The file's path.
    public var location: String { path }
    private let queue: DatabaseQueue

    /// Opens the file; the directory must exist.
    ///
    /// - Parameter readOnly: `false` (the default) creates a missing file; `true` opens an existing file for
    ///   reading only and refuses a missing one, so a reader never mistakes a new empty file for the results.
    public init(path: String, readOnly: Bool = false) throws(CatalogError) {
        self.path = path
        if readOnly, !FileManager.default.fileExists(atPath: path) {
            throw CatalogError(.unreachable, backend: "sqlite", detail: "\(path) does not exist")
        }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.readonly = readOnly
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw CatalogError(.unreachable, backend: "sqlite", detail: "cannot open \(path): \(error)")
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS restore_run (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            db_unique_name TEXT NOT NULL,
            start_time REAL NOT NULL,
            finish_time REAL NOT NULL,
            success INTEGER NOT NULL CHECK (success IN (0, 1)),
            failure_reason TEXT,
            failure_detail TEXT,
            snapshot_id TEXT,
            restore_target TEXT,
            expected_time TEXT,
            verified_time TEXT,
            time_difference_seconds INTEGER,
            validated INTEGER NOT NULL CHECK (validated IN (0, 1)),
            corrupt_blocks INTEGER,
            phase_seconds TEXT NOT NULL,
            log_text TEXT NOT NULL,
            log_file TEXT
        );
        CREATE INDEX IF NOT EXISTS restore_run_db_start ON restore_run (db_unique_name, start_time);
        CREATE TABLE IF NOT EXISTS backup_run (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            db_unique_name TEXT NOT NULL,
            action TEXT NOT NULL,
            start_time REAL NOT NULL,
            finish_time REAL NOT NULL,
            success INTEGER NOT NULL CHECK (success IN (0, 1)),
            snapshot_id TEXT,
            failure_detail TEXT
        );
        CREATE INDEX IF NOT EXISTS backup_run_db_start ON backup_run (db_unique_name, start_time);
        """

    /// Creates the `restore_run` and `backup_run` tables and their indexes when missing, and adds the `log_file`
    /// column to a file made before it existed; throws `.schema` when that fails (e.g. a read-only file).
    public func prepare() async throws(CatalogError) {
        do {
            try await queue.write { db in
                try db.execute(sql: Self.schema)
                // Added after the first release: the run's own log file.
                if try !db.columns(in: "restore_run").contains(where: { $0.name == "log_file" }) {
                    try db.execute(sql: "ALTER TABLE restore_run ADD COLUMN log_file TEXT")
                }
            }
        } catch {
            throw CatalogError(.schema, backend: backendName, detail: "\(path): \(error)")
        }
    }

    @discardableResult
    /// Inserts one `restore_run` row (log included) in a single transaction; returns its row id. Throws `.write`.
    public func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 {
        do {
            return try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO restore_run (db_unique_name, start_time, finish_time, success, failure_reason,
                            failure_detail, snapshot_id, restore_target, expected_time, verified_time,
                            time_difference_seconds, validated, corrupt_blocks, phase_seconds, log_text, log_file)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.database, record.startedAt.timeIntervalSince1970,
                        record.finishedAt.timeIntervalSince1970, record.success ? 1 : 0, record.failureReason,
                        record.failureDetail, record.snapshotID, record.restoreTarget, record.expectedTime,
                        record.verifiedTime, record.timeDifferenceSeconds, record.validated ? 1 : 0,
                        record.corruptBlocks, PhaseJSON.encode(record.phaseSeconds), record.logText, record.logFile,
                    ])
                return db.lastInsertedRowID
            }
        } catch {
            throw CatalogError(.write, backend: backendName, detail: "\(path): \(error)")
        }
    }

    @discardableResult
    /// Inserts one `backup_run` row; returns its row id. Throws `.write`.
    public func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 {
        do {
            return try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO backup_run (db_unique_name, action, start_time, finish_time, success, snapshot_id,
                            failure_detail) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.database, record.action, record.startedAt.timeIntervalSince1970,
                        record.finishedAt.timeIntervalSince1970, record.success ? 1 : 0, record.snapshotID,
                        record.failureDetail,
                    ])
                return db.lastInsertedRowID
            }
        } catch {
            throw CatalogError(.write, backend: backendName, detail: "\(path): \(error)")
        }
    }

    /// The newest `limit` restores of `database` (all databases when nil), newest first. Throws `.read`.
    public func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
        try await newest("restore_run", database: database, limit: limit) { row in
            RestoreRecord(
                database: row["db_unique_name"],
                startedAt: Date(timeIntervalSince1970: row["start_time"]),
                finishedAt: Date(timeIntervalSince1970: row["finish_time"]),
                success: (row["success"] as Int) == 1, failureReason: row["failure_reason"],
                failureDetail: row["failure_detail"], snapshotID: row["snapshot_id"],
                restoreTarget: row["restore_target"], expectedTime: row["expected_time"],
                verifiedTime: row["verified_time"], timeDifferenceSeconds: row["time_difference_seconds"],
                validated: (row["validated"] as Int) == 1, corruptBlocks: row["corrupt_blocks"],
                phaseSeconds: PhaseJSON.decode(row["phase_seconds"]), logText: row["log_text"],
                logFile: row["log_file"])
        }
    }

    /// The newest `limit` backup runs of `database` (all databases when nil), newest first. Throws `.read`.
    public func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] {
        try await newest("backup_run", database: database, limit: limit) { row in
            BackupRunRecord(
                database: row["db_unique_name"], action: row["action"],
                startedAt: Date(timeIntervalSince1970: row["start_time"]),
                finishedAt: Date(timeIntervalSince1970: row["finish_time"]),
                success: (row["success"] as Int) == 1, snapshotID: row["snapshot_id"],
                failureDetail: row["failure_detail"])
        }
    }

    /// The snapshots of `database` whose newest restore (by start time, then id) succeeded. Throws `.read`.
    public func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> {
        do {
            return try await queue.read { db in
                Set(
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT r.snapshot_id FROM restore_run r
                            WHERE r.db_unique_name = ? AND r.snapshot_id IS NOT NULL AND r.success = 1
                            AND NOT EXISTS (
                                SELECT 1 FROM restore_run n
                                WHERE n.db_unique_name = r.db_unique_name AND n.snapshot_id = r.snapshot_id
                                AND (n.start_time > r.start_time OR (n.start_time = r.start_time AND n.id > r.id)))
                            """,
                        arguments: [database]))
            }
        } catch {
            throw CatalogError(.read, backend: backendName, detail: "\(path): \(error)")
        }
    }

    /// The newest `limit` rows of `table` (one database, or all when `database` is nil), newest first.
    func newest<Record>(
        _ table: String, database: String?, limit: Int, _ decode: @escaping @Sendable (Row) -> Record
    ) async throws(CatalogError) -> [Stored<Record>] {
        do {
            return try await queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM \(table) WHERE (? IS NULL OR db_unique_name = ?)
                        ORDER BY start_time DESC, id DESC LIMIT ?
                        """,
                    arguments: [database, database, min(limit, Int(Int32.max))]
                ).map { Stored(id: $0["id"], record: decode($0)) }
            }
        } catch {
            throw CatalogError(.read, backend: backendName, detail: "\(path): \(error)")
        }
    }
}
