import ConfigModel
import Foundation
import Logging

/// The off-site copy of one database, as `[replication]` describes it (a database overrides any key with
/// `replication<key>` in its own section, e.g. `replicationenabled: FALSE` or `replicationroot`).
///
/// ```ini
/// [replication]
/// driver: btrfs                 # the second storage's driver (btrfs or openzfs; the database's own kind)
/// root: /srv/offsite            # that driver's own keys, as in its section ([btrfs] root, [openzfs] dataset, …)
/// snapexpirationdays: 30        # the replica's retention: the retention keys of a database section
/// transfertimeout: 86400        # seconds allowed for sending one snapshot
/// ```
public struct ReplicationSettings: Sendable {
    /// The section name: `replication`.
    public static let sectionName = "replication"
    /// The keys this type reads (the driver's and the retention keys come on top).
    public static let keys = ["driver", "enabled", "transfertimeout", "warningsnapage", "criticalsnapage"]
    /// Keys of `[replication]` that one driver reads (by its descriptor name): set for a replica of another
    /// driver they do nothing, which `checkconfig` warns of.
    public static let driverOwnKeys: [String: String] = [
        "action": "zfssa", "package": "zfssa", "sourcename": "zfssa", "snapmirrortype": "ontap",
        "snapmirrorlabel": "ontap", "snapmirrorrelationship": "ontap",
    ]

    /// `driver`: the replica's storage module (a `snappermodule` name); default: the database's own module.
    public var module: String
    /// `transfertimeout`: the time allowed for sending one snapshot (default 24 hours).
    public var transferTimeout: Duration
    /// `warningsnapage`, `criticalsnapage` (hours) for `snapper <db> checkage --replica`; default: `[generic]`'s.
    public var warningAgeHours: Double?
    /// See ``warningAgeHours``.
    public var criticalAgeHours: Double?
    /// The section as the database sees it; the replica's driver reads its keys from it.
    public var section: ConfigSection

    /// The replication settings of `database` in `configuration`; `nil` when `[replication]` sets nothing for it or
    /// `enabled` is `FALSE`. `databaseModule` is the database's own `snappermodule` (the default `driver`),
    /// `ageHours` `[generic]`'s `warningsnapage` and `criticalsnapage` (the defaults of the replica's).
    /// - Throws: every problem at once, each naming the section and key.
    public static func read(
        database: String, in configuration: BackupConfiguration, databaseModule: String?,
        ageHours: (warning: Double?, critical: Double?) = (nil, nil)
    ) throws(ConfigError) -> ReplicationSettings? {
        let section = configuration.section(sectionName, database: database)
        guard !section.keys.isEmpty else { return nil }
        return try ReplicationSettings(section: section, databaseModule: databaseModule, ageHours: ageHours)
    }

    /// Reads `section`; `nil` when `enabled` is `FALSE`.
    public init?(
        section: ConfigSection, databaseModule: String?, ageHours: (warning: Double?, critical: Double?) = (nil, nil)
    ) throws(ConfigError) {
        let problems = ProblemCollector()
        let enabled = problems.read(true) { () throws(ConfigError) in try section.bool("enabled", default: true) }
        let module = problems.read(nil) { () throws(ConfigError) in try section.string("driver") }
        let timeout = problems.read(nil) { () throws(ConfigError) in try section.seconds("transfertimeout") }
        func hours(_ key: String) -> Double? {
            problems.read(nil) { () throws(ConfigError) -> Double? in
                guard let text = try section.string(key) else { return nil }
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0 else {
                    throw section.error(key, "'\(text)' is not a positive number of hours")
                }
                return value
            }
        }
        let warning = hours("warningsnapage") ?? ageHours.warning
        let critical = hours("criticalsnapage") ?? ageHours.critical
        if let warning, let critical, warning > critical {
            problems.add(
                section.problem("warningsnapage", "warningsnapage \(warning) exceeds criticalsnapage \(critical)"))
        }
        let chosen = (module ?? databaseModule)?.trimmingCharacters(in: .whitespaces).lowercased()
        if chosen == nil || chosen?.isEmpty == true {
            problems.add(section.problem("driver", "set driver in [\(section.name)] (the replica's storage driver)"))
        }
        try problems.check()
        guard enabled else { return nil }
        self.module = chosen ?? ""
        self.transferTimeout = timeout ?? .seconds(86_400)
        self.warningAgeHours = warning
        self.criticalAgeHours = critical
        self.section = section
    }
}

/// A database's replica: the settings, and the driver of its volume at the replica site.
public struct ConfiguredReplica: Sendable {
    /// The `[replication]` settings.
    public var settings: ReplicationSettings
    /// The replica site's driver, bound to the database's volume there.
    public var driver: any StorageDriver

    /// A replica: its settings and its driver.
    public init(settings: ReplicationSettings, driver: any StorageDriver) {
        self.settings = settings
        self.driver = driver
    }
}

extension StorageDriverRegistry {
    /// The replica of `source` (the database's driver) as `[replication]` describes it, or `nil` when the database
    /// has no replication configured. The replica's driver must be the source's kind and the source must be able
    /// to replicate (``SnapshotReplicating``).
    /// - Throws: `ConfigError` for the section (an unknown `driver`, one of another kind than the database's, a
    ///   driver that cannot replicate, its own keys), naming the section and key.
    public func replica(
        of source: any StorageDriver, database: String, in configuration: BackupConfiguration,
        databaseModule: String?, ageHours: (warning: Double?, critical: Double?) = (nil, nil), logger: Logger
    ) throws(ConfigError) -> ConfiguredReplica? {
        guard
            let settings = try ReplicationSettings.read(
                database: database, in: configuration, databaseModule: databaseModule, ageHours: ageHours)
        else { return nil }
        let section = settings.section
        guard let registration = registration(forModule: settings.module) else {
            throw section.error(
                "driver", "unknown storage driver '\(settings.module)' (known: \(names.joined(separator: ", ")))")
        }
        guard registration.descriptor.name == source.vendor else {
            throw section.error(
                "driver",
                "the replica's driver '\(registration.descriptor.name)' is not the database's ('\(source.vendor)'): snapshots are copied between storages of one kind"
            )
        }
        guard let replicating = source as? any SnapshotReplicating else {
            throw section.error(
                "driver",
                "storage driver '\(source.vendor)' cannot replicate snapshots (drivers that can: btrfs, openzfs, zfssa, ontap)"
            )
        }
        let typed = try registration.readConfiguration(from: section, database: StorageDatabase(name: database))
        for warning in typed.warnings { logger.warning("\(warning)") }
        var credential: StorageCredential?
        if let layout = registration.descriptor.credentials,
            let loaded = try configuration.loadReplicaCredentials(layout)
        {
            credential = StorageCredential(user: loaded.user, password: loaded.password)
        }
        do {
            let driver = try replicating.replicaDriver(configuration: typed, credential: credential, logger: logger)
            return ConfiguredReplica(settings: settings, driver: driver)
        } catch {
            throw section.error("driver", error.message)
        }
    }
}

extension ConfigKeyReference {
    /// The section of the off-site copy in the configuration reference.
    public static let replicationSection = ReplicationSettings.sectionName

    /// The keys of `[replication]` itself (per database `replication<key>`); the replica driver's own keys are those
    /// of its storage section, its retention keys those of a database section, read from `[replication]`.
    public static let replication: [ConfigKeyReference] = {
        func key(_ key: String, _ defaultValue: String?, _ meaning: String) -> ConfigKeyReference {
            ConfigKeyReference(
                key, section: replicationSection, defaultValue: defaultValue, meaning: meaning,
                readBy: "backup (imagecopywithsnap, checkconfig), snapper, autorestore --from-replica, report",
                isNew: true)
        }
        return [
            key("enabled", "TRUE", "`FALSE`: no off-site copy for this database (per database `replicationenabled`)."),
            key(
                "driver", "the database's `snappermodule`",
                "Storage driver of the replica; must be the database's kind and able to replicate (`btrfs`, `openzfs`, `zfssa`, `netapp`/`ontap`)."
            ),
            key("transfertimeout", "`86400`", "Seconds allowed for copying one snapshot; both ends are stopped then."),
            key(
                "warningsnapage", "`[generic]`'s",
                "Hours: `snapper <db> checkage --replica` warns when the replica's newest copy is older."),
            key(
                "criticalsnapage", "`[generic]`'s",
                "Hours: `checkage --replica` is critical when the replica's newest copy is older."),
            key(
                "action", nil,
                "Driver `zfssa` (required there): the id of the replication action on the database's appliance that replicates its project (or share), snapshots included; `url`, `pool` and `project` here are the replica appliance and its local project for clones."
            ),
            key(
                "package", "the only package of the project",
                "Driver `zfssa`: the id of the replication package at the replica appliance."),
            key(
                "sourcename", "any source",
                "Driver `zfssa`: the replication source (the database's appliance) whose package is the replica, when the replica receives from several."
            ),
            key(
                "snapmirrortype", "`mirror`",
                "Driver `ontap`: `mirror` (a policy such as `MirrorAllSnapshots`: ONTAP manages the destination's snapshots, so no replica retention keys) or `vault` (a vault policy: the replica's retention applies); checked against the relationship's policy."
            ),
            key(
                "snapmirrorlabel", "`oib_backup`",
                "Driver `ontap`: the `snapmirror_label` each snapshot gets at its creation (and before its transfer); a vault policy needs a rule for it."
            ),
            key(
                "snapmirrorrelationship", "the one ending in `<svm>:<volumeprefix><db>`",
                "Driver `ontap`: the SnapMirror relationship's UUID (on the destination cluster)."),
        ]
    }()
}
