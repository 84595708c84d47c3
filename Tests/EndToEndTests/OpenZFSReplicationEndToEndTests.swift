import Foundation
import Testing
import ToolSupport

/// Off-site copies on the fixture's real zfs-fuse pool with the built tools, as the unprivileged owner who reaches
/// `zfs` through `sudo -n zfs`: each `imagecopywithsnap` ends with `zfs send | zfs receive` into a second dataset
/// tree (the replica site), `snapper --replica` lists and cleans it with its own rules (never its newest snapshot),
/// and `autorestore --from-replica` restores and verifies a clone made at the replica, nothing on the primary.
@Suite(
    "replication and autorestore --from-replica on OpenZFS (zfs-fuse, built binaries)", .serialized,
    .enabled(
        if: zfsDataset != nil && getuid() == 0 && ProcessInfo.processInfo.environment["OIB_ZFS_SUDO"] == "1",
        "OIB_ZFS_DATASET or OIB_ZFS_SUDO is not set: run Scripts/test.sh as root with sudo installed"))
struct OpenZFSReplicationEndToEndTests {
    /// The names of the file systems at and below `parent`.
    static func datasets(_ parent: String) throws -> [String] {
        try OpenZFSEndToEndTests.zfs(["list", "-H", "-r", "-t", "filesystem", "-o", "name", parent]).output
            .split(separator: "\n").map(String.init)
    }

    /// The snapshot names (after the `@`) of `dataset`, oldest first.
    static func snapshots(_ dataset: String) throws -> [String] {
        try OpenZFSEndToEndTests.zfs(["list", "-H", "-t", "snapshot", "-s", "creation", "-o", "name", "-r", dataset])
            .output.split(separator: "\n").compactMap { $0.split(separator: "@").last.map(String.init) }
    }

    /// The first word of each line of a `snapper list` output (the snapshot names).
    static func names(_ listing: String) -> [String] {
        listing.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// The mount points in /proc/mounts at or below `path`.
    static func mounts(below path: String) -> [String] {
        let table = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = String(fields[1])
            return point == path || point.hasPrefix(path + "/") ? point : nil
        }
    }

    /// Processes whose working directory or an open file lies at or below one of `paths`.
    static func processes(using paths: [String]) -> [String] {
        let files = FileManager.default
        var found: [String] = []
        for pid in (try? files.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            guard pid != String(getpid()) else { continue }
            var targets = [(try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""]
            for fd in (try? files.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                targets.append((try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "")
            }
            if targets.contains(where: { target in paths.contains { target == $0 || target.hasPrefix($0 + "/") } }) {
                let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                found.append("\(pid) \(command.replacingOccurrences(of: "\0", with: " "))")
            }
        }
        return found
    }

    /// The `zfs` commands the pool's history records since `since` (as `zpool history` prints them).
    static func history(of dataset: String, since: Date) throws -> [String] {
        let pool = String(dataset.split(separator: "/").first ?? "")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd.HH:mm:ss"
        let result = try ChildCommand(executable: "zpool", arguments: ["history", pool]).runBlocking()
        return result.outputText.split(separator: "\n").map(String.init).filter { line in
            guard let stamp = line.split(separator: " ").first, let date = formatter.date(from: String(stamp))
            else { return false }
            return date >= since.addingTimeInterval(-1)
        }
    }

    @Test("backups copy to the replica tree; list/clean --replica keep its newest; autorestore --from-replica")
    func backupsReplicateAndRestoreAtTheReplica() async throws {
        let run = UUID().uuidString.prefix(8).lowercased()
        let backupRoot = NSTemporaryDirectory() + "oib-zfs-repl-\(run)-backup"
        let offsiteRoot = NSTemporaryDirectory() + "oib-zfs-repl-\(run)-offsite"
        let parent = "\(zfsDataset!)/e2e-repl-\(run)"
        let offsite = "\(zfsDataset!)/e2e-offsite-\(run)"
        let environment = try OracleEnvironment(
            driver: "openzfs", backupRoot: backupRoot,
            extraConfig: """

                [openzfs]
                dataset: \(parent)
                zfs: sudo -n zfs

                [replication]
                dataset: \(offsite)
                zfs: sudo -n zfs
                snapretention: gfs
                snapkeeplast: 2
                snapkeepverified: FALSE
                """)
        for (name, mountPoint) in [(parent, backupRoot), (offsite, offsiteRoot)] {
            let created = try OpenZFSEndToEndTests.zfs(["create", "-p", "-o", "mountpoint=\(mountPoint)", name])
            #expect(created.status == 0, "\(created.output)")
        }
        defer {
            OpenZFSEndToEndTests.destroy(parent)
            OpenZFSEndToEndTests.destroy(offsite)
            try? FileManager.default.removeItem(atPath: backupRoot)
            try? FileManager.default.removeItem(atPath: offsiteRoot)
        }
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        // The owner writes the image copy and runs every tool; zfs itself runs as root through sudo.
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        try await BuiltProducts.grantUnprivilegedAccess(to: backupRoot + "/orcl")
        environment.unprivileged = true
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let check = try await environment.backup(["checkconfig"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")

        // Three backups, each followed by its copy: the first in full, the others incremental; after each copy the
        // replica's own rules (keep the last two) run, while the primary keeps all three.
        var outputs: [String] = []
        for _ in 0..<3 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
            #expect(backup.stdout.contains("Replicated "), "\(backup.stdout)")
            outputs.append(backup.stdout)
        }
        let primary = try Self.snapshots("\(parent)/orcl")
        #expect(primary.count == 3, "\(primary)")
        #expect(outputs[1].contains("incremental from \(primary[0])"), "\(outputs[1])")
        #expect(outputs[2].contains("incremental from \(primary[1])"), "\(outputs[2])")
        #expect(try Self.snapshots("\(offsite)/orcl") == Array(primary.suffix(2)))
        let listed = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(listed.status == 0, "\(listed.stdout)\(listed.stderr)")
        #expect(Self.names(listed.stdout) == Array(primary.suffix(2)), "\(listed.stdout)")
        #expect(Self.names(try await environment.snapper(["orcl", "list"]).stdout) == primary)

        // A received snapshot keeps the primary's creation time (the replica lists it like the primary does).
        let newest = try #require(primary.last)
        let creation = { (dataset: String) in
            try OpenZFSEndToEndTests.zfs(["get", "-H", "-p", "-o", "value", "creation", "\(dataset)@\(newest)"])
                .output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try creation("\(offsite)/orcl") == creation("\(parent)/orcl"))
        let again = try await environment.snapper(["orcl", "replicate"])
        #expect(again.status == 0 && again.stdout.contains("Replica: in step"), "\(again.stdout)\(again.stderr)")
        let age = try await environment.snapper(["orcl", "checkage", "--replica"])
        #expect(age.status == 0 && age.stdout.hasPrefix("OK: Replica: "), "\(age.stdout)\(age.stderr)")

        // Rules that would expire every snapshot: clean --replica still keeps the newest replicated one (the base
        // of the next incremental copy); the primary is not touched.
        let strict = environment.text(environment.configPath).replacingOccurrences(
            of: "snapretention: gfs\nsnapkeeplast: 2\n", with: "snapexpirationdays: 0\n")
        #expect(strict.contains("snapexpirationdays: 0\nsnapkeepverified: FALSE"))
        try strict.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let dryRun = try await environment.snapper(["orcl", "clean", "--replica", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stdout)\(dryRun.stderr)")
        #expect(try Self.snapshots("\(offsite)/orcl") == Array(primary.suffix(2)), "the dry run dropped a snapshot")
        let clean = try await environment.snapper(["orcl", "clean", "--replica"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(try Self.snapshots("\(offsite)/orcl") == [newest])
        #expect(Self.names(try await environment.snapper(["orcl", "list", "--replica"]).stdout) == [newest])
        #expect(try Self.snapshots("\(parent)/orcl") == primary)
        let cleanAgain = try await environment.snapper(["orcl", "clean", "--replica"])
        #expect(cleanAgain.status == 0, "\(cleanAgain.stdout)\(cleanAgain.stderr)")
        #expect(try Self.snapshots("\(offsite)/orcl") == [newest])

        // autorestore --from-replica: the newest replicated snapshot is cloned at the replica, restored, verified.
        try environment.isolateFromProduction()
        let started = Date()
        let flows = AutorestoreFlowTests()
        let restore = try await flows.autorestore(environment, ["--from-replica", "orcl"])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stdout.contains("Restore successful"), "\(restore.stdout)")
        let row = try #require(try await flows.results(environment).first)
        #expect(row.success)
        #expect(row.snapshotID == newest)
        // The pool's history shows the one clone, of the replica's snapshot, in the replica's tree; none on the
        // primary.
        let clones = try Self.history(of: offsite, since: started).filter { $0.contains(" clone ") }
        #expect(clones.count == 1, "\(clones)")
        #expect(clones.allSatisfy { $0.contains(" \(offsite)/orcl@\(newest) \(offsite)/") }, "\(clones)")
        // Nothing left: no clone, no mount, no process, no instance.
        #expect(try Self.datasets(parent) == [parent, "\(parent)/orcl"])
        #expect(try Self.datasets(offsite) == [offsite, "\(offsite)/orcl"])
        #expect(try Self.snapshots("\(offsite)/orcl") == [newest])
        #expect(Self.mounts(below: offsiteRoot).sorted() == [offsiteRoot, offsiteRoot + "/orcl"])
        #expect(Self.mounts(below: backupRoot).sorted() == [backupRoot, backupRoot + "/orcl"])
        #expect(Self.processes(using: [offsiteRoot, backupRoot, environment.root]).isEmpty)
        #expect(
            environment.contents(environment.root + "/sim-state/instances").filter { $0.hasSuffix(".json") }.isEmpty)
    }
}
