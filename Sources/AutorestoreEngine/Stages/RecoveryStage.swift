import Foundation
import OracleTools

/// Restores the controlfile, refuses a host that sees production datafiles, catalogs the clone's files, switches
/// the datafiles to the clone and recovers to the recorded time.
struct RecoveryStage: Sendable {
    let context: RestoreContext

    /// The `mount` phase: the controlfile is restored and mounted, production visibility is checked before anything
    /// touches the files it names, the clone's datafile copies and archived logs are cataloged, and block change
    /// tracking is disabled when the database used it.
    func mount(_ instance: RestoreInstance) async throws {
        let oracle = instance.oracle
        let values = instance.values
        context.logger.debug("ACTION: mount database and catalog files")
        try await context.step(.controlfileFailed) { try await context.rman(oracle, "rmanmount", values) }
        try await refuseVisibleProduction(oracle, values)
        let checksCopies = context.templates.has("datafilecopies")
        if !checksCopies {
            context.logger.warning(
                "Template datafilecopies is missing: the clone's datafile copies are not checked before recovery")
        }
        let listed = checksCopies ? try await datafileCopies(oracle, values, failure: .controlfileFailed) : []
        try await context.step(.catalogFilesFailed) {
            try await context.sqlplus(oracle, ["clearlogs"], values)
            try await context.rman(oracle, "rmancatalog", values)
        }
        if checksCopies {
            let cataloged = try await datafileCopies(oracle, values, failure: .catalogFilesFailed)
            try Self.checkCopies(listed: listed, cataloged: cataloged, clonePaths: instance.clonePaths)
            context.logger.info(
                "Every datafile copy the controlfile lists is in the clone (\(Set(listed.map(\.fileNumber)).count) files)"
            )
        }
        if !(values["bctfile"] ?? "").isEmpty {
            context.logger.debug("ACTION: disable block change tracking")
            try await context.step(.controlfileFailed) { try await context.sqlplus(oracle, ["disablebct"], values) }
        }
    }

    /// The `recover` phase: missing datafiles are created, every datafile is switched to its copy in the clone and
    /// the database is recovered; a missing archived log is reported as such, with the line that names it.
    func recover(_ instance: RestoreInstance) async throws {
        let oracle = instance.oracle
        let values = instance.values
        let logFile = context.logFile
        context.logger.debug("ACTION: create missing datafiles")
        var switchScript: [String] = []
        try await context.step(.recoveryFailed) {
            switchScript = OutputMarkers.switchScript(
                try await context.sqlplus(
                    oracle, ["switchdatafiles"], values,
                    silent: true))
        }
        context.logger.debug("ACTION: switch and recover")
        let logSize = Self.fileSize(logFile)
        let body = switchScript.joined(separator: "\n") + "\n" + (try context.render("recoverdatafiles", values))
        let script = try context.rmanScript(body, values)
        do {
            try await oracle.rman(script, logFile: logFile)
        } catch {
            let appended = Self.tail(logFile, from: logSize)
            // Redo of an encrypted (TDE) tablespace needs the keystore: ORA-28365 names tde-keystore-missing.
            if let keystore = KeystoreStage.failure(in: appended, settings: context.settings.autorestore) {
                throw keystore
            }
            if let line = Self.missingLogLine(in: appended) {
                throw RestoreFailure(.missingArchivedLog, line)
            }
            throw RestoreFailure(.recoveryFailed, Self.withErrorLines("\(error)", from: appended))
        }
    }

    /// `message` followed by the first (at most three, each once) `RMAN-nnnnn` / `ORA-nnnnn` lines RMAN wrote to
    /// the log, so that the DBA reads the cause of a failed recovery without opening the log; RMAN's banner lines
    /// around its error stack (RMAN-00569, RMAN-00571) are left out.
    static func withErrorLines(_ message: String, from log: String) -> String {
        var found: [String] = []
        for line in log.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.range(of: #"^(RMAN|ORA)-[0-9]{5}"#, options: .regularExpression) != nil,
                !text.hasPrefix("RMAN-00569"), !text.hasPrefix("RMAN-00571"), !found.contains(text)
            else { continue }
            found.append(text)
            if found.count == 3 { break }
        }
        return found.isEmpty ? message : message + ": " + found.joined(separator: "; ")
    }

    /// One image copy as `v$datafile_copy` lists it.
    struct ListedCopy: Sendable, Equatable {
        var fileNumber: Int
        /// The datafile's creation SCN: a copy of an earlier file with the same number (dropped and re-created)
        /// is not a copy of this one.
        var creationSCN: String
        var path: String
    }

    /// The image copies (tag IMAGE_COPY_BACKUP) the mounted controlfile lists.
    func datafileCopies(_ oracle: OracleRunner, _ values: [String: String], failure: RestoreFailure.Reason)
        async throws -> [ListedCopy]
    {
        let output = try await context.step(failure) {
            try await context.sqlplus(oracle, ["datafilecopies"], values, silent: true)
        }
        return Self.parseCopies(output)
    }

    static func parseCopies(_ output: String) -> [ListedCopy] {
        OutputMarkers.values(after: "DATAFILE COPY:", in: output).compactMap { value in
            let fields = value.trimmingCharacters(in: .whitespaces).split(
                separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let number = Int(fields[0]) else { return nil }
            return ListedCopy(
                fileNumber: number, creationSCN: String(fields[1]),
                path: String(fields[2]).trimmingCharacters(in: .whitespaces))
        }
    }

    /// Before recovery reads anything: every datafile whose image copy the restored controlfile lists (`listed`,
    /// production paths) must have a copy cataloged from the clone (`cataloged`), and nothing outside the clone may
    /// still be cataloged, so RMAN can never fall back to another copy or create the file empty and replay redo
    /// from its creation (which would be reported as a missing archived log). A datafile with no listed copy was
    /// added after the last image copy refresh; recovery creates it from redo.
    static func checkCopies(listed: [ListedCopy], cataloged: [ListedCopy], clonePaths: [String]) throws {
        let roots = clonePaths.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        let outside = cataloged.filter { copy in !roots.contains { copy.path.hasPrefix($0) } }
        if !outside.isEmpty {
            throw RestoreFailure(
                .catalogFilesFailed,
                "datafile copies outside the clone are still cataloged after the uncatalog step (\(outside.prefix(3).map { "datafile \($0.fileNumber): \($0.path)" }.joined(separator: ", "))); refusing to let RMAN read them"
            )
        }
        let present = Set(cataloged.map { "\($0.fileNumber) \($0.creationSCN)" })
        var seen = Set<String>()
        let missing = listed.filter {
            let key = "\($0.fileNumber) \($0.creationSCN)"
            return !present.contains(key) && seen.insert(key).inserted
        }
        guard !missing.isEmpty else { return }
        let names = missing.prefix(5).map {
            "datafile \($0.fileNumber) (\(($0.path as NSString).lastPathComponent), listed as \($0.path))"
        }
        throw RestoreFailure(
            .missingDatafileCopy,
            "\(missing.count) datafile copy(ies) the controlfile lists are not in the snapshot: \(names.joined(separator: "; "))\(missing.count > 5 ? "; …" : ""); looked in \(clonePaths.joined(separator: ", "))"
        )
    }

    /// The restored controlfile still names production datafiles; if any of them exists here, this host can
    /// reach production storage and must not run a restore (reference §8.11): stop before anything touches them.
    func refuseVisibleProduction(_ oracle: OracleRunner, _ values: [String: String]) async throws {
        guard context.templates.has("productiondatafiles") else {
            context.logger.warning("Template productiondatafiles is missing: production visibility is not checked")
            return
        }
        let output = try await context.step(.controlfileFailed) {
            try await context.sqlplus(oracle, ["productiondatafiles"], values, silent: true)
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

    /// The first line of RMAN output that says an archived log recovery needs is missing.
    static func missingLogLine(in text: String) -> String? {
        text.split(separator: "\n").map(String.init).first {
            $0.contains("RMAN-06054") || $0.contains("RMAN-06025") || $0.contains("ORA-00308")
                || $0.contains("unknown archived log")
        }
    }

    static func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// What `path` holds after `offset` (what RMAN appended to the log).
    static func tail(_ path: String, from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}
