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
        let body = String(text[equals...])
        func value(_ key: String) -> String? {
            let pattern = "\\(\\s*\(key)\\s*=\\s*([^)\\s]+)\\s*\\)"
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
                let match = regex.firstMatch(in: body, range: NSRange(body.startIndex..., in: body)),
                let range = Range(match.range(at: 1), in: body)
            else { return nil }
            return String(body[range])
        }
        let service = value("SERVICE_NAME") ?? value("SID")
        return names.filter { !$0.isEmpty }.map { TNSEntry(alias: $0, host: value("HOST"), serviceName: service) }
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
    public static func resolve(
        _ connectString: String, store: StateStore, globals: SimulatorGlobals
    ) throws(ConnectionFailure) -> SessionTarget {
        var text = connectString.trimmingCharacters(in: .whitespaces)
        var asSysdba = false
        if let range = text.range(of: #"\s+as\s+sysdba\s*$"#, options: [.regularExpression, .caseInsensitive]) {
            asSysdba = true
            text = String(text[..<range.lowerBound])
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
