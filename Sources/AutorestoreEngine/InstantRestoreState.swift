import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What an instant restore has done so far, kept in `instant-restore.json` of its work area (on the primary
/// storage) and rewritten after every step, so an interrupted run can be continued by running the command again.
/// `v$datafile` stays the authority on where a datafile is; the file only says what was planned and done.
public struct InstantRestoreState: Codable, Sendable, Equatable {
    /// How far the restore got.
    public enum Phase: String, Codable, Sendable {
        /// Cloning, starting and recovering: not yet open. A run stopped here cannot be continued.
        case restoring
        /// Open READ WRITE on the clone; datafiles are being moved.
        case moving
        /// Every datafile is on the primary storage; the clone is still there (something may still use it).
        case moved
        /// The clone was dropped: nothing is left to do.
        case complete
    }

    /// One datafile's move.
    public struct FileMove: Codable, Sendable, Equatable {
        /// `v$datafile.file#`.
        public var fileNumber: Int
        /// Its tablespace.
        public var tablespace: String
        /// Where it was when the move was planned (in the clone).
        public var from: String
        /// Where it goes on the primary storage.
        public var to: String
        /// When the move statement was sent (nil: not yet).
        public var startedAt: Date?
        /// When `v$datafile` showed it at ``to`` (nil: not yet).
        public var movedAt: Date?
        /// True when it was not in the clone when planned (a file recovery created on the primary storage): never
        /// moved.
        public var notInClone: Bool = false
    }

    /// The configuration section (database).
    public var database: String
    /// The instance's SID.
    public var sid: String
    /// The snapshot cloned.
    public var snapshotID: String
    /// The clone the instance starts on.
    public var cloneName: String
    /// Where the clone is seen on this host (its directory or mount point); nil until it is mounted.
    public var cloneRoot: String?
    /// The mount point when the clone is mounted by command or by the DBA (NFS); nil for local clones.
    public var mountPoint: String?
    /// The primary storage directory the datafiles move to.
    public var destination: String
    /// The requested recovery target, this host's local time.
    public var targetTime: String
    /// The time the opened database reported, when it opened.
    public var verifiedTime: String?
    /// How the snapshot is protected meanwhile: `hold`, `locked until <UTC time>`, or nil (not locked).
    public var snapshotLock: String?
    /// When the restore started.
    public var startedAt: Date
    /// How far it got.
    public var phase: Phase
    /// The planned moves, by file number.
    public var files: [FileMove] = []

    /// The state file of the work area `workArea`.
    public static func path(workArea: String) -> String { workArea + "/instant-restore.json" }

    /// Reads the state file of `workArea`; nil when there is none.
    /// - Throws: when the file exists but cannot be read or decoded.
    public static func read(workArea: String) throws -> InstantRestoreState? {
        let file = path(workArea: workArea)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(InstantRestoreState.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// Writes the state file of `workArea` (a temporary file renamed over the old one, so it is never half written).
    public func write(workArea: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let file = Self.path(workArea: workArea)
        let temporary = file + ".new"
        try data.write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, file) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
        }
    }
}
