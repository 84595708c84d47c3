/// A problem found while reading or interpolating an INI file. Every instance names the file and, where known,
/// the line, section and key, so a DBA can go straight to the spot.
public struct INIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; extensible.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let missingSectionHeader = Code("missing section header")
        public static let unparsableLine = Code("unparsable line")
        public static let duplicateSection = Code("duplicate section")
        public static let badInterpolation = Code("bad interpolation")
        public static let missingInterpolationKey = Code("missing interpolation key")
        public static let interpolationDepth = Code("interpolation too deep")
        public static let interpolationTooLarge = Code("interpolation too large")
        public static let notUTF8 = Code("not UTF-8 text")
    }

    public var code: Code
    public var file: String?
    public var line: Int?
    public var section: String?
    public var key: String?
    public var detail: String

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
