import Foundation
import Logging
import OracleTools

/// The second half of an instant restore: moves every datafile of the running instance out of the clone, one at a
/// time (`alter database move datafile … to …`), recording each step in the state file, and finds what of the
/// instance still points into the clone before it may be dropped.
struct DatafileMoveStage: Sendable {
    let context: RestoreContext
    /// The work area holding the state file.
    let area: String
    let logger: Logger

    /// One row of `instantdatafiles`: where `v$datafile` says a file is now.
    struct CurrentFile: Sendable, Equatable {
        var fileNumber: Int
        var tablespace: String
        var name: String
    }

    /// Parses `INSTANT DATAFILE: <file#> <tablespace> <name>` lines.
    static func parseDatafiles(_ output: String) -> [CurrentFile] {
        OutputMarkers.values(after: "INSTANT DATAFILE:", in: output).compactMap { value in
            let fields = value.trimmingCharacters(in: .whitespaces).split(
                separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let number = Int(fields[0]) else { return nil }
            return CurrentFile(
                fileNumber: number, tablespace: String(fields[1]),
                name: String(fields[2]).trimmingCharacters(in: .whitespaces))
        }
    }

    /// Where every datafile is now (`v$datafile`).
    /// - Throws: ``RestoreFailure`` when the query fails (the instance is down or not open) or lists nothing.
    func currentFiles(_ oracle: OracleRunner, sid: String) async throws -> [CurrentFile] {
        let output: String
        do {
            output = try await context.sqlplus(oracle, ["instantdatafiles"], context.baseValues(), silent: true)
        } catch {
            throw RestoreFailure(
                .openFailed,
                "cannot read v$datafile of instance \(sid) (is it running and open? start it with: startup pfile='\(area)/init.ora'): \(error)"
            )
        }
        let files = Self.parseDatafiles(output)
        guard !files.isEmpty else {
            throw RestoreFailure(.openFailed, "v$datafile of instance \(sid) lists no datafile")
        }
        return files
    }

    /// SQL string contents: quotes doubled.
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }

    /// Plans the moves not planned yet and moves every datafile still in the clone, in file order, recording each
    /// one before and after its statement. A file `v$datafile` already shows at its target is recorded as moved
    /// (an earlier run moved it but stopped before recording); a file outside the clone is left where it is.
    /// - Throws: ``RestoreFailure`` when a move fails, a target exists that is not the file, or a file is still in
    ///   the clone afterwards.
    func moveAll(_ initial: InstantRestoreState, oracle: OracleRunner) async throws -> InstantRestoreState {
        var state = initial
        guard let cloneRoot = state.cloneRoot.map(SharedDirectories.resolved) else {
            throw RestoreFailure(.configuration, "the state file does not say where the clone is")
        }
        let files = try await currentFiles(oracle, sid: state.sid)
        for file in files where !state.files.contains(where: { $0.fileNumber == file.fileNumber }) {
            let inClone = InstantRestore.isInside(SharedDirectories.resolved(file.name), cloneRoot)
            state.files.append(
                InstantRestoreState.FileMove(
                    fileNumber: file.fileNumber, tablespace: file.tablespace, from: file.name,
                    to: InstantRestore.targetName(
                        destination: state.destination, tablespace: file.tablespace, fileNumber: file.fileNumber),
                    notInClone: !inClone))
        }
        state.files.sort { $0.fileNumber < $1.fileNumber }
        try write(state)
        let pending = files.filter { InstantRestore.isInside(SharedDirectories.resolved($0.name), cloneRoot) }
        let total = pending.count
        if total == 0 { logger.info("No datafile is on the clone any more") }
        var done = 0
        for file in files {
            guard let index = state.files.firstIndex(where: { $0.fileNumber == file.fileNumber }) else { continue }
            let plan = state.files[index]
            if file.name == plan.to {
                if plan.movedAt == nil {
                    logger.info("Datafile \(file.fileNumber) is already at \(plan.to) (moved before the interruption)")
                    state.files[index].movedAt = context.now()
                    try write(state)
                }
                continue
            }
            guard InstantRestore.isInside(SharedDirectories.resolved(file.name), cloneRoot) else {
                if !plan.notInClone {
                    logger.warning(
                        "Datafile \(file.fileNumber) is at \(file.name), not in the clone and not at \(plan.to): it was moved by someone else; left there"
                    )
                }
                continue
            }
            if FileManager.default.fileExists(atPath: plan.to) {
                throw RestoreFailure(
                    .recoveryFailed,
                    "datafile \(file.fileNumber) is still in the clone (\(file.name)) but \(plan.to) exists: it is not this datafile according to v$datafile (an interrupted copy?); check it, remove it, and run again"
                )
            }
            done += 1
            let size = Self.size(file.name)
            logger.info(
                "Moving datafile \(file.fileNumber) (\(done) of \(total), \(file.tablespace), \(Self.megabytes(size)) MB): \(file.name) -> \(plan.to)"
            )
            state.files[index].startedAt = context.now()
            try write(state)
            var values = context.baseValues()
            values["movefrom"] = Self.literal(file.name)
            values["moveto"] = Self.literal(plan.to)
            let started = Date()
            do {
                try await context.sqlplus(oracle, ["movedatafile"], values, silent: true)
            } catch {
                throw RestoreFailure(
                    .recoveryFailed,
                    "moving datafile \(file.fileNumber) to \(plan.to) failed: \(Self.oracleErrors(in: "\(error)")); \(done - 1) of \(total) files moved in this run"
                )
            }
            state.files[index].movedAt = context.now()
            try write(state)
            let seconds = Date().timeIntervalSince(started)
            logger.info(
                "Moved datafile \(file.fileNumber) in \(String(format: "%.1f", seconds)) s (\(done) of \(total) done)")
        }
        let after = try await currentFiles(oracle, sid: state.sid)
        let left = after.filter { InstantRestore.isInside(SharedDirectories.resolved($0.name), cloneRoot) }
        if !left.isEmpty {
            throw RestoreFailure(
                .recoveryFailed,
                "datafiles still in the clone after the moves: \(left.map { "\($0.fileNumber) \($0.name)" }.joined(separator: ", "))"
            )
        }
        logger.info("Every datafile is on \(state.destination) (\(after.count) files)")
        return state
    }

    /// What of the instance still points into the clone (datafiles, tempfiles, online logs, controlfiles, archive
    /// destinations, file-location parameters), each as `<kind> <location>`; empty when the clone may be dropped.
    /// An unreadable answer counts as a user: when in doubt the clone is kept.
    func cloneUsers(_ state: InstantRestoreState, oracle: OracleRunner) async throws -> [String] {
        guard let cloneRoot = state.cloneRoot.map(SharedDirectories.resolved) else {
            return ["the state file does not say where the clone is"]
        }
        let output: String
        do {
            output = try await context.sqlplus(oracle, ["instantfilelocations"], context.baseValues(), silent: true)
        } catch {
            return ["the instance's file locations could not be read (\(Self.oracleErrors(in: "\(error)")))"]
        }
        return Self.cloneUsers(in: output, cloneRoot: cloneRoot)
    }

    /// The `INSTANCE FILE:` lines of `output` whose location is `cloneRoot` or below it, as `<kind> <location>`
    /// (an archive destination `USE_DB_RECOVERY_FILE_DEST` is the recovery area; `control_files` lists several). An
    /// answer without a datafile or a controlfile cannot be trusted: it counts as a user.
    static func cloneUsers(in output: String, cloneRoot: String) -> [String] {
        let entries = OutputMarkers.values(after: "INSTANCE FILE:", in: output).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard entries.contains(where: { $0.hasPrefix("DATAFILE ") }),
            entries.contains(where: { $0.hasPrefix("CONTROLFILE ") })
        else {
            return ["the instance's file locations could not be read (no datafile or controlfile listed)"]
        }
        let recoveryArea = entries.first { $0.hasPrefix("PARAMETER_DB_RECOVERY_FILE_DEST ") }.map {
            String($0.dropFirst("PARAMETER_DB_RECOVERY_FILE_DEST ".count))
        }
        var users: [String] = []
        for entry in entries {
            guard let space = entry.firstIndex(of: " ") else { continue }
            let kind = String(entry[..<space])
            var locations = String(entry[entry.index(after: space)...]).split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " '\""))
            }
            if kind == "ARCHIVE_DESTINATION" {
                locations = locations.map { location in
                    let path = location.uppercased().hasPrefix("LOCATION=") ? String(location.dropFirst(9)) : location
                    return path.uppercased() == "USE_DB_RECOVERY_FILE_DEST" ? (recoveryArea ?? path) : path
                }
            }
            for location in locations where location.hasPrefix("/") {
                if InstantRestore.isInside(SharedDirectories.resolved(location), cloneRoot) {
                    users.append("\(kind.lowercased().replacingOccurrences(of: "_", with: " ")) \(location)")
                }
            }
        }
        return users
    }

    func write(_ state: InstantRestoreState) throws {
        do {
            try state.write(workArea: area)
        } catch {
            throw RestoreFailure(
                .configuration, "cannot record progress in \(InstantRestoreState.path(workArea: area)): \(error)")
        }
    }

    /// The ORA- lines of a failed statement's output (else the whole error).
    static func oracleErrors(in text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.hasPrefix("ORA-") || $0.hasPrefix("Linux-x86_64 Error") || $0.hasPrefix("SP2-")
        }
        var seen = Set<String>()
        let unique = lines.filter { seen.insert($0).inserted }
        return unique.isEmpty ? text : unique.joined(separator: " ")
    }

    static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    static func megabytes(_ bytes: UInt64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
