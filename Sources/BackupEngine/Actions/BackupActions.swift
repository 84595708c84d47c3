import ConfigModel
import Foundation
import Logging
import OracleTools
import RetentionPolicy
import StorageKit
import StorageRetention
import ToolSupport

/// What `generaterestore` is asked for: a time to recover to and, optionally, the snapshot to restore from.
public struct RestoreRequest: Sendable, Equatable {
    /// `yyyy-mm-dd hh24:mi:ss` in the database's time (RMAN's `set until time`); nil: as far as the backup reaches.
    public var until: String?
    /// A snapshot ID; nil: chosen by `until`.
    public var snapshotID: String?

    /// A request; with both nil the recipe restores from the backup area itself, as far as it reaches.
    public init(until: String? = nil, snapshotID: String? = nil) {
        self.until = until
        self.snapshotID = snapshotID
    }

    /// Parses `yyyy-mm-dd hh24:mi:ss` strictly (a real calendar time, two-digit fields); nil otherwise.
    public static func parse(_ text: String, timeZone: TimeZone) -> Date? {
        guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/) != nil else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.isLenient = false
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else { return nil }
        return date
    }
}

/// What `imagecopywithsnap` did.
public struct ImageCopyOutcome: Sendable {
    /// The snapshot taken; nil without `dosnapshot` or a storage driver. A dry run gives the name it would use.
    public var snapshotID: String?
    /// What snapshot retention kept and dropped; nil when it did not run (no snapshots, no rules, or a dry run).
    public var retention: RetentionOutcome?
}

extension BackupJob {
    // MARK: config

    /// `config`: archivelog directory, RMAN configuration (register in the catalog when asked), then block change
    /// tracking and archive destinations from SQL*Plus (reference §2.1).
    public func config() async throws {
        if !dryRun {
            try FileManager.default.createDirectory(atPath: archivelogDirectory, withIntermediateDirectories: true)
        }
        var body: [String] = []
        if settings.registerCatalog {
            logger.info("Checking from RMAN catalog if database is already registered")
            let script = try render("isdbregisteredincatalog", values())
            let output = try await oracle.sqlplus(script, silent: true, secrets: [])
            if !OutputMarkers.isRegisteredInCatalog(output) {
                body.append(try render("registerdatabase", values()))
            }
        }
        body.append(try render(settings.hasDataGuard ? "configdelaldg" : "configdelalnodg", values()))
        body.append(try render("config", values()))
        logger.info("Running RMAN configuration")
        try await runRMAN(body.joined(separator: "\n"))
        logger.info("Running additional configuration from SQL*Plus")
        _ = try await runSQLPlus(try render("configfromsqlplus", values()), silent: false)
    }

    // MARK: missingarchlog

    /// `missingarchlog`: copies archived logs that are in the FRA but not yet in the backup area.
    public func missingArchivelogs() async throws {
        let output = try await runSQLPlus(try render("archivelogmissing", values()), silent: true)
        let commands = OutputMarkers.missingArchivelogCommands(output)
        guard !commands.isEmpty else { return }
        logger.info("- Copying missing archivelogs")
        let body = ["run {", try render("allocatearchlogchannel", values())] + commands + ["}"]
        try await runRMAN(body.joined(separator: "\n"))
    }

    // MARK: imagecopywithsnap

    /// Runs `markerquery` on the primary just before the log switch, so that the restore of the coming snapshot,
    /// recovered to the switch, must return the same value. A failing query is a warning, not a failed backup:
    /// the snapshot is still a good backup, only its restore will not check a marker.
    func measureMarker() async throws -> AutorestoreParameters.Marker? {
        guard let configured = settings.markerQuery else { return nil }
        // autorestore.cfg holds one line per key.
        let query = configured.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        logger.info("Record the marker value")
        if dryRun {
            screen("--- would run the marker query and record its value in autorestore.cfg: \(query) ---")
            return nil
        }
        let output: String
        do {
            output = try await runSQLPlus(
                try render("markervalue", values(extra: ["markerquery": query])), silent: true,
                tns: settings.primaryTNS)
        } catch let error as CancellationError {
            throw error
        } catch {
            logger.warning("The marker query failed, so the restore of this snapshot will not check a marker: \(error)")
            return nil
        }
        guard let value = OutputMarkers.value(after: "MARKER VALUE:", in: output) else {
            logger.warning(
                "The marker query returned no value, so the restore of this snapshot will not check a marker")
            return nil
        }
        logger.debug("Marker value: \(value)")
        return AutorestoreParameters.Marker(query: query, value: value)
    }

    /// The daily backup, in the order of reference §7.1, so every snapshot is restorable to the time recorded in
    /// its `autorestore.cfg` (§7.2): archivelogs, log switch + recorded time, snapshot, refresh, log switch,
    /// retention, environment, parameters.
    ///
    /// Two checks report a snapshot that cannot be restored the day it happens: after the log switch, an archived
    /// log the snapshot needs that is missing from the archivelog directory; after the refresh, a datafile that is
    /// not online. Each is a WARNING; the run still takes its snapshot and finishes (a partial backup is better than
    /// none), then fails naming them.
    public func imageCopyWithSnap() async throws -> ImageCopyOutcome {
        let started = now()
        var outcome = ImageCopyOutcome()
        var findings = RecoverabilityFindings()

        step("Check if there are missing archivelogs")
        try await missingArchivelogs()

        let marker = try await measureMarker()
        step("Switch current log")
        let switchOutput = try await runSQLPlus(
            try render("archivecurrentlogs", values()), silent: true,
            tns: settings.primaryTNS)
        if let state = OutputMarkers.logSwitchState(switchOutput) {
            if dryRun {
                screen(
                    "--- would record in \(backupDestination)/\(AutorestoreParameters.fileName) ---\nlastscn: \(state.scn)\nlasttime: \(state.time)\n\(AutorestoreParameters.lastTimeUTCOffsetKey): \(AutorestoreParameters.utcOffset(ofLocalTime: state.time, in: .current) ?? "")\nbctfile: \(state.bctFile)"
                        + (marker.map { "\nmarkerquery: \($0.query)\nmarkervalue: \($0.value)" } ?? "")
                )
            } else if try AutorestoreParameters.recordLogSwitch(
                directory: backupDestination, scn: state.scn,
                time: state.time, bctFile: state.bctFile, marker: marker)
            {
                logger.debug(
                    "Recorded lasttime \(state.time), lastscn \(state.scn) in \(AutorestoreParameters.fileName)")
            } else {
                logger.debug(
                    "No \(AutorestoreParameters.fileName) yet (first backup): this snapshot cannot be autorestored")
            }
        } else if !dryRun {
            throw BackupError(
                "The log switch did not report CURRENT DATABASE TIME and SCN; refusing to take a snapshot that could not be restored to a known time"
            )
        }

        // The snapshot must hold every log its recovery to the recorded time reads (§7.2).
        do {
            findings.missingArchivelogs = try await archivelogsMissingFromSnapshot()
        } catch let unavailable as RecoverabilityCheckUnavailable {
            findings.unchecked.append(unavailable.description)
        }

        if settings.doSnapshot, let storage {
            step("Snap the current backup area")
            let snapshot = try await takeSnapshot(storage)
            outcome.snapshotID = snapshot.id
            if !dryRun { events(.snapshotTaken(snapshot)) }
            logger.debug("Created snapshot: \(snapshot.id)")
        }

        step("Checking for expired datafile copies")
        let expired = OutputMarkers.deleteCopyCommands(
            try await runSQLPlus(try render("deletedatafilecopy", values()), silent: true))
        if !expired.isEmpty {
            logger.info("- Deleting expired datafile copies")
            try await runRMAN(expired.joined(separator: "\n"))
        }

        step("Refresh imagecopy")
        try await runRMAN(
            ["run {", try render("backupimagecopy", values()), try render("backupfooter", values()), "}"]
                .joined(separator: "\n"))
        _ = try await runSQLPlus(try render("archivecurrentlogs", values()), silent: false, tns: settings.primaryTNS)
        do {
            findings.datafilesNotOnline = try await datafilesNotOnline()
        } catch let unavailable as RecoverabilityCheckUnavailable {
            findings.unchecked.append(unavailable.description)
        }

        if settings.doSnapshot, let storage, let retention {
            step("Clean expired snapshots")
            let verified = await verifiedSnapshots()
            let offsiteBase = await offsiteCopyBase()
            if dryRun {
                let (plan, _) = await SnapshotRetention.plan(
                    storage: storage, configuration: retention, verified: verified, now: now(),
                    takenByThisRun: outcome.snapshotID, offsiteCopyBase: offsiteBase)
                screen(
                    "--- retention plan (nothing is dropped in a dry run) ---\n" + RetentionPlanRenderer.dryRun(plan))
            } else {
                outcome.retention = await SnapshotRetention.apply(
                    storage: storage, configuration: retention, verified: verified, now: now(),
                    takenByThisRun: outcome.snapshotID, offsiteCopyBase: offsiteBase, logger: logger)
                if let applied = outcome.retention { events(.retentionApplied(applied)) }
            }
        }

        step("Dump additional information about the environment to the log file")
        await dumpEnvironment()

        step("Write database parameters for autorestore")
        let parameterOutput = try await runSQLPlus(try render("autorestoreparameters", values()), silent: true)
        let parameters = OutputMarkers.databaseParameters(parameterOutput)
        if !dryRun {
            guard parameters.contains(where: { $0.0 == "db_name" }) else {
                throw BackupError(
                    "The parameter query returned no dbconfig-db_name line; \(AutorestoreParameters.fileName) was left unchanged"
                )
            }
            try AutorestoreParameters(entries: parameters.map { (key: $0.0, value: $0.1) })
                .write(directory: backupDestination)
        }

        let finished = now()
        logger.info("------------ TOTAL ------------")
        logger.info("Total execution time: \(elapsed(since: started))")
        logger.info("Execution started: \(timestampText(started))")
        logger.info("Execution finished: \(timestampText(finished))")
        var problems = findings.problems(
            snapshotID: outcome.snapshotID, archivelogDirectory: archivelogDirectory, database: settings.name)
        if let retention = outcome.retention, !retention.succeeded {
            problems.append("Snapshot retention did not complete: \(retention.summary)")
        }
        if !problems.isEmpty {
            throw UnrestorableSnapshotError(message: problems.joined(separator: "; "), snapshotID: outcome.snapshotID)
        }
        return outcome
    }

    /// The environment dump of step 9; failures here are warnings, never a failed backup (R-17).
    func dumpEnvironment() async {
        guard let home = settings.generic.oracleHome else { return }
        if settings.gridInfrastructureManaged {
            await dumpGridConfiguration(srvctl: home + "/bin/srvctl")
        }
        await runHelper(home + "/OPatch/opatch", ["lsinventory"], step: "opatch", purpose: "OPatch inventory")
    }

    /// The original's `dbinfo.py` section, logged at DEBUG as one block: `srvctl config database`, `srvctl config
    /// service` and the `srvctl add service` commands that re-create each enabled service (reference §2.8).
    func dumpGridConfiguration(srvctl: String) async {
        let purpose = "Grid Infrastructure configuration"
        var sections: [String] = []
        var serviceOutput = ""
        for (title, arguments) in [
            ("Database configuration", ["config", "database", "-d", settings.name]),
            ("Service configuration", ["config", "service", "-d", settings.name]),
        ] {
            var text = ""
            do {
                if let outcome = try await oracle.helper(srvctl, arguments: arguments, timeoutStep: "srvctl") {
                    text = outcome.output
                    if !outcome.succeeded {
                        logger.warning("\(srvctl) ended with \(outcome.termination); \(purpose) may be incomplete")
                    }
                } else if !dryRun {
                    logger.warning("\(srvctl) not found; \(purpose) is not in this log")
                    return
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(purpose) skipped: \(error)")
                return
            }
            if title == "Service configuration" { serviceOutput = text }
            sections.append("== \(title) ==\n\(text)\n")
        }
        let commands = ServiceConfiguration.addServiceCommands(srvctlOutput: serviceOutput, database: settings.name)
        sections.append("== Service configuration parsed ==\n" + commands.map { $0 + "\n" }.joined())
        if !dryRun { logger.debug("\(sections.joined())") }
    }

    private func runHelper(_ executable: String, _ arguments: [String], step: String, purpose: String) async {
        do {
            guard let outcome = try await oracle.helper(executable, arguments: arguments, timeoutStep: step) else {
                if !dryRun { logger.warning("\(executable) not found; \(purpose) is not in this log") }
                return
            }
            logger.debug("\(([executable] + arguments).joined(separator: " ")):\n\(outcome.output)")
            if !outcome.succeeded {
                logger.warning("\(executable) ended with \(outcome.termination); \(purpose) may be incomplete")
            }
        } catch {
            logger.warning("\(purpose) skipped: \(error)")
        }
    }

    // MARK: setschedule

    /// `setschedule`: the BACKUPEXEC user, credential, programs, schedules and jobs (with the common-user prefix in
    /// a CDB). The OS password is passed as a secret: masked in logs and kept out of the spool by the template.
    public func setSchedule() async throws {
        guard let osPassword, !osPassword.isEmpty else {
            throw BackupError("Environment variable OSPASSWORD must be set.", exitCode: 2)
        }
        let detect = try await runSQLPlus(try render("cdbdetect", values()), silent: true)
        let prefix = OutputMarkers.commonUserPrefix(detect)
        guard prefix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "#" || $0 == "$" || $0 == "_" }) else {
            throw BackupError("Unexpected common user prefix '\(prefix)' reported by the database")
        }
        let extra = ["scheduleuserprefix": prefix]
        let body = try ["createuser", "dropschedule", "createschedule"].map {
            try render($0, values(extra: extra))
        }.joined(separator: "\n")
        _ = try await runSQLPlus(body, silent: false, extra: extra)
    }

    // MARK: generaterestore

    /// `generaterestore`: prints a complete manual restore recipe, a `/bin/sh` script that needs no RMAN catalog:
    /// instance from a minimal pfile, controlfile from the backup's `after_backup_controlfile.cf`, catalog of the
    /// backup files, copies to `restoredestination`, switch, recovery (until `request.until`, or with every
    /// archived log), open resetlogs, and a catalog resync when `registercatalog` is set. With a time (or a
    /// snapshot) and snapshots configured, the backup files come from the first snapshot taken at or after that
    /// time, cloned by the recipe. Nothing is changed here: no Oracle session, no storage change.
    public func generateRestore(_ request: RestoreRequest = RestoreRequest()) async throws {
        let snapshot = try await restoreSnapshot(request)
        guard let parameters = try AutorestoreParameters.read(directory: backupDestination),
            let dbName = parameters["db_name"], !dbName.isEmpty
        else {
            throw BackupError(
                "\(backupDestination)/\(AutorestoreParameters.fileName) is missing or has no db_name: no completed imagecopywithsnap has recorded the database parameters a restore needs; run 'backup \(settings.name) imagecopywithsnap' first"
            )
        }
        for (key, value) in [
            ("oraclehome", settings.generic.oracleHome ?? ""), ("tnsadmin", settings.generic.tnsAdmin ?? ""),
            ("backupdest", backupDestination), ("restoredestination", restoreDestination),
            ("configuration file", configurationPath), ("program directory", programDirectory),
        ] where value.contains("'") || value.contains(where: \.isNewline) {
            throw BackupError(
                "\(configurationPath): [\(settings.name)] \(key) '\(value)' holds a quote or line break, which the printed shell recipe cannot carry",
                exitCode: 2)
        }
        var extra = try restoreParameterValues(parameters, dbName: dbName)
        extra["configpath"] = configurationPath
        extra["restoreuntil"] = request.until ?? ""
        extra["restoretarget"] =
            request.until.map { "to \($0) (database time)" } ?? "to the newest time its backup reaches"
        extra["restoresnapshot"] = ""
        extra["restoresnapshottime"] = ""
        var sourceKey = "restorefromarea"
        if let snapshot {
            extra["restoresnapshot"] = snapshot.id
            extra["restoresnapshottime"] = StorageJSON.iso8601(snapshot.creation)
            sourceKey =
                storage?.capabilities.contains(.localClones) == true ? "restorefromclone" : "restorefrommountedclone"
        }
        let catalogConnect = settings.rman.catalog ?? ""
        if let password = Redaction.connectStringPassword(catalogConnect) {
            extra["restorecatalogconnect"] = catalogConnect.replacingOccurrences(
                of: "/" + password, with: "/${RMAN_CATALOG_PASSWORD}")
            extra["restorecatalogcheck"] =
                ": \"${RMAN_CATALOG_PASSWORD:?export RMAN_CATALOG_PASSWORD, the password of the catalog connection}\""
        } else {
            extra["restorecatalogconnect"] = catalogConnect
            extra["restorecatalogcheck"] = "# The catalog connection needs no password here (wallet or OS login)."
        }
        var keys = ["headerrestore", sourceKey, "restoreinitfile", "fullrestore"]
        keys.append(request.until == nil ? "restorerecoverlatest" : "restorerecoveruntil")
        if settings.registerCatalog, !catalogConnect.isEmpty { keys.append("restorecatalog") }
        keys.append("restorefooter")
        let values = values(extra: extra)
        let recipe = try keys.map { try render($0, values) }.joined(separator: "\n")
        screen("")
        screen("=============")
        screen(recipe)
        screen("=============")
        logger.info(
            "Manual restore recipe printed (\(extra["restoretarget"] ?? ""), from \(extra["restoresnapshot"].flatMap { $0.isEmpty ? nil : "snapshot \($0)" } ?? "the backup area"))"
        )
        logger.debug("\(recipe)")
    }

    /// The values of the recipe's parameter file and copy destination.
    func restoreParameterValues(_ parameters: AutorestoreParameters, dbName: String) throws -> [String: String] {
        var values: [String: String] = ["db_name": dbName]
        for (key, name) in [
            ("db_compatible", "compatible"), ("db_block_size", "db_block_size"), ("db_files", "db_files"),
            ("db_undotbs", "undo_tablespace"),
        ] {
            guard let value = parameters[name], !value.isEmpty else {
                throw BackupError(
                    "\(backupDestination)/\(AutorestoreParameters.fileName) has no \(name): the backup that wrote it did not record the parameters a restore needs"
                )
            }
            values[key] = value
        }
        values["db_cdb"] = parameters["enable_pluggable_database"]?.uppercased() == "TRUE" ? "TRUE" : "FALSE"
        let destination =
            restoreDestination.count > 1 && restoreDestination.hasSuffix("/")
            ? String(restoreDestination.dropLast()) : restoreDestination
        values["restoredestination"] = destination
        if destination.hasPrefix("+") {
            // An ASM disk group: RMAN names the copies itself; the controlfile is an alias in the database's directory.
            values["restoreformat"] = destination
            values["restorecontrolfile"] = "\(destination)/\(dbName.uppercased())/CONTROLFILE/control01.ctl"
            values["restoremakedestination"] =
                "# ASM: the directory \(destination)/\(dbName.uppercased())/CONTROLFILE must exist (asmcmd mkdir)."
        } else {
            values["restoreformat"] = destination + "/%U"
            values["restorecontrolfile"] = destination + "/control01.ctl"
            values["restoremakedestination"] = "mkdir -p '\(destination)'"
        }
        return values
    }

    /// The snapshot a recipe restores from: `request.snapshotID`, else (with `request.until`) the first snapshot
    /// created at or after that time; nil means the backup area itself (no time, no snapshots configured, or a time
    /// after the newest snapshot).
    func restoreSnapshot(_ request: RestoreRequest) async throws -> Snapshot? {
        guard request.snapshotID != nil || request.until != nil else { return nil }
        guard let storage else {
            if let id = request.snapshotID {
                throw BackupError(
                    "--snapshot \(id): \(settings.name) takes no snapshots (dosnapshot is not TRUE), so the recipe can only restore from the backup area",
                    exitCode: 2)
            }
            return nil
        }
        let snapshots: [Snapshot]
        do {
            snapshots = try await storage.listSnapshots().sortedByCreation()
        } catch {
            throw BackupError("Listing the snapshots of \(settings.name) failed: \(error)")
        }
        if let id = request.snapshotID {
            guard let snapshot = snapshots.first(where: { $0.id == id }) else {
                throw BackupError("--snapshot \(id) is not a snapshot of \(settings.name)", exitCode: 2)
            }
            return snapshot
        }
        guard let until = request.until, let target = RestoreRequest.parse(until, timeZone: timeZone) else {
            return nil
        }
        return SnapshotSelection.pointInTimeSnapshot(for: target, in: snapshots)
    }

    // MARK: backupimagecopy, report, validatebackup

    /// The RMAN-only actions: `RESYNC CATALOG` (when registering) then the template of the same name.
    public func plainRMAN(_ templateKey: String) async throws {
        var body: [String] = []
        if settings.registerCatalog { body.append(try render("resynccatalog", values())) }
        body.append(try render(templateKey, values()))
        try await runRMAN(body.joined(separator: "\n"))
    }
}
