import Foundation

/// One row of the autorestore catalog's `restoreaction` table.
public struct RestoreActionRow: Codable, Sendable, Equatable {
    public var id: Int
    public var dbUniqueName: String
    public var startTime: Date
    public var finishTime: Date
    public var success: Int
    /// Empty: NULL.
    public var logfile: String
    public var logfileContents: String?
    public var verificationTimeDiffSeconds: Int?
    /// Empty: NULL.
    public var snapId: String
    public var restoreTarget: Date?
    public var validatedCorruption: Int
}

/// One row of our `restoreaction_detail` table (what the original's `restoreaction` has no column for).
public struct RestoreDetailRow: Codable, Sendable, Equatable {
    public var id: Int
    public var failureReason: String?
    public var failureDetail: String?
    public var restoreTargetName: String?
    public var verifiedTime: Date?
    public var timeDifferenceSeconds: Int?
    public var corruptBlocks: Int?
    public var phaseSeconds: String?
}

/// One row of our `backupaction` table (backup runs).
public struct BackupActionRow: Codable, Sendable, Equatable {
    public var id: Int
    public var dbUniqueName: String
    public var action: String
    public var startTime: Date
    public var finishTime: Date
    public var success: Int
    public var snapId: String?
    public var failureDetail: String?
}

/// The autorestore results schema (`createcatalog` and our additions) when any of its objects exists in a
/// database.
public struct AutorestoreCatalogSchema: Codable, Sendable, Equatable {
    /// The catalog objects and their `user_objects.object_type`, in creation order: the original's first.
    public static let objectTypes: KeyValuePairs<String, String> = [
        "RESTOREACTION_SEQ": "SEQUENCE", "RESTOREACTION": "TABLE", "RESTORELOB": "TABLE", "LOG_RETENTION": "JOB",
        "RESTOREACTION_DETAIL": "TABLE", "BACKUPACTION_SEQ": "SEQUENCE", "BACKUPACTION": "TABLE",
        "BACKUPACTION_RETENTION": "JOB",
    ]
    /// What the original's `createcatalog` made.
    public static let originalObjects = ["RESTOREACTION_SEQ", "RESTOREACTION", "RESTORELOB", "LOG_RETENTION"]

    /// restoreaction_seq's last value.
    public var sequence = 0
    public var actions: [RestoreActionRow] = []
    /// restorelob: log file name → contents.
    public var lobs: [String: String] = [:]
    /// The LOG_RETENTION scheduler job exists and is enabled.
    public var retentionJobEnabled = false
    /// The tables and sequences that exist (nil in states written before the list was kept: the original's).
    public var objects: [String]? = nil
    public var details: [RestoreDetailRow]? = nil
    /// backupaction_seq's last value.
    public var backupSequence: Int? = nil
    public var backups: [BackupActionRow]? = nil

    public init() { objects = [] }

    /// Whether the table or sequence `name` (upper case) exists.
    public func has(_ name: String) -> Bool {
        (objects ?? Self.originalObjects).contains(name)
    }
}
