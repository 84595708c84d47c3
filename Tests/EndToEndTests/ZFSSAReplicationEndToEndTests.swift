import Foundation
import Testing

/// Off-site copies through a ZFSSA replication action, with the built tools against a file-backed storage-sim over
/// HTTPS: storage-sim is the primary appliance (project `demo-backup`) and, as its own replication target, the
/// replica appliance (the package, clones in its local project `offsite`). Each `imagecopywithsnap` ends with an
/// update of the action; `snapper --replica` lists and cleans the package; `autorestore --from-replica` restores
/// from a clone made at the replica.
@Suite("replication after backups on a simulated ZFSSA (built binaries)", .serialized)
struct ZFSSAReplicationEndToEndTests {
    struct Setup {
        var simulator: StorageSimulatorProcess
        var environment: OracleEnvironment
        var dataRoot: String
        var action: String

        var primarySnapshots: String { dataRoot + "/.storage-sim/zfssa/pool1/demo-backup/orcl" }

        /// The tool's snapshots as `snapper <db> list --replica` prints them (first word of each line).
        func replicaList() async throws -> [String] {
            let listed = try await environment.snapper(["orcl", "list", "--replica"])
            #expect(listed.status == 0, "\(listed.stdout)\(listed.stderr)")
            return listed.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        }

        /// The tool's snapshots at the primary, oldest first (names embed a sortable timestamp).
        var primaryList: [String] { environment.contents(primarySnapshots).filter { !$0.hasPrefix(".rr-") } }

        /// A request to the simulated appliance's REST API; the answer's JSON.
        func api(_ method: String, _ path: String, _ body: String? = nil) async throws -> [String: Any] {
            try await ZFSSAReplicationEndToEndTests.api(simulator, method, path, body)
        }

        func filesystems(_ project: String) async throws -> [String] {
            let answer = try await api("GET", "/pools/pool1/projects/\(project)/filesystems")
            return (answer["filesystems"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }

        func packageSnapshotPath() async throws -> String {
            let packages = try await api("GET", "/replication/packages")["packages"] as? [[String: Any]] ?? []
            let id = try #require(packages.first?["id"] as? String)
            return "/replication/packages/\(id)/projects/demo-backup/filesystems/orcl/snapshots"
        }
    }

    /// A request to the simulated appliance's REST API (as its administrator); the answer's JSON.
    static func api(_ simulator: StorageSimulatorProcess, _ method: String, _ path: String, _ body: String? = nil)
        async throws -> [String: Any]
    {
        var arguments = [
            "-sS", "-X", method, "-u", "admin:secret", "--cacert", simulator.caFile,
            simulator.url + "/api/storage/v1" + path,
        ]
        if let body { arguments += ["-H", "Content-Type: application/json", "-d", body] }
        let result = try await BuiltProducts.runCommand("/usr/bin/curl", arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let data = Data(result.stdout.utf8)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Starts storage-sim, creates the target and the action an administrator would, and configures `[zfssa]` and
    /// `[replication]` (the replica's own retention: the last snapshot; `replicationExtra` adds keys).
    func configured(replicationExtra: String = "") async throws -> Setup {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa", seed: #"{"shares": [{"name": "orcl"}]}"#,
            extra: ["--project", "pool1/demo-backup", "--project", "pool1/offsite"], fileBacked: true)
        let dataRoot = try #require(simulator.dataRoot)
        _ = try await Self.api(simulator, "POST", "/replication/targets", #"{"hostname": "127.0.0.1", "label": "dr"}"#)
        let created = try await Self.api(
            simulator, "POST", "/replication/actions",
            #"{"pool": "pool1", "project": "demo-backup", "target": "dr", "include_snaps": true, "retain_user_snaps": true}"#
        )
        let action = try #require((created["action"] as? [String: Any])?["id"] as? String)
        let environment = try OracleEnvironment(
            driver: "zfssa", backupRoot: dataRoot + "/export/demo-backup",
            extraConfig: """
                [zfssa]
                url: \(simulator.url)
                pool: pool1
                project: demo-backup
                cacert: \(simulator.caFile)
                [replication]
                url: \(simulator.url)
                cacert: \(simulator.caFile)
                pool: pool1
                project: offsite
                action: \(action)
                transfertimeout: 60
                snapretention: gfs
                snapkeeplast: 1
                snapkeepverified: FALSE
                \(replicationExtra)
                """)
        let setup = Setup(simulator: simulator, environment: environment, dataRoot: dataRoot, action: action)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/zfscredentials.cfg",
            contents: Data("[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n".utf8),
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
        let check = try await environment.backup(["checkconfig"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let bootstrap = try await environment.backup(["orcl", "config"])
        #expect(bootstrap.status == 0, "\(bootstrap.stdout)\(bootstrap.stderr)")
        return setup
    }

    func backup(_ setup: Setup, expecting status: Int32 = 0) async throws -> BuiltProducts.Result {
        try await setup.environment.sim([
            "workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60",
        ])
        try await Task.sleep(for: .milliseconds(1100))
        let run = try await setup.environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == status, "\(run.stdout)\(run.stderr)")
        return run
    }

    @Test("backups update the replica; list/clean --replica; the replica's retention keeps its newest and a clone")
    func backupsReplicateAndTheReplicaIsCleaned() async throws {
        let setup = try await configured()
        let first = try await backup(setup)
        #expect(first.stdout.contains("Replicated "), "\(first.stdout)")
        #expect(try await setup.replicaList() == setup.primaryList)
        let second = try await backup(setup)
        #expect(second.stdout.contains("incremental from \(setup.primaryList[0])"), "\(second.stdout)")
        // The replica's own retention (keep the last one), applied after the copy, dropped its older copy; the
        // primary keeps both. The appliance's replication snapshots are never listed.
        #expect(setup.primaryList.count == 2)
        #expect(try await setup.replicaList() == [setup.primaryList[1]])

        // A clone at the replica holds its snapshot against the replica's retention.
        let snapshots = try await setup.packageSnapshotPath()
        let held = setup.primaryList[1]
        let clone = try await setup.api(
            "PUT", snapshots + "/\(held)/clone", #"{"pool": "pool1", "project": "offsite", "share": "manual"}"#)
        #expect(clone["filesystem"] != nil, "\(clone)")
        _ = try await backup(setup)
        let newest = try #require(setup.primaryList.last)
        #expect(try await setup.replicaList() == [held, newest])
        // The replicated files are the backup's.
        let replicaFiles = setup.environment.contents(setup.dataRoot + "/export/offsite/manual")
        #expect(replicaFiles == setup.environment.contents(setup.primarySnapshots + "/\(held)"))
        #expect(replicaFiles.contains("autorestore.cfg"), "\(replicaFiles)")

        // In step: nothing to send.
        let again = try await setup.environment.snapper(["orcl", "replicate"])
        #expect(again.status == 0 && again.stdout.contains("Replica: in step"), "\(again.stdout)\(again.stderr)")
        // Once the clone is gone, clean --replica drops the older copy, never the newest.
        _ = try await setup.api("DELETE", "/pools/pool1/projects/offsite/filesystems/manual")
        let dry = try await setup.environment.snapper(["orcl", "clean", "--replica", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(try await setup.replicaList() == [held, newest])
        let clean = try await setup.environment.snapper(["orcl", "clean", "--replica"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(try await setup.replicaList() == [newest])
        #expect(setup.primaryList.count == 3)
        let age = try await setup.environment.snapper(["orcl", "checkage", "--replica"])
        #expect(age.status == 0 && age.stdout.hasPrefix("OK: Replica: "), "\(age.stdout)\(age.stderr)")
    }

    @Test("a failed update: the backup succeeds, then WARNING naming the action, exit 3; the next backup catches up")
    func failedUpdateIsExit3() async throws {
        let setup = try await configured()
        try await setup.simulator.addFault(
            #"{"action": "failJob", "pathContains": "sendupdate", "message": "link to dr down"}"#)
        let failed = try await backup(setup, expecting: 3)
        #expect(failed.stderr.contains("WARNING: the backup of orcl succeeded, its off-site copy failed"))
        #expect(failed.stderr.contains(setup.action), "\(failed.stderr)")
        #expect(failed.stderr.contains("last_result 'failed'"), "\(failed.stderr)")
        #expect(setup.primaryList.count == 1)
        _ = try await backup(setup)
        #expect(try await setup.replicaList() == [try #require(setup.primaryList.last)])
    }

    @Test("autorestore --from-replica restores a snapshot cloned at the replica appliance; nothing left behind")
    func autorestoreFromTheReplica() async throws {
        let setup = try await configured()
        for _ in 0..<2 { _ = try await backup(setup) }
        let replicated = try await setup.replicaList()
        #expect(replicated.count == 1)
        try setup.environment.isolateFromProduction()
        for path in [setup.environment.root, setup.dataRoot, setup.simulator.caFile] {
            try await BuiltProducts.grantUnprivilegedAccess(to: path)
        }
        let flows = AutorestoreFlowTests()
        let restore = try await flows.autorestore(setup.environment, ["--from-replica", "orcl"])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stdout.contains("Restore successful"), "\(restore.stdout)")
        let row = try #require(try await flows.results(setup.environment).first)
        #expect(row.success)
        #expect(row.snapshotID == replicated.last)
        // Cloned (and dropped) at the replica's local project, never on the primary; nothing left behind.
        #expect(try await setup.filesystems("demo-backup") == ["orcl"])
        #expect(try await setup.filesystems("offsite").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: setup.dataRoot + "/export/offsite/autorestore"))
        let mountPoint = setup.environment.root + "/autorestore/mnt"
        #expect(setup.environment.contents(mountPoint).isEmpty)
        #expect(try await setup.replicaList() == replicated)
    }
}
