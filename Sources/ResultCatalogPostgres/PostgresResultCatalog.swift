import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ResultCatalog

/// The results catalog in PostgreSQL (postgres-nio). One short connection per operation: autorestore writes a
/// handful of rows a day, and a fresh connection means no pool to keep alive between databases.
public struct PostgresResultCatalog: ResultCatalog {
    /// Always `postgres`.
    public var backendName: String { "postgres" }
    /// ``displayURL``: the URL without its password.
    public var location: String { displayURL }
    let configuration: PostgresConnection.Configuration
    /// The URL without its password, for messages.
    public let displayURL: String
    let logger: Logger

    /// - Parameter url: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]`. Without
    ///   `sslmode`, loopback hosts connect in plain text and every other host requires verified TLS.
    public init(url: String, password: String? = nil, logger: Logger) throws(CatalogError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw CatalogError(
                .configuration, backend: "postgres",
                detail: "catalogurl must look like postgres://user@host:port/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw CatalogError(.configuration, backend: "postgres", detail: "catalogurl names no database")
        }
        let mode =
            components.queryItems?.first { $0.name == "sslmode" }?.value
            ?? (["127.0.0.1", "localhost", "::1"].contains(host) ? "disable" : "require")
        let tls: PostgresConnection.Configuration.TLS
        switch mode {
        case "disable":
            tls = .disable
        case "require", "verify-full":
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw CatalogError(.configuration, backend: "postgres", detail: "TLS set-up failed: \(error)")
            }
        default:
            throw CatalogError(
                .configuration, backend: "postgres",
                detail: "sslmode '\(mode)' is not supported (use disable or require)")
        }
        configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user,
            password: password ?? components.password, database: database, tls: tls)
        var display = components
        display.password = nil
        displayURL = display.string ?? "postgres://\(host)"
        self.logger = logger
    }

    private func withConnection<T: Sendable>(
        _ code: CatalogError.Code,
        _ body: (PostgresConnection) async throws -> T
    ) async throws(CatalogError)
        -> T
    {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw CatalogError(
                .unreachable, backend: backendName, detail: "\(displayURL): \(String(reflecting: error))")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw CatalogError(code, backend: backendName, detail: "\(displayURL): \(String(reflecting: error))")
        }
    }

    /// Creates the `restore_run` and `backup_run` tables and indexes when missing and adds `log_file` to an older
    /// catalog, under an advisory lock so concurrent first runs do not collide. Throws `.unreachable` or `.schema`.
    public func prepare() async throws(CatalogError) {
        try await withConnection(.schema) { connection in
            // Two first runs at once (parallel autorestores, two hosts) would race in CREATE … IF NOT EXISTS,
            // which PostgreSQL answers with a unique violation: the schema is created under an advisory lock,
            // released with the session at the latest.
            try await connection.query("SELECT pg_advisory_lock(4207011401)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS restore_run (
                    id BIGSERIAL PRIMARY KEY,
                    db_unique_name TEXT NOT NULL,
                    start_time TIMESTAMPTZ NOT NULL,
                    finish_time TIMESTAMPTZ NOT NULL,
                    success BOOLEAN NOT NULL,
                    failure_reason TEXT,
                    failure_detail TEXT,
                    snapshot_id TEXT,
                    restore_target TEXT,
                    expected_time TEXT,
                    verified_time TEXT,
                    time_difference_seconds BIGINT,
                    validated BOOLEAN NOT NULL,
                    corrupt_blocks BIGINT,
                    phase_seconds TEXT NOT NULL,
                    log_text TEXT NOT NULL)
                """, logger: logger)
            // Added by [Compatibility]: the run's own log file. Catalogs created before get the column here.
            try await connection.query(
                "ALTER TABLE restore_run ADD COLUMN IF NOT EXISTS log_file TEXT", logger: logger)
            try await connection.query(
                "CREATE INDEX IF NOT EXISTS restore_run_db_start ON restore_run (db_unique_name, start_time)",
                logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS backup_run (
                    id BIGSERIAL PRIMARY KEY,
                    db_unique_name TEXT NOT NULL,
                    action TEXT NOT NULL,
                    start_time TIMESTAMPTZ NOT NULL,
                    finish_time TIMESTAMPTZ NOT NULL,
                    success BOOLEAN NOT NULL,
                    snapshot_id TEXT,
                    failure_detail TEXT)
                """, logger: logger)
            try await connection.query(
                "CREATE INDEX IF NOT EXISTS backup_run_db_start ON backup_run (db_unique_name, start_time)",
                logger: logger)
        }
    }

    @discardableResult
    /// Inserts one `restore_run` row (log included); returns its `id`. Throws `.unreachable` or `.write`.
    public func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 {
        let phases = PhaseJSON.encode(record.phaseSeconds)
        let difference = record.timeDifferenceSeconds.map(Int64.init)
        let corrupt = record.corruptBlocks.map(Int64.init)
        return try await withConnection(.write) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO restore_run (db_unique_name, start_time, finish_time, success, failure_reason,
                    failure_detail, snapshot_id, restore_target, expected_time, verified_time,
                    time_difference_seconds, validated, corrupt_blocks, phase_seconds, log_text, log_file)
                VALUES (\(record.database), \(record.startedAt), \(record.finishedAt), \(record.success),
                    \(record.failureReason), \(record.failureDetail), \(record.snapshotID), \(record.restoreTarget),
                    \(record.expectedTime), \(record.verifiedTime), \(difference), \(record.validated),
                    \(corrupt), \(phases), \(record.logText), \(record.logFile))
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw CatalogError(.write, backend: "postgres", detail: "INSERT returned no id")
        }
    }

    @discardableResult
    /// Inserts one `backup_run` row; returns its `id`. Throws `.unreachable` or `.write`.
    public func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 {
        try await withConnection(.write) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO backup_run (db_unique_name, action, start_time, finish_time, success, snapshot_id,
                    failure_detail)
                VALUES (\(record.database), \(record.action), \(record.startedAt), \(record.finishedAt),
                    \(record.success), \(record.snapshotID), \(record.failureDetail))
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw CatalogError(.write, backend: "postgres", detail: "INSERT returned no id")
        }
    }

    /// The newest `limit` restores of `database` (all databases when nil), newest first; also reads a catalog
    /// that has no `log_file` column yet. Throws `.unreachable` or `.read`.
    public func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
        let limit = Int64(min(limit, Int(Int32.max)))
        return try await withConnection(.read) { connection in
            let rows = try await connection.query(
                """
                SELECT id, db_unique_name, start_time, finish_time, success, failure_reason, failure_detail,
                    snapshot_id, restore_target, expected_time, verified_time, time_difference_seconds, validated,
                    corrupt_blocks, phase_seconds, log_text,
                    -- Read so that a catalog made before log_file existed (no prepare yet) still answers.
                    to_jsonb(restore_run) ->> 'log_file' AS log_file
                FROM restore_run WHERE (\(database)::text IS NULL OR db_unique_name = \(database))
                ORDER BY start_time DESC, id DESC LIMIT \(limit)
                """, logger: logger)
            var result: [Stored<RestoreRecord>] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                result.append(
                    Stored(
                        id: try r["id"].decode(Int64.self),
                        record: RestoreRecord(
                            database: try r["db_unique_name"].decode(String.self),
                            startedAt: try r["start_time"].decode(Date.self),
                            finishedAt: try r["finish_time"].decode(Date.self),
                            success: try r["success"].decode(Bool.self),
                            failureReason: try r["failure_reason"].decode(String?.self),
                            failureDetail: try r["failure_detail"].decode(String?.self),
                            snapshotID: try r["snapshot_id"].decode(String?.self),
                            restoreTarget: try r["restore_target"].decode(String?.self),
                            expectedTime: try r["expected_time"].decode(String?.self),
                            verifiedTime: try r["verified_time"].decode(String?.self),
                            timeDifferenceSeconds: try r["time_difference_seconds"].decode(Int64?.self).map(Int.init),
                            validated: try r["validated"].decode(Bool.self),
                            corruptBlocks: try r["corrupt_blocks"].decode(Int64?.self).map(Int.init),
                            phaseSeconds: PhaseJSON.decode(try r["phase_seconds"].decode(String.self)),
                            logText: try r["log_text"].decode(String.self),
                            logFile: try r["log_file"].decode(String?.self))))
            }
            return result
        }
    }

    /// The newest `limit` backup runs of `database` (all databases when nil), newest first. Throws `.unreachable`
    /// or `.read`.
    public func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] {
        let limit = Int64(min(limit, Int(Int32.max)))
        return try await withConnection(.read) { connection in
            let rows = try await connection.query(
                """
                SELECT id, db_unique_name, action, start_time, finish_time, success, snapshot_id, failure_detail
                FROM backup_run WHERE (\(database)::text IS NULL OR db_unique_name = \(database))
                ORDER BY start_time DESC, id DESC LIMIT \(limit)
                """, logger: logger)
            var result: [Stored<BackupRunRecord>] = []
            for try await (id, name, action, start, finish, success, snapshot, detail) in rows.decode(
                (Int64, String, String, Date, Date, Bool, String?, String?).self)
            {
                result.append(
                    Stored(
                        id: id,
                        record: BackupRunRecord(
                            database: name, action: action, startedAt: start,
                            finishedAt: finish, success: success,
                            snapshotID: snapshot, failureDetail: detail)))
            }
            return result
        }
    }

    /// The snapshots of `database` whose newest restore (by start time, then id) succeeded. Throws `.unreachable`
    /// or `.read`.
    public func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> {
        try await withConnection(.read) { connection in
            let rows = try await connection.query(
                """
                SELECT snapshot_id FROM (
                    SELECT DISTINCT ON (snapshot_id) snapshot_id, success FROM restore_run
                    WHERE db_unique_name = \(database) AND snapshot_id IS NOT NULL
                    ORDER BY snapshot_id, start_time DESC, id DESC) latest
                WHERE success
                """, logger: logger)
            var result: Set<String> = []
            for try await id in rows.decode(String.self) { result.insert(id) }
            return result
        }
    }
}
