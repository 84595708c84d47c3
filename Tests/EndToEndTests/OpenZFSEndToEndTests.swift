import Foundation
import Testing
import ToolSupport

/// Set by Scripts/fixtures.sh: a file system on a throw-away zfs-fuse pool (as root).
let zfsDataset = ProcessInfo.processInfo.environment["OIB_ZFS_DATASET"].flatMap { $0.isEmpty ? nil : $0 }

/// The built tools on `snappermodule: openzfs` against the fixture's real ZFS pool (zfs-fuse), as root: backups
/// with snapshots, and snapper's list, clone, clone ownership refusals, dropclone and dropsnap.
@Suite(
    "backup and snapper on OpenZFS (zfs-fuse)", .serialized,
    .enabled(
        if: zfsDataset != nil && getuid() == 0,
        "OIB_ZFS_DATASET is not set: run Scripts/test.sh as root (Scripts/fixtures.sh makes a zfs-fuse pool)"))
struct OpenZFSEndToEndTests {
    /// Runs `zfs` for the test's own set-up and clean-up.
    @discardableResult
    static func zfs(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ChildCommand(executable: "zfs", arguments: arguments).runBlocking()
        return (result.exitStatus, result.outputText + result.errorText)
    }

    /// Destroys `parent` and everything below it, deepest first, each unmounted first (test clean-up only).
    static func destroy(_ parent: String) {
        let names = ((try? zfs(["list", "-H", "-r", "-o", "name", parent]))?.output ?? "").split(separator: "\n")
            .map(String.init).filter { $0.hasPrefix(parent) }
        for name in names {
            // Snapshots held by the lock tests.
            for snapshot in ((try? zfs(["list", "-H", "-t", "snapshot", "-o", "name", "-r", name]))?.output ?? "")
                .split(separator: "\n")
            {
                _ = try? zfs(["release", "oib-lock", String(snapshot)])
            }
        }
        for name in names.sorted(by: { $0.count > $1.count }) {
            _ = try? zfs(["unmount", name])
            for attempt in 1...5 {
                guard let result = try? zfs(["destroy", "-r", name]), result.status != 0 else { break }
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }

    @Test func backupsSnapshotAndSnapperClonesOnRealZFS() async throws {
        let environmentRoot = NSTemporaryDirectory() + "oib-zfs-e2e-\(UUID().uuidString.prefix(8))"
        let backupRoot = environmentRoot + "-backup"
        let parent = "\(zfsDataset!)/e2e-\(UUID().uuidString.prefix(8).lowercased())"
        let environment = try OracleEnvironment(
            driver: "openzfs", backupRoot: backupRoot, extraConfig: "\n[openzfs]\ndataset: \(parent)\n")
        // The parent file system is mounted on the backup root, so the area <parent>/orcl is <backupdest>/orcl.
        let created = try Self.zfs(["create", "-p", "-o", "mountpoint=\(backupRoot)", parent])
        #expect(created.status == 0, "\(created.output)")
        defer {
            Self.destroy(parent)
            try? FileManager.default.removeItem(atPath: backupRoot)
        }

        let volume = try await environment.snapper(["orcl", "volume", "create"])
        #expect(volume.status == 0, "\(volume.stdout)\(volume.stderr)")
        #expect(
            try Self.zfs(["get", "-H", "-o", "value", "mountpoint", "\(parent)/orcl"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines) == backupRoot + "/orcl")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }

        // The snapshots are ZFS snapshots of <parent>/orcl, listed with exact sizes.
        let zfsSnapshots = try Self.zfs(["list", "-H", "-t", "snapshot", "-o", "name", "-r", "\(parent)/orcl"]).output
            .split(separator: "\n").map { String($0.split(separator: "@").last ?? "") }
        #expect(zfsSnapshots.count == 2, "\(zfsSnapshots)")
        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        for name in zfsSnapshots { #expect(list.stdout.contains(name), "\(list.stdout)") }
        #expect(!list.stdout.contains("total=unknown"), "\(list.stdout)")

        // A clone is a ZFS clone under the parent, mounted, with the image copy in it.
        let oldest = try #require(zfsSnapshots.first)
        let clone = try await environment.snapper(["orcl", "clone", oldest])
        #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
        let cloneName = String(
            clone.stdout.split(separator: "\n").dropFirst().first?.dropFirst("Clone name: ".count) ?? "")
        #expect(
            try Self.zfs(["get", "-H", "-o", "value", "origin", "\(parent)/\(cloneName)"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines) == "\(parent)/orcl@\(oldest)")
        let clones = try await environment.snapper(["orcl", "listclones"])
        #expect(
            clones.stdout.hasPrefix("\(cloneName) [\(oldest)] [mount point: \(backupRoot)/\(cloneName)"),
            "\(clones.stdout)")
        #expect(!environment.contents(backupRoot + "/" + cloneName).isEmpty)
        let refused = try await environment.snapper(["orcl", "dropsnap", oldest])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")

        // Never drop what is not ours: a plain file system named like a clone.
        #expect(try Self.zfs(["create", "\(parent)/impostor"]).status == 0)
        let impostor = try await environment.snapper(["orcl", "dropclone", "impostor"])
        #expect(impostor.status == 1, "\(impostor.stdout)\(impostor.stderr)")
        #expect(try Self.zfs(["list", "-H", "-o", "name", "\(parent)/impostor"]).status == 0)
        let volumeAsClone = try await environment.snapper(["orcl", "dropclone", "orcl"])
        #expect(volumeAsClone.status == 1, "\(volumeAsClone.stdout)\(volumeAsClone.stderr)")

        let dropped = try await environment.snapper(["orcl", "dropclone", cloneName])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
        #expect(try Self.zfs(["list", "-H", "-o", "name", "\(parent)/\(cloneName)"]).status != 0)
        let drop = try await environment.snapper(["orcl", "dropsnap", oldest])
        #expect(drop.status == 0, "\(drop.stdout)\(drop.stderr)")
        #expect(try await environment.snapper(["orcl", "list"]).stdout.split(separator: "\n").count == 1)
    }

    /// Backups and a clean autorestore as the unprivileged owner, who reaches zfs through `sudo -n zfs` (the
    /// fixture's sudoers entry), as on a host where `zfs allow` is missing or mounting needs root.
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["OIB_ZFS_SUDO"] == "1",
            "OIB_ZFS_SUDO is not set: install sudo, so that Scripts/fixtures.sh lets nobody run sudo -n zfs"))
    func autorestoreAsTheOwnerThroughSudo() async throws {
        let backupRoot = NSTemporaryDirectory() + "oib-zfs-e2e-\(UUID().uuidString.prefix(8))-backup"
        let parent = "\(zfsDataset!)/e2e-\(UUID().uuidString.prefix(8).lowercased())"
        let environment = try OracleEnvironment(
            driver: "openzfs", backupRoot: backupRoot,
            extraConfig: "\n[openzfs]\ndataset: \(parent)\nzfs: sudo -n zfs\n")
        let created = try Self.zfs(["create", "-p", "-o", "mountpoint=\(backupRoot)", parent])
        #expect(created.status == 0, "\(created.output)")
        defer {
            Self.destroy(parent)
            try? FileManager.default.removeItem(atPath: backupRoot)
        }
        let volume = try await environment.snapper(["orcl", "volume", "create"])
        #expect(volume.status == 0, "\(volume.stdout)\(volume.stderr)")
        // The owner writes the image copy; zfs itself runs as root through sudo.
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        try await BuiltProducts.grantUnprivilegedAccess(to: backupRoot + "/orcl")
        environment.unprivileged = true
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        try environment.isolateFromProduction()
        let snapshots = try Self.zfs(["list", "-H", "-t", "snapshot", "-o", "name", "-r", "\(parent)/orcl"]).output
            .split(separator: "\n").map { String($0.split(separator: "@").last ?? "") }
        #expect(snapshots.count == 2, "\(snapshots)")

        let flows = AutorestoreFlowTests()
        let run = try await flows.autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore successful, elapsed time: "))
        let row = try #require(try await flows.results(environment).first)
        #expect(row.success)
        #expect(row.snapshotID == snapshots.last)
        // The clone is gone: only the area is left under the parent.
        let left = try Self.zfs(["list", "-H", "-r", "-o", "name", parent]).output.split(separator: "\n")
        #expect(left == [Substring(parent), Substring("\(parent)/orcl")], "\(left)")
    }

    /// `snaplockdays` on ZFS: the backup's snapshot is held (`zfs hold oib-lock`) with its expiry in
    /// `oib:lockeduntil`; `snapper list` shows it, `dropsnap` refuses it, `zfs destroy` itself refuses it; a
    /// snapshot whose recorded lock has expired is released and dropped.
    @Test func snaplockdaysHoldsTheBackupSnapshot() async throws {
        let backupRoot = NSTemporaryDirectory() + "oib-zfs-e2e-\(UUID().uuidString.prefix(8))-backup"
        let parent = "\(zfsDataset!)/e2e-\(UUID().uuidString.prefix(8).lowercased())"
        let environment = try OracleEnvironment(
            driver: "openzfs", backupRoot: backupRoot, extraConfig: "\n[openzfs]\ndataset: \(parent)\n",
            databaseExtra: "snaplockdays: 7")
        #expect(try Self.zfs(["create", "-p", "-o", "mountpoint=\(backupRoot)", parent]).status == 0)
        defer {
            Self.destroy(parent)
            try? FileManager.default.removeItem(atPath: backupRoot)
        }
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        let check = try await environment.backup(["checkconfig"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
        let started = Date()
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let name = try #require(
            try Self.zfs(["list", "-H", "-t", "snapshot", "-o", "name", "-r", "\(parent)/orcl"]).output
                .split(separator: "\n").first.map(String.init))
        let snapshot = String(name.split(separator: "@").last!)
        #expect(
            try Self.zfs(["get", "-H", "-p", "-o", "value", "userrefs", name]).output.trimmingCharacters(
                in: .whitespacesAndNewlines) == "1")
        let expiry = try Self.zfs(["get", "-H", "-p", "-o", "value", "oib:lockeduntil", name]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let seconds = try #require(TimeInterval(expiry))
        #expect(abs(seconds - started.addingTimeInterval(7 * 86_400).timeIntervalSince1970) < 600, "\(expiry)")

        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\(snapshot) ") && list.stdout.contains(" locked until "), "\(list.stdout)")
        let drop = try await environment.snapper(["orcl", "dropsnap", snapshot])
        #expect(drop.status == 1, "\(drop.stdout)\(drop.stderr)")
        #expect((drop.stdout + drop.stderr).contains("locked"), "\(drop.stdout)\(drop.stderr)")
        #expect(try Self.zfs(["destroy", name]).status != 0)

        // A snapshot whose recorded lock expired (in 2020): dropsnap releases the hold and drops it.
        let expired = "\(parent)/orcl@orcl-20160102T000000"
        #expect(try Self.zfs(["snapshot", expired]).status == 0)
        #expect(try Self.zfs(["set", "oib:lockeduntil=1577836800", expired]).status == 0)
        #expect(try Self.zfs(["hold", "oib-lock", expired]).status == 0)
        let released = try await environment.snapper(["orcl", "dropsnap", "orcl-20160102T000000"])
        #expect(released.status == 0, "\(released.stdout)\(released.stderr)")
        #expect(try Self.zfs(["list", "-H", "-o", "name", expired]).status != 0)
    }
}
