import AutorestoreEngine
import Foundation
import Testing
import ToolSupport

/// Backups and restores on btrfs as one unprivileged OS user (the usual `oracle` owner): `backup`, `snapper` and
/// `autorestore` list, snapshot, clone and delete subvolumes without root, on the fixture's btrfs (mounted with
/// `user_subvol_rm_allowed`).
@Suite(
    "autorestore after backups on btrfs, as the unprivileged owner", .serialized,
    .enabled(
        if: btrfsRoot != nil && getuid() == 0,
        "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root to loop-mount a btrfs"))
struct AutorestoreBtrfsTests {
    let flows = AutorestoreFlowTests()

    /// A btrfs backup root owned by the unprivileged user, a database, its volume, and `cycles` backups.
    func backedUpOnBtrfs(cycles: Int = 3) async throws -> OracleEnvironment {
        let backupRoot = btrfsRoot! + "/owned-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: backupRoot, withIntermediateDirectories: true)
        let environment = try OracleEnvironment(driver: "btrfs", backupRoot: backupRoot)
        environment.unprivileged = true
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        try await BuiltProducts.grantUnprivilegedAccess(to: backupRoot)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let volume = try await environment.snapper(["orcl", "volume", "create"])
        #expect(volume.status == 0, "\(volume.stdout)\(volume.stderr)")
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        for _ in 0..<cycles {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        try environment.isolateFromProduction()
        return environment
    }

    func snapshots(_ environment: OracleEnvironment) -> [String] {
        environment.contents(environment.backupRoot + "/.snapshots/orcl")
    }

    @Test func cleanAutorestorePassesAndTheOwnerManagesSnapshots() async throws {
        let environment = try await backedUpOnBtrfs()
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        let snapshots = snapshots(environment)
        #expect(snapshots.count == 3, "\(snapshots)")
        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        for name in snapshots { #expect(list.stdout.contains(name), "\(list.stdout)") }

        let run = try await flows.autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore successful, elapsed time: "))
        let row = try #require(try await flows.results(environment).first)
        #expect(row.success)
        #expect(row.snapshotID == snapshots.last)
        #expect(abs(row.timeDifferenceSeconds ?? 9999) <= 300)
        // The clone subvolume is gone.
        #expect(environment.contents(environment.backupRoot + "/.clones").isEmpty)

        // Retention as the owner: a read-only snapshot is deleted without root.
        let oldest = try #require(snapshots.first)
        let dropped = try await environment.snapper(["orcl", "dropsnap", oldest])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
        #expect(self.snapshots(environment) == Array(snapshots.dropFirst()))
    }

    /// cron, `su` or DBMS_SCHEDULER may start the tools in a directory their user cannot enter (here: a root-only
    /// directory, as a checkout in /root). The btrfs commands they run must not depend on it.
    @Test func btrfsCommandsRunFromAWorkingDirectoryTheOwnerCannotEnter() async throws {
        let environment = try await backedUpOnBtrfs(cycles: 1)
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        let closed = environment.root + "-closed"
        try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: closed)
        defer { try? FileManager.default.removeItem(atPath: closed) }
        let list = try await BuiltProducts.runUnprivileged(
            "snapper", ["orcl", "list"], environment: environment.environment, currentDirectory: closed)
        #expect(list.status == 0, "\(list.stdout)\(list.stderr)")
        let snapshot = try #require(snapshots(environment).first)
        #expect(list.stdout.contains(snapshot), "\(list.stdout)")
        let created = try await BuiltProducts.runUnprivileged(
            "snapper", ["orcl", "create"], environment: environment.environment, currentDirectory: closed)
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
    }

    @Test func missingArchivedLogIsNamedAndTheCloneDropped() async throws {
        let environment = try await backedUpOnBtrfs(cycles: 2)
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        // The snapshot is read-only: as root, the test makes it writable for a moment to lose the newest log.
        let snapshot = environment.backupRoot + "/.snapshots/orcl/" + snapshots(environment).last!
        func readOnly(_ flag: Bool) throws {
            let result = try ChildCommand(
                executable: "btrfs", arguments: ["property", "set", "-ts", snapshot, "ro", "\(flag)"]
            ).runBlocking()
            #expect(result.exitStatus == 0, "\(result.errorText)")
        }
        try readOnly(false)
        let logs = snapshot + "/archivelog"
        let newest = try #require(environment.contents(logs).last)
        try FileManager.default.removeItem(atPath: logs + "/" + newest)
        try readOnly(true)
        _ = try await flows.expectFailure(environment, reason: "missing-archivelog")
    }

    @Test func leftoverCloneFromAKilledRunIsCleanedAndTheNextRunPasses() async throws {
        let environment = try await backedUpOnBtrfs(cycles: 2)
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        // What a killed run leaves: the autorestore clone (made by the owner) and a started instance.
        let clone = try await environment.snapper(["orcl", "autoclone"])
        #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
        #expect(!environment.contents(environment.backupRoot + "/.clones").isEmpty)
        let run = try await flows.autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("was left by an earlier run; dropping it"), "\(run.stdout)")
        #expect(try await flows.results(environment).first?.success == true)
        #expect(environment.contents(environment.backupRoot + "/.clones").isEmpty)
    }

    @Test func pointInTimeRestoreReachesTheRequestedTime() async throws {
        let environment = try await backedUpOnBtrfs(cycles: 3)
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        let newest = try #require(snapshots(environment).last)
        try await RestoreCommandTests().expectPointInTimeCopy(
            environment, snapshot: environment.backupRoot + "/.snapshots/orcl/" + newest)
        // The copy runs on a writable clone subvolume that the owner drops when done.
        let clone = try #require(environment.contents(environment.backupRoot + "/.clones").first)
        #expect(clone.hasPrefix("restore_orcl_"))
        let dropped = try await environment.snapper(["orcl", "dropclone", clone])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
        #expect(environment.contents(environment.backupRoot + "/.clones").isEmpty)
    }
}
