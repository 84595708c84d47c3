import Foundation

/// Restore-side RMAN commands working on a started or mounted local instance.
enum RMANRestore {
    static func time(_ context: StatementContext) -> String { OracleTime.isoSeconds(context.now, context.zone) }

    static func requireInstance(_ context: StatementContext) throws -> InstanceRecord {
        guard let instance = context.instance else {
            if case .database = context.target {
                throw OracleError("RMAN-06496: must use the TO clause when the database is mounted or open")
            }
            throw OracleError(["ORA-01034: ORACLE not available", "ORA-27101: shared memory realm does not exist"])
        }
        return instance
    }

    static func restoreControlfile(from path: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let instance = try requireInstance(context)
            guard instance.status == "STARTED" else {
                throw OracleError("RMAN-06496: must use the TO clause when the database is mounted or open")
            }
            session.output += ["", "Starting restore at \(time(context))"]
            let channel = session.channels(parallelism: 1).first ?? "ORA_DISK_1"
            session.output += ["", "channel \(channel): restoring control file"]
            var controlfile = try Recovery.controlfile(fromPiece: path)
            guard controlfile.dbName.uppercased() == (instance.parameters["db_name"] ?? "").uppercased() else {
                throw OracleError([
                    "ORA-19870: error while restoring backup piece \(path)",
                    "ORA-19563: control file header validation failed for file \(path)",
                ])
            }
            controlfile.openMode = "MOUNTED"
            controlfile.recoveredSCN = nil
            let files = (instance.parameters["control_files"] ?? instance.controlFilePath).split(separator: ",")
                .map { TextShape.unquote(String($0)) }
            for file in files { try ControlfileImage.write(path: file, state: controlfile) }
            session.output += [
                "channel \(channel): restore complete, elapsed time: 00:00:01",
                "output file name=\(files.joined(separator: ", "))", "Finished restore at \(time(context))",
            ]
        }
    }

    static func mount(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var instance = try requireInstance(context)
            guard instance.status == "STARTED" else { throw OracleError("ORA-01100: database already mounted") }
            guard let controlfile = try? ControlfileImage.read(path: instance.controlFilePath) else {
                throw OracleError("ORA-00205: error in identifying control file, check alert log for more info")
            }
            let expected = instance.parameters["db_name"] ?? ""
            guard controlfile.dbName.uppercased() == expected.uppercased() else {
                throw OracleError(
                    "ORA-01103: database name '\(controlfile.dbName.uppercased())' in control file is not '\(expected.uppercased())'"
                )
            }
            instance.status = "MOUNTED"
            context.instance = instance
            context.database = controlfile
            session.output.append("Statement processed")
        }
    }

    static func uncatalogArchivedLogs(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            let logs = database.archivedLogs.filter { !$0.deleted }
            guard !logs.isEmpty else {
                session.output.append("specification does not match any archived log in the repository")
                return
            }
            for log in logs {
                session.output += [
                    "uncataloged archived log",
                    "archived log file name=\(log.path) RECID=\(log.recid) STAMP=\(log.stamp)",
                ]
            }
            database.archivedLogs.removeAll()
            session.output += ["Uncataloged \(logs.count) objects", ""]
            context.database = database
        }
    }

    static func markPiecesUnavailable(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            let indices = database.backupPieces.indices.filter { database.backupPieces[$0].status == "AVAILABLE" }
            guard !indices.isEmpty else {
                session.output.append("specification does not match any backup in the repository")
                return
            }
            for index in indices {
                let piece = database.backupPieces[index]
                database.backupPieces[index].status = "UNAVAILABLE"
                session.output += [
                    "changed backup piece unavailable",
                    "backup piece handle=\(piece.handle) RECID=\(piece.recid) STAMP=\(piece.stamp)",
                ]
            }
            session.output += ["Changed \(indices.count) objects to UNAVAILABLE status", ""]
            context.database = database
        }
    }

    static func uncatalogCopies(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            let copies = database.datafileCopies.filter { !$0.deleted }
            guard !copies.isEmpty else {
                session.output.append("specification does not match any datafile copy in the repository")
                return
            }
            for copy in copies {
                session.output += [
                    "uncataloged datafile copy",
                    "datafile copy file name=\(copy.path) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                ]
            }
            database.datafileCopies.removeAll()
            session.output += ["Uncataloged \(copies.count) objects", ""]
            context.database = database
        }
    }

    static func catalogStartWith(_ prefix: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            session.output.append("searching for all files that match the pattern \(prefix)")
            let known = Set(
                database.archivedLogs.map(\.path) + database.datafileCopies.map(\.path)
                    + database.backupPieces.map(\.handle)
                    + database.datafiles.map(\.path))
            let candidates = Recovery.files(matching: prefix).filter { !known.contains($0) }
            guard !candidates.isEmpty else {
                session.output.append("no files found to be unknown to the database")
                return
            }
            session.output += ["", "List of Files Unknown to the Database", "====================================="]
            session.output += candidates.map { "File Name: \($0)" }
            session.output += ["cataloging files...", "cataloging done"]
            var cataloged: [String] = []
            var rejected: [(String, String)] = []
            for path in candidates {
                switch FileIdentification.identify(path: path) {
                case .datafileCopy(let header):
                    guard header.dbid == database.dbid else {
                        rejected.append(
                            (
                                path,
                                "RMAN-07518: Reason: Foreign database file DBID: \(header.dbid)  Database Name: \(header.dbName)"
                            ))
                        continue
                    }
                    database.datafileCopies.append(
                        DatafileCopy(
                            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now),
                            fileNumber: header.fileNumber,
                            path: path, tag: header.tag ?? "", checkpointSCN: header.checkpointSCN,
                            checkpointTime: header.checkpointTime, creationSCN: header.creationSCN, deleted: false))
                    cataloged.append(path)
                case .archivedLog(let header):
                    guard header.dbid == database.dbid else {
                        rejected.append(
                            (
                                path,
                                "RMAN-07518: Reason: Foreign database file DBID: \(header.dbid)  Database Name: \(header.dbName)"
                            ))
                        continue
                    }
                    database.archivedLogs.append(
                        ArchivedLog(
                            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), path: path,
                            destinationId: 0,
                            thread: header.thread, sequence: header.sequence, resetlogsId: header.resetlogsId,
                            firstSCN: header.firstSCN, nextSCN: header.nextSCN, firstTime: header.firstTime,
                            nextTime: header.nextTime, deleted: false))
                    cataloged.append(path)
                case .backupPiece(let header):
                    guard header.dbid == database.dbid else {
                        rejected.append(
                            (
                                path,
                                "RMAN-07518: Reason: Foreign database file DBID: \(header.dbid)  Database Name: \(header.dbName)"
                            ))
                        continue
                    }
                    database.backupPieces.append(
                        BackupPiece(
                            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), handle: path,
                            tag: header.tag,
                            kind: header.kind, fileNumber: header.fileNumber, fromSCN: header.fromSCN,
                            toSCN: header.toSCN,
                            completionTime: header.created, status: "AVAILABLE"))
                    cataloged.append(path)
                case .controlfileCopy:
                    cataloged.append(path)
                case .unknown:
                    rejected.append((path, "RMAN-07517: Reason: The file header is corrupted"))
                }
            }
            if !cataloged.isEmpty {
                session.output += ["", "List of Cataloged Files", "======================="]
                session.output += cataloged.map { "File Name: \($0)" }
            }
            if !rejected.isEmpty {
                session.output += [
                    "", "List of Files Which Were Not Cataloged", "=======================================",
                ]
                for (path, reason) in rejected { session.output += ["File Name: \(path)", "  \(reason)"] }
            }
            session.output.append("")
            context.database = database
        }
    }

    static func sql(_ statement: String, command: String, session: RMANSession) throws {
        let normalized = TextShape.normalize(statement).lowercased()
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            switch normalized {
            case "alter database flashback off":
                break
            case "alter database disable block change tracking":
                database.blockChangeTrackingFile = nil
            default:
                throw OracleError([
                    "RMAN-06004: ORACLE error from target database:", "ORA-00900: invalid SQL statement",
                ])
            }
            session.output.append("sql statement: \(statement)")
            context.database = database
        }
    }

    static func switchToCopy(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            guard context.instance?.status == "MOUNTED" else {
                throw OracleError("RMAN-06403: could not obtain a fully authorized session")
            }
            session.repositoryNotice()
            var lines: [String] = []
            for (index, datafile) in database.datafiles.enumerated().sorted(by: {
                $0.element.fileNumber < $1.element.fileNumber
            }) {
                guard
                    let copy = database.datafileCopies.filter({
                        !$0.deleted && $0.fileNumber == datafile.fileNumber && $0.creationSCN == datafile.creationSCN
                    })
                    // The newest copy wins; of equal checkpoints the one made last (a copy of a copy).
                    .max(by: { ($0.checkpointSCN, $0.recid) < ($1.checkpointSCN, $1.recid) })
                else {
                    throw OracleError("RMAN-06571: datafile \(datafile.fileNumber) does not have recoverable copy")
                }
                guard let header = try? DatafileImage.readHeader(path: copy.path), header.dbid == database.dbid else {
                    throw OracleError([
                        "ORA-19625: error identifying file \(copy.path)", "ORA-27037: unable to obtain file status",
                    ])
                }
                database.datafiles[index].path = copy.path
                database.datafileCopies.removeAll { $0.recid == copy.recid }
                lines.append("datafile \(datafile.fileNumber) switched to datafile copy \"\(copy.path)\"")
            }
            session.output += lines
            context.database = database
        }
    }

    static func newFileDirectory(_ context: StatementContext, session: RMANSession) -> String? {
        guard session.newnameToNew else { return nil }
        return context.instance?.parameters["db_create_file_dest"]
    }

    static func restoreDatafiles(_ numbers: [Int], command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output.append("Starting restore at \(time(context))")
            session.repositoryNotice()
            let channel = session.channels(parallelism: 1).first ?? "ORA_DISK_1"
            session.output.append("")
            for number in numbers {
                guard let index = database.datafiles.firstIndex(where: { $0.fileNumber == number }) else {
                    throw OracleError("RMAN-20201: datafile not found in the recovery catalog")
                }
                // No backup of such a file exists: RMAN creates it empty; redo from its creation SCN brings it forward.
                // Under `set newname … to new` the file is created as a copy that `switch` makes current.
                let datafile = database.datafiles[index]
                let path: String
                if let directory = newFileDirectory(context, session: session) {
                    path = DatabaseEngine.omfName(
                        directory, database.dbName, datafile.tablespace, database.takeUniqueName())
                } else {
                    path = datafile.path
                }
                var header = DatabaseEngine.header(for: datafile, state: database, now: context.now)
                header.checkpointSCN = datafile.creationSCN
                header.checkpointTime = Date(timeIntervalSince1970: 0)
                try DatafileImage.create(path: path, header: header)
                if path != datafile.path {
                    database.datafileCopies.append(
                        DatafileCopy(
                            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), fileNumber: number,
                            path: path, tag: "", checkpointSCN: datafile.creationSCN, checkpointTime: context.now,
                            creationSCN: datafile.creationSCN, deleted: false))
                }
                session.output.append("channel \(channel): creating datafile file number=\(number) name=\(path)")
            }
            session.output.append("Finished restore at \(time(context))")
            context.database = database
        }
    }

    static func recoverDatabase(command: String, session: RMANSession) throws {
        var progress: [String] = []
        var unknownLog: (thread: Int, sequence: Int, scn: Int64)?
        do {
            try session.withTarget(command) { context in
                var database = try context.requireDatabase()
                guard context.instance?.status == "MOUNTED" else {
                    throw OracleError(
                        "ORA-01126: database must be mounted in this instance and not open in any instance")
                }
                session.output += ["", "Starting recover at \(time(context))"]
                session.repositoryNotice()
                _ = session.channels(parallelism: 1)
                session.output += ["", "starting media recovery", ""]
                // Redo of an encrypted tablespace is decrypted with the keystore (open it after mount, before
                // recovery): without it media recovery stops.
                for tablespace in database.encryptedTablespaces ?? [] {
                    do {
                        try Keystore.requireOpen(for: tablespace, database, instance: context.instance)
                    } catch let error as OracleError {
                        throw OracleError(["ORA-00283: recovery session canceled due to errors"] + error.lines)
                    }
                }
                let result = try Recovery.recover(
                    &database, untilTime: session.untilTime,
                    newFileDirectory: newFileDirectory(context, session: session)
                        ?? context.instance?.parameters["db_create_file_dest"],
                    now: context.now)
                for log in result.applied {
                    progress.append(
                        "archived log for thread \(log.thread) with sequence \(log.sequence) is already on disk as file \(log.path)"
                    )
                }
                for log in result.applied {
                    progress.append("archived log file name=\(log.path) thread=\(log.thread) sequence=\(log.sequence)")
                }
                for (number, path) in result.createdDatafiles {
                    progress.append("creating datafile file number=\(number) name=\(path)")
                }
                session.output += progress
                if let missing = result.unknownLog {
                    // Complete recovery ran out of archived logs (the online logs are not here): what was applied
                    // stays applied, and RMAN reports the log it asked for.
                    unknownLog = (database.thread, missing.sequence, missing.scn)
                    context.database = database
                    return
                }
                session.output += [
                    "media recovery complete, elapsed time: 00:00:00", "Finished recover at \(time(context))",
                ]
                context.database = database
            }
            if let unknownLog {
                throw Recovery.requestingUnknownLog(
                    thread: unknownLog.thread, sequence: unknownLog.sequence, scn: unknownLog.scn)
            }
        } catch let error as OracleError {
            if let sequence = error.lines.first.flatMap({
                TextShape.capture(#"RMAN-06054: .* with sequence (\d+)"#, in: $0)
            }) {
                session.output += ["unable to find archived log", "archived log thread=1 sequence=\(sequence)"]
            }
            throw error
        }
    }

    static func validate(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output.append("Starting backup at \(time(context))")
            session.repositoryNotice()
            let channels = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let results = try Recovery.validate(database)
            for (index, result) in results.enumerated() {
                let channel = channels[index % channels.count]
                session.output += [
                    "channel \(channel): starting full datafile backup set",
                    "channel \(channel): specifying datafile(s) in backup set",
                    "input datafile file number=\(RMANBackup.fileNumber(result.fileNumber)) name=\(result.path)",
                ]
            }
            var corrupt: [CorruptBlockRange] = []
            for (index, result) in results.enumerated() {
                let channel = channels[index % channels.count]
                let status = result.corrupt.isEmpty ? "OK    " : "FAILED"
                session.output += [
                    "channel \(channel): backup set complete, elapsed time: 00:00:01", "List of Datafiles",
                    "=================",
                    "File Status Marked Corrupt Empty Blocks Blocks Examined High SCN",
                    "---- ------ -------------- ------------ --------------- ----------",
                    "\(result.fileNumber)".padding(toLength: 5, withPad: " ", startingAt: 0) + status + " "
                        + "\(result.corrupt.count)".padding(toLength: 15, withPad: " ", startingAt: 0)
                        + "\(result.empty)".padding(toLength: 13, withPad: " ", startingAt: 0)
                        + "\(result.examined)".padding(toLength: 16, withPad: " ", startingAt: 0)
                        + "\(result.highSCN)".padding(toLength: 10, withPad: " ", startingAt: 0),
                    "  File Name: \(result.path)", "  Block Type Blocks Failing Blocks Processed",
                    "  ---------- -------------- ----------------",
                    "  Data       " + "\(result.corrupt.count)".padding(toLength: 15, withPad: " ", startingAt: 0)
                        + "\(result.dataBlocks)".padding(toLength: 16, withPad: " ", startingAt: 0),
                    "  Index      0              0               ",
                    "  Other      0              "
                        + "\(result.examined - result.dataBlocks - result.corrupt.count)".padding(
                            toLength: 16, withPad: " ", startingAt: 0),
                    "",
                ]
                for block in result.corrupt {
                    corrupt.append(
                        CorruptBlockRange(
                            fileNumber: result.fileNumber, block: block, blocks: 1, corruptionChange: 0,
                            corruptionType: "CHECKSUM"))
                }
            }
            if !corrupt.isEmpty {
                session.output.append("validate found one or more corrupt blocks")
                session.output.append(
                    "See trace file \(context.store.environment["ORACLE_BASE"] ?? "/u01/app/oracle")/diag/rdbms/\(database.dbName)/\(database.instanceName)/trace/\(database.instanceName)_ora_4242.trc for details"
                )
            }
            database.corruptBlocks = corrupt
            session.output.append("Finished backup at \(time(context))")
            context.database = database
        }
    }
}
