/// A parsed INI file in the dialect of Python 2's `SafeConfigParser`, which the original tool's
/// `backup.cfg` and template files are written in.
///
/// Reproduced quirks (each has a test):
/// - `key: value` and `key = value`; the key is everything before the first `:` or `=`, right-trimmed and
///   lower-cased. Section names keep their case.
/// - A line whose first character is `#` or `;`, or which starts with `rem`/`REM` in column 0, is a comment.
/// - Lines starting with white space continue the previous value; they are stripped and joined with `\n`.
///   Blank lines are dropped (also inside values). An indented `#` line is value text, not a comment.
/// - Inline comments on the first line of a value: the text from the first `;` is removed when that `;` is
///   preceded by white space.
/// - A value of exactly `""` is the empty string.
/// - `[DEFAULT]` values appear in every section; a repeated key: the last occurrence wins.
/// - `%(name)s` interpolation from the same section and `[DEFAULT]` (and caller defaults), `%%` for `%`.
public struct INIDocument: Sendable, Equatable {
    /// One `key: value` entry with the line it was written on.
    public struct Entry: Sendable, Equatable {
        /// The key, lower-cased.
        public var key: String
        public var rawValue: String
        /// The line it was written on; 0 for values set by code.
        public var line: Int

        /// An entry.
        public init(key: String, rawValue: String, line: Int) {
            self.key = key
            self.rawValue = rawValue
            self.line = line
        }
    }

    /// One section, its entries in file order (a repeated key keeps its first position, last value).
    public struct Section: Sendable, Equatable {
        /// The section name, case kept.
        public var name: String
        /// The line of the section header; 0 for sections made by code.
        public var line: Int
        /// The entries in file order.
        public internal(set) var entries: [Entry] = []
        private var index: [String: Int] = [:]

        /// An empty section.
        public init(name: String, line: Int) {
            self.name = name
            self.line = line
        }

        /// The keys in file order.
        public var keys: [String] { entries.map(\.key) }

        /// The entry for `key` (already lower-cased), without `[DEFAULT]` fallback.
        public func entry(_ key: String) -> Entry? {
            index[key].map { entries[$0] }
        }

        mutating func set(_ entry: Entry) {
            if let position = index[entry.key] {
                entries[position] = entry
            } else {
                index[entry.key] = entries.count
                entries.append(entry)
            }
        }

        mutating func appendContinuation(_ text: String, to key: String) {
            guard let position = index[key] else { return }
            entries[position].rawValue += "\n" + text
        }
    }

    /// The name of the section whose values appear in every other section.
    public static let defaultSectionName = "DEFAULT"

    /// The file the document was read from, for messages; `nil` for in-memory text.
    public var file: String?
    /// The `[DEFAULT]` section (empty when the file has none).
    public var defaults: Section
    /// All other sections in file order.
    public internal(set) var sections: [Section]

    /// A document; without `defaults`, an empty `[DEFAULT]`.
    public init(file: String? = nil, defaults: Section? = nil, sections: [Section] = []) {
        self.file = file
        self.defaults = defaults ?? Section(name: Self.defaultSectionName, line: 0)
        self.sections = sections
    }

    /// The section names in file order (without `DEFAULT`).
    public var sectionNames: [String] { sections.map(\.name) }

    /// The section called `name` (case-sensitive); `DEFAULT` gives ``defaults``.
    public func section(_ name: String) -> Section? {
        if name == Self.defaultSectionName { return defaults }
        return sections.first { $0.name == name }
    }

    /// Whether a section called `name` exists (`DEFAULT` excluded).
    public func hasSection(_ name: String) -> Bool {
        sections.contains { $0.name == name }
    }

    /// Adds or replaces a default value (the caller-supplied defaults of `SafeConfigParser(defaults)`);
    /// keys are lower-cased like file keys.
    public mutating func setDefault(_ key: String, _ value: String) {
        defaults.set(Entry(key: key.lowercased(), rawValue: value, line: 0))
    }

    /// Adds or replaces a value in a section, creating the section if needed.
    public mutating func set(section: String, key: String, value: String, line: Int = 0) {
        let entry = Entry(key: key.lowercased(), rawValue: value, line: line)
        if section == Self.defaultSectionName {
            defaults.set(entry)
        } else if let position = sections.firstIndex(where: { $0.name == section }) {
            sections[position].set(entry)
        } else {
            var newSection = Section(name: section, line: line)
            newSection.set(entry)
            sections.append(newSection)
        }
    }

    /// The raw (uninterpolated) value of `key` in `section`, falling back to `[DEFAULT]`.
    public func rawValue(section: String, key: String) -> Entry? {
        let key = key.lowercased()
        if section != Self.defaultSectionName, let entry = self.section(section)?.entry(key) {
            return entry
        }
        return defaults.entry(key)
    }

    /// The interpolated value of `key` in `section` (falling back to `[DEFAULT]`), or `nil` when absent.
    /// - Throws: ``INIError`` for a bad `%` reference, a missing referenced key or a reference loop.
    public func value(section: String, key: String) throws(INIError) -> String? {
        guard let entry = rawValue(section: section, key: key) else { return nil }
        var budget = InterpolationBudget()
        return try interpolate(
            entry.rawValue, section: section, key: entry.key, line: entry.line, depth: 1, budget: &budget)
    }

    /// Bounds the work of one value's interpolation: references may fan out (`%(a)s%(a)s…` at every level), which
    /// grows exponentially with the depth; no real configuration comes near these limits.
    struct InterpolationBudget {
        static let maximumReferences = 10_000
        static let maximumLength = 1 << 20
        var references = 0
        /// Bytes of raw values read so far (each referenced value counts each time it is expanded).
        var scanned = 0
    }

    /// The interpolation depth at which Python 2 gives up (`MAX_INTERPOLATION_DEPTH`).
    static let maximumInterpolationDepth = 10

    func interpolate(
        _ text: String, section: String, key: String, line: Int, depth: Int, budget: inout InterpolationBudget
    ) throws(INIError) -> String {
        guard text.contains("%") else { return text }
        budget.scanned += text.utf8.count
        if budget.scanned > InterpolationBudget.maximumLength {
            throw INIError(
                .interpolationTooLarge, file: file, line: line, section: section, key: key,
                detail: "value references read more than \(InterpolationBudget.maximumLength) bytes of values")
        }
        if depth > Self.maximumInterpolationDepth {
            throw INIError(
                .interpolationDepth, file: file, line: line, section: section, key: key,
                detail: "value references nest deeper than \(Self.maximumInterpolationDepth) levels")
        }
        var result = ""
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            result += rest[..<percent]
            let after = rest[rest.index(after: percent)...]
            if after.first == "%" {
                result += "%"
                rest = after.dropFirst()
            } else if after.first == "(" {
                guard let close = after.firstIndex(of: ")"), after.index(after: close) < after.endIndex,
                    after[after.index(after: close)] == "s", after.index(after: after.startIndex) < close
                else {
                    throw INIError(
                        .badInterpolation, file: file, line: line, section: section, key: key,
                        detail: "bad interpolation variable reference '\(String(rest))'")
                }
                let name = after[after.index(after: after.startIndex)..<close].lowercased()
                guard let referenced = rawValue(section: section, key: name) else {
                    throw INIError(
                        .missingInterpolationKey, file: file, line: line, section: section, key: key,
                        detail: "'%(\(name))s' refers to a key that is neither in [\(section)] nor in [DEFAULT]")
                }
                budget.references += 1
                if budget.references > InterpolationBudget.maximumReferences {
                    throw INIError(
                        .interpolationTooLarge, file: file, line: line, section: section, key: key,
                        detail:
                            "value references expand to more than \(InterpolationBudget.maximumReferences) references")
                }
                result += try interpolate(
                    referenced.rawValue, section: section, key: key, line: line,
                    depth: depth + 1, budget: &budget)
                if result.utf8.count > InterpolationBudget.maximumLength {
                    throw INIError(
                        .interpolationTooLarge, file: file, line: line, section: section, key: key,
                        detail: "the value expands to more than \(InterpolationBudget.maximumLength) bytes")
                }
                rest = after[after.index(close, offsetBy: 2)...]
            } else {
                throw INIError(
                    .badInterpolation, file: file, line: line, section: section, key: key,
                    detail: "'%' must be followed by '%' or '(', found: '\(String(rest))' (write %% for a literal %)")
            }
        }
        result += rest
        return result
    }
}
