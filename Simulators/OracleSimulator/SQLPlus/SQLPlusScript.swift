import Foundation

/// One unit of SQL*Plus input.
enum SQLPlusInput: Equatable {
    /// A one-line SQL*Plus command (set, spool, conn, prompt, exec, startup, …) or a comment.
    case command(String)
    /// An SQL statement (lines as typed, the last ends with `;`).
    case sql([String])
    /// A PL/SQL block (lines as typed, the last is `/`).
    case plsql([String])
    /// A line SQL*Plus does not understand.
    case unknown(String)
}

/// Splits SQL*Plus standard input into commands the way SQL*Plus reads it.
enum SQLPlusScriptReader {
    static let commandWords: Set<String> = [
        "set", "col", "column", "spool", "conn", "connect", "whenever", "prompt", "pro", "exec", "execute",
        "startup", "shutdown", "exit", "quit", "show", "define", "undefine", "clear", "host", "rem", "remark",
        "var", "variable", "print", "ttitle", "btitle", "break", "compute", "disconnect", "disc", "timing",
    ]
    static let sqlWords: Set<String> = [
        "select", "insert", "update", "delete", "alter", "create", "drop", "grant", "revoke", "with", "commit",
        "rollback", "truncate", "merge", "comment", "analyze", "purge", "flashback", "lock", "savepoint", "audit",
        "noaudit", "rename", "call", "explain", "administer",
    ]

    static func read(_ text: String) -> [SQLPlusInput] {
        var result: [SQLPlusInput] = []
        var buffer: [String] = []
        var mode = 0  // 0 none, 1 sql, 2 plsql
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            switch mode {
            case 1:
                if trimmed.isEmpty {
                    // SQLBLANKLINES OFF: a blank line ends the statement without running it.
                    buffer = []
                    mode = 0
                } else if trimmed == "/" {
                    result.append(.sql(buffer))
                    buffer = []
                    mode = 0
                } else {
                    buffer.append(line)
                    if trimmed.hasSuffix(";") {
                        result.append(.sql(buffer))
                        buffer = []
                        mode = 0
                    }
                }
            case 2:
                buffer.append(line)
                if trimmed == "/" {
                    result.append(.plsql(buffer))
                    buffer = []
                    mode = 0
                } else if trimmed == "." {
                    buffer = []
                    mode = 0
                }
            default:
                if trimmed.isEmpty || trimmed == "/" { continue }
                let firstWord =
                    trimmed.split(whereSeparator: { $0.isWhitespace || $0 == ";" || $0 == "(" }).first
                    .map { $0.lowercased() } ?? ""
                if trimmed.hasPrefix("--") || firstWord == "rem" || firstWord == "remark" {
                    result.append(.command(trimmed))
                } else if firstWord == "declare" || firstWord == "begin"
                    || firstWord == "create"
                        && TextShape.capture(
                            #"^create\s+(or\s+replace\s+)?(procedure|function|package|trigger|type)\b"#, in: trimmed)
                            != nil
                {
                    buffer = [line]
                    mode = 2
                } else if commandWords.contains(firstWord) {
                    result.append(.command(trimmed))
                } else if sqlWords.contains(firstWord) {
                    buffer = [line]
                    if trimmed.hasSuffix(";") {
                        result.append(.sql(buffer))
                        buffer = []
                    } else {
                        mode = 1
                    }
                } else {
                    result.append(.unknown(trimmed))
                }
            }
        }
        // An unterminated statement at end of input is never run (as in SQL*Plus).
        return result
    }
}
