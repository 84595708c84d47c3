import Foundation

/// The autorestore results catalog: the original's `createcatalog` DDL and `insertlog`, our additions
/// (`restoreaction_detail`, `backupaction`), the object listing and the reads of `restoretemplate.cfg`, all answered
/// from the rows stored in the catalog database's state.
enum CatalogSchemaOperations {
    typealias Handler = ([String], StatementContext, SQLPlusSettings) throws -> SQLOutcome

    static let restoreActionDDL =
        "create table restoreaction (id number not null primary key, db_unique_name varchar2(100) not null, start_time date not null, finish_time date not null, success number(1) check (success in (0,1)), logfile varchar2(500), logfilecontents clob, verificationtimediffseconds number, snapid varchar2(200), restore_target date, validated_corruption number(1) check (validated_corruption in (0,1)), unique (db_unique_name, start_time, success)) pctfree 0"
    static let restoreDetailDDL =
        "create table restoreaction_detail (id number not null primary key references restoreaction (id) on delete cascade, failure_reason varchar2(100), failure_detail varchar2(4000), restore_target_name varchar2(500), verified_time date, time_difference_seconds number, corrupt_blocks number, phase_seconds varchar2(4000))"
    static let backupActionDDL =
        "create table backupaction (id number not null primary key, db_unique_name varchar2(100) not null, action varchar2(30) not null, start_time date not null, finish_time date not null, success number(1) not null check (success in (0,1)), snapid varchar2(200), failure_detail varchar2(4000)) pctfree 0"

    /// SQL statements (not PL/SQL) of the catalog templates.
    static var shapes: [(String, Handler)] {
        let creations: [(String, String, String, String?)] = [
            ("create sequence restoreaction_seq", "RESTOREACTION_SEQ", "Sequence", nil),
            ("create sequence backupaction_seq", "BACKUPACTION_SEQ", "Sequence", nil),
            (restoreActionDDL, "RESTOREACTION", "Table", nil),
            (
                "create table restorelob (logfile varchar2(200) primary key, loglob clob) organization index",
                "RESTORELOB", "Table", nil
            ),
            (restoreDetailDDL, "RESTOREACTION_DETAIL", "Table", "RESTOREACTION"),
            (backupActionDDL, "BACKUPACTION", "Table", nil),
        ]
        var result: [(String, Handler)] = creations.map { shape, name, kind, references in
            let handler: Handler = { _, context, _ in try create(name, kind, context, references: references) }
            return (shape, handler)
        }
        let listed: Handler = { _, _, _ in SQLOutcome(body: .rows(["CATALOG OBJECTS LISTED"], count: 1)) }
        let verifiedListed: Handler = { _, _, _ in SQLOutcome(body: .rows(["VERIFIED SNAPSHOTS LISTED"], count: 1)) }
        result += [
            (
                "select 'CATALOG OBJECT: '||object_type||' '||object_name from user_objects where object_name in ({}) order by object_name",
                listObjects
            ),
            ("select 'CATALOG OBJECTS LISTED' from dual", listed),
            (
                "select 'VERIFIED SNAPSHOT: '||rawtohex(utl_i18n.string_to_raw(r.snapid, 'AL32UTF8')) from restoreaction r where r.db_unique_name = '{}' and r.snapid is not null and r.success = 1 and not exists (select 1 from restoreaction n where n.db_unique_name = r.db_unique_name and n.snapid = r.snapid and (n.start_time > r.start_time or (n.start_time = r.start_time and n.id > r.id))) order by r.snapid",
                verifiedSnapshots
            ),
            ("select 'VERIFIED SNAPSHOTS LISTED' from dual", verifiedListed),
        ]
        return result
    }

    /// The PL/SQL blocks of the catalog templates, or nil for another block.
    static func block(_ text: String, context: StatementContext) throws -> SQLOutcome? {
        let lower = text.lowercased()
        if lower.contains("'restoreaction row: '") { return try listRestores(text, context: context) }
        if lower.contains("'backupaction row: '") { return try listBackups(text, context: context) }
        if lower.contains("insert into restoreaction (") { return try insertResult(text, context: context) }
        if lower.contains("insert into backupaction (") { return try insertBackup(text, context: context) }
        return nil
    }

    // MARK: Objects

    static func owner(_ context: StatementContext) -> String { SQLStatements.userName(context).uppercased() }

    /// `create sequence|table`: ORA-00955 when the name is taken, ORA-00942 when a referenced table is missing.
    static func create(_ name: String, _ kind: String, _ context: StatementContext, references: String? = nil) throws
        -> SQLOutcome
    {
        var database = try context.requireOpenDatabase()
        var schema = database.autorestoreCatalog ?? AutorestoreCatalogSchema()
        guard !schema.has(name) else { throw OracleError("ORA-00955: name is already used by an existing object") }
        if let references, !schema.has(references) {
            throw OracleError("ORA-00942: table or view does not exist")
        }
        schema.objects = (schema.objects ?? AutorestoreCatalogSchema.originalObjects) + [name]
        database.autorestoreCatalog = schema
        context.database = database
        return SQLOutcome(body: .message("\(kind) created."))
    }

    /// Whether the catalog object `name` exists: tables and sequences in the schema, jobs in the scheduler.
    static func exists(_ name: String, type: String, in database: DatabaseState) -> Bool {
        if type == "JOB" {
            if name == "LOG_RETENTION", database.autorestoreCatalog?.retentionJobEnabled == true { return true }
            return database.scheduler.jobs.keys.contains { $0 == name || $0.hasSuffix("." + name) }
        }
        return database.autorestoreCatalog?.has(name) ?? false
    }

    /// `catalogobjects`: the `user_objects` rows of the named catalog objects.
    static func listObjects(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        let wanted = Set(captures[0].split(separator: ",").map { TextShape.unquote(String($0)).uppercased() })
        let lines = AutorestoreCatalogSchema.objectTypes.filter {
            wanted.contains($0.key) && exists($0.key, type: $0.value, in: database)
        }
        .sorted { $0.key < $1.key }.map { "CATALOG OBJECT: \($0.value) \($0.key)" }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    // MARK: Values

    /// A value of an INSERT's VALUES list.
    enum Value: Equatable {
        case null
        case number(Int)
        case text(String)
        case date(Date)
        case nextValue(String)
        case newID

        var text: String? {
            if case .text(let value) = self { return value.isEmpty ? nil : value }
            return nil
        }
        var number: Int? {
            if case .number(let value) = self { return value }
            return nil
        }
        var date: Date? {
            if case .date(let value) = self { return value }
            return nil
        }
    }

    /// Splits `text` at top-level commas (outside quotes and parentheses).
    static func topLevelItems(_ text: Substring) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        var inQuote = false
        for character in text {
            if character == "'" { inQuote.toggle() }
            if !inQuote {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                if character == "," && depth == 0 {
                    items.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                    current = ""
                    continue
                }
            }
            current.append(character)
        }
        items.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
        return items
    }

    /// The text inside the parentheses that open at `start` (which must be `(`), and the index after them.
    static func parenthesized(_ text: String, from start: String.Index) -> (Substring, String.Index)? {
        var depth = 0
        var inQuote = false
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if character == "'" { inQuote.toggle() }
            if !inQuote {
                if character == "(" { depth += 1 }
                if character == ")" {
                    depth -= 1
                    if depth == 0 { return (text[text.index(after: start)..<index], text.index(after: index)) }
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// `insert into <table> (<columns>) values (<values>)` in `text`: column name → value.
    static func insertedValues(table: String, in text: String, zone: TimeZone) throws -> [String: Value] {
        let missingComma = OracleError(["ORA-06550: line 4, column 1:", "PL/SQL: ORA-00917: missing comma"])
        guard let intoRange = text.range(of: "insert into \(table) (", options: .caseInsensitive),
            let (columnText, afterColumns) = parenthesized(text, from: text.index(before: intoRange.upperBound))
        else { throw missingComma }
        let rest = text[afterColumns...]
        guard let valuesRange = rest.range(of: #"^\s*values\s*\("#, options: [.regularExpression, .caseInsensitive]),
            let (valueText, _) = parenthesized(text, from: text.index(before: valuesRange.upperBound))
        else { throw missingComma }
        let columns = topLevelItems(columnText).map { $0.lowercased() }
        let values = topLevelItems(valueText)
        guard columns.count == values.count else {
            throw OracleError([
                "ORA-06550: line 4, column 1:",
                "PL/SQL: ORA-\(columns.count > values.count ? "00947: not enough values" : "00913: too many values")",
            ])
        }
        var result: [String: Value] = [:]
        for (column, value) in zip(columns, values) { result[column] = try evaluate(value, zone: zone) }
        return result
    }

    /// One value expression as our templates write them.
    static func evaluate(_ expression: String, zone: TimeZone) throws -> Value {
        let text = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        if lower == "null" { return .null }
        if lower == "new_id" { return .newID }
        if let sequence = TextShape.capture(#"^([a-z_]+)\.nextval$"#, in: lower) { return .nextValue(sequence) }
        if let number = Int(text) { return .number(number) }
        if text.hasPrefix("'") && text.hasSuffix("'") && text.count >= 2 { return .text(TextShape.unquote(text)) }
        if let parts = TextShape.captures(#"^to_date\s*\(\s*'(.*)'\s*,\s*'yyyy-mm-dd hh24:mi:ss'\s*\)$"#, in: text) {
            let literal = parts[0].replacingOccurrences(of: "''", with: "'")
            if literal.isEmpty { return .null }
            guard let date = OracleTime.parseISOSeconds(literal, zone) else {
                throw OracleError("ORA-01861: literal does not match format string")
            }
            return .date(date)
        }
        if let hex = TextShape.capture(
            #"^utl_i18n\.raw_to_char\s*\(\s*hextoraw\s*\((.*)\)\s*,\s*'AL32UTF8'\s*\)$"#, in: text)
        {
            var digits = ""
            for piece in hex.components(separatedBy: "||") {
                let literal = piece.trimmingCharacters(in: .whitespacesAndNewlines)
                guard literal.hasPrefix("'"), literal.hasSuffix("'") else {
                    throw OracleError("ORA-01465: invalid hex number")
                }
                digits += literal.dropFirst().dropLast()
            }
            guard let bytes = hexBytes(digits) else { throw OracleError("ORA-01465: invalid hex number") }
            return bytes.isEmpty ? .null : .text(String(decoding: bytes, as: UTF8.self))
        }
        throw OracleError([
            "ORA-06550: line 4, column 1:",
            "PLS-00201: identifier '\(text.prefix(30).uppercased())' must be declared",
        ])
    }

    static func hexBytes(_ digits: String) -> [UInt8]? {
        let characters = Array(digits.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = hexDigit(characters[index]), let low = hexDigit(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func hexDigit(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `rawtohex(utl_i18n.string_to_raw(x, 'AL32UTF8'))`: upper-case hex of the UTF-8 bytes; NULL prints nothing.
    static func hex(_ text: String?) -> String {
        (text ?? "").utf8.map { String(format: "%02X", $0) }.joined()
    }

    /// ORA-12899 for a VARCHAR2 value longer (in bytes) than its column.
    static func checkLength(_ value: String?, table: String, column: String, maximum: Int, owner: String) throws {
        guard let value, value.utf8.count > maximum else { return }
        throw OracleError(
            "ORA-12899: value too large for column \"\(owner)\".\"\(table)\".\"\(column)\" (actual: \(value.utf8.count), maximum: \(maximum))"
        )
    }

    static func notNull(_ value: Value?, table: String, column: String, owner: String) throws {
        if value == nil || value == .null || value?.text == nil && value?.number == nil && value?.date == nil {
            throw OracleError("ORA-01400: cannot insert NULL into (\"\(owner)\".\"\(table)\".\"\(column)\")")
        }
    }

    static func compileError(_ lines: String...) -> OracleError {
        OracleError(lines.flatMap { ["ORA-06550: line 6, column 1:", "PL/SQL: \($0)"] })
    }

    // MARK: Writes

    /// `insertlog` (with or without our `insertlogdetail`): one restoreaction row, its log from restorelob, and its
    /// restoreaction_detail row, all or nothing.
    static func insertResult(_ text: String, context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        let owner = owner(context)
        guard var schema = database.autorestoreCatalog, schema.has("RESTOREACTION") else {
            throw OracleError([
                "ORA-06550: line 2, column 8:", "PLS-00201: identifier 'RESTOREACTION.ID' must be declared",
            ])
        }
        let lower = text.lowercased()
        let withDetail = lower.contains("insert into restoreaction_detail (")
        guard schema.has("RESTOREACTION_SEQ") else { throw compileError("ORA-02289: sequence does not exist") }
        if lower.contains("from restorelob"), !schema.has("RESTORELOB") {
            throw compileError("ORA-00942: table or view does not exist")
        }
        if withDetail, !schema.has("RESTOREACTION_DETAIL") {
            throw compileError("ORA-00942: table or view does not exist")
        }
        let values = try insertedValues(table: "restoreaction", in: text, zone: context.zone)
        let table = "RESTOREACTION"
        for column in ["db_unique_name", "start_time", "finish_time"] {
            try notNull(values[column], table: table, column: column.uppercased(), owner: owner)
        }
        try checkLength(
            values["db_unique_name"]?.text, table: table, column: "DB_UNIQUE_NAME", maximum: 100, owner: owner)
        try checkLength(values["logfile"]?.text, table: table, column: "LOGFILE", maximum: 500, owner: owner)
        try checkLength(values["snapid"]?.text, table: table, column: "SNAPID", maximum: 200, owner: owner)
        let success = values["success"]?.number
        let validated = values["validated_corruption"]?.number
        guard success.map({ [0, 1].contains($0) }) ?? true, validated.map({ [0, 1].contains($0) }) ?? true else {
            throw OracleError("ORA-02290: check constraint (\(owner).SYS_C0011521) violated")
        }
        // The update reads restorelob by the same literal the insert wrote (insertlog's `where logfile = '…'`).
        let lobKey = TextShape.captures(#"from restorelob where logfile = '((?:[^']|'')*)'"#, in: text)?.first
            .map { $0.replacingOccurrences(of: "''", with: "'") }
        let row = RestoreActionRow(
            id: schema.sequence + 1, dbUniqueName: values["db_unique_name"]?.text ?? "",
            startTime: values["start_time"]?.date ?? Date(), finishTime: values["finish_time"]?.date ?? Date(),
            success: success ?? 0, logfile: values["logfile"]?.text ?? "",
            logfileContents: lobKey.flatMap { schema.lobs[$0] },
            verificationTimeDiffSeconds: values["verificationtimediffseconds"]?.number,
            snapId: values["snapid"]?.text ?? "", restoreTarget: values["restore_target"]?.date,
            validatedCorruption: validated ?? 0)
        if schema.actions.contains(where: {
            $0.dbUniqueName == row.dbUniqueName && $0.startTime == row.startTime && $0.success == row.success
        }) {
            throw OracleError(["ORA-00001: unique constraint (\(owner).SYS_C0011523) violated", "ORA-06512: at line 5"])
        }
        var detail: RestoreDetailRow?
        if withDetail {
            let extra = try insertedValues(table: "restoreaction_detail", in: text, zone: context.zone)
            let table = "RESTOREACTION_DETAIL"
            try checkLength(
                extra["failure_reason"]?.text, table: table, column: "FAILURE_REASON", maximum: 100, owner: owner)
            try checkLength(
                extra["failure_detail"]?.text, table: table, column: "FAILURE_DETAIL", maximum: 4000, owner: owner)
            try checkLength(
                extra["restore_target_name"]?.text, table: table, column: "RESTORE_TARGET_NAME", maximum: 500,
                owner: owner)
            try checkLength(
                extra["phase_seconds"]?.text, table: table, column: "PHASE_SECONDS", maximum: 4000, owner: owner)
            detail = RestoreDetailRow(
                id: row.id, failureReason: extra["failure_reason"]?.text, failureDetail: extra["failure_detail"]?.text,
                restoreTargetName: extra["restore_target_name"]?.text, verifiedTime: extra["verified_time"]?.date,
                timeDifferenceSeconds: extra["time_difference_seconds"]?.number,
                corruptBlocks: extra["corrupt_blocks"]?.number, phaseSeconds: extra["phase_seconds"]?.text)
        }
        schema.sequence += 1
        schema.actions.append(row)
        if let detail { schema.details = (schema.details ?? []) + [detail] }
        if let lobKey { schema.lobs.removeValue(forKey: lobKey) }
        database.autorestoreCatalog = schema
        context.database = database
        return SQLOutcome(body: .plsql(["LOG MESSAGE ID: \(row.id)"]), elapsed: 0.05)
    }

    /// `insertbackup`: one backupaction row.
    static func insertBackup(_ text: String, context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        let owner = owner(context)
        guard var schema = database.autorestoreCatalog, schema.has("BACKUPACTION") else {
            throw OracleError([
                "ORA-06550: line 2, column 8:", "PLS-00201: identifier 'BACKUPACTION.ID' must be declared",
            ])
        }
        guard schema.has("BACKUPACTION_SEQ") else { throw compileError("ORA-02289: sequence does not exist") }
        let values = try insertedValues(table: "backupaction", in: text, zone: context.zone)
        let table = "BACKUPACTION"
        for column in ["db_unique_name", "action", "start_time", "finish_time", "success"] {
            try notNull(values[column], table: table, column: column.uppercased(), owner: owner)
        }
        try checkLength(
            values["db_unique_name"]?.text, table: table, column: "DB_UNIQUE_NAME", maximum: 100, owner: owner)
        try checkLength(values["action"]?.text, table: table, column: "ACTION", maximum: 30, owner: owner)
        try checkLength(values["snapid"]?.text, table: table, column: "SNAPID", maximum: 200, owner: owner)
        try checkLength(
            values["failure_detail"]?.text, table: table, column: "FAILURE_DETAIL", maximum: 4000, owner: owner)
        guard let success = values["success"]?.number, [0, 1].contains(success) else {
            throw OracleError("ORA-02290: check constraint (\(owner).SYS_C0011531) violated")
        }
        let id = (schema.backupSequence ?? 0) + 1
        schema.backupSequence = id
        schema.backups =
            (schema.backups ?? []) + [
                BackupActionRow(
                    id: id, dbUniqueName: values["db_unique_name"]?.text ?? "", action: values["action"]?.text ?? "",
                    startTime: values["start_time"]?.date ?? Date(), finishTime: values["finish_time"]?.date ?? Date(),
                    success: success, snapId: values["snapid"]?.text, failureDetail: values["failure_detail"]?.text)
            ]
        database.autorestoreCatalog = schema
        context.database = database
        return SQLOutcome(body: .plsql(["BACKUP ACTION ID: \(id)"]), elapsed: 0.03)
    }

    // MARK: Reads

    /// The `('<db>' is null or <column> = '<db>')` filter of a read (nil: every database) and its row limit.
    static func filterAndLimit(_ text: String) throws -> (database: String?, limit: Int) {
        guard
            let parts = TextShape.captures(
                #"where\s*\(\s*'((?:[^']|'')*)'\s+is\s+null\s+or\s+[a-z.]*db_unique_name\s*=\s*'(?:[^']|'')*'\s*\)"#,
                in: text),
            let limitText = TextShape.capture(#"exit\s+when\s+shown\s*>=\s*(\d+)\s*;"#, in: text),
            let limit = Int(limitText)
        else {
            throw OracleError(["ORA-06550: line 9, column 1:", "PLS-00103: Encountered the symbol \"WHERE\""])
        }
        let database = parts[0].replacingOccurrences(of: "''", with: "'")
        return (database.isEmpty ? nil : database, limit)
    }

    static func time(_ date: Date?, _ zone: TimeZone) -> String { date.map { OracleTime.isoSeconds($0, zone) } ?? "" }

    static func number(_ value: Int?) -> String { value.map(String.init) ?? "" }

    /// `listrestores` (joined with restoreaction_detail) and `listrestoresoriginal`.
    static func listRestores(_ text: String, context: StatementContext) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        let withDetail = text.lowercased().contains("left join restoreaction_detail")
        guard let schema = database.autorestoreCatalog, schema.has("RESTOREACTION"),
            !withDetail || schema.has("RESTOREACTION_DETAIL")
        else { throw compileError("ORA-00942: table or view does not exist", "SQL Statement ignored") }
        let (name, limit) = try filterAndLimit(text)
        let zone = context.zone
        let rows = schema.actions.filter { name == nil || $0.dbUniqueName == name }
            .sorted { ($0.startTime, $0.id) > ($1.startTime, $1.id) }.prefix(limit)
        let details = Dictionary((schema.details ?? []).map { ($0.id, $0) }) { first, _ in first }
        var lines: [String] = []
        for row in rows {
            lines.append(
                "RESTOREACTION ROW: "
                    + [
                        String(row.id), hex(row.dbUniqueName), time(row.startTime, zone), time(row.finishTime, zone),
                        String(row.success), hex(row.logfile), number(row.verificationTimeDiffSeconds), hex(row.snapId),
                        time(row.restoreTarget, zone), String(row.validatedCorruption),
                    ].joined(separator: "|"))
            if withDetail, let detail = details[row.id] {
                lines.append(
                    "RESTOREACTION DETAIL: "
                        + [
                            String(row.id), hex(detail.failureReason), hex(detail.failureDetail),
                            hex(detail.restoreTargetName), time(detail.verifiedTime, zone),
                            number(detail.timeDifferenceSeconds), number(detail.corruptBlocks),
                            hex(detail.phaseSeconds),
                        ].joined(separator: "|"))
            }
            // dbms_lob.substr in parts of 2000 characters.
            let scalars = Array((row.logfileContents ?? "").unicodeScalars)
            for start in stride(from: 0, to: scalars.count, by: 2000) {
                var part = String.UnicodeScalarView()
                part.append(contentsOf: scalars[start..<min(start + 2000, scalars.count)])
                lines.append("RESTOREACTION LOG: \(row.id)|" + hex(String(part)))
            }
        }
        lines.append("RESTOREACTION ROWS: \(rows.count)")
        return SQLOutcome(body: .plsql(lines), elapsed: 0.04)
    }

    /// `listbackups`.
    static func listBackups(_ text: String, context: StatementContext) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        guard let schema = database.autorestoreCatalog, schema.has("BACKUPACTION") else {
            throw compileError("ORA-00942: table or view does not exist", "SQL Statement ignored")
        }
        let (name, limit) = try filterAndLimit(text)
        let zone = context.zone
        let rows = (schema.backups ?? []).filter { name == nil || $0.dbUniqueName == name }
            .sorted { ($0.startTime, $0.id) > ($1.startTime, $1.id) }.prefix(limit)
        let lines =
            rows.map { row in
                "BACKUPACTION ROW: "
                    + [
                        String(row.id), hex(row.dbUniqueName), hex(row.action), time(row.startTime, zone),
                        time(row.finishTime, zone), String(row.success), hex(row.snapId), hex(row.failureDetail),
                    ].joined(separator: "|")
            } + ["BACKUPACTION ROWS: \(rows.count)"]
        return SQLOutcome(body: .plsql(lines), elapsed: 0.02)
    }

    /// `verifiedsnapshots`: the snapshots of one database whose newest restore (start time, then id) succeeded.
    static func verifiedSnapshots(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        guard let schema = database.autorestoreCatalog, schema.has("RESTOREACTION") else {
            throw OracleError("ORA-00942: table or view does not exist")
        }
        let name = captures[0].replacingOccurrences(of: "''", with: "'")
        let newest = Dictionary(
            grouping: schema.actions.filter { $0.dbUniqueName == name && !$0.snapId.isEmpty }, by: \.snapId
        ).compactMapValues { $0.max { ($0.startTime, $0.id) < ($1.startTime, $1.id) } }
        let lines = newest.values.filter { $0.success == 1 }.map(\.snapId).sorted().map {
            "VERIFIED SNAPSHOT: " + hex($0)
        }
        return SQLOutcome(body: .rows(lines, count: lines.count), elapsed: 0.02)
    }
}
