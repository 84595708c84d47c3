import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Host and file-system conditions of the fault matrix: each recipe makes the condition, runs the tool, checks
/// what only that recipe can know, and removes the condition before the next normal run.
enum FaultMatrixEnvironmentRecipes {
    typealias Harness = FaultMatrixHarness

    static func run(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        switch recipe {
        case .fullLogDisk: return try await fullLogDisk()
        case .configFileUnreadable, .configFileIsDirectory: return try await missingConfiguration(recipe)
        case .oracleHomeMissing: return try await oracleHomeMissing()
        case .staleLockOfDeadProcess, .lockHeldByLiveProcess, .foreignLockOfOtherHost: return try await lock(recipe)
        case .missingCatalogDirectory, .autorestoreAsRoot, .autorestoreWithoutSandbox, .productionVisible:
            return try await autorestoreGuard(recipe)
        case .readOnlyBackupArea, .missingBackupAreaWithRequireMount: return try await backupArea(recipe)
        case .futureDatedSnapshot, .unreadableCatalog: return try await retention(recipe)
        case .sharedAutorestoreDestination, .foreignMountAtMountPoint: return try await autorestorePlaces(recipe)
        }
    }

    /// Autorestore's work directory is shared (mode 1777, with another job's file in it), or another file system
    /// is mounted where the clone would go: refused by name, and the other job's file or mount is left alone.
    static func autorestorePlaces(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment, backups: 2)
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let destination = environment.root + "/autorestore/dest"
        let mountPoint = environment.root + "/autorestore/mnt"
        let theirs = destination + "/theirs.txt"
        if recipe == .sharedAutorestoreDestination {
            try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: destination)
            try "another job's file\n".write(toFile: theirs, atomically: true, encoding: .utf8)
        } else {
            try shell("mount -t tmpfs -o size=1m oib-foreign-tmpfs \(mountPoint)")
            try "not ours\n".write(toFile: mountPoint + "/theirs.txt", atomically: true, encoding: .utf8)
        }
        var mounted = recipe == .foreignMountAtMountPoint
        defer { if mounted { try? shell("umount \(mountPoint)") } }
        let result = try await Harness.autorestore(environment)
        var kept: [String] = []
        if recipe == .sharedAutorestoreDestination {
            if environment.text(theirs) != "another job's file\n" { kept.append("the other job's file was changed") }
        } else if environment.text(mountPoint + "/theirs.txt") != "not ours\n" {
            kept.append("the foreign mount was unmounted or changed")
        }
        var outcome = try await Harness.finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                if recipe == .sharedAutorestoreDestination {
                    try FileManager.default.removeItem(atPath: theirs)
                    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination)
                } else {
                    try shell("umount \(mountPoint)")
                    mounted = false
                }
                try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
            },
            nextRun: { try await Harness.autorestore(environment) })
        outcome.violations += kept
        return outcome
    }

    /// The backup logs directory is a full 1 MiB tmpfs (root only).
    static func fullLogDisk() async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let logs = environment.backupArea + "/backup_logs"
        let saved = environment.root + "/saved-logs"
        try FileManager.default.moveItem(atPath: logs, toPath: saved)
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: false)
        try shell(
            "mount -t tmpfs -o size=1m oib-full \(logs) && (dd if=/dev/zero of=\(logs)/filler bs=64k 2>/dev/null || true)"
        )
        var mounted = true
        defer { if mounted { try? shell("umount \(logs)") } }
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        return try await Harness.finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                try shell("umount \(logs)")
                mounted = false
                try FileManager.default.removeItem(atPath: logs)
                try FileManager.default.moveItem(atPath: saved, toPath: logs)
            })
    }

    static func missingConfiguration(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let saved = environment.root + "/saved-config"
        try FileManager.default.moveItem(atPath: environment.configPath, toPath: saved)
        if recipe == .configFileIsDirectory {
            try FileManager.default.createDirectory(atPath: environment.configPath, withIntermediateDirectories: false)
        }
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        return try await Harness.finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                try? FileManager.default.removeItem(atPath: environment.configPath)
                try FileManager.default.moveItem(atPath: saved, toPath: environment.configPath)
            })
    }

    static func oracleHomeMissing() async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let saved = environment.root + "/saved-oraclehome"
        try FileManager.default.moveItem(atPath: environment.oracleHome, toPath: saved)
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        return try await Harness.finish(
            environment, before: before, result: result, logs: ["imagecopywithsnap"],
            removeFault: { try FileManager.default.moveItem(atPath: saved, toPath: environment.oracleHome) })
    }

    /// A lock file left by a dead process of this host, held by a live one, or held by another host.
    static func lock(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment(extraConfig: "maxlockwait: 0")
        let configText = environment.text(environment.configPath).replacingOccurrences(
            of: "maxlockwait: 1\n", with: "")
        try configText.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        try await Harness.backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let lockPath = environment.backupArea + "/backup.lck"
        let host = ProcessInfo.processInfo.hostName
        var holder: RunningChild?
        switch recipe {
        case .staleLockOfDeadProcess:
            try "host: \(host)\npid: 999999\nstarted: 2016-11-08 21:00:00\n".write(
                toFile: lockPath, atomically: true, encoding: .utf8)
        case .lockHeldByLiveProcess:
            let sleeper = try ChildCommand(executable: "/bin/sleep", arguments: ["120"]).startBlocking()
            holder = sleeper
            try "host: \(host)\npid: \(sleeper.pid)\nstarted: 2016-11-08 21:00:00\n".write(
                toFile: lockPath, atomically: true, encoding: .utf8)
        default:
            try "host: rac-node-2.example\npid: 4242\nstarted: 2016-11-08 21:00:00\n".write(
                toFile: lockPath, atomically: true, encoding: .utf8)
        }
        defer { holder?.signal(SIGTERM) }
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        // A lock that is not ours must still be there, unchanged; ours must be gone.
        let lockText = environment.text(lockPath)
        let keptForeignLock =
            recipe == .staleLockOfDeadProcess
            || (lockText.contains("pid: 4242") || lockText.contains("pid: \(holder?.pid ?? -1)"))
        let temporaries = environment.contents(environment.backupArea).filter {
            $0.hasSuffix(".lck") && $0 != "backup.lck"
        }
        if recipe != .staleLockOfDeadProcess { try? FileManager.default.removeItem(atPath: lockPath) }
        var outcome = try await Harness.finish(
            environment, before: before, result: result, logs: ["imagecopywithsnap"],
            removeFault: { holder?.signal(SIGTERM) })
        if !keptForeignLock { outcome.violations.append("the lock of another holder was removed or changed") }
        if !temporaries.isEmpty { outcome.violations.append("temporary lock files left: \(temporaries)") }
        return outcome
    }

    static func autorestoreGuard(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment, backups: 2)
        if recipe == .missingCatalogDirectory {
            let config = environment.text(environment.configPath).replacingOccurrences(
                of: "[autorestore]\n",
                with: "[autorestore]\ncatalogfile: \(environment.root)/no-such-directory/results.sqlite\n")
            try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        }
        if recipe != .productionVisible { try environment.isolateFromProduction() }
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let result: BuiltProducts.Result
        switch recipe {
        case .autorestoreAsRoot where getuid() == 0:
            result = try await BuiltProducts.run(
                "autorestore", ["--config", environment.configPath, "orcl"],
                environment: environment.environment.merging(["AUTORESTORE_SAFE_SANDBOX": "TRUE"]) { $1 })
        case .autorestoreWithoutSandbox:
            result = try await Harness.autorestore(environment, sandbox: false)
        default:
            result = try await Harness.autorestore(environment)
        }
        let clones = environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }
        var outcome = try await Harness.finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                if recipe == .missingCatalogDirectory {
                    try FileManager.default.createDirectory(
                        atPath: environment.root + "/no-such-directory", withIntermediateDirectories: false)
                }
                if recipe == .productionVisible { try environment.isolateFromProduction() }
                try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
            },
            nextRun: { try await Harness.autorestore(environment) })
        if !clones.isEmpty { outcome.violations.append("clones left: \(clones)") }
        return outcome
    }

    /// The backup area is missing (`requiremount: FALSE`) or cannot be written.
    static func backupArea(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: Harness.snapshotsDirectory(environment))
        let saved = environment.root + "/saved-area"
        if recipe == .missingBackupAreaWithRequireMount {
            try FileManager.default.moveItem(atPath: environment.backupArea, toPath: saved)
        } else {
            try shell("chattr +i \(environment.backupArea)")
        }
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        let created = FileManager.default.fileExists(atPath: environment.backupArea)
        var outcome = try await Harness.finish(
            environment, before: before.withoutFiles(recipe == .missingBackupAreaWithRequireMount), result: result,
            logs: [],
            removeFault: {
                if recipe == .missingBackupAreaWithRequireMount {
                    try? FileManager.default.removeItem(atPath: environment.backupArea)
                    try FileManager.default.moveItem(atPath: saved, toPath: environment.backupArea)
                } else {
                    try shell("chattr -i \(environment.backupArea)")
                }
            })
        if recipe == .missingBackupAreaWithRequireMount, created {
            outcome.violations.append("an empty backup area was created at \(environment.backupArea)")
        }
        return outcome
    }

    /// Retention with a snapshot from the future, or with a results catalog that cannot be read, while the
    /// policy wants to drop every snapshot but the newest.
    static func retention(_ recipe: EnvironmentRecipe) async throws -> FaultOutcome {
        let environment = try OracleEnvironment()
        try await Harness.backedUp(environment, backups: 2)
        let original = environment.text(environment.configPath)
        try original.replacingOccurrences(
            of: FaultMatrix.aggressiveRetention.target, with: FaultMatrix.aggressiveRetention.replacement
        ).write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let snapshots = Harness.snapshotsDirectory(environment)
        let planted = "orcl-20991231T000000"
        let catalog = environment.root + "/autorestore/log/autorestore-results.sqlite"
        if recipe == .futureDatedSnapshot {
            let creation = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
            try FileManager.default.createDirectory(
                atPath: snapshots + "/" + planted, withIntermediateDirectories: true)
            try
                #"{"volume": "orcl", "snapshot": "\#(planted)", "creation": "\#(creation)", "bytes": 0, "reflinked": true}"#
                .write(toFile: snapshots + "/" + planted + ".json", atomically: true, encoding: .utf8)
        } else {
            try? FileManager.default.removeItem(atPath: catalog)
            try FileManager.default.createDirectory(atPath: catalog, withIntermediateDirectories: true)
        }
        let before = FaultMatrixInvariants(environment: environment, snapshotsDirectory: snapshots)
        let result = try await environment.backup(["orcl", "imagecopywithsnap"])
        return try await Harness.finish(
            environment, before: before, result: result, logs: ["imagecopywithsnap"],
            removeFault: {
                if recipe == .futureDatedSnapshot {
                    try FileManager.default.removeItem(atPath: snapshots + "/" + planted)
                    try FileManager.default.removeItem(atPath: snapshots + "/" + planted + ".json")
                } else {
                    try FileManager.default.removeItem(atPath: catalog)
                }
            })
    }

    static func shell(_ command: String) throws {
        let result = try ChildCommand(executable: "/bin/sh", arguments: ["-c", command]).runBlocking()
        if result.exitStatus != 0 {
            throw SimulatorFailure(arguments: [command], output: "exit \(result.exitStatus): \(result.errorText)")
        }
    }
}

extension FaultMatrixInvariants {
    /// The same evidence without the backup area's files (for a run whose area was moved away on purpose).
    func withoutFiles(_ drop: Bool) -> FaultMatrixInvariants {
        var copy = self
        if drop { copy.backupFiles = [] }
        return copy
    }
}
