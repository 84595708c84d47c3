import ArgumentParser
import CommandSupport
import ConfigModel
import Foundation
import Logging
import Reporting
import RetentionPolicy
import SnapperEngine
import StandardCatalogs
import StandardDrivers
import StorageKit
import StorageRetention
import ToolSupport

/// Runs one snapper action through the engine and prints its result (text, or JSON with `--json`).
struct SnapperPrinter {
    var engine: SnapperEngine
    var json: Bool
    /// The off-site copy, for `replicate` and the `--replica` actions.
    var replica: ReplicaOperations? = nil
    /// `--replica`: the action works on the off-site copy.
    var onReplica = false

    func perform(_ action: String, argument: String?, dryRun: Bool) async throws {
        let storage = engine.storage
        if let replica, onReplica || action == "replicate" {
            try await performOnReplica(action, replica: replica, dryRun: dryRun)
            return
        }
        switch action {
        case "list":
            let snapshots = try await engine.snapshots()
            try print(snapshots) { $0.map(DisplayFormat.snapshotLine) }
        case "create":
            let snapshot = try await engine.createSnapshot()
            try print(snapshot) { ["Snapshot created: \($0.id)"] }
        case "clone": try await clone(snapshot: argument!)
        case "dropclone":
            try await storage.dropClone(name: argument!)
            Output.line("Clone dropped.")
        case "listclones":
            let clones = try await storage.listClones()
            try print(clones) { $0.map(DisplayFormat.cloneLine) }
        case "checkage": try await checkAge()
        case "clean": try await clean(dryRun: dryRun)
        case "autoclone":
            let (name, snapshot) = try await engine.autoclone()
            Output.line("Clone created.")
            Output.line("Clone name: \(name)")
            Output.line("Snapshot: \(snapshot.id)")
        case "dropautoclone":
            try await engine.dropAutoclone()
            Output.line("Clone dropped.")
        case "dropsnap":
            try await engine.dropSnapshot(argument!)
            Output.line("Snapshot dropped: \(argument!)")
        case "volume":
            let volume = try await storage.createVolume()
            try print(volume) { ["Volume created: \($0.name)"] }
        default: throw ToolExit.usage(SnapperCommand.usage)
        }
    }

    /// Prints `value` as JSON, or its text lines.
    func print<Value: Encodable>(_ value: Value, lines: (Value) -> [String]) throws {
        if json {
            Output.line(try StorageJSON.string(value))
        } else {
            for line in lines(value) { Output.line(line) }
        }
    }

    func clone(snapshot: String) async throws {
        let (clone, mount) = try await engine.clone(snapshot: snapshot)
        if json {
            Output.line(try StorageJSON.string(clone))
            return
        }
        Output.line("Clone created.")
        Output.line("Clone name: \(clone.name)")
        Output.line("Mount point: \(clone.mountPoint ?? mount)")
        if mount.contains(":") {
            Output.line("Mount command (execute as root and replace zfs ip address and mount directory):")
            Output.line(
                "mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 \(mount) <mount_directory_here>"
            )
        } else {
            Output.line("The clone is a local directory; use it in place or bind-mount it (as root):")
            Output.line("mount --bind \(mount) <mount_directory_here>")
        }
    }

    func checkAge() async throws {
        let settings = engine.settings
        guard let warning = settings.generic.warningSnapshotAgeHours,
            let critical = settings.generic.criticalSnapshotAgeHours
        else { throw ToolExit.nagios(3, "UNKNOWN: warningsnapage and criticalsnapage are required") }
        let result = SnapshotAgeCheck(warningHours: warning, criticalHours: critical)
            .evaluate(snapshots: try await engine.storage.listSnapshots(), now: engine.clock())
        if json { Output.line(try StorageJSON.string(result)) } else { Output.line(result.line) }
        if result.exitCode != 0 { throw ToolExit(result.exitCode) }
    }

    func clean(dryRun: Bool) async throws {
        if dryRun {
            let (plan, error) = try await engine.planRetention()
            Output.line(RetentionPlanRenderer.dryRun(plan))
            if let error { throw ToolExit.failure("listing snapshots failed: \(error)") }
            return
        }
        let outcome = try await engine.applyRetention()
        for line in RetentionPlanRenderer.lines(for: outcome) { Output.line(line) }
        if !outcome.succeeded { throw ToolExit.failure(outcome.summary) }
    }
}

/// What `replicate --json` prints.
struct ReplicationReport: Encodable {
    var replicated: [ReplicatedSnapshot]
    var lag: ReplicationLag?
    var error: String?
}

extension SnapperPrinter {
    /// `replicate`, and `list`, `clean` and `checkage` with `--replica`.
    func performOnReplica(_ action: String, replica: ReplicaOperations, dryRun: Bool) async throws {
        switch action {
        case "replicate":
            let outcome = try await replica.replicate()
            if json {
                Output.line(
                    try StorageJSON.string(
                        ReplicationReport(
                            replicated: outcome.replicated, lag: outcome.lag,
                            error: outcome.failure.map { "\($0)" })))
            } else {
                for copied in outcome.replicated {
                    let kind = copied.base.map { "incremental from \($0)" } ?? "full"
                    Output.line("Replicated: \(copied.id) (\(kind), \(String(format: "%.1f", copied.seconds)) s)")
                }
                if let lag = outcome.lag { Output.line("Replica: \(lag.summary)") }
            }
            if let failure = outcome.failure { throw ToolExit.failure("replication failed: \(failure)") }
        case "list":
            let snapshots = try await replica.snapshots()
            try print(snapshots) { $0.map(DisplayFormat.snapshotLine) }
        case "clean":
            if dryRun {
                let (plan, error) = try await replica.planRetention()
                Output.line(RetentionPlanRenderer.dryRun(plan))
                if let error { throw ToolExit.failure("listing the replica's snapshots failed: \(error)") }
                return
            }
            let outcome = try await replica.applyRetention()
            for line in RetentionPlanRenderer.lines(for: outcome) { Output.line(line) }
            if !outcome.succeeded { throw ToolExit.failure(outcome.summary) }
        case "checkage":
            let settings = replica.replica.settings
            guard let warning = settings.warningAgeHours, let critical = settings.criticalAgeHours else {
                throw ToolExit.nagios(
                    3, "UNKNOWN: warningsnapage and criticalsnapage are required ([replication] or [generic])")
            }
            var result = SnapshotAgeCheck(warningHours: warning, criticalHours: critical)
                .evaluate(snapshots: try await replica.snapshots(), now: engine.clock())
            result.message = "Replica: \(result.message)"
            if json { Output.line(try StorageJSON.string(result)) } else { Output.line(result.line) }
            if result.exitCode != 0 { throw ToolExit(result.exitCode) }
        default: throw ToolExit.usage(SnapperCommand.usage)
        }
    }
}
