import Foundation

/// `autorestore.cfg`: the contract between a backup run and the restore of a snapshot (reference §7.2, R-15, R-16).
///
/// Written in two steps of every `imagecopywithsnap`:
/// 1. before the snapshot, the log-switch state (`lastscn`, `lasttime`, `bctfile`) is put into the file the
///    previous run left — replacing earlier values instead of appending duplicates;
/// 2. after the refresh, the file is rewritten with the database parameters only, once the query succeeded.
/// Both writes go to a temporary file that is renamed over the old one, so a crash never leaves a truncated file.
public struct AutorestoreParameters: Sendable, Equatable {
    public static let fileName = "autorestore.cfg"
    static let section = "dbparams"

    /// `[dbparams]` entries in order (`db_name`, `compatible`, …, `lastscn`, `lasttime`, `bctfile`).
    public private(set) var entries: [(key: String, value: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.entries.map { "\($0.key)=\($0.value)" } == rhs.entries.map { "\($0.key)=\($0.value)" }
    }

    public init(entries: [(key: String, value: String)] = []) {
        self.entries = []
        for entry in entries { self[entry.key] = entry.value }
    }

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
        public var query: String
        public var value: String
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

    /// The recovery target recorded before the snapshot.
    public var lastTime: String? { self["lasttime"] }
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
    public static func recordLogSwitch(
        directory: String, scn: String, time: String, bctFile: String, marker: Marker? = nil
    ) throws -> Bool {
        guard var parameters = try read(directory: directory) else { return false }
        parameters["lastscn"] = scn
        parameters["lasttime"] = time
        parameters["bctfile"] = bctFile
        // No marker this time: an earlier one must not be carried into this snapshot.
        parameters["markerquery"] = marker?.query
        parameters["markervalue"] = marker?.value
        try parameters.write(directory: directory)
        return true
    }
}
