import Foundation

/// `report` and `restore … validate/preview` commands of the backup side.
enum RMANReports {
    static func needBackup(days: Int, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.repositoryNotice()
            session.output += [
                "Report of files whose recovery needs more than \(days) days of archived logs",
                "File Days  Name", "---- ----- -----------------------------------------------------",
            ]
            let limit = context.now.addingTimeInterval(-Double(days) * 86_400)
            for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
                let newest = database.datafileCopies.filter { !$0.deleted && $0.fileNumber == datafile.fileNumber }
                    .map(\.checkpointTime).max()
                if newest == nil || newest! < limit {
                    let age = newest.map { Int(context.now.timeIntervalSince($0) / 86_400) } ?? 0
                    session.output.append(
                        "\(datafile.fileNumber)".padding(toLength: 5, withPad: " ", startingAt: 0)
                            + "\(age)".padding(toLength: 6, withPad: " ", startingAt: 0) + datafile.path)
                }
            }
        }
    }

    static func unrecoverable(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.repositoryNotice()
            session.output += [
                "Report of files that need backup due to unrecoverable operations",
                "File Type of Backup Required Name", "---- ----------------------- -----------------------------------",
            ]
            // A file needs a backup when NOLOGGING redo exists after its newest copy's checkpoint.
            var pending: [Int: Bool] = [:]
            let records =
                database.onlineRedo
                + database.archivedLogs.filter { !$0.deleted }.compactMap {
                    try? ArchivedLogFile.read(path: $0.path).records
                }.flatMap { $0 }
            for record in records where record.kind == .nologging {
                let copySCN =
                    database.datafileCopies.filter { !$0.deleted && $0.fileNumber == record.fileNumber }.map(
                        \.checkpointSCN
                    ).max() ?? 0
                if record.scn > copySCN { pending[record.fileNumber] = true }
            }
            for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber })
            where pending[datafile.fileNumber] == true {
                session.output.append(
                    "\(datafile.fileNumber)".padding(toLength: 5, withPad: " ", startingAt: 0)
                        + "full or incremental     " + datafile.path)
            }
        }
    }

    static func copies(_ database: DatabaseState) throws -> [(Datafile, DatafileCopy)] {
        var result: [(Datafile, DatafileCopy)] = []
        for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
            guard
                let copy = database.datafileCopies.filter({ !$0.deleted && $0.fileNumber == datafile.fileNumber })
                    .max(by: { $0.checkpointSCN < $1.checkpointSCN })
            else {
                throw OracleError([
                    "RMAN-06026: some targets not found - aborting restore",
                    "RMAN-06023: no backup or copy of datafile \(datafile.fileNumber) found to restore",
                ])
            }
            result.append((datafile, copy))
        }
        return result
    }

    static func restorePreview(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.output.append("Starting restore at \(RMANBackup.time(context))")
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let pairs = try copies(database)
            session.output += [
                "", "List of Datafile Copies", "=======================", "",
                "Key     File S Completion Time     Ckp SCN    Ckp Time            Sparse",
                "------- ---- - ------------------- ---------- ------------------- ------",
            ]
            for (_, copy) in pairs {
                let stamp = OracleTime.isoSeconds(copy.checkpointTime, context.zone)
                session.output.append(
                    "\(copy.recid)".padding(toLength: 8, withPad: " ", startingAt: 0)
                        + "\(copy.fileNumber)".padding(toLength: 5, withPad: " ", startingAt: 0)
                        + "A \(stamp) " + "\(copy.checkpointSCN)".padding(toLength: 11, withPad: " ", startingAt: 0)
                        + "\(stamp) NO")
                session.output += ["        Name: \(copy.path)", "        Tag: \(copy.tag)", ""]
            }
            session.output += [
                "Media recovery start SCN is \(pairs.map { $0.1.checkpointSCN }.min() ?? 0)",
                "Finished restore at \(RMANBackup.time(context))",
            ]
        }
    }

    static func validateCopies(headerOnly: Bool, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.output.append("Starting restore at \(RMANBackup.time(context))")
            session.repositoryNotice()
            let channel = session.channels(parallelism: RMANConfiguration.parallelism(database)).first ?? "ORA_DISK_1"
            for (datafile, copy) in try copies(database) {
                // `validate header`: the header only; otherwise every block, streamed, up to the first bad one.
                var bad: DataBlock?
                do {
                    _ = try DatafileImage.readHeader(path: copy.path)
                    if !headerOnly {
                        try DatafileImage.forEachBlock(path: copy.path, in: nil) { block in
                            if bad == nil && !block.checksumValid { bad = block }
                        }
                    }
                } catch {
                    throw OracleError([
                        "ORA-19505: failed to identify file \"\(copy.path)\"",
                        "ORA-27037: unable to obtain file status",
                    ])
                }
                if let bad {
                    throw OracleError([
                        "ORA-19566: exceeded limit of 0 corrupt blocks for file \(copy.path)",
                        "ORA-01578: ORACLE data block corrupted (file # \(datafile.fileNumber), block # \(bad.number))",
                    ])
                }
                session.output.append("channel \(channel): scanning datafile copy \(copy.path)")
            }
            session.output.append("Finished restore at \(RMANBackup.time(context))")
        }
    }

    static func validateControlfile(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.output.append("Starting restore at \(RMANBackup.time(context))")
            session.repositoryNotice()
            let channel = session.channels(parallelism: RMANConfiguration.parallelism(database)).first ?? "ORA_DISK_1"
            guard
                let piece = database.backupPieces.filter({
                    ($0.kind == .controlfile || $0.kind == .autobackup) && $0.status == "AVAILABLE"
                })
                .max(by: { $0.completionTime < $1.completionTime }),
                (try? BackupPieceFile.read(path: piece.handle)) != nil
            else {
                throw OracleError([
                    "RMAN-06026: some targets not found - aborting restore",
                    "RMAN-06024: no backup or copy of the control file found to restore",
                ])
            }
            session.output += [
                "channel \(channel): starting validation of datafile backup set",
                "channel \(channel): reading from backup piece \(piece.handle)",
                "channel \(channel): piece handle=\(piece.handle) tag=\(piece.tag)",
                "channel \(channel): restored backup piece 1",
                "channel \(channel): validation complete, elapsed time: 00:00:01",
                "Finished restore at \(RMANBackup.time(context))",
            ]
        }
    }

    static func validateArchivedLogs(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            let database = try context.requireDatabase()
            session.output.append("Starting restore at \(RMANBackup.time(context))")
            session.repositoryNotice()
            let channel = session.channels(parallelism: RMANConfiguration.parallelism(database)).first ?? "ORA_DISK_1"
            let grouped = Dictionary(
                grouping: database.archivedLogs.filter { !$0.deleted },
                by: { ThreadSequence(thread: $0.thread, sequence: $0.sequence) })
            for key in grouped.keys.sorted() {
                guard let usable = grouped[key]?.first(where: { (try? ArchivedLogFile.read(path: $0.path)) != nil })
                else {
                    let first = grouped[key]?.first?.firstSCN ?? 0
                    throw OracleError([
                        "RMAN-06026: some targets not found - aborting restore",
                        "RMAN-06025: no backup of archived log for thread \(key.thread) with sequence \(key.sequence) and starting SCN of \(first) found to restore",
                    ])
                }
                session.output.append("channel \(channel): scanning archived log \(usable.path)")
            }
            session.output.append("Finished restore at \(RMANBackup.time(context))")
        }
    }
}
