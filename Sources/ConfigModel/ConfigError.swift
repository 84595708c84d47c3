/// One thing wrong with a configuration, located as precisely as possible.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var section: String?
    public var key: String?
    public var message: String

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
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) { self.problems = problems }
    public init(_ problem: ConfigProblem) { self.problems = [problem] }

    public var description: String {
        if problems.count == 1 { return problems[0].description }
        return "\(problems.count) configuration problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
