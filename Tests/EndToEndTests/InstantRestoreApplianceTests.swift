import Foundation
import Testing

/// `restore --instant` with the built tools on simulated NFS appliances (file-backed ZFSSA and ONTAP storage-sim over
/// HTTPS): the clone is made through the REST API and reached through the simulated NFS mount (`mountcommand` /
/// `umountcommand` with `--yes`); the snapshot is held (ZFSSA's retention, released after the drop) or locked for 30
/// days (ONTAP, kept until it expires) while the database runs from the clone. Also a failure during recovery: what
/// the DBA sees, what is left, and what a rerun does.
@Suite("restore --instant on simulated appliances (ZFSSA, ONTAP storage-sim)", .serialized)
struct InstantRestoreApplianceTests {
    /// A backed-up ZFSSA set-up with an empty primary storage directory and a mount directory for the clone.
    func prepared(_ vendor: ApplianceAutorestoreTests.Vendor = .zfssa) async throws -> (
        ApplianceAutorestoreTests.Setup, primary: String, mount: String
    ) {
        let setup = try await ApplianceAutorestoreTests().backedUp(vendor)
        let primary = setup.environment.root + "/primary"
        let mount = setup.environment.root + "/instantmount"
        for directory in [primary, mount] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try await BuiltProducts.grantUnprivilegedAccess(to: setup.environment.root)
        return (setup, primary, mount)
    }

    /// The arguments of an unattended instant restore of the newest snapshot to one minute before its time.
    func arguments(_ setup: ApplianceAutorestoreTests.Setup, primary: String, mount: String) throws -> [String] {
        let newest = try #require(setup.snapshots.last)
        let contract = setup.environment.text(setup.snapshotsDirectory + "/" + newest + "/autorestore.cfg")
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
            "--snapshot", newest, "--mount-dir", mount, "--yes",
        ]
    }

    /// Whether the appliance retains (holds) `snapshot`, as `snapper --json list` reports it.
    func isHeld(_ setup: ApplianceAutorestoreTests.Setup, _ snapshot: String) async throws -> Bool {
        let listed = try await setup.environment.snapper(["--json", "orcl", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let entries = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.stdout)")
        let entry = try #require(entries.first { $0["id"] as? String == snapshot }, "\(listed.stdout)")
        return entry["locked"] as? Bool ?? false
    }

    /// The clones the appliance lists for the database.
    func clones(_ setup: ApplianceAutorestoreTests.Setup) async throws -> [String] {
        let listed = try await setup.environment.snapper(["orcl", "listclones"])
        #expect(listed.status == 0, "\(listed.stderr)")
        return listed.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix("restore_orcl_") }
    }

    /// The instance records oracle-sim keeps for started instances.
    func instances(_ setup: ApplianceAutorestoreTests.Setup) -> [String] {
        setup.environment.contents(setup.environment.root + "/sim-state/instances").filter { $0.hasSuffix(".json") }
    }

    func state(_ primary: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: primary + "/oib_instant_orcl/instant-restore.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Whether `path` is the simulated NFS mount (a symbolic link to the export), not the plain directory.
    func isMounted(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    @Test("opens READ WRITE from the appliance's clone, moves every datafile, drops the clone, releases the hold")
    func opensOnTheCloneMovesEverythingAndReleasesTheHold() async throws {
        let (setup, primary, mount) = try await prepared()
        let environment = setup.environment
        let tests = InstantRestoreTests()
        let newest = try #require(setup.snapshots.last)
        #expect(try await !isHeld(setup, newest))
        // The third move fails once: the run stops with the database open on the clone, as a DBA would find it.
        try await environment.sim([
            "inject", "fail", "--statement", "_fno-3_", "--tool", "sqlplus", "--times", "1", "--error",
            "ORA-03113: end-of-file on communication channel",
        ])
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let arguments = try arguments(setup, primary: primary, mount: mount)
        let first = try await tests.restore(environment, arguments)
        let firstOutput = first.stdout + first.stderr
        #expect(first.status == 1, "\(firstOutput)")
        #expect(
            firstOutput.containsInOrder([
                "Snapshot \(newest) is held until the instant restore finishes",
                "is open READ WRITE on the clone as instance inst1", "Moved datafile 1 ", "Moved datafile 2 ",
                "moving datafile 3 to \(primary)/undotbs1_3.dbf failed: ORA-03113",
                "the database is open and keeps running from the clone",
            ]), "\(firstOutput)")
        // Meanwhile: the instance runs from the appliance's clone, mounted; the snapshot is held on the appliance.
        let clone = try #require(try await clones(setup).first)
        #expect(try await clones(setup) == [clone])
        #expect(isMounted(mount))
        let exports = (setup.cloneDirectory as NSString).deletingLastPathComponent
        #expect(FileManager.default.fileExists(atPath: exports + "/" + clone))
        #expect(try await isHeld(setup, newest))
        #expect(try state(primary)["snapshotLock"] as? String == "hold")
        #expect(instances(setup) == ["inst1.json"])
        let running = try await tests.datafileNames(environment, primary: primary)
        #expect(running.filter { $0.hasPrefix(mount + "/") }.count == 2, "\(running)")

        let second = try await tests.restore(environment, arguments + ["--resume"])
        let secondOutput = second.stdout + second.stderr
        #expect(second.status == 0, "\(secondOutput)")
        #expect(
            secondOutput.containsInOrder([
                "Continuing the instant restore of orcl", "Moving datafile 3 (1 of 2", "Moving datafile 4 (2 of 2",
                "Every datafile is on \(primary)", "Dropped clone \(clone)", "Released the hold on snapshot \(newest)",
                "Instant restore complete",
            ]), "\(secondOutput)")
        #expect(!secondOutput.contains("Moving datafile 1 "), "datafile 1 was moved twice: \(secondOutput)")
        // The database runs READ WRITE with every datafile on the primary storage.
        let instance = try await environment.sim(["inspect", "--instance", "inst1"]).stdout
        #expect(instance.contains("\"OPEN\""), "\(instance)")
        let names = try await tests.datafileNames(environment, primary: primary)
        #expect(names.count == 4)
        #expect(names.allSatisfy { $0.hasPrefix(primary + "/") }, "\(names)")
        for name in names { #expect(FileManager.default.fileExists(atPath: name), "\(name)") }
        // The clone is gone from the appliance, unmounted; the hold is released; the state says complete.
        #expect(try await clones(setup).isEmpty)
        #expect(!isMounted(mount))
        #expect(environment.contents(mount).isEmpty)
        #expect(try await !isHeld(setup, newest))
        #expect(try state(primary)["phase"] as? String == "complete")
        let again = try await tests.restore(environment, arguments)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("finished earlier: nothing is left to do"), "\(again.stdout)")
    }

    @Test("on ONTAP: the clone volume via REST, every datafile moved, the clone dropped; the 30-day lock stays")
    func ontapMovesEverythingAndKeepsItsExpiringLock() async throws {
        let (setup, primary, mount) = try await prepared(.ontap)
        let environment = setup.environment
        let tests = InstantRestoreTests()
        let newest = try #require(setup.snapshots.last)
        let run = try await tests.restore(environment, try arguments(setup, primary: primary, mount: mount))
        let output = run.stdout + run.stderr
        #expect(run.status == 0, "\(output)")
        #expect(
            output.containsInOrder([
                "Snapshot \(newest) is locked until ", "is open READ WRITE on the clone as instance inst1",
                "Moving datafile 1 (1 of 4", "Moving datafile 4 (4 of 4", "Every datafile is on \(primary)",
                "Dropped clone restore_orcl_", "Instant restore complete",
            ]), "\(output)")
        #expect(!output.contains("Released the hold"), "\(output)")
        let names = try await tests.datafileNames(environment, primary: primary)
        #expect(names.count == 4 && names.allSatisfy { $0.hasPrefix(primary + "/") }, "\(names)")
        #expect(try await clones(setup).isEmpty)
        #expect(!isMounted(mount) && environment.contents(mount).isEmpty)
        // A lock with an expiry is not released: it stays until it expires (the runbook says so).
        #expect(try await isHeld(setup, newest))
        #expect((try state(primary)["snapshotLock"] as? String)?.hasPrefix("locked until ") == true)
        #expect(try state(primary)["phase"] as? String == "complete")
    }

    @Test("recovery fails: exit 1, the instance aborted, the clone dropped, the hold released; a rerun starts afresh")
    func recoveryFailureLeavesNothingAndARerunStartsAgain() async throws {
        let (setup, primary, mount) = try await prepared()
        let environment = setup.environment
        let tests = InstantRestoreTests()
        let newest = try #require(setup.snapshots.last)
        try await environment.sim([
            "inject", "fail", "--statement", "recover database", "--tool", "rman", "--times", "1", "--error",
            "RMAN-03002: failure of recover command; ORA-00283: recovery session canceled due to errors",
        ])
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let arguments = try arguments(setup, primary: primary, mount: mount)
        let failed = try await tests.restore(environment, arguments)
        let output = failed.stdout + failed.stderr
        #expect(failed.status == 1, "\(output)")
        #expect(
            output.containsInOrder([
                "Snapshot \(newest) is held until the instant restore finishes",
                "Instant restore failed before the database opened", "ORA-00283",
                "Released the hold on snapshot \(newest)", "Instant restore failed; the database was not opened",
                "Nothing was left behind",
            ]), "\(output)")
        #expect(!output.contains("open READ WRITE"), "\(output)")
        // Nothing is left: no instance, no clone, no mount, no hold, no work area.
        #expect(instances(setup).isEmpty, "\(instances(setup))")
        #expect(try await clones(setup).isEmpty)
        #expect(!isMounted(mount) && environment.contents(mount).isEmpty)
        #expect(try await !isHeld(setup, newest))
        #expect(!FileManager.default.fileExists(atPath: primary + "/oib_instant_orcl"))
        #expect(environment.contents(primary).isEmpty, "\(environment.contents(primary))")
        // Nothing to resume; the same command starts again and succeeds (the fault fired once).
        let resume = try await tests.restore(environment, arguments + ["--resume"])
        #expect(resume.status == 1, "\(resume.stdout)\(resume.stderr)")
        #expect(resume.stderr.contains("No instant restore of orcl to resume"), "\(resume.stderr)")
        let rerun = try await tests.restore(environment, arguments)
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect((rerun.stdout + rerun.stderr).contains("Instant restore complete"), "\(rerun.stdout)")
        #expect(try await clones(setup).isEmpty)
        #expect(try await !isHeld(setup, newest))
    }

    @Test("recovery fails and the instance cannot be aborted: the clone, its mount and the hold stay; steps printed")
    func anInstanceThatCannotBeAbortedKeepsItsClone() async throws {
        let (setup, primary, mount) = try await prepared()
        let environment = setup.environment
        let tests = InstantRestoreTests()
        let newest = try #require(setup.snapshots.last)
        try await environment.sim([
            "inject", "fail", "--statement", "recover database", "--tool", "rman", "--times", "1", "--error",
            "RMAN-03002: failure of recover command; ORA-00283: recovery session canceled due to errors",
        ])
        // The instance does not go away: its `shutdown abort` hangs until SQL*Plus's time limit kills it.
        try await environment.sim([
            "inject", "hang", "--statement", "shutdown abort", "--tool", "sqlplus", "--times", "1", "--seconds", "600",
        ])
        let configured = environment.text(environment.configPath)
        try configured.replacingOccurrences(
            of: "requiremount: FALSE\n", with: "requiremount: FALSE\ntimeoutsqlplus: 15\n"
        )
        .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        #expect(environment.text(environment.configPath).contains("timeoutsqlplus: 15"))
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let arguments = try arguments(setup, primary: primary, mount: mount)
        let failed = try await tests.restore(environment, arguments)
        let output = failed.stdout + failed.stderr
        #expect(failed.status == 1, "\(output)")
        #expect(output.contains("Instant restore failed; the database was not opened"), "\(output)")
        #expect(output.contains("Aborting instance inst1 failed"), "\(output)")
        #expect(output.contains("it may still use the clone, so clone restore_orcl_"), "\(output)")
        #expect(!output.contains("Nothing was left behind"), "\(output)")
        // The instance may still use the clone's files: the clone, its mount, the hold and the work area stay.
        #expect(instances(setup) == ["inst1.json"])
        let clone = try #require(try await clones(setup).first)
        #expect(isMounted(mount))
        #expect(try await isHeld(setup, newest))
        #expect(try state(primary)["phase"] as? String == "restoring")
        #expect(
            output.containsInOrder([
                "Next steps:", "1. Shut down instance inst1 if it runs (shutdown abort)",
                "2. Unmount the clone: umount \(mount)", "3. Drop clone: snapper <database> dropclone \(clone)",
                "4. Remove \(primary)/oib_instant_orcl",
            ]), "\(output)")
        // The same command (with or without --resume) does not continue; it repeats the steps.
        let rerun = try await tests.restore(environment, arguments)
        let rerunOutput = rerun.stdout + rerun.stderr
        #expect(rerun.status == 1, "\(rerunOutput)")
        #expect(rerunOutput.contains("stopped before the database opened; it cannot be continued"), "\(rerunOutput)")
        #expect(rerunOutput.contains("dropclone \(clone)"), "\(rerunOutput)")
        #expect(try await clones(setup) == [clone])
        #expect(try await isHeld(setup, newest))

        // The DBA follows the steps; then the same command starts afresh, completes and releases the hold.
        let abort = try await BuiltProducts.runCommand(
            environment.oracleHome + "/bin/sqlplus", ["-S", "/nolog"],
            environment: environment.environment.merging(
                ["ORACLE_SID": "inst1", "ORACLE_HOME": environment.oracleHome]) { $1 },
            input: "conn / as sysdba\nshutdown abort\nexit\n")
        #expect(abort.status == 0, "\(abort.stdout)\(abort.stderr)")
        #expect(instances(setup).isEmpty, "\(abort.stdout)\(abort.stderr)")
        let unmounted = try await BuiltProducts.runUnprivileged(
            "storage-sim", ["umount", "--data-root", setup.dataRoot, mount])
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        let dropped = try await environment.snapper(["orcl", "dropclone", clone])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
        try FileManager.default.removeItem(atPath: primary + "/oib_instant_orcl")
        let again = try await tests.restore(environment, arguments)
        let againOutput = again.stdout + again.stderr
        #expect(again.status == 0, "\(againOutput)")
        #expect(
            againOutput.containsInOrder([
                "is open READ WRITE on the clone as instance inst1", "Dropped clone restore_orcl_",
                "Released the hold on snapshot \(newest)", "Instant restore complete",
            ]), "\(againOutput)")
        #expect(try await clones(setup).isEmpty)
        #expect(try await !isHeld(setup, newest))
    }
}
