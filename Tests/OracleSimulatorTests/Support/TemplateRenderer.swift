import Foundation

/// Minimal reader for our template files (Python 2 ConfigParser dialect) and `${name}` substitution.
struct TemplateFile {
    var entries: [String: String]

    struct MissingSubstitution: Error, CustomStringConvertible {
        var name: String
        var description: String { "missing substitution ${\(name)}" }
    }

    static func templatesDirectory() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/OracleTools/Resources/templates")
    }

    init(named name: String) throws {
        let text = try String(
            contentsOf: TemplateFile.templatesDirectory().appendingPathComponent(name), encoding: .utf8)
        var entries: [String: String] = [:]
        var section: String?
        var key: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.first?.isWhitespace == true {
                if section == "template", let key {
                    entries[key, default: ""] += "\n" + line.trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" })
                key = nil
                continue
            }
            guard let separator = line.firstIndex(where: { $0 == ":" || $0 == "=" }) else { continue }
            let name = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            key = name
            if section == "template" {
                entries[name] = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            }
        }
        self.entries = entries.mapValues { $0.replacingOccurrences(of: "%%", with: "%") }
    }

    /// The entry with `${name}` replaced from `values` and `$$` turned into `$`.
    func render(_ key: String, _ values: [String: String]) throws -> String {
        guard let template = entries[key] else { throw MissingSubstitution(name: "template key " + key) }
        var result = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            let next = template.index(after: index)
            if character == "$", next < template.endIndex, template[next] == "$" {
                result.append("$")
                index = template.index(after: next)
            } else if character == "$", next < template.endIndex, template[next] == "{",
                let close = template[next...].firstIndex(of: "}")
            {
                let name = String(template[template.index(after: next)..<close])
                guard let value = values[name] else { throw MissingSubstitution(name: name) }
                result += value
                index = template.index(after: close)
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }
}
