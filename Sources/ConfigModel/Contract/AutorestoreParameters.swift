import Foundation

/// `autorestore.cfg`: the contract between a backup run and the restore of a snapshot (reference §7.2, R-15, R-16).
///
/// Written in two steps of every `imagecopywithsnap`:
/// 1. before the snapshot, the log-switch state (`lastscn`, `lasttime`, `bctfile`) is put into the file the
///    previous run left — replacing earlier values instead of appending duplicates;
/// 2. after the refresh, the file is rewritten with the database parameters only, once the query succeeded.
/// Both writes go to a temporary file that is renamed over the old one, so a crash never leaves a truncated file.
public struct AutorestoreParameters: Sendable, Equatable {
    /// The file's name in the backup area (and so in every snapshot).
    public static let fileName = "autorestore.cfg"
    static let section = "dbparams"

    /// `[dbparams]` entries in order (`db_name`, `compatible`, …, `lastscn`, `lasttime`, `bctfile`).
    public private(set) var entries: [(key: String, value: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.entries.map { "\($0.key)=\($0.value)" } == rhs.entries.map { "\($0.key)=\($0.value)" }
    }

    /// Parameters from `entries`; keys are lower-cased, the last of duplicates wins.
    public init(entries: [(key: String, value: String)] = []) {
        self.entries = []
        for entry in entries { self[entry.key] = entry.value }
    }

    /// The value of `key` (case-insensitive); setting `nil` removes it, setting a value keeps its position.
    public subscript(key: String) -> String? {
        get { entries.last { $0.key == key.lowercased() }?.value }
        set {
            let key = key.lowercased()
            if let newValue {
                if let index = entries.firstIndex(where: { $0.key == key }) {
                    entries[index].value = newValue
                } else {
                    entries.append((key, newValue))
                }
            } else {
                entries.removeAll { $0.key == key }
            }
        }
    }

    /// Parses the file (the last of duplicate keys wins, as in the original).
    public init(text: String, file: String) throws(ConfigError) {
        let document: INIDocument
        do {
            document = try INIParser.parse(text, file: file)
        } catch {
            throw ConfigError(ConfigProblem(error))
        }
        guard let section = document.section(Self.section) else {
            throw ConfigError(ConfigProblem(file: file, message: "no [dbparams] section"))
        }
        self.init(entries: section.entries.map { ($0.key, $0.rawValue) })
    }

    /// The file text.
    public var text: String {
        (["[\(Self.section)]"] + entries.map { "\($0.key): \($0.value)" }).joined(separator: "\n") + "\n"
    }

    /// The marker check recorded by the backup: the query and the value it returned just before the log switch.
    public struct Marker: Sendable, Equatable {
        /// The `markerquery` SQL.
        public var query: String
        /// What it returned before the log switch.
        public var value: String
        /// A marker check.
        public init(query: String, value: String) {
            self.query = query
            self.value = value
        }
    }

    /// The marker recorded with the log switch, when the backup had `markerquery` set and the query answered.
    public var marker: Marker? {
        guard let query = self["markerquery"], !query.isEmpty, let value = self["markervalue"] else { return nil }
        return Marker(query: query, value: value)
    }

    /// The recovery target recorded before the snapshot, in the database host's local time.
    public var lastTime: String? { self["lasttime"] }

    /// New key beside `lasttime`: the database host's UTC offset at that time, `+HH:MM` or `-HH:MM`. Readers that do
    /// not know it (the original's autorestore.py) ignore it; snapshots taken before it existed lack it.
    public static let lastTimeUTCOffsetKey = "lasttimeutcoffset"

    /// The recorded UTC offset of `lasttime` in seconds, `nil` when the file has none (an older snapshot).
    /// - Throws: ``ConfigError`` naming `file`, `[dbparams]` and the key when the value is not an offset.
    public func lastTimeUTCOffset(file: String) throws(ConfigError) -> Int? {
        guard let text = self[Self.lastTimeUTCOffsetKey] else { return nil }
        guard let seconds = Self.parseUTCOffset(text) else {
            throw ConfigError(
                ConfigProblem(
                    file: file, section: Self.section, key: Self.lastTimeUTCOffsetKey,
                    message: "'\(text)' is not a UTC offset such as +02:00 or -05:00"))
        }
        return seconds
    }

    /// The zone named by `backuptimezone` (an IANA name such as `Europe/Tallinn`, or `UTC`), `nil` if unknown.
    public static func timeZone(named name: String) -> TimeZone? {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : TimeZone(identifier: trimmed)
    }

    /// `+HH:MM` for an offset in seconds east of UTC (minutes rounded down to whole minutes).
    public static func formatUTCOffset(_ seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        let hours = String(minutes / 60)
        let rest = String(minutes % 60)
        return (seconds < 0 ? "-" : "+") + String(repeating: "0", count: 2 - min(2, hours.count)) + hours + ":"
            + String(repeating: "0", count: 2 - rest.count) + rest
    }

    /// Seconds east of UTC for `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH` (at most 14 hours), `nil` otherwise.
    public static func parseUTCOffset(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let sign = trimmed.first, sign == "+" || sign == "-" else { return nil }
        let digits = trimmed.dropFirst().replacingOccurrences(of: ":", with: "")
        let colons = trimmed.filter { $0 == ":" }.count
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), [2, 4].contains(digits.count),
            colons == 0 || (colons == 1 && digits.count == 4 && Array(trimmed)[3] == ":")
        else { return nil }
        let hours = Int(digits.prefix(2)) ?? 99
        let minutes = digits.count == 4 ? Int(digits.suffix(2)) ?? 99 : 0
        guard minutes < 60, hours * 60 + minutes <= 14 * 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// The UTC offset of `zone` at the wall-clock time `localTime` (`yyyy-MM-dd HH:mm:ss`) as `+HH:MM`, or `nil`
    /// when the text is not such a time.
    public static func utcOffset(ofLocalTime localTime: String, in zone: TimeZone) -> String? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let date = formatter.date(from: localTime.trimmingCharacters(in: .whitespaces)) else { return nil }
        return formatUTCOffset(zone.secondsFromGMT(for: date))
    }
    /// `db_name`.
    public var databaseName: String? { self["db_name"] }

    /// What a restore needs that is missing: empty when the snapshot holding this file is restorable.
    public var missingForRestore: [String] {
        ["db_name", "lasttime", "compatible", "db_block_size", "db_files", "undo_tablespace"]
            .filter { (self[$0] ?? "").isEmpty }
    }

    /// Reads `<directory>/autorestore.cfg`; nil when the file does not exist.
    public static func read(directory: String) throws(ConfigError) -> AutorestoreParameters? {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try BackupConfiguration.readText(path: path, what: "restore parameter file")
        return try AutorestoreParameters(text: text, file: path)
    }

    /// Writes `<directory>/autorestore.cfg` atomically (temporary file in the same directory, then rename).
    public func write(directory: String) throws {
        let path = directory + "/" + Self.fileName
        let temporary = directory + "/.\(Self.fileName).\(ProcessInfo.processInfo.processIdentifier).tmp"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Step 1 of the contract: record the pre-snapshot log-switch state in the existing file, if there is one
    /// (the very first run has none, like the original). Returns whether a file was updated.
    @discardableResult
    /// `timeZone` is the database host's zone, whose UTC offset at `time` is written as `lasttimeutcoffset`.
    public static func recordLogSwitch(
        directory: String, scn: String, time: String, bctFile: String, marker: Marker? = nil,
        timeZone: TimeZone = .current
    ) throws -> Bool {
        guard var parameters = try read(directory: directory) else { return false }
        parameters["lastscn"] = scn
        parameters["lasttime"] = time
        // After `lasttime`, so readers see the pair together; an offset of an earlier time is never kept.
        parameters[lastTimeUTCOffsetKey] = nil
        if let offset = utcOffset(ofLocalTime: time, in: timeZone),
            let index = parameters.entries.firstIndex(where: { $0.key == "lasttime" })
        {
            parameters.entries.insert((lastTimeUTCOffsetKey, offset), at: index + 1)
        }
        parameters["bctfile"] = bctFile
        // No marker this time: an earlier one must not be carried into this snapshot.
        parameters["markerquery"] = marker?.query
        parameters["markervalue"] = marker?.value
        try parameters.write(directory: directory)
        return true
    }
}
