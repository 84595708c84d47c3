import Foundation

/// Header of an archived redo log file.
public struct ArchivedLogHeader: Codable, Sendable, Equatable {
    public var dbid: Int64
    public var dbName: String
    public var thread: Int
    public var sequence: Int
    public var resetlogsId: Int64
    public var firstSCN: Int64
    public var nextSCN: Int64
    public var firstTime: Date
    public var nextTime: Date
}

/// Real archived-log file: `ORASIMARC <header json>`, one redo record per line, `END <checksum>`.
public enum ArchivedLogFile {
    public static let magic = "ORASIMARC"

    public static func write(path: String, header: ArchivedLogHeader, records: [RedoRecord]) throws {
        var text = magic + " " + String(decoding: try JSONCoding.encoderCompact.encode(header), as: UTF8.self) + "\n"
        for record in records {
            text += String(decoding: try JSONCoding.encoderCompact.encode(record), as: UTF8.self) + "\n"
        }
        text += "END " + String(Checksum.fnv1a(Data(text.utf8)), radix: 16) + "\n"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    public static func isArchivedLog(_ data: Data) -> Bool { data.starts(with: Data((magic + " ").utf8)) }

    /// Reads and verifies a log; throws when the checksum does not match.
    public static func read(path: String) throws -> (header: ArchivedLogHeader, records: [RedoRecord]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let first = lines.first, first.hasPrefix(magic + " "), let last = lines.last, last.hasPrefix("END ")
        else { throw SimulatorError("not an archived log: \(path)") }
        let body = lines.dropLast().joined(separator: "\n") + "\n"
        guard String(Checksum.fnv1a(Data(body.utf8)), radix: 16) == String(last.dropFirst(4)) else {
            throw SimulatorError("archived log \(path) is corrupt")
        }
        lines.removeLast()
        let header = try JSONCoding.decoder.decode(
            ArchivedLogHeader.self, from: Data(first.dropFirst(magic.count + 1).utf8))
        let records = try lines.dropFirst().map { try JSONCoding.decoder.decode(RedoRecord.self, from: Data($0.utf8)) }
        return (header, records)
    }

    public static func readHeader(path: String) throws -> ArchivedLogHeader { try read(path: path).header }
}

/// Header of a backup piece.
public struct BackupPieceHeader: Codable, Sendable, Equatable {
    public var dbid: Int64
    public var dbName: String
    public var kind: BackupPieceKind
    public var tag: String
    public var fileNumber: Int?
    public var fromSCN: Int64?
    public var toSCN: Int64?
    public var created: Date
}

/// Contents of a backup piece.
public struct BackupPieceBody: Codable, Sendable, Equatable {
    /// Incremental pieces: block number → base64 block image.
    public var blocks: [Int: String]?
    /// Controlfile pieces: the controlfile as of the backup.
    public var controlfile: DatabaseState?
    /// Spfile pieces: parameter text.
    public var spfile: String?
}

/// Real backup-piece file: `ORASIMBP <header json>` then the body as one JSON line.
public enum BackupPieceFile {
    public static let magic = "ORASIMBP"

    public static func write(path: String, header: BackupPieceHeader, body: BackupPieceBody) throws {
        var text = magic + " " + String(decoding: try JSONCoding.encoderCompact.encode(header), as: UTF8.self) + "\n"
        text += String(decoding: try JSONCoding.encoderCompact.encode(body), as: UTF8.self) + "\n"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    public static func isPiece(_ data: Data) -> Bool { data.starts(with: Data((magic + " ").utf8)) }

    public static func read(path: String) throws -> (header: BackupPieceHeader, body: BackupPieceBody) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", maxSplits: 1).map(String.init)
        guard lines.count == 2, lines[0].hasPrefix(magic + " ") else {
            throw SimulatorError("not a backup piece: \(path)")
        }
        let header = try JSONCoding.decoder.decode(
            BackupPieceHeader.self, from: Data(lines[0].dropFirst(magic.count + 1).utf8))
        let body = try JSONCoding.decoder.decode(BackupPieceBody.self, from: Data(lines[1].utf8))
        return (header, body)
    }
}

/// A live (restored or snapshot) controlfile: `ORASIMCF` line then the state as JSON.
public enum ControlfileImage {
    public static let magic = "ORASIMCF"

    public static func write(path: String, state: DatabaseState) throws {
        var data = Data((magic + "\n").utf8)
        data.append(try JSONCoding.encoderCompact.encode(state))
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func isControlfile(_ data: Data) -> Bool { data.starts(with: Data((magic + "\n").utf8)) }

    public static func read(path: String) throws -> DatabaseState {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard isControlfile(data) else { throw SimulatorError("not a controlfile: \(path)") }
        return try JSONCoding.decoder.decode(DatabaseState.self, from: data.dropFirst(magic.utf8.count + 1))
    }
}

/// What a file found by `catalog start with` turns out to be.
public enum CatalogedFileKind: Sendable {
    case datafileCopy(DatafileHeader)
    case archivedLog(ArchivedLogHeader)
    case backupPiece(BackupPieceHeader)
    case controlfileCopy
    case unknown
}

public enum FileIdentification {
    /// Reads the first bytes of `path` and decides what it is (as RMAN's header check does). A datafile copy is
    /// known by its 1 KiB header alone; only the other (small) kinds are read whole.
    public static func identify(path: String) -> CatalogedFileKind {
        if let header = try? DatafileImage.readHeader(path: path) { return .datafileCopy(header) }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return .unknown }
        if ArchivedLogFile.isArchivedLog(data), let header = try? ArchivedLogFile.readHeader(path: path) {
            return .archivedLog(header)
        }
        if BackupPieceFile.isPiece(data), let piece = try? BackupPieceFile.read(path: path) {
            return .backupPiece(piece.header)
        }
        if ControlfileImage.isControlfile(data) { return .controlfileCopy }
        return .unknown
    }
}
