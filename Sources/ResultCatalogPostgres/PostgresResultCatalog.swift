import CLibPQ
import Foundation
import Logging
import ResultCatalog

/// The results catalog in PostgreSQL, through libpq (loaded on first use, so tools that never open this catalog run
/// without it). One short connection per operation: autorestore writes a handful of rows a day, and a fresh
/// connection means no pool to keep alive between databases. Every libpq call blocks, so each operation runs on a
/// thread of its own, never on Swift's cooperative pool.
public struct PostgresResultCatalog: ResultCatalog {
    /// Always `postgres`.
    public var backendName: String { "postgres" }
    /// ``displayURL``: the URL without its password.
    public var location: String { displayURL }
    /// libpq connection keywords and values (password included; never printed).
    let parameters: [(keyword: String, value: String)]
    /// The URL without its password, for messages.
    public let displayURL: String
    let logger: Logger

    /// - Parameter url: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require|verify-full]`
    ///   (`&sslrootcert=<PEM file>` optional). Without `sslmode`, loopback hosts connect in plain text and every
    ///   other host requires TLS with a verified certificate and host name (`require` means the same; the CAs are
    ///   the system's bundle unless `sslrootcert` names a file). libpq's own sources of a password (`~/.pgpass`,
    ///   `PGPASSWORD`) apply when neither the URL nor `password` gives one.
    ///   `statementTimeout` bounds every statement, a wait for the schema lock included.
    public init(
        url: String, password: String? = nil, statementTimeout: Duration = .seconds(120), logger: Logger
    ) throws(CatalogError) {
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
        let query = components.queryItems ?? []
        let mode =
            query.first { $0.name == "sslmode" }?.value
            ?? (["127.0.0.1", "localhost", "::1"].contains(host) ? "disable" : "require")
        var parameters: [(keyword: String, value: String)] = [
            ("host", host), ("port", String(components.port ?? 5432)), ("user", user), ("dbname", database),
            ("connect_timeout", "15"), ("application_name", "oracle-imagecopy-backup"),
            // Times travel as seconds since the epoch; the session's zone and date style do not matter then, but
            // are fixed so that any text a server sends back reads the same everywhere.
            ("options", "-c TimeZone=UTC -c DateStyle=ISO -c statement_timeout=\(Self.milliseconds(statementTimeout))"),
            // A server or network that stops answering must not hang the run: TCP keep-alives and a limit on
            // unacknowledged data end a dead connection, the statement timeout a statement that never finishes.
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
        ]
        switch mode {
        case "disable":
            parameters.append(("sslmode", "disable"))
        case "require", "verify-full":
            let rootCertificates =
                query.first { $0.name == "sslrootcert" }?.value
                ?? Self.systemCertificateBundles.first { FileManager.default.isReadableFile(atPath: $0) }
            guard let rootCertificates else {
                throw CatalogError(
                    .configuration, backend: "postgres",
                    detail:
                        "sslmode \(mode) verifies the server's certificate, but this host has no CA bundle in "
                        + Self.systemCertificateBundles.joined(separator: ", ")
                        + ": add sslrootcert=<PEM file> to catalogurl")
            }
            parameters.append(("sslmode", "verify-full"))
            parameters.append(("sslrootcert", rootCertificates))
        default:
            throw CatalogError(
                .configuration, backend: "postgres",
                detail: "sslmode '\(mode)' is not supported (use disable, require or verify-full)")
        }
        if let secret = password ?? components.password {
            parameters.append(("password", secret))
        }
        self.parameters = parameters
        var display = components
        display.password = nil
        displayURL = display.string ?? "postgres://\(host)"
        self.logger = logger
    }

    /// Whole milliseconds of `duration`, at least 1 (0 would mean no limit to PostgreSQL).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// Where distributions keep the CA bundle (Debian/Ubuntu/SUSE, RHEL/Fedora, Alpine/others).
    static let systemCertificateBundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ]

    /// Opens a connection, runs `body` with it and closes it, all on a thread of its own. Failing to load libpq
    /// or to connect is `.unreachable`; a failed statement is `code`.
    private func withConnection<T: Sendable>(
        _ code: CatalogError.Code,
        _ body: @escaping @Sendable (PostgresSession) throws(PostgresStatementError) -> T
    ) async throws(CatalogError) -> T {
        let parameters = self.parameters
        let displayURL = self.displayURL
        let backend = backendName
        let outcome: Result<T, CatalogError> = await PostgresSession.onOwnThread {
            var loadError = [CChar](repeating: 0, count: 512)
            guard oib_pq_load(&loadError, loadError.count) == 0 else {
                let reason = String(decoding: loadError.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return .failure(CatalogError(.unreachable, backend: backend, detail: "\(displayURL): \(reason)"))
            }
            let session: PostgresSession
            switch PostgresSession.connect(parameters) {
            case .success(let connected): session = connected
            case .failure(let failure):
                return .failure(
                    CatalogError(.unreachable, backend: backend, detail: "\(displayURL): \(failure.message)"))
            }
            defer { session.close() }
            do throws(PostgresStatementError) {
                return .success(try body(session))
            } catch {
                return .failure(CatalogError(code, backend: backend, detail: "\(displayURL): \(error.message)"))
            }
        }
        return try outcome.get()
    }

    /// Creates the `restore_run` and `backup_run` tables and indexes when missing and adds `log_file` to an older
    /// catalog, under an advisory lock so concurrent first runs do not collide. Throws `.unreachable` or `.schema`.
    public func prepare() async throws(CatalogError) {
        try await withConnection(.schema) { session throws(PostgresStatementError) in
            // Two first runs at once (parallel autorestores, two hosts) would race in CREATE … IF NOT EXISTS,
            // which PostgreSQL answers with a unique violation: the schema is created under an advisory lock,
            // released with the session at the latest.
            try session.execute("SELECT pg_advisory_lock(4207011401)")
            try session.execute(
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
                """)
            // Added by [Compatibility]: the run's own log file. Catalogs created before get the column here.
            try session.execute("ALTER TABLE restore_run ADD COLUMN IF NOT EXISTS log_file TEXT")
            try session.execute(
                "CREATE INDEX IF NOT EXISTS restore_run_db_start ON restore_run (db_unique_name, start_time)")
            try session.execute(
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
                """)
            try session.execute(
                "CREATE INDEX IF NOT EXISTS backup_run_db_start ON backup_run (db_unique_name, start_time)")
        }
    }

    @discardableResult
    /// Inserts one `restore_run` row (log included); returns its `id`. Throws `.unreachable` or `.write`.
    public func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 {
        let values: [String?] = [
            record.database, PostgresText.time(record.startedAt), PostgresText.time(record.finishedAt),
            PostgresText.bool(record.success), record.failureReason, record.failureDetail, record.snapshotID,
            record.restoreTarget, record.expectedTime, record.verifiedTime,
            record.timeDifferenceSeconds.map(String.init), PostgresText.bool(record.validated),
            record.corruptBlocks.map(String.init), PhaseJSON.encode(record.phaseSeconds), record.logText,
            record.logFile,
        ]
        return try await withConnection(.write) { session throws(PostgresStatementError) in
            let rows = try session.execute(
                """
                INSERT INTO restore_run (db_unique_name, start_time, finish_time, success, failure_reason,
                    failure_detail, snapshot_id, restore_target, expected_time, verified_time,
                    time_difference_seconds, validated, corrupt_blocks, phase_seconds, log_text, log_file)
                VALUES ($1, to_timestamp($2::float8), to_timestamp($3::float8), $4::boolean, $5, $6, $7, $8, $9,
                    $10, $11::bigint, $12::boolean, $13::bigint, $14, $15, $16)
                RETURNING id
                """, values)
            guard let id = rows.first?.first.flatMap({ $0 }).flatMap(Int64.init) else {
                throw PostgresStatementError(message: "INSERT returned no id")
            }
            return id
        }
    }

    @discardableResult
    /// Inserts one `backup_run` row; returns its `id`. Throws `.unreachable` or `.write`.
    public func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 {
        let values: [String?] = [
            record.database, record.action, PostgresText.time(record.startedAt), PostgresText.time(record.finishedAt),
            PostgresText.bool(record.success), record.snapshotID, record.failureDetail,
        ]
        return try await withConnection(.write) { session throws(PostgresStatementError) in
            let rows = try session.execute(
                """
                INSERT INTO backup_run (db_unique_name, action, start_time, finish_time, success, snapshot_id,
                    failure_detail)
                VALUES ($1, $2, to_timestamp($3::float8), to_timestamp($4::float8), $5::boolean, $6, $7)
                RETURNING id
                """, values)
            guard let id = rows.first?.first.flatMap({ $0 }).flatMap(Int64.init) else {
                throw PostgresStatementError(message: "INSERT returned no id")
            }
            return id
        }
    }

    /// The newest `limit` restores of `database` (all databases when nil), newest first; also reads a catalog
    /// that has no `log_file` column yet. Throws `.unreachable` or `.read`.
    public func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
        let limit = String(min(max(limit, 0), Int(Int32.max)))
        return try await withConnection(.read) { session throws(PostgresStatementError) in
            let rows = try session.execute(
                """
                SELECT id, db_unique_name, extract(epoch FROM start_time), extract(epoch FROM finish_time), success,
                    failure_reason, failure_detail, snapshot_id, restore_target, expected_time, verified_time,
                    time_difference_seconds, validated, corrupt_blocks, phase_seconds, log_text,
                    -- Read so that a catalog made before log_file existed (no prepare yet) still answers.
                    to_jsonb(restore_run) ->> 'log_file' AS log_file
                FROM restore_run WHERE ($1::text IS NULL OR db_unique_name = $1)
                ORDER BY start_time DESC, id DESC LIMIT $2::bigint
                """, [database, limit])
            return try rows.map { row throws(PostgresStatementError) in
                var read = PostgresRowReader(row)
                return Stored(
                    id: try read.int64(),
                    record: RestoreRecord(
                        database: try read.text(),
                        startedAt: try read.time(),
                        finishedAt: try read.time(),
                        success: try read.bool(),
                        failureReason: read.optionalText(),
                        failureDetail: read.optionalText(),
                        snapshotID: read.optionalText(),
                        restoreTarget: read.optionalText(),
                        expectedTime: read.optionalText(),
                        verifiedTime: read.optionalText(),
                        timeDifferenceSeconds: try read.optionalInt64().map(Int.init),
                        validated: try read.bool(),
                        corruptBlocks: try read.optionalInt64().map(Int.init),
                        phaseSeconds: PhaseJSON.decode(try read.text()),
                        logText: try read.text(),
                        logFile: read.optionalText()))
            }
        }
    }

    /// The newest `limit` backup runs of `database` (all databases when nil), newest first. Throws `.unreachable`
    /// or `.read`.
    public func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] {
        let limit = String(min(max(limit, 0), Int(Int32.max)))
        return try await withConnection(.read) { session throws(PostgresStatementError) in
            let rows = try session.execute(
                """
                SELECT id, db_unique_name, action, extract(epoch FROM start_time), extract(epoch FROM finish_time),
                    success, snapshot_id, failure_detail
                FROM backup_run WHERE ($1::text IS NULL OR db_unique_name = $1)
                ORDER BY start_time DESC, id DESC LIMIT $2::bigint
                """, [database, limit])
            return try rows.map { row throws(PostgresStatementError) in
                var read = PostgresRowReader(row)
                return Stored(
                    id: try read.int64(),
                    record: BackupRunRecord(
                        database: try read.text(), action: try read.text(), startedAt: try read.time(),
                        finishedAt: try read.time(), success: try read.bool(), snapshotID: read.optionalText(),
                        failureDetail: read.optionalText()))
            }
        }
    }

    /// The snapshots of `database` whose newest restore (by start time, then id) succeeded. Throws `.unreachable`
    /// or `.read`.
    public func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> {
        try await withConnection(.read) { session throws(PostgresStatementError) in
            let rows = try session.execute(
                """
                SELECT snapshot_id FROM (
                    SELECT DISTINCT ON (snapshot_id) snapshot_id, success FROM restore_run
                    WHERE db_unique_name = $1 AND snapshot_id IS NOT NULL
                    ORDER BY snapshot_id, start_time DESC, id DESC) latest
                WHERE success
                """, [database])
            return Set(rows.compactMap { $0.first.flatMap { $0 } })
        }
    }
}
