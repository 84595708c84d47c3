import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKit
import ToolSupport

/// How the clone becomes a directory on this host.
public enum CloneMounting: Sendable {
    /// Local copy-on-write drivers (localfs, btrfs): the clone already is a local directory.
    case direct
    /// NFS appliances: run `mount` / `umount` commands (each `[program, arguments…]`) on the mount point. Any
    /// ``mountStringPlaceholder`` in an argument becomes the driver's mount string of the clone (e.g.
    /// `filer:/export/autorestore`) when the command runs.
    case commands(mount: [String], unmount: [String], mountPoint: String)

    /// `${mountstring}`: replaced by ``StorageDriver/mountString(clone:)`` of the clone being mounted/unmounted.
    public static let mountStringPlaceholder = "${mountstring}"

    /// `command` with ``mountStringPlaceholder`` replaced by `mountString` in every argument.
    public static func substitute(_ command: [String], mountString: String) -> [String] {
        command.map { $0.replacingOccurrences(of: mountStringPlaceholder, with: mountString) }
    }
}

/// What to do when a rule is broken that does not always mean a bad backup.
public enum FindingPolicy: String, Sendable {
    case warn
    case fail
}

/// A manual point-in-time copy (the original's restore.py): a chosen snapshot, recovery to the requested time,
/// the DBA's SID; the instance is left open read only and the clone is kept (the DBA cleans up).
public struct PointInTimeRequest: Sendable {
    /// Recovery target in the database host's local time, `yyyy-MM-dd HH:mm:ss`.
    public var targetTime: String
    public var sid: String
    public var snapshotID: String
    public var cloneName: String
    /// The work directory is created inside the clone.
    public init(targetTime: String, sid: String, snapshotID: String, cloneName: String) {
        self.targetTime = targetTime
        self.sid = sid
        self.snapshotID = snapshotID
        self.cloneName = cloneName
    }
}

/// The outcome of one autorestore: what the catalog records.
public struct AutorestoreResult: Sendable {
    public var database: String
    public var startedAt: Date
    public var finishedAt: Date
    public var failure: RestoreFailure?
    public var snapshotID: String?
    public var cloneName: String?
    public var expectedTime: String?
    public var verifiedTime: String?
    public var differenceSeconds: Int?
    public var validationPlanned: Bool
    public var corruptBlocks: Int?
    public var phaseSeconds: [String: Double] = [:]
    public var success: Bool { failure == nil }
}

/// One autorestore of one database (reference §7.3 with the fixes of §9): clone the newest usable snapshot,
/// start a throw-away instance on it, recover to the recorded time, open read only, verify, optionally validate
/// every block, and always clean up.
public struct AutorestoreJob: Sendable {
    public var settings: DatabaseSettings
    public var storage: any StorageDriver
    public var oracleHome: OracleHome
    public var baseEnvironment: [String: String]
    public var timeouts: StepTimeouts
    public var templates: ScriptTemplates
    public var logger: Logger
    public var logFile: String
    public var validate: Bool
    public var mounting: CloneMounting
    public var nonloggedPolicy: FindingPolicy
    public var timeAheadPolicy: FindingPolicy
    public var homeDirectories: [String]
    public var now: @Sendable () -> Date
    /// Set for a manual point-in-time copy instead of an autorestore.
    public var pointInTime: PointInTimeRequest?
    /// The work directory actually used (inside the clone for a point-in-time copy).
    var workDirectoryOverride: String?
    /// Receives the phases as they begin.
    public var events: @Sendable (AutorestoreEvent) -> Void = { _ in }

    public init(
        settings: DatabaseSettings, storage: any StorageDriver, oracleHome: OracleHome,
        baseEnvironment: [String: String], timeouts: StepTimeouts, templates: ScriptTemplates,
        logger: Logger, logFile: String, validate: Bool, mounting: CloneMounting,
        nonloggedPolicy: FindingPolicy = .warn, timeAheadPolicy: FindingPolicy = .fail,
        homeDirectories: [String] = [], now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.settings = settings
        self.storage = storage
        self.oracleHome = oracleHome
        self.baseEnvironment = baseEnvironment
        self.timeouts = timeouts
        self.templates = templates
        self.logger = logger
        self.logFile = logFile
        self.validate = validate
        self.mounting = mounting
        self.nonloggedPolicy = nonloggedPolicy
        self.timeAheadPolicy = timeAheadPolicy
        self.homeDirectories = homeDirectories
        self.now = now
    }

    var workDirectory: String { workDirectoryOverride ?? settings.autorestore.destination ?? "" }
    var cloneName: String { pointInTime?.cloneName ?? settings.autorestore.cloneName ?? "autorestore" }
    /// Records the SID of the instance this tool started, so a later run can abort exactly that one (R-33).
    var instanceMarker: String { workDirectory + "/.oib-instance" }

    /// Mutable state shared by the steps and the clean-up.
    final class Progress: @unchecked Sendable {
        var cloned: String?
        var mountedAt: String?
        /// The driver's mount string of the mounted clone (for `${mountstring}` in the unmount command).
        var mountString: String?
        var instanceSID: String?
        var result: AutorestoreResult
        var phaseStarted = Date()
        init(result: AutorestoreResult) { self.result = result }
    }

    /// Runs the restore and the clean-up; never throws: failures are in the result.
    public func run() async -> AutorestoreResult {
        let progress = Progress(
            result: AutorestoreResult(
                database: settings.name, startedAt: now(), finishedAt: now(),
                validationPlanned: validate))
        do {
            try await restore(progress)
        } catch let failure as RestoreFailure {
            progress.result.failure = failure
        } catch {
            progress.result.failure = RestoreFailure(.configuration, "\(error)")
        }
        if let failure = progress.result.failure {
            logger.error("Restore failed (\(failure.reason)): \(failure.detail)")
        }
        // After SIGTERM/SIGINT the clean-up still aborts the instance and unmounts the clone.
        if pointInTime == nil { await Interruption.allowingChildren { await cleanUp(progress) } }
        progress.result.finishedAt = now()
        return progress.result
    }

    func phase(_ name: String, _ progress: Progress, _ body: () async throws -> Void) async throws {
        events(.phase(database: settings.name, name: name))
        let started = now()
        defer { progress.result.phaseSeconds[name, default: 0] += now().timeIntervalSince(started) }
        try await body()
    }

    // MARK: Steps

    func restore(_ progress: Progress) async throws {
        var job = self
        var parameters = AutorestoreParameters()
        var mountPaths: (main: String, all: [String]) = ("", [])
        if let request = pointInTime {
            logger.info("Starting database restore")
            try await phase("clone", progress) {
                (parameters, mountPaths) = try await clonePointInTime(request, progress)
            }
            // The work directory lives in the clone: nothing outside it is written.
            job.workDirectoryOverride = mountPaths.main + "/restore.\(Self.makeSID())"
            do {
                try FileManager.default.createDirectory(atPath: job.workDirectory, withIntermediateDirectories: false)
            } catch {
                throw RestoreFailure(.unsafeDestination, "cannot create \(job.workDirectory): \(error)")
            }
            // The requested time is this host's local time: the snapshot's recorded offset does not apply to it.
            parameters["lasttime"] = request.targetTime
            parameters[AutorestoreParameters.lastTimeUTCOffsetKey] = nil
        } else {
            logger.debug("ACTION: Cleaning destination directory \(workDirectory)")
            try await abortLeftoverInstance()
            do {
                let prepared = try WorkDirectory.prepare(workDirectory, homeDirectories: homeDirectories)
                if prepared.adoptedWithoutManifest {
                    logger.warning(
                        "\(workDirectory) has no \(WorkDirectory.manifestFileName) yet (made by an earlier version): removed only the files autorestore writes (\(prepared.removed.joined(separator: ", ")))"
                    )
                }
                if !prepared.kept.isEmpty {
                    logger.info(
                        "Leaving \(prepared.kept.count) entries in \(workDirectory) that autorestore did not create: \(prepared.kept.prefix(5).joined(separator: ", "))\(prepared.kept.count > 5 ? ", …" : "")"
                    )
                }
            } catch {
                throw RestoreFailure(.unsafeDestination, error.description)
            }
            try await phase("leftovers", progress) { try await removeLeftoverClone() }
            if validate { logger.debug("Database will be validated during this restore session") }
            logger.info("Starting to restore")
            try await phase("clone", progress) {
                (parameters, mountPaths) = try await cloneUsableSnapshot(progress)
            }
        }
        try await job.restoreClone(progress, parameters: parameters, mountPaths: mountPaths)
    }

    /// Clones the requested snapshot for a point-in-time copy and reads its database parameters.
    func clonePointInTime(_ request: PointInTimeRequest, _ progress: Progress) async throws
        -> (AutorestoreParameters, (main: String, all: [String]))
    {
        let clone: Clone
        do {
            clone = try await storage.cloneSnapshot(id: request.snapshotID, cloneName: request.cloneName)
        } catch {
            throw RestoreFailure(.cloneFailed, "cloning snapshot \(request.snapshotID) failed: \(error)")
        }
        progress.cloned = clone.name
        progress.result.cloneName = clone.name
        progress.result.snapshotID = request.snapshotID
        let paths = Self.datafilePaths(try await mount(clone, progress))
        guard let parameters = try? AutorestoreParameters.read(directory: paths.main),
            parameters.missingForRestore.filter({ $0 != "lasttime" }).isEmpty
        else {
            throw RestoreFailure(
                .missingRestoreParameters,
                "snapshot \(request.snapshotID) has no complete autorestore.cfg")
        }
        return (parameters, paths)
    }

    func restoreClone(
        _ progress: Progress, parameters: AutorestoreParameters,
        mountPaths: (main: String, all: [String])
    ) async throws {
        guard parameters.lastTime != nil, let databaseName = parameters.databaseName else {
            throw RestoreFailure(.missingRestoreParameters, "autorestore.cfg lacks db_name or lasttime")
        }
        // The recovery target and the verification use this host's wall clock, the zone of the restored instance.
        let expected = try recoveryTarget(
            parameters, file: mountPaths.main + "/" + AutorestoreParameters.fileName, warn: true
        ).localTime
        progress.result.expectedTime = expected

        logger.debug("All datafile mountpaths: \(mountPaths.all.joined(separator: ", "))")
        logger.debug("Main datafile mountpath: \(mountPaths.main)")
        logger.debug("Location for temporary init.ora and other files: \(workDirectory)")
        let sid = pointInTime?.sid ?? Self.makeSID()
        var values = baseValues()
        values["mountdestination"] = mountPaths.main
        values["lasttime"] = expected
        values["bctfile"] = parameters["bctfile"] ?? ""
        values["db_name"] = databaseName
        values["db_compatible"] = parameters["compatible"] ?? ""
        values["db_files"] = parameters["db_files"] ?? ""
        values["db_undotbs"] = parameters["undo_tablespace"] ?? ""
        values["db_block_size"] = parameters["db_block_size"] ?? ""
        values["cdb"] = parameters["enable_pluggable_database"] ?? "FALSE"
        values["initora"] = workDirectory + "/init.ora"
        values["catalogstatements"] = mountPaths.all.flatMap {
            ["catalog start with '\($0)/archivelog/' noprompt;", "catalog start with '\($0)/data_' noprompt;"]
        }.joined(separator: "\n")

        var initText = try render("autoinitora", values)
        if values["cdb"]?.uppercased() == "TRUE" { initText += "\n" + (try render("cdbinitora", values)) }
        try claimWorkFiles(["init.ora"], mentionedIn: initText)
        do {
            try (initText + "\n").write(toFile: workDirectory + "/init.ora", atomically: true, encoding: .utf8)
        } catch {
            throw RestoreFailure(.configuration, "cannot write \(workDirectory)/init.ora: \(error)")
        }
        logger.debug("ACTION: Generated init file \(workDirectory)/init.ora\n\(initText)")

        // A SID of our own (R-33): recorded before startup, so clean-up and a later run abort only this one.
        if pointInTime == nil {
            try claimWorkFiles([(instanceMarker as NSString).lastPathComponent])
            try? sid.write(toFile: instanceMarker, atomically: true, encoding: .utf8)
        }
        progress.instanceSID = sid
        let oracle = runner(sid: sid)

        try await phase("startup", progress) {
            logger.debug("ACTION: startup nomount")
            try await step(.startupFailed) { try await sqlplus(oracle, ["startupnomount"], values) }
        }
        try await phase("mount", progress) {
            logger.debug("ACTION: mount database and catalog files")
            try await step(.controlfileFailed) { try await rman(oracle, "rmanmount", values) }
            try await refuseVisibleProduction(oracle, values)
            try await step(.catalogFilesFailed) {
                try await sqlplus(oracle, ["clearlogs"], values)
                try await rman(oracle, "rmancatalog", values)
            }
            if !(values["bctfile"] ?? "").isEmpty {
                logger.debug("ACTION: disable block change tracking")
                try await step(.controlfileFailed) { try await sqlplus(oracle, ["disablebct"], values) }
            }
        }
        try await phase("recover", progress) {
            logger.debug("ACTION: create missing datafiles")
            var switchScript: [String] = []
            try await step(.recoveryFailed) {
                switchScript = OutputMarkers.switchScript(
                    try await sqlplus(
                        oracle, ["switchdatafiles"], values,
                        silent: true))
            }
            logger.debug("ACTION: switch and recover")
            let logSize = fileSize(logFile)
            let body = switchScript.joined(separator: "\n") + "\n" + (try render("recoverdatafiles", values))
            let script = try rmanScript(body, values)
            do {
                try await oracle.rman(script, logFile: logFile)
            } catch {
                let appended = tail(logFile, from: logSize)
                if let line = Self.missingLogLine(in: appended) {
                    throw RestoreFailure(.missingArchivedLog, line)
                }
                throw RestoreFailure(.recoveryFailed, "\(error)")
            }
        }
        try await phase("verify", progress) {
            logger.debug("ACTION: opening database to verify the result")
            var output = ""
            try await step(.openFailed) {
                output = try await sqlplus(oracle, ["openandverify", Self.blockCounts(values)], values, silent: true)
            }
            try verify(output: output, expected: expected, progress: progress)
            try await checkMarker(parameters.marker, oracle: oracle, values: values)
        }
        if validate {
            try await phase("validate", progress) {
                logger.info("ACTION: Validating database for corruptions")
                var rmanError: (any Error)?
                do { try await rman(oracle, "validateblocks", values) } catch { rmanError = error }
                let output = try await step(.validationFailed) {
                    try await sqlplus(oracle, ["showcorruptblocks", Self.blockCounts(values)], values, silent: true)
                }
                let corrupt = OutputMarkers.value(after: "CORRUPT BLOCK COUNT:", in: output).flatMap { Int($0) }
                progress.result.corruptBlocks = corrupt
                if let rmanError { throw RestoreFailure(.validationFailed, "\(rmanError)") }
                guard let corrupt else {
                    throw RestoreFailure(.validationFailed, "v$database_block_corruption could not be read")
                }
                if corrupt > 0 {
                    let blocks = OutputMarkers.values(after: "CORRUPT BLOCK:", in: output).joined(separator: "; ")
                    throw RestoreFailure(.corruptBlocks, "\(corrupt) corrupt block range(s): \(blocks)")
                }
                try reportNonlogged(output)
                logger.info("Block validation found no corruption")
            }
        }
    }

    /// The marker check: the query recorded in `autorestore.cfg` must return, in the restored database, the value it
    /// returned in production just before the log switch the restore recovered to. Skipped for point-in-time copies
    /// (another target) and for snapshots whose backup recorded no marker.
    func checkMarker(_ marker: AutorestoreParameters.Marker?, oracle: OracleRunner, values: [String: String])
        async throws
    {
        guard pointInTime == nil else { return }
        guard let marker else {
            if settings.markerQuery != nil {
                logger.warning("This snapshot's autorestore.cfg records no marker value; the marker check is skipped")
            }
            return
        }
        var markerValues = values
        markerValues["markerquery"] = marker.query
        let output = try await step(.markerMismatch) {
            try await sqlplus(oracle, ["markercheck"], markerValues, silent: true)
        }
        guard let restored = OutputMarkers.value(after: "MARKER VALUE:", in: output) else {
            throw RestoreFailure(.markerMismatch, "the marker query returned no value: \(marker.query)")
        }
        logger.debug("Marker value: \(restored) (recorded at backup: \(marker.value))")
        guard restored == marker.value else {
            throw RestoreFailure(
                .markerMismatch,
                "the marker query returned '\(restored)' in the restored database, but '\(marker.value)' in production before the snapshot: \(marker.query)"
            )
        }
        logger.info("Marker check passed: \(restored)")
    }

    /// The checks after opening (R-02, R-03, R-04): time within tolerance both ways, all files online, no
    /// corrupt blocks, NOLOGGING blocks reported per policy.
    func verify(output: String, expected: String, progress: Progress) throws {
        guard let verified = OutputMarkers.verificationTime(output), !verified.isEmpty else {
            throw RestoreFailure(.verificationFailed, "Reading verification time failed.")
        }
        progress.result.verifiedTime = verified
        guard let expectedDate = Self.parse(expected), let verifiedDate = Self.parse(verified) else {
            throw RestoreFailure(.verificationFailed, "cannot compare times '\(expected)' and '\(verified)'")
        }
        let difference = Int(expectedDate.timeIntervalSince(verifiedDate))
        progress.result.differenceSeconds = difference
        let tolerance = Int((settings.autorestore.maxToleranceMinutes ?? 0) * 60)
        logger.debug("Expected time: \(expected)")
        logger.debug("Verified time: \(verified)")
        logger.debug("VERIFY: Time difference \(PythonDuration.format(seconds: Int64(difference)))")
        // A point-in-time copy reports the difference; the DBA judges it (no tolerance, as the original).
        if pointInTime != nil { return }
        if difference > tolerance {
            throw RestoreFailure(
                .timeBehind,
                "verified time \(verified) is \(difference) s before the expected time \(expected); tolerance is \(tolerance / 60) minutes"
            )
        }
        if -difference > tolerance {
            let message =
                "verified time \(verified) is \(-difference) s after the expected time \(expected); tolerance is \(tolerance / 60) minutes (a wrong verification query or clock skew)"
            if timeAheadPolicy == .fail { throw RestoreFailure(.timeAhead, message) }
            logger.warning("\(message)")
        }
        let offline = OutputMarkers.values(after: "DATAFILE STATUS:", in: output)
        if !offline.isEmpty {
            throw RestoreFailure(
                .datafileNotOnline, "datafiles not ONLINE/AVAILABLE after open: \(offline.joined(separator: "; "))")
        }
        if let corrupt = OutputMarkers.value(after: "CORRUPT BLOCK COUNT:", in: output).flatMap({ Int($0) }),
            corrupt > 0
        {
            progress.result.corruptBlocks = corrupt
            throw RestoreFailure(.corruptBlocks, "\(corrupt) corrupt block range(s) in v$database_block_corruption")
        }
        try reportNonlogged(output)
    }

    /// NOLOGGING ranges (changed after the last merge, so redo could not restore them): a warning or a failure,
    /// as `nologging` in `[autorestore]` says.
    func reportNonlogged(_ output: String) throws {
        guard let nonlogged = OutputMarkers.value(after: "NONLOGGED BLOCK COUNT:", in: output).flatMap({ Int($0) }),
            nonlogged > 0
        else { return }
        let message = "\(nonlogged) NOLOGGING block range(s) changed after the last merge cannot be recovered from redo"
        if nonloggedPolicy == .fail { throw RestoreFailure(.nonloggedBlocks, message) }
        logger.warning("\(message)")
    }

    /// The block-count template for the restored database: `v$nonlogged_block` exists from 12c on, so a database
    /// whose `compatible` is 11 or older (11g software, or 12c run as 11g) counts NOLOGGING ranges without it.
    static func blockCounts(_ values: [String: String]) -> String {
        let major = (values["db_compatible"] ?? "").split(separator: ".").first.flatMap { Int($0) }
        return (major ?? 12) < 12 ? "blockcounts11" : "blockcounts"
    }

    /// The restored controlfile still names production datafiles; if any of them exists here, this host can
    /// reach production storage and must not run a restore (reference §8.11): stop before anything touches them.
    func refuseVisibleProduction(_ oracle: OracleRunner, _ values: [String: String]) async throws {
        guard templates.has("productiondatafiles") else {
            logger.warning("Template productiondatafiles is missing: production visibility is not checked")
            return
        }
        let output = try await step(.controlfileFailed) {
            try await sqlplus(oracle, ["productiondatafiles"], values, silent: true)
        }
        let visible = OutputMarkers.values(after: "PRODUCTION DATAFILE:", in: output)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("+") && FileManager.default.fileExists(atPath: $0) }
        if !visible.isEmpty {
            throw RestoreFailure(
                .productionVisible,
                "production datafiles are visible on this host (\(visible.prefix(3).joined(separator: ", "))\(visible.count > 3 ? ", …" : "")): it is not isolated from production storage; refusing to restore here"
            )
        }
    }

    // MARK: Snapshot selection and clone

    /// Clones the newest snapshot at least `autorestoresnapage` hours old that holds a complete restore contract;
    /// skips (and says so) the ones that do not (R-15). The choice is ``SnapshotSelection``'s, as for
    /// `snapper autoclone`; usable here means: it clones, mounts and holds a complete `autorestore.cfg`.
    func cloneUsableSnapshot(_ progress: Progress) async throws -> (
        AutorestoreParameters, (main: String, all: [String])
    ) {
        let minimumAgeHours = settings.autorestore.snapshotAgeHours ?? 0
        let snapshots: [Snapshot]
        do {
            snapshots = try await storage.listSnapshots()
        } catch {
            throw RestoreFailure(.cloneFailed, "listing snapshots failed: \(error)")
        }
        var chosen: (AutorestoreParameters, (main: String, all: [String]))?
        let selection = try await SnapshotSelection.autocloneCandidate(
            from: snapshots, minimumAgeHours: minimumAgeHours, now: now(), logger: logger
        ) { snapshot in
            do {
                let clone = try await storage.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
                progress.cloned = clone.name
                progress.result.cloneName = clone.name
                progress.result.snapshotID = snapshot.id
                let mountPath = try await mount(clone, progress)
                let paths = Self.datafilePaths(mountPath)
                let parameters = try? AutorestoreParameters.read(directory: paths.main)
                let missing = parameters?.missingForRestore ?? ["autorestore.cfg"]
                if let parameters, missing.isEmpty {
                    try checkContract(
                        parameters, snapshot: snapshot, file: paths.main + "/" + AutorestoreParameters.fileName)
                    chosen = (parameters, paths)
                    return .usable
                }
                try await unmountAndDrop(progress)
                return .unusable(
                    reason:
                        "it cannot be restored: autorestore.cfg \(parameters == nil ? "is missing" : "lacks \(missing.joined(separator: ", "))"); trying the next older snapshot"
                )
            } catch let failure as RestoreFailure {
                throw failure
            } catch {
                throw RestoreFailure(.cloneFailed, "cloning snapshot \(snapshot.id) as \(cloneName) failed: \(error)")
            }
        }
        if selection.selected != nil, let chosen { return chosen }
        guard !selection.skipped.isEmpty else {
            throw RestoreFailure(
                .noSnapshot,
                "Suitable snapshot not found for cloning (none is at least \(minimumAgeHours) hours old)")
        }
        throw RestoreFailure(
            .missingRestoreParameters,
            "no snapshot holds a complete autorestore.cfg (skipped: \(selection.skipped.map(\.snapshot.id).joined(separator: ", "))); the first snapshot of a database and those after a failed parameter write cannot be restored"
        )
    }

    /// The recorded time must precede the snapshot (it is captured before it); one hour of clock skew allowed.
    /// The time is read in its recorded UTC offset (or `backuptimezone` for older snapshots).
    func checkContract(_ parameters: AutorestoreParameters, snapshot: Snapshot, file: String) throws {
        let text = parameters.lastTime ?? ""
        let recorded = try recoveryTarget(parameters, file: file, warn: false).instant
        if recorded.timeIntervalSince(snapshot.creation) > 3600 {
            throw RestoreFailure(
                .wrongSnapshot,
                "autorestore.cfg in snapshot \(snapshot.id) records \(text), after the snapshot was taken (\(DisplayFormat.utcTimestamp(snapshot.creation)) UTC): it does not belong to this snapshot"
            )
        }
    }

    func mount(_ clone: Clone, _ progress: Progress) async throws -> String {
        switch mounting {
        case .direct:
            let path = storage.mountString(clone: clone)
            guard FileManager.default.fileExists(atPath: path) else {
                throw RestoreFailure(.mountFailed, "clone \(clone.name) is not reachable at \(path)")
            }
            return path
        case .commands(let mountCommand, _, let mountPoint):
            let mountString = storage.mountString(clone: clone)
            try await runCommand(
                CloneMounting.substitute(mountCommand, mountString: mountString), step: "mount", failure: .mountFailed,
                what: "Mount failed")
            progress.mountedAt = mountPoint
            progress.mountString = mountString
            return mountPoint
        }
    }

    /// Single volume: the mount itself. Multi-volume (NetApp namespace): every sub-directory, the main one being
    /// the one holding autorestore.cfg.
    static func datafilePaths(_ mountPath: String) -> (main: String, all: [String]) {
        if FileManager.default.fileExists(atPath: mountPath + "/" + AutorestoreParameters.fileName) {
            return (mountPath, [mountPath])
        }
        let subdirectories = ((try? FileManager.default.contentsOfDirectory(atPath: mountPath)) ?? []).sorted()
            .map { mountPath + "/" + $0 }
            .filter {
                var d: ObjCBool = false;
                return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
            }
        let main = subdirectories.first {
            FileManager.default.fileExists(atPath: $0 + "/" + AutorestoreParameters.fileName)
        }
        return (main ?? mountPath, subdirectories.isEmpty ? [mountPath] : subdirectories)
    }

    // MARK: Clean-up (always, once, idempotent: R-13)

    func cleanUp(_ progress: Progress) async {
        let started = now()
        if let sid = progress.instanceSID {
            logger.debug("ACTION: In case instance is still running, aborting it")
            do {
                _ = try await sqlplus(runner(sid: sid), ["shutdownabort"], baseValues(), silent: true)
            } catch {
                logger.warning("Aborting instance \(sid) failed: \(error)")
            }
            try? FileManager.default.removeItem(atPath: instanceMarker)
            progress.instanceSID = nil
        }
        do {
            try await unmountAndDrop(progress)
        } catch {
            logger.error("Clean-up failed: \(error)")
            if progress.result.failure == nil {
                progress.result.failure = RestoreFailure(.leftoverCleanup, "\(error)")
            }
        }
        progress.result.phaseSeconds["cleanup", default: 0] += now().timeIntervalSince(started)
    }

    func unmountAndDrop(_ progress: Progress) async throws {
        if progress.mountedAt != nil, case .commands(_, let unmount, _) = mounting {
            let mountString = progress.mountString ?? defaultMountString
            try await runCommand(
                CloneMounting.substitute(unmount, mountString: mountString), step: "umount",
                failure: .leftoverCleanup, what: "Unmount failed")
            progress.mountedAt = nil
            progress.mountString = nil
        }
        if let clone = progress.cloned {
            try await storage.dropClone(name: clone)
            logger.debug("Dropped clone \(clone)")
            progress.cloned = nil
        }
    }

    /// R-14: an instance, mount or clone left by a crashed run is removed before starting (only ours).
    func abortLeftoverInstance() async throws {
        guard
            let sid = try? String(contentsOfFile: instanceMarker, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), !sid.isEmpty
        else { return }
        logger.warning("An instance \(sid) started by an earlier autorestore may still run; aborting it")
        _ = try? await sqlplus(runner(sid: sid), ["shutdownabort"], baseValues(), silent: true)
        try? FileManager.default.removeItem(atPath: instanceMarker)
    }

    func removeLeftoverClone() async throws {
        if case .commands(_, let unmount, let mountPoint) = mounting {
            // Only a mount of this database's clone is ours to unmount; anything else there is refused, untouched.
            let leftover: MountInfoEntry?
            do {
                leftover = try MountPointGuard.inspect(
                    mountPoint, key: "autorestoremountpoint", expectedSource: defaultMountString,
                    mounts: MountInfo.current(), homeDirectories: homeDirectories)
            } catch {
                throw RestoreFailure(.unsafeDestination, error.description)
            }
            if let leftover {
                logger.warning(
                    "\(mountPoint) still has the clone \(leftover.source) mounted (left by an earlier run); unmounting it"
                )
                try await runCommand(
                    CloneMounting.substitute(unmount, mountString: defaultMountString), step: "umount",
                    failure: .leftoverCleanup, what: "Unmounting the leftover failed")
            }
        }
        let existing: Clone
        do {
            existing = try await storage.cloneInfo(name: cloneName)
        } catch let error where error.code == .notFound {
            return
        } catch {
            throw RestoreFailure(.leftoverCleanup, "cannot check for a leftover clone \(cloneName): \(error)")
        }
        guard existing.originVolume == storage.volumeName else {
            throw RestoreFailure(
                .leftoverCleanup,
                "a clone named \(cloneName) exists but belongs to \(existing.originVolume); remove it by hand or give this database its own autorestoreclonename"
            )
        }
        logger.warning(
            "Clone \(cloneName) of snapshot \(existing.originSnapshot) was left by an earlier run; dropping it")
        do {
            try await storage.dropClone(name: cloneName)
        } catch {
            throw RestoreFailure(.leftoverCleanup, "dropping the leftover clone \(cloneName) failed: \(error)")
        }
    }

    // MARK: Plumbing

    /// Records in the work directory's manifest what this run is about to create there: `names`, and every entry a
    /// script or `init.ora` names inside it (the restored controlfile, the snapshot controlfile, the BCT file), so the
    /// next run removes exactly those (R-32). The run's log is not a work file (its directory may be the same). A
    /// point-in-time copy works in a fresh directory inside the clone.
    func claimWorkFiles(_ names: [String] = [], mentionedIn text: String = "") throws {
        guard pointInTime == nil else { return }
        var entries = names
        let prefix = workDirectory + "/"
        let isEntryEnd: (Character) -> Bool = { "/'\" \t\n;,)".contains($0) }
        let logEntry =
            logFile.hasPrefix(prefix) ? String(logFile.dropFirst(prefix.count).prefix { !isEntryEnd($0) }) : nil
        var rest = text[...]
        while let found = rest.range(of: prefix) {
            let entry = String(rest[found.upperBound...].prefix { !isEntryEnd($0) })
            if !entry.isEmpty, entry != logEntry, !entries.contains(entry) { entries.append(entry) }
            rest = rest[found.upperBound...]
        }
        guard !entries.isEmpty else { return }
        do {
            try WorkDirectory.claim(entries, in: workDirectory)
        } catch {
            throw RestoreFailure(.unsafeDestination, error.description)
        }
    }

    /// The mount string of this job's clone name when the clone itself is not known (a leftover).
    var defaultMountString: String {
        storage.mountString(
            clone: Clone(name: cloneName, originVolume: storage.volumeName, originSnapshot: "", mountPoint: nil))
    }

    func baseValues() -> [String: String] {
        [
            "autorestoredestination": workDirectory, "logfile": logFile,
            "logdir": settings.autorestore.logDirectory ?? workDirectory,
            "dbid": settings.dbid.map(String.init) ?? "", "instancenumber": String(settings.autorestoreInstanceNumber),
            "thread": String(settings.autorestoreThread), "pga_size": settings.autorestore.pgaSize,
            "sga_size": settings.autorestore.sgaSize, "customverifydate": settings.customVerifyDate,
            "autorestorecatalog": settings.autorestore.catalogConnect ?? "",
        ]
    }

    func runner(sid: String) -> OracleRunner {
        OracleRunner(home: oracleHome, sid: sid, baseEnvironment: baseEnvironment, timeouts: timeouts, logger: logger)
    }

    func render(_ key: String, _ values: [String: String]) throws -> String {
        do {
            return try templates.render(key, values)
        } catch {
            throw RestoreFailure(.configuration, error.description)
        }
    }

    func rmanScript(_ body: String, _ values: [String: String]) throws -> String {
        let script =
            [try render("rmanheader", values), body, try render("rmanfooter", values)].joined(separator: "\n") + "\n"
        try claimWorkFiles(mentionedIn: script)
        return script
    }

    func rman(_ oracle: OracleRunner, _ key: String, _ values: [String: String]) async throws {
        try await oracle.rman(rmanScript(try render(key, values), values), logFile: logFile)
    }

    @discardableResult
    func sqlplus(_ oracle: OracleRunner, _ keys: [String], _ values: [String: String], silent: Bool = false)
        async throws -> String
    {
        let script =
            try (["sqlplusheader"] + keys + ["sqlplusfooter"]).map { try render($0, values) }
            .joined(separator: "\n") + "\n"
        try claimWorkFiles(mentionedIn: script)
        return try await oracle.sqlplus(script, silent: silent)
    }

    /// Runs `body`; any failure that is not already a ``RestoreFailure`` becomes one with `reason`.
    @discardableResult
    func step<T>(_ reason: RestoreFailure.Reason, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as RestoreFailure {
            throw failure
        } catch {
            throw RestoreFailure(reason, "\(error)")
        }
    }

    func runCommand(_ command: [String], step: String, failure: RestoreFailure.Reason, what: String) async throws {
        guard let program = command.first else { return }
        let outcome: ProcessOutcome
        do {
            outcome = try await ProcessRunner().run(
                ProcessRequest(
                    executable: program, arguments: Array(command.dropFirst()), environment: baseEnvironment,
                    timeout: timeouts.limit(for: step)))
        } catch {
            throw RestoreFailure(failure, "\(what): \(error)")
        }
        guard outcome.succeeded else {
            throw RestoreFailure(
                failure,
                "\(what): \(command.joined(separator: " ")) ended with \(outcome.termination)\(outcome.timedOut ? " (timed out)" : ""): \(outcome.outputTail(lines: 5))"
            )
        }
    }

    static func makeSID() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "ar" + String((0..<6).map { _ in letters.randomElement()! })
    }

    static func missingLogLine(in text: String) -> String? {
        text.split(separator: "\n").map(String.init).first {
            $0.contains("RMAN-06054") || $0.contains("RMAN-06025") || $0.contains("ORA-00308")
                || $0.contains("unknown archived log")
        }
    }

    /// `lasttime` of a snapshot's `autorestore.cfg` as an instant and as this host's local time.
    struct RecoveryTarget {
        var instant: Date
        /// `yyyy-MM-dd HH:mm:ss` in this host's zone: what `set until time` and the verification compare in.
        var localTime: String
    }

    /// Reads `lasttime` in the database host's zone: the recorded `lasttimeutcoffset`; for snapshots without it,
    /// `backuptimezone` (a WARNING, when `warn`, if that differs from this host's zone) or else this host's zone.
    /// A point-in-time target is this host's local time already.
    func recoveryTarget(_ parameters: AutorestoreParameters, file: String, warn: Bool) throws -> RecoveryTarget {
        let text = parameters.lastTime ?? ""
        let local = TimeZone.current
        let zone: TimeZone
        let offset: Int?
        do {
            offset = try parameters.lastTimeUTCOffset(file: file)
        } catch {
            throw RestoreFailure(.missingRestoreParameters, error.description)
        }
        if let offset, let recordedZone = TimeZone(secondsFromGMT: offset) {
            zone = recordedZone
        } else if pointInTime == nil, let name = settings.autorestore.backupTimeZone,
            let configured = AutorestoreParameters.timeZone(named: name)
        {
            zone = configured
        } else {
            zone = local
        }
        guard let instant = Self.parse(text, in: zone) else {
            throw RestoreFailure(.wrongSnapshot, "lasttime '\(text)' in \(file) is not a time (yyyy-mm-dd hh24:mi:ss)")
        }
        if warn, offset == nil, pointInTime == nil, let name = settings.autorestore.backupTimeZone,
            zone.secondsFromGMT(for: instant) != local.secondsFromGMT(for: instant)
        {
            logger.warning(
                "\(file) has no \(AutorestoreParameters.lastTimeUTCOffsetKey) (a snapshot taken by an older version): reading lasttime \(text) in backuptimezone \(name) (UTC\(AutorestoreParameters.formatUTCOffset(zone.secondsFromGMT(for: instant)))), while this host's zone is \(local.identifier) (UTC\(AutorestoreParameters.formatUTCOffset(local.secondsFromGMT(for: instant))))"
            )
        }
        return RecoveryTarget(instant: instant, localTime: Self.format(instant, in: local))
    }

    static func format(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func parse(_ text: String, in zone: TimeZone) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }

    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }

    func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    func tail(_ path: String, from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}
