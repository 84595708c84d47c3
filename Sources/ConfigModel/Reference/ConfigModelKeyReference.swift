extension ConfigKeyReference {
    /// The keys ConfigModel reads (``BackupConfiguration/database(_:for:)``): `[generic]`, `[rman]`,
    /// `[autorestore]` and the database sections, in the order the reference shows them. The retention keys belong
    /// to StorageRetention, each storage section's keys to its driver.
    public static let configModel: [ConfigKeyReference] = generic + rman + autorestore + database

    /// `[generic]`.
    static let generic: [ConfigKeyReference] = {
        func key(
            _ key: String, _ defaultValue: String? = nil, requiredFor: String? = nil, _ meaning: String,
            readBy: String = "all tools", isNew: Bool = false
        ) -> ConfigKeyReference {
            ConfigKeyReference(
                key, section: "generic", defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: readBy, isNew: isNew)
        }
        return [
            key(
                "logretention", requiredFor: "backup",
                "Days to keep `*.log` files in the run-log directory; also the ADR purge age.", readBy: "backup"),
            key(
                "backupdest", requiredFor: "backup",
                "Root of the backup mounts; the database area is `<backupdest>/<db>`."),
            key(
                "backupdestshared", "TRUE",
                "`FALSE`: `backupdest` is the database's own area (then give each database `genericbackupdest`)."),
            key(
                "warningsnapage", requiredFor: "`snapper checkage`",
                "Hours: `checkage` warns when the newest snapshot is older; must not exceed `criticalsnapage`.",
                readBy: "snapper"),
            key(
                "criticalsnapage", requiredFor: "`snapper checkage`",
                "Hours: `checkage` is critical when the newest snapshot is older.", readBy: "snapper"),
            key(
                "tnsadmin", requiredFor: "backup",
                "Directory with `tnsnames.ora`/`sqlnet.ora`; relative to the configuration file. Exported as `TNS_ADMIN`.",
                readBy: "backup, autorestore, restore"),
            key(
                "osuser", requiredFor: "`setschedule`", "OS user of the scheduler credential.", readBy: "backup"),
            key(
                "oraclehome", "`$ORACLE_HOME`", requiredFor: "backup",
                "Oracle home (`genericoraclehome` per database).", readBy: "backup, autorestore, restore"),
            key("maxlockwait", requiredFor: "backup", "Minutes to wait for `backup.lck`.", readBy: "backup, snapper"),
            key(
                "snappermodule", requiredFor: "snapshots",
                "Storage driver, one of the module names in [Storage sections](#storage-sections) (`zfssa`, `netapp`, `ontap`, `softnas`, `huawei`, `btrfs`, `localfs`, `openzfs`)."
            ),
            key(
                "snapperclass",
                nil,
                "The original's class name of the module (`ZFSSA`, `Netapp`, …); may be left out, and when given it must match `snappermodule`."
            ),
            key(
                "requiremount", "TRUE",
                "The backup area must be on mounted storage — any file system other than the one mounted at `/` (an NFS, btrfs or ZFS mount at the area or anywhere above it, as the original's documentation sets it up) — or hold the marker file `.oib-backup-area`, so a backup never lands on the local root disk when the NFS is not mounted. Only an unmarked area on the root file system is refused (exit 1, the message names `requiremount`). A missing backup area (`<backupdest>/<db>`) is refused by every `backup` action except `config`, which sets a database up and creates it (exit 2, naming `backupdest` and the path): a run must not create an empty area and then apply `delete obsolete` and snapshot retention to it. `--dry-run` writes nothing and is not refused.",
                readBy: "backup", isNew: true),
            key(
                "templatedir", "built-in", "A directory whose template files override the built-in ones.",
                readBy: "backup, autorestore, restore", isNew: true),
            key(
                "restoredestination", "`+DATA`",
                "Where the `generaterestore` recipe puts the restored database: the copies of the datafiles, the controlfile and the online logs (an ASM disk group, or a directory the recipe creates). A database section overrides it with `genericrestoredestination`. See [restore-runbook.md](restore-runbook.md).",
                readBy: "backup", isNew: true),
            key(
                "timeout<step>", "see meaning",
                "Seconds (1–604800) before a step's process group is killed: `timeoutrman` (86400), `timeoutsqlplus` (3600), `timeoutsqlldr` (900), `timeoutadrci` (900), `timeoutopatch` (600), `timeoutsrvctl` (300), `timeoutmount` / `timeoutumount` (300), `timeoutdefault` (3600, every other step).",
                readBy: "backup, autorestore, restore", isNew: true),
        ]
    }()

    /// `[rman]`.
    static let rman: [ConfigKeyReference] = [
        ConfigKeyReference(
            "catalog", section: "rman", requiredFor: "backup with `registercatalog: TRUE`",
            meaning: "RMAN catalog connect string, e.g. `/@rman`; a password in it is masked by `showconfig`.",
            readBy: "backup", isSecret: true),
        ConfigKeyReference(
            "sectionsize", section: "rman", defaultValue: "empty",
            meaning:
                "Multisection incrementals: `backup section size <value> incremental level 1 …`. Empty for none.",
            readBy: "backup"),
    ]

    /// `[autorestore]`: every key may also be given per database with the prefix `autorestore`.
    static let autorestore: [ConfigKeyReference] = {
        func key(
            _ key: String, _ defaultValue: String? = nil, requiredFor: String? = "autorestore", _ meaning: String,
            readBy: String = "autorestore", isSecret: Bool = false, isNew: Bool = false
        ) -> ConfigKeyReference {
            ConfigKeyReference(
                key, section: "autorestore", defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: readBy, isSecret: isSecret, isNew: isNew)
        }
        return [
            key(
                "autorestoredestination",
                nil,
                "Work directory (init.ora, restored controlfile, BCT file). Must be a directory of its own: a system directory (`/`, `/etc`, `/usr`, `/var`, `/opt`, …, anything under `/usr`, `/etc`, `/proc`, `/sys`, `/dev`, `/boot`), a temporary directory (`/tmp`, `/var/tmp`, `/dev/shm`), a home directory (any user's in `/etc/passwd`, `/home`, `/root`, or a directory holding one) and a world-writable or sticky directory are refused (`unsafe-destination`, naming the key and the reason). A non-empty directory needs the marker `.oib-autorestore-workdir`. Everything the tool creates there is recorded in `.oib-autorestore-manifest` beside the marker before it is created, and the start of each restore removes only those entries; other files are kept, and a file the tool would create that exists but is not in the manifest is never overwritten (the restore stops naming it)."
            ),
            key("autorestoreclonename", nil, "Clone name on the storage."),
            key(
                "autorestoremountpoint",
                nil,
                "Where the clone is mounted (NFS drivers, or local drivers with a `mountcommand`). Never a system, temporary or home directory. A mount found there before the restore is unmounted only when it is this database's clone: its source in `/proc/self/mountinfo` is the clone's `${mountstring}` (for a local clone, the same directory). Anything else mounted there is refused (`unsafe-destination`, naming the key, the mount point and the foreign source) and left mounted. The source is compared with the driver's `<mounthost>:<export>` (host without case, trailing slashes ignored), so an fstab entry for the default `mount <mountpoint>` must use the same host name."
            ),
            key("autorestoresnapage", nil, "Hours: restore the newest snapshot at least this old."),
            key(
                "autorestorelogdir", nil, "Autorestore logs, lock and the temporary instance's `diagnostic_dest`.",
                readBy: "autorestore, backup (retention)"),
            key(
                "autorestoremaxtoleranceminutes",
                nil, "Minutes allowed between the expected and the verified database time."),
            key(
                "autorestorecatalog", requiredFor: "autorestore with `autorestorecatalogtype: oracle`",
                "Connect string of the Oracle results schema (with `autorestorecatalogtype: oracle`), e.g. a wallet's `/@autorestore`. See [The Oracle results catalog](#the-oracle-results-catalog).",
                readBy: "autorestore, backup (retention), report", isSecret: true),
            key(
                "autorestorevalidatechance", "0", requiredFor: nil,
                "1/N chance of block validation; 0 off; used when the modulus is 0."),
            key(
                "autorestoremodulus", "0", requiredFor: nil,
                "Validate every N days on a day derived from the database name's hash."),
            key(
                "pga_size", "1G", requiredFor: nil,
                "PGA of the temporary instance (`autorestorepga_size` per database)."),
            key(
                "sga_size", "2G", requiredFor: nil,
                "SGA of the temporary instance (`autorestoresga_size` per database)."),
            key(
                "autorestorecatalogtype", "`sqlite` (`oracle` when `autorestorecatalog` is set)", requiredFor: nil,
                "Where results go: `sqlite`, `postgres` or `oracle`.",
                readBy: "autorestore, backup (retention), report",
                isNew: true),
            key(
                "catalogfile", requiredFor: nil,
                "The SQLite results file (with `autorestorecatalogtype: sqlite`). Also read by snapshot retention (`snapkeepverified`).",
                readBy: "autorestore, backup (retention), report", isNew: true),
            key(
                "catalogurl", requiredFor: nil,
                "The PostgreSQL URL of the results catalog (with `autorestorecatalogtype: postgres`); a password in it is masked wherever it is shown.",
                readBy: "autorestore, backup (retention), report", isSecret: true, isNew: true),
            key(
                "mountcommand",
                "`mount <mp>` for NFS drivers, found through `PATH` (as the original); none for local drivers",
                requiredFor: nil,
                "Command that mounts the clone (split on spaces, no shell; a program without `/` is looked up in `PATH`). Placeholders: `${mountpoint}` (the mount point) and `${mountstring}` (the clone's NFS source from the driver, e.g. `zfssa01:/export/demo-backup/autorestore`), so `mount -t nfs ${mountstring} ${mountpoint}` needs no fstab entry. See [autorestore.md](autorestore.md#mounting-the-clone).",
                isNew: true),
            key(
                "umountcommand", "`umount <mp>` for NFS drivers; none for local drivers", requiredFor: nil,
                "Command that unmounts the clone, with the placeholders of `mountcommand`.", isNew: true),
            key(
                "timeahead", "fail", requiredFor: nil,
                "`fail` or `warn` when the verified time is *later* than expected by more than the tolerance.",
                isNew: true),
            key(
                "nologging", "warn", requiredFor: nil,
                "`warn` or `fail` when NOLOGGING blocks changed after the last merge.", isNew: true),
            key(
                "tdekeystore", requiredFor: nil,
                "The directory holding the database's TDE software keystore (`ewallet.p12`), for a database with encrypted tablespaces (per database `autorestoretdekeystore`). Copied into the work directory and opened for the temporary instance after mount; see [autorestore.md](autorestore.md#encrypted-databases-tde). Set together with `tdekeystorepasswordfile` (`checkconfig` names the one missing); an empty value is a configuration error.",
                isNew: true),
            key(
                "tdekeystorepasswordfile", requiredFor: nil,
                "A file whose first line is the keystore password (per database `autorestoretdekeystorepasswordfile`); keep it `chmod 600` (a WARNING otherwise). The password is never logged, stored in the catalog or shown in a message; `showconfig` shows the file's path only. A missing, empty or unreadable file fails the restore with `tde-keystore-missing`, a wrong password with `tde-keystore-open-failed`.",
                isNew: true),
            key(
                "backuptimezone", "this host's zone", requiredFor: nil,
                "The database host's time zone (IANA name, e.g. `Europe/Tallinn`; per database `autorestorebackuptimezone`), used only for snapshots whose `autorestore.cfg` has no `lasttimeutcoffset` (taken by the original or an earlier version). When it differs from the restore host's zone at that time, autorestore logs a WARNING naming both. An unknown name is a configuration error naming the key.",
                isNew: true),
        ]
    }()

    /// The database sections `[<db_unique_name>]`.
    static let database: [ConfigKeyReference] = {
        func key(
            _ key: String, _ defaultValue: String? = nil, requiredFor: String? = nil, _ meaning: String,
            readBy: String = "all tools", isNew: Bool = false
        ) -> ConfigKeyReference {
            ConfigKeyReference(
                key, section: databaseSection, defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: readBy, isNew: isNew)
        }
        return [
            key(
                "dbid", requiredFor: "always",
                "The database's DBID (a positive whole number). Makes the section a database."),
            key(
                "recoverywindow", requiredFor: "backup",
                "Days of archivelogs kept in the live area; RMAN recovery window (1–36500).", readBy: "backup"),
            key("parallel", requiredFor: "backup", "RMAN disk parallelism (1–254).", readBy: "backup"),
            key(
                "snapexpirationdays", requiredFor: "retention (not with `snapretention: gfs`)",
                "Keep every snapshot for this many days.", readBy: "backup, snapper"),
            key(
                "snapexpirationmonths", "0",
                "Keep the last snapshot of each UTC month for `months × 31` days.", readBy: "backup, snapper"),
            key(
                "snaplockdays", "0",
                "Lock each new backup snapshot (`imagecopywithsnap`, `snapper <db> create`) on the storage for this many days (0: no lock; a whole number 0–36500). Only for drivers that can lock (`zfssa`, `ontap`/`netapp`, `openzfs`): `checkconfig` refuses it for the others, naming the key and the module. Until its expiry a locked snapshot is shown as `locked until … UTC` by `snapper list`, never planned by retention and refused by `dropsnap` (exit 1) with the expiry. See `Documentation/storage/zfssa.md` and `ontap.md` (Locked snapshots).",
                readBy: "backup, snapper", isNew: true),
            key(
                "registercatalog", "FALSE", "Register in, resync and connect to the RMAN catalog.", readBy: "backup"
            ),
            key(
                "hasdataguard", "FALSE", "Archivelog deletion policy `APPLIED ON ALL STANDBY`.", readBy: "backup"),
            key(
                "schedulebackup", "FREQ=DAILY", "DBMS_SCHEDULER calendar of the image-copy job (`setschedule`).",
                readBy: "backup"),
            key(
                "schedulearchlog", "FREQ=HOURLY;INTERVAL=6",
                "DBMS_SCHEDULER calendar of the archivelog job (`setschedule`).", readBy: "backup"),
            key("backupjobenabled", "TRUE", "Create the image-copy job enabled.", readBy: "backup"),
            key("dosnapshot", "TRUE", "`FALSE`: image copy without snapshots or retention."),
            key(
                "gimanaged", "TRUE", "Dump the Grid Infrastructure configuration into the backup log.", readBy: "backup"
            ),
            key(
                "primarytns", "`<db>`", "TNS alias of the primary, for backups taken on a physical standby.",
                readBy: "backup"),
            key(
                "customverifydate", "`select max(time_dp) from sys.smon_scn_time`",
                "SQL returning the restored database's \"time\" (trusted configuration: it is run as SYS).",
                readBy: "autorestore"),
            key(
                "markerquery", "none",
                "SQL returning one value, recorded by `imagecopywithsnap` just before the log switch and compared by `autorestore` after open (`marker-mismatch`); see `autorestore.md`. Trusted configuration, run as SYS.",
                readBy: "backup, autorestore", isNew: true),
            key("autorestoreenabled", "1", "`1` includes the database in autorestore.", readBy: "autorestore"),
            key(
                "autorestoreinstancenumber", "1", "`instance_number` of the temporary instance.",
                readBy: "autorestore"),
            key("autorestorethread", "1", "`thread` of the temporary instance.", readBy: "autorestore"),
            key(
                "stringforvalidationmod", "the database name", "String hashed to choose the validation day.",
                readBy: "autorestore"),
            key(
                "additionalvolumesuffixes", "none",
                "NetApp: extra volumes `<prefix><db><suffix>` (comma-separated suffixes) snapshotted and cloned together."
            ),
        ]
    }()
}
