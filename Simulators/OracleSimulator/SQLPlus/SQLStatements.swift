import Foundation

/// The SQL and PL/SQL the simulator understands: exactly the statements of our templates.
///
/// Queries are matched by their whole shape (see ``TextShape``); PL/SQL blocks by the distinctive calls they
/// make. Anything else fails with the ORA-/PLS- error Oracle would most plausibly give.
enum SQLStatements {
    static func execute(_ text: String, isPLSQL: Bool, context: StatementContext, settings: SQLPlusSettings) throws
        -> SQLOutcome
    {
        if isPLSQL { return try PLSQLBlocks.execute(text, context: context) }
        let shapes: [(String, ([String], StatementContext, SQLPlusSettings) throws -> SQLOutcome)] =
            [
                ("select instance_name, host_name, version, status, database_status from v$instance", instanceRow),
                ("select user from dual", { _, context, _ in .init(body: .rows([userName(context)], count: 1)) }),
                (
                    "select 'CURRENT DATABASE TIME: '||to_char(sysdate, 'yyyy-mm-dd hh24:mi:ss') from dual union all select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database union all select 'BCT FILE: '||filename from v$block_change_tracking",
                    currentTimeAndSCN
                ),
                (
                    "select 'BACKUP force as copy archivelog sequence '||sequence#||' thread '||thread#||';' from ( "
                        + ArchivelogCheck.missingSetShape + " ) order by thread#, sequence#",
                    missingArchivedLogs
                ),
                (
                    "select 'DELETECOPY: delete noprompt datafilecopy '''||c.name||''';' from v$datafile_copy c where c.tag = 'IMAGE_COPY_BACKUP' and c.deleted = 'NO' and not exists (select 1 from v$datafile d where d.file# = c.file# and d.creation_change# = c.creation_change#) order by c.file#",
                    expiredCopies
                ),
                (
                    "select user, sys_context('USERENV','DB_UNIQUE_NAME'), sys_context('USERENV','SERVER_HOST'), sys_context('USERENV','INSTANCE_NAME') from dual",
                    sessionContextRow
                ),
                ("select 'DATABASE IS REGISTERED IN RC' from rc_database where dbid = {}", registeredInCatalog),
                (
                    "select 'dbconfig-'||name||': '||value from v$parameter where name in ('db_name','undo_tablespace','compatible','db_block_size','db_files','enable_pluggable_database') union all select 'dbconfig-backup-finished: '||to_char(sysdate, 'yyyy-mm-dd hh24:mi:ss') from dual",
                    restoreParameters
                ),
                ("select * from v$block_change_tracking", changeTrackingRow),
                (
                    "select 'CURRENT DATABASE SCN: '||to_char(current_scn) from v$database union all select 'LAST ROW IN SCN TO TIME MAP: '||to_char(max(time_dp), 'yyyy-mm-dd hh24:mi:ss') from sys.smon_scn_time union all select 'MIN/MAX TIME FROM ARCHLOGS: '||to_char(min(first_time), 'yyyy-mm-dd hh24:mi:ss')||'-'||to_char(min(next_time), 'yyyy-mm-dd hh24:mi:ss') from v$archived_log where (select current_scn from v$database) between first_change# and next_change# union all select 'CUSTOM VERIFICATION TIME: '||to_char(({}), 'yyyy-mm-dd hh24:mi:ss') from dual",
                    verificationTimes
                ),
                ("select 'PRODUCTION DATAFILE: '||name from v$datafile order by file#", productionDatafiles),
                (
                    "select 'DATAFILE COPY: '||file#||' '||creation_change#||' '||name from v$datafile_copy where deleted = 'NO' and status = 'A' and tag = {} order by file#",
                    datafileCopyList
                ),
                ("select 'MARKER VALUE: '||({}) from dual", markerValue),
                (
                    "select 'DATAFILE STATUS: '||file_id||' '||online_status||' '||status||' '||file_name from dba_data_files where online_status not in ('SYSTEM','ONLINE') or status <> 'AVAILABLE' order by file_id",
                    datafileProblems
                ),
                (
                    "select 'CORRUPT BLOCK COUNT: '||count(*) from v$database_block_corruption where corruption_type <> 'NOLOGGING' union all select 'NONLOGGED BLOCK COUNT: '||count(*) from (select file#, block# from v$database_block_corruption where corruption_type = 'NOLOGGING' union select file#, block# from v$nonlogged_block)",
                    { try corruptionCounts($0, $1, $2, withNonloggedView: true) }
                ),
                (
                    "select 'CORRUPT BLOCK COUNT: '||count(*) from v$database_block_corruption where corruption_type <> 'NOLOGGING' union all select 'NONLOGGED BLOCK COUNT: '||count(*) from v$database_block_corruption where corruption_type = 'NOLOGGING'",
                    { try corruptionCounts($0, $1, $2, withNonloggedView: false) }
                ),
                (
                    "select 'CORRUPT BLOCK: '||file#||' '||block#||' '||blocks||' '||corruption_type from v$database_block_corruption where corruption_type <> 'NOLOGGING' order by file#, block#",
                    corruptBlockMarkers
                ),
                ("select * from v$database_block_corruption", corruptionTable),
                ("alter system archive log current", archiveLogCurrent),
                ("alter system set {}={} scope=both", setParameter),
                ("alter database open read only", openReadOnly),
                ("administer key management set keystore open identified by {}", Keystore.open),
                ("alter session set {}", { _, _, _ in .init(body: .message("Session altered.")) }),
                ("alter database rename file '{}' to '{}'", renameFile),
                ("alter database disable block change tracking", disableChangeTracking),
            ] + CatalogSchemaOperations.shapes + ReportQueries.shapes + BackupCheckQueries.shapes
            + DatafileMoves.shapes
        for (shape, handler) in shapes {
            if let captures = TextShape.match(text, shape) {
                return try handler(captures, context, settings)
            }
        }
        throw unknownStatementError(text)
    }

    /// The error Oracle would most plausibly give for a statement outside the simulated dialect.
    static func unknownStatementError(_ text: String) -> OracleError {
        let normalized = TextShape.normalize(text).lowercased()
        if normalized.hasPrefix("select") || normalized.hasPrefix("with") {
            return OracleError("ORA-00942: table or view does not exist")
        }
        if normalized.hasPrefix("alter system") || normalized.hasPrefix("alter database") {
            return OracleError("ORA-02065: illegal option for ALTER SYSTEM")
        }
        return OracleError("ORA-00900: invalid SQL statement")
    }

    static func userName(_ context: StatementContext) -> String {
        if case .database(_, let user) = context.target { return user }
        return "SYS"
    }

    // MARK: Backup-side queries

    static func instanceRow(_: [String], _ context: StatementContext, _ settings: SQLPlusSettings) throws -> SQLOutcome
    {
        let name: String
        let host: String
        let version: String
        let status: String
        if let instance = context.instance {
            name = instance.sid
            host = context.store.environment["ORACLE_SIM_HOSTNAME"] ?? "localhost"
            version = context.database?.version ?? instance.parameters["compatible"] ?? "12.1.0.2.0"
            status = instance.status
        } else {
            let database = try context.requireDatabase()
            name = database.instanceName
            host = database.hostName
            version = database.version
            status = "OPEN"
        }
        let columns = [
            TableColumn(heading: "INSTANCE_NAME", width: 16),
            TableColumn(heading: "HOST_NAME", width: settings.columnWidths["host_name"] ?? 64),
            TableColumn(heading: "VERSION", width: settings.columnWidths["version"] ?? 17),
            TableColumn(heading: "STATUS", width: 12), TableColumn(heading: "DATABASE_STATUS", width: 17),
        ]
        return SQLOutcome(body: .table(columns: columns, rows: [[name, host, version, status, "ACTIVE"]]))
    }

    static func currentTimeAndSCN(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let lines = [
            "CURRENT DATABASE TIME: " + OracleTime.isoSeconds(context.now, context.zone),
            "CURRENT DATABASE SCN: \(database.currentSCN)",
            "BCT FILE: " + (database.blockChangeTrackingFile ?? ""),
        ]
        return SQLOutcome(body: .rows(lines, count: 3))
    }

    static func missingArchivedLogs(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        let missing = ArchivelogCheck.missing(database, archiveDirectory: captures[0])
        let lines = missing.map { "BACKUP force as copy archivelog sequence \($0.sequence) thread \($0.thread);" }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    /// Copies of dropped or re-created datafiles, whatever their status (available, expired or unavailable).
    static func expiredCopies(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let current = Set(database.datafiles.map { "\($0.fileNumber)/\($0.creationSCN)" })
        let lines = database.datafileCopies
            .filter {
                !$0.deleted && $0.tag == "IMAGE_COPY_BACKUP" && !current.contains("\($0.fileNumber)/\($0.creationSCN)")
            }
            .sorted { $0.fileNumber < $1.fileNumber }
            .map { "DELETECOPY: delete noprompt datafilecopy '\($0.path)';" }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    /// `alter system set <parameter>=<value> scope=both` for a parameter v$parameter knows.
    static func setParameter(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        var database = try context.requireOpenDatabase()
        let name = captures[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard database.parameters.contains(where: { $0.name == name }) else {
            throw OracleError("ORA-02065: illegal option for ALTER SYSTEM")
        }
        database.setParameter(name, TextShape.unquote(captures[1]))
        context.database = database
        return SQLOutcome(body: .message("System altered."))
    }

    static func sessionContextRow(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let cells = [userName(context), database.dbUniqueName, database.hostName, database.instanceName]
        let columns = [30, 30, 30, 30].map { TableColumn(heading: "", width: $0) }
        let headed = zip(
            columns,
            [
                "USER", "SYS_CONTEXT('USERENV','DB_UNIQUE_NAME')", "SYS_CONTEXT('USERENV','SERVER_HOST')",
                "SYS_CONTEXT('USERENV','INSTANCE_NAME')",
            ]
        ).map {
            TableColumn(heading: String($0.1.prefix($0.0.width)), width: $0.0.width)
        }
        return SQLOutcome(body: .table(columns: headed, rows: [cells]))
    }

    static func registeredInCatalog(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        guard userName(context) != "SYS" else { throw OracleError("ORA-00942: table or view does not exist") }
        guard let dbid = Int64(captures[0].trimmingCharacters(in: .whitespaces)) else {
            throw OracleError("ORA-00904: invalid identifier")
        }
        let lines = database.catalogRegistrations.contains(dbid) ? ["DATABASE IS REGISTERED IN RC"] : []
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    static func restoreParameters(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        let wanted: Set<String> = [
            "db_name", "undo_tablespace", "compatible", "db_block_size", "db_files", "enable_pluggable_database",
        ]
        var lines: [String] = []
        for parameter in database.parameters where wanted.contains(parameter.name) {
            if parameter.name == "enable_pluggable_database" && database.version.hasPrefix("11") { continue }
            lines.append("dbconfig-\(parameter.name): \(parameter.value ?? "")")
        }
        lines.append("dbconfig-backup-finished: " + OracleTime.isoSeconds(context.now, context.zone))
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    static func archiveLogCurrent(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        guard var database = context.database, context.instance == nil else {
            throw OracleError("ORA-01109: database not open")
        }
        try DatabaseEngine.archiveCurrentLog(&database, now: context.now, zone: context.zone)
        context.database = database
        return SQLOutcome(body: .message("System altered."), elapsed: 0.06)
    }

    // MARK: Restore-side statements

    static func changeTrackingRow(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        if let file = database.blockChangeTrackingFile {
            return SQLOutcome(body: .rows(["ENABLED", file, "11599872", "0"], count: 1))
        }
        return SQLOutcome(body: .rows(["DISABLED", "", "", ""], count: 1))
    }

    static func renameFile(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        var database = try context.requireDatabase()
        guard context.instance?.status == "MOUNTED" || context.instance == nil else {
            throw OracleError("ORA-01507: database not mounted")
        }
        let (from, to) = (captures[0], captures[1])
        if database.blockChangeTrackingFile == from {
            database.blockChangeTrackingFile = to
        } else if let index = database.datafiles.firstIndex(where: { $0.path == from }) {
            guard FileManager.default.fileExists(atPath: to) else {
                throw OracleError([
                    "ORA-01511: error in renaming log/data files",
                    "ORA-01141: error renaming data file \(database.datafiles[index].fileNumber) - new file '\(to)' not found",
                ])
            }
            database.datafiles[index].path = to
        } else {
            throw OracleError([
                "ORA-01511: error in renaming log/data files",
                "ORA-01516: nonexistent log file, data file, or temporary file \"\(from)\"",
            ])
        }
        context.database = database
        return SQLOutcome(body: .message("Database altered."), elapsed: 0.13)
    }

    static func disableChangeTracking(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome
    {
        var database = try context.requireDatabase()
        database.blockChangeTrackingFile = nil
        context.database = database
        return SQLOutcome(body: .message("Database altered."))
    }

    static func openReadOnly(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        guard var instance = context.instance else {
            throw OracleError("ORA-01531: a database already open by the instance")
        }
        guard instance.status == "MOUNTED" else {
            if instance.status == "OPEN" { throw OracleError("ORA-01531: a database already open by the instance") }
            throw OracleError("ORA-01507: database not mounted")
        }
        let database = try context.requireDatabase()
        try Recovery.checkOpenable(database, instance: instance, environment: context.store.environment)
        instance.status = "OPEN"
        context.instance = instance
        var opened = database
        opened.openMode = "READ ONLY"
        context.database = opened
        return SQLOutcome(body: .message("Database altered."), elapsed: 1.57)
    }

    static func verificationTimes(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        let scn = database.currentSCN
        let mapTime = try scanMaxDate(DatabaseEngine.scnTimeMapTable, database, context)
        let covering = database.archivedLogs.filter { !$0.deleted && $0.firstSCN <= scn && scn <= $0.nextSCN }
        let minFirst = covering.map(\.firstTime).min()
        let minNext = covering.map(\.nextTime).min()
        let custom = try evaluateDateQuery(captures[0], database: database, context: context)
        func format(_ date: Date?) -> String { date.map { OracleTime.isoSeconds($0, context.zone) } ?? "" }
        let lines = [
            "CURRENT DATABASE SCN: \(scn)", "LAST ROW IN SCN TO TIME MAP: " + format(mapTime),
            "MIN/MAX TIME FROM ARCHLOGS: " + format(minFirst) + "-" + format(minNext),
            "CUSTOM VERIFICATION TIME: " + format(custom),
        ]
        return SQLOutcome(body: .rows(lines, count: 4), elapsed: 0.38)
    }

    /// Evaluates a `customverifydate` expression: `sysdate` or `select max(<date column>) from <table>`.
    static func evaluateDateQuery(_ expression: String, database: DatabaseState, context: StatementContext) throws
        -> Date?
    {
        let normalized = TextShape.normalize(expression)
        if normalized.lowercased() == "sysdate" { return context.now }
        guard
            let parts = TextShape.captures(
                #"^select\s+max\(\s*([a-z0-9_$#]+)\s*\)\s+from\s+([a-z0-9_$#.]+)$"#, in: normalized)
        else {
            throw OracleError("ORA-00936: missing expression")
        }
        let column = parts[0].uppercased()
        let table = try simulatedTable(parts[1], in: database)
        guard table.dateColumn == column else { throw OracleError("ORA-00904: \"\(column)\": invalid identifier") }
        return try scanMaxDate(table, database, context)
    }

    static func simulatedTable(_ name: String, in database: DatabaseState) throws -> SimulatedTable {
        let tableName = name.uppercased()
        guard
            let table = database.tables.first(where: {
                $0.qualifiedName == tableName || (!tableName.contains(".") && $0.name == tableName)
            })
        else { throw OracleError("ORA-00942: table or view does not exist") }
        return table
    }

    /// `markerquery` (the backup records its value, the restore compares): `select count(*) from <table>`, or any
    /// expression `customverifydate` accepts (a date, printed as the session's `yyyy-mm-dd hh24:mi:ss`).
    static func markerValue(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        let normalized = TextShape.normalize(captures[0])
        let value: String
        if let parts = TextShape.captures(#"^select\s+count\(\s*\*\s*\)\s+from\s+([a-z0-9_$#.]+)$"#, in: normalized) {
            let table = try simulatedTable(parts[0], in: database)
            try Keystore.requireOpen(for: table.tablespace, database, instance: context.instance)
            do {
                value = String(try DatabaseEngine.rowCount(of: table, in: database))
            } catch {
                throw scanFailure(error, database, context)
            }
        } else {
            value =
                try evaluateDateQuery(normalized, database: database, context: context)
                .map { OracleTime.isoSeconds($0, context.zone) } ?? ""
        }
        return SQLOutcome(body: .rows(["MARKER VALUE: \(value)"], count: 1), elapsed: 0.05)
    }

    /// A full scan of `table`: an encrypted tablespace needs the open keystore (ORA-28365), a bad block fails it.
    static func scanMaxDate(_ table: SimulatedTable, _ database: DatabaseState, _ context: StatementContext) throws
        -> Date?
    {
        try Keystore.requireOpen(for: table.tablespace, database, instance: context.instance)
        do {
            return try DatabaseEngine.maxDate(of: table, in: database)
        } catch {
            throw scanFailure(error, database, context)
        }
    }

    /// The ORA- errors a full scan meets on a bad block or a missing file. A corrupt block is recorded in
    /// `v$database_block_corruption` (as Oracle does for corruption a session meets), also though the statement fails.
    static func scanFailure(_ error: DatabaseEngine.ScanError, _ database: DatabaseState, _ context: StatementContext)
        -> OracleError
    {
        func path(_ number: Int) -> String { database.datafiles.first { $0.fileNumber == number }?.path ?? "" }
        switch error {
        case .corruptBlock(let file, let block):
            var recorded = database
            if !recorded.corruptBlocks.contains(where: { $0.fileNumber == file && $0.block == block }) {
                recorded.corruptBlocks.append(
                    CorruptBlockRange(
                        fileNumber: file, block: block, blocks: 1, corruptionChange: 0, corruptionType: "CHECKSUM"))
                context.database = recorded
                context.saveWhenFailing = true
            }
            return OracleError([
                "ORA-01578: ORACLE data block corrupted (file # \(file), block # \(block))",
                "ORA-01110: data file \(file): '\(path(file))'",
            ])
        case .nologgingBlock(let file, let block):
            return OracleError([
                "ORA-01578: ORACLE data block corrupted (file # \(file), block # \(block))",
                "ORA-01110: data file \(file): '\(path(file))'",
                "ORA-26040: Data block was loaded using the NOLOGGING option",
            ])
        case .missingDatafile(let file, let filePath):
            return OracleError([
                "ORA-01116: error in opening database file \(file)", "ORA-01110: data file \(file): '\(filePath)'",
                "ORA-27041: unable to open file",
            ])
        }
    }

    /// The datafile names the (restored) controlfile records: production paths until the switch to copies.
    static func productionDatafiles(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let lines = database.datafiles.sorted { $0.fileNumber < $1.fileNumber }.map {
            "PRODUCTION DATAFILE: \($0.path)"
        }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.02)
    }

    /// `v$datafile_copy` rows of one tag that are neither deleted nor unavailable/expired, by file number.
    static func datafileCopyList(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireDatabase()
        let tag = captures[0].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        let lines = database.datafileCopies
            .filter { !$0.deleted && ($0.status ?? "A") == "A" && $0.tag == tag }
            .sorted { ($0.fileNumber, $0.recid) < ($1.fileNumber, $1.recid) }
            .map { "DATAFILE COPY: \($0.fileNumber) \($0.creationSCN) \($0.path)" }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.02)
    }

    static func datafileProblems(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        var lines: [String] = []
        for datafile in database.datafiles.sorted(by: { $0.fileNumber < $1.fileNumber }) {
            let available = FileManager.default.fileExists(atPath: datafile.path)
            let status = available ? "AVAILABLE" : "INVALID"
            if !["SYSTEM", "ONLINE"].contains(datafile.onlineStatus) || !available {
                lines.append(
                    "DATAFILE STATUS: \(datafile.fileNumber) \(datafile.onlineStatus) \(status) \(datafile.path)")
            }
        }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.11)
    }

    static func corruptionRows(_ database: DatabaseState) -> [CorruptBlockRange] {
        var rows = database.corruptBlocks
        // Oracle 11g/12.1 list NOLOGGING blocks in v$database_block_corruption; 12.2+ only in v$nonlogged_block.
        if database.version.hasPrefix("11") || database.version.hasPrefix("12.1") {
            rows += database.nonloggedBlocks
        }
        return rows.sorted { ($0.fileNumber, $0.block) < ($1.fileNumber, $1.block) }
    }

    /// Corrupt ranges other than NOLOGGING, and NOLOGGING ranges from `v$database_block_corruption` (11g/12.1) and,
    /// when the statement reads it, `v$nonlogged_block` (12c and later: ORA-00942 on 11g).
    static func corruptionCounts(
        _: [String], _ context: StatementContext, _: SQLPlusSettings, withNonloggedView: Bool
    ) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        if withNonloggedView && database.version.hasPrefix("11") {
            throw OracleError("ORA-00942: table or view does not exist")
        }
        let rows = corruptionRows(database)
        var nonlogged = Set(rows.filter { $0.corruptionType == "NOLOGGING" }.map { [$0.fileNumber, $0.block] })
        if withNonloggedView { nonlogged.formUnion(database.nonloggedBlocks.map { [$0.fileNumber, $0.block] }) }
        let lines = [
            "CORRUPT BLOCK COUNT: \(rows.filter { $0.corruptionType != "NOLOGGING" }.count)",
            "NONLOGGED BLOCK COUNT: \(nonlogged.count)",
        ]
        return SQLOutcome(body: .rows(lines, count: 2))
    }

    static func corruptBlockMarkers(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let lines = corruptionRows(database).filter { $0.corruptionType != "NOLOGGING" }.map {
            "CORRUPT BLOCK: \($0.fileNumber) \($0.block) \($0.blocks) \($0.corruptionType)"
        }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    static func corruptionTable(_: [String], _ context: StatementContext, _ settings: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireDatabase()
        let columns = [
            TableColumn(heading: "FILE#", width: 10, rightAligned: true),
            TableColumn(heading: "BLOCK#", width: 10, rightAligned: true),
            TableColumn(heading: "BLOCKS", width: 10, rightAligned: true),
            TableColumn(heading: "CORRUPTION_CHANGE#", width: 18, rightAligned: true),
            TableColumn(heading: "CORRUPTION_TYPE", width: settings.columnWidths["corruption_type"] ?? 9),
            TableColumn(heading: "CON_ID", width: 10, rightAligned: true),
        ]
        let rows = corruptionRows(database).map {
            ["\($0.fileNumber)", "\($0.block)", "\($0.blocks)", "\($0.corruptionChange)", $0.corruptionType, "0"]
        }
        return SQLOutcome(body: .table(columns: columns, rows: rows), elapsed: 0.03)
    }
}

/// (thread#, sequence#) for set arithmetic.
struct ThreadSequence: Hashable, Comparable {
    var thread: Int
    var sequence: Int
    static func < (left: ThreadSequence, right: ThreadSequence) -> Bool {
        (left.thread, left.sequence) < (right.thread, right.sequence)
    }
}
