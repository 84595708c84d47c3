import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKit
import ToolSupport

/// Mutable state of one restore, shared by the stages and the clean-up: what this run cloned, mounted and started
/// (so the clean-up touches only that), and the result as it fills in.
final class RestoreProgress: @unchecked Sendable {
    var cloned: String?
    /// Where this run's clone is seen on this host (its directory or mount point), once mounted.
    var cloneRoot: String?
    var mountedAt: String?
    /// The driver's mount string of the mounted clone (for `${mountstring}` in the unmount command).
    var mountString: String?
    var instanceSID: String?
    /// Snapshots newer than the one restored that were skipped, each with why (newest first).
    var skippedNewer: [SkippedSnapshot] = []
    var result: AutorestoreResult
    init(result: AutorestoreResult) { self.result = result }
}

/// What every stage of one restore works with: the database's settings, the storage driver, the Oracle home, the
/// templates, the log, the clock and the run's ``RestoreProgress``, with the plumbing the stages share (phases,
/// failure mapping, script rendering, RMAN and SQL*Plus, external commands, the work directory's manifest).
struct RestoreContext: Sendable {
    var settings: DatabaseSettings
    var storage: any StorageDriver
    var oracleHome: OracleHome
    var baseEnvironment: [String: String]
    var timeouts: StepTimeouts
    var templates: ScriptTemplates
    var logger: Logger
    /// The session log RMAN and SQL*Plus append to.
    var logFile: String
    var mounting: CloneMounting
    var homeDirectories: [String]
    var now: @Sendable () -> Date
    /// Set for a manual point-in-time copy instead of an autorestore.
    var pointInTime: PointInTimeRequest?
    /// The primary storage directory of an instant restore (`restore --instant --move-to`); nil otherwise.
    var instantDestination: String? { pointInTime?.instantDestination }
    var events: @Sendable (AutorestoreEvent) -> Void
    /// The work directory: `autorestoredest`, or a fresh directory inside the clone for a point-in-time copy.
    var workDirectory: String
    let progress: RestoreProgress

    var cloneName: String { pointInTime?.cloneName ?? settings.autorestore.cloneName ?? "autorestore" }
    /// Records the SID of the instance this tool started, so a later run can abort exactly that one (R-33).
    var instanceMarker: String { workDirectory + "/.oib-instance" }

    /// The mount string of this job's clone name when the clone itself is not known (a leftover).
    var defaultMountString: String {
        storage.mountString(
            clone: Clone(name: cloneName, originVolume: storage.volumeName, originSnapshot: "", mountPoint: nil))
    }

    /// Announces the phase `name`, runs `body` and adds its duration (also when it fails) to the result's timings.
    func phase<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        events(.phase(database: settings.name, name: name))
        let started = now()
        defer { progress.result.phaseSeconds[name, default: 0] += now().timeIntervalSince(started) }
        return try await body()
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

    /// Runs an external command (`[program, arguments…]`) with the `step` timeout; a start failure, a non-zero
    /// exit or a timeout becomes a ``RestoreFailure`` with `failure`, its detail starting with `what`.
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

    // MARK: Scripts

    /// The template values every script of this run is rendered with.
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

    /// `body` between the RMAN header and footer; the work files it names are claimed first.
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
}
