import AutorestoreEngine
import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// The built tools against `storage-sim --vendor dorado` over HTTPS: `snapper` (clone, listclones, a foreign clone
/// and a plain file system refused by dropclone), and `backup imagecopywithsnap` cycles through oracle-sim followed
/// by `autorestore`, which clones the newest snapshot, mounts its share `/<clone>/` with `storage-sim mount` through
/// `${mountstring}`, restores, and drops the clone again.
@Suite("Huawei Dorado end to end on storage-sim", .serialized)
struct DoradoEndToEndTests {
    static let credentials = ("huaweidoradocredentials.cfg", "[credentials]\nuser: admin\npassword: secret\n")

    func storageSection(_ simulator: StorageSimulatorProcess) -> String {
        """
        snapperclass: HuaweiDorado
        [huaweidorado]
        url: \(simulator.url)
        vstore: vstore1
        mounthost: 127.0.0.1
        restorenfsclient: 127.0.0.1
        cacert: \(simulator.caFile)
        """
    }

    @Test func snapperClonesListsAndRefusesForeignClones() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "dorado",
            seed: #"""
                {"shares": [{"name": "orcl"}, {"name": "plain-filesystem"},
                  {"name": "hrdb", "snapshots": [{"name": "hrdb-20161108T205336", "creation": "2016-11-08T20:53:36Z"}]},
                  {"name": "hrdb_clone", "originShare": "hrdb", "originSnapshot": "hrdb-20161108T205336"}]}
                """#)
        let directory = simulator.directory
        let config = try ApplianceSnapperTests().configuration(
            "snappermodule: huawei\n" + storageSection(simulator), credentials: Self.credentials,
            directory: directory)
        func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
            try await BuiltProducts.run("snapper", ["--config", config] + arguments)
        }
        let created = try await snapper(["orcl", "create"])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let name = String(created.stdout.dropFirst("Snapshot created: ".count))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name.hasPrefix("orcl-") && name.count == 20, "\(created.stdout)")
        let list = try await snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\(name) ["), "\(list.stdout)")

        let clone = try await snapper(["orcl", "clone", name])
        #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
        #expect(clone.stdout.contains("Clone created."))
        let cloneName = String(clone.stdout.split(separator: "\n")[1].dropFirst("Clone name: ".count))
        #expect(clone.stdout.contains("127.0.0.1:/\(cloneName)/"), "\(clone.stdout)")
        let clones = try await snapper(["orcl", "listclones"])
        #expect(clones.stdout.contains(cloneName), "\(clones.stdout)")
        #expect(!clones.stdout.contains("hrdb_clone"), "another database's clone is listed: \(clones.stdout)")
        #expect(try await snapper(["orcl", "dropsnap", name]).status == 1, "a snapshot with a clone was dropped")
        for foreign in ["hrdb_clone", "plain-filesystem", "hrdb", "orcl"] {
            let refused = try await snapper(["orcl", "dropclone", foreign])
            #expect(refused.status == 1, "\(foreign) must never be dropped: \(refused.stdout)\(refused.stderr)")
        }
        #expect(try await snapper(["orcl", "dropclone", cloneName]).status == 0)
        #expect(try await snapper(["orcl", "dropsnap", name]).status == 0)
        #expect(try await snapper(["orcl", "list"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let missing = try await snapper(["orcl", "dropsnap", name])
        #expect(missing.status == 1, "dropping a missing snapshot must fail: \(missing.stdout)")
    }

    /// Each run ends its array session (`DELETE sessions`) when it is over, and a log-out the array refuses does not
    /// change the run's outcome.
    @Test func snapperEndsItsSessionAndAFailedLogoutChangesNothing() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "dorado",
            seed:
                #"{"shares": [{"name": "orcl", "snapshots": [{"name": "orcl-20161108T205336", "creation": "2016-11-08T20:53:36Z"}]}]}"#
        )
        let config = try ApplianceSnapperTests().configuration(
            "snappermodule: huawei\n" + storageSection(simulator), credentials: Self.credentials,
            directory: simulator.directory)
        let list = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
        #expect(list.status == 0, "\(list.stdout)\(list.stderr)")
        #expect(list.stdout.contains("orcl-20161108T205336"), "\(list.stdout)")
        let log = try await simulator.requestLog()
        #expect(log.last.map { $0.method == "DELETE" && $0.target.hasSuffix("/sessions") } == true, "\(log)")
        #expect(log.filter { $0.method == "DELETE" }.count == 1, "\(log)")

        try await simulator.clearRequestLog()
        try await simulator.addFault(
            #"{"action": "status", "method": "DELETE", "pathContains": "/sessions", "status": 500}"#)
        let again = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout == list.stdout)
        let refused = try await simulator.requestLog()
        #expect(refused.last.map { $0.method == "DELETE" && $0.status == 500 } == true, "\(refused)")
    }

    @Test func backupThenAutorestoreRestoresFromAClone() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "dorado", seed: #"{"shares": [{"name": "orcl"}]}"#, fileBacked: true)
        let dataRoot = try #require(simulator.dataRoot)
        let environment = try OracleEnvironment(
            driver: "huawei", backupRoot: dataRoot, extraConfig: storageSection(simulator))
        _ = FileManager.default.createFile(
            atPath: environment.root + "/" + Self.credentials.0, contents: Data(Self.credentials.1.utf8),
            attributes: [.posixPermissions: 0o600])
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
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            try await simulator.clearRequestLog()
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            // The run ends its array session.
            let log = try await simulator.requestLog()
            #expect(log.last.map { $0.method == "DELETE" && $0.target.hasSuffix("/sessions") } == true, "\(log)")
        }
        let snapshotsDirectory = dataRoot + "/.storage-sim/dorado/vstore1/orcl"
        let snapshots = environment.contents(snapshotsDirectory)
        #expect(snapshots.count == 2, "snapshots on the simulator: \(snapshots)")
        let newest = try #require(snapshots.last)
        #expect(environment.contents(snapshotsDirectory + "/" + newest).contains("autorestore.cfg"))

        try environment.isolateFromProduction()
        for path in [environment.root, dataRoot, simulator.caFile] where FileManager.default.fileExists(atPath: path) {
            try await BuiltProducts.grantUnprivilegedAccess(to: path)
        }
        var variables = environment.environment
        variables["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        try await simulator.clearRequestLog()
        let run = try await BuiltProducts.runUnprivileged(
            "autorestore", ["--config", environment.configPath, "orcl"], environment: variables)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = try await simulator.requestLog()
        #expect(log.last.map { $0.method == "DELETE" && $0.target.hasSuffix("/sessions") } == true, "\(log)")
        #expect(run.stdout.contains("Restore successful, elapsed time: "), "\(run.stdout)")
        let catalog = try SQLiteResultCatalog(path: environment.root + "/autorestore/log/autorestore-results.sqlite")
        let row = try #require(try await catalog.restores(database: "orcl", limit: 10).map(\.record).first)
        #expect(row.success)
        #expect(row.snapshotID == newest)
        #expect(row.restoreTarget == "autorestore")
        // The clone and its share are gone, the mount point is an empty directory again.
        #expect(!FileManager.default.fileExists(atPath: dataRoot + "/autorestore"))
        let clones = try await BuiltProducts.run("snapper", ["--config", environment.configPath, "orcl", "listclones"])
        #expect(clones.status == 0, "\(clones.stderr)")
        #expect(!clones.stdout.contains("autorestore"), "\(clones.stdout)")
        #expect(environment.contents(environment.root + "/autorestore/mnt").isEmpty)
    }
}
