import Foundation

/// Matching statement text against the exact statement shapes the simulator understands.
///
/// A shape is the statement as our templates write it, with `{}` where a substituted value goes.
/// Matching ignores case and treats any run of whitespace as equivalent to a single space (or none around
/// punctuation), so line breaks introduced by the templates' continuation lines do not matter.
public enum TextShape {
    /// Collapses whitespace runs to one space and trims; drops one trailing `;`.
    public static func normalize(_ text: String) -> String {
        var collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while collapsed.hasSuffix(";") || collapsed.hasSuffix(" ") { collapsed.removeLast() }
        return collapsed
    }

    /// The captured values when `text` has the given shape, else nil.
    public static func match(_ text: String, _ shape: String) -> [String]? {
        let normalized = normalize(text)
        // Statements are dispatched by trying shape after shape: most differ in their first words, which are
        // compared here before any regular expression is compiled.
        guard mayStartWith(normalized, literalHead(of: shape)) else { return nil }
        if let scanned = scanMatch(normalized, normalize(shape)) { return scanned.values }
        guard let regex = compiled(regexPattern(for: shape)) else { return nil }
        guard let match = regex.firstMatch(in: normalized, range: NSRange(normalized.startIndex..., in: normalized))
        else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: normalized).map { String(normalized[$0]) } ?? ""
        }
    }

    /// The result of ``scanMatch(_:_:)``: `values` nil when the text does not have the shape.
    struct ScanResult {
        var values: [String]?
    }

    /// Matches a normalised ASCII `text` against a normalised ASCII `shape` as the expression of
    /// ``regexPattern(for:)`` would (the same captures: each `{}` the shortest that lets the rest match, a final
    /// `{}` the rest of the text; a blank of the shape any run of blanks or none; ASCII letters in any case),
    /// without compiling one: ICU's start-up and compilation were a good part of a short program's time. Nil when
    /// either has a non-ASCII byte: those are left to the expression.
    static func scanMatch(_ text: String, _ shape: String) -> ScanResult? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }), shape.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let parts = shape.components(separatedBy: "{}").map { Array($0.utf8) }
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }
        /// The end of `literal` matched at `start`, or nil.
        func literal(_ literal: [UInt8], at start: Int) -> Int? {
            var position = start
            for byte in literal {
                if byte == 0x20 {
                    while position < bytes.count, isBlank(bytes[position]) { position += 1 }
                } else {
                    guard position < bytes.count, lower(bytes[position]) == lower(byte) else { return nil }
                    position += 1
                }
            }
            return position
        }
        func match(_ part: Int, _ start: Int, _ values: [String]) -> [String]? {
            guard let end = literal(parts[part], at: start) else { return nil }
            if part == parts.count - 1 { return end == bytes.count ? values : nil }
            if part == parts.count - 2 && parts[part + 1].isEmpty {
                return values + [String(decoding: bytes[end...], as: UTF8.self)]
            }
            for captureEnd in end...bytes.count {
                if let found = match(
                    part + 1, captureEnd, values + [String(decoding: bytes[end..<captureEnd], as: UTF8.self)])
                {
                    return found
                }
            }
            return nil
        }
        return ScanResult(values: match(0, 0, []))
    }

    /// Compiled expressions (case-insensitive, `.` matching line ends) by pattern, for the process's lifetime.
    private nonisolated(unsafe) static var cache: [String: NSRegularExpression] = [:]
    private static let cacheLock = NSLock()

    /// `pattern` compiled once per process: a program tries the same shapes for every statement it reads.
    static func compiled(_ pattern: String) -> NSRegularExpression? {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let regex = cache[pattern] { return regex }
        guard
            let regex = try? NSRegularExpression(
                pattern: pattern, options: [.caseInsensitive, .dotMatchesLineSeparators])
        else { return nil }
        cache[pattern] = regex
        return regex
    }

    /// The (normalised) shape's text before its first `{}`, lower-cased, without blanks.
    static func literalHead(of shape: String) -> String {
        let shape = normalize(shape)
        let head = shape.range(of: "{}").map { String(shape[..<$0.lowerBound]) } ?? shape
        return String(head.lowercased().filter { !$0.isWhitespace })
    }

    /// False only when `text` cannot match a shape whose literal head is `head`: with blanks removed (a blank of
    /// a shape matches any run of whitespace, or none) its start differs. Texts with non-ASCII characters are
    /// always left to the expression (its case-insensitive matching folds more than ASCII).
    static func mayStartWith(_ text: String, _ head: String) -> Bool {
        var headIterator = head.utf8.makeIterator()
        guard var expected = headIterator.next() else { return true }
        for byte in text.utf8 {
            if byte >= 0x80 { return true }
            if byte == 0x20 || (0x09...0x0D).contains(byte) { continue }
            let lower = (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
            if lower != expected { return head.utf8.contains { $0 >= 0x80 } }
            guard let next = headIterator.next() else { return true }
            expected = next
        }
        return false
    }

    static func regexPattern(for shape: String) -> String {
        let parts = normalize(shape).components(separatedBy: "{}")
        var pattern = "^"
        for (index, part) in parts.enumerated() {
            var escaped = ""
            for character in part {
                if character == " " {
                    escaped += "\\s*"
                } else {
                    escaped += NSRegularExpression.escapedPattern(for: String(character))
                }
            }
            pattern += escaped
            if index < parts.count - 1 { pattern += index == parts.count - 2 && parts.last!.isEmpty ? "(.*)" : "(.*?)" }
        }
        return pattern + "$"
    }

    /// First capture group of `pattern` in `text` (case-insensitive), if any.
    public static func capture(_ pattern: String, in text: String) -> String? {
        guard let all = captures(pattern, in: text) else { return nil }
        return all.first ?? ""
    }

    public static func captures(_ pattern: String, in text: String) -> [String]? {
        guard
            let regex = compiled(pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
        }
    }

    /// Whether `text` contains `fragment` once both are whitespace-normalised (case-insensitive).
    public static func contains(_ text: String, _ fragment: String) -> Bool {
        normalize(text).lowercased().contains(normalize(fragment).lowercased())
    }

    /// Removes the quotes of an SQL string literal and un-doubles embedded quotes.
    public static func unquote(_ literal: String) -> String {
        var text = literal.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("'") && text.hasSuffix("'") && text.count >= 2 {
            text = String(text.dropFirst().dropLast())
        } else if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 {
            text = String(text.dropFirst().dropLast())
        }
        return text.replacingOccurrences(of: "''", with: "'")
    }
}

/// A call like `pkg.proc(a => 'x', b => 1)` found in PL/SQL text.
struct PLSQLCall: Sendable, Equatable {
    var procedure: String
    var arguments: [String: String]
    /// The same arguments as written (quotes kept), to tell a string literal from an expression or a keyword.
    var rawArguments: [String: String] = [:]

    /// Every `prefix<name>(…)` call in `text`, in order; named arguments are unquoted.
    static func calls(in text: String, prefix: String) -> [PLSQLCall] {
        let characters = Array(text)
        let lowered = Array(text.lowercased())
        let needle = Array(prefix.lowercased())
        var result: [PLSQLCall] = []
        var index = 0
        var inQuote = false
        while index < characters.count {
            if characters[index] == "'" { inQuote.toggle() }
            if !inQuote, index + needle.count < characters.count,
                Array(lowered[index..<(index + needle.count)]) == needle
            {
                var cursor = index + needle.count
                var name = ""
                while cursor < characters.count, characters[cursor].isLetter || characters[cursor] == "_" {
                    name.append(characters[cursor])
                    cursor += 1
                }
                while cursor < characters.count, characters[cursor].isWhitespace { cursor += 1 }
                guard cursor < characters.count, characters[cursor] == "(" else {
                    index = cursor
                    continue
                }
                let (body, end) = balanced(characters, from: cursor)
                result.append(
                    PLSQLCall(
                        procedure: name.lowercased(), arguments: namedArguments(body),
                        rawArguments: namedArguments(body, unquoting: false)))
                index = end
                continue
            }
            index += 1
        }
        return result
    }

    /// The text inside the parentheses starting at `start`, and the index after the closing one.
    static func balanced(_ characters: [Character], from start: Int) -> (String, Int) {
        var depth = 0
        var inQuote = false
        var body = ""
        var index = start
        while index < characters.count {
            let character = characters[index]
            if character == "'" { inQuote.toggle() }
            if !inQuote {
                if character == "(" {
                    depth += 1
                    if depth == 1 {
                        index += 1
                        continue
                    }
                } else if character == ")" {
                    depth -= 1
                    if depth == 0 { return (body, index + 1) }
                }
            }
            body.append(character)
            index += 1
        }
        return (body, index)
    }

    static func namedArguments(_ body: String, unquoting: Bool = true) -> [String: String] {
        let value: (String) -> String = { unquoting ? TextShape.unquote($0) : $0 }
        var parts: [String] = []
        var current = ""
        var depth = 0
        var inQuote = false
        for character in body {
            if character == "'" { inQuote.toggle() }
            if !inQuote {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                if character == "," && depth == 0 {
                    parts.append(current)
                    current = ""
                    continue
                }
            }
            current.append(character)
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(current) }
        var arguments: [String: String] = [:]
        for (position, part) in parts.enumerated() {
            if let arrow = part.range(of: "=>") {
                let key = part[..<arrow.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                arguments[key] = value(
                    String(part[arrow.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                arguments["#\(position + 1)"] = value(part.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return arguments
    }
}
