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
        try await context.step(.catalogFilesFailed) {
            try await context.sqlplus(oracle, ["clearlogs"], values)
            try await context.rman(oracle, "rmancatalog", values)
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
            if let line = Self.missingLogLine(in: appended) {
                throw RestoreFailure(.missingArchivedLog, line)
            }
            throw RestoreFailure(.recoveryFailed, "\(error)")
        }
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
