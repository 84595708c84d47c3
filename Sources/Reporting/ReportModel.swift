import Foundation

/// How healthy one database's backups and restore tests are, worst first when sorted by ``severity``.
public enum HealthStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Backups and restore tests are current and passed.
    case ok
    /// Something needs a look soon (an ageing snapshot, no restore test recorded).
    case warning
    /// A backup or restore test failed, or there is no recent snapshot.
    case critical
    /// The storage or the catalog could not be read, so health is not known.
    case unknown

    /// Ordering for "worst wins": critical 3, unknown 2, warning 1, ok 0.
    public var severity: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .unknown: 2
        case .critical: 3
        }
    }

    /// The Nagios-style number used by the `oib_status` metric: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    public var nagiosCode: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }
}

/// The whole report: every database asked for, in the order asked. Encoded as the `--json` output
/// (schema documented in Documentation/monitoring.md).
public struct Report: Sendable, Equatable, Codable {
    /// The version of this layout; bumped when a field changes meaning or disappears (adding one does not).
    public static let currentSchemaVersion = 1

    /// ``currentSchemaVersion`` when written by this build.
    public var schemaVersion: Int
    /// When the report was made (the reference instant of every age).
    public var generatedAt: Date
    /// How many restores the trend of each database holds at most.
    public var trendLength: Int
    /// One entry per database.
    public var databases: [DatabaseReport]

    /// A report of the current schema version.
    public init(generatedAt: Date, trendLength: Int, databases: [DatabaseReport]) {
        self.schemaVersion = Self.currentSchemaVersion
        self.generatedAt = generatedAt
        self.trendLength = trendLength
        self.databases = databases
    }

    /// The worst status of all databases (ok for none).
    public var overallStatus: HealthStatus {
        databases.map(\.status).max { $0.severity < $1.severity } ?? .ok
    }
}

/// Everything the report knows about one database.
public struct DatabaseReport: Sendable, Equatable, Codable {
    /// The database (configuration section).
    public var name: String
    /// The worst finding (see ``problems``).
    public var status: HealthStatus
    /// Why the status is not ok, one finding each with its own status; empty when ok.
    public var problems: [Problem]
    /// The snapshots on the storage.
    public var storage: StorageReport
    /// The results catalog the figures below come from.
    public var catalog: CatalogReport
    /// The newest recorded backup run; nil when none is recorded (or the catalog is unreadable).
    public var lastBackup: BackupRunReport?
    /// Whether autorestore tests this database (`autorestoreenabled: 1`).
    public var autorestoreEnabled: Bool
    /// The newest recorded restore test; nil when none is recorded.
    public var lastAutorestore: AutorestoreRunReport?
    /// Block validation: when it last passed and when it is planned next.
    public var validation: ValidationReport
    /// The most recent restores, oldest first (at most ``Report/trendLength``).
    public var restoreTrend: [RestoreTrendPoint]
    /// The off-site copy (`[replication]`); `nil` when none is configured.
    public var replica: ReplicaReport? = nil
}

/// A database's off-site copy as its replica lists it, and how far it is behind the database's own snapshots.
public struct ReplicaReport: Sendable, Equatable, Codable {
    /// False when the replica could not be listed (``error`` says why).
    public var reachable: Bool
    /// Why the listing failed.
    public var error: String?
    /// Number of snapshots at the replica.
    public var snapshotCount: Int?
    /// The replica's newest snapshot.
    public var newest: SnapshotSummary?
    /// Snapshots of the database newer than the replica's newest (what the next copy sends); `nil` when either side
    /// could not be listed.
    public var snapshotsBehind: Int?
    /// Seconds between the database's newest snapshot and the replica's newest; `nil` when unknown or the replica
    /// holds nothing.
    public var lagSeconds: Double?

    /// A replica report.
    public init(
        reachable: Bool, error: String? = nil, snapshotCount: Int? = nil, newest: SnapshotSummary? = nil,
        snapshotsBehind: Int? = nil, lagSeconds: Double? = nil
    ) {
        self.reachable = reachable
        self.error = error
        self.snapshotCount = snapshotCount
        self.newest = newest
        self.snapshotsBehind = snapshotsBehind
        self.lagSeconds = lagSeconds
    }
}

/// One finding about a database: how bad it is, and a sentence saying what it is.
public struct Problem: Sendable, Equatable, Codable {
    /// warning, critical or unknown.
    public var status: HealthStatus
    /// What was found, e.g. `last restore test failed: missing-archivelog: …`.
    public var text: String

    /// A finding.
    public init(status: HealthStatus, text: String) {
        self.status = status
        self.text = text
    }
}

/// The snapshots of one database as its storage driver lists them.
public struct StorageReport: Sendable, Equatable, Codable {
    /// False when the storage could not be listed (``error`` says why).
    public var reachable: Bool
    /// Why listing failed.
    public var error: String?
    /// Snapshots listed; nil when unreachable.
    public var snapshotCount: Int?
    /// The newest snapshot.
    public var newest: SnapshotSummary?
    /// The oldest snapshot.
    public var oldest: SnapshotSummary?
    /// Sum of the snapshots' referenced bytes; nil when the driver reports none.
    public var spaceTotalBytes: Int64?
    /// Sum of the bytes only one snapshot holds; nil when the driver reports none.
    public var spaceUniqueBytes: Int64?
    /// The snapshots the storage protects from deletion at report time.
    public var lockedSnapshots: [String]

    /// A storage that could not be listed.
    public static func unreachable(_ error: String) -> StorageReport {
        StorageReport(
            reachable: false, error: error, snapshotCount: nil, newest: nil, oldest: nil, spaceTotalBytes: nil,
            spaceUniqueBytes: nil, lockedSnapshots: [])
    }

    /// A value with every field given.
    public init(
        reachable: Bool, error: String?, snapshotCount: Int?, newest: SnapshotSummary?, oldest: SnapshotSummary?,
        spaceTotalBytes: Int64?, spaceUniqueBytes: Int64?, lockedSnapshots: [String]
    ) {
        self.reachable = reachable
        self.error = error
        self.snapshotCount = snapshotCount
        self.newest = newest
        self.oldest = oldest
        self.spaceTotalBytes = spaceTotalBytes
        self.spaceUniqueBytes = spaceUniqueBytes
        self.lockedSnapshots = lockedSnapshots
    }
}

/// One snapshot and its age.
public struct SnapshotSummary: Sendable, Equatable, Codable {
    /// The storage identifier.
    public var id: String
    /// When it was taken.
    public var createdAt: Date
    /// Whole seconds between ``createdAt`` and the report time (0 for a snapshot stamped in the future).
    public var ageSeconds: Int

    /// A value with every field given.
    public init(
        id: String, createdAt: Date, ageSeconds: Int
    ) {
        self.id = id
        self.createdAt = createdAt
        self.ageSeconds = ageSeconds
    }
}

/// Where the results came from.
public struct CatalogReport: Sendable, Equatable, Codable {
    /// False when no catalog is configured and autorestore's default file does not exist on this host.
    public var configured: Bool
    /// False when a configured catalog could not be read (``error`` says why).
    public var reachable: Bool
    /// `sqlite`, `postgres`, `oracle`.
    public var backend: String?
    /// The file, URL or connect string (never with a password).
    public var location: String?
    /// Why the catalog could not be read.
    public var error: String?

    /// A value with every field given.
    public init(
        configured: Bool, reachable: Bool, backend: String? = nil, location: String? = nil, error: String? = nil
    ) {
        self.configured = configured
        self.reachable = reachable
        self.backend = backend
        self.location = location
        self.error = error
    }
}

/// The newest backup run of a database.
public struct BackupRunReport: Sendable, Equatable, Codable {
    /// The backup action, e.g. `imagecopywithsnap`.
    public var action: String
    /// When it started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date
    /// Whether it succeeded.
    public var success: Bool
    /// Seconds from start to end.
    public var durationSeconds: Double
    /// Whole seconds from its end to the report time.
    public var ageSeconds: Int
    /// The snapshot it took.
    public var snapshotID: String?
    /// The error of a failed run.
    public var failureDetail: String?

    /// A value with every field given.
    public init(
        action: String, startedAt: Date, finishedAt: Date, success: Bool, durationSeconds: Double, ageSeconds: Int,
        snapshotID: String?, failureDetail: String?
    ) {
        self.action = action
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.success = success
        self.durationSeconds = durationSeconds
        self.ageSeconds = ageSeconds
        self.snapshotID = snapshotID
        self.failureDetail = failureDetail
    }
}

/// The newest restore test of a database.
public struct AutorestoreRunReport: Sendable, Equatable, Codable {
    /// When it started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date
    /// Whether restore, verification and (when planned) validation passed.
    public var success: Bool
    /// The stable reason code of a failure (e.g. `missing-archivelog`).
    public var failureReason: String?
    /// The error text of a failure.
    public var failureDetail: String?
    /// The snapshot restored.
    public var snapshotID: String?
    /// Expected minus verified database time, in seconds.
    public var timeDifferenceSeconds: Int?
    /// Seconds from start to end.
    public var durationSeconds: Double
    /// Whole seconds from its end to the report time.
    public var ageSeconds: Int
    /// Whether RMAN validation ran on it.
    public var validated: Bool
    /// Corrupt blocks found by validation.
    public var corruptBlocks: Int?

    /// A value with every field given.
    public init(
        startedAt: Date, finishedAt: Date, success: Bool, failureReason: String?, failureDetail: String?,
        snapshotID: String?, timeDifferenceSeconds: Int?, durationSeconds: Double, ageSeconds: Int, validated: Bool,
        corruptBlocks: Int?
    ) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.success = success
        self.failureReason = failureReason
        self.failureDetail = failureDetail
        self.snapshotID = snapshotID
        self.timeDifferenceSeconds = timeDifferenceSeconds
        self.durationSeconds = durationSeconds
        self.ageSeconds = ageSeconds
        self.validated = validated
        self.corruptBlocks = corruptBlocks
    }
}

/// Block validation of restored copies (reference §8.3).
public struct ValidationReport: Sendable, Equatable, Codable {
    /// `modulus` (a fixed day every N days), `chance` (1 in N restores) or `never`.
    public var mode: String
    /// The modulus in days, or the N of the chance.
    public var every: Int?
    /// Start of the newest successful validated restore found.
    public var lastValidatedAt: Date?
    /// Whole seconds since ``lastValidatedAt``.
    public var lastValidatedAgeSeconds: Int?
    /// Modulus mode: the next validation day (local date, `YYYY-MM-DD`).
    public var nextDate: String?
    /// Modulus mode: days until ``nextDate`` (equals the modulus on a validation day).
    public var daysToNext: Int?

    /// A value with every field given.
    public init(
        mode: String, every: Int? = nil, lastValidatedAt: Date? = nil, lastValidatedAgeSeconds: Int? = nil,
        nextDate: String? = nil, daysToNext: Int? = nil
    ) {
        self.mode = mode
        self.every = every
        self.lastValidatedAt = lastValidatedAt
        self.lastValidatedAgeSeconds = lastValidatedAgeSeconds
        self.nextDate = nextDate
        self.daysToNext = daysToNext
    }
}

/// One restore in the duration trend.
public struct RestoreTrendPoint: Sendable, Equatable, Codable {
    /// When it started.
    public var startedAt: Date
    /// Seconds from start to end.
    public var durationSeconds: Double
    /// Whether it passed.
    public var success: Bool
    /// Whether it validated (validated restores take longer).
    public var validated: Bool

    /// A value with every field given.
    public init(
        startedAt: Date, durationSeconds: Double, success: Bool, validated: Bool
    ) {
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.success = success
        self.validated = validated
    }
}
