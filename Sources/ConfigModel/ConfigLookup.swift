/// A value read from the configuration together with where it came from.
public struct ConfigValue: Sendable, Equatable {
    /// The interpolated value.
    public var value: String
    /// The section the value was found in (`DEFAULT` for defaults).
    public var section: String
    /// The key as written in that section (for a prefixed override, e.g. `zfssapool`).
    public var key: String
    /// The line it was written on; `nil` for built-in defaults.
    public var line: Int?
    /// The file it was read from when that is not the configuration itself (e.g. a credentials file whose section
    /// overrides storage settings); `nil`: the configuration.
    public var file: String? = nil
}

/// The original's lookup rules (reference §3.3) over one *default section*, usually the database's.
///
/// - `value(key)` reads `key` from the default section (with `[DEFAULT]` fallback).
/// - `value(key, section: "zfssa")` first tries the prefixed override `zfssa<key>` in the default section and
///   then `[zfssa] key` — how per-database overrides of shared settings are written (`zfssapool`,
///   `genericoraclehome`, `autorestoreautorestoresnapage`, …).
public struct ConfigLookup: Sendable {
    /// The parsed configuration.
    public let document: INIDocument
    /// The section plain keys are read from (usually the database's).
    public let defaultSection: String

    /// Lookups in `document` with `defaultSection` as the default section.
    public init(document: INIDocument, defaultSection: String) {
        self.document = document
        self.defaultSection = defaultSection
    }

    /// The document's file, for messages.
    public var file: String? { document.file }

    /// Looks `key` up by the original's rules; `nil` when absent everywhere.
    /// - Throws: ``ConfigError`` when the value exists but its `%` interpolation is broken.
    public func value(_ key: String, section: String? = nil) throws(ConfigError) -> ConfigValue? {
        let key = key.lowercased()
        ConfigKeyReads.record(section: section ?? defaultSection, key: key)
        if let section {
            if let found = try find(section: defaultSection, key: section.lowercased() + key) { return found }
            return try find(section: section, key: key)
        }
        return try find(section: defaultSection, key: key)
    }

    private func find(section: String, key: String) throws(ConfigError) -> ConfigValue? {
        guard section == INIDocument.defaultSectionName || document.hasSection(section) else { return nil }
        guard let entry = document.rawValue(section: section, key: key) else { return nil }
        let definedIn = document.section(section)?.entry(key) != nil ? section : INIDocument.defaultSectionName
        do {
            let text = try document.value(section: section, key: key) ?? entry.rawValue
            return ConfigValue(value: text, section: definedIn, key: key, line: entry.line == 0 ? nil : entry.line)
        } catch {
            throw ConfigError(ConfigProblem(error))
        }
    }
}

/// Reads typed values and collects every problem instead of stopping at the first one.
public final class ProblemCollector: @unchecked Sendable {
    /// The problems recorded so far, in order.
    public private(set) var problems: [ConfigProblem] = []
    /// An empty collector.
    public init() {}

    /// Records one problem.
    public func add(_ problem: ConfigProblem) { problems.append(problem) }
    /// Records several problems.
    public func add(contentsOf other: [ConfigProblem]) { problems.append(contentsOf: other) }
    /// True when nothing was recorded.
    public var isEmpty: Bool { problems.isEmpty }

    /// Runs one read; when it throws, records its problems and returns `fallback`. Lets a reader of several keys
    /// report every problem in one pass:
    /// ```swift
    /// let problems = ProblemCollector()
    /// let url = problems.read("") { () throws(ConfigError) in try section.requiredString("url") }
    /// let pool = problems.read("") { () throws(ConfigError) in try section.requiredString("pool") }
    /// try problems.check()
    /// ```
    public func read<Value>(_ fallback: @autoclosure () -> Value, _ body: () throws(ConfigError) -> Value) -> Value {
        do {
            return try body()
        } catch {
            add(contentsOf: error.problems)
            return fallback()
        }
    }

    /// Throws every recorded problem as one ``ConfigError``; does nothing when there is none.
    public func check() throws(ConfigError) {
        if !problems.isEmpty { throw ConfigError(problems) }
    }
}

/// Typed accessors on top of ``ConfigLookup`` that record problems in a ``ProblemCollector``.
public struct SettingsReader {
    /// Where values come from.
    public let lookup: ConfigLookup
    /// Where problems go.
    public let problems: ProblemCollector

    /// A reader over `lookup` recording into `problems`.
    public init(lookup: ConfigLookup, problems: ProblemCollector) {
        self.lookup = lookup
        self.problems = problems
    }

    /// Where a missing key should be written, for messages: `[generic] backupdest (or genericbackupdest in [orcl])`.
    func missingMessage(_ key: String, section: String?) -> ConfigProblem {
        if let section {
            return ConfigProblem(
                file: lookup.file, section: section, key: key,
                message:
                    "required key is missing (set it in [\(section)], or as \(section)\(key) in [\(lookup.defaultSection)])"
            )
        }
        return ConfigProblem(
            file: lookup.file, section: lookup.defaultSection, key: key,
            message: "required key is missing")
    }

    func problem(_ value: ConfigValue, _ message: String) -> ConfigProblem {
        ConfigProblem(
            file: value.file ?? lookup.file, line: value.line, section: value.section, key: value.key, message: message)
    }

    /// The raw string, or `nil` when absent (a broken interpolation is recorded as a problem).
    public func optionalString(_ key: String, section: String? = nil) -> ConfigValue? {
        do {
            return try lookup.value(key, section: section)
        } catch {
            problems.add(contentsOf: error.problems)
            return nil
        }
    }

    /// A required non-empty string; records a problem and returns `nil` when missing or empty.
    public func requiredString(_ key: String, section: String? = nil) -> ConfigValue? {
        guard let found = optionalString(key, section: section) else {
            problems.add(missingMessage(key, section: section))
            return nil
        }
        if found.value.isEmpty {
            problems.add(problem(found, "must not be empty"))
            return nil
        }
        return found
    }

    /// A whole number within `range`, or `defaultValue` when absent (`nil` default: required).
    public func integer(
        _ key: String, section: String? = nil, default defaultValue: Int? = nil,
        range: ClosedRange<Int> = 0...Int.max
    ) -> Int? {
        guard let found = optionalString(key, section: section), !found.value.isEmpty else {
            if defaultValue == nil { problems.add(missingMessage(key, section: section)) }
            return defaultValue
        }
        guard let number = Int(found.value.trimmingCharacters(in: .whitespaces)) else {
            problems.add(problem(found, "'\(found.value)' is not a whole number"))
            return defaultValue
        }
        guard range.contains(number) else {
            let upper = range.upperBound == Int.max ? "" : " and \(range.upperBound)"
            problems.add(
                problem(
                    found,
                    range.upperBound == Int.max
                        ? "\(number) is out of range: must be at least \(range.lowerBound)"
                        : "\(number) is out of range: must be between \(range.lowerBound)\(upper)"))
            return defaultValue
        }
        return number
    }

    /// A decimal number (hours, minutes) ≥ `minimum`.
    public func number(
        _ key: String, section: String? = nil, default defaultValue: Double? = nil,
        minimum: Double = 0
    ) -> Double? {
        guard let found = optionalString(key, section: section), !found.value.isEmpty else {
            if defaultValue == nil { problems.add(missingMessage(key, section: section)) }
            return defaultValue
        }
        guard let number = Double(found.value.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            problems.add(problem(found, "'\(found.value)' is not a number"))
            return defaultValue
        }
        guard number >= minimum else {
            problems.add(problem(found, "\(found.value) is out of range: must be at least \(minimum)"))
            return defaultValue
        }
        return number
    }

    /// A flag. The original treated only `TRUE` (any case) as true and everything else as false; to avoid
    /// silently misreading `yes`/`1`, only `true`/`false` (any case) are accepted and anything else is a problem.
    public func flag(_ key: String, section: String? = nil, default defaultValue: Bool) -> Bool {
        guard let found = optionalString(key, section: section), !found.value.isEmpty else { return defaultValue }
        switch found.value.uppercased() {
        case "TRUE": return true
        case "FALSE": return false
        default:
            problems.add(
                problem(
                    found, "'\(found.value)' is not TRUE or FALSE (the original tool read anything but TRUE as FALSE)"))
            return defaultValue
        }
    }
}

extension String {
    func trimmingCharacters(in _: WhitespaceSet) -> String {
        Substring(self).trimmingCharacters(in: .whitespaces)
    }
}
