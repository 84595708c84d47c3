import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKit
import ToolSupport

/// A manual point-in-time copy of a database (the original's restore.py): a clone of the chosen snapshot, a new
/// instance recovered to the target time and left open read only. The clone and the instance are kept for the DBA.
public struct PointInTimeRestore: Sendable {
    /// The database's settings; `[autorestore]`'s log directory becomes the instance's `diagnostic_dest`.
    public var settings: DatabaseSettings
    /// The driver of the database's backup volume, which clones the snapshot (unless ``existingClone`` is set).
    public var storage: any StorageDriver
    /// The environment the Oracle tools start from (the restore sets the Oracle variables on top).
    public var environment: [String: String]
    /// The session log's logger.
    public var logger: Logger
    /// The session log RMAN and SQL*Plus append to.
    public var logFile: String
    /// Where the clone is mounted: ``CloneMounting/direct`` for local clones.
    public var mounting: CloneMounting
    /// Recovery target, snapshot, SID and clone name.
    public var request: PointInTimeRequest
    /// The clone when the DBA made and mounted it before the restore starts; nil: the restore clones.
    public var existingClone: Clone?
    let home: String
    let templates: ScriptTemplates

    /// A restore of `request` from `storage`.
    /// - Throws: ``AutorestoreSetupError`` without `oraclehome` or when `storage` cannot create named clones; the
    ///   template loader's error when an override template directory is unusable. All before anything is cloned.
    public init(
        settings: DatabaseSettings, storage: any StorageDriver, environment: [String: String], logger: Logger,
        logFile: String, mounting: CloneMounting, request: PointInTimeRequest, existingClone: Clone? = nil
    ) throws {
        guard let home = settings.generic.oracleHome else {
            throw AutorestoreSetupError("[\(settings.name)] oraclehome is required")
        }
        if existingClone == nil, let refusal = storage.refusal(lacking: .clone, for: "a point-in-time restore") {
            throw AutorestoreSetupError(refusal)
        }
        self.home = home
        self.templates = try BuiltInTemplates.load(
            BuiltInTemplates.restore, overrideDirectory: settings.generic.templateDirectory)
        self.settings = settings
        self.storage = storage
        self.environment = environment
        self.logger = logger
        self.logFile = logFile
        self.mounting = mounting
        self.request = request
        self.existingClone = existingClone
    }

    /// Restores and returns the result (the verified time and its difference from the target on success).
    public func run() async -> AutorestoreResult {
        var job = AutorestoreJob(
            settings: settings, storage: existingClone.map { AlreadyCloned(base: storage, clone: $0) } ?? storage,
            oracleHome: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), templates: templates, logger: logger,
            logFile: logFile, validate: false, mounting: mounting)
        job.pointInTime = request
        return await job.run()
    }
}

/// A driver whose clone was already made (and mounted by the DBA) before the restore starts.
struct AlreadyCloned: StorageDriver {
    let base: any StorageDriver
    let clone: Clone
    var vendor: String { base.vendor }
    var volumeName: String { base.volumeName }
    var capabilities: StorageCapabilities { base.capabilities }
    func listSnapshots() async throws(StorageError) -> [Snapshot] { try await base.listSnapshots() }
    func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await base.createSnapshot(named: name)
    }
    func deleteSnapshot(id: String) async throws(StorageError) { try await base.deleteSnapshot(id: id) }
    func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone { clone }
    func listClones() async throws(StorageError) -> [Clone] { try await base.listClones() }
    func cloneInfo(name: String) async throws(StorageError) -> Clone { try await base.cloneInfo(name: name) }
    func dropClone(name: String) async throws(StorageError) { try await base.dropClone(name: name) }
    func mountString(clone: Clone) -> String { base.mountString(clone: clone) }
    func volumeInfo() async throws(StorageError) -> Volume { try await base.volumeInfo() }
    func close() async { await base.close() }
}
