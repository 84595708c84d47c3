import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The fault matrix: every case the suite runs, in report order. Documentation/reliability.md is generated from
/// this table and the results (`Scripts/reliability.sh`); a test fails when the document lists other cases.
enum FaultMatrix {
    static let cases: [FaultCase] =
        oracleFailures + oracleHangs + storageFaults + autorestoreFaults + signalCases + configurationFaults
        + environmentCases

    // MARK: Oracle tools failing during a backup

    /// A statement of a step fails (an ORA- error, the tool exits non-zero).
    struct Step {
        var name: String
        var action: String
        var statement: String
        var tool: String
        /// What the log says about the failed tool.
        var says: String
    }

    static let backupSteps: [Step] = [
        Step(
            name: "missing-archivelog query", action: "imagecopywithsnap",
            statement: "'BACKUP force as copy archivelog sequence '", tool: "sqlplus",
            says: "SQL*Plus exited with code"),
        Step(
            name: "log switch before the snapshot", action: "imagecopywithsnap",
            statement: "alter system archive log current", tool: "sqlplus", says: "SQL*Plus exited with code"),
        Step(
            name: "expired datafile copies query", action: "imagecopywithsnap",
            statement: "'DELETECOPY: delete noprompt datafilecopy '", tool: "sqlplus",
            says: "SQL*Plus exited with code"),
        Step(
            name: "incremental level 1 backup", action: "imagecopywithsnap",
            statement: "incremental level 1 for recover of copy", tool: "rman",
            says: "RMAN execution failed with code"),
        Step(
            name: "image copy refresh (recover copy)", action: "imagecopywithsnap",
            statement: "recover copy of database", tool: "rman", says: "RMAN execution failed with code"),
        Step(
            name: "archived log deletion", action: "imagecopywithsnap",
            statement: "delete noprompt force archivelog until time", tool: "rman",
            says: "RMAN execution failed with code"),
        Step(
            name: "spfile backup", action: "imagecopywithsnap", statement: "backup spfile tag", tool: "rman",
            says: "RMAN execution failed with code"),
        Step(
            name: "controlfile backup", action: "imagecopywithsnap", statement: "backup current controlfile",
            tool: "rman", says: "RMAN execution failed with code"),
        Step(
            name: "obsolete backup deletion", action: "imagecopywithsnap", statement: "delete noprompt obsolete",
            tool: "rman", says: "RMAN execution failed with code"),
        Step(
            name: "parameter query for autorestore.cfg", action: "imagecopywithsnap", statement: "'dbconfig-'",
            tool: "sqlplus", says: "SQL*Plus exited with code"),
        Step(
            name: "RMAN configuration", action: "config", statement: "CONFIGURE RETENTION POLICY", tool: "rman",
            says: "RMAN execution failed with code"),
        Step(
            name: "block change tracking and archive destinations", action: "config",
            statement: "v$block_change_tracking where status = 'DISABLED'", tool: "sqlplus",
            says: "SQL*Plus exited with code"),
        Step(
            name: "missing-archivelog check", action: "missingarchlog",
            statement: "'BACKUP force as copy archivelog sequence '", tool: "sqlplus",
            says: "SQL*Plus exited with code"),
        Step(
            name: "manual image copy refresh", action: "backupimagecopy",
            statement: "recover copy of database", tool: "rman", says: "RMAN execution failed with code"),
        Step(
            name: "backup validation", action: "validatebackup", statement: "RESTORE DATABASE VALIDATE HEADER",
            tool: "rman", says: "RMAN execution failed with code"),
        Step(
            name: "backup report", action: "report", statement: "REPORT NEED BACKUP", tool: "rman",
            says: "RMAN execution failed with code"),
    ]

    static let oracleFailures: [FaultCase] = backupSteps.enumerated().flatMap { index, step in
        [
            FaultCase(
                id: String(format: "ORA-%02d", 2 * index + 1), area: .oracle,
                fault: "\(step.tool) fails in the \(step.name) (`\(step.action)`) with ORA-00600",
                expectedStatus: 1, mentions: [step.says],
                scenario: .oracleFault(
                    action: [step.action], inject: ["fail", "--statement", step.statement, "--tool", step.tool])),
            FaultCase(
                id: String(format: "ORA-%02d", 2 * index + 2), area: .oracle,
                fault: "\(step.tool) fails in the \(step.name) (`\(step.action)`) with ORA-19502 (write error)",
                expectedStatus: 1, mentions: [step.says, "ORA-19502"],
                scenario: .oracleFault(
                    action: [step.action],
                    inject: [
                        "fail", "--statement", step.statement, "--tool", step.tool, "--error",
                        "ORA-19502: write error on file \"/backup/orcl/data_D-ORCL\", block number 128",
                    ])),
        ]
    }

    static let oracleHangs: [FaultCase] = backupSteps.enumerated().compactMap { index, step in
        guard step.action == "imagecopywithsnap" || step.action == "config" else { return nil }
        let key = step.tool == "rman" ? "timeoutrman" : "timeoutsqlplus"
        return FaultCase(
            id: String(format: "HANG-%02d", index + 1), area: .hang,
            fault: "\(step.tool) hangs in the \(step.name) (`\(step.action)`) past `\(key): 3`",
            expectedStatus: 1, mentions: ["did not finish within 3 seconds (\(key))"],
            scenario: .oracleFault(
                action: [step.action],
                inject: ["hang", "--statement", step.statement, "--tool", step.tool, "--seconds", "120"],
                extraConfig: "\(key): 3"))
    }

    // MARK: Storage

    static func rule(_ fields: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Retention that wants to drop every snapshot but the newest (set after the baseline backups).
    static let aggressiveRetention = ConfigurationEdit(
        target: "snapexpirationdays: 31\nsnapexpirationmonths: 6",
        replacement: "snapexpirationdays: 0\nsnapexpirationmonths: 0")

    static let storageFaults: [FaultCase] = {
        var cases: [FaultCase] = []
        func add(
            _ vendor: StorageVendor, _ fault: String, status: Int32, mentions: [String], tool: String = "backup",
            arguments: [String] = ["orcl", "imagecopywithsnap"], rules: [[String: Any]], extraConfig: String = "",
            afterBaseline: ConfigurationEdit? = nil
        ) {
            let prefix = vendor == .zfssa ? "ZFS" : "NTAP"
            let number = cases.filter { $0.id.hasPrefix(prefix) }.count + 1
            cases.append(
                FaultCase(
                    id: String(format: "%@-%02d", prefix, number), area: .storage,
                    fault: "\(vendor == .zfssa ? "ZFSSA" : "ONTAP"): \(fault)", expectedStatus: status,
                    mentions: mentions,
                    scenario: .storageFault(
                        vendor: vendor, tool: tool, arguments: arguments, rules: rules.map(rule),
                        extraConfig: extraConfig, afterBaseline: afterBaseline)))
        }
        for vendor in [StorageVendor.zfssa, .ontap] {
            let snapshots = "/snapshots"
            // The retention listing (ONTAP looks a new snapshot up by name first, with `?name=`).
            let listing = vendor == .zfssa ? "/snapshots" : "/snapshots?fields="
            add(
                vendor, "snapshot creation answered 500", status: 1, mentions: ["500"],
                rules: [["action": "status", "method": "POST", "pathContains": snapshots, "status": 500]])
            add(
                vendor, "snapshot creation answered 503 (appliance busy)", status: 1, mentions: ["503"],
                rules: [["action": "status", "method": "POST", "pathContains": snapshots, "status": 503]])
            add(
                vendor, "snapshot creation slower than `timeout: 3`", status: 1, mentions: ["createSnapshot"],
                rules: [["action": "delay", "method": "POST", "pathContains": snapshots, "seconds": 8]])
            add(
                vendor, "snapshot created but the reply was lost", status: 1, mentions: ["createSnapshot"],
                rules: [["action": "lostReply", "method": "POST", "pathContains": snapshots, "status": 502]])
            add(
                vendor, "snapshot listing for retention fails on every retry", status: 1,
                mentions: ["Snapshot listing failed, nothing is dropped"],
                rules: [["action": "status", "method": "GET", "pathContains": listing, "status": 500, "times": 10]],
                afterBaseline: aggressiveRetention)
            add(
                vendor, "a transient 503 on the listing is retried", status: 0, mentions: ["Clean expired snapshots"],
                rules: [["action": "status", "method": "GET", "pathContains": snapshots, "status": 503, "times": 1]])
            add(
                vendor, "every snapshot deletion answered 500", status: 1,
                mentions: ["Snapshot retention did not complete"],
                rules: [
                    ["action": "status", "method": "DELETE", "pathContains": snapshots, "status": 500, "times": 10]
                ],
                afterBaseline: aggressiveRetention)
            add(
                vendor, "`snapper list` while the appliance answers 500", status: 1, mentions: ["500"],
                tool: "snapper", arguments: ["orcl", "list"],
                rules: [["action": "status", "method": "GET", "status": 500, "times": 10]])
            add(
                vendor, "`snapper clean` while the listing fails", status: 1,
                mentions: ["nothing is dropped"], tool: "snapper", arguments: ["orcl", "clean"],
                rules: [["action": "status", "method": "GET", "pathContains": listing, "status": 500, "times": 10]],
                afterBaseline: aggressiveRetention)
            add(
                vendor, "`snapper autoclone` while clone creation fails", status: 1, mentions: ["500"],
                tool: "snapper", arguments: ["orcl", "autoclone"],
                rules: [
                    vendor == .zfssa
                        ? ["action": "status", "method": "PUT", "pathContains": "/clone", "status": 500, "times": 10]
                        : [
                            "action": "status", "method": "POST", "pathContains": "/volumes", "status": 500,
                            "times": 10,
                        ]
                ])
            add(
                vendor, "`snapper checkage` while the appliance answers 500", status: 3, mentions: ["UNKNOWN"],
                tool: "snapper", arguments: ["orcl", "checkage"],
                rules: [["action": "status", "method": "GET", "status": 500, "times": 10]])
        }
        add(
            .zfssa, "the session expires in the middle of the run (`authentication: session`)", status: 0,
            mentions: ["Clean expired snapshots"], rules: [["action": "expireSession", "times": 1]],
            extraConfig: "authentication: session")
        add(
            .ontap, "the snapshot job fails on the appliance", status: 1, mentions: ["Simulated job failure"],
            rules: [
                [
                    "action": "failJob", "method": "POST", "pathContains": "/snapshots",
                    "message": "Simulated job failure", "code": "1638555",
                ]
            ])
        add(
            .ontap, "the snapshot job runs longer than `jobtimeout: 4`", status: 1, mentions: ["jobtimeout"],
            rules: [["action": "slowJob", "method": "POST", "pathContains": "/snapshots", "seconds": 12]])
        add(
            .ontap, "the second page of the snapshot listing fails", status: 1,
            mentions: ["Snapshot listing failed, nothing is dropped"],
            rules: [
                ["action": "status", "method": "GET", "pathContains": "start.", "status": 500, "times": 10]
            ], afterBaseline: aggressiveRetention)
        for vendor in [StorageVendor.zfssa, .ontap] {
            let listing = vendor == .zfssa ? "/snapshots" : "/snapshots?fields="
            add(
                vendor, "the snapshot listing for retention answers malformed JSON", status: 1,
                mentions: ["Snapshot listing failed, nothing is dropped"],
                rules: [["action": "malformedBody", "method": "GET", "pathContains": listing, "times": 10]],
                afterBaseline: aggressiveRetention)
            add(
                vendor, "`snapper list` gets malformed JSON", status: 1, mentions: ["unexpected response"],
                tool: "snapper", arguments: ["orcl", "list"],
                rules: [["action": "malformedBody", "method": "GET", "times": 10]])
        }
        return cases
    }()

    // MARK: Autorestore

    static let autorestoreFaults: [FaultCase] = {
        var cases: [FaultCase] = []
        func add(
            _ fault: String, reason: String, inject: [String] = [], prepare: AutorestorePreparation = .none,
            extra: String = ""
        ) {
            cases.append(
                FaultCase(
                    id: String(format: "AR-%02d", cases.count + 1), area: .autorestore, fault: fault,
                    expectedStatus: 1, mentions: ["Restore failed (\(reason))", "Exitstatus is 1"],
                    scenario: .autorestoreFault(inject: inject, prepare: prepare, extraAutorestore: extra)))
        }
        let steps: [(String, String, String, String)] = [
            ("the instance does not start (startup nomount)", "startup nomount", "sqlplus", "startup-failed"),
            ("the controlfile restore fails", "restore controlfile from", "rman", "controlfile-restore-failed"),
            ("mounting the restored controlfile fails", "alter database mount", "rman", "controlfile-restore-failed"),
            (
                "uncataloguing production backups fails", "change archivelog all uncatalog", "rman",
                "catalog-files-failed"
            ),
            (
                "disabling block change tracking fails", "disable block change tracking", "sqlplus",
                "controlfile-restore-failed"
            ),
            ("switching to the image copies fails", "switch database to copy", "rman", "recovery-failed"),
            ("recovery fails", "recover database", "rman", "recovery-failed"),
            ("opening read only fails", "alter database open read only", "sqlplus", "open-failed"),
            ("the verification query fails", "CURRENT DATABASE SCN", "sqlplus", "open-failed"),
        ]
        for (fault, statement, tool, reason) in steps {
            add(fault + " (ORA-00600)", reason: reason, inject: ["fail", "--statement", statement, "--tool", tool])
        }
        for (fault, statement, tool, reason) in steps where tool == "rman" {
            add(
                fault + " after hanging past `timeoutrman: 3`", reason: reason,
                inject: ["hang", "--statement", statement, "--tool", tool, "--seconds", "120"],
                extra: "timeoutrman: 3")
        }
        add(
            "an archived log is missing from the snapshot", reason: "missing-archivelog",
            prepare: .deleteNewestArchivedLog)
        add(
            "a corrupt block in the SYSTEM image copy (validation on)", reason: "corrupt-blocks",
            prepare: .corruptSystemBlock, extra: "autorestorevalidatechance: 1")
        add("the newest snapshot has no autorestore.cfg", reason: "missing-autorestore-cfg", prepare: .removeContract)
        add(
            "RMAN block validation fails (ORA-00600)", reason: "validation-failed",
            inject: ["fail", "--statement", "backup validate check logical database", "--tool", "rman"],
            extra: "autorestorevalidatechance: 1")
        add(
            "a datafile's image copy is missing from the snapshot", reason: "missing-datafile-copy",
            prepare: .deleteDatafileCopy)
        return cases
    }()

    // MARK: Signals

    static let signalCases: [FaultCase] = {
        var cases: [FaultCase] = []
        func add(
            _ signal: Int32, during step: String, statement: String, tool: String, autorestore: Bool = false
        ) {
            let name = signal == SIGKILL ? "SIGKILL" : signal == SIGTERM ? "SIGTERM" : "SIGINT"
            let program = autorestore ? "autorestore" : "backup"
            cases.append(
                FaultCase(
                    id: String(format: "SIG-%02d", cases.count + 1), area: .signals,
                    fault: "\(name) to `\(program)` while \(tool) runs the \(step)",
                    expectedStatus: 128 + signal, mentions: signal == SIGKILL ? [] : [name],
                    scenario: .signal(signal: signal, statement: statement, toolName: tool, autorestore: autorestore),
                    nextMentions: signal == SIGKILL && !autorestore ? ["taking it over"] : []))
        }
        for signal in [SIGKILL, SIGTERM] {
            add(signal, during: "image copy refresh", statement: "recover copy of database", tool: "rman")
            add(signal, during: "log switch", statement: "alter system archive log current", tool: "sqlplus")
            add(signal, during: "parameter query", statement: "'dbconfig-'", tool: "sqlplus")
            add(signal, during: "recovery", statement: "recover database", tool: "rman", autorestore: true)
            add(
                signal, during: "open read only", statement: "alter database open read only", tool: "sqlplus",
                autorestore: true)
        }
        add(SIGINT, during: "image copy refresh", statement: "recover copy of database", tool: "rman")
        add(SIGINT, during: "recovery", statement: "recover database", tool: "rman", autorestore: true)
        return cases
    }()

    // MARK: Configuration and credentials

    /// The configuration switched to a ZFSSA appliance at `url` (nothing listens there), with `credentials` as
    /// the credentials file.
    static func zfssa(url: String, credentials: String) -> ConfigurationEdit {
        ConfigurationEdit(
            target: "snappermodule: localfs\nrequiremount: FALSE",
            replacement: """
                snappermodule: zfssa
                requiremount: FALSE
                [zfssa]
                url: \(url)
                pool: pool1
                project: demo-backup
                """, credentials: credentials)
    }

    static let configurationFaults: [FaultCase] = {
        var cases: [FaultCase] = []
        func add(
            _ fault: String, mentions: [String], neverSays: [String] = [],
            arguments: [String] = ["orcl", "imagecopywithsnap"], _ edit: ConfigurationEdit
        ) {
            cases.append(
                FaultCase(
                    id: String(format: "CFG-%02d", cases.count + 1), area: .configuration, fault: fault,
                    expectedStatus: 2, mentions: mentions,
                    scenario: .configurationFault(tool: "backup", arguments: arguments, edit: edit),
                    neverSays: neverSays))
        }
        add(
            "a flag that is not TRUE/FALSE (`dosnapshot: yes`)", mentions: ["dosnapshot"],
            ConfigurationEdit(target: "[orcl]\n", replacement: "[orcl]\ndosnapshot: yes\n"))
        add(
            "a number that is not a number (`parallel: two`)", mentions: ["parallel"],
            ConfigurationEdit(target: "parallel: 2", replacement: "parallel: two"))
        add(
            "a repeated section", mentions: ["orcl"],
            ConfigurationEdit(target: "", replacement: "[orcl]\ndbid: 1\n"))
        add(
            "a line outside any section", mentions: ["backup.cfg:1"],
            ConfigurationEdit(target: "[generic]\n", replacement: "stray line without a section\n[generic]\n"))
        add(
            "an unknown storage driver (`snappermodule: nosuchdriver`)", mentions: ["nosuchdriver"],
            ConfigurationEdit(target: "snappermodule: localfs", replacement: "snappermodule: nosuchdriver"))
        add(
            "`backupdest` missing", mentions: ["backupdest"],
            ConfigurationEdit(target: "backupdest: ", replacement: "oldbackupdest: "))
        add(
            "a database that is not configured", mentions: ["nosuchdb"], arguments: ["nosuchdb", "imagecopywithsnap"],
            ConfigurationEdit(target: "", replacement: ""))
        add(
            "an unknown action", mentions: ["imagecopywithsnapp"], arguments: ["orcl", "imagecopywithsnapp"],
            ConfigurationEdit(target: "", replacement: ""))
        add(
            "a retention value that is not a number (`snapexpirationdays: many`)", mentions: ["snapexpirationdays"],
            ConfigurationEdit(target: "snapexpirationdays: 31", replacement: "snapexpirationdays: many"))
        add(
            "a negative timeout (`timeoutrman: -5`)", mentions: ["timeoutrman"],
            ConfigurationEdit(target: "[generic]\n", replacement: "[generic]\ntimeoutrman: -5\n"))
        add(
            "binary garbage in the configuration file", mentions: ["backup.cfg"],
            ConfigurationEdit(target: "[rman]", replacement: "[rman\u{1}\u{2}\u{FFFD}"))
        add(
            "the ZFSSA credentials file has no password", mentions: ["zfscredentials.cfg"],
            zfssa(url: "https://127.0.0.1:9", credentials: "[zfscredentials]\nzfsuser: admin\n"))
        add(
            "the ZFSSA credentials file is not INI", mentions: ["zfscredentials.cfg"],
            zfssa(url: "https://127.0.0.1:9", credentials: "zfsuser = admin\n\u{0}\u{0}garbage\n"))
        add(
            "a database section that is a path (`[../../escaped]`)", mentions: ["[../../escaped]"],
            ConfigurationEdit(target: "", replacement: "[../../escaped]\ndbid: 1\n"))
        add(
            "a database argument that is a path (`../escaped`)", mentions: ["../escaped"],
            arguments: ["../escaped", "imagecopywithsnap"], ConfigurationEdit(target: "", replacement: ""))
        let secret = "Sup3r-Secret-Pw"
        add(
            "a plain `http://` appliance URL with credentials (no `allowplainhttp`)",
            mentions: ["allowplainhttp"], neverSays: [secret],
            zfssa(url: "http://127.0.0.1:9", credentials: "[zfscredentials]\nzfsuser: admin\nzfspassword: \(secret)\n"))
        add(
            "a credentials file whose password line is broken", mentions: ["zfscredentials.cfg:3"],
            neverSays: [secret],
            zfssa(
                url: "https://127.0.0.1:9", credentials: "[zfscredentials]\nzfsuser: admin\n\(secret) without a key\n"))
        return cases
    }()

    // MARK: Host conditions

    static let environmentCases: [FaultCase] = {
        var cases: [FaultCase] = []
        func add(_ fault: String, status: Int32, mentions: [String], _ recipe: EnvironmentRecipe) {
            cases.append(
                FaultCase(
                    id: String(format: "ENV-%02d", cases.count + 1), area: .environment, fault: fault,
                    expectedStatus: status, mentions: mentions, scenario: .environment(recipe)))
        }
        if getuid() == 0 {
            add("the log file system is full", status: 1, mentions: ["No space left on device"], .fullLogDisk)
        }
        add("the configuration file does not exist", status: 2, mentions: ["backup.cfg"], .configFileUnreadable)
        add("the configuration file is a directory", status: 2, mentions: ["backup.cfg"], .configFileIsDirectory)
        add("ORACLE_HOME does not exist", status: 1, mentions: ["oraclehome"], .oracleHomeMissing)
        add(
            "a lock left by a dead process of this host", status: 0, mentions: ["WARNING"],
            .staleLockOfDeadProcess)
        add(
            "the lock is held by a live process (`maxlockwait: 0`)", status: 2,
            mentions: ["Did not manage to get the lock"], .lockHeldByLiveProcess)
        add(
            "the lock is held by another host (RAC node)", status: 2, mentions: ["rac-node-2.example"],
            .foreignLockOfOtherHost)
        add(
            "the results catalog's directory is missing", status: 1,
            mentions: ["recording the result failed", "no-such-directory"],
            .missingCatalogDirectory)
        if getuid() == 0 {
            add("autorestore started as root", status: 1, mentions: ["No, I will not run as root."], .autorestoreAsRoot)
        }
        add(
            "autorestore without AUTORESTORE_SAFE_SANDBOX", status: 3, mentions: ["AUTORESTORE_SAFE_SANDBOX"],
            .autorestoreWithoutSandbox)
        add(
            "production datafiles visible from the restore host", status: 1,
            mentions: ["production-storage-visible"], .productionVisible)
        add(
            "a snapshot dated two days in the future (storage clock ahead)", status: 1,
            mentions: ["dated in the future", "nothing is dropped"], .futureDatedSnapshot)
        add(
            "the results catalog cannot be read when retention runs", status: 1,
            mentions: ["cannot be read"], .unreadableCatalog)
        add(
            "the backup area is missing (`requiremount: FALSE`)", status: 2, mentions: ["backupdest"],
            .missingBackupAreaWithRequireMount)
        add(
            "`autorestoredestination` is a shared directory (world-writable, sticky)", status: 1,
            mentions: ["Restore failed (unsafe-destination)", "autorestoredestination"],
            .sharedAutorestoreDestination)
        if getuid() == 0 {
            // localfs clones are used in place, not mounted: the restore passes and the foreign mount is left as it
            // was (checked by the recipe). Drivers that mount refuse it: SafetyGuardTests (ZFSSA).
            add(
                "a file system that is not the clone's is mounted on `autorestoremountpoint` (localfs)", status: 0,
                mentions: ["Restore successful"], .foreignMountAtMountPoint)
        }
        return cases
    }()
}
