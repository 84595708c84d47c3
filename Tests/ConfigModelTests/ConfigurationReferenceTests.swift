import Foundation
import Testing

/// Documentation/configuration.md must name every key ConfigModel reads, under the section it is read from, with
/// its built-in default: a key added to `SettingsBuilder` (or a default to `BackupConfiguration.builtInDefaults`)
/// fails here until the reference says what it is.
@Suite("configuration reference covers ConfigModel")
struct ConfigurationReferenceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The text of every Swift file of ConfigModel.
    static func configModelSources() throws -> [String: String] {
        let root = repository + "/Sources/ConfigModel"
        var sources: [String: String] = [:]
        let files = try FileManager.default.subpathsOfDirectory(atPath: root)
        for file in files where file.hasSuffix(".swift") {
            sources[file] = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
        }
        return sources
    }

    /// The keys read by name (`string("backupdest", section: "generic" …)`, `reader.flag("dosnapshot" …)`), with
    /// the section when the call names one.
    static func readKeys() throws -> [(key: String, section: String?)] {
        let call =
            #/(?:^|[^A-Za-z0-9_])(?:string|integer|hours|number|flag|bool|optionalString|requiredString)\(\s*"([a-z][a-z0-9_]*)"(?:\s*,\s*section:\s*"([a-z]+)")?/#
        var found: [String: String?] = [:]
        for (_, text) in try configModelSources() {
            for match in text.matches(of: call) {
                let key = String(match.output.1)
                let section = match.output.2.map(String.init)
                if found[key] == nil || found[key]! == nil { found[key] = section }
            }
        }
        return found.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }

    /// `BackupConfiguration.builtInDefaults`: key and default value.
    static func builtInDefaults() throws -> [(key: String, value: String)] {
        let text = try String(
            contentsOfFile: repository + "/Sources/ConfigModel/BackupConfiguration.swift", encoding: .utf8)
        guard let start = text.range(of: "static func builtInDefaults"),
            let end = text.range(of: "return defaults", range: start.upperBound..<text.endIndex)
        else { return [] }
        return text[start.upperBound..<end.lowerBound].matches(of: #/\("([a-z_0-9]+)", "([^"]*)"\)/#).map {
            (String($0.output.1), String($0.output.2))
        }
    }

    static func reference() throws -> String {
        var text = try String(
            contentsOfFile: repository + "/Documentation/configuration.md", encoding: .utf8)
        let more = repository + "/Documentation/configuration"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: more)) ?? [] where file.hasSuffix(".md") {
            text += "\n" + (try String(contentsOfFile: more + "/" + file, encoding: .utf8))
        }
        return text
    }

    /// The lines of configuration.md under the `## `[section]`` heading, up to the next `## ` heading.
    static func sectionText(_ section: String, in text: String) -> String {
        var inside = false
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { inside = line.contains("`[\(section)]`") }
            if inside { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    @Test func everyKeyReadIsDocumentedUnderItsSection() throws {
        let keys = try Self.readKeys()
        #expect(
            keys.count >= 50,
            "the key scan found only \(keys.count) keys (\(keys.map(\.key))): has SettingsBuilder's style changed?"
        )
        let reference = try Self.reference()
        for (key, section) in keys {
            let named = reference.contains("`\(key)`")
            #expect(named, "configuration.md does not name `\(key)`")
            if let section {
                let underSection = Self.sectionText(section, in: reference).contains("`\(key)`")
                #expect(underSection, "configuration.md names `\(key)` outside its section [\(section)]")
            }
        }
    }

    @Test func everyBuiltInDefaultIsDocumented() throws {
        let defaults = try Self.builtInDefaults()
        #expect(defaults.count >= 10, "the scan of builtInDefaults found \(defaults.count)")
        let lines = try Self.reference().split(separator: "\n").map { $0.lowercased() }
        for (key, value) in defaults where !value.isEmpty {
            let given = lines.contains { $0.contains("`\(key)`") && $0.contains(value.lowercased()) }
            #expect(
                given,
                "configuration.md does not give `\(key)`'s default \(value) on the line naming it")
        }
    }
}
