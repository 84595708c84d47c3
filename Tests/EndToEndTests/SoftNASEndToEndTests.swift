import Foundation
import Testing

/// The built tools on `storage-sim --vendor softnas` over HTTPS: snapper and backup work; everything that needs a
/// named clone (autorestore, restore, snapper's clone actions) refuses before any storage call or instance.
@Suite("SoftNAS end to end on storage-sim", .serialized)
struct SoftNASEndToEndTests {
    static let refusal = "snappermodule softnas cannot create named clones, so"

    /// A file-backed SoftNAS simulator holding `pool1/orcl`, and an Oracle scratch installation whose backup area is
    /// that volume's directory.
    func environment() async throws -> (StorageSimulatorProcess, OracleEnvironment) {
        let simulator = try StorageSimulatorProcess(
            vendor: "softnas", seed: #"{"shares": [{"name": "orcl", "pool": "pool1"}]}"#, fileBacked: true)
        let dataRoot = try #require(simulator.dataRoot)
        let environment = try OracleEnvironment(
            driver: "softnas", backupRoot: dataRoot + "/pool1",
            extraConfig: """
                snapperclass: SoftNAS
                [softnas]
                serveraddress: 127.0.0.1:\(simulator.port)
                pool: pool1
                cacert: \(simulator.caFile)
                """)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/softnascredentials.cfg",
            contents: Data("[credentials]\nuser: admin\npassword: secret\n".utf8),
            attributes: [.posixPermissions: 0o600])
        return (simulator, environment)
    }

    @Test func snapperAndBackupWorkAndCloneActionsRefuseUpFront() async throws {
        let (simulator, environment) = try await environment()
        func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
            try await BuiltProducts.run("snapper", ["--config", environment.configPath] + arguments)
        }
        let created = try await snapper(["orcl", "create"])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        #expect(created.stdout.hasPrefix("Snapshot created: manual-"), "the appliance's name: \(created.stdout)")
        let list = try await snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains(" UTC] total="), "\(list.stdout)")
        #expect(try await snapper(["--json", "orcl", "list"]).stdout.hasPrefix("["))
        let age = try await snapper(["orcl", "checkage"])
        #expect(age.status == 0, "checkage needs no clones: \(age.stdout)\(age.stderr)")

        // Every clone action refuses before talking to the appliance; dropclone never reaches the volume.
        let before = try await simulator.requestLog().count
        for action in [
            ["clone", "manual-x"], ["listclones"], ["dropclone", "orcl"], ["autoclone"], ["dropautoclone"],
        ] {
            let refused = try await snapper(["orcl"] + action)
            #expect(refused.status == 2, "\(action): \(refused.stdout)\(refused.stderr)")
            #expect(
                refused.stderr.contains("snappermodule softnas cannot")
                    && refused.stderr.contains("so snapper \(action[0]) cannot run on it"), "\(refused.stderr)")
        }
        #expect(try await simulator.requestLog().count == before, "a refused action made a storage call")
        #expect(try await snapper(["orcl", "list"]).stdout.split(separator: "\n").count == 1)

        // backup imagecopywithsnap through oracle-sim: the snapshot holds the backup area's files.
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct"])
        let configured = try await environment.backup(["orcl", "config"])
        #expect(configured.status == 0, "\(configured.stdout)\(configured.stderr)")
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let dataRoot = try #require(simulator.dataRoot)
        let snapshots = environment.contents(dataRoot + "/.storage-sim/softnas/pool1/orcl")
        #expect(snapshots.count == 3, "snapshots on the simulator: \(snapshots)")
        // The names end in the appliance's counter: the newest has the highest.
        let newest = try #require(
            snapshots.max { Int($0.split(separator: "-").last!)! < Int($1.split(separator: "-").last!)! })
        #expect(
            environment.contents(dataRoot + "/.storage-sim/softnas/pool1/orcl/" + newest).contains("autorestore.cfg"))
        let clean = try await snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(try await snapper(["orcl", "list"]).stdout.split(separator: "\n").count == 3)
    }

    @Test func autorestoreAndRestoreRefuseBeforeAnyStorageCallOrInstance() async throws {
        let (simulator, environment) = try await environment()
        try environment.isolateFromProduction()
        for path in [environment.root, try #require(simulator.dataRoot), simulator.caFile] {
            try await BuiltProducts.grantUnprivilegedAccess(to: path)
        }
        var variables = environment.environment
        variables["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        let autorestore = try await BuiltProducts.runUnprivileged(
            "autorestore", ["--config", environment.configPath, "orcl"], environment: variables)
        #expect(autorestore.status == 2, "\(autorestore.stdout)\(autorestore.stderr)")
        let output = autorestore.stdout + autorestore.stderr
        #expect(output.contains("\(Self.refusal) autorestore cannot run on it"), "\(output)")
        #expect(!output.contains("startup") && !output.contains("Restore failed"), "\(output)")

        let restore = try await BuiltProducts.runUnprivileged(
            "restore",
            [
                "--config", environment.configPath, "orcl", "--target-time", "2030-01-01 00:00:00", "--sid", "COPY1",
                "--mount-dir", environment.root + "/autorestore/mnt", "--yes",
            ], environment: environment.environment, currentDirectory: environment.root)
        #expect(restore.status == 2, "\(restore.stdout)\(restore.stderr)")
        #expect((restore.stdout + restore.stderr).contains("\(Self.refusal) restore cannot run on it"))

        #expect(try await simulator.requestLog().isEmpty, "no storage call at all")
        #expect(environment.contents(environment.root + "/autorestore/mnt").isEmpty)
    }
}
