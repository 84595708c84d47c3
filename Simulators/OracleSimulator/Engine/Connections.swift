import Foundation

/// An entry of tnsnames.ora.
public struct TNSEntry: Sendable, Equatable {
    public var alias: String
    public var host: String?
    public var serviceName: String?
}

/// Reads `$TNS_ADMIN/tnsnames.ora` (aliases with HOST and SERVICE_NAME or SID).
public enum TNSNames {
    public static func entries(_ environment: [String: String]) -> [TNSEntry] {
        var directories: [String] = []
        if let admin = environment["TNS_ADMIN"], !admin.isEmpty { directories.append(admin) }
        if let home = environment["ORACLE_HOME"], !home.isEmpty { directories.append(home + "/network/admin") }
        for directory in directories {
            if let text = try? String(contentsOfFile: directory + "/tnsnames.ora", encoding: .utf8) {
                return parse(text)
            }
        }
        return []
    }

    /// Splits the file into top-level `ALIAS[,ALIAS] = (…)` entries by parenthesis depth.
    public static func parse(_ text: String) -> [TNSEntry] {
        var result: [TNSEntry] = []
        var depth = 0
        var current = ""
        var sawParenthesis = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            current += trimmed + " "
            for character in trimmed {
                if character == "(" {
                    depth += 1
                    sawParenthesis = true
                } else if character == ")" {
                    depth -= 1
                }
            }
            if depth == 0, sawParenthesis, current.contains("=") {
                if let entry = parseEntry(current) { result.append(contentsOf: entry) }
                current = ""
                sawParenthesis = false
            }
        }
        return result
    }

    static func parseEntry(_ text: String) -> [TNSEntry]? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let names = text[..<equals].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let body = Array(text[equals...].utf8)
        let service = value(of: "SERVICE_NAME", in: body) ?? value(of: "SID", in: body)
        let host = value(of: "HOST", in: body)
        return names.filter { !$0.isEmpty }.map { TNSEntry(alias: $0, host: host, serviceName: service) }
    }

    /// The first `(KEY = value)` of `body` (key case-insensitive, blanks allowed around each part; the value has no
    /// blank and no `)`). A scan rather than a regular expression: every connection parses the whole tnsnames.ora,
    /// and compiling three expressions per entry made a connection in a 100-database file cost milliseconds.
    static func value(of key: String, in body: [UInt8]) -> String? {
        let keyBytes = Array(key.uppercased().utf8)
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        func upper(_ byte: UInt8) -> UInt8 { (0x61...0x7A).contains(byte) ? byte - 0x20 : byte }
        var start = 0
        while start < body.count {
            defer { start += 1 }
            guard body[start] == UInt8(ascii: "(") else { continue }
            var index = start + 1
            while index < body.count, isBlank(body[index]) { index += 1 }
            guard index + keyBytes.count <= body.count,
                zip(body[index..<(index + keyBytes.count)], keyBytes).allSatisfy({ upper($0) == $1 })
            else { continue }
            index += keyBytes.count
            while index < body.count, isBlank(body[index]) { index += 1 }
            guard index < body.count, body[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < body.count, isBlank(body[index]) { index += 1 }
            let valueStart = index
            while index < body.count, body[index] != UInt8(ascii: ")"), !isBlank(body[index]) { index += 1 }
            let valueEnd = index
            guard valueEnd > valueStart else { continue }
            while index < body.count, isBlank(body[index]) { index += 1 }
            guard index < body.count, body[index] == UInt8(ascii: ")") else { continue }
            return String(decoding: body[valueStart..<valueEnd], as: UTF8.self)
        }
        return nil
    }
}

/// What a session is attached to.
public enum SessionTarget: Sendable, Equatable {
    /// A database in the state directory (production or catalog), reached through TNS.
    case database(name: String, user: String)
    /// A local instance (`ORACLE_SID`) started by `startup nomount`.
    case instance(sid: String)
    /// `/ as sysdba` with no instance running for `ORACLE_SID`.
    case idle(sid: String)
}

/// Oracle-style connection failures.
public struct ConnectionFailure: Error, Sendable {
    public var lines: [String]
}

/// Resolves connect strings: `/@alias`, `user/password@alias`, `/` (ORACLE_SID), with or without `as sysdba`.
public enum ConnectionResolver {
    /// Where a trailing `<blanks>as<blanks>sysdba<blanks>` (any case) begins in `text`, else nil. A scan: the
    /// regular expression it replaces cost a program ICU's start-up for every connection.
    static func sysdbaSuffixStart(_ text: String) -> String.Index? {
        var index = text.endIndex
        func skipBlanks() -> Int {
            var count = 0
            while index > text.startIndex, text[text.index(before: index)].isWhitespace {
                index = text.index(before: index)
                count += 1
            }
            return count
        }
        func word(_ expected: String) -> Bool {
            for character in expected.reversed() {
                guard index > text.startIndex else { return false }
                let previous = text.index(before: index)
                guard text[previous].lowercased() == String(character) else { return false }
                index = previous
            }
            return true
        }
        _ = skipBlanks()
        guard word("sysdba"), skipBlanks() > 0, word("as"), skipBlanks() > 0 else { return nil }
        return index
    }

    public static func resolve(
        _ connectString: String, store: StateStore, globals: SimulatorGlobals
    ) throws(ConnectionFailure) -> SessionTarget {
        var text = connectString.trimmingCharacters(in: .whitespaces)
        var asSysdba = false
        if let start = sysdbaSuffixStart(text) {
            asSysdba = true
            text = String(text[..<start])
        }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
        guard let at = text.firstIndex(of: "@") else {
            // Local bequeath connection through ORACLE_SID.
            guard let sid = store.environment["ORACLE_SID"], !sid.isEmpty else {
                throw ConnectionFailure(lines: [
                    "ORA-12162: TNS:net service name is incorrectly specified"
                ])
            }
            if (try? store.loadInstance(sid)) != nil { return .instance(sid: sid) }
            return .idle(sid: sid)
        }
        let credentials = String(text[..<at])
        let alias = String(text[text.index(after: at)...])
        let entries = TNSNames.entries(store.environment)
        guard let entry = entries.first(where: { $0.alias.caseInsensitiveCompare(alias) == .orderedSame }) else {
            throw ConnectionFailure(lines: ["ORA-12154: TNS:could not resolve the connect identifier specified"])
        }
        let service = entry.serviceName ?? alias
        let refused = globals.refusedConnections.contains {
            $0.caseInsensitiveCompare(alias) == .orderedSame || $0.caseInsensitiveCompare(service) == .orderedSame
                || $0.caseInsensitiveCompare(entry.host ?? "") == .orderedSame
        }
        if refused {
            throw ConnectionFailure(lines: ["ORA-12545: Connect failed because target host or object does not exist"])
        }
        guard let database = try? store.databaseOffering(service: service) else {
            throw ConnectionFailure(lines: [
                "ORA-12514: TNS:listener does not currently know of service requested in connect descriptor"
            ])
        }
        var user = "SYS"
        let named = credentials.split(separator: "/").first.map(String.init) ?? ""
        if !named.isEmpty {
            user = named.uppercased()
        } else if !asSysdba && alias.caseInsensitiveCompare(database.dbUniqueName) != .orderedSame {
            user = alias.uppercased()
        }
        return .database(name: database.dbUniqueName, user: user)
    }
}
