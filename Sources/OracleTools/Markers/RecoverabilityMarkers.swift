/// One archived redo log, by thread and sequence.
public struct ArchivedLogID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The redo thread (1 for a single instance).
    public var thread: Int
    /// The log sequence number.
    public var sequence: Int

    /// A log of `thread` with `sequence`.
    public init(thread: Int, sequence: Int) {
        self.thread = thread
        self.sequence = sequence
    }

    /// Thread first, then sequence.
    public static func < (left: ArchivedLogID, right: ArchivedLogID) -> Bool {
        (left.thread, left.sequence) < (right.thread, right.sequence)
    }

    /// `thread 1 sequence 42`, as RMAN names a log.
    public var description: String { "thread \(thread) sequence \(sequence)" }
}

/// `archivelogsnapshotcheck`: which archived logs a snapshot of the backup area needs, and which of them the
/// controlfile lists in the backup area's archivelog directory.
public struct ArchivelogCoverage: Sendable, Equatable {
    /// The logs that end after the oldest image copy's checkpoint: recovery of the copies reads them.
    public var needed: [ArchivedLogID]
    /// The file names the controlfile lists under the archivelog directory, per log.
    public var inBackupArea: [ArchivedLogID: [String]]

    /// The coverage reported by the query.
    public init(needed: [ArchivedLogID], inBackupArea: [ArchivedLogID: [String]]) {
        self.needed = needed
        self.inBackupArea = inBackupArea
    }

    /// The needed logs of which no file listed in the archivelog directory exists, in order. `fileExists` is
    /// asked for each listed name: a log the controlfile lists there can still have been removed from disk.
    public func missing(fileExists: (String) -> Bool) -> [ArchivedLogID] {
        Set(needed).filter { log in !(inBackupArea[log] ?? []).contains(where: fileExists) }.sorted()
    }
}

/// `datafilesnotonline`: a datafile whose v$datafile.status is not SYSTEM or ONLINE.
public struct DatafileNotOnline: Sendable, Equatable {
    /// The absolute file number.
    public var fileNumber: Int
    /// v$datafile.status: OFFLINE, RECOVER or SYSOFF.
    public var status: String
    /// The datafile's name (path).
    public var name: String

    /// A file reported by the query.
    public init(fileNumber: Int, status: String, name: String) {
        self.fileNumber = fileNumber
        self.status = status
        self.name = name
    }
}

extension OutputMarkers {
    /// Parses `ARCHIVELOG NEEDED: <thread> <sequence>` and `ARCHIVELOG IN BACKUP AREA: <thread> <sequence> <name>`
    /// lines; lines that do not parse are ignored.
    public static func archivelogCoverage(_ output: String) -> ArchivelogCoverage {
        var needed: [ArchivedLogID] = []
        var inBackupArea: [ArchivedLogID: [String]] = [:]
        for text in values(after: "ARCHIVELOG NEEDED:", in: output) {
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let thread = Int(fields[0]), let sequence = Int(fields[1]) else { continue }
            needed.append(ArchivedLogID(thread: thread, sequence: sequence))
        }
        for text in values(after: "ARCHIVELOG IN BACKUP AREA:", in: output) {
            let fields = trimmed(Substring(text)).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let thread = Int(fields[0]), let sequence = Int(fields[1]) else { continue }
            inBackupArea[ArchivedLogID(thread: thread, sequence: sequence), default: []].append(String(fields[2]))
        }
        return ArchivelogCoverage(needed: needed, inBackupArea: inBackupArea)
    }

    /// Parses `DATAFILE NOT ONLINE: <file#> <status> <name>` lines in order; lines that do not parse are ignored.
    public static func datafilesNotOnline(_ output: String) -> [DatafileNotOnline] {
        values(after: "DATAFILE NOT ONLINE:", in: output).compactMap { text in
            let fields = trimmed(Substring(text)).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let number = Int(fields[0]) else { return nil }
            return DatafileNotOnline(fileNumber: number, status: String(fields[1]), name: String(fields[2]))
        }
    }
}
