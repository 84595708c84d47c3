import Foundation

/// The RMAN commands of the manual restore recipe (`backup <db> generaterestore`) that the automatic restores do
/// not use: `set dbid`, `startup nomount pfile=…`, `backup as copy … copy of database from tag …` and
/// `alter database open resetlogs`.
enum RMANManualRestore {
    static func time(_ context: StatementContext) -> String { OracleTime.isoSeconds(context.now, context.zone) }

    /// `set dbid <n>`: allowed only before a controlfile is mounted (RMAN-06188 otherwise).
    static func setDbid(_ dbid: Int64, command: String, session: RMANSession) throws {
        guard let target = session.target else { throw OracleError("RMAN-06171: not connected to target database") }
        if case .database = target {
            throw OracleError("RMAN-06188: cannot use command when connected to a mounted target database")
        }
        if case .instance(let sid) = target,
            let record = try session.store.reading({ try session.store.loadInstance(sid) }), record.status != "STARTED"
        {
            throw OracleError("RMAN-06188: cannot use command when connected to a mounted target database")
        }
        session.requestedDbid = dbid
        session.output += ["", "executing command: SET DBID"]
    }

    /// `startup nomount [pfile='…']` of the local instance `ORACLE_SID` (RMAN's rendering of the SGA lines).
    static func startupNomount(_ command: String, session: RMANSession) throws {
        guard let target = session.target else { throw OracleError("RMAN-06171: not connected to target database") }
        let sid: String
        switch target {
        case .idle(let name), .instance(let name): sid = name
        case .database:
            throw OracleError("ORA-01081: cannot start already-running ORACLE - shut it down first")
        }
        let lines = try InstanceLifecycle.run(command, sid: sid, startup: true, store: session.store)
        session.target = .instance(sid: sid)
        session.output += ["", "Oracle instance started", ""]
        for (index, line) in lines.dropFirst().enumerated() {
            session.output.append(line.0)
            if index == 0 { session.output.append("") }
        }
    }

    /// `backup as copy format '<format>' tag '<tag>' copy of database from tag '<source tag>'`: a new copy of the
    /// newest copy (with the source tag) of every datafile, under the new tag. `format` must hold `%U` unless it
    /// names an ASM disk group, which the simulator does not have (ORA-15001).
    static func copyOfDatabase(
        format: String, tag: String, sourceTag: String, command: String, session: RMANSession
    ) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            guard context.instance?.status == "MOUNTED" || context.instance == nil else {
                throw OracleError("ORA-01507: database not mounted")
            }
            session.output.append("Starting backup at \(time(context))")
            session.repositoryNotice()
            let channel = session.channels(parallelism: RMANConfiguration.parallelism(database)).first ?? "ORA_DISK_1"
            if format.hasPrefix("+") {
                let group = format.dropFirst().split(separator: "/").first.map(String.init) ?? ""
                throw OracleError([
                    "ORA-19504: failed to create file \"\(format)\"",
                    "ORA-17502: ksfdcre:4 Failed to create file \(format)",
                    "ORA-15001: diskgroup \"\(group.uppercased())\" does not exist or is not mounted",
                ])
            }
            guard format.contains("%U") || format.contains("%u") else {
                throw OracleError([
                    "RMAN-06026: some targets not found - aborting backup",
                    "RMAN-06053: format must contain %U to create one file per datafile copy",
                ])
            }
            for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
                guard
                    let source = database.datafileCopies.filter({
                        !$0.deleted && $0.fileNumber == datafile.fileNumber && $0.creationSCN == datafile.creationSCN
                            && $0.tag.uppercased() == sourceTag
                    }).max(by: { ($0.checkpointSCN, $0.recid) < ($1.checkpointSCN, $1.recid) })
                else {
                    throw OracleError([
                        "RMAN-06026: some targets not found - aborting backup",
                        "RMAN-06024: no backup or copy of datafile \(datafile.fileNumber) found to restore",
                    ])
                }
                guard var header = try? DatafileImage.readHeader(path: source.path), header.dbid == database.dbid
                else {
                    throw OracleError([
                        "ORA-19625: error identifying file \(source.path)", "ORA-27037: unable to obtain file status",
                        "Linux-x86_64 Error: 2: No such file or directory", "Additional information: 7",
                    ])
                }
                let unique =
                    "data_D-\(database.databaseNameUpper)_I-\(database.dbid)_TS-\(datafile.tablespace)_FNO-\(datafile.fileNumber)_\(database.takeUniqueName())"
                let path = format.replacingOccurrences(of: "%U", with: unique).replacingOccurrences(
                    of: "%u", with: unique)
                let directory = (path as NSString).deletingLastPathComponent
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
                    isDirectory.boolValue, !FileManager.default.fileExists(atPath: path)
                else {
                    throw OracleError([
                        "ORA-19504: failed to create file \"\(path)\"",
                        "ORA-27040: file create error, unable to create file",
                        "Linux-x86_64 Error: 2: No such file or directory", "Additional information: 1",
                    ])
                }
                try FileManager.default.copyItem(atPath: source.path, toPath: path)
                header.tag = tag
                try writeHeaderInPlace(path: path, header: header)
                let copy = DatafileCopy(
                    recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now),
                    fileNumber: datafile.fileNumber, path: path, tag: tag, checkpointSCN: source.checkpointSCN,
                    checkpointTime: source.checkpointTime, creationSCN: source.creationSCN, deleted: false)
                database.datafileCopies.append(copy)
                session.output += [
                    "channel \(channel): starting datafile copy",
                    "input is copy of datafile \(RMANBackup.fileNumber(datafile.fileNumber)): \(source.path)",
                    "output file name=\(path) tag=\(tag) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                    "channel \(channel): datafile copy complete, elapsed time: 00:00:01",
                ]
            }
            session.output.append("Finished backup at \(time(context))")
            context.database = database
        }
    }

    /// Rewrites only the header bytes of a datafile (cost independent of the file's size).
    static func writeHeaderInPlace(path: String, header: DatafileHeader) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw OracleError([
                "ORA-01157: cannot identify/lock data file - see DBWR trace file",
                "ORA-27041: unable to open file",
            ])
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: try DatafileImage.encodeHeader(header))
    }

    /// `alter database open resetlogs`: opens a database recovered from a backup controlfile as a new
    /// incarnation. Only headers are rewritten (no datafile is read or copied).
    static func openResetlogs(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            try openResetlogs(context)
            session.output.append("Statement processed")
            if session.catalogDatabase != nil {
                session.output += [
                    "new incarnation of database registered in recovery catalog",
                    "starting full resync of recovery catalog", "full resync complete",
                ]
            }
        }
    }

    /// The change of `alter database open resetlogs` (RMAN and SQL*Plus): the instance must be mounted, every
    /// datafile recovered to the same SCN (ORA-01194 otherwise); a new incarnation starts, the headers are rewritten
    /// and the database is open READ WRITE.
    static func openResetlogs(_ context: StatementContext) throws {
        guard var instance = context.instance else {
            throw OracleError("ORA-01531: a database already open by the instance")
        }
        switch instance.status {
        case "OPEN": throw OracleError("ORA-01531: a database already open by the instance")
        case "STARTED": throw OracleError("ORA-01507: database not mounted")
        default: break
        }
        var database = try context.requireDatabase()
        let headers = try Recovery.checkRecoveredDatafiles(
            database, instance: instance, environment: context.store.environment
        ) { datafile in
            OracleError([
                "ORA-01194: file \(datafile.fileNumber) needs more recovery to be consistent",
                "ORA-01110: data file \(datafile.fileNumber): '\(datafile.path)'",
            ])
        }
        let recovered = database.recoveredSCN ?? database.currentSCN
        database.incarnation += 1
        database.resetlogsSCN = recovered + 1
        database.resetlogsId = Int64(context.now.timeIntervalSince1970) % 1_000_000_000 + 900_000_000
        if database.resetlogsId == headers.first?.1.resetlogsId { database.resetlogsId += 1 }
        database.currentSCN = recovered + 2
        database.currentSequence = 1
        database.currentLogFirstSCN = database.currentSCN
        database.currentLogFirstTime = context.now
        database.onlineRedo = []
        database.openMode = "READ WRITE"
        database.controlfileBackupSCN = nil
        database.lastSCNTimeMapTime = context.now
        for (datafile, original) in headers {
            var header = original
            header.resetlogsId = database.resetlogsId
            header.checkpointSCN = database.resetlogsSCN
            header.checkpointTime = context.now
            try writeHeaderInPlace(path: datafile.path, header: header)
        }
        database.recoveredSCN = database.resetlogsSCN
        instance.status = "OPEN"
        context.instance = instance
        context.database = database
    }
}
