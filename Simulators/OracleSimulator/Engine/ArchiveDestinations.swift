import Foundation

/// A local archive destination that cannot create its archived logs: a full or read-only file system, a share that
/// is not mounted, a directory whose permissions changed. Planted by `oracle-sim inject archive-dest-error`.
///
/// As in Oracle, a destination that is not MANDATORY does not stop the log switch: the archiver writes the log to
/// the other destinations, v$archived_log gets no row for this one, the alert log records the error (ARCn:
/// Error 19504 Creating archive log file to '…', ORA-19504, ORA-27040 and the operating-system error) and
/// v$archive_dest shows the destination in ERROR until an archive to it succeeds again.
public struct ArchiveDestinationFault: Codable, Sendable, Equatable {
    /// The destination's directory as `LOCATION=` of its `log_archive_dest_N` gives it.
    public var directory: String
    /// The operating-system error the archiver gets, e.g. `13: Permission denied`.
    public var osError: String
    /// Log switches that still fail to write here; at 0 the destination keeps its ERROR status (and ``lastError``)
    /// until the next archive to it succeeds.
    public var remaining: Int
    /// The errors of the last failed archive, as the alert log and v$archive_dest.error show them.
    public var lastError: [String]?
}

extension DatabaseState {
    /// Whether archiving `path` to destination `id` (in `directory`) fails now; a failing write is recorded in the
    /// fault (its errors) and counted. A destination that archives again loses its ERROR status.
    mutating func archiveFails(directory: String, path: String) -> Bool {
        guard var faults = archiveDestinationFaults,
            let index = faults.firstIndex(where: {
                Self.sameDirectory($0.directory, directory)
            })
        else { return false }
        guard faults[index].remaining > 0 else {
            faults.remove(at: index)
            archiveDestinationFaults = faults.isEmpty ? nil : faults
            return false
        }
        faults[index].remaining -= 1
        faults[index].lastError = [
            "ARC1: Error 19504 Creating archive log file to '\(path)'",
            "ORA-19504: failed to create file \"\(path)\"",
            "ORA-27040: file create error, unable to create file",
            "Linux-x86_64 Error: \(faults[index].osError)",
        ]
        archiveDestinationFaults = faults
        return true
    }

    static func sameDirectory(_ left: String, _ right: String) -> Bool {
        func trimmed(_ text: String) -> String {
            text.count > 1 && text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        return trimmed(left) == trimmed(right)
    }
}

enum ArchiveDestinationInjection {
    /// `oracle-sim inject archive-dest-error --db <db> --destination <directory> [--times <n>] [--os-error <text>]`:
    /// the next `n` (default 1) log switches do not archive to that destination. Only a destination that is set,
    /// enabled and not MANDATORY can fail this way (a MANDATORY one would stop the database from reusing the
    /// online log, which this simulator does not model).
    static func inject(database name: String?, directory: String?, times: Int?, osError: String?, store: StateStore)
        throws -> String
    {
        guard let name, let directory, !directory.isEmpty else {
            throw SimulatorError("archive-dest-error needs --db and --destination <directory>")
        }
        let count = times ?? 1
        guard count > 0 else { throw SimulatorError("archive-dest-error --times must be at least 1") }
        return try store.withLock {
            guard var database = try store.loadDatabase(name) else { throw SimulatorError("no database \(name)") }
            guard
                let destination = database.enabledArchiveDestinations().first(where: {
                    !$0.isRecoveryArea && DatabaseState.sameDirectory($0.directory, directory)
                })
            else {
                throw SimulatorError(
                    "\(name) has no enabled archive destination LOCATION=\(directory) (the recovery area cannot be failed)"
                )
            }
            let value = database.parameter("log_archive_dest_\(destination.id)") ?? ""
            guard !value.uppercased().contains("MANDATORY") else {
                throw SimulatorError("log_archive_dest_\(destination.id) is MANDATORY: only an optional one can fail")
            }
            var faults = database.archiveDestinationFaults ?? []
            faults.removeAll { DatabaseState.sameDirectory($0.directory, directory) }
            faults.append(
                ArchiveDestinationFault(
                    directory: destination.directory, osError: osError ?? "13: Permission denied", remaining: count,
                    lastError: nil))
            database.archiveDestinationFaults = faults
            try store.saveDatabase(database)
            return
                "log_archive_dest_\(destination.id) (\(destination.directory)) fails for the next \(count) log switch(es)\n"
        }
    }
}
