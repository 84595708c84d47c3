import Foundation

/// One autorestore (or point-in-time restore) attempt, as stored in the results catalog.
public struct RestoreRecord: Sendable, Equatable, Codable {
    /// The database (configuration section) restored.
    public var database: String
    /// When the attempt started.
    public var startedAt: Date
    /// When it ended, clean-up included.
    public var finishedAt: Date
    /// Whether the restore, verification and (when planned) validation all succeeded.
    public var success: Bool
    /// A stable reason code when the run failed (the autorestore engine's `RestoreFailure.Reason`), e.g.
    /// `missing-archivelog`.
    public var failureReason: String?
    /// Human detail of the failure (the error text).
    public var failureDetail: String?
    /// The snapshot restored from; `nil` when none was selected.
    public var snapshotID: String?
    /// Where the restore was done (the clone name, or host:mount point).
    public var restoreTarget: String?
    /// The recovery target time (`lasttime`), database-local, `yyyy-MM-dd HH:mm:ss`.
    public var expectedTime: String?
    /// The database time read after opening, same format.
    public var verifiedTime: String?
    /// `expected − verified` in seconds; nil when never verified.
    public var timeDifferenceSeconds: Int?
    /// Whether `RMAN VALIDATE` ran on this restore.
    public var validated: Bool
    /// Rows in `v$database_block_corruption` after validation; nil when not validated.
    public var corruptBlocks: Int?
    /// Seconds per phase (`clone`, `mount`, `startup`, `recover`, `verify`, `validate`, `cleanup`, …).
    public var phaseSeconds: [String: Double]
    /// The complete run log, including the final result line.
    public var logText: String
    /// The run's own log file (autorestore's `<autorestorelogdir>/<timestamp>-<db>.log`), when there is one: the
    /// Oracle catalog loads it with SQL*Loader and records its path in `restoreaction.logfile`, as the original did.
    public var logFile: String?

    /// A record; optional fields default to unknown or empty.
    public init(
        database: String, startedAt: Date, finishedAt: Date, success: Bool, failureReason: String? = nil,
        failureDetail: String? = nil, snapshotID: String? = nil, restoreTarget: String? = nil,
        expectedTime: String? = nil, verifiedTime: String? = nil, timeDifferenceSeconds: Int? = nil,
        validated: Bool = false, corruptBlocks: Int? = nil, phaseSeconds: [String: Double] = [:],
        logText: String = "", logFile: String? = nil
    ) {
        self.database = database
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.success = success
        self.failureReason = failureReason
        self.failureDetail = failureDetail
        self.snapshotID = snapshotID
        self.restoreTarget = restoreTarget
        self.expectedTime = expectedTime
        self.verifiedTime = verifiedTime
        self.timeDifferenceSeconds = timeDifferenceSeconds
        self.validated = validated
        self.corruptBlocks = corruptBlocks
        self.phaseSeconds = phaseSeconds
        self.logText = logText
        self.logFile = logFile
    }
}

/// One backup run, recorded so reports can show backup and restore history side by side.
public struct BackupRunRecord: Sendable, Equatable, Codable {
    /// The database (configuration section) backed up.
    public var database: String
    /// The backup action, e.g. `imagecopywithsnap`.
    public var action: String
    /// When the run started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date
    /// Whether the action succeeded.
    public var success: Bool
    /// The snapshot the run took, when it took one.
    public var snapshotID: String?
    /// The error text of a failed run.
    public var failureDetail: String?

    /// A record of one backup run.
    public init(
        database: String, action: String, startedAt: Date, finishedAt: Date, success: Bool,
        snapshotID: String? = nil, failureDetail: String? = nil
    ) {
        self.database = database
        self.action = action
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.success = success
        self.snapshotID = snapshotID
        self.failureDetail = failureDetail
    }

    /// Seconds from start to end.
    public var durationSeconds: Double { finishedAt.timeIntervalSince(startedAt) }
}

/// A stored record with its catalog id.
public struct Stored<Record: Sendable & Equatable>: Sendable, Equatable {
    /// The catalog's id of the record.
    public var id: Int64
    /// The stored values.
    public var record: Record

    /// A record with its id.
    public init(id: Int64, record: Record) {
        self.id = id
        self.record = record
    }
}

/// Per-database figures for reports (what the original's `autorestorestatus` query computed), NULL-safe.
public struct RestoreSummary: Sendable, Equatable, Codable {
    /// Start of the newest successful restore.
    public var lastSuccess: Date?
    /// Start of the newest failed restore.
    public var lastFailure: Date?
    /// Start of the newest successful restore that was validated.
    public var lastValidated: Date?
    /// Average `timeDifferenceSeconds` of successful runs.
    public var averageDifferenceSeconds: Double?
    /// Average duration of successful runs without validation, in minutes.
    public var averageRestoreMinutes: Double?
    /// Restores recorded, successful or not.
    public var restoreCount: Int
}

/// A failure to read or write the results catalog.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    /// What kind of catalog failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code with its text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The catalog cannot be reached (file, server or database).
        public static let unreachable = Code("unreachable")
        /// The schema is missing or differs from the expected one.
        public static let schema = Code("schema")
        /// Storing a record failed.
        public static let write = Code("write failed")
        /// Reading records failed.
        public static let read = Code("read failed")
        /// The catalog settings are missing or contradictory.
        public static let configuration = Code("configuration")
    }

    /// What kind of failure.
    public var code: Code
    /// `sqlite`, `postgres`, `oracle`.
    public var backend: String
    /// Human-readable detail (never with a password).
    public var detail: String

    /// A failure of `backend`.
    public init(_ code: Code, backend: String, detail: String) {
        self.code = code
        self.backend = backend
        self.detail = detail
    }

    public var description: String { "results catalog (\(backend)) \(code): \(detail)" }
}

/// Where autorestore results and backup runs are kept. Every write is atomic: a record is stored whole (with its
/// log) or not at all.
public protocol ResultCatalog: Sendable {
    /// `sqlite`, `postgres`, `oracle`.
    var backendName: String { get }
    /// Where the catalog is, for messages: the file, the URL or the connect string, never with a password.
    var location: String { get }
    /// Creates the schema when it is missing; safe to call every run (the original's was not idempotent).
    func prepare() async throws(CatalogError)
    /// Stores one restore attempt with its log; returns its id.
    @discardableResult
    func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64
    /// Stores one backup run; returns its id.
    @discardableResult
    func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64
    /// Newest first.
    func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>]
    /// Newest first.
    func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>]
    /// The snapshots of `database` whose latest recorded restore succeeded (`snapkeepverified`): a snapshot whose
    /// newest restore failed is not verified, whatever older restores said. Never creates anything.
    func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String>
}

extension ResultCatalog {
    /// Report figures computed from the stored restores of one database.
    public func summary(database: String) async throws(CatalogError) -> RestoreSummary {
        let records = try await restores(database: database, limit: Int.max).map(\.record)
        let successes = records.filter(\.success)
        let differences = successes.compactMap(\.timeDifferenceSeconds).map(Double.init)
        let plainDurations = successes.filter { !$0.validated }.map {
            $0.finishedAt.timeIntervalSince($0.startedAt) / 60
        }
        return RestoreSummary(
            lastSuccess: successes.map(\.startedAt).max(),
            lastFailure: records.filter { !$0.success }.map(\.startedAt).max(),
            lastValidated: records.filter { $0.validated && $0.success }.map(\.startedAt).max(),
            averageDifferenceSeconds: differences.isEmpty ? nil : differences.reduce(0, +) / Double(differences.count),
            averageRestoreMinutes: plainDurations.isEmpty
                ? nil : plainDurations.reduce(0, +) / Double(plainDurations.count),
            restoreCount: records.count)
    }
}

/// JSON for the phase map column.
package enum PhaseJSON {
    package static func encode(_ phases: [String: Double]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(phases), as: UTF8.self)) ?? "{}"
    }

    package static func decode(_ text: String?) -> [String: Double] {
        guard let text, let data = text.data(using: .utf8) else { return [:] }
        return (try? JSONDecoder().decode([String: Double].self, from: data)) ?? [:]
    }
}
