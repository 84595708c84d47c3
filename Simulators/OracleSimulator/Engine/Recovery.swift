import Foundation

/// Restore-side operations that read and write the real files of a clone.
enum Recovery {
    /// Reads a controlfile backup piece (or autobackup) and returns the controlfile it holds.
    static func controlfile(fromPiece path: String) throws -> DatabaseState {
        guard FileManager.default.fileExists(atPath: path) else {
            throw OracleError([
                "ORA-19505: failed to identify file \"\(path)\"", "ORA-27037: unable to obtain file status",
                "Linux-x86_64 Error: 2: No such file or directory", "Additional information: 7",
            ])
        }
        guard let piece = try? BackupPieceFile.read(path: path), let controlfile = piece.body.controlfile else {
            throw OracleError([
                "ORA-19870: error while restoring backup piece \(path)",
                "ORA-19608: \(path) is not a backup piece",
            ])
        }
        return controlfile
    }

    /// Files under a `catalog start with` prefix: a directory prefix (ending in `/`) is searched recursively,
    /// otherwise every file whose path starts with the prefix.
    static func files(matching prefix: String) -> [String] {
        let directory =
            prefix.hasSuffix("/") ? String(prefix.dropLast()) : (prefix as NSString).deletingLastPathComponent
        // Like RMAN, a directory reached through a symbolic link (a mount point that is a link) is searched too;
        // the enumerator would not descend into a link, so it walks the link's target and reports the given paths.
        let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: directory)) != nil
        let walked = isLink ? (directory as NSString).resolvingSymlinksInPath : directory
        guard let enumerator = FileManager.default.enumerator(atPath: walked) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            if path.hasPrefix(prefix) { result.append(path) }
        }
        return result.sorted()
    }

    /// Datafiles must be consistent with the recovered SCN before `open read only`.
    static func checkOpenable(_ database: DatabaseState, instance: InstanceRecord, environment: [String: String]) throws
    {
        _ = try checkRecoveredDatafiles(database, instance: instance, environment: environment) { datafile in
            OracleError([
                "ORA-01113: file \(datafile.fileNumber) needs media recovery",
                "ORA-01110: data file \(datafile.fileNumber): '\(datafile.path)'",
            ])
        }
    }

    /// Every datafile's header must be readable, of this database and checkpointed at the recovered SCN, and an
    /// encrypted database needs its wallet: what Oracle checks before an open. `notRecovered` is the error for a
    /// file behind (ORA-01113 for `open read only`, ORA-01194 for `open resetlogs`).
    /// - Returns: the datafiles with their headers, by file number.
    static func checkRecoveredDatafiles(
        _ database: DatabaseState, instance: InstanceRecord, environment: [String: String],
        notRecovered: (Datafile) -> OracleError
    ) throws -> [(Datafile, DatafileHeader)] {
        var headers: [(Datafile, DatafileHeader)] = []
        for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
            guard let header = try? DatafileImage.readHeader(path: datafile.path) else {
                throw OracleError([
                    "ORA-01157: cannot identify/lock data file \(datafile.fileNumber) - see DBWR trace file",
                    "ORA-01110: data file \(datafile.fileNumber): '\(datafile.path)'",
                ])
            }
            guard header.dbid == database.dbid else {
                throw OracleError([
                    "ORA-01122: database file \(datafile.fileNumber) failed verification check",
                    "ORA-01110: data file \(datafile.fileNumber): '\(datafile.path)'",
                    "ORA-01206: file is not part of this database - wrong database id",
                ])
            }
            guard let recovered = database.recoveredSCN, header.checkpointSCN == recovered else {
                throw notRecovered(datafile)
            }
            headers.append((datafile, header))
        }
        if database.requiresWallet {
            let walletRoot = instance.parameters["wallet_root"] ?? environment["ORACLE_SIM_WALLET"]
            let open = walletRoot.map { FileManager.default.fileExists(atPath: $0 + "/ewallet.p12") } ?? false
            if !open { throw OracleError("ORA-28365: wallet is not open") }
        }
        return headers
    }

    /// One applied archived log, for RMAN's output.
    struct AppliedLog {
        var sequence: Int
        var thread: Int
        var path: String
    }

    /// Result of media recovery.
    struct RecoveryResult {
        var applied: [AppliedLog]
        var createdDatafiles: [(Int, String)]
        /// Complete recovery (no until time) that applied every archived log it found and then needed one it does
        /// not know: the applied redo stays applied, and RMAN reports this log (RMAN-06054).
        var unknownLog: (sequence: Int, scn: Int64)? = nil
    }

    /// Applies redo from the cataloged archived logs to the datafiles until `untilTime`.
    ///
    /// Fails like RMAN (RMAN-06054) when the next log needed is not known to the controlfile or missing on disk.
    static func recover(
        _ database: inout DatabaseState, untilTime: Date?, newFileDirectory: String?, now: Date
    ) throws -> RecoveryResult {
        var checkpoints: [Int: Int64] = [:]
        for datafile in database.datafiles {
            guard let header = try? DatafileImage.readHeader(path: datafile.path) else {
                throw OracleError([
                    "RMAN-06094: datafile \(datafile.fileNumber) must be restored"
                ])
            }
            checkpoints[datafile.fileNumber] = header.checkpointSCN
        }
        if let untilTime {
            // A datafile checkpointed after the target cannot be taken back in time.
            for datafile in database.datafiles {
                let header = try DatafileImage.readHeader(path: datafile.path)
                if header.checkpointTime > untilTime {
                    throw OracleError(
                        "RMAN-06556: datafile \(datafile.fileNumber) must be restored from backup older than SCN \(header.checkpointSCN)"
                    )
                }
            }
        }
        let startSCN = checkpoints.values.min() ?? database.currentSCN
        let logs = database.archivedLogs.filter { !$0.deleted && $0.thread == database.thread }
        var bySequence: [Int: ArchivedLog] = [:]
        for log in logs where FileManager.default.fileExists(atPath: log.path) {
            if bySequence[log.sequence] == nil { bySequence[log.sequence] = log }
        }
        // The first log needed is the one containing the oldest checkpoint SCN.
        var sequence: Int
        if let first = bySequence.values.filter({ $0.firstSCN <= startSCN && startSCN < $0.nextSCN }).min(by: {
            $0.sequence < $1.sequence
        }) {
            sequence = first.sequence
        } else {
            let before = logs.filter { $0.nextSCN <= startSCN }.map(\.sequence).max()
            sequence = (before ?? (database.currentSequence - 1)) + 1
            throw requestingUnknownLog(thread: database.thread, sequence: sequence, scn: startSCN)
        }
        var applied: [AppliedLog] = []
        var created: [(Int, String)] = []
        var reachedSCN = startSCN
        var unknownLog: (sequence: Int, scn: Int64)?
        while true {
            guard let log = bySequence[sequence] else {
                if untilTime == nil && !applied.isEmpty {
                    unknownLog = (sequence, reachedSCN + 1)
                    break
                }
                throw requestingUnknownLog(thread: database.thread, sequence: sequence, scn: reachedSCN + 1)
            }
            let contents: (header: ArchivedLogHeader, records: [RedoRecord])
            do {
                contents = try ArchivedLogFile.read(path: log.path)
            } catch {
                throw OracleError([
                    "ORA-00310: archived log contains sequence \(sequence); sequence \(sequence) required",
                    "ORA-00334: archived log: '\(log.path)'",
                ])
            }
            guard contents.header.dbid == database.dbid else {
                throw OracleError(["ORA-19906: recovery target incarnation changed during recovery"])
            }
            applied.append(AppliedLog(sequence: sequence, thread: log.thread, path: log.path))
            var reachedTarget = false
            for record in contents.records {
                if let untilTime, record.time > untilTime {
                    reachedTarget = true
                    break
                }
                try apply(
                    record, to: &database, checkpoints: &checkpoints, newFileDirectory: newFileDirectory,
                    created: &created, now: now)
                reachedSCN = max(reachedSCN, record.scn)
            }
            if let untilTime, reachedTarget || log.nextTime > untilTime {
                break
            }
            reachedSCN = max(reachedSCN, log.nextSCN - 1)
            sequence += 1
        }
        // Every datafile is now consistent at the reached SCN.
        for datafile in database.datafiles {
            var header = try DatafileImage.readHeader(path: datafile.path)
            header.checkpointSCN = reachedSCN
            header.checkpointTime = untilTime ?? now
            try DatafileImage.writeHeader(path: datafile.path, header: header)
        }
        database.recoveredSCN = reachedSCN
        database.currentSCN = reachedSCN
        return RecoveryResult(applied: applied, createdDatafiles: created, unknownLog: unknownLog)
    }

    static func requestingUnknownLog(thread: Int, sequence: Int, scn: Int64) -> OracleError {
        OracleError(
            "RMAN-06054: media recovery requesting unknown archived log for thread \(thread) with sequence \(sequence) and starting SCN of \(scn)"
        )
    }

    static func apply(
        _ record: RedoRecord, to database: inout DatabaseState, checkpoints: inout [Int: Int64],
        newFileDirectory: String?,
        created: inout [(Int, String)], now: Date
    ) throws {
        switch record.kind {
        case .addDatafile:
            guard !database.datafiles.contains(where: { $0.fileNumber == record.fileNumber }) else { return }
            let directory = newFileDirectory ?? database.parameter("db_create_file_dest") ?? database.oradataDirectory
            let path = DatabaseEngine.omfName(
                directory, database.dbName, record.tablespace ?? "USERS", database.takeUniqueName())
            let datafile = Datafile(
                fileNumber: record.fileNumber, tablespace: record.tablespace ?? "USERS", path: path,
                blockCount: record.blockCount ?? 16, creationSCN: record.scn, onlineStatus: "ONLINE")
            var header = DatabaseEngine.header(for: datafile, state: database, now: now)
            header.checkpointSCN = record.scn
            try DatafileImage.create(path: path, header: header)
            database.datafiles.append(datafile)
            checkpoints[record.fileNumber] = record.scn
            created.append((record.fileNumber, path))
        case .dropDatafile:
            database.datafiles.removeAll { $0.fileNumber == record.fileNumber }
            checkpoints.removeValue(forKey: record.fileNumber)
        case .blockChange, .nologging:
            guard let checkpoint = checkpoints[record.fileNumber], record.scn > checkpoint,
                let datafile = database.datafiles.first(where: { $0.fileNumber == record.fileNumber })
            else { return }
            if record.kind == .blockChange {
                let bytes = DatafileImage.encodeBlock(
                    number: record.block, scn: record.scn, nonlogged: false, payload: record.payload)
                try DatafileImage.writeBlocks(path: datafile.path, blocks: [(record.block, bytes)])
            } else {
                let count = record.blockCount ?? 1
                let writes = (record.block..<(record.block + count)).map {
                    (
                        $0,
                        DatafileImage.encodeBlock(
                            number: $0, scn: record.scn, nonlogged: true, payload: "NOLOGGING|" + record.payload)
                    )
                }
                try DatafileImage.writeBlocks(path: datafile.path, blocks: writes)
                database.nonloggedBlocks.removeAll { $0.fileNumber == record.fileNumber && $0.block == record.block }
                database.nonloggedBlocks.append(
                    CorruptBlockRange(
                        fileNumber: record.fileNumber, block: record.block, blocks: count, corruptionChange: record.scn,
                        corruptionType: "NOLOGGING"))
            }
        }
    }

    /// `backup validate check logical database`: per-file block checks.
    struct ValidationResult {
        var fileNumber: Int
        var path: String
        var examined: Int
        var empty: Int
        var corrupt: [Int]
        var highSCN: Int64
        var dataBlocks: Int
    }

    static func validate(_ database: DatabaseState) throws -> [ValidationResult] {
        var results: [ValidationResult] = []
        for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
            // Every block is read (validate's cost is the file's size), counted as it streams by.
            var result = ValidationResult(
                fileNumber: datafile.fileNumber, path: datafile.path, examined: 0, empty: 0, corrupt: [], highSCN: 0,
                dataBlocks: 0)
            do {
                try DatafileImage.forEachBlock(path: datafile.path, in: nil) { block in
                    result.examined += 1
                    guard block.checksumValid else {
                        result.corrupt.append(block.number)
                        return
                    }
                    if block.payload.isEmpty { result.empty += 1 } else { result.dataBlocks += 1 }
                    result.highSCN = max(result.highSCN, block.scn)
                }
            } catch {
                throw OracleError([
                    "ORA-19625: error identifying file \(datafile.path)", "ORA-27037: unable to obtain file status",
                    "Linux-x86_64 Error: 2: No such file or directory",
                ])
            }
            results.append(result)
        }
        return results
    }
}
