/// One thing wrong with a configuration, located as precisely as possible.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The configuration file; `nil` for text not read from a file.
    public var file: String?
    /// The line, when known (never 0).
    public var line: Int?
    /// The section, when known.
    public var section: String?
    /// The key, when known.
    public var key: String?
    /// What is wrong, for a DBA.
    public var message: String

    /// A problem; a `line` of 0 counts as unknown.
    public init(file: String?, line: Int? = nil, section: String? = nil, key: String? = nil, message: String) {
        self.file = file
        self.line = (line ?? 0) == 0 ? nil : line
        self.section = section
        self.key = key
        self.message = message
    }

    init(_ error: INIError) {
        self.init(file: error.file, line: error.line, section: error.section, key: error.key, message: error.detail)
    }

    /// `file:line: [section] key: message`, leaving out what is unknown.
    public var description: String {
        var location = file ?? "<configuration>"
        if let line { location += ":\(line)" }
        var subject = ""
        if let section { subject += "[\(section)]" }
        if let key { subject += (subject.isEmpty ? "" : " ") + key }
        return subject.isEmpty ? "\(location): \(message)" : "\(location): \(subject): \(message)"
    }
}

/// Every problem found in a configuration, reported together so a DBA fixes them in one pass.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, in the order found.
    public var problems: [ConfigProblem]

    /// An error listing `problems`.
    public init(_ problems: [ConfigProblem]) { self.problems = problems }
    /// An error with one problem.
    public init(_ problem: ConfigProblem) { self.problems = [problem] }

    public var description: String {
        if problems.count == 1 { return problems[0].description }
        return "\(problems.count) configuration problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
