import ArgumentParser
import AutorestoreEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import StandardDrivers
import StorageKit
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

extension RestoreCommand {
    /// `restore <db> --instant --move-to DIR [--resume]`: a new instant restore, or the continuation of the one
    /// recorded in `DIR/oib_instant_<db>`. Exit 0 when the database runs and every datafile moved (the clone may be
    /// kept, with the reason), 1 for a refusal or a failure (the database may already run: the output says), 2 for
    /// a usage or configuration problem.
    func runInstant() async throws {
        Output.line("This utility will restore a database for production use straight from a backup snapshot:")
        Output.line("it opens the database READ WRITE on a clone of the snapshot, then moves every datafile online")
        Output.line("to the primary storage and drops the clone.")
        Output.line("")
        if getuid() == 0 { throw ToolExit(1, "No, I will not run as root.") }
        guard let moveTo else { throw ToolExit.usage("--instant needs --move-to DIR") }
        let environment = ProcessInfo.processInfo.environment
        let configuration = try self.configuration.loadForTool(
            environment: environment, positional: positionalFile, storageModules: StandardDrivers.registry)
        let (loaded, problems) = configuration.databaseCollectingProblems(database, for: [.storage])
        guard let settings = loaded, problems.isEmpty, let home = settings.generic.oracleHome else {
            throw ToolExit.usage(ConfigError(problems).description)
        }
        let homeDirectories = [environment["HOME"], NSHomeDirectory()].compactMap { $0 }
        let destination = SharedDirectories.resolved(moveTo)
        let area = InstantRestore.workArea(destination: destination, database: database)
        let existing: InstantRestoreState?
        do {
            existing = try InstantRestoreState.read(workArea: area)
        } catch {
            throw ToolExit.failure("cannot read \(InstantRestoreState.path(workArea: area)): \(error)")
        }
        if resume && existing == nil {
            throw ToolExit(1, "No instant restore of \(database) to resume in \(area)")
        }
        if existing == nil,
            let refusal = InstantRestore.destinationRefusal(
                destination, settings: settings, mountPath: mountDir.map(SharedDirectories.resolved),
                homeDirectories: homeDirectories)
        {
            throw ToolExit.usage(refusal)
        }

        let (logDirectory, logPath, logger, storage) = try openSession(
            kind: "restore_instant", settings: settings, configuration: configuration, environment: environment)
        var restoreSettings = settings
        restoreSettings.autorestore.logDirectory = logDirectory
        let dialogue = RestoreDialogue(yes: yes)
        try await closingStorage(storage) {
            if let refusal = storage.refusal(lacking: .clone, for: "an instant restore") {
                logger.error("\(refusal)")
                throw ToolExit.usage(refusal)
            }
            let outcome: InstantRestore.Outcome
            if let existing {
                let (mounting, unmount) = try Self.instantMounting(
                    mountPoint: existing.mountPoint, unattended: yes, settings: settings, vendor: storage.vendor)
                let restore = try Self.makeInstant(
                    restoreSettings, storage, environment, logger, logPath, mounting, destination, unmount)
                outcome = await restore.resume(existing)
            } else {
                outcome = try await startInstant(
                    settings: restoreSettings, home: home, storage: storage, environment: environment, logger: logger,
                    logPath: logPath, destination: destination, dialogue: dialogue, homeDirectories: homeDirectories)
            }
            report(outcome, area: area, logger: logger)
            if !outcome.success { throw ToolExit(1) }
        }
    }

    /// Asks the questions of a new instant restore, clones (for a manual mount) and runs it.
    func startInstant(
        settings: DatabaseSettings, home: String, storage: any StorageDriver, environment: [String: String],
        logger: Logger, logPath: String, destination: String, dialogue: RestoreDialogue, homeDirectories: [String]
    ) async throws -> InstantRestore.Outcome {
        guard
            try dialogue.askYesNo(
                "Is the original database \(database) shut down, and may this host reach the primary storage \(destination)?"
            )
        else {
            throw ToolExit(1, "Exiting. Shut the original database down first; an instant restore replaces it.")
        }
        let snapshots = try await listedSnapshots(storage)
        let mountPath: String?
        if storage.capabilities.contains(.localClones) {
            mountPath = nil
        } else {
            mountPath = try dialogue.mountDirectory(given: mountDir, homeDirectories: homeDirectories)
        }
        let target = try dialogue.targetTime(given: targetTime, utc: utc)
        let snapshot: Snapshot
        do throws(PointInTimeRestore.PlanningError) {
            snapshot = try PointInTimeRestore.snapshot(
                named: self.snapshot, target: target, in: snapshots, database: database)
        } catch {
            throw ToolExit(error.exitCode, error.message)
        }
        let instance = try dialogue.instanceName(given: sid)
        let cloneName = PointInTimeRestore.cloneName(database: database, date: Date())
        try dialogue.confirmParameters([
            "Database unique name: \(database)", "Oracle home: \(home)",
            "Clone mount path: \(mountPath ?? "(the clone directory itself)")", "Instance SID: \(instance)",
            "Restore target time UTC: \(PointInTimeRestore.formatTime(target, utc: true))",
            "Restore target time local: \(PointInTimeRestore.formatTime(target, utc: false))",
            "Restored from snapshot: \(snapshot.id)", "Datafiles move to: \(destination)",
            "Work area (pfile, controlfile, state): \(InstantRestore.workArea(destination: destination, database: database))",
        ])
        let (mounting, unmount) = try Self.instantMounting(
            mountPoint: mountPath, unattended: yes, settings: settings, vendor: storage.vendor)
        let restore = try Self.makeInstant(
            settings, storage, environment, logger, logPath, mounting, destination, unmount)
        let request = PointInTimeRequest(
            targetTime: PointInTimeRestore.formatTime(target, utc: false), sid: instance, snapshotID: snapshot.id,
            cloneName: cloneName, instantDestination: destination)
        var existingClone: Clone?
        if let mountPath, unmount == nil {
            let clone = try await cloneForManualMount(storage, snapshot: snapshot.id, name: cloneName)
            try dialogue.waitForManualMount(mountString: storage.mountString(clone: clone), mountPath: mountPath)
            existingClone = clone
        }
        return await restore.start(request, existingClone: existingClone)
    }

    /// How the clone is mounted: directly (local clones), by the configured commands (`--yes`), or by the DBA.
    static func instantMounting(
        mountPoint: String?, unattended: Bool, settings: DatabaseSettings, vendor: String
    ) throws -> (CloneMounting, [String]?) {
        do throws(PointInTimeRestore.PlanningError) {
            return try PointInTimeRestore.mounting(
                at: mountPoint, unattended: unattended, settings: settings.autorestore, vendor: vendor)
        } catch {
            throw ToolExit(error.exitCode, error.message)
        }
    }

    static func makeInstant(
        _ settings: DatabaseSettings, _ storage: any StorageDriver, _ environment: [String: String], _ logger: Logger,
        _ logPath: String, _ mounting: CloneMounting, _ destination: String, _ unmount: [String]?
    ) throws -> InstantRestore {
        do {
            return try InstantRestore(
                settings: settings, storage: storage, environment: environment, logger: logger, logFile: logPath,
                mounting: mounting, destination: destination, unmountCommand: unmount)
        } catch {
            throw ToolExit.usage("\(error)")
        }
    }

    /// Prints what happened and what the DBA does next.
    func report(_ outcome: InstantRestore.Outcome, area: String, logger: Logger) {
        if outcome.success {
            if outcome.cloneDropped {
                logger.info("Instant restore complete: every datafile is on the primary storage, the clone is dropped")
            } else {
                logger.warning(
                    "Instant restore: the database runs from the primary storage, but the clone was kept: \(outcome.cloneKeptBecause.joined(separator: "; "))"
                )
            }
            if let verified = outcome.verifiedTime { logger.info("Verified restored database time: \(verified)") }
        } else {
            logger.error(
                outcome.opened
                    ? "Instant restore stopped; the database is open and keeps running from the clone"
                    : "Instant restore failed; the database was not opened")
        }
        Output.line("")
        if !outcome.nextSteps.isEmpty {
            Output.line("Next steps:")
            for step in outcome.nextSteps { Output.line(step) }
        }
        if outcome.success {
            Output.line("The instance's pfile and controlfile are in \(area): create an spfile from the pfile, add the")
            Output.line(
                "instance to oratab and the listener, and take a new backup (the database has a new incarnation).")
        }
    }
}
