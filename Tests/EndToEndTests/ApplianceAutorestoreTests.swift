import AutorestoreEngine
import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// Real `backup` cycles against a file-backed storage-sim (ZFSSA, ONTAP) over HTTPS, then the built `autorestore`
/// (unprivileged when the tests run as root) mounting the clone with `storage-sim mount` through `${mountstring}`.
@Suite("autorestore end to end on file-backed storage-sim (ZFSSA, ONTAP)", .serialized)
struct ApplianceAutorestoreTests {
    /// One appliance setup: the simulator, the Oracle scratch installation and where the snapshots' files live.
    struct Setup {
        var simulator: StorageSimulatorProcess
        var environment: OracleEnvironment
        var dataRoot: String
        /// Directory holding one sub-directory per snapshot of the database's share/volume.
        var snapshotsDirectory: String
        /// The clone's directory on the simulator while it exists.
        var cloneDirectory: String
        var mountPoint: String { environment.root + "/autorestore/mnt" }

        /// Snapshot names in creation order (the names embed a sortable timestamp).
        var snapshots: [String] { environment.contents(snapshotsDirectory) }
    }

    enum Vendor { case zfssa, ontap }

    /// Starts storage-sim, configures the database on it and takes `cycles` backups with workload between them.
    /// `tls: false` serves plain HTTP; `storageExtra` adds lines to the storage section, `databaseExtra` to `[orcl]`.
    func backedUp(
        _ vendor: Vendor, cycles: Int = 2, tls: Bool = true, password: String = "secret", storageExtra: String = "",
        databaseExtra: String = "", zfssaSeed: String = #"{"shares": [{"name": "orcl"}]}"#,
        zfssaSimulatorOptions: [String] = [], afterBackups: ((Setup) async throws -> Void)? = nil
    ) async throws -> Setup {
        let simulator: StorageSimulatorProcess
        let storageSection: String
        let credentials: (file: String, text: String)
        let backupRoot: String
        let snapshotsDirectory: String
        let cloneDirectory: String
        switch vendor {
        case .zfssa:
            simulator = try StorageSimulatorProcess(
                vendor: "zfssa", seed: zfssaSeed, extra: ["--project", "pool1/demo-backup"] + zfssaSimulatorOptions,
                fileBacked: true, tls: tls, password: password)
            let root = try #require(simulator.dataRoot)
            backupRoot = root + "/export/demo-backup"
            snapshotsDirectory = root + "/.storage-sim/zfssa/pool1/demo-backup/orcl"
            cloneDirectory = root + "/export/demo-backup/autorestore"
            storageSection = """
                snapperclass: ZFSSA
                [zfssa]
                url: \(simulator.url)
                pool: pool1
                project: demo-backup
                """
            credentials = ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: admin\nzfspassword: \(password)\n")
        case .ontap:
            simulator = try StorageSimulatorProcess(
                vendor: "ontap", seed: #"{"shares": [{"name": "backup_orcl", "junctionPath": "/backup/orcl"}]}"#,
                extra: ["--svm", "svm1", "--aggregate", "aggr1"], fileBacked: true, tls: tls, password: password)
            let root = try #require(simulator.dataRoot)
            backupRoot = root + "/backup"
            snapshotsDirectory = root + "/.storage-sim/ontap/snapshots/backup_orcl"
            cloneDirectory = root + "/autorestore"
            storageSection = """
                snapperclass: Netapp
                [netapp]
                filer: \(simulator.url)
                volumeprefix: backup_
                svm: svm1
                """
            credentials = ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: \(password)\n")
        }
        let dataRoot = try #require(simulator.dataRoot)
        let section = [storageSection, tls ? "cacert: \(simulator.caFile)" : "", storageExtra].filter { !$0.isEmpty }
        let environment = try OracleEnvironment(
            driver: vendor == .zfssa ? "zfssa" : "netapp", backupRoot: backupRoot,
            extraConfig: section.joined(separator: "\n"), databaseExtra: databaseExtra)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/" + credentials.file, contents: Data(credentials.text.utf8),
            attributes: [.posixPermissions: 0o600])
        // The clone reaches the mount point through the simulated NFS mount; ${mountstring} is host:/export/path.
        let storageSim = BuiltProducts.path("storage-sim")
        let config = environment.text(environment.configPath).replacingOccurrences(
            of: "[autorestore]\n",
            with: """
                [autorestore]
                mountcommand: \(storageSim) mount --data-root \(dataRoot) ${mountstring} ${mountpoint}
                umountcommand: \(storageSim) umount --data-root \(dataRoot) ${mountpoint}

                """)
        try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)

        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let configured = try await environment.backup(["orcl", "config"])
        #expect(configured.status == 0, "\(configured.stdout)\(configured.stderr)")
        for _ in 0..<cycles {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let setup = Setup(
            simulator: simulator, environment: environment, dataRoot: dataRoot,
            snapshotsDirectory: snapshotsDirectory, cloneDirectory: cloneDirectory)
        #expect(setup.snapshots.count == cycles, "snapshots on the simulator: \(setup.snapshots)")
        // The backup area's files are in the newest snapshot.
        let newest = try #require(setup.snapshots.last)
        #expect(environment.contents(snapshotsDirectory + "/" + newest).contains("autorestore.cfg"))
        try await afterBackups?(setup)
        try environment.isolateFromProduction()
        // autorestore runs unprivileged when the tests run as root: it needs the installation, the data (the
        // clone copies the snapshot's owner) and the CA certificate.
        for path in [environment.root, dataRoot, simulator.caFile] where FileManager.default.fileExists(atPath: path) {
            try await BuiltProducts.grantUnprivilegedAccess(to: path)
        }
        return setup
    }

    func autorestore(_ setup: Setup) async throws -> BuiltProducts.Result {
        var environment = setup.environment.environment
        environment["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        return try await BuiltProducts.runUnprivileged(
            "autorestore", ["--config", setup.environment.configPath, "orcl"], environment: environment)
    }

    func results(_ setup: Setup) async throws -> [RestoreRecord] {
        let catalog = try SQLiteResultCatalog(
            path: setup.environment.root + "/autorestore/log/autorestore-results.sqlite")
        return try await catalog.restores(database: "orcl", limit: 10).map(\.record)
    }

    /// The clone is gone from the simulator and the mount point is the empty directory it was.
    func expectCleanedUp(_ setup: Setup) async throws {
        #expect(!FileManager.default.fileExists(atPath: setup.cloneDirectory), "the clone's directory is left")
        let clones = try await BuiltProducts.run(
            "snapper", ["--config", setup.environment.configPath, "orcl", "listclones"])
        #expect(clones.status == 0, "\(clones.stderr)")
        #expect(!clones.stdout.contains("autorestore"), "\(clones.stdout)")
        let attributes = try FileManager.default.attributesOfItem(atPath: setup.mountPoint)
        #expect(attributes[.type] as? FileAttributeType == .typeDirectory)
        #expect(setup.environment.contents(setup.mountPoint).isEmpty)
        #expect(!setup.environment.contents(setup.environment.root + "/autorestore").contains { $0.hasPrefix(".mnt") })
    }

    func cleanRestore(_ vendor: Vendor) async throws {
        let setup = try await backedUp(vendor)
        let run = try await autorestore(setup)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore successful, elapsed time: "))
        #expect(run.stdout.contains("Exitstatus is 0"))
        let row = try #require(try await results(setup).first)
        #expect(row.success)
        #expect(row.failureReason == nil)
        #expect(row.snapshotID == setup.snapshots.last, "newest snapshot: \(setup.snapshots)")
        #expect(row.restoreTarget == "autorestore")
        #expect(row.expectedTime != nil && row.verifiedTime != nil)
        let difference = try #require(row.timeDifferenceSeconds)
        #expect(abs(difference) <= 5 * 60, "time difference \(difference) s is beyond the 5 minute tolerance")
        #expect(row.phaseSeconds["recover"] != nil)
        try await expectCleanedUp(setup)
    }

    @Test func zfssaCleanAutorestorePassesAndIsRecorded() async throws {
        try await cleanRestore(.zfssa)
    }

    @Test func ontapCleanAutorestorePassesAndIsRecorded() async throws {
        try await cleanRestore(.ontap)
    }

    @Test func zfssaMissingArchivedLogInTheSnapshotIsNamed() async throws {
        let setup = try await backedUp(.zfssa) { setup in
            let logs = setup.snapshotsDirectory + "/" + setup.snapshots.last! + "/archivelog"
            let newest = try #require(setup.environment.contents(logs).last)
            try FileManager.default.removeItem(atPath: logs + "/" + newest)
        }
        let run = try await autorestore(setup)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore failed (missing-archivelog)"), "\(run.stdout)")
        let row = try #require(try await results(setup).first)
        #expect(!row.success)
        #expect(row.failureReason == "missing-archivelog")
        #expect(row.failureDetail?.contains("RMAN-06054") == true)
        #expect(row.snapshotID == setup.snapshots.last)
        try await expectCleanedUp(setup)
    }

    @Test func ontapLeftoverCloneAndMountFromAKilledRunAreCleaned() async throws {
        let setup = try await backedUp(.ontap) { setup in
            // What a killed run leaves: the clone on the appliance, mounted at the mount point.
            let clone = try await BuiltProducts.run(
                "snapper", ["--config", setup.environment.configPath, "orcl", "autoclone"])
            #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
            let mounted = try await BuiltProducts.run(
                "storage-sim", ["mount", "--data-root", setup.dataRoot, "127.0.0.1:/autorestore", setup.mountPoint])
            #expect(mounted.status == 0, "\(mounted.stdout)\(mounted.stderr)")
            #expect(FileManager.default.fileExists(atPath: setup.mountPoint + "/autorestore.cfg"))
        }
        let run = try await autorestore(setup)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("was left by an earlier run; dropping it"), "\(run.stdout)")
        let row = try #require(try await results(setup).first)
        #expect(row.success)
        #expect(row.snapshotID == setup.snapshots.last)
        try await expectCleanedUp(setup)
    }

    @Test func zfssaUnattendedPointInTimeRestoreMountsWithTheConfiguredCommand() async throws {
        let setup = try await backedUp(.zfssa, cycles: 3)
        let environment = setup.environment
        let mountDirectory = environment.root + "/pitmount"
        try FileManager.default.createDirectory(atPath: mountDirectory, withIntermediateDirectories: true)
        try await BuiltProducts.grantUnprivilegedAccess(to: mountDirectory)
        let newest = setup.snapshotsDirectory + "/" + setup.snapshots.last!
        let restore = RestoreCommandTests()

        // Without a mount command, --yes cannot mount the clone: refused before anything is cloned.
        let configured = environment.text(environment.configPath)
        let withoutMount = configured.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("mountcommand:") && !$0.hasPrefix("umountcommand:") }.joined(separator: "\n")
        try withoutMount.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let refused = try await restore.restore(
            environment,
            ["orcl", "--target-time", "2016-11-08 21:00:00", "--sid", "pit1", "--mount-dir", mountDirectory, "--yes"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("needs mountcommand"), "\(refused.stderr)")
        let clones = try await BuiltProducts.run(
            "snapper", ["--config", environment.configPath, "orcl", "listclones"])
        #expect(clones.status == 0, "\(clones.stderr)")
        #expect(!clones.stdout.contains("restore_orcl_"), "\(clones.stdout)")

        try configured.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let run = try await restore.expectPointInTimeCopy(
            environment, snapshot: newest, extraArguments: ["--mount-dir", mountDirectory])
        // The copy keeps its mount; the printed clean-up unmounts it with umountcommand.
        #expect(FileManager.default.fileExists(atPath: mountDirectory + "/autorestore.cfg"))
        let unmountLine = try #require(
            run.stdout.split(separator: "\n").first { $0.hasPrefix("2. Unmount the clone: ") }, "\(run.stdout)")
        let unmount = unmountLine.dropFirst("2. Unmount the clone: ".count).split(separator: " ").map(String.init)
        #expect(
            unmount == [BuiltProducts.path("storage-sim"), "umount", "--data-root", setup.dataRoot, mountDirectory])
        let unmounted = try await BuiltProducts.runUnprivileged("storage-sim", Array(unmount.dropFirst()))
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        #expect(environment.contents(mountDirectory).isEmpty)
        let clone = try #require(
            run.stdout.split(separator: "\n").first { $0.contains("dropclone restore_orcl_") }?.split(separator: " ")
                .last.map(String.init))
        let dropped = try await BuiltProducts.run(
            "snapper", ["--config", environment.configPath, "orcl", "dropclone", clone])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
    }
}
