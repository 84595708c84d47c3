import Foundation
import Testing

/// Off-site copies with the built tools on the fixture's btrfs: each `imagecopywithsnap` ends by sending its snapshot
/// to the replica (`[replication]`), `snapper --replica` lists, checks and cleans the replica with its own rules, and
/// every replicated snapshot holds the backup's files.
@Suite(
    "replication after backups on btrfs (built binaries)", .serialized,
    .enabled(
        if: btrfsRoot != nil && getuid() == 0,
        "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root to loop-mount a btrfs (btrfs send needs root)"))
struct ReplicationEndToEndTests {
    @Test("backups replicate incrementally; the replica's own retention keeps its newest; its files are the backup's")
    func backupsReplicate() async throws {
        let run = UUID().uuidString.prefix(8)
        let backupRoot = btrfsRoot! + "/repl-\(run)"
        let offsite = btrfsRoot! + "/offsite-\(run)"
        for directory in [backupRoot, offsite] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let environment = try OracleEnvironment(
            driver: "btrfs", backupRoot: backupRoot,
            extraConfig: """
                [replication]
                root: \(offsite)
                snapretention: gfs
                snapkeeplast: 2
                snapkeepverified: FALSE
                """)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")

        let before = try await environment.snapper(["orcl", "checkage", "--replica"])
        #expect(before.status == 2, "\(before.stdout)\(before.stderr)")
        #expect(before.stdout.hasPrefix("CRITICAL: Replica: "), "\(before.stdout)")

        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
            #expect(backup.stdout.contains("Replicated "), "\(backup.stdout)")
        }
        let primary = environment.contents(backupRoot + "/.snapshots/orcl")
        #expect(primary.count == 2)
        let replica = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(replica.status == 0, "\(replica.stderr)")
        #expect(replica.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) } == primary)

        // A replicated snapshot holds the backup's files as the primary's snapshot does.
        let newest = try #require(primary.last)
        let copied = environment.contents(offsite + "/.snapshots/orcl/\(newest)")
        #expect(!copied.isEmpty)
        #expect(copied == environment.contents(backupRoot + "/.snapshots/orcl/\(newest)"))

        // In step: nothing to send; the age check is OK.
        let again = try await environment.snapper(["orcl", "replicate"])
        #expect(again.status == 0 && again.stdout.contains("Replica: in step"), "\(again.stdout)\(again.stderr)")
        let age = try await environment.snapper(["orcl", "checkage", "--replica"])
        #expect(age.status == 0 && age.stdout.hasPrefix("OK: Replica: "), "\(age.stdout)\(age.stderr)")

        // The next backup continues incrementally; the replica's own rules (keep the last two), applied after each
        // copy, drop its oldest copy, never the newest, while the primary keeps all three.
        try await Task.sleep(for: .milliseconds(1100))
        let third = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(third.stdout.contains("incremental from \(newest)"), "\(third.stdout)")
        let all = environment.contents(backupRoot + "/.snapshots/orcl")
        #expect(all.count == 3)
        let after = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(after.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) } == Array(all.suffix(2)))
        let clean = try await environment.snapper(["orcl", "clean", "--replica"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let kept = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(kept.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }.last == all.last)
    }

    @Test("the database's own retention keeps the newest snapshot the replica holds: the next copy stays incremental")
    func primaryRetentionKeepsTheReplicationBase() async throws {
        let run = UUID().uuidString.prefix(8)
        let backupRoot = btrfsRoot! + "/repl-base-\(run)"
        let offsite = btrfsRoot! + "/offsite-base-\(run)"
        for directory in [backupRoot, offsite] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let environment = try OracleEnvironment(
            driver: "btrfs", backupRoot: backupRoot,
            extraConfig: """
                [replication]
                root: \(offsite)
                snapexpirationdays: 7
                """,
            databaseExtra: """
                snapretention: gfs
                snapkeeplast: 1
                snapkeepverified: FALSE
                """)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(backup.status == 0 && backup.stdout.contains("Replicated "), "\(backup.stdout)\(backup.stderr)")
        let base = try #require(environment.contents(backupRoot + "/.snapshots/orcl").last)

        // Two snapshots the replica does not get (taken by hand); the database keeps only its newest (snapkeeplast
        // 1), but never the base the next off-site copy is sent from.
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(1100))
            let create = try await environment.snapper(["orcl", "create"])
            #expect(create.status == 0, "\(create.stdout)\(create.stderr)")
        }
        let three = environment.contents(backupRoot + "/.snapshots/orcl")
        #expect(three.count == 3 && three.first == base)
        let plan = try await environment.snapper(["orcl", "clean", "--dry-run"])
        #expect(plan.status == 0 && plan.stdout.contains("newest snapshot the off-site copy holds"), "\(plan.stdout)")
        let clean = try await environment.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(environment.contents(backupRoot + "/.snapshots/orcl") == [base, three[2]])

        let drop = try await environment.snapper(["orcl", "dropsnap", base])
        #expect(drop.status != 0 && drop.stderr.contains("replicationenabled: FALSE"), "\(drop.stdout)\(drop.stderr)")
        #expect(environment.contents(backupRoot + "/.snapshots/orcl").first == base)

        let copy = try await environment.snapper(["orcl", "replicate"])
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        #expect(copy.stdout.contains("incremental from \(base)"), "\(copy.stdout)")
    }

    @Test("a replica that cannot be written: the backup succeeds, then WARNING and exit 3")
    func failedCopyIsExit3() async throws {
        let backupRoot = btrfsRoot! + "/repl-fail-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: backupRoot, withIntermediateDirectories: true)
        let environment = try OracleEnvironment(
            driver: "btrfs", backupRoot: backupRoot,
            extraConfig: """
                [replication]
                root: /proc/oib-no-such-replica
                snapexpirationdays: 7
                """)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(backup.status == 3, "\(backup.stdout)\(backup.stderr)")
        #expect(backup.stderr.contains("WARNING: the backup of orcl succeeded, its off-site copy failed"))
        #expect(environment.contents(backupRoot + "/.snapshots/orcl").count == 1)
    }

    @Test("autorestore --from-replica restores and verifies a snapshot cloned at the replica site")
    func autorestoreFromTheReplica() async throws {
        let run = UUID().uuidString.prefix(8)
        let backupRoot = btrfsRoot! + "/repl-ar-\(run)"
        let offsite = btrfsRoot! + "/offsite-ar-\(run)"
        for directory in [backupRoot, offsite] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let environment = try OracleEnvironment(
            driver: "btrfs", backupRoot: backupRoot,
            extraConfig: """
                [replication]
                root: \(offsite)
                snapexpirationdays: 7
                enabled: FALSE
                """)
        // The backups run as the unprivileged owner (as AutorestoreBtrfsTests'), without the copy; `btrfs send`
        // needs root, so the copy is then made by root with `snapper replicate`.
        environment.unprivileged = true
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        try await BuiltProducts.grantUnprivilegedAccess(to: backupRoot)
        try await BuiltProducts.grantUnprivilegedAccess(to: offsite)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.snapper(["orcl", "volume", "create"]).status == 0)
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        }
        try environment.isolateFromProduction()
        let config = environment.text(environment.configPath).replacingOccurrences(
            of: "enabled: FALSE", with: "enabled: TRUE")
        try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let copy = try await BuiltProducts.run("snapper", ["orcl", "replicate"], environment: environment.environment)
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        let replicated = environment.contents(offsite + "/.snapshots/orcl")
        // The first copy is the newest snapshot, in full.
        #expect(replicated.count == 1)
        let flows = AutorestoreFlowTests()
        let restore = try await flows.autorestore(environment, ["--from-replica", "orcl"])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stdout.contains("Restore successful"), "\(restore.stdout)")
        let row = try #require(try await flows.results(environment).first)
        #expect(row.success)
        #expect(row.snapshotID == replicated.last)
        // The clone was made (and dropped) at the replica, not on the primary.
        #expect(environment.contents(backupRoot + "/.clones").isEmpty)
    }
}
