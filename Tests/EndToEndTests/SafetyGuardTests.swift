import Foundation
import Testing
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Destructive actions touch only what is ours (issue 14, part 2): database names never leave the backup area, a
/// missing backup area is not recreated and cleaned, the work directory keeps other jobs' files, and a foreign
/// mount at the clone's mount point is left alone.
@Suite("Safety guards of destructive actions (end to end)", .serialized)
struct SafetyGuardTests {
    // MARK: Database names

    /// A configuration with a database section whose name climbs out of the backup area.
    func environmentWithEscapingSection() async throws -> OracleEnvironment {
        let environment = try OracleEnvironment()
        // Complete, so nothing but its name stops a run.
        let config =
            environment.text(environment.configPath)
            + "\n[../escaped]\ndbid: 42\nrecoverywindow: 2\nparallel: 2\nsnapexpirationdays: 31\n"
        try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        return environment
    }

    @Test("a section [../escaped] is a configuration error of every tool and creates nothing outside the area")
    func escapingSectionNameIsAConfigurationError() async throws {
        let environment = try await environmentWithEscapingSection()
        let escaped = environment.root + "/escaped"
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)

        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 2, "\(config.stdout)\(config.stderr)")
        #expect(config.stderr.contains("[../escaped]"), "\(config.stderr)")
        #expect(config.stderr.contains("not a valid database name"), "\(config.stderr)")

        let check = try await environment.backup(["checkconfig"])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("[../escaped]: '../escaped' is not a valid database name"), "\(check.stderr)")

        let snapper = try await environment.snapper(["orcl", "list"])
        #expect(snapper.status == 2, "\(snapper.stdout)\(snapper.stderr)")
        #expect(snapper.stderr.contains("[../escaped]"), "\(snapper.stderr)")

        var sandbox = environment.environment
        sandbox["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        for arguments in [
            ["--config", environment.configPath], ["--config", environment.configPath, "--createcatalog"],
        ] {
            let autorestore = try await BuiltProducts.runUnprivileged("autorestore", arguments, environment: sandbox)
            #expect(autorestore.status == 2, "\(arguments): \(autorestore.stdout)\(autorestore.stderr)")
            #expect(
                (autorestore.stdout + autorestore.stderr).contains("[../escaped]"),
                "\(autorestore.stdout)\(autorestore.stderr)")
        }

        let restore = try await RestoreCommandTests().restore(environment, ["orcl", "--list-snapshots"])
        #expect(restore.status == 2, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stderr.contains("[../escaped]"), "\(restore.stderr)")

        // Its own name as the argument: refused before a path is built from it.
        let direct = try await environment.backup(["../escaped", "config"])
        #expect(direct.status == 2, "\(direct.stdout)\(direct.stderr)")
        #expect(!FileManager.default.fileExists(atPath: escaped), "a directory was created outside the backup area")
        #expect(!FileManager.default.fileExists(atPath: environment.backupRoot + "/../escaped"))
    }

    @Test("a database argument like ../escaped is a usage error naming the argument, in every tool")
    func escapingDatabaseArgumentIsAUsageError() async throws {
        let environment = try await environmentWithEscapingSection()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let message = "database argument '../escaped' is not a valid database name"
        let backup = try await environment.backup(["../escaped", "config"])
        #expect(backup.status == 2)
        #expect(backup.stderr.contains(message), "\(backup.stderr)")
        let snapper = try await environment.snapper(["../escaped", "list"])
        #expect(snapper.status == 2)
        #expect(snapper.stderr.contains(message), "\(snapper.stderr)")
        var sandbox = environment.environment
        sandbox["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        for selector in ["../escaped", "!../escaped"] {
            let autorestore = try await BuiltProducts.runUnprivileged(
                "autorestore", ["--config", environment.configPath, selector], environment: sandbox)
            #expect(autorestore.status == 2)
            #expect(autorestore.stderr.contains(message), "\(autorestore.stdout)\(autorestore.stderr)")
        }
        let restore = try await RestoreCommandTests().restore(environment, ["../escaped", "--list-snapshots"])
        #expect(restore.status == 2)
        #expect(restore.stderr.contains(message), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: environment.root + "/escaped"))
    }

    // MARK: Missing backup area with requiremount: FALSE

    @Test("requiremount FALSE: a missing backup area is refused, not recreated empty and cleaned")
    func missingBackupAreaIsRefusedWithoutRequireMount() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "3", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        let before = environment.contents(snapshots)
        #expect(before.count >= 2)
        // The area goes missing (an NFS share that is not mounted leaves no directory behind here).
        try FileManager.default.moveItem(atPath: environment.backupArea, toPath: environment.root + "/area.away")

        for action in ["imagecopywithsnap", "backupimagecopy", "missingarchlog", "report"] {
            let run = try await environment.backup(["orcl", action])
            #expect(run.status == 2, "\(action): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("backupdest"), "\(action): \(run.stderr)")
            #expect(run.stderr.contains(environment.backupArea), "\(action): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: environment.backupArea), "\(action) created the area")
        }
        #expect(environment.contents(snapshots) == before, "no snapshot may be taken or deleted")
        // A dry run writes nothing, so it still shows what would run, and creates nothing.
        let dryRun = try await environment.backup(["--dry-run", "orcl", "imagecopywithsnap"])
        #expect(dryRun.status == 0, "\(dryRun.stdout)\(dryRun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: environment.backupArea), "the dry run created the area")
        #expect(environment.contents(snapshots) == before)

        // `config` sets a database up and creates its area.
        let setUp = try await environment.backup(["orcl", "config"])
        #expect(setUp.status == 0, "\(setUp.stdout)\(setUp.stderr)")
        #expect(FileManager.default.fileExists(atPath: environment.backupArea + "/archivelog"))
    }

    // MARK: Work directory

    @Test("files of other jobs in the marked work directory survive a successful and a failed autorestore")
    func foreignFilesInTheWorkDirectorySurvive() async throws {
        let flows = AutorestoreFlowTests()
        let environment = try await flows.backedUp()
        let destination = environment.root + "/autorestore/dest"
        // Marked by an earlier autorestore; another job keeps a file and a directory there.
        try "marker\n".write(toFile: destination + "/.oib-autorestore-workdir", atomically: true, encoding: .utf8)
        try "other job\n".write(toFile: destination + "/other-job.dat", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: destination + "/other-job", withIntermediateDirectories: true)
        try "nested\n".write(toFile: destination + "/other-job/state", atomically: true, encoding: .utf8)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)

        let passed = try await flows.autorestore(environment)
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        #expect(environment.text(destination + "/other-job.dat") == "other job\n")
        #expect(environment.text(destination + "/other-job/state") == "nested\n")
        // The run's own work files are gone (the clean-up removes what the manifest lists), the others' stay.
        #expect(!environment.contents(destination).contains("init.ora"))

        // A failed run (an archived log is missing from the newest snapshot) keeps them too.
        let logs = AutorestoreFlowTests.newestSnapshot(environment) + "/archivelog"
        let newest = try #require(environment.contents(logs).last)
        try FileManager.default.removeItem(atPath: logs + "/" + newest)
        let failed = try await flows.autorestore(environment)
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("Restore failed (missing-archivelog)"), "\(failed.stdout)")
        #expect(environment.text(destination + "/other-job.dat") == "other job\n")
        #expect(environment.text(destination + "/other-job/state") == "nested\n")
    }

    @Test("a world-writable autorestoredestination is refused by name")
    func sharedWorkDirectoryIsRefused() async throws {
        let flows = AutorestoreFlowTests()
        let environment = try await flows.backedUp(cycles: 2)
        let destination = environment.root + "/autorestore/dest"
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: destination)
        try "someone else's\n".write(toFile: destination + "/theirs.txt", atomically: true, encoding: .utf8)
        try "marker\n".write(toFile: destination + "/.oib-autorestore-workdir", atomically: true, encoding: .utf8)
        let run = try await flows.autorestore(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore failed (unsafe-destination)"), "\(run.stdout)")
        #expect(run.stdout.contains("autorestoredestination \(destination)"), "\(run.stdout)")
        #expect(run.stdout.contains("sticky"), "\(run.stdout)")
        #expect(environment.text(destination + "/theirs.txt") == "someone else's\n")
    }

    // MARK: Mount point

    /// True when another filesystem is mounted at `path` (its device differs from its parent's).
    static func isMounted(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        return stat(path, &own) == 0 && stat(path + "/..", &parent) == 0 && own.st_dev != parent.st_dev
    }

    /// Runs a system program to its end; its exit status.
    static func system(_ program: String, _ arguments: [String]) throws -> Int32 {
        try ChildCommand(executable: program, arguments: arguments).runBlocking().exitStatus
    }

    @Test(
        "a foreign mount at autorestoremountpoint is refused by name and stays mounted",
        .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func foreignMountAtTheMountPointIsLeftAlone() async throws {
        let setup = try await ApplianceAutorestoreTests().backedUp(.zfssa)
        let mountPoint = setup.mountPoint
        try #require(
            try Self.system("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "oib-foreign-tmpfs", mountPoint])
                == 0,
            "cannot mount a tmpfs at \(mountPoint)")
        defer {
            while Self.isMounted(mountPoint), (try? Self.system("/bin/umount", [mountPoint])) == 0 {}
        }
        try "foreign\n".write(toFile: mountPoint + "/theirs.txt", atomically: true, encoding: .utf8)

        let run = try await ApplianceAutorestoreTests().autorestore(setup)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore failed (unsafe-destination)"), "\(run.stdout)")
        #expect(run.stdout.contains("autorestoremountpoint \(mountPoint)"), "\(run.stdout)")
        #expect(run.stdout.contains("oib-foreign-tmpfs (tmpfs) is mounted there"), "\(run.stdout)")
        #expect(Self.isMounted(mountPoint), "the foreign mount was unmounted")
        #expect(setup.environment.text(mountPoint + "/theirs.txt") == "foreign\n")
        // Nothing was cloned.
        #expect(!FileManager.default.fileExists(atPath: setup.cloneDirectory))

        // restore --mount-dir never mounts a clone over it either.
        let restore = try await RestoreCommandTests().restore(
            setup.environment,
            ["orcl", "--target-time", "2016-11-08 21:00:00", "--sid", "pit1", "--mount-dir", mountPoint, "--yes"])
        #expect(restore.status == 2, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stderr.contains("--mount-dir \(mountPoint)"), "\(restore.stderr)")
        #expect(restore.stderr.contains("oib-foreign-tmpfs (tmpfs) is mounted there"), "\(restore.stderr)")
        #expect(Self.isMounted(mountPoint))
        let clones = try await BuiltProducts.run(
            "snapper", ["--config", setup.environment.configPath, "orcl", "listclones"])
        #expect(!clones.stdout.contains("restore_orcl_"), "\(clones.stdout)")
    }
}
