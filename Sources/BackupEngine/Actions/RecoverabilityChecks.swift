import Foundation
import OracleTools

/// What `imagecopywithsnap` found that keeps one of its snapshots from restoring: reported the day it happens, as a
/// WARNING and a failed run (exit 1), not one backup later by the restore test.
struct RecoverabilityFindings: Sendable {
    /// Archived logs the snapshot of this run needs that are not in the backup area's archivelog directory.
    var missingArchivelogs: [ArchivedLogID] = []
    /// Datafiles the controlfile records as not online after the refresh.
    var datafilesNotOnline: [DatafileNotOnline] = []
    /// Checks whose query failed: a check that cannot run must not pass silently, day after day.
    var unchecked: [String] = []

    /// One sentence per finding for the run's failure; empty when the backup is restorable.
    func problems(snapshotID: String?, archivelogDirectory: String, database: String) -> [String] {
        var problems: [String] = []
        if !missingArchivelogs.isEmpty {
            let snapshot = snapshotID.map { "snapshot \($0)" } ?? "the backup area"
            problems.append(
                "\(snapshot) lacks archived log\(missingArchivelogs.count == 1 ? "" : "s") \(Self.list(missingArchivelogs)) (missing from \(archivelogDirectory)), so it cannot be recovered to its recorded time; run 'backup \(database) missingarchlog'"
            )
        }
        problems += unchecked
        for file in datafilesNotOnline {
            problems.append(
                "datafile \(file.fileNumber) (\(file.name)) is \(file.status), so its image copy is not refreshed and the next snapshot cannot be restored with it online"
            )
        }
        return problems
    }

    static func list(_ logs: [ArchivedLogID]) -> String { logs.map(\.description).joined(separator: ", ") }
}

/// A recoverability check whose query failed: the run ends failed, naming what could not be checked.
struct RecoverabilityCheckUnavailable: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// `imagecopywithsnap` ran to the end but its snapshot cannot be restored (or could not be proven restorable): the
/// run fails (exit 1) and its record still names the snapshot it took.
public struct UnrestorableSnapshotError: Error, Sendable, CustomStringConvertible {
    /// Every finding, joined.
    public var message: String
    /// The snapshot this run took, when it took one.
    public var snapshotID: String?
    public var description: String { message }
}

extension BackupJob {
    /// After the log switch the snapshot is recovered to, before the snapshot: the archived logs recovery of the
    /// backup area's image copies needs (the controlfile's list) that have no file in the archivelog directory.
    /// Such a snapshot is not self-contained: its restore stops at the first missing log (missing-archivelog).
    func archivelogsMissingFromSnapshot() async throws -> [ArchivedLogID] {
        guard
            let output = try await runRecoverabilityQuery(
                "archivelogsnapshotcheck", question: "whether the snapshot holds every archived log it needs",
                checkName: "The archived log check")
        else { return [] }
        let coverage = OutputMarkers.archivelogCoverage(output)
        let missing = coverage.missing { FileManager.default.fileExists(atPath: $0) }
        guard !missing.isEmpty else { return [] }
        // Not archived there (the destination failed): missingarchlog copies them. Archived there but the file is
        // gone: the controlfile must forget that copy first, or missingarchlog sees nothing to copy.
        let notArchived = missing.filter { coverage.inBackupArea[$0] == nil }
        let removed = missing.filter { coverage.inBackupArea[$0] != nil }
        let consequence =
            "so the snapshot taken now cannot be recovered to its recorded time (its restore fails with missing-archivelog)"
        if !notArchived.isEmpty {
            let plural = notArchived.count > 1
            logger.warning(
                "Archived log\(plural ? "s" : "") \(RecoverabilityFindings.list(notArchived)) \(plural ? "are" : "is") missing from \(archivelogDirectory) although the database archived \(plural ? "them" : "it"), \(consequence); run 'backup \(settings.name) missingarchlog' to copy missing archived logs into the backup area (the next imagecopywithsnap does so first, too)"
            )
        }
        if !removed.isEmpty {
            let plural = removed.count > 1
            logger.warning(
                "Archived log\(plural ? "s" : "") \(RecoverabilityFindings.list(removed)) \(plural ? "are" : "is") missing from \(archivelogDirectory): the controlfile lists \(plural ? "their files" : "its file") there but \(plural ? "they are" : "it is") gone, \(consequence); in RMAN run 'crosscheck archivelog all' and 'delete expired archivelog all', then 'backup \(settings.name) missingarchlog' copies \(plural ? "them" : "it") from the recovery area"
            )
        }
        return missing
    }

    /// After the refresh: datafiles the controlfile (and so `after_backup_controlfile.cf`) records as not online.
    /// RMAN does not refresh their copies, and the restore of the next snapshot, which holds that controlfile copy,
    /// opens the database with them offline (datafile-not-online). A file offline for good has been dropped (with
    /// its tablespace) and is no longer listed.
    func datafilesNotOnline() async throws -> [DatafileNotOnline] {
        guard
            let output = try await runRecoverabilityQuery(
                "datafilesnotonline", question: "whether every datafile is online",
                checkName: "The datafile status check")
        else { return [] }
        let files = OutputMarkers.datafilesNotOnline(output)
        for file in files {
            logger.warning(
                "Datafile \(file.fileNumber) (\(file.name)) is \(file.status): its image copy is not refreshed and the controlfile backup records it \(file.status), so the restore of the next snapshot cannot bring it online (autorestore fails with datafile-not-online); bring it online (recover datafile \(file.fileNumber); alter database datafile \(file.fileNumber) online) or, if it is no longer needed, drop its tablespace"
            )
        }
        return files
    }

    /// Runs the check query of template `key` and returns its output; nil (with a warning) when the template file
    /// has no such query. A query that fails is logged and thrown as ``RecoverabilityCheckUnavailable``: the
    /// backup must not pass a check that did not run. `question` says what the check finds out ("whether …").
    private func runRecoverabilityQuery(_ key: String, question: String, checkName: String) async throws -> String? {
        guard templates.has(key) else {
            logger.warning("Template \(key) is missing from \(templates.file): \(question) is not checked")
            return nil
        }
        do {
            return try await runSQLPlus(try render(key, values()), silent: true)
        } catch let error as CancellationError {
            throw error
        } catch {
            logger.warning("\(checkName) failed, so \(question) is not known: \(error)")
            throw RecoverabilityCheckUnavailable(
                description:
                    "\(question) could not be checked (\(key) failed: \(error)); fix the query's cause (grants, template)"
            )
        }
    }
}
