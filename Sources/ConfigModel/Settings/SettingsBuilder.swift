extension BackupConfiguration {
    /// Typed settings of one database, checked for `purposes`.
    /// - Throws: ``ConfigError`` with *every* problem relevant to those purposes (and every malformed value).
    public func database(_ name: String, for purposes: ConfigPurpose) throws(ConfigError) -> DatabaseSettings {
        let (settings, problems) = databaseCollectingProblems(name, for: purposes)
        if let settings, problems.isEmpty { return settings }
        throw ConfigError(problems)
    }

    /// Builds the settings and returns them with every problem found (settings are `nil` when the section is
    /// missing or is not a database).
    public func databaseCollectingProblems(_ name: String, for purposes: ConfigPurpose)
        -> (DatabaseSettings?, [ConfigProblem])
    {
        let problems = ProblemCollector()
        problems.add(contentsOf: parseProblems)
        guard let section = document.section(name), name != INIDocument.defaultSectionName else {
            let known = databaseNames.isEmpty ? "none" : databaseNames.joined(separator: ", ")
            problems.add(
                ConfigProblem(
                    file: path, section: name,
                    message: "no section [\(name)] for this database (databases in this file: \(known))"))
            return (nil, problems.problems)
        }
        if section.entry("dbid") == nil {
            problems.add(
                ConfigProblem(
                    file: path, line: section.line, section: name, key: "dbid",
                    message: "section [\(name)] is not a database: it has no dbid"))
        }
        let reader = SettingsReader(lookup: lookup(defaultSection: name), problems: problems)
        let settings = buildDatabase(name, reader: reader, purposes: purposes)
        if let storageModules, settings.storage.module != nil {
            problems.add(
                contentsOf: storageModules.storageProblems(
                    for: settings, in: self, required: purposes.contains(.storage)))
        }
        return (settings, problems.problems)
    }

    /// Checks the whole file: structure, every database for every purpose its settings imply, shared sections.
    /// Returns all problems (empty when the file is valid).
    public func validateAll() -> [ConfigProblem] {
        var problems = parseProblems
        let databases = databaseNames
        if databases.isEmpty {
            problems.append(
                ConfigProblem(file: path, message: "no database sections (a database section is one with a dbid key)"))
        }
        for name in databases {
            var purposes: ConfigPurpose = [.backup]
            let reader = SettingsReader(lookup: lookup(defaultSection: name), problems: ProblemCollector())
            if reader.flag("dosnapshot", default: true) { purposes.formUnion([.storage, .retention]) }
            if reader.optionalString("osuser", section: "generic") != nil { purposes.insert(.scheduling) }
            if reader.optionalString("warningsnapage", section: "generic") != nil
                || reader.optionalString("criticalsnapage", section: "generic") != nil
            {
                purposes.insert(.snapshotAgeCheck)
            }
            if document.hasSection("autorestore"), reader.optionalString("autorestoreenabled")?.value == "1" {
                purposes.insert(.autorestore)
            }
            let (_, found) = databaseCollectingProblems(name, for: purposes)
            problems.append(contentsOf: found.filter { !parseProblems.contains($0) })
        }
        // Keep each problem once (shared-section problems repeat for every database).
        var seen: [ConfigProblem] = []
        for problem in problems where !seen.contains(problem) { seen.append(problem) }
        return seen
    }

    func buildDatabase(_ name: String, reader: SettingsReader, purposes: ConfigPurpose) -> DatabaseSettings {
        let required = { (purpose: ConfigPurpose) in purposes.contains(purpose) }
        func string(_ key: String, section: String? = nil, requiredFor purpose: ConfigPurpose) -> String? {
            required(purpose)
                ? reader.requiredString(key, section: section)?.value
                : reader.optionalString(key, section: section)?.value
        }
        func integer(
            _ key: String, section: String? = nil, requiredFor purpose: ConfigPurpose,
            range: ClosedRange<Int> = 0...Int.max
        ) -> Int? {
            if required(purpose) { return reader.integer(key, section: section, range: range) }
            guard reader.optionalString(key, section: section) != nil else { return nil }
            return reader.integer(key, section: section, range: range)
        }
        func hours(_ key: String, section: String? = nil, requiredFor purpose: ConfigPurpose) -> Double? {
            if required(purpose) { return reader.number(key, section: section) }
            guard reader.optionalString(key, section: section) != nil else { return nil }
            return reader.number(key, section: section)
        }

        // Database section.
        var dbid: Int64?
        if let value = reader.optionalString("dbid") {
            if let number = Int64(value.value.trimmingCharacters(in: .whitespaces)), number > 0 {
                dbid = number
            } else {
                reader.problems.add(reader.problem(value, "'\(value.value)' is not a DBID (a positive whole number)"))
            }
        }
        let registerCatalog = reader.flag("registercatalog", default: false)
        let usesGFSRetention =
            reader.optionalString("snapretention")?.value.trimmingCharacters(in: .whitespaces).lowercased() == "gfs"
        let doSnapshot = reader.flag("dosnapshot", default: true)

        // [generic]
        var timeouts: [String: Int] = [:]
        for key in (document.section(name)?.keys ?? []) + (document.section("generic")?.keys ?? [])
        where key.hasPrefix("timeout") || key.hasPrefix("generictimeout") {
            let step = key.hasPrefix("generictimeout") ? String(key.dropFirst("generic".count)) : key
            if let seconds = reader.integer(step, section: "generic", range: 1...604_800) {
                timeouts[String(step.dropFirst("timeout".count))] = seconds
            }
        }
        var generic = GenericSettings(
            logRetentionDays: integer("logretention", section: "generic", requiredFor: .backup),
            backupRoot: string("backupdest", section: "generic", requiredFor: .backup).map(resolvePath),
            backupDestinationShared: reader.flag("backupdestshared", section: "generic", default: true),
            warningSnapshotAgeHours: hours("warningsnapage", section: "generic", requiredFor: .snapshotAgeCheck),
            criticalSnapshotAgeHours: hours("criticalsnapage", section: "generic", requiredFor: .snapshotAgeCheck),
            tnsAdmin: string("tnsadmin", section: "generic", requiredFor: [.backup]).map(resolvePath),
            osUser: string("osuser", section: "generic", requiredFor: .scheduling),
            oracleHome: string("oraclehome", section: "generic", requiredFor: .backup).map(resolvePath),
            maxLockWaitMinutes: integer("maxlockwait", section: "generic", requiredFor: .backup),
            requireMount: reader.flag("requiremount", section: "generic", default: true),
            templateDirectory: reader.optionalString("templatedir", section: "generic").map { resolvePath($0.value) },
            timeouts: timeouts)
        generic.restoreDestination = reader.optionalString("restoredestination", section: "generic")?.value ?? "+DATA"
        if let checks = generic.warningSnapshotAgeHours.flatMap({ w in generic.criticalSnapshotAgeHours.map { (w, $0) }
        }),
            checks.0 > checks.1, let value = reader.optionalString("warningsnapage", section: "generic")
        {
            reader.problems.add(
                reader.problem(value, "warning age \(checks.0) h is above the critical age \(checks.1) h"))
        }

        // [rman]
        let rman = RMANSettings(
            catalog: registerCatalog && purposes.contains(.backup)
                ? reader.requiredString("catalog", section: "rman")?.value
                : reader.optionalString("catalog", section: "rman")?.value,
            sectionSize: reader.optionalString("sectionsize", section: "rman")?.value ?? "")

        let storage = buildStorage(reader: reader, required: required(.storage))
        let autorestore = buildAutorestore(reader: reader, required: required(.autorestore))

        let suffixes = (reader.optionalString("additionalvolumesuffixes")?.value ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }

        var settings = DatabaseSettings(
            name: name,
            dbid: dbid,
            recoveryWindowDays: integer("recoverywindow", requiredFor: .backup, range: 1...36_500),
            parallelism: integer("parallel", requiredFor: .backup, range: 1...254),
            // The GFS scheme does not need snapexpirationdays (RetentionPolicy checks the scheme's own keys).
            snapshotExpirationDays: usesGFSRetention && reader.optionalString("snapexpirationdays") == nil
                ? nil : integer("snapexpirationdays", requiredFor: .retention, range: 0...36_500),
            snapshotExpirationMonths: reader.integer("snapexpirationmonths", default: 0, range: 0...1200) ?? 0,
            registerCatalog: registerCatalog,
            hasDataGuard: reader.flag("hasdataguard", default: false),
            doSnapshot: doSnapshot,
            gridInfrastructureManaged: reader.flag("gimanaged", default: true),
            scheduleBackup: reader.optionalString("schedulebackup")?.value ?? "FREQ=DAILY",
            scheduleArchivelog: reader.optionalString("schedulearchlog")?.value ?? "FREQ=HOURLY;INTERVAL=6",
            backupJobEnabled: reader.flag("backupjobenabled", default: true),
            primaryTNS: reader.optionalString("primarytns")?.value.nonEmpty ?? name,
            customVerifyDate: reader.optionalString("customverifydate", section: name)?.value
                ?? "select max(time_dp) from sys.smon_scn_time",
            markerQuery: reader.optionalString("markerquery", section: name)?.value.nonEmpty,
            autorestoreEnabled: (reader.optionalString("autorestoreenabled", section: name)?.value ?? "1") == "1",
            autorestoreInstanceNumber: reader.integer(
                "autorestoreinstancenumber", section: name, default: 1,
                range: 1...1000) ?? 1,
            autorestoreThread: reader.integer("autorestorethread", section: name, default: 1, range: 1...1000) ?? 1,
            stringForValidationModulus: reader.optionalString("stringforvalidationmod", section: name)?.value,
            additionalVolumeSuffixes: suffixes,
            generic: generic,
            rman: rman,
            storage: storage,
            autorestore: autorestore)
        settings.snapshotLockDays = reader.integer("snaplockdays", default: 0, range: 0...36_500) ?? 0
        return settings
    }

    func buildStorage(reader: SettingsReader, required: Bool) -> StorageSettings {
        let module = reader.optionalString("snappermodule", section: "generic").flatMap { $0.value.isEmpty ? nil : $0 }
        if module == nil, required { reader.problems.add(reader.missingMessage("snappermodule", section: "generic")) }
        let moduleClass = reader.optionalString("snapperclass", section: "generic").flatMap {
            $0.value.isEmpty ? nil : $0
        }
        return StorageSettings(module: module, moduleClass: moduleClass)
    }

    func buildAutorestore(reader: SettingsReader, required: Bool) -> AutorestoreSettings {
        func string(_ key: String) -> String? {
            required
                ? reader.requiredString(key, section: "autorestore")?.value
                : reader.optionalString(key, section: "autorestore")?.value
        }
        func number(_ key: String) -> Double? {
            if required { return reader.number(key, section: "autorestore") }
            guard reader.optionalString(key, section: "autorestore") != nil else { return nil }
            return reader.number(key, section: "autorestore")
        }
        // The original knew only the Oracle catalog: `autorestorecatalog` without a type means that one, never a
        // silent SQLite file beside the logs.
        let impliedCatalogType =
            reader.optionalString("autorestorecatalog", section: "autorestore").map { _ in "oracle" } ?? "sqlite"
        let catalogType =
            (reader.optionalString("autorestorecatalogtype", section: "autorestore")?.value ?? impliedCatalogType)
            .lowercased()
        if !["sqlite", "postgres", "oracle"].contains(catalogType),
            let value = reader.optionalString("autorestorecatalogtype", section: "autorestore")
        {
            reader.problems.add(reader.problem(value, "'\(value.value)' is not one of sqlite, postgres, oracle"))
        }
        let backupTimeZone = reader.optionalString("backuptimezone", section: "autorestore")
        if let backupTimeZone, AutorestoreParameters.timeZone(named: backupTimeZone.value) == nil {
            reader.problems.add(
                reader.problem(
                    backupTimeZone, "'\(backupTimeZone.value)' is not a time zone name such as Europe/Tallinn or UTC"))
        }
        var settings = AutorestoreSettings(
            destination: string("autorestoredestination").map(resolvePath),
            cloneName: string("autorestoreclonename"),
            mountPoint: string("autorestoremountpoint").map(resolvePath),
            snapshotAgeHours: number("autorestoresnapage"),
            logDirectory: string("autorestorelogdir").map(resolvePath),
            maxToleranceMinutes: number("autorestoremaxtoleranceminutes"),
            catalogConnect: catalogType == "oracle" && required
                ? reader.requiredString("autorestorecatalog", section: "autorestore")?.value
                : reader.optionalString("autorestorecatalog", section: "autorestore")?.value,
            validateChance: reader.integer("autorestorevalidatechance", section: "autorestore", default: 0) ?? 0,
            validationModulus: reader.integer("autorestoremodulus", section: "autorestore", default: 0) ?? 0,
            pgaSize: reader.optionalString("pga_size", section: "autorestore")?.value ?? "1G",
            sgaSize: reader.optionalString("sga_size", section: "autorestore")?.value ?? "2G",
            mountCommand: reader.optionalString("mountcommand", section: "autorestore")?.value,
            unmountCommand: reader.optionalString("umountcommand", section: "autorestore")?.value,
            catalogType: catalogType,
            catalogTypeImplied: reader.optionalString("autorestorecatalogtype", section: "autorestore") == nil,
            catalogLocation: reader.optionalString("catalogfile", section: "autorestore").map { resolvePath($0.value) }
                ?? reader.optionalString("catalogurl", section: "autorestore")?.value)
        settings.backupTimeZone = backupTimeZone?.value
        settings.nologgingPolicy = reader.optionalString("nologging", section: "autorestore")?.value
        settings.timeAheadPolicy = reader.optionalString("timeahead", section: "autorestore")?.value
        // TDE: the keystore and its password file go together; a password is never a value in this file.
        let keystore = reader.optionalString("tdekeystore", section: "autorestore")
        let passwordFile = reader.optionalString("tdekeystorepasswordfile", section: "autorestore")
        for (value, other) in [(keystore, "tdekeystorepasswordfile"), (passwordFile, "tdekeystore")] {
            guard let value else { continue }
            if value.value.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.problems.add(reader.problem(value, "is empty: give the path or remove the key"))
            } else if (other == "tdekeystore" ? keystore : passwordFile) == nil {
                reader.problems.add(
                    reader.problem(
                        value, "is set without \(other): the TDE keystore and its password file are set together"))
            }
        }
        settings.tdeKeystore = keystore.flatMap { $0.value.nonEmpty }.map(resolvePath)
        settings.tdeKeystorePasswordFile = passwordFile.flatMap { $0.value.nonEmpty }.map(resolvePath)
        return settings
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
