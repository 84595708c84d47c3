/// A problem found while reading or interpolating an INI file. Every instance names the file and, where known,
/// the line, section and key, so a DBA can go straight to the spot.
public struct INIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; extensible.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code with its text.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A value before the first `[section]` line.
        public static let missingSectionHeader = Code("missing section header")
        /// A line that is neither a section, an entry, a comment nor a continuation.
        public static let unparsableLine = Code("unparsable line")
        /// A section header that appeared before.
        public static let duplicateSection = Code("duplicate section")
        /// A `%` not followed by `%` or `(name)s`.
        public static let badInterpolation = Code("bad interpolation")
        /// `%(name)s` names a key that is not there.
        public static let missingInterpolationKey = Code("missing interpolation key")
        /// References nest deeper than Python 2 allowed (a loop, usually).
        public static let interpolationDepth = Code("interpolation too deep")
        /// References expand beyond the size limit.
        public static let interpolationTooLarge = Code("interpolation too large")
        /// The file is not UTF-8 text.
        public static let notUTF8 = Code("not UTF-8 text")
    }

    /// What went wrong.
    public var code: Code
    /// The file, when the text came from one.
    public var file: String?
    /// The line, when known (never 0).
    public var line: Int?
    /// The section, when known.
    public var section: String?
    /// The key, when known.
    public var key: String?
    /// What is wrong, for a DBA.
    public var detail: String

    /// An error; a `line` of 0 counts as unknown.
    public init(
        _ code: Code, file: String?, line: Int? = nil, section: String? = nil, key: String? = nil,
        detail: String
    ) {
        self.code = code
        self.file = file
        self.line = line == 0 ? nil : line
        self.section = section
        self.key = key
        self.detail = detail
    }

    /// `file:line: [section] key: detail` — the parts that are known.
    public var description: String {
        var location = file ?? "<text>"
        if let line { location += ":\(line)" }
        var subject = ""
        if let section { subject += "[\(section)]" }
        if let key { subject += (subject.isEmpty ? "" : " ") + key }
        return subject.isEmpty ? "\(location): \(detail)" : "\(location): \(subject): \(detail)"
    }
}
