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

    /// Every purpose (`--check-config`, tests).
    public static let everything: ConfigPurpose = [
        .backup, .storage, .retention, .scheduling, .snapshotAgeCheck, .autorestore,
    ]
}

/// `[generic]` settings as seen from one database (prefixed `generic…` overrides applied).
public struct GenericSettings: Sendable, Equatable {
    /// `logretention`: days to keep run logs.
    public var logRetentionDays: Int?
    /// The root of the backup mounts (`backupdest`), resolved.
    public var backupRoot: String?
    /// `backupdestshared`: each database has a subdirectory of `backupdest` (default true).
    public var backupDestinationShared: Bool
    /// `warningsnapage`: `checkage` warning threshold in hours.
    public var warningSnapshotAgeHours: Double?
    /// `criticalsnapage`: `checkage` critical threshold in hours.
    public var criticalSnapshotAgeHours: Double?
    /// `tnsadmin`, resolved against the configuration's directory.
    public var tnsAdmin: String?
    /// `osuser`: the operating-system user scheduled jobs run as.
    public var osUser: String?
    /// `oraclehome`, resolved.
    public var oracleHome: String?
    /// `maxlockwait`: minutes to wait for another run's lock.
    public var maxLockWaitMinutes: Int?
    /// New: the backup destination must be a mount point or carry our marker file. Default true.
    public var requireMount: Bool
    /// New: a directory whose template files override the built-in ones.
    public var templateDirectory: String?
    /// New: per-step timeouts in seconds, `timeout<step>` keys (e.g. `timeoutrman`), plus `timeoutdefault`.
    public var timeouts: [String: Int]
    /// New: `restoredestination`, where the `generaterestore` recipe puts the restored database (default `+DATA`).
    public var restoreDestination: String = "+DATA"
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
    /// `autorestoredestination`: where restore tests work, resolved.
    public var destination: String?
    /// `autorestoreclonename`: the name of the restore test's clone.
    public var cloneName: String?
    /// `autorestoremountpoint`: where the clone is mounted, resolved.
    public var mountPoint: String?
    /// `autorestoresnapage`: restore the newest snapshot at least this many hours old.
    public var snapshotAgeHours: Double?
    /// `autorestorelogdir`: where restore test logs go, resolved.
    public var logDirectory: String?
    /// `autorestoremaxtoleranceminutes`: the largest accepted gap between expected and verified time.
    public var maxToleranceMinutes: Double?
    /// `autorestorecatalog`: connect string of an Oracle results catalog.
    public var catalogConnect: String?
    /// `autorestorevalidatechance`: 1 in N restores also runs RMAN validation (0: never).
    public var validateChance: Int
    /// `autorestoremodulus`: validate each database once every N days, on a day chosen by a hash of its name (0: off).
    public var validationModulus: Int
    /// `pga_size` of the restore instance (default `1G`).
    public var pgaSize: String
    /// `sga_size` of the restore instance (default `2G`).
    public var sgaSize: String
    /// New: `mountcommand`/`umountcommand` templates (`${mountpoint}`), empty for drivers that need none.
    public var mountCommand: String?
    /// New: the `umountcommand` template, paired with ``mountCommand``.
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
    /// New: `tdekeystore`, the directory holding the database's TDE software keystore (`ewallet.p12`), resolved;
    /// copied into the work directory for the temporary instance. `nil`: no keystore is opened.
    public var tdeKeystore: String? = nil
    /// New: `tdekeystorepasswordfile`, a file whose first line is the keystore password (never logged), resolved.
    public var tdeKeystorePasswordFile: String? = nil
    /// New: `nologging`, what NOLOGGING blocks changed after the last merge make of a restore (`warn` or `fail`);
    /// `nil`: not set (the engine's default, `warn`).
    public var nologgingPolicy: String? = nil
    /// New: `timeahead`, what a verified time later than expected makes of a restore (`fail` or `warn`); `nil`: not
    /// set (the engine's default, `fail`).
    public var timeAheadPolicy: String? = nil
}

/// Every setting of one database section, typed, with the original's defaults (reference §3.4–3.5).
public struct DatabaseSettings: Sendable, Equatable {
    /// The section name: the `db_unique_name`, TNS alias and storage volume name.
    public var name: String
    /// `dbid`: the database's DBID (what makes a section a database).
    public var dbid: Int64?
    /// `recoverywindow`: the RMAN recovery window in days.
    public var recoveryWindowDays: Int?
    /// `parallel`: RMAN channels.
    public var parallelism: Int?
    /// `snapexpirationdays`: the reference retention window in days.
    public var snapshotExpirationDays: Int?
    /// Defaults to 0 (R-05: the original crashed when it was missing).
    public var snapshotExpirationMonths: Int
    /// `registercatalog`: register the database in the RMAN catalog.
    public var registerCatalog: Bool
    /// `hasdataguard`: the database has a Data Guard standby.
    public var hasDataGuard: Bool
    /// `dosnapshot`: take a storage snapshot after each image-copy refresh (default true).
    public var doSnapshot: Bool
    /// `gimanaged`: services are managed by Grid Infrastructure (default true).
    public var gridInfrastructureManaged: Bool
    /// `schedulebackup`: DBMS_SCHEDULER calendar of the backup job (default `FREQ=DAILY`).
    public var scheduleBackup: String
    /// `schedulearchlog`: calendar of the archivelog job (default every six hours).
    public var scheduleArchivelog: String
    /// `backupjobenabled`: the scheduled backup job is enabled (default true).
    public var backupJobEnabled: Bool
    /// `primarytns`: defaults to the database name.
    public var primaryTNS: String
    /// `customverifydate`: SQL giving the restored database's time (default: from `sys.smon_scn_time`).
    public var customVerifyDate: String
    /// New: `markerquery`, a query whose value `imagecopywithsnap` records just before the log switch and
    /// `autorestore` compares after opening the restored database; `nil` when not set.
    public var markerQuery: String?
    /// `autorestoreenabled` equals the string `1`.
    public var autorestoreEnabled: Bool
    /// `autorestoreinstancenumber`: the instance number of the restored database (default 1).
    public var autorestoreInstanceNumber: Int
    /// `autorestorethread`: the redo thread recovered (default 1).
    public var autorestoreThread: Int
    /// `stringforvalidationmod`: the text hashed for modulus validation instead of the name.
    public var stringForValidationModulus: String?
    /// `additionalvolumesuffixes`: NetApp extra volumes `<prefix><db><suffix>`, snapshotted and cloned together.
    public var additionalVolumeSuffixes: [String]
    /// New: `snaplockdays`, days each new backup snapshot is locked on the storage (0, the default: no lock); only
    /// for storage drivers that can lock (checked against the driver registry).
    public var snapshotLockDays: Int = 0

    /// `[generic]` settings as seen from this database.
    public var generic: GenericSettings
    /// `[rman]` settings.
    public var rman: RMANSettings
    /// The storage driver and its settings.
    public var storage: StorageSettings
    /// `[autorestore]` settings as seen from this database.
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
