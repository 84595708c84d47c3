import Foundation

/// Options of `oracle-sim create-db`.
public struct DatabaseCreationOptions: Sendable {
    public var dbUniqueName: String
    public var dbName: String
    public var dbid: Int64
    public var version = "12.1.0.2.0"
    public var isCDB = false
    public var isEnterpriseEdition = true
    public var hostName = "dbhost"
    public var serviceNames: [String] = []
    public var oradataDirectory: String
    public var recoveryAreaDirectory: String
    public var blocksPerDatafile = 32
    public var recoveryAreaDestination = true
    public var blockChangeTracking = false
    public var catalog = false

    public init(
        dbUniqueName: String, dbName: String, dbid: Int64, oradataDirectory: String, recoveryAreaDirectory: String
    ) {
        self.dbUniqueName = dbUniqueName
        self.dbName = dbName
        self.dbid = dbid
        self.oradataDirectory = oradataDirectory
        self.recoveryAreaDirectory = recoveryAreaDirectory
    }
}

/// Everything that changes a database's contents: creation, transactions, log switches, datafile changes.
public enum DatabaseEngine {
    /// The table every workload transaction inserts into; `select max(createtime) from appdata.txlog` reads it.
    public static let workloadTable = SimulatedTable(
        owner: "APPDATA", name: "TXLOG", tablespace: "USERS", dateColumn: "CREATETIME")
    static let scnTimeMapTable = SimulatedTable(
        owner: "SYS", name: "SMON_SCN_TIME", tablespace: "SYSAUX", dateColumn: "TIME_DP")
    /// smon_scn_time gets a row at most this often (simulated seconds).
    static let scnTimeMapInterval: TimeInterval = 300

    static func omfName(_ directory: String, _ dbName: String, _ tablespace: String, _ unique: String) -> String {
        "\(directory)/\(dbName.uppercased())/datafile/o1_mf_\(tablespace.lowercased())_\(unique)_.dbf"
    }

    public static func create(_ options: DatabaseCreationOptions, now: Date) throws -> DatabaseState {
        let startSCN: Int64 = 790_000
        var state = DatabaseState(
            dbUniqueName: options.dbUniqueName, dbName: options.dbName, dbid: options.dbid, version: options.version,
            isCDB: options.isCDB, isEnterpriseEdition: options.isEnterpriseEdition, hostName: options.hostName,
            instanceName: options.dbName, serviceNames: options.serviceNames, incarnation: 2,
            resetlogsId: 905_000_000 + options.dbid % 1_000_000, resetlogsSCN: 1_594_143, currentSCN: startSCN,
            thread: 1, currentSequence: 1, currentLogFirstSCN: startSCN, currentLogFirstTime: now, onlineRedo: [],
            onlineLogGroups: 3, datafiles: [], archivedLogs: [], datafileCopies: [], backupPieces: [], parameters: [],
            rmanConfiguration: [:], blockChangeTrackingFile: nil, scheduler: SchedulerObjects(), corruptBlocks: [],
            nonloggedBlocks: [], tables: [scnTimeMapTable, workloadTable], oradataDirectory: options.oradataDirectory,
            recoveryAreaDirectory: options.recoveryAreaDirectory, nextRecid: 0, nextUniqueName: 0, nextTableRowId: 0,
            lastSCNTimeMapTime: now, openMode: "READ WRITE", requiresWallet: false, catalogRegistrations: [],
            autorestoreCatalog: nil, recoveredSCN: nil, controlfileBackupSCN: nil)
        // resetlogs id must stay below 2^31 like Oracle's.
        state.resetlogsId = 900_000_000 + abs(options.dbid) % 90_000_000
        state.currentSCN = startSCN
        let parameterDefaults: [(String, String?)] = [
            ("db_block_size", "8192"), ("compatible", options.version), ("db_files", "200"),
            ("undo_tablespace", "UNDOTBS1"), ("db_name", options.dbName), ("db_unique_name", options.dbUniqueName),
            ("enable_pluggable_database", options.isCDB ? "TRUE" : "FALSE"), ("common_user_prefix", "C##"),
            ("db_recovery_file_dest", options.recoveryAreaDirectory),
            ("db_create_file_dest", options.oradataDirectory),
        ]
        for (name, value) in parameterDefaults { state.setParameter(name, value) }
        for number in 1...9 {
            state.setParameter("log_archive_dest_\(number)", nil)
            state.setParameter("log_archive_dest_state_\(number)", "enable")
        }
        if options.recoveryAreaDestination {
            state.setParameter("log_archive_dest_1", "LOCATION=USE_DB_RECOVERY_FILE_DEST")
        }
        let tablespaces: [(String, Int)] = [
            ("SYSTEM", options.blocksPerDatafile), ("SYSAUX", options.blocksPerDatafile),
            ("UNDOTBS1", max(8, options.blocksPerDatafile / 2)), ("USERS", options.blocksPerDatafile * 2),
        ]
        for (index, (tablespace, blocks)) in tablespaces.enumerated() {
            let path = omfName(options.oradataDirectory, options.dbName, tablespace, state.takeUniqueName())
            let datafile = Datafile(
                fileNumber: index + 1, tablespace: tablespace, path: path, blockCount: blocks,
                creationSCN: Int64(index + 4), onlineStatus: tablespace == "SYSTEM" ? "SYSTEM" : "ONLINE")
            try DatafileImage.create(path: path, header: header(for: datafile, state: state, now: now))
            state.datafiles.append(datafile)
        }
        // smon_scn_time starts with the creation time (a map row, written directly: no redo yet).
        if let sysaux = state.datafiles.first(where: { $0.tablespace == "SYSAUX" }) {
            let payload = "ROW|\(scnTimeMapTable.qualifiedName)|\(startSCN)|\(Int64(now.timeIntervalSince1970))"
            try DatafileImage.writeBlocks(
                path: sysaux.path,
                blocks: [(1, DatafileImage.encodeBlock(number: 1, scn: startSCN, nonlogged: false, payload: payload))])
        }
        if options.blockChangeTracking && options.isEnterpriseEdition {
            try enableBlockChangeTracking(&state)
        }
        return state
    }

    static func header(for datafile: Datafile, state: DatabaseState, now: Date) -> DatafileHeader {
        DatafileHeader(
            dbid: state.dbid, dbName: state.databaseNameUpper, fileNumber: datafile.fileNumber,
            tablespace: datafile.tablespace, creationSCN: datafile.creationSCN, checkpointSCN: state.currentSCN,
            checkpointTime: now, blockCount: datafile.blockCount, resetlogsId: state.resetlogsId, tag: nil)
    }

    public static func enableBlockChangeTracking(_ state: inout DatabaseState) throws {
        let path =
            "\(state.oradataDirectory)/\(state.databaseNameUpper)/changetracking/o1_mf_\(state.takeUniqueName())_.chg"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("\(changeTrackingMagic)\nsince \(state.currentSCN)\n".utf8).write(to: URL(fileURLWithPath: path))
        state.blockChangeTrackingFile = path
    }

    static let changeTrackingMagic = "ORASIMBCT"

    /// Block change tracking: a block change appends `<file> <first block> <count> <scn>` to the tracking file, so
    /// an incremental backup reads only the blocks changed since its parent (as Oracle's bitmaps let it).
    static func trackChange(_ state: DatabaseState, fileNumber: Int, first: Int, count: Int, scn: Int64) {
        guard let path = state.blockChangeTrackingFile, let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data("\(fileNumber) \(first) \(count) \(scn)\n".utf8))
    }

    /// The blocks of datafile `fileNumber` changed after `scn`, from the change tracking file; nil when tracking is
    /// off, its file unreadable, or tracking began after `scn` (the backup then reads the whole file).
    public static func trackedChanges(_ state: DatabaseState, fileNumber: Int, after scn: Int64) -> [Int]? {
        guard let path = state.blockChangeTrackingFile,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        let lines = text.split(separator: "\n")
        guard lines.count >= 2, lines[0] == changeTrackingMagic, lines[1].hasPrefix("since "),
            let since = Int64(lines[1].dropFirst("since ".count)), since <= scn
        else { return nil }
        var blocks = Set<Int>()
        for line in lines.dropFirst(2) {
            let fields = line.split(separator: " ").compactMap { Int64($0) }
            guard fields.count == 4, fields[0] == Int64(fileNumber), fields[3] > scn, fields[2] > 0 else { continue }
            blocks.formUnion(Int(fields[1])..<Int(fields[1] + fields[2]))
        }
        return blocks.sorted()
    }

    // MARK: Transactions

    /// Commits one transaction: a row in `table` (default APPDATA.TXLOG) with createtime = `now`.
    public static func commitTransaction(_ state: inout DatabaseState, now: Date, table: SimulatedTable? = nil) throws {
        let target = table ?? workloadTable
        state.currentSCN += 1
        state.nextTableRowId += 1
        let rowId = state.nextTableRowId
        let payload = "ROW|\(target.qualifiedName)|\(rowId)|\(Int64(now.timeIntervalSince1970))"
        try writeLoggedRow(&state, tablespace: target.tablespace, rowId: rowId, payload: payload, now: now)
        if now.timeIntervalSince(state.lastSCNTimeMapTime) >= scnTimeMapInterval {
            state.lastSCNTimeMapTime = now
            let mapPayload =
                "ROW|\(scnTimeMapTable.qualifiedName)|\(state.currentSCN)|\(Int64(now.timeIntervalSince1970))"
            try writeLoggedRow(&state, tablespace: "SYSAUX", rowId: rowId, payload: mapPayload, now: now)
        }
    }

    static func writeLoggedRow(
        _ state: inout DatabaseState, tablespace: String, rowId: Int, payload: String, now: Date
    ) throws {
        guard let datafile = state.datafiles.last(where: { $0.tablespace == tablespace }) else {
            throw SimulatorError("no datafile in tablespace \(tablespace)")
        }
        // Logged rows go to the table's segment (a bounded run of the first three quarters); the last quarter is
        // for NOLOGGING loads.
        let segment = segment(of: datafile)
        let block = segment.lowerBound + rowId % segment.count
        let bytes = DatafileImage.encodeBlock(number: block, scn: state.currentSCN, nonlogged: false, payload: payload)
        try DatafileImage.writeBlocks(path: datafile.path, blocks: [(block, bytes)])
        trackChange(state, fileNumber: datafile.fileNumber, first: block, count: 1, scn: state.currentSCN)
        state.onlineRedo.append(
            RedoRecord(
                scn: state.currentSCN, time: now, kind: .blockChange, fileNumber: datafile.fileNumber, block: block,
                payload: payload, tablespace: nil, blockCount: nil))
    }

    // MARK: Segments

    /// At most this many blocks hold a table's rows: a scan reads them (like Oracle's full scan up to the segment's
    /// high-water mark), never the whole datafile, so its cost does not grow with the file.
    public static let segmentBlocks = 1024

    /// The blocks that hold logged rows of the tables in `datafile`: the first `segmentBlocks` blocks of its first
    /// three quarters.
    public static func segment(of datafile: Datafile) -> ClosedRange<Int> {
        1...min(segmentBlocks, max(1, datafile.blockCount * 3 / 4))
    }

    /// The blocks a NOLOGGING load writes: the start of the datafile's last quarter, at most `segmentBlocks` long.
    public static func nologgingRange(of datafile: Datafile) -> ClosedRange<Int> {
        let first = max(1, datafile.blockCount * 3 / 4) + 1
        return first...max(first, min(datafile.blockCount, first + segmentBlocks - 1))
    }

    /// The blocks a scan of `table` reads in `datafile`: the segment, and for the NOLOGGING-loaded table its range.
    static func scannedRanges(of table: SimulatedTable, in datafile: Datafile) -> [ClosedRange<Int>] {
        table.qualifiedName == nologgingTable
            ? [segment(of: datafile), nologgingRange(of: datafile)]
            : [segment(of: datafile)]
    }

    /// The table NOLOGGING loads fill.
    static let nologgingTable = "APPDATA.BULKLOAD"

    /// A NOLOGGING direct-path load into `APPDATA.BULKLOAD` (USERS): blocks change, redo only records the range.
    public static func nologgingLoad(_ state: inout DatabaseState, now: Date, blocks: Int) throws {
        guard let datafile = state.datafiles.last(where: { $0.tablespace == "USERS" }) else {
            throw SimulatorError("no USERS datafile")
        }
        state.currentSCN += 1
        let range = nologgingRange(of: datafile)
        let first = range.lowerBound
        let count = max(1, min(blocks, range.count))
        var writes: [(Int, Data)] = []
        for block in first..<(first + count) {
            let payload = "ROW|APPDATA.BULKLOAD|\(block)|\(Int64(now.timeIntervalSince1970))"
            writes.append(
                (
                    block,
                    DatafileImage.encodeBlock(number: block, scn: state.currentSCN, nonlogged: false, payload: payload)
                ))
        }
        try DatafileImage.writeBlocks(path: datafile.path, blocks: writes)
        trackChange(state, fileNumber: datafile.fileNumber, first: first, count: count, scn: state.currentSCN)
        state.onlineRedo.append(
            RedoRecord(
                scn: state.currentSCN, time: now, kind: .nologging, fileNumber: datafile.fileNumber, block: first,
                payload: "APPDATA.BULKLOAD", tablespace: nil, blockCount: count))
        if !state.tables.contains(where: { $0.name == "BULKLOAD" }) {
            state.tables.append(
                SimulatedTable(owner: "APPDATA", name: "BULKLOAD", tablespace: "USERS", dateColumn: "CREATETIME"))
        }
    }

    /// Adds a datafile to `tablespace` (a new tablespace if unknown).
    @discardableResult
    public static func addDatafile(_ state: inout DatabaseState, tablespace: String, blocks: Int, now: Date) throws
        -> Datafile
    {
        state.currentSCN += 1
        let number = (state.datafiles.map(\.fileNumber).max() ?? 0) + 1
        let datafile = Datafile(
            fileNumber: number, tablespace: tablespace.uppercased(),
            path: omfName(state.oradataDirectory, state.dbName, tablespace, state.takeUniqueName()), blockCount: blocks,
            creationSCN: state.currentSCN, onlineStatus: "ONLINE")
        var header = header(for: datafile, state: state, now: now)
        header.checkpointSCN = datafile.creationSCN
        try DatafileImage.create(path: datafile.path, header: header)
        state.datafiles.append(datafile)
        state.onlineRedo.append(
            RedoRecord(
                scn: state.currentSCN, time: now, kind: .addDatafile, fileNumber: number, block: 0, payload: "",
                tablespace: datafile.tablespace, blockCount: blocks))
        return datafile
    }

    /// Drops datafile `fileNumber` (its file is removed, as `including contents and datafiles` does).
    public static func dropDatafile(_ state: inout DatabaseState, fileNumber: Int, now: Date) throws {
        guard let index = state.datafiles.firstIndex(where: { $0.fileNumber == fileNumber }) else {
            throw SimulatorError("no datafile \(fileNumber)")
        }
        guard !["SYSTEM", "SYSAUX", "UNDOTBS1"].contains(state.datafiles[index].tablespace) else {
            throw SimulatorError("datafile \(fileNumber) belongs to a tablespace that cannot be dropped")
        }
        state.currentSCN += 1
        try? FileManager.default.removeItem(atPath: state.datafiles[index].path)
        state.datafiles.remove(at: index)
        state.onlineRedo.append(
            RedoRecord(
                scn: state.currentSCN, time: now, kind: .dropDatafile, fileNumber: fileNumber, block: 0, payload: "",
                tablespace: nil, blockCount: nil))
    }

    /// `alter database datafile <n> offline|online`: the status is kept in the controlfile, so a controlfile copy
    /// taken meanwhile (and a database restored from it) shows the file OFFLINE.
    public static func setDatafileOnline(_ state: inout DatabaseState, fileNumber: Int, online: Bool) throws {
        guard let index = state.datafiles.firstIndex(where: { $0.fileNumber == fileNumber }) else {
            throw SimulatorError("ORA-01516: nonexistent log file, data file, or temporary file \"\(fileNumber)\"")
        }
        guard state.datafiles[index].tablespace != "SYSTEM" else {
            throw SimulatorError("ORA-01541: system tablespace cannot be brought offline; shut down if necessary")
        }
        state.datafiles[index].onlineStatus = online ? "ONLINE" : "OFFLINE"
    }

    // MARK: Log switch

    /// `alter system archive log current`: writes the current log to every enabled destination.
    @discardableResult
    public static func archiveCurrentLog(_ state: inout DatabaseState, now: Date, zone: TimeZone) throws
        -> [ArchivedLog]
    {
        let header = ArchivedLogHeader(
            dbid: state.dbid, dbName: state.databaseNameUpper, thread: state.thread, sequence: state.currentSequence,
            resetlogsId: state.resetlogsId, firstSCN: state.currentLogFirstSCN, nextSCN: state.currentSCN + 1,
            firstTime: state.currentLogFirstTime, nextTime: now)
        var destinations = state.enabledArchiveDestinations()
        if destinations.isEmpty { destinations = [(1, state.recoveryAreaDirectory, true)] }
        var written: [ArchivedLog] = []
        for destination in destinations {
            let path: String
            if destination.isRecoveryArea {
                path =
                    "\(destination.directory)/\(state.databaseNameUpper)/archivelog/\(OracleTime.fraDay(now, zone))/o1_mf_\(state.thread)_\(state.currentSequence)_\(state.takeUniqueName())_.arc"
            } else {
                let directory =
                    destination.directory.hasSuffix("/")
                    ? String(destination.directory.dropLast()) : destination.directory
                path = "\(directory)/\(state.thread)_\(state.currentSequence)_\(state.resetlogsId).dbf"
                // An optional destination that fails is skipped: the switch goes on, v$archived_log has no row.
                if state.archiveFails(directory: destination.directory, path: path) { continue }
            }
            try ArchivedLogFile.write(path: path, header: header, records: state.onlineRedo)
            let record = ArchivedLog(
                recid: state.takeRecid(), stamp: stamp(now), path: path, destinationId: destination.id,
                thread: state.thread, sequence: state.currentSequence, resetlogsId: state.resetlogsId,
                firstSCN: header.firstSCN, nextSCN: header.nextSCN, firstTime: header.firstTime, nextTime: now,
                deleted: false)
            state.archivedLogs.append(record)
            written.append(record)
        }
        state.currentSequence += 1
        state.currentSCN += 1
        state.currentLogFirstSCN = state.currentSCN
        state.currentLogFirstTime = now
        state.onlineRedo = []
        return written
    }

    /// Oracle's RECID stamp: seconds since 1987-ish; only needs to grow.
    static func stamp(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970) - 547_000_000 }

    // MARK: Reads

    /// Errors a table scan can hit.
    public enum ScanError: Error, Sendable {
        case corruptBlock(fileNumber: Int, block: Int)
        case nologgingBlock(fileNumber: Int, block: Int)
        case missingDatafile(fileNumber: Int, path: String)
    }

    /// `max(<date column>)` of a simulated table, by scanning its tablespace's datafile blocks on disk.
    public static func maxDate(of table: SimulatedTable, in state: DatabaseState) throws(ScanError) -> Date? {
        try rowTimes(of: table, in: state).max().map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// `select count(*) from <table>`: a full scan, with the same errors as ``maxDate(of:in:)``.
    public static func rowCount(of table: SimulatedTable, in state: DatabaseState) throws(ScanError) -> Int {
        try rowTimes(of: table, in: state).count
    }

    /// The date column (epoch seconds) of every row of `table`, read block by block from the table's segment in
    /// each datafile of its tablespace (``scannedRanges(of:in:)``).
    static func rowTimes(of table: SimulatedTable, in state: DatabaseState) throws(ScanError) -> [Int64] {
        var times: [Int64] = []
        for datafile in state.datafiles where datafile.tablespace == table.tablespace {
            var blocks: [DataBlock] = []
            for range in scannedRanges(of: table, in: datafile) {
                guard let read = try? DatafileImage.readBlocks(path: datafile.path, range: range) else {
                    throw .missingDatafile(fileNumber: datafile.fileNumber, path: datafile.path)
                }
                blocks += read
            }
            for block in blocks {
                if !block.checksumValid {
                    throw .corruptBlock(fileNumber: datafile.fileNumber, block: block.number)
                }
                let fields = block.payload.split(separator: "|").map(String.init)
                if block.nonlogged {
                    if block.payload.contains(table.qualifiedName) {
                        throw .nologgingBlock(fileNumber: datafile.fileNumber, block: block.number)
                    }
                    continue
                }
                guard fields.count == 4, fields[0] == "ROW", fields[1] == table.qualifiedName,
                    let epoch = Int64(fields[3])
                else { continue }
                times.append(epoch)
            }
        }
        return times
    }
}
