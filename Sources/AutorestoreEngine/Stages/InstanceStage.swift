import ConfigModel
import Foundation
import Logging
import OracleTools

/// The throw-away instance of a restore: the SID, its runner, the values every script is rendered with, and the
/// time recovery goes to.
struct RestoreInstance: Sendable {
    var sid: String
    var oracle: OracleRunner
    var values: [String: String]
    /// The recovery target in this host's local time (`yyyy-MM-dd HH:mm:ss`).
    var expectedTime: String
    /// The clone's datafile directories: the only place recovery may read copies and archived logs from.
    var clonePaths: [String]
}

/// The work directory and the instance: clears what an earlier run left there (only ours: R-14, R-32, R-33),
/// writes the parameter file, records the SID before starting the instance, starts it, and aborts it.
struct InstanceStage: Sendable {
    let context: RestoreContext

    private var logger: Logger { context.logger }
    private var workDirectory: String { context.workDirectory }

    /// An autorestore's work directory (`autorestoredest`): the instance an earlier run left is aborted, then the
    /// files earlier runs created there are removed; what autorestore did not create stays.
    func prepareWorkDirectory() async throws {
        logger.debug("ACTION: Cleaning destination directory \(workDirectory)")
        // The recorded SID is trusted only in a directory proven ours; a foreign one is refused just below.
        if WorkDirectory.isOurs(workDirectory, homeDirectories: context.homeDirectories) {
            try await abortLeftoverInstance()
        }
        do {
            let prepared = try WorkDirectory.prepare(workDirectory, homeDirectories: context.homeDirectories)
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
    }

    /// A point-in-time copy's work directory: a fresh directory inside the clone, so nothing outside it is written.
    static func makeWorkDirectory(inClone mainPath: String) throws -> String {
        let directory = mainPath + "/restore.\(makeSID())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        } catch {
            throw RestoreFailure(.unsafeDestination, "cannot create \(directory): \(error)")
        }
        return directory
    }

    /// R-14: an instance left by a crashed run is aborted before starting (only the one its marker names). When
    /// that fails the run stops here: the leftover clone and work files may still be in use, so nothing is removed.
    func abortLeftoverInstance() async throws {
        guard
            let sid = try? String(contentsOfFile: context.instanceMarker, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), !sid.isEmpty
        else { return }
        logger.warning("An instance \(sid) started by an earlier autorestore may still run; aborting it")
        do {
            try await shutdownAbort(sid: sid)
        } catch {
            throw RestoreFailure(
                .leftoverCleanup,
                "the instance \(sid) an earlier autorestore started could not be aborted (\(error)); its clone and work files stay: stop it by hand (ORACLE_SID=\(sid), shutdown abort), then run again"
            )
        }
        try? FileManager.default.removeItem(atPath: context.instanceMarker)
    }

    /// Writes `init.ora` for `clone` and records the instance's SID (the DBA's for a point-in-time copy, a new one
    /// otherwise) before anything starts, so the clean-up and a later run abort only this instance.
    func prepare(_ clone: ClonedSnapshot) throws -> RestoreInstance {
        let parameters = clone.parameters
        guard parameters.lastTime != nil, let databaseName = parameters.databaseName else {
            throw RestoreFailure(.missingRestoreParameters, "autorestore.cfg lacks db_name or lasttime")
        }
        // The recovery target and the verification use this host's wall clock, the zone of the restored instance.
        let expected = try context.recoveryTarget(
            parameters, file: clone.mainPath + "/" + AutorestoreParameters.fileName, warn: true
        ).localTime
        context.progress.result.expectedTime = expected

        logger.debug("All datafile mountpaths: \(clone.datafilePaths.joined(separator: ", "))")
        logger.debug("Main datafile mountpath: \(clone.mainPath)")
        logger.debug("Location for temporary init.ora and other files: \(workDirectory)")
        let sid = context.pointInTime?.sid ?? Self.makeSID()
        var values = context.baseValues()
        values["mountdestination"] = clone.mainPath
        values["lasttime"] = expected
        values["bctfile"] = parameters["bctfile"] ?? ""
        values["db_name"] = databaseName
        values["db_compatible"] = parameters["compatible"] ?? ""
        values["db_files"] = parameters["db_files"] ?? ""
        values["db_undotbs"] = parameters["undo_tablespace"] ?? ""
        values["db_block_size"] = parameters["db_block_size"] ?? ""
        values["cdb"] = parameters["enable_pluggable_database"] ?? "FALSE"
        values["initora"] = workDirectory + "/init.ora"
        values["catalogstatements"] = clone.datafilePaths.flatMap {
            ["catalog start with '\($0)/archivelog/' noprompt;", "catalog start with '\($0)/data_' noprompt;"]
        }.joined(separator: "\n")

        if let destination = context.instantDestination { values["instantdestination"] = destination }
        var initText = try context.render(context.instantDestination == nil ? "autoinitora" : "instantinitora", values)
        if values["cdb"]?.uppercased() == "TRUE" { initText += "\n" + (try context.render("cdbinitora", values)) }
        try context.claimWorkFiles(["init.ora"], mentionedIn: initText)
        do {
            try (initText + "\n").write(toFile: workDirectory + "/init.ora", atomically: true, encoding: .utf8)
        } catch {
            throw RestoreFailure(.configuration, "cannot write \(workDirectory)/init.ora: \(error)")
        }
        logger.debug("ACTION: Generated init file \(workDirectory)/init.ora\n\(initText)")

        // A SID of our own (R-33): recorded before startup, so clean-up and a later run abort only this one.
        if context.pointInTime == nil {
            try context.claimWorkFiles([(context.instanceMarker as NSString).lastPathComponent])
            do {
                try sid.write(toFile: context.instanceMarker, atomically: true, encoding: .utf8)
            } catch {
                // Without the record a crashed run's instance could not be found and aborted by the next run.
                throw RestoreFailure(
                    .unsafeDestination,
                    "cannot record the instance's SID in \(context.instanceMarker): \(error.localizedDescription); no instance is started"
                )
            }
        }
        context.progress.instanceSID = sid
        return RestoreInstance(
            sid: sid, oracle: context.runner(sid: sid), values: values, expectedTime: expected,
            clonePaths: clone.datafilePaths)
    }

    /// The `startup` phase: the instance starts without mounting.
    func start(_ instance: RestoreInstance) async throws {
        logger.debug("ACTION: startup nomount")
        try await context.step(.startupFailed) {
            try await context.sqlplus(instance.oracle, ["startupnomount"], instance.values)
        }
    }

    /// `shutdown abort` of the instance `sid` (ours: started by this run or named by its marker).
    func shutdownAbort(sid: String) async throws {
        _ = try await context.sqlplus(context.runner(sid: sid), ["shutdownabort"], context.baseValues(), silent: true)
    }

    /// A new SID: `ar` and six random letters or digits.
    static func makeSID() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "ar" + String((0..<6).map { _ in letters.randomElement()! })
    }
}
