import Foundation

/// One datafile as the controlfile knows it.
public struct Datafile: Codable, Sendable, Equatable {
    public var fileNumber: Int
    public var tablespace: String
    public var path: String
    public var blockCount: Int
    public var creationSCN: Int64
    /// `SYSTEM` for the system tablespace, else `ONLINE` (dba_data_files.online_status).
    public var onlineStatus: String
}

/// One row of v$archived_log: a log of one thread/sequence in one destination.
public struct ArchivedLog: Codable, Sendable, Equatable {
    public var recid: Int
    public var stamp: Int64
    public var path: String
    public var destinationId: Int
    public var thread: Int
    public var sequence: Int
    public var resetlogsId: Int64
    public var firstSCN: Int64
    public var nextSCN: Int64
    public var firstTime: Date
    public var nextTime: Date
    public var deleted: Bool
}

/// One row of v$datafile_copy.
public struct DatafileCopy: Codable, Sendable, Equatable {
    public var recid: Int
    public var stamp: Int64
    public var fileNumber: Int
    public var path: String
    public var tag: String
    public var checkpointSCN: Int64
    public var checkpointTime: Date
    public var creationSCN: Int64
    public var deleted: Bool
    /// v$datafile_copy.status: nil or `A` available, `X` expired (after a crosscheck found no file), `U` unavailable.
    public var status: String? = nil
}

/// What a backup piece holds.
public enum BackupPieceKind: String, Codable, Sendable {
    case incremental, spfile, controlfile, autobackup, archivedLogCopy
}

/// One backup piece known to the controlfile.
public struct BackupPiece: Codable, Sendable, Equatable {
    public var recid: Int
    public var stamp: Int64
    public var handle: String
    public var tag: String
    public var kind: BackupPieceKind
    public var fileNumber: Int?
    public var fromSCN: Int64?
    public var toSCN: Int64?
    public var completionTime: Date
    /// `AVAILABLE` or `UNAVAILABLE`.
    public var status: String
}

/// One change vector in the simulated redo stream.
public struct RedoRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A logged block change (payload is the new block content).
        case blockChange
        /// A NOLOGGING change: only the block range is recorded, recovery marks it unrecoverable.
        case nologging
        /// A datafile was added.
        case addDatafile
        /// A datafile was dropped.
        case dropDatafile
    }
    public var scn: Int64
    public var time: Date
    public var kind: Kind
    public var fileNumber: Int
    public var block: Int
    public var payload: String
    public var tablespace: String?
    public var blockCount: Int?
}

/// A row of v$database_block_corruption (also used for v$nonlogged_block).
public struct CorruptBlockRange: Codable, Sendable, Equatable {
    public var fileNumber: Int
    public var block: Int
    public var blocks: Int
    public var corruptionChange: Int64
    public var corruptionType: String
}

/// An application table whose rows live in datafile blocks (readable by a `customverifydate` query).
public struct SimulatedTable: Codable, Sendable, Equatable {
    public var owner: String
    public var name: String
    public var tablespace: String
    public var dateColumn: String
    public var qualifiedName: String { "\(owner).\(name)" }
}

/// DBMS_SCHEDULER and user objects created by `setschedule`.
public struct SchedulerObjects: Codable, Sendable, Equatable {
    public struct Job: Codable, Sendable, Equatable {
        public var owner: String
        public var name: String
        public var program: String?
        public var schedule: String?
        public var jobClass: String?
        public var credential: String?
        public var enabled: Bool
        public var state: String
        public var failureCount: Int
        public var lastStartDate: Date?
        public var nextRunDate: Date?
        /// `job_type` of a job created without a program (`STORED_PROCEDURE`, `PLSQL_BLOCK`, ...).
        public var jobType: String? = nil
        /// `job_action` of such a job (for `STORED_PROCEDURE`, the procedure name).
        public var jobAction: String? = nil
    }
    public struct Program: Codable, Sendable, Equatable {
        public var name: String
        public var action: String
        public var arguments: [String]
        public var enabled: Bool
        public var programType: String? = nil
        public var numberOfArguments: Int? = nil
    }
    public struct LogEntry: Codable, Sendable, Equatable {
        public var jobName: String
        public var status: String
        public var logDate: Date
    }
    public var users: [String] = []
    public var jobClasses: [String] = []
    /// Credential name → OS user (the password is never stored).
    public var credentials: [String: String] = [:]
    public var programs: [String: Program] = [:]
    /// Schedule name → repeat interval.
    public var schedules: [String: String] = [:]
    public var jobs: [String: Job] = [:]
    /// Procedure name (`OWNER.NAME`) → its whitespace-normalised source text.
    public var procedures: [String: String] = [:]
    public var jobLog: [LogEntry] = []
    /// The last number `generate_job_name` appended (the scheduler's job-suffix sequence).
    public var generatedJobNameSequence: Int? = nil
}

/// The whole simulated database: what its controlfile, dictionary and instance know.
///
/// A production database keeps this in the state directory; a restored instance keeps it in its
/// `control_files` file, so a clone really carries it.
public struct DatabaseState: Codable, Sendable, Equatable {
    public var dbUniqueName: String
    public var dbName: String
    public var dbid: Int64
    public var version: String
    public var isCDB: Bool
    public var isEnterpriseEdition: Bool
    public var hostName: String
    public var instanceName: String
    public var serviceNames: [String]
    public var incarnation: Int
    public var resetlogsId: Int64
    public var resetlogsSCN: Int64
    public var currentSCN: Int64
    public var thread: Int
    public var currentSequence: Int
    public var currentLogFirstSCN: Int64
    public var currentLogFirstTime: Date
    public var onlineRedo: [RedoRecord]
    public var onlineLogGroups: Int
    public var datafiles: [Datafile]
    public var archivedLogs: [ArchivedLog]
    public var datafileCopies: [DatafileCopy]
    public var backupPieces: [BackupPiece]
    /// v$parameter, in its natural order.
    public var parameters: [ParameterValue]
    /// RMAN `CONFIGURE` settings that differ from the defaults: key → full command text.
    public var rmanConfiguration: [String: String]
    public var blockChangeTrackingFile: String?
    public var scheduler: SchedulerObjects
    public var corruptBlocks: [CorruptBlockRange]
    public var nonloggedBlocks: [CorruptBlockRange]
    public var tables: [SimulatedTable]
    public var oradataDirectory: String
    public var recoveryAreaDirectory: String
    public var nextRecid: Int
    public var nextUniqueName: Int
    public var nextTableRowId: Int
    public var lastSCNTimeMapTime: Date
    /// `READ WRITE`, `READ ONLY` or `MOUNTED`.
    public var openMode: String
    /// TDE: opening needs an open wallet.
    public var requiresWallet: Bool
    /// RMAN catalog schema: registered target DBIDs (only in a catalog database).
    public var catalogRegistrations: [Int64]
    public var autorestoreCatalog: AutorestoreCatalogSchema?
    /// When this state is a restored copy: the SCN recovery reached and whether it is consistent.
    public var recoveredSCN: Int64?
    public var controlfileBackupSCN: Int64?
    /// Grid Infrastructure services switched off with `srvctl disable service` (nil: none).
    public var disabledServices: [String]? = nil
    /// Archive destinations that fail to archive (`oracle-sim inject archive-dest-error`), or are in ERROR since
    /// their last failure (nil: none).
    public var archiveDestinationFaults: [ArchiveDestinationFault]? = nil
    /// TDE: tablespaces encrypted with the keystore's master key (`oracle-sim tde`; nil: none). The controlfile
    /// carries it, so a restored instance knows which datafiles and redo need an open keystore.
    public var encryptedTablespaces: [String]? = nil
    /// TDE: the identifier of the master key the encrypted tablespaces use (recorded in the keystore file too).
    public var tdeMasterKeyID: String? = nil

    /// Whether `tablespace` is encrypted (TDE).
    public func isEncrypted(tablespace: String) -> Bool {
        encryptedTablespaces?.contains(tablespace.uppercased()) ?? false
    }

    public struct ParameterValue: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
    }

    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name.lowercased() }?.value ?? nil
    }

    public mutating func setParameter(_ name: String, _ value: String?) {
        let key = name.lowercased()
        if let index = parameters.firstIndex(where: { $0.name == key }) {
            parameters[index].value = value
        } else {
            parameters.append(ParameterValue(name: key, value: value))
        }
    }

    /// Next RECID for controlfile records.
    public mutating func takeRecid() -> Int {
        nextRecid += 1
        return nextRecid
    }

    /// An 8-character RMAN `%U`-style unique name.
    public mutating func takeUniqueName() -> String {
        nextUniqueName += 1
        let alphabet = Array("0123456789abcdefghijklmnopqrstuv")
        var value = nextUniqueName * 7919 + Int(dbid % 100_000)
        var text = ""
        for _ in 0..<6 {
            text.append(alphabet[value % 32])
            value /= 32
        }
        return String(text.reversed()) + "r" + String(alphabet[nextUniqueName % 32])
    }

    public var databaseNameUpper: String { dbName.uppercased() }

    /// Archive destinations `log_archive_dest_N` that are set and enabled, with their directory.
    public func enabledArchiveDestinations() -> [(id: Int, directory: String, isRecoveryArea: Bool)] {
        var result: [(Int, String, Bool)] = []
        for number in 1...9 {
            guard let value = parameter("log_archive_dest_\(number)"), !value.isEmpty else { continue }
            let state = parameter("log_archive_dest_state_\(number)")?.lowercased() ?? "enable"
            guard state == "enable" else { continue }
            guard let location = DatabaseState.location(in: value) else { continue }
            if location.uppercased() == "USE_DB_RECOVERY_FILE_DEST" {
                result.append((number, recoveryAreaDirectory, true))
            } else {
                result.append((number, location, false))
            }
        }
        return result
    }

    /// The value of the first `LOCATION=` (any case, blanks around `=`) of an archive destination: what follows
    /// up to a blank or a quote. A scan, as the expression `LOCATION\s*=\s*([^\s']+)` would find it.
    static func location(in destination: String) -> String? {
        let characters = Array(destination)
        let key = Array("location")
        var start = 0
        while start + key.count <= characters.count {
            defer { start += 1 }
            guard (0..<key.count).allSatisfy({ characters[start + $0].lowercased() == String(key[$0]) }) else {
                continue
            }
            var index = start + key.count
            while index < characters.count, characters[index].isWhitespace { index += 1 }
            guard index < characters.count, characters[index] == "=" else { continue }
            index += 1
            while index < characters.count, characters[index].isWhitespace { index += 1 }
            let valueStart = index
            while index < characters.count, !characters[index].isWhitespace, characters[index] != "'" { index += 1 }
            guard index > valueStart else { continue }
            return String(characters[valueStart..<index])
        }
        return nil
    }
}
