import ConfigModel
import Foundation

/// A problem with a script template: which file, which template key, which substitution.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template file's path.
    public var file: String
    /// The template key; empty when the problem is the whole file.
    public var template: String
    /// What is wrong (parse error, missing key, unknown `${name}`, …).
    public var detail: String

    public var description: String { "\(file): template '\(template)': \(detail)" }
}

/// A template file of the original's shape: one `[template]` section in the INI dialect, each key a script.
///
/// Fetching a script is the original's two-stage expansion: INI interpolation (`%(x)s`, `%%`), then `${name}`
/// substitution from the run's values (`$$` for a literal `$`, as in `v$$database`). Unlike the original, an
/// unknown `${name}` is reported with the template and key, and values are given per run (no process-wide
/// dictionary shared between databases, R-12).
public struct ScriptTemplates: Sendable {
    /// The path the templates were read from, named in errors.
    public let file: String
    let document: INIDocument
    static let section = "template"

    /// Parses a template file's text; `file` names it in errors.
    /// - Throws: ``TemplateError`` when the text is not valid INI or has no `[template]` section.
    public init(text: String, file: String) throws(TemplateError) {
        self.file = file
        do {
            document = try INIParser.parse(text, file: file)
        } catch {
            throw TemplateError(file: file, template: "", detail: error.description)
        }
        guard document.hasSection(Self.section) else {
            throw TemplateError(file: file, template: "", detail: "no [template] section")
        }
    }

    /// Loads `name` (e.g. `rmantemplate.cfg`) from `overrideDirectory` when it has that file, else from `builtIn`.
    public static func load(name: String, overrideDirectory: String?, builtInDirectory: String) throws(TemplateError)
        -> ScriptTemplates
    {
        var path = builtInDirectory + "/" + name
        if let overrideDirectory, FileManager.default.fileExists(atPath: overrideDirectory + "/" + name) {
            path = overrideDirectory + "/" + name
        }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw TemplateError(file: path, template: "", detail: "template file cannot be read")
        }
        return try ScriptTemplates(text: text, file: path)
    }

    /// The template keys in file order.
    public var keys: [String] { document.section(Self.section)?.keys ?? [] }

    /// Whether template `key` exists (keys are compared lower-cased, as the INI dialect stores them).
    public func has(_ key: String) -> Bool { document.section(Self.section)?.entry(key.lowercased()) != nil }

    /// Expands template `key` with `values`.
    /// - Throws: ``TemplateError`` for a missing template, an unknown `${name}` or a malformed reference.
    public func render(_ key: String, _ values: [String: String]) throws(TemplateError) -> String {
        guard has(key) else {
            throw TemplateError(file: file, template: key, detail: "no such template in [template]")
        }
        let raw: String
        do {
            raw = try document.value(section: Self.section, key: key.lowercased()) ?? ""
        } catch {
            throw TemplateError(file: file, template: key, detail: error.detail)
        }
        return try Self.substitute(raw, values: values, file: file, template: key)
    }

    /// `${name}` substitution with `$$` → `$`; a `$` followed by anything else is kept as is (Python's
    /// `string.Template.safe_substitute` would too, but a missing *named* key is an error here).
    public static func substitute(_ text: String, values: [String: String], file: String, template: String)
        throws(TemplateError) -> String
    {
        var result = ""
        var index = text.startIndex
        while let dollar = text[index...].firstIndex(of: "$") {
            result += text[index..<dollar]
            let next = text.index(after: dollar)
            if next < text.endIndex, text[next] == "$" {
                result += "$"
                index = text.index(after: next)
            } else if next < text.endIndex, text[next] == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw TemplateError(file: file, template: template, detail: "unterminated '${' in template text")
                }
                let name = String(text[text.index(after: next)..<close])
                guard let value = values[name] else {
                    throw TemplateError(
                        file: file, template: template,
                        detail: "unknown substitution '${\(name)}' (no value named '\(name)' in this run)")
                }
                result += value
                index = text.index(after: close)
            } else {
                result += "$"
                index = next
            }
        }
        result += text[index...]
        return result
    }
}
