import Foundation
import Logging
import OracleTools
import ResultCatalog
import Synchronization

/// The original's results schema in an Oracle database (`autorestorecatalog`): `restoreaction`, `restorelob`,
/// `restoreaction_seq` and the `LOG_RETENTION` job, written with SQL*Loader (the run's log as a CLOB) and the
/// `insertlog` PL/SQL block like the original; plus our additions `restoreaction_detail` (what `restoreaction` has
/// no column for) and `backupaction` (backup runs). Every statement is a `restoretemplate.cfg` template run by
/// SQL*Plus; reads print marker lines with hex-encoded text (see the file's header).
///
/// A catalog made by the original's `createcatalog` keeps working: restores are written and read without the
/// details, and one WARNING per run names the missing objects and `autorestore --createcatalog`, which adds only
/// those (``prepare()``).
public struct OracleResultCatalog: ResultCatalog {
    /// Always `oracle`.
    public var backendName: String { "oracle" }
    /// The connect string with any password masked (`user/secret@tns` shows as `user/***@tns`; a wallet's
    /// `/@tns` is shown as is).
    public var location: String {
        let at = connect.lastIndex(of: "@") ?? connect.endIndex
        guard let slash = connect[..<at].firstIndex(of: "/"), connect.index(after: slash) < at else { return connect }
        return connect[...slash] + "***" + connect[at...]
    }
    /// The catalog's connect string (`autorestorecatalog`, e.g. `/@autorestore`), also the SQL*Loader login.
    public let connect: String
    /// Runs SQL*Plus and SQL*Loader from the configured Oracle home.
    public let runner: OracleRunner
    /// `restoretemplate.cfg`: every statement is one of its keys (`catalogobjects`, `catalogddl_…`, `insertlog`, …).
    public let templates: ScriptTemplates
    /// Where SQL*Loader's control and log files, staged log uploads and `createcatalog.log` are written
    /// (the standard catalog factory passes `autorestorelogdir`).
    public let workDirectory: String

    /// A catalog reached through `connect`; nothing is contacted until the first operation.
    public init(connect: String, runner: OracleRunner, templates: ScriptTemplates, workDirectory: String) {
        self.connect = connect
        self.runner = runner
        self.templates = templates
        self.workDirectory = workDirectory
    }

    /// The schema objects, in creation order (`catalogddl_<name>` creates each).
    public enum SchemaObject: String, CaseIterable, Sendable, Comparable {
        case restoreActionSequence = "RESTOREACTION_SEQ"
        case restoreAction = "RESTOREACTION"
        case restoreLob = "RESTORELOB"
        case logRetention = "LOG_RETENTION"
        case restoreActionDetail = "RESTOREACTION_DETAIL"
        case backupActionSequence = "BACKUPACTION_SEQ"
        case backupAction = "BACKUPACTION"
        case backupActionRetention = "BACKUPACTION_RETENTION"

        /// `user_objects.object_type`.
        public var objectType: String {
            switch self {
            case .restoreActionSequence, .backupActionSequence: "SEQUENCE"
            case .logRetention, .backupActionRetention: "JOB"
            default: "TABLE"
            }
        }

        /// Made by the original's `createcatalog`.
        public var isOriginal: Bool {
            Self.allCases.firstIndex(of: self)! <= Self.allCases.firstIndex(of: .logRetention)!
        }

        var templateKey: String { "catalogddl_" + rawValue.lowercased() }

        public static func < (left: Self, right: Self) -> Bool {
            allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
        }
    }

    /// The warnings already given in this process (one per catalog and set of missing objects).
    static let warned = Mutex<Set<String>>([])

    /// The connect string's password, if it has one (wallet logins have none), masked in output.
    var secrets: [String] { [Redaction.connectStringPassword(connect)].compactMap { $0 } }

    var logger: Logger { runner.logger }

    func render(_ key: String, _ values: [String: String]) throws(CatalogError) -> String {
        do {
            return try templates.render(key, values.merging(["autorestorecatalog": connect]) { first, _ in first })
        } catch {
            throw CatalogError(.configuration, backend: backendName, detail: error.description)
        }
    }

    /// Runs a rendered SQL*Plus script; a failure becomes `code` with the (masked) output tail.
    func run(_ script: String, silent: Bool = true, code: CatalogError.Code, what: String) async throws(CatalogError)
        -> String
    {
        do {
            return try await runner.sqlplus(script, silent: silent, secrets: secrets)
        } catch {
            throw CatalogError(code, backend: backendName, detail: "\(location): \(what) failed: \(error.description)")
        }
    }

    // MARK: Schema

    /// The catalog objects that exist in the catalog schema (`catalogobjects`).
    public func existingObjects() async throws(CatalogError) -> Set<SchemaObject> {
        let output = try await run(
            try render("catalogobjects", [:]), code: .unreachable, what: "listing the catalog objects")
        guard OutputMarkers.value(after: "CATALOG OBJECTS LISTED", in: output) != nil else {
            throw CatalogError(
                .unreachable, backend: backendName,
                detail: "\(location): listing the catalog objects printed no CATALOG OBJECTS LISTED line: "
                    + Redaction.mask(String(output.suffix(500)), secrets: secrets))
        }
        var found: Set<SchemaObject> = []
        for line in OutputMarkers.values(after: "CATALOG OBJECT: ", in: output) {
            let words = line.split(separator: " ").map(String.init)
            // An object of another type with the name is not ours: creating ours then fails with ORA-00955.
            guard words.count == 2, let object = SchemaObject(rawValue: words[1]), object.objectType == words[0]
            else { continue }
            found.insert(object)
        }
        return found
    }

    /// `--createcatalog`: creates the objects that are missing (all of them in an empty schema, only our additions
    /// in a catalog made by the original's `createcatalog`); nothing when all exist. A statement that fails is an
    /// error (the script stops there).
    public func prepare() async throws(CatalogError) {
        let existing = try await existingObjects()
        let missing = SchemaObject.allCases.filter { !existing.contains($0) }
        func names(_ objects: [SchemaObject]) -> String { objects.map(\.rawValue).joined(separator: ", ") }
        guard !missing.isEmpty else {
            logger.info("Results catalog \(location): all catalog objects exist")
            return
        }
        let logFile = workDirectory + "/createcatalog.log"
        let script =
            try
            ([render("createcatalogheader", ["logfile": logFile])]
            + missing.map { object throws(CatalogError) in try render(object.templateKey, [:]) }
            + [render("createcatalogfooter", [:])]).joined(separator: "\n") + "\n"
        do {
            _ = try await runner.sqlplus(script, silent: false, secrets: secrets)
        } catch {
            throw CatalogError(
                .schema, backend: backendName,
                detail: "\(location): creating \(names(missing)) failed (see \(logFile)): \(error.description)")
        }
        logger.info("Results catalog \(location): created \(names(missing))")
    }

    /// The objects of `required` that are missing are an error naming them; missing additions of `wanted` give one
    /// WARNING per run. Returns the objects that exist.
    func check(required: [SchemaObject], wanted: [SchemaObject], code: CatalogError.Code) async throws(CatalogError)
        -> Set<SchemaObject>
    {
        let found = try await existingObjects()
        let absent = required.filter { !found.contains($0) }
        guard absent.isEmpty else {
            throw CatalogError(
                code, backend: backendName,
                detail:
                    "\(location): the catalog schema has no \(absent.map(\.rawValue).joined(separator: ", ")); create the missing objects with `autorestore --config <file> --createcatalog`"
            )
        }
        warnOnce(missing: SchemaObject.allCases.filter { !$0.isOriginal && !found.contains($0) }, wanted: wanted)
        return found
    }

    /// One WARNING per process and catalog when our additions are missing (a catalog made by the original).
    func warnOnce(missing: [SchemaObject], wanted: [SchemaObject]) {
        guard missing.contains(where: wanted.contains) else { return }
        let key = location + " " + missing.map(\.rawValue).joined(separator: ",")
        guard Self.warned.withLock({ $0.insert(key).inserted }) else { return }
        logger.warning(
            "Results catalog \(location) has no \(missing.map(\.rawValue).joined(separator: ", ")) (made by the original's createcatalog): restores are recorded without failure reason, failure detail, clone name, verified time, corrupt block count and phase times, and backup runs are not recorded. Run `autorestore --config <file> --createcatalog` to add only the missing objects."
        )
    }

    // MARK: Values for the templates

    static let dateFormat = "yyyy-MM-dd HH:mm:ss"

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = dateFormat
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = dateFormat
        return formatter.date(from: text)
    }

    /// A `yyyy-mm-dd hh24:mi:ss` text for a `to_date` literal, or empty (NULL) when it has another shape (a
    /// malformed value must not make the whole record fail).
    static func dateLiteral(_ text: String?) -> String {
        guard let text, parse(text) != nil, text.count == 19 else { return "" }
        return text
    }

    /// An SQL string literal's content with `'` doubled.
    static func quoted(_ text: String?) -> String { (text ?? "").replacingOccurrences(of: "'", with: "''") }

    /// At most `bytes` UTF-8 bytes of `text`, cut at a character boundary (VARCHAR2 columns count bytes).
    static func truncated(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var count = 0
        for character in text {
            let size = character.utf8.count
            if count + size > bytes { break }
            result.append(character)
            count += size
        }
        return result
    }

    /// A text value as an SQL expression: `utl_i18n.raw_to_char(hextoraw('…'), 'AL32UTF8')` with the hex split over
    /// lines of at most 1000 digits (SQL*Plus limits input lines), or `null` for nil and empty text.
    static func textExpression(_ text: String?, maximumBytes: Int) -> String {
        guard let text, !text.isEmpty else { return "null" }
        let digits = Array(hex(truncated(text, bytes: maximumBytes)))
        let pieces = stride(from: 0, to: digits.count, by: 1000).map {
            "'" + String(digits[$0..<min($0 + 1000, digits.count)]) + "'"
        }
        return "utl_i18n.raw_to_char(hextoraw(" + pieces.joined(separator: "\n||") + "), 'AL32UTF8')"
    }

    static func hex(_ text: String) -> String { text.utf8.map { String(format: "%02X", $0) }.joined() }

    /// The text of a hex field (empty: nil); nil also for a field that is not hex.
    static func unhex(_ field: Substring) -> String? {
        guard !field.isEmpty, field.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(field.utf8.count / 2)
        var high: UInt8?
        for character in field.utf8 {
            guard let digit = hexDigit(character) else { return nil }
            if let first = high {
                bytes.append(first << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexDigit(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Writes

    @discardableResult
    /// Loads the log as a CLOB with SQL*Loader (the run's own log file, or the text staged in ``workDirectory``),
    /// then runs `insertlog` (plus `insertlogdetail` when `RESTOREACTION_DETAIL` exists); returns the
    /// `restoreaction` id. Throws `.write`, or `.unreachable` when the catalog cannot be queried.
    public func recordRestore(_ record: RestoreRecord) async throws(CatalogError) -> Int64 {
        let found = try await check(
            required: [.restoreActionSequence, .restoreAction, .restoreLob], wanted: [.restoreActionDetail],
            code: .write)
        // SQL*Loader loads the log from a file, keyed by its name: the run's own log like the original, or, when
        // there is none (or its name does not fit restorelob.logfile), the log text staged beside the others.
        var loadedFile = record.logFile ?? ""
        var staged: String?
        if loadedFile.isEmpty || loadedFile.utf8.count > 200 || !FileManager.default.isReadableFile(atPath: loadedFile)
        {
            let path = workDirectory + "/catalog-upload-\(UUID().uuidString.prefix(8)).log"
            do {
                try record.logText.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CatalogError(
                    .write, backend: backendName, detail: "cannot stage the log in \(workDirectory): \(error)")
            }
            loadedFile = path
            staged = path
        }
        defer { if let staged { try? FileManager.default.removeItem(atPath: staged) } }
        var values = [
            "logfile": Self.quoted(loadedFile), "log_logfile": Self.quoted(record.logFile),
            "log_dbname": Self.quoted(record.database), "log_start": Self.format(record.startedAt),
            "log_stop": Self.format(record.finishedAt), "log_success": record.success ? "1" : "0",
            "log_diff": String(record.timeDifferenceSeconds ?? -1), "log_snapid": Self.quoted(record.snapshotID),
            "lasttime": Self.dateLiteral(record.expectedTime), "log_validated": record.validated ? "1" : "0",
            "log_detail_insert": "",
        ]
        if found.contains(.restoreActionDetail) {
            values["log_detail_insert"] = try render(
                "insertlogdetail",
                [
                    "log_failure_reason": Self.textExpression(record.failureReason, maximumBytes: 100),
                    "log_failure_detail": Self.textExpression(record.failureDetail, maximumBytes: 4000),
                    "log_restore_target_name": Self.textExpression(record.restoreTarget, maximumBytes: 500),
                    "log_verified": Self.dateLiteral(record.verifiedTime),
                    "log_time_difference": record.timeDifferenceSeconds.map(String.init) ?? "null",
                    "log_corrupt_blocks": record.corruptBlocks.map(String.init) ?? "null",
                    "log_phase_seconds": Self.textExpression(
                        PhaseJSON.encode(record.phaseSeconds), maximumBytes: 4000),
                ])
        }
        do {
            // The control file's data line is `"<file>"`: SQL*Loader has no escape for `"` inside.
            var control = values
            control["logfile"] = loadedFile
            try await runner.sqlldr(
                login: connect, control: try render("sqlldrlog", control), workDirectory: workDirectory)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(
                .write, backend: backendName,
                detail: "\(location): uploading the log \(loadedFile) with SQL*Loader failed: \(error)")
        }
        let output = try await run(
            try render("insertlog", values), code: .write, what: "inserting the restoreaction row")
        guard let id = OutputMarkers.value(after: "LOG MESSAGE ID:", in: output).flatMap({ Int64($0) }) else {
            throw CatalogError(
                .write, backend: backendName, detail: "\(location): insertlog did not report LOG MESSAGE ID")
        }
        return id
    }

    @discardableResult
    /// Inserts one `backupaction` row (`insertbackup`); returns its id. Throws `.write`, naming the missing objects,
    /// in a catalog made by the original's `createcatalog`.
    public func recordBackup(_ record: BackupRunRecord) async throws(CatalogError) -> Int64 {
        _ = try await check(
            required: [.backupActionSequence, .backupAction], wanted: [.backupAction], code: .write)
        let values = [
            "backup_dbname": Self.textExpression(record.database, maximumBytes: 100),
            "backup_action": Self.textExpression(record.action, maximumBytes: 30),
            "backup_start": Self.format(record.startedAt), "backup_stop": Self.format(record.finishedAt),
            "backup_success": record.success ? "1" : "0",
            "backup_snapid": Self.textExpression(record.snapshotID, maximumBytes: 200),
            "backup_failure_detail": Self.textExpression(record.failureDetail, maximumBytes: 4000),
        ]
        let output = try await run(
            try render("insertbackup", values), code: .write, what: "inserting the backupaction row")
        guard let id = OutputMarkers.value(after: "BACKUP ACTION ID:", in: output).flatMap({ Int64($0) }) else {
            throw CatalogError(
                .write, backend: backendName, detail: "\(location): insertbackup did not report BACKUP ACTION ID")
        }
        return id
    }

    // MARK: Reads

    /// The values every read takes: the database filter (empty: all) and the row limit.
    static func readValues(database: String?, limit: Int) -> [String: String] {
        ["log_dbname": quoted(database), "limit": String(max(0, min(limit, 1_000_000_000)))]
    }

    /// The `|`-separated fields after `prefix` on every line, checked for their count.
    func records(_ prefix: String, fields: Int, in output: String) throws(CatalogError) -> [[Substring]] {
        var result: [[Substring]] = []
        for line in OutputMarkers.values(after: prefix, in: output) {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == fields else {
                throw CatalogError(
                    .read, backend: backendName,
                    detail: "\(location): a \(prefix) line has \(parts.count) fields instead of \(fields)")
            }
            result.append(parts)
        }
        return result
    }

    /// The row count a read printed last; an error when it is missing or differs from the rows read.
    func checkCount(_ marker: String, rows: Int, in output: String) throws(CatalogError) {
        guard let count = OutputMarkers.value(after: marker, in: output).flatMap({ Int($0) }), count == rows else {
            throw CatalogError(
                .read, backend: backendName,
                detail: "\(location): the read did not end with \(marker) \(rows) (incomplete output)")
        }
    }

    func date(_ field: Substring, _ what: String) throws(CatalogError) -> Date {
        guard let date = Self.parse(String(field)) else {
            throw CatalogError(.read, backend: backendName, detail: "\(location): \(what) '\(field)' is not a date")
        }
        return date
    }

    func integer(_ field: Substring) -> Int? { Int(field) }

    /// The newest `limit` restores of `database` (all databases when nil), newest first, logs included; without
    /// `RESTOREACTION_DETAIL` the detail fields stay nil. Throws `.read` (`.unreachable` when the catalog cannot be
    /// queried).
    public func restores(database: String?, limit: Int) async throws(CatalogError) -> [Stored<RestoreRecord>] {
        let found = try await check(required: [.restoreAction], wanted: [.restoreActionDetail], code: .read)
        let template = found.contains(.restoreActionDetail) ? "listrestores" : "listrestoresoriginal"
        let output = try await run(
            try render(template, Self.readValues(database: database, limit: limit)), code: .read,
            what: "reading restoreaction")
        let rows = try records("RESTOREACTION ROW: ", fields: 10, in: output)
        try checkCount("RESTOREACTION ROWS:", rows: rows.count, in: output)
        var details: [Substring: [Substring]] = [:]
        for detail in try records("RESTOREACTION DETAIL: ", fields: 8, in: output) { details[detail[0]] = detail }
        var logs: [Substring: String] = [:]
        for part in try records("RESTOREACTION LOG: ", fields: 2, in: output) {
            logs[part[0], default: ""] += Self.unhex(part[1]) ?? ""
        }
        var result: [Stored<RestoreRecord>] = []
        for row in rows {
            guard let id = Int64(row[0]) else {
                throw CatalogError(.read, backend: backendName, detail: "\(location): restoreaction id '\(row[0])'")
            }
            let difference = integer(row[6])
            var record = RestoreRecord(
                database: Self.unhex(row[1]) ?? "", startedAt: try date(row[2], "start_time"),
                finishedAt: try date(row[3], "finish_time"), success: row[4] == "1",
                snapshotID: Self.unhex(row[7]), expectedTime: row[8].isEmpty ? nil : String(row[8]),
                // The original writes -1 when the time was never verified.
                timeDifferenceSeconds: difference == -1 ? nil : difference, validated: row[9] == "1",
                logText: logs[row[0]] ?? "", logFile: Self.unhex(row[5]))
            if let detail = details[row[0]] {
                record.failureReason = Self.unhex(detail[1])
                record.failureDetail = Self.unhex(detail[2])
                record.restoreTarget = Self.unhex(detail[3])
                record.verifiedTime = detail[4].isEmpty ? nil : String(detail[4])
                record.timeDifferenceSeconds = integer(detail[5])
                record.corruptBlocks = integer(detail[6])
                record.phaseSeconds = PhaseJSON.decode(Self.unhex(detail[7]))
            }
            result.append(Stored(id: id, record: record))
        }
        return result
    }

    /// Backup runs; none (with the WARNING) in a catalog made by the original's `createcatalog`.
    public func backups(database: String?, limit: Int) async throws(CatalogError) -> [Stored<BackupRunRecord>] {
        let found = try await check(required: [], wanted: [.backupAction], code: .read)
        guard found.contains(.backupAction) else { return [] }
        let output = try await run(
            try render("listbackups", Self.readValues(database: database, limit: limit)), code: .read,
            what: "reading backupaction")
        let rows = try records("BACKUPACTION ROW: ", fields: 8, in: output)
        try checkCount("BACKUPACTION ROWS:", rows: rows.count, in: output)
        var result: [Stored<BackupRunRecord>] = []
        for row in rows {
            guard let id = Int64(row[0]) else {
                throw CatalogError(.read, backend: backendName, detail: "\(location): backupaction id '\(row[0])'")
            }
            result.append(
                Stored(
                    id: id,
                    record: BackupRunRecord(
                        database: Self.unhex(row[1]) ?? "", action: Self.unhex(row[2]) ?? "",
                        startedAt: try date(row[3], "start_time"), finishedAt: try date(row[4], "finish_time"),
                        success: row[5] == "1", snapshotID: Self.unhex(row[6]), failureDetail: Self.unhex(row[7]))))
        }
        return result
    }

    /// The snapshots whose newest restore (by start time, then id) succeeded; works on the original's schema.
    public func verifiedSnapshotIDs(database: String) async throws(CatalogError) -> Set<String> {
        _ = try await check(required: [.restoreAction], wanted: [], code: .read)
        let output = try await run(
            try render("verifiedsnapshots", Self.readValues(database: database, limit: 0)), code: .read,
            what: "reading the verified snapshots")
        guard OutputMarkers.value(after: "VERIFIED SNAPSHOTS LISTED", in: output) != nil else {
            throw CatalogError(
                .read, backend: backendName,
                detail: "\(location): reading the verified snapshots printed no VERIFIED SNAPSHOTS LISTED line")
        }
        var result: Set<String> = []
        for field in OutputMarkers.values(after: "VERIFIED SNAPSHOT: ", in: output) {
            guard let snapshot = Self.unhex(Substring(field)) else {
                throw CatalogError(
                    .read, backend: backendName, detail: "\(location): a VERIFIED SNAPSHOT line is not hex")
            }
            result.insert(snapshot)
        }
        return result
    }
}
