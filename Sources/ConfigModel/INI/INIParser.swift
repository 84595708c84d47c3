/// Reads INI text exactly as Python 2.7's `RawConfigParser._read` does (see ``INIDocument`` for the quirks).
public enum INIParser {
    /// Parses `text`. Unlike Python 2, a repeated section header is reported as an error (both line numbers are
    /// named) instead of being merged silently; everything else follows Python 2, including "last key wins".
    /// - Parameters:
    ///   - text: the file's content.
    ///   - file: the path used in error messages.
    /// - Returns: the document, or throws the *first* structural error with its line number.
    public static func parse(_ text: String, file: String? = nil) throws(INIError) -> INIDocument {
        let (document, errors) = parseCollectingErrors(text, file: file)
        if let first = errors.first { throw first }
        return document
    }

    /// Parses `text` and returns every structural error instead of stopping at the first (for `checkconfig`).
    public static func parseCollectingErrors(_ text: String, file: String? = nil) -> (INIDocument, [INIError]) {
        var document = INIDocument(file: file)
        var errors: [INIError] = []
        var currentSection: String?
        var sectionLines: [String: Int] = [:]
        var currentKey: String?
        var skippingDuplicate = false

        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            // Comments and blank lines.
            if line.allSatisfy(\.isWhitespace) { continue }
            if let first = line.first, first == "#" || first == ";" { continue }
            if let first = line.first, first == "r" || first == "R",
                line.split(whereSeparator: \.isWhitespace).first?.lowercased() == "rem"
            {
                continue
            }
            // Continuation line.
            if let first = line.first, first.isWhitespace, skippingDuplicate { continue }
            if let first = line.first, first.isWhitespace, let section = currentSection, let key = currentKey {
                let value = line.trimmingCharacters(in: .whitespaces)
                if !value.isEmpty {
                    if section == INIDocument.defaultSectionName {
                        document.defaults.appendContinuation(value, to: key)
                    } else {
                        document.appendContinuation(value, section: section, key: key)
                    }
                }
                continue
            }
            // Section header: `[name]`, anything after the closing bracket is ignored.
            if line.first == "[", let close = line.dropFirst().firstIndex(of: "]"),
                close > line.index(after: line.startIndex)
            {
                let name = String(line[line.index(after: line.startIndex)..<close])
                skippingDuplicate = false
                if name != INIDocument.defaultSectionName, let earlier = sectionLines[name] {
                    errors.append(
                        INIError(
                            .duplicateSection, file: file, line: lineNumber, section: name,
                            detail: "section [\(name)] is defined twice (first at line \(earlier))"))
                    // Its keys are not merged into the first one: which values win would be a guess.
                    skippingDuplicate = true
                } else if name != INIDocument.defaultSectionName {
                    sectionLines[name] = lineNumber
                    document.addSection(name, line: lineNumber)
                }
                currentSection = name
                currentKey = nil
                continue
            }
            if skippingDuplicate { continue }
            guard let section = currentSection else {
                errors.append(
                    INIError(
                        .missingSectionHeader, file: file, line: lineNumber,
                        detail: "file contains no section header before '\(line)'"))
                // Python stops here; so do we: nothing after this line can be placed.
                return (document, errors)
            }
            guard let (key, value) = parseOption(line) else {
                errors.append(
                    INIError(
                        .unparsableLine, file: file, line: lineNumber, section: section,
                        detail: "expected 'key: value' or 'key = value', found '\(line)'"))
                continue
            }
            document.set(section: section, key: key, value: value, line: lineNumber)
            currentKey = key
        }
        return (document, errors)
    }

    /// `(?P<option>[^:=\s][^:=]*)\s*(?P<vi>[:=])\s*(?P<value>.*)$` followed by Python 2's inline-comment and
    /// `""` handling.
    static func parseOption(_ line: Substring) -> (String, String)? {
        guard let first = line.first, first != ":", first != "=", !first.isWhitespace,
            let separator = line.firstIndex(where: { $0 == ":" || $0 == "=" })
        else { return nil }
        let key = line[..<separator].trimmingTrailingWhitespace().lowercased()
        var value = Substring(line[line.index(after: separator)...])
        if let semicolon = value.firstIndex(of: ";"), semicolon > value.startIndex,
            value[value.index(before: semicolon)].isWhitespace
        {
            value = value[..<semicolon]
        }
        var text = value.trimmingCharacters(in: .whitespaces)
        if text == "\"\"" { text = "" }
        return (key, text)
    }
}

extension INIDocument {
    mutating func addSection(_ name: String, line: Int) {
        if !hasSection(name) {
            sections.append(Section(name: name, line: line))
        }
    }

    mutating func appendContinuation(_ text: String, section: String, key: String) {
        guard let position = sections.firstIndex(where: { $0.name == section }) else { return }
        sections[position].appendContinuation(text, to: key)
    }
}

extension Substring {
    /// Linear in the white space removed (`dropLast()` counted the whole line each time: a line ending in tens of
    /// thousands of blanks took seconds, found by Scripts/fuzz.sh).
    func trimmingTrailingWhitespace() -> Substring {
        var end = endIndex
        while end > startIndex {
            let before = index(before: end)
            guard self[before].isWhitespace else { break }
            end = before
        }
        return self[startIndex..<end]
    }

    func trimmingCharacters(in _: WhitespaceSet) -> String {
        var start = startIndex
        while start < endIndex, self[start].isWhitespace { start = index(after: start) }
        return String(self[start...].trimmingTrailingWhitespace())
    }
}

/// Marker for the only character set the parser trims (Python's `str.strip()` white space).
enum WhitespaceSet { case whitespaces }
