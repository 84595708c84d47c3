/// Parsers for the marker lines our SQL*Plus templates print (reference §5.4): the contract between the
/// templates and the tools. Each reads the captured output line by line and trims white space like the original.
public enum OutputMarkers {
    static func lines(_ output: String) -> [Substring] {
        output.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Linear in the white space removed (`dropLast()` counted the whole line on every step: a line ending in
    /// tens of thousands of blanks took minutes, found by Scripts/fuzz.sh).
    static func trimmed(_ line: Substring) -> String {
        var start = line.startIndex
        var end = line.endIndex
        while start < end, line[start].isWhitespace { start = line.index(after: start) }
        while end > start, line[line.index(before: end)].isWhitespace { end = line.index(before: end) }
        return String(line[start..<end])
    }

    /// The text after the first line that starts with `prefix` (trimmed), or nil.
    public static func value(after prefix: String, in output: String) -> String? {
        for line in lines(output) {
            let text = trimmed(line)
            if text.hasPrefix(prefix) { return trimmed(Substring(text.dropFirst(prefix.count))) }
        }
        return nil
    }

    /// The text after `prefix` for every line that starts with it, in order.
    public static func values(after prefix: String, in output: String) -> [String] {
        lines(output).map(trimmed).filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// `archivecurrentlogs`: the database time, SCN and block change tracking file before a log switch.
    public struct LogSwitchState: Sendable, Equatable {
        /// The `CURRENT DATABASE TIME:` value, `yyyy-mm-dd hh24:mi:ss` in database time (`lasttime` in
        /// `autorestore.cfg`).
        public var time: String
        /// The `CURRENT DATABASE SCN:` value, as printed (`lastscn` in `autorestore.cfg`).
        public var scn: String
        /// Empty when block change tracking is off.
        public var bctFile: String
    }

    /// Parses `archivecurrentlogs` output; nil when the time or the SCN line is missing (`BCT FILE:` is optional).
    public static func logSwitchState(_ output: String) -> LogSwitchState? {
        guard let time = value(after: "CURRENT DATABASE TIME:", in: output),
            let scn = value(after: "CURRENT DATABASE SCN:", in: output)
        else { return nil }
        return LogSwitchState(time: time, scn: scn, bctFile: value(after: "BCT FILE:", in: output) ?? "")
    }

    /// `autorestoreparameters`: `dbconfig-<name>: <value>` lines → `[(name, value)]` in order.
    public static func databaseParameters(_ output: String) -> [(String, String)] {
        values(after: "dbconfig-", in: output).compactMap { text in
            guard let colon = text.firstIndex(of: ":") else { return nil }
            return (String(text[..<colon]), trimmed(text[text.index(after: colon)...]))
        }
    }

    /// `archivelogmissing`: complete `BACKUP force as copy archivelog sequence N thread T;` commands.
    public static func missingArchivelogCommands(_ output: String) -> [String] {
        lines(output).map(trimmed).filter { $0.hasPrefix("BACKUP force as copy") }
    }

    /// `deletedatafilecopy`: RMAN commands after `DELETECOPY: `.
    public static func deleteCopyCommands(_ output: String) -> [String] {
        values(after: "DELETECOPY:", in: output).map { trimmed(Substring($0)) }
    }

    /// `switchdatafiles`: RMAN script lines after `RENAMEDF-`.
    public static func switchScript(_ output: String) -> [String] {
        lines(output).map(trimmed).filter { $0.hasPrefix("RENAMEDF-") }.map { String($0.dropFirst(9)) }
    }

    /// `cdbdetect`: the common-user prefix (e.g. `C##`), or "" for a non-CDB.
    public static func commonUserPrefix(_ output: String) -> String {
        guard let text = value(after: "CDB-DETECT:", in: output), text != "NO" else { return "" }
        return text
    }

    /// `isdbregisteredincatalog`.
    public static func isRegisteredInCatalog(_ output: String) -> Bool {
        lines(output).contains { trimmed($0).hasPrefix("DATABASE IS REGISTERED IN RC") }
    }

    /// `openandverify`: the verified database time.
    public static func verificationTime(_ output: String) -> String? {
        value(after: "CUSTOM VERIFICATION TIME:", in: output)
    }

    /// `adrci show homes`: the homes listed after `ADR Homes:`.
    public static func adrHomes(_ output: String) -> [String] {
        var homes: [String] = []
        var listing = false
        for line in lines(output) {
            let text = trimmed(line)
            if text.hasPrefix("ADR Homes:") {
                listing = true
            } else if listing, !text.isEmpty {
                homes.append(text)
            }
        }
        return homes
    }
}
