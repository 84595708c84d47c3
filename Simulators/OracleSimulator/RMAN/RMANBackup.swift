import Foundation

/// Backup-side RMAN commands: image copies, level-1 merges, deletions, spfile/controlfile backups.
enum RMANBackup {
    static func time(_ context: StatementContext) -> String { OracleTime.isoSeconds(context.now, context.zone) }

    static func fileNumber(_ number: Int) -> String { String(format: "%05d", number) }

    /// `backup incremental level 1 for recover of copy with tag … database`.
    static func incrementalForRecoverOfCopy(tag: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            guard var database = context.database, context.instance == nil || context.instance?.status == "OPEN" else {
                throw OracleError("ORA-01109: database not open")
            }
            session.output.append("Starting backup at \(time(context))")
            session.repositoryNotice()
            let channels = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let directory = RMANConfiguration.channelDirectory(database)
            // Checkpoint: datafile headers now carry the current SCN.
            database.currentSCN += 1
            let checkpointSCN = database.currentSCN
            var finishes: [String] = []
            let ordered = database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber })
            for datafile in ordered
            where !database.datafileCopies.contains(where: {
                !$0.deleted && $0.tag == tag && $0.fileNumber == datafile.fileNumber
                    && $0.creationSCN == datafile.creationSCN
            }) {
                session.output.append("no parent backup or copy of datafile \(datafile.fileNumber) found")
            }
            for (index, datafile) in ordered.enumerated() {
                let channel = channels[index % channels.count]
                var header = try DatafileImage.readHeader(path: datafile.path)
                header.checkpointSCN = checkpointSCN
                header.checkpointTime = context.now
                try DatafileImage.writeHeader(path: datafile.path, header: header)
                let existing = database.datafileCopies.last {
                    !$0.deleted && $0.tag == tag && $0.fileNumber == datafile.fileNumber
                        && $0.creationSCN == datafile.creationSCN
                }
                if let copy = existing {
                    // Level 1: blocks changed since the copy's checkpoint. With block change tracking only the
                    // tracked blocks are read; without it every block is read to find them.
                    var changed: [Int] = []
                    if let tracked = DatabaseEngine.trackedChanges(
                        database, fileNumber: datafile.fileNumber, after: copy.checkpointSCN)
                    {
                        changed = tracked.filter { $0 <= datafile.blockCount }
                    } else {
                        try DatafileImage.forEachBlock(path: datafile.path, in: nil) { block in
                            if block.scn > copy.checkpointSCN { changed.append(block.number) }
                        }
                    }
                    var blocks: [Int: String] = [:]
                    for number in changed {
                        blocks[number] = try DatafileImage.rawBlock(path: datafile.path, number: number)
                            .base64EncodedString()
                    }
                    let handle = "\(directory)/\(database.takeUniqueName())_1_1"
                    try BackupPieceFile.write(
                        path: handle,
                        header: BackupPieceHeader(
                            dbid: database.dbid, dbName: database.databaseNameUpper, kind: .incremental, tag: tag,
                            fileNumber: datafile.fileNumber, fromSCN: copy.checkpointSCN, toSCN: checkpointSCN,
                            created: context.now),
                        body: BackupPieceBody(blocks: blocks, controlfile: nil, spfile: nil))
                    let piece = BackupPiece(
                        recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), handle: handle, tag: tag,
                        kind: .incremental, fileNumber: datafile.fileNumber, fromSCN: copy.checkpointSCN,
                        toSCN: checkpointSCN,
                        completionTime: context.now, status: "AVAILABLE")
                    database.backupPieces.append(piece)
                    session.output += [
                        "channel \(channel): starting incremental level 1 datafile backup set",
                        "channel \(channel): specifying datafile(s) in backup set",
                        "input datafile file number=\(fileNumber(datafile.fileNumber)) name=\(datafile.path)",
                        "channel \(channel): starting piece 1 at \(time(context))",
                    ]
                    finishes += [
                        "channel \(channel): finished piece 1 at \(time(context))",
                        "piece handle=\(handle) tag=\(tag) comment=NONE",
                        "channel \(channel): backup set complete, elapsed time: 00:00:01",
                    ]
                } else {
                    // No copy yet: this run creates the level-0 image copy.
                    let path =
                        "\(directory)/data_D-\(database.databaseNameUpper)_I-\(database.dbid)_TS-\(datafile.tablespace)_FNO-\(datafile.fileNumber)_\(database.takeUniqueName())"
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                    try FileManager.default.copyItem(atPath: datafile.path, toPath: path)
                    var copyHeader = header
                    copyHeader.tag = tag
                    try DatafileImage.writeHeader(path: path, header: copyHeader)
                    let copy = DatafileCopy(
                        recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now),
                        fileNumber: datafile.fileNumber,
                        path: path, tag: tag, checkpointSCN: checkpointSCN, checkpointTime: context.now,
                        creationSCN: datafile.creationSCN, deleted: false)
                    database.datafileCopies.append(copy)
                    session.output += [
                        "channel \(channel): starting datafile copy",
                        "input datafile file number=\(fileNumber(datafile.fileNumber)) name=\(datafile.path)",
                        "output file name=\(path) tag=\(tag) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                        "channel \(channel): datafile copy complete, elapsed time: 00:00:01",
                    ]
                }
            }
            session.output += finishes
            session.output.append("Finished backup at \(time(context))")
            context.database = database
        }
    }

    /// `recover copy of database with tag …`: merges level-1 pieces into the copies.
    static func recoverCopies(tag: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output += ["", "Starting recover at \(time(context))"]
            session.repositoryNotice()
            let channels = session.channels(parallelism: RMANConfiguration.parallelism(database))
            var finishes: [String] = []
            var index = 0
            for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
                guard
                    let copyIndex = database.datafileCopies.lastIndex(where: {
                        !$0.deleted && $0.tag == tag && $0.fileNumber == datafile.fileNumber
                    })
                else {
                    session.output.append("no copy of datafile \(datafile.fileNumber) found to recover")
                    continue
                }
                var copy = database.datafileCopies[copyIndex]
                let pieces = database.backupPieces.filter {
                    $0.kind == .incremental && $0.tag == tag && $0.fileNumber == datafile.fileNumber
                        && $0.status == "AVAILABLE"
                        && ($0.fromSCN ?? 0) <= copy.checkpointSCN && ($0.toSCN ?? 0) > copy.checkpointSCN
                }.sorted { ($0.toSCN ?? 0) < ($1.toSCN ?? 0) }
                for piece in pieces {
                    let channel = channels[index % channels.count]
                    index += 1
                    let contents = try BackupPieceFile.read(path: piece.handle)
                    let writes = (contents.body.blocks ?? [:]).compactMap { number, base64 in
                        Data(base64Encoded: base64).map { (number, $0) }
                    }
                    try DatafileImage.writeBlocks(path: copy.path, blocks: writes)
                    var header = try DatafileImage.readHeader(path: copy.path)
                    header.checkpointSCN = piece.toSCN ?? header.checkpointSCN
                    header.checkpointTime = piece.completionTime
                    try DatafileImage.writeHeader(path: copy.path, header: header)
                    copy.checkpointSCN = header.checkpointSCN
                    copy.checkpointTime = header.checkpointTime
                    session.output += [
                        "channel \(channel): starting incremental datafile backup set restore",
                        "channel \(channel): specifying datafile copies to recover",
                        "recovering datafile copy file number=\(fileNumber(datafile.fileNumber)) name=\(copy.path)",
                        "channel \(channel): reading from backup piece \(piece.handle)",
                    ]
                    finishes += [
                        "channel \(channel): piece handle=\(piece.handle) tag=\(tag)",
                        "channel \(channel): restored backup piece 1",
                        "channel \(channel): restore complete, elapsed time: 00:00:01",
                    ]
                }
                database.datafileCopies[copyIndex] = copy
            }
            session.output += finishes
            session.output.append("Finished recover at \(time(context))")
            try autobackup(&database, context: context, session: session)
            context.database = database
        }
    }

    /// Controlfile autobackup after a structural change, when configured.
    static func autobackup(_ database: inout DatabaseState, context: StatementContext, session: RMANSession) throws {
        guard RMANConfiguration.autobackupOn(database) else { return }
        let directory = RMANConfiguration.autobackupDirectory(database)
        let day = OracleTime.compactDay(context.now, context.zone)
        let sameDay = database.backupPieces.filter { $0.kind == .autobackup && $0.handle.contains("-\(day)-") }.count
        let handle = "\(directory)/c-\(database.dbid)-\(day)-" + String(format: "%02x", sameDay % 256)
        let piece = BackupPiece(
            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), handle: handle, tag: "TAG" + day,
            kind: .autobackup, fileNumber: nil, fromSCN: nil, toSCN: database.currentSCN, completionTime: context.now,
            status: "AVAILABLE")
        database.backupPieces.append(piece)
        try writeControlfilePiece(database, path: handle, kind: .autobackup, tag: piece.tag, now: context.now)
        session.output += [
            "", "Starting Control File and SPFILE Autobackup at \(time(context))",
            "piece handle=\(handle) comment=NONE",
            "Finished Control File and SPFILE Autobackup at \(time(context))",
        ]
    }

    static func writeControlfilePiece(
        _ database: DatabaseState, path: String, kind: BackupPieceKind, tag: String, now: Date
    ) throws {
        var snapshot = database
        snapshot.onlineRedo = []
        snapshot.controlfileBackupSCN = database.currentSCN
        snapshot.openMode = "MOUNTED"
        try BackupPieceFile.write(
            path: path,
            header: BackupPieceHeader(
                dbid: database.dbid, dbName: database.databaseNameUpper, kind: kind, tag: tag, fileNumber: nil,
                fromSCN: nil,
                toSCN: database.currentSCN, created: now),
            body: BackupPieceBody(blocks: nil, controlfile: snapshot, spfile: nil))
    }

    static func pieceListing(_ pieces: [BackupPiece]) -> [String] {
        var lines = [
            "", "List of Backup Pieces", "BP Key  BS Key  Pc# Cp# Status      Device Type Piece Name",
            "------- ------- --- --- ----------- ----------- ----------",
        ]
        for piece in pieces {
            lines.append(
                String(piece.recid).padding(toLength: 8, withPad: " ", startingAt: 0)
                    + String(piece.recid).padding(toLength: 8, withPad: " ", startingAt: 0) + "1   1   "
                    + piece.status.padding(toLength: 12, withPad: " ", startingAt: 0) + "DISK        " + piece.handle)
        }
        return lines
    }

    static func deleteBackupsets(tag: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let doomed = database.backupPieces.filter { $0.tag == tag && $0.kind != .autobackup }
            guard !doomed.isEmpty else {
                session.output.append("specification does not match any backup in the repository")
                return
            }
            session.output += pieceListing(doomed)
            for piece in doomed {
                try? FileManager.default.removeItem(atPath: piece.handle)
                session.output += [
                    "deleted backup piece",
                    "backup piece handle=\(piece.handle) RECID=\(piece.recid) STAMP=\(piece.stamp)",
                ]
            }
            let recids = Set(doomed.map(\.recid))
            database.backupPieces.removeAll { recids.contains($0.recid) }
            session.output += ["Deleted \(doomed.count) objects", ""]
            context.database = database
        }
    }

    static func deleteArchivedLogs(olderThanDays days: Double, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let limit = context.now.addingTimeInterval(-days * 86_400)
            let doomed = database.archivedLogs.filter { !$0.deleted && $0.nextTime < limit }
            guard !doomed.isEmpty else {
                session.output.append("specification does not match any archived log in the repository")
                return
            }
            session.output += [
                "List of Archived Log Copies for database with db_unique_name \(database.dbUniqueName.uppercased())",
                "=====================================================================", "",
                "Key     Thrd Seq     S Low Time", "------- ---- ------- - -------------------",
            ]
            for log in doomed {
                session.output.append(
                    String(log.recid).padding(toLength: 8, withPad: " ", startingAt: 0)
                        + String(log.thread).padding(toLength: 5, withPad: " ", startingAt: 0)
                        + String(log.sequence).padding(toLength: 8, withPad: " ", startingAt: 0) + "A "
                        + OracleTime.isoSeconds(log.firstTime, context.zone))
                session.output.append("        Name: \(log.path)")
                session.output.append("")
            }
            for log in doomed {
                try? FileManager.default.removeItem(atPath: log.path)
                session.output += [
                    "deleted archived log", "archived log file name=\(log.path) RECID=\(log.recid) STAMP=\(log.stamp)",
                ]
            }
            let recids = Set(doomed.map(\.recid))
            for index in database.archivedLogs.indices where recids.contains(database.archivedLogs[index].recid) {
                database.archivedLogs[index].deleted = true
            }
            session.output += ["Deleted \(doomed.count) objects", ""]
            context.database = database
        }
    }

    static func singlePieceBackup(
        _ database: inout DatabaseState, context: StatementContext, session: RMANSession, including: String,
        handle: String,
        tag: String, kind: BackupPieceKind
    ) throws {
        session.output.append("Starting backup at \(time(context))")
        session.repositoryNotice()
        let channel = session.channels(parallelism: RMANConfiguration.parallelism(database)).first ?? "ORA_DISK_1"
        if kind == .controlfile {
            try writeControlfilePiece(database, path: handle, kind: kind, tag: tag, now: context.now)
        } else {
            let spfile = database.parameters.compactMap { parameter in
                parameter.value.map { "*.\(parameter.name)='\($0)'" }
            }
            .joined(separator: "\n")
            try BackupPieceFile.write(
                path: handle,
                header: BackupPieceHeader(
                    dbid: database.dbid, dbName: database.databaseNameUpper, kind: kind, tag: tag, fileNumber: nil,
                    fromSCN: nil, toSCN: database.currentSCN, created: context.now),
                body: BackupPieceBody(blocks: nil, controlfile: nil, spfile: spfile))
        }
        let piece = BackupPiece(
            recid: database.takeRecid(), stamp: DatabaseEngine.stamp(context.now), handle: handle, tag: tag, kind: kind,
            fileNumber: nil, fromSCN: nil, toSCN: database.currentSCN, completionTime: context.now, status: "AVAILABLE")
        database.backupPieces.removeAll { $0.handle == handle }
        database.backupPieces.append(piece)
        session.output += [
            "channel \(channel): starting full datafile backup set",
            "channel \(channel): specifying datafile(s) in backup set", including,
            "channel \(channel): starting piece 1 at \(time(context))",
            "channel \(channel): finished piece 1 at \(time(context))",
            "piece handle=\(handle) tag=\(tag) comment=NONE",
            "channel \(channel): backup set complete, elapsed time: 00:00:01", "Finished backup at \(time(context))",
        ]
    }

    static func backupSpfile(tag: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output.append("")
            let handle = "\(RMANConfiguration.channelDirectory(database))/\(database.takeUniqueName())_1_1"
            try singlePieceBackup(
                &database, context: context, session: session, including: "including current SPFILE in backup set",
                handle: handle, tag: tag, kind: .spfile)
            context.database = database
        }
    }

    static func backupControlfile(path: String, reuse: Bool, tag: String, command: String, session: RMANSession) throws
    {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            if FileManager.default.fileExists(atPath: path) && !reuse {
                throw OracleError([
                    "ORA-19504: failed to create file \"\(path)\"", "ORA-27038: created file already exists",
                    "Additional information: 1",
                ])
            }
            session.output.append("")
            try singlePieceBackup(
                &database, context: context, session: session,
                including: "including current control file in backup set",
                handle: path, tag: tag, kind: .controlfile)
            try autobackup(&database, context: context, session: session)
            context.database = database
        }
    }

    static func deleteObsolete(days: Int, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output.append("")
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            let limit = context.now.addingTimeInterval(-Double(days) * 86_400)
            let autobackups = database.backupPieces.filter { $0.kind == .autobackup || $0.kind == .spfile }
            let newest = Set(
                [BackupPieceKind.autobackup, .spfile].compactMap { kind in
                    autobackups.filter { $0.kind == kind }.max { $0.completionTime < $1.completionTime }?.recid
                })
            let obsolete = autobackups.filter { $0.completionTime < limit && !newest.contains($0.recid) }
            guard !obsolete.isEmpty else {
                session.output.append("no obsolete backups found")
                return
            }
            session.output += [
                "RMAN retention policy will be applied to the command",
                "RMAN retention policy is set to recovery window of \(days) days",
                "Deleting the following obsolete backups and copies:",
                "Type                 Key    Completion Time    Filename/Handle",
                "-------------------- ------ ------------------ --------------------",
            ]
            for piece in obsolete {
                session.output.append(
                    "Backup Set           \(piece.recid)    \(OracleTime.isoSeconds(piece.completionTime, context.zone))"
                )
                session.output.append(
                    "  Backup Piece       \(piece.recid)    \(OracleTime.isoSeconds(piece.completionTime, context.zone)) \(piece.handle)"
                )
            }
            for piece in obsolete {
                try? FileManager.default.removeItem(atPath: piece.handle)
                session.output += [
                    "deleted backup piece",
                    "backup piece handle=\(piece.handle) RECID=\(piece.recid) STAMP=\(piece.stamp)",
                ]
            }
            let recids = Set(obsolete.map(\.recid))
            database.backupPieces.removeAll { recids.contains($0.recid) }
            session.output.append("Deleted \(obsolete.count) objects")
            context.database = database
        }
    }

    static func deleteDatafileCopy(path: String, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            guard let index = database.datafileCopies.firstIndex(where: { $0.path == path && !$0.deleted }) else {
                session.output.append("specification does not match any datafile copy in the repository")
                return
            }
            let copy = database.datafileCopies[index]
            try? FileManager.default.removeItem(atPath: copy.path)
            database.datafileCopies[index].deleted = true
            session.output += [
                "List of Datafile Copies", "=======================", "",
                "Key     File S Completion Time     Ckp SCN    Ckp Time           ",
                "------- ---- - ------------------- ---------- -------------------",
                "\(copy.recid)".padding(toLength: 8, withPad: " ", startingAt: 0)
                    + "\(copy.fileNumber)".padding(toLength: 5, withPad: " ", startingAt: 0)
                    + "\(copy.status ?? "A") \(OracleTime.isoSeconds(copy.checkpointTime, context.zone)) \(copy.checkpointSCN) \(OracleTime.isoSeconds(copy.checkpointTime, context.zone))",
                "        Name: \(copy.path)", "        Tag: \(copy.tag)", "",
                "deleted datafile copy", "datafile copy file name=\(copy.path) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                "Deleted 1 objects", "",
            ]
            context.database = database
        }
    }

    /// `crosscheck datafilecopy all`: a copy whose file is gone becomes EXPIRED (`X`), one that is back AVAILABLE.
    static func crosscheckDatafileCopies(command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.repositoryNotice()
            _ = session.channels(parallelism: RMANConfiguration.parallelism(database))
            var count = 0
            for index in database.datafileCopies.indices where !database.datafileCopies[index].deleted {
                let copy = database.datafileCopies[index]
                let present = FileManager.default.fileExists(atPath: copy.path)
                database.datafileCopies[index].status = present ? nil : "X"
                session.output += [
                    present ? "validation succeeded for datafile copy" : "validation failed for datafile copy",
                    "datafile copy file name=\(copy.path) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                ]
                count += 1
            }
            session.output.append("Crosschecked \(count) objects")
            context.database = database
        }
    }

    /// `backup force as copy archivelog sequence N thread T` on an explicitly allocated channel with a format.
    static func copyArchivedLog(sequence: Int, thread: Int, command: String, session: RMANSession) throws {
        try session.withTarget(command) { context in
            var database = try context.requireDatabase()
            session.output.append("Starting backup at \(time(context))")
            let channel = session.channels(parallelism: 1).first ?? "ORA_DISK_1"
            let format = session.blockChannels.first?.format
            guard
                let source = database.archivedLogs.first(where: {
                    !$0.deleted && $0.sequence == sequence && $0.thread == thread
                        && FileManager.default.fileExists(atPath: $0.path)
                })
            else {
                throw OracleError([
                    "RMAN-06059: expected archived log not found, loss of archived log compromises recoverability",
                    "ORA-19625: error identifying file for thread \(thread) sequence \(sequence)",
                ])
            }
            let directory =
                format.map { ($0 as NSString).deletingLastPathComponent }
                ?? RMANConfiguration.channelDirectory(database)
            let path =
                "\(directory)/arch_D-\(database.databaseNameUpper)_I-\(database.dbid)_SEQ-\(sequence)_TH-\(thread)_RA-\(database.resetlogsId)_\(database.takeUniqueName())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source.path, toPath: path)
            var copy = source
            copy.recid = database.takeRecid()
            copy.path = path
            copy.destinationId = 0
            database.archivedLogs.append(copy)
            session.output += [
                "channel \(channel): starting archived log copy",
                "input archived log thread=\(thread) sequence=\(sequence) RECID=\(source.recid) STAMP=\(source.stamp)",
                "output file name=\(path) RECID=\(copy.recid) STAMP=\(copy.stamp)",
                "channel \(channel): archived log copy complete, elapsed time: 00:00:01",
                "Finished backup at \(time(context))",
            ]
            context.database = database
        }
    }
}
