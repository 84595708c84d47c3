import Foundation

/// The statements of an instant restore (`restore <db> --instant`): `alter database open resetlogs` from SQL*Plus,
/// the online datafile move of Oracle 12c (`alter database move datafile … to …`) and the two queries the tool
/// reads the datafiles and every file location of the instance with.
enum DatafileMoves {
    /// The shapes this file handles, for ``SQLStatements``.
    static var shapes: [(String, ([String], StatementContext, SQLPlusSettings) throws -> SQLOutcome)] {
        [
            ("alter database open resetlogs", openResetlogs),
            ("alter database move datafile {}", move),
            (
                "select 'INSTANT DATAFILE: '||d.file#||' '||t.name||' '||d.name from v$datafile d join v$tablespace t on t.ts# = d.ts# order by d.file#",
                datafileList
            ),
            (
                "select 'INSTANCE FILE: '||kind||' '||location from (select 'DATAFILE' kind, name location from v$datafile union all select 'TEMPFILE', name from v$tempfile union all select 'LOGFILE', member from v$logfile union all select 'CONTROLFILE', name from v$controlfile union all select 'ARCHIVE_DESTINATION', destination from v$archive_dest where destination is not null union all select 'PARAMETER_'||upper(name), value from v$parameter where value is not null and name in ('db_create_file_dest','db_recovery_file_dest','db_create_online_log_dest_1','db_create_online_log_dest_2','log_archive_dest','control_files'))",
                fileLocations
            ),
        ]
    }

    /// `alter database open resetlogs` of a mounted, recovered restore instance (as RMAN's): a new incarnation,
    /// open READ WRITE.
    static func openResetlogs(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        try RMANManualRestore.openResetlogs(context)
        return SQLOutcome(body: .message("Database altered."), elapsed: 4.21)
    }

    /// The first release with online datafile moves.
    static func supportsOnlineMove(version: String) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard let major = parts.first else { return true }
        return major > 12 || (major == 12 && (parts.count < 2 || parts[1] >= 1))
    }

    /// ORA-01516 as the release prints it: 12.2 and later name the container.
    static func nonexistentFile(_ name: String, version: String) -> OracleError {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        let containers = (parts.first ?? 12) > 12 || ((parts.first ?? 12) == 12 && (parts.dropFirst().first ?? 1) >= 2)
        return OracleError(
            "ORA-01516: nonexistent log file, data file, or temporary file \"\(name)\"\(containers ? " in the current container" : "")"
        )
    }

    /// `alter database move datafile ('<name>' | <file#>) [to '<name>'] [reuse] [keep]`: the file is copied to its new
    /// name, the controlfile switched to it, and the original removed unless KEEP. Without TO the new file is an
    /// Oracle-managed name in `db_create_file_dest`. Needs an open, read-write database of release 12.1 or later.
    static func move(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        var database = try context.requireDatabase()
        let version = context.database?.version ?? context.instance?.parameters["compatible"] ?? "12.1.0.2.0"
        guard supportsOnlineMove(version: version) else {
            throw OracleError("ORA-02231: missing or invalid option to ALTER DATABASE")
        }
        let quoted = #"'(?:[^']|'')*'"#
        guard
            let parts = TextShape.captures(
                #"^("# + quoted + #"|\d+)(?:\s+to\s+("# + quoted + #"))?((?:\s+(?:reuse|keep))*)$"#, in: captures[0])
        else {
            throw OracleError("ORA-02231: missing or invalid option to ALTER DATABASE")
        }
        let options = Set(parts[2].lowercased().split(separator: " ").map(String.init))
        if let instance = context.instance, instance.status != "OPEN" {
            throw OracleError("ORA-01109: database not open")
        }
        if database.openMode == "READ ONLY" {
            throw OracleError("ORA-16000: database or pluggable database open for read-only access")
        }
        let source = parts[0]
        let index: Int?
        if source.hasPrefix("'") {
            index = database.datafiles.firstIndex { $0.path == TextShape.unquote(source) }
        } else {
            index = database.datafiles.firstIndex { String($0.fileNumber) == source }
        }
        guard let index else {
            throw nonexistentFile(source.hasPrefix("'") ? TextShape.unquote(source) : source, version: version)
        }
        let datafile = database.datafiles[index]
        var target = parts[1].isEmpty ? "" : TextShape.unquote(parts[1])
        if target.isEmpty {
            guard
                let destination = context.instance?.parameters["db_create_file_dest"]
                    ?? database.parameter("db_create_file_dest"), !destination.isEmpty
            else {
                throw OracleError("ORA-02236: invalid file name")
            }
            target =
                "\(destination)/\(database.databaseNameUpper)/datafile/o1_mf_\(datafile.tablespace.lowercased())_\(database.takeUniqueName())_.dbf"
            try? FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        let files = FileManager.default
        guard files.fileExists(atPath: datafile.path) else {
            throw OracleError([
                "ORA-01157: cannot identify/lock data file \(datafile.fileNumber) - see DBWR trace file",
                "ORA-01110: data file \(datafile.fileNumber): '\(datafile.path)'",
            ])
        }
        if files.fileExists(atPath: target) && (!options.contains("reuse") || target == datafile.path) {
            throw OracleError([
                "ORA-01119: error in creating database file '\(target)'", "ORA-27038: created file already exists",
                "Additional information: 1",
            ])
        }
        let directory = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw createError(target, errno: 2, text: "No such file or directory")
        }
        guard files.isWritableFile(atPath: directory) else {
            throw createError(target, errno: 13, text: "Permission denied")
        }
        // Copy, then switch the controlfile to the copy, then remove the original (unless KEEP), as Oracle does.
        let partial = target + ".oracle-sim-move"
        do {
            try? files.removeItem(atPath: partial)
            try files.copyItem(atPath: datafile.path, toPath: partial)
            if files.fileExists(atPath: target) { try files.removeItem(atPath: target) }
            try files.moveItem(atPath: partial, toPath: target)
        } catch {
            try? files.removeItem(atPath: partial)
            throw createError(target, errno: 28, text: "No space left on device")
        }
        database.datafiles[index].path = target
        context.database = database
        if !options.contains("keep") { try? files.removeItem(atPath: datafile.path) }
        let size = (try? files.attributesOfItem(atPath: target))?[.size] as? NSNumber
        return SQLOutcome(body: .message("Database altered."), elapsed: 0.5 + (size?.doubleValue ?? 0) / 200_000_000)
    }

    static func createError(_ target: String, errno: Int, text: String) -> OracleError {
        OracleError([
            "ORA-01119: error in creating database file '\(target)'",
            "ORA-27040: file create error, unable to create file", "Linux-x86_64 Error: \(errno): \(text)",
            "Additional information: 1",
        ])
    }

    /// `INSTANT DATAFILE: <file#> <tablespace> <name>` for every datafile, by file number.
    static func datafileList(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let lines = database.datafiles.sorted { $0.fileNumber < $1.fileNumber }.map {
            "INSTANT DATAFILE: \($0.fileNumber) \($0.tablespace) \($0.path)"
        }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.02)
    }

    /// `INSTANCE FILE: <kind> <location>`: datafiles, online log members, controlfiles, archive destinations and
    /// the file-location parameters. For a restore instance the parameters are its pfile's; its online logs are the
    /// Oracle-managed members open resetlogs creates in `db_create_online_log_dest_1` (else the recovery area). The
    /// simulator has no tempfiles (v$tempfile is empty).
    static func fileLocations(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        var lines = database.datafiles.sorted { $0.fileNumber < $1.fileNumber }.map {
            "INSTANCE FILE: DATAFILE \($0.path)"
        }
        let parameters: [String: String]
        let controlFiles: [String]
        if let instance = context.instance {
            parameters = instance.parameters
            controlFiles = (instance.parameters["control_files"] ?? instance.controlFilePath).split(separator: ",").map
            {
                TextShape.unquote(String($0))
            }
        } else {
            parameters = Dictionary(
                database.parameters.compactMap { entry in entry.value.map { (entry.name, $0) } }
            ) { first, _ in first }
            controlFiles = (parameters["control_files"] ?? "").split(separator: ",").map {
                TextShape.unquote(String($0))
            }
        }
        if context.instance?.status == "OPEN" || context.instance == nil {
            let logDestination = parameters["db_create_online_log_dest_1"] ?? parameters["db_recovery_file_dest"]
            if let logDestination, !logDestination.isEmpty {
                for group in 1...max(1, database.onlineLogGroups) {
                    lines.append(
                        "INSTANCE FILE: LOGFILE \(logDestination)/\(database.databaseNameUpper)/onlinelog/o1_mf_\(group)_\(database.dbid % 100_000)_.log"
                    )
                }
            }
        }
        lines += controlFiles.filter { !$0.isEmpty }.map { "INSTANCE FILE: CONTROLFILE \($0)" }
        var destinations: [String] = []
        for number in 1...9 {
            guard let value = parameters["log_archive_dest_\(number)"], !value.isEmpty else { continue }
            destinations.append(DatabaseState.location(in: value) ?? value)
        }
        if destinations.isEmpty, let recoveryArea = parameters["db_recovery_file_dest"], !recoveryArea.isEmpty {
            destinations.append("USE_DB_RECOVERY_FILE_DEST")
        }
        lines += destinations.map { "INSTANCE FILE: ARCHIVE_DESTINATION \($0)" }
        for name in [
            "db_create_file_dest", "db_recovery_file_dest", "db_create_online_log_dest_1",
            "db_create_online_log_dest_2", "log_archive_dest", "control_files",
        ] {
            if let value = parameters[name], !value.isEmpty {
                lines.append("INSTANCE FILE: PARAMETER_\(name.uppercased()) \(value)")
            }
        }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.05)
    }
}
