import Foundation
import Testing

/// The built `restore --instant` after real backups on oracle-sim + localfs: the database opens READ WRITE on the
/// clone, every datafile moves online to the primary storage, the clone is dropped; an interrupted run continues
/// without moving a file twice; 11g and a destination in the backup area are refused.
@Suite("restore --instant end to end (oracle-sim + localfs)", .serialized)
struct InstantRestoreTests {
    func restore(_ environment: OracleEnvironment, _ arguments: [String]) async throws -> BuiltProducts.Result {
        try await BuiltProducts.runUnprivileged(
            "restore", ["--config", environment.configPath] + arguments,
            environment: environment.environment.merging(["HOME": environment.root]) { $1 })
    }

    /// A backed-up environment with an empty primary storage directory.
    func prepared(version: String? = nil) async throws -> (OracleEnvironment, String) {
        let environment = try await AutorestoreFlowTests().backedUp(version: version)
        let primary = environment.root + "/primary"
        try FileManager.default.createDirectory(atPath: primary, withIntermediateDirectories: true)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        return (environment, primary)
    }

    /// The arguments of an unattended instant restore of the newest snapshot to one minute before its time.
    func instantArguments(_ environment: OracleEnvironment, primary: String) throws -> [String] {
        let snapshot = AutorestoreFlowTests.newestSnapshot(environment)
        let contract = try String(contentsOfFile: snapshot + "/autorestore.cfg", encoding: .utf8)
        let lastTime = try #require(contract.split(separator: "\n").first { $0.hasPrefix("lasttime: ") })
            .dropFirst("lasttime: ".count)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let target = formatter.string(
            from: try #require(formatter.date(from: String(lastTime))).addingTimeInterval(-60))
        return [
            "orcl", "--instant", "--move-to", primary, "--target-time", target, "--utc", "--sid", "inst1",
            "--snapshot", (snapshot as NSString).lastPathComponent, "--yes",
        ]
    }

    /// The datafile names the running instance's controlfile records.
    func datafileNames(_ environment: OracleEnvironment, primary: String) async throws -> [String] {
        let inspected = try await environment.sim([
            "inspect", "--controlfile", primary + "/oib_instant_orcl/control01.ctl",
        ]).stdout
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any], "\(inspected)")
        let files = try #require(json["datafiles"] as? [[String: Any]], "\(inspected)")
        return files.compactMap { $0["path"] as? String }
    }

    func clones(_ environment: OracleEnvironment) -> [String] {
        environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }
    }

    func state(_ primary: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: primary + "/oib_instant_orcl/instant-restore.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func opensReadWriteOnTheCloneMovesEveryFileAndDropsTheClone() async throws {
        let (environment, primary) = try await prepared()
        let run = try await restore(environment, try instantArguments(environment, primary: primary))
        let output = run.stdout + run.stderr
        #expect(run.status == 0, "\(output)")
        #expect(
            output.containsInOrder([
                "is open READ WRITE on the clone as instance inst1", "Moving datafile 1 (1 of 4", "Moved datafile 1",
                "Moving datafile 4 (4 of 4", "Every datafile is on \(primary)", "Dropped clone restore_orcl_",
                "Instant restore complete",
            ]), "\(output)")
        // The instance runs READ WRITE, every datafile on the primary storage, the clone is gone.
        let instance = try await environment.sim(["inspect", "--instance", "inst1"]).stdout
        #expect(instance.contains("\"OPEN\""), "\(instance)")
        let names = try await datafileNames(environment, primary: primary)
        #expect(names.count == 4)
        #expect(names.allSatisfy { $0.hasPrefix(primary + "/") && !$0.contains("/.clones/") }, "\(names)")
        for name in names { #expect(FileManager.default.fileExists(atPath: name), "\(name)") }
        #expect(clones(environment).isEmpty, "the clone was not dropped: \(clones(environment))")
        #expect(try state(primary)["phase"] as? String == "complete")
        // Once more: nothing is left to do.
        let again = try await restore(environment, try instantArguments(environment, primary: primary))
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("finished earlier: nothing is left to do"), "\(again.stdout)")
    }

    @Test func anInterruptedRunResumesWithoutMovingAFileTwice() async throws {
        let (environment, primary) = try await prepared()
        // The second move fails (the first has completed): the run stops with the database open on the clone.
        try await environment.sim([
            "inject", "fail", "--statement", "_fno-2_", "--tool", "sqlplus", "--times", "1", "--error",
            "ORA-03113: end-of-file on communication channel",
        ])
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let arguments = try instantArguments(environment, primary: primary)
        let first = try await restore(environment, arguments)
        let firstOutput = first.stdout + first.stderr
        #expect(first.status == 1, "\(firstOutput)")
        #expect(firstOutput.contains("Moved datafile 1 "), "\(firstOutput)")
        #expect(
            firstOutput.contains("moving datafile 2 to \(primary)/sysaux_2.dbf failed: ORA-03113"), "\(firstOutput)")
        #expect(firstOutput.contains("the database is open and keeps running from the clone"), "\(firstOutput)")
        #expect(clones(environment).count == 1)
        let recorded = try #require(try state(primary)["files"] as? [[String: Any]])
        #expect(recorded.filter { $0["movedAt"] != nil }.compactMap { $0["fileNumber"] as? Int } == [1])

        // Meanwhile the instance's recovery area is pointed into the clone: the moves finish, the clone is kept.
        let clone = environment.backupRoot + "/.clones/" + (try #require(clones(environment).first))
        try setInstanceParameter(environment, "db_recovery_file_dest", clone)
        let second = try await restore(environment, arguments + ["--resume"])
        let secondOutput = second.stdout + second.stderr
        #expect(second.status == 0, "\(secondOutput)")
        #expect(secondOutput.contains("Continuing the instant restore of orcl"), "\(secondOutput)")
        #expect(!secondOutput.contains("Moving datafile 1 "), "datafile 1 was moved twice: \(secondOutput)")
        #expect(
            secondOutput.containsInOrder([
                "Moving datafile 2 (1 of 3", "Moving datafile 4 (3 of 3", "Keeping clone",
                "parameter db recovery file dest \(clone)",
            ]), "\(secondOutput)")
        #expect(clones(environment).count == 1, "a clone still in use was dropped")
        #expect(try state(primary)["phase"] as? String == "moved")
        let names = try await datafileNames(environment, primary: primary)
        #expect(names.allSatisfy { $0.hasPrefix(primary + "/") }, "\(names)")

        // Pointed back to the primary storage, the same command drops it, moving nothing.
        try setInstanceParameter(environment, "db_recovery_file_dest", primary)
        let third = try await restore(environment, arguments)
        let thirdOutput = third.stdout + third.stderr
        #expect(third.status == 0, "\(thirdOutput)")
        #expect(!thirdOutput.contains("Moving datafile"), "\(thirdOutput)")
        #expect(thirdOutput.contains("Dropped clone restore_orcl_"), "\(thirdOutput)")
        #expect(clones(environment).isEmpty)
    }

    /// Changes a parameter of the running restore instance `inst1` as `alter system set … scope=memory` would.
    func setInstanceParameter(_ environment: OracleEnvironment, _ name: String, _ value: String) throws {
        let path = environment.root + "/sim-state/instances/inst1.json"
        var record = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var parameters = try #require(record["parameters"] as? [String: String])
        parameters[name] = value
        record["parameters"] = parameters
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: path))
    }

    @Test func refusesEleventhGenerationAndDestinationsInTheBackupArea() async throws {
        let (environment, primary) = try await prepared(version: "11.2.0.4.0")
        let inBackupArea = environment.backupArea + "/primary"
        try FileManager.default.createDirectory(atPath: inBackupArea, withIntermediateDirectories: true)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        var arguments = try instantArguments(environment, primary: inBackupArea)
        let refused = try await restore(environment, arguments)
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("is inside the backup area"), "\(refused.stderr)")
        #expect(clones(environment).isEmpty)
        let noTarget = try await restore(environment, ["orcl", "--instant", "--yes"])
        #expect(noTarget.status == 2)
        #expect(noTarget.stderr.contains("--instant needs --move-to"), "\(noTarget.stderr)")
        let nothingToResume = try await restore(environment, ["orcl", "--instant", "--move-to", primary, "--resume"])
        #expect(nothingToResume.status == 1)
        #expect(nothingToResume.stderr.contains("No instant restore of orcl to resume"), "\(nothingToResume.stderr)")

        // 11g: refused once the snapshot's compatible is read, before any instance starts; nothing is left.
        arguments = try instantArguments(environment, primary: primary)
        let old = try await restore(environment, arguments)
        let output = old.stdout + old.stderr
        #expect(old.status == 1, "\(output)")
        #expect(output.contains("needs Oracle Database 12.1 or later"), "\(output)")
        #expect(output.contains("compatible=11.2.0.4.0"), "\(output)")
        #expect(clones(environment).isEmpty, "the clone was left: \(clones(environment))")
        #expect(!FileManager.default.fileExists(atPath: primary + "/oib_instant_orcl"), "the work area was left")
        #expect(
            environment.contents(environment.root + "/sim-state/instances").filter { $0.hasSuffix(".json") }.isEmpty)
    }
}

/// `restore --instant` on btrfs as the unprivileged owner: the clone is a subvolume, the datafiles move out of it to
/// a directory elsewhere, and the owner drops the subvolume.
@Suite(
    "restore --instant on btrfs, as the unprivileged owner", .serialized,
    .enabled(
        if: btrfsRoot != nil && getuid() == 0,
        "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root to loop-mount a btrfs"))
struct InstantRestoreBtrfsTests {
    @Test func movesEveryFileOffTheSubvolumeAndDropsIt() async throws {
        let environment = try await AutorestoreBtrfsTests().backedUpOnBtrfs()
        defer { try? FileManager.default.removeItem(atPath: environment.backupRoot) }
        let primary = environment.root + "/primary"
        try FileManager.default.createDirectory(atPath: primary, withIntermediateDirectories: true)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let tests = InstantRestoreTests()
        let run = try await tests.restore(environment, try tests.instantArguments(environment, primary: primary))
        let output = run.stdout + run.stderr
        #expect(run.status == 0, "\(output)")
        #expect(
            output.containsInOrder([
                "is open READ WRITE on the clone", "Moving datafile 1 (1 of 4", "Dropped clone restore_orcl_",
            ]), "\(output)")
        let names = try await tests.datafileNames(environment, primary: primary)
        #expect(names.count == 4 && names.allSatisfy { $0.hasPrefix(primary + "/") }, "\(names)")
        #expect(tests.clones(environment).isEmpty, "the clone subvolume is left")
    }
}
