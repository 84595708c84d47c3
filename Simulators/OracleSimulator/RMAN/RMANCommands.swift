import Foundation

/// The RMAN commands the simulator understands (those of our templates) and their dispatch.
enum RMANCommands {
    typealias Handler = @Sendable ([String], String, RMANSession) throws -> Void

    static let table: [(String, Handler)] = [
        (
            #"^set echo (on|off)$"#,
            { captures, _, session in
                session.echo = captures[0].lowercased() == "on"
                session.output.append("echo set \(captures[0].lowercased())")
            }
        ),
        (#"^connect\s+(target|catalog)\b.*$"#, { _, command, session in try session.connect(command) }),
        (
            #"^configure (.*)$"#,
            { captures, _, session in try RMANConfiguration.configure(captures[0], session: session) }
        ),
        (#"^show all$"#, { _, _, session in try RMANConfiguration.showAll(session: session) }),
        (
            #"^allocate channel (\w+) device type disk(?: format '(.*)')?$"#,
            { captures, _, session in
                session.blockChannels.append((captures[0], captures[1].isEmpty ? nil : captures[1]))
                session.repositoryNotice()
                session.output.append("allocated channel: \(captures[0])")
                session.output.append("channel \(captures[0]): SID=\(session.sessionId()) device type=DISK")
            }
        ),
        (
            #"^backup (section size \S+ )?incremental level 1 for recover of copy with tag '([^']+)' database$"#,
            { captures, command, session in
                try RMANBackup.incrementalForRecoverOfCopy(
                    tag: captures[1].uppercased(), command: command, session: session)
            }
        ),
        (
            #"^recover copy of database with tag '([^']+)'$"#,
            { captures, command, session in
                try RMANBackup.recoverCopies(tag: captures[0].uppercased(), command: command, session: session)
            }
        ),
        (
            #"^delete noprompt backupset tag '([^']+)'$"#,
            { captures, command, session in
                try RMANBackup.deleteBackupsets(tag: captures[0].uppercased(), command: command, session: session)
            }
        ),
        (
            #"^delete noprompt force archivelog until time 'sysdate-(\d+(?:\.\d+)?)'$"#,
            { captures, command, session in
                try RMANBackup.deleteArchivedLogs(
                    olderThanDays: Double(captures[0]) ?? 0, command: command, session: session)
            }
        ),
        (
            #"^backup spfile tag '([^']+)'$"#,
            { captures, command, session in
                try RMANBackup.backupSpfile(tag: captures[0].uppercased(), command: command, session: session)
            }
        ),
        (
            #"^backup current controlfile format '([^']+)'( reuse)? tag '([^']+)'$"#,
            { captures, command, session in
                try RMANBackup.backupControlfile(
                    path: captures[0], reuse: !captures[1].isEmpty, tag: captures[2].uppercased(), command: command,
                    session: session)
            }
        ),
        (
            #"^delete noprompt obsolete recovery window of (\d+) days$"#,
            { captures, command, session in
                try RMANBackup.deleteObsolete(days: Int(captures[0]) ?? 0, command: command, session: session)
            }
        ),
        (
            #"^delete noprompt datafilecopy '([^']+)'$"#,
            { captures, command, session in
                try RMANBackup.deleteDatafileCopy(path: captures[0], command: command, session: session)
            }
        ),
        (
            #"^crosscheck datafilecopy all$"#,
            { _, command, session in try RMANBackup.crosscheckDatafileCopies(command: command, session: session) }
        ),
        (
            #"^backup force as copy archivelog sequence (\d+) thread (\d+)$"#,
            { captures, command, session in
                try RMANBackup.copyArchivedLog(
                    sequence: Int(captures[0]) ?? 0, thread: Int(captures[1]) ?? 1, command: command, session: session)
            }
        ),
        (
            #"^register database$"#,
            { _, command, session in try RMANCatalogCommands.register(command: command, session: session) }
        ),
        (
            #"^resync catalog$"#,
            { _, command, session in try RMANCatalogCommands.resync(command: command, session: session) }
        ),
        (
            #"^report need backup recovery window of (\d+) days$"#,
            { captures, command, session in
                try RMANReports.needBackup(days: Int(captures[0]) ?? 0, command: command, session: session)
            }
        ),
        (
            #"^report unrecoverable$"#,
            { _, command, session in try RMANReports.unrecoverable(command: command, session: session) }
        ),
        (
            #"^restore database preview$"#,
            { _, command, session in try RMANReports.restorePreview(command: command, session: session) }
        ),
        (
            #"^restore database validate( header)?$"#,
            { captures, command, session in
                try RMANReports.validateCopies(headerOnly: !captures[0].isEmpty, command: command, session: session)
            }
        ),
        (
            #"^restore controlfile validate$"#,
            { _, command, session in try RMANReports.validateControlfile(command: command, session: session) }
        ),
        (
            #"^restore archivelog all validate$"#,
            { _, command, session in try RMANReports.validateArchivedLogs(command: command, session: session) }
        ),
        (
            #"^restore controlfile from '([^']+)'$"#,
            { captures, command, session in
                try RMANRestore.restoreControlfile(from: captures[0], command: command, session: session)
            }
        ),
        (
            #"^set dbid (\d+)$"#,
            { captures, command, session in
                try RMANManualRestore.setDbid(Int64(captures[0]) ?? 0, command: command, session: session)
            }
        ),
        (
            #"^startup nomount(?:\s+pfile\s*=\s*'[^']+')?$"#,
            { _, command, session in try RMANManualRestore.startupNomount(command, session: session) }
        ),
        (
            #"^backup as copy format '([^']+)' tag '([^']+)' copy of database from tag '([^']+)'$"#,
            { captures, command, session in
                try RMANManualRestore.copyOfDatabase(
                    format: captures[0], tag: captures[1].uppercased(), sourceTag: captures[2].uppercased(),
                    command: command, session: session)
            }
        ),
        (
            #"^alter database open resetlogs$"#,
            { _, command, session in try RMANManualRestore.openResetlogs(command: command, session: session) }
        ),
        (
            #"^alter database mount$"#,
            { _, command, session in try RMANRestore.mount(command: command, session: session) }
        ),
        (
            #"^change archivelog all uncatalog$"#,
            { _, command, session in try RMANRestore.uncatalogArchivedLogs(command: command, session: session) }
        ),
        (
            #"^change backup device type disk unavailable$"#,
            { _, command, session in try RMANRestore.markPiecesUnavailable(command: command, session: session) }
        ),
        (
            #"^change copy of database uncatalog$"#,
            { _, command, session in try RMANRestore.uncatalogCopies(command: command, session: session) }
        ),
        (
            #"^catalog start with '([^']+)' noprompt$"#,
            { captures, command, session in
                try RMANRestore.catalogStartWith(captures[0], command: command, session: session)
            }
        ),
        (
            #"^sql ["'](.*)["']$"#,
            { captures, command, session in try RMANRestore.sql(captures[0], command: command, session: session) }
        ),
        (
            #"^switch database to copy$"#,
            { _, command, session in try RMANRestore.switchToCopy(command: command, session: session) }
        ),
        (
            #"^set newname for database to new$"#,
            { _, _, session in
                session.newnameToNew = true
                session.output += ["", "executing command: SET NEWNAME"]
            }
        ),
        (
            #"^restore datafile ([0-9, ]+)$"#,
            { captures, command, session in
                let numbers = captures[0].split(separator: ",").compactMap {
                    Int($0.trimmingCharacters(in: .whitespaces))
                }
                try RMANRestore.restoreDatafiles(numbers, command: command, session: session)
            }
        ),
        (
            #"^set until time "to_date\('([^']+)', ?'yyyy-mm-dd hh24:mi:ss'\)"$"#,
            { captures, _, session in
                guard let time = OracleTime.parseISOSeconds(captures[0], session.zone) else {
                    throw OracleError("ORA-01861: literal does not match format string")
                }
                session.untilTime = time
                session.output += ["", "executing command: SET until clause"]
            }
        ),
        (
            #"^recover database$"#,
            { _, command, session in try RMANRestore.recoverDatabase(command: command, session: session) }
        ),
        (
            #"^backup validate check logical database$"#,
            { _, command, session in try RMANRestore.validate(command: command, session: session) }
        ),
    ]

    static func match(_ command: String) -> (Handler, [String])? {
        for (pattern, handler) in table {
            if let captures = TextShape.captures(pattern, in: command) { return (handler, captures) }
        }
        return nil
    }

    static func isKnown(_ command: String) -> Bool {
        let lower = command.lowercased()
        return lower == "exit" || lower == "quit" || match(command) != nil
    }

    static func execute(_ command: String, session: RMANSession) throws {
        guard let (handler, captures) = match(command) else {
            throw OracleError("RMAN-01009: syntax error: found \"identifier\"")
        }
        try handler(captures, command, session)
    }
}

/// `configure` and `show all`.
enum RMANConfiguration {
    /// (key, pattern, display) — the key identifies the setting, display renders the stored value.
    static let settings: [(key: String, pattern: String, defaultLine: String?)] = [
        ("RETENTION POLICY", #"^RETENTION POLICY TO (.+)$"#, "CONFIGURE RETENTION POLICY TO REDUNDANCY 1; # default"),
        ("BACKUP OPTIMIZATION", #"^BACKUP OPTIMIZATION (ON|OFF)$"#, "CONFIGURE BACKUP OPTIMIZATION OFF; # default"),
        (
            "DEFAULT DEVICE TYPE", #"^DEFAULT DEVICE TYPE TO (DISK)$"#,
            "CONFIGURE DEFAULT DEVICE TYPE TO DISK; # default"
        ),
        (
            "CONTROLFILE AUTOBACKUP", #"^CONTROLFILE AUTOBACKUP (ON|OFF)$"#,
            "CONFIGURE CONTROLFILE AUTOBACKUP OFF; # default"
        ),
        (
            "CONTROLFILE AUTOBACKUP FORMAT", #"^CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK TO '(.+)'$"#,
            "CONFIGURE CONTROLFILE AUTOBACKUP FORMAT FOR DEVICE TYPE DISK TO '%F'; # default"
        ),
        (
            "DEVICE TYPE DISK",
            #"^DEVICE TYPE DISK PARALLELISM (\d+) BACKUP TYPE TO (BACKUPSET|COMPRESSED BACKUPSET|COPY)$"#,
            "CONFIGURE DEVICE TYPE DISK PARALLELISM 1 BACKUP TYPE TO BACKUPSET; # default"
        ),
        ("DATAFILE BACKUP COPIES", "^$never", "CONFIGURE DATAFILE BACKUP COPIES FOR DEVICE TYPE DISK TO 1; # default"),
        (
            "ARCHIVELOG BACKUP COPIES", "^$never",
            "CONFIGURE ARCHIVELOG BACKUP COPIES FOR DEVICE TYPE DISK TO 1; # default"
        ),
        ("CHANNEL DEVICE TYPE DISK", #"^CHANNEL DEVICE TYPE DISK FORMAT '(.+)'$"#, nil),
        ("MAXSETSIZE", "^$never", "CONFIGURE MAXSETSIZE TO UNLIMITED; # default"),
        ("ENCRYPTION FOR DATABASE", "^$never", "CONFIGURE ENCRYPTION FOR DATABASE OFF; # default"),
        ("ENCRYPTION ALGORITHM", "^$never", "CONFIGURE ENCRYPTION ALGORITHM 'AES128'; # default"),
        (
            "COMPRESSION ALGORITHM", "^$never",
            "CONFIGURE COMPRESSION ALGORITHM 'BASIC' AS OF RELEASE 'DEFAULT' OPTIMIZE FOR LOAD TRUE ; # default"
        ),
        ("RMAN OUTPUT", "^$never", "CONFIGURE RMAN OUTPUT TO KEEP FOR 7 DAYS; # default"),
        (
            "ARCHIVELOG DELETION POLICY",
            #"^ARCHIVELOG DELETION POLICY TO (NONE|APPLIED ON ALL STANDBY|APPLIED ON STANDBY|SHIPPED TO ALL STANDBY)$"#,
            "CONFIGURE ARCHIVELOG DELETION POLICY TO NONE; # default"
        ),
        ("SNAPSHOT CONTROLFILE NAME", #"^SNAPSHOT CONTROLFILE NAME TO '(.+)'$"#, nil),
    ]

    /// The stored form of a setting (as `show all` prints it).
    static func display(key: String, body: String) -> String {
        if key == "CHANNEL DEVICE TYPE DISK", let format = TextShape.capture(#"FORMAT '(.+)'$"#, in: body) {
            return "CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT   '\(format)';"
        }
        return "CONFIGURE \(body);"
    }

    static func configure(_ body: String, session: RMANSession) throws {
        guard
            let setting = settings.first(where: {
                TextShape.capture($0.pattern, in: body) != nil || TextShape.captures($0.pattern, in: body) != nil
            })
        else {
            throw OracleError([
                "RMAN-00558: error encountered while parsing input commands",
                "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"archivelog, auxname, backup, channel, controlfile, datafile, default, device, encryption, exclude, maxsetsize, retention, snapshot\"",
            ])
        }
        let normalizedBody = normalizeKeywords(body)
        try session.withTarget("configure " + body) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            let newLine = display(key: setting.key, body: normalizedBody)
            if let old = database.rmanConfiguration[setting.key] {
                session.output += ["old RMAN configuration parameters:", old]
            }
            database.rmanConfiguration[setting.key] = newLine
            session.output += [
                "new RMAN configuration parameters:", newLine,
                "new RMAN configuration parameters are successfully stored",
                "",
            ]
            context.database = database
        }
    }

    /// Upper-cases RMAN keywords but keeps quoted strings as typed.
    static func normalizeKeywords(_ text: String) -> String {
        var result = ""
        var inQuote = false
        for character in text {
            if character == "'" { inQuote.toggle() }
            result.append(inQuote || character == "'" ? character : Character(character.uppercased()))
        }
        return result
    }

    static func showAll(session: RMANSession) throws {
        try session.withTarget("show all") { context in
            let database = try context.requireDatabase()
            session.repositoryNotice()
            session.output.append("")
            session.output.append(
                "RMAN configuration parameters for database with db_unique_name \(database.dbUniqueName.uppercased()) are:"
            )
            for setting in settings {
                if let line = database.rmanConfiguration[setting.key] {
                    session.output.append(line)
                } else if setting.key == "SNAPSHOT CONTROLFILE NAME" {
                    let home = context.store.environment["ORACLE_HOME"] ?? "/u01/app/oracle/product/12.1.0.2/db"
                    session.output.append(
                        "CONFIGURE SNAPSHOT CONTROLFILE NAME TO '\(home)/dbs/snapcf_\(database.instanceName).f'; # default"
                    )
                } else if let line = setting.defaultLine {
                    session.output.append(line)
                }
            }
            session.output.append("")
        }
    }

    static func parallelism(_ database: DatabaseState) -> Int {
        guard let line = database.rmanConfiguration["DEVICE TYPE DISK"],
            let value = TextShape.capture(#"PARALLELISM (\d+)"#, in: line)
        else { return 1 }
        return Int(value) ?? 1
    }

    /// The directory of `CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '<dir>/%U'`, else the recovery area.
    static func channelDirectory(_ database: DatabaseState) -> String {
        if let line = database.rmanConfiguration["CHANNEL DEVICE TYPE DISK"],
            let format = TextShape.capture(#"FORMAT\s+'(.+)'"#, in: line)
        {
            return (format as NSString).deletingLastPathComponent
        }
        return "\(database.recoveryAreaDirectory)/\(database.databaseNameUpper)/backupset"
    }

    static func autobackupOn(_ database: DatabaseState) -> Bool {
        database.rmanConfiguration["CONTROLFILE AUTOBACKUP"]?.uppercased().contains("AUTOBACKUP ON") == true
    }

    static func autobackupDirectory(_ database: DatabaseState) -> String {
        if let line = database.rmanConfiguration["CONTROLFILE AUTOBACKUP FORMAT"],
            let format = TextShape.capture(#"TO '(.+)'"#, in: line)
        {
            return (format as NSString).deletingLastPathComponent
        }
        return "\(database.recoveryAreaDirectory)/\(database.databaseNameUpper)/autobackup"
    }
}

/// `register database` and `resync catalog` against the recovery catalog database.
enum RMANCatalogCommands {
    static func register(command: String, session: RMANSession) throws {
        guard let catalog = session.catalogDatabase else {
            throw OracleError("RMAN-06002: command not allowed when not connected to a recovery catalog")
        }
        let dbid = try session.withTarget(command) { context in try context.requireDatabase().dbid }
        try session.store.withLock {
            guard var catalogState = try session.store.loadDatabase(catalog) else {
                throw OracleError("RMAN-04004: error from recovery catalog database: ORA-01034: ORACLE not available")
            }
            guard !catalogState.catalogRegistrations.contains(dbid) else {
                throw OracleError("RMAN-20002: target database already registered in recovery catalog")
            }
            catalogState.catalogRegistrations.append(dbid)
            try session.store.saveDatabase(catalogState)
        }
        session.output += [
            "database registered in recovery catalog", "starting full resync of recovery catalog",
            "full resync complete",
        ]
    }

    static func resync(command: String, session: RMANSession) throws {
        guard let catalog = session.catalogDatabase else {
            throw OracleError("RMAN-06002: command not allowed when not connected to a recovery catalog")
        }
        let dbid = try session.withTarget(command) { context in try context.requireDatabase().dbid }
        let registered = try session.store.withLock {
            try session.store.loadDatabase(catalog)?.catalogRegistrations.contains(dbid) ?? false
        }
        guard registered else { throw OracleError("RMAN-20001: target database not found in recovery catalog") }
        session.output += ["starting full resync of recovery catalog", "full resync complete"]
    }
}
