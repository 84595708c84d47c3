/// What a configuration is needed for; each action asks only for what it uses.
public struct ConfigPurpose: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Any backup action: destination, logs, lock, Oracle home, TNS, dbid, RMAN settings.
    public static let backup = ConfigPurpose(rawValue: 1 << 0)
    /// Snapshots and clones: the storage driver and its section.
    public static let storage = ConfigPurpose(rawValue: 1 << 1)
    /// Snapshot retention: `snapexpirationdays` and friends.
    public static let retention = ConfigPurpose(rawValue: 1 << 2)
    /// `setschedule`: `osuser`.
    public static let scheduling = ConfigPurpose(rawValue: 1 << 3)
    /// `checkage`: warning and critical ages.
    public static let snapshotAgeCheck = ConfigPurpose(rawValue: 1 << 4)
    /// Autorestore and point-in-time restore.
    public static let autorestore = ConfigPurpose(rawValue: 1 << 5)

    public static let everything: ConfigPurpose = [
        .backup, .storage, .retention, .scheduling, .snapshotAgeCheck, .autorestore,
    ]
}

/// `[generic]` settings as seen from one database (prefixed `generic…` overrides applied).
public struct GenericSettings: Sendable, Equatable {
    public var logRetentionDays: Int?
    /// The root of the backup mounts (`backupdest`), resolved.
    public var backupRoot: String?
    public var backupDestinationShared: Bool
    public var warningSnapshotAgeHours: Double?
    public var criticalSnapshotAgeHours: Double?
    /// `tnsadmin`, resolved against the configuration's directory.
    public var tnsAdmin: String?
    public var osUser: String?
    public var oracleHome: String?
    public var maxLockWaitMinutes: Int?
    /// New: the backup destination must be a mount point or carry our marker file. Default true.
    public var requireMount: Bool
    /// New: a directory whose template files override the built-in ones.
    public var templateDirectory: String?
    /// New: per-step timeouts in seconds, `timeout<step>` keys (e.g. `timeoutrman`), plus `timeoutdefault`.
    public var timeouts: [String: Int]
}

/// `[rman]` settings.
public struct RMANSettings: Sendable, Equatable {
    /// `catalog`: connect string of the RMAN catalog, needed when `registercatalog` is true.
    public var catalog: String?
    /// `sectionsize`: empty for none.
    public var sectionSize: String
}

/// `[autorestore]` settings as seen from one database.
public struct AutorestoreSettings: Sendable, Equatable {
    public var destination: String?
    public var cloneName: String?
    public var mountPoint: String?
    public var snapshotAgeHours: Double?
    public var logDirectory: String?
    public var maxToleranceMinutes: Double?
    public var catalogConnect: String?
    public var validateChance: Int
    public var validationModulus: Int
    public var pgaSize: String
    public var sgaSize: String
    /// New: `mountcommand`/`umountcommand` templates (`${mountpoint}`), empty for drivers that need none.
    public var mountCommand: String?
    public var unmountCommand: String?
    /// New: where results go: `sqlite` (default), `postgres`, `oracle` (the default when `autorestorecatalog` is
    /// set, as in the original).
    public var catalogType: String
    /// True when `autorestorecatalogtype` is not set and ``catalogType`` was inferred (an original configuration).
    public var catalogTypeImplied: Bool
    /// New: SQLite file or PostgreSQL URL for the results catalog.
    public var catalogLocation: String?
    /// New: `backuptimezone`, the database host's time zone (IANA name) for snapshots whose `autorestore.cfg` has
    /// no `lasttimeutcoffset` (taken before it was written); `nil`: this host's zone.
    public var backupTimeZone: String? = nil
}

/// Every setting of one database section, typed, with the original's defaults (reference §3.4–3.5).
public struct DatabaseSettings: Sendable, Equatable {
    /// The section name: the `db_unique_name`, TNS alias and storage volume name.
    public var name: String
    public var dbid: Int64?
    public var recoveryWindowDays: Int?
    public var parallelism: Int?
    public var snapshotExpirationDays: Int?
    /// Defaults to 0 (R-05: the original crashed when it was missing).
    public var snapshotExpirationMonths: Int
    public var registerCatalog: Bool
    public var hasDataGuard: Bool
    public var doSnapshot: Bool
    public var gridInfrastructureManaged: Bool
    public var scheduleBackup: String
    public var scheduleArchivelog: String
    public var backupJobEnabled: Bool
    /// `primarytns`: defaults to the database name.
    public var primaryTNS: String
    public var customVerifyDate: String
    /// New: `markerquery`, a query whose value `imagecopywithsnap` records just before the log switch and
    /// `autorestore` compares after opening the restored database; `nil` when not set.
    public var markerQuery: String?
    /// `autorestoreenabled` equals the string `1`.
    public var autorestoreEnabled: Bool
    public var autorestoreInstanceNumber: Int
    public var autorestoreThread: Int
    public var stringForValidationModulus: String?
    public var additionalVolumeSuffixes: [String]

    public var generic: GenericSettings
    public var rman: RMANSettings
    public var storage: StorageSettings
    public var autorestore: AutorestoreSettings

    /// The database's backup area: `backupdest/<db>` when `backupdestshared` is true, else `backupdest`.
    public var backupDestination: String? {
        guard let root = generic.backupRoot else { return nil }
        return generic.backupDestinationShared ? root.appendingPathComponent(name) : root
    }

    /// `<backupdest>/archivelog`.
    public var archivelogDirectory: String? { backupDestination?.appendingPathComponent("archivelog") }

    /// The key to hash for modulus validation scheduling.
    public var validationScheduleKey: String { stringForValidationModulus ?? name }
}

extension String {
    /// Joins a path component with exactly one slash.
    public func appendingPathComponent(_ component: String) -> String {
        if isEmpty { return component }
        return hasSuffix("/") ? self + component : self + "/" + component
    }
}
