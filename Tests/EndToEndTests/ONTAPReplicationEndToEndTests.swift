import Foundation
import Testing

/// SnapMirror with the built tools against a file-backed storage-sim playing two SVMs over HTTPS: the backups'
/// copy step transfers each snapshot to the vault destination (`[replication]` driver ontap), `snapper --replica`
/// lists and cleans it, and `autorestore --from-replica` restores a FlexClone made at the destination.
@Suite("ONTAP SnapMirror replication end to end (built binaries, storage-sim)", .serialized)
struct ONTAPReplicationEndToEndTests {
    static let seed = """
        {"shares": [
          {"name": "backup_orcl", "junctionPath": "/backup/orcl"},
          {"name": "dr_orcl", "svm": "svm_dr", "junctionPath": "/dr/orcl",
           "snapMirror": {"source": "svm1:backup_orcl", "policy": "oib_vault", "labels": ["oib_backup"],
                          "transferSeconds": 0.3}}
        ]}
        """

    @Test("backups vault to the destination; list/clean --replica; autorestore --from-replica restores there")
    func vaultEndToEnd() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "ontap", seed: Self.seed, extra: ["--svm", "svm1", "--aggregate", "aggr1"], fileBacked: true)
        let dataRoot = try #require(simulator.dataRoot)
        let environment = try OracleEnvironment(
            driver: "netapp", backupRoot: dataRoot + "/backup",
            extraConfig: """
                snapperclass: Netapp
                [netapp]
                filer: \(simulator.url)
                volumeprefix: backup_
                svm: svm1
                cacert: \(simulator.caFile)
                [replication]
                filer: \(simulator.url)
                volumeprefix: dr_
                svm: svm_dr
                cacert: \(simulator.caFile)
                snapmirrortype: vault
                transfertimeout: 60
                snapretention: gfs
                snapkeeplast: 2
                snapkeepverified: FALSE
                """)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/netappcredentials.cfg",
            contents: Data("[netappcredentials]\nuser: admin\npassword: secret\n".utf8),
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
        let check = try await environment.backup(["checkconfig"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let configured = try await environment.backup(["orcl", "config"])
        #expect(configured.status == 0, "\(configured.stdout)\(configured.stderr)")
        for _ in 0..<3 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
            #expect(backup.stdout.contains("Replicated "), "\(backup.stdout)")
        }
        func ours(_ directory: String) -> [String] {
            environment.contents(directory).filter { !$0.hasPrefix("snapmirror.") }
        }
        let primaryDirectory = dataRoot + "/.storage-sim/ontap/snapshots/backup_orcl"
        let replicaDirectory = dataRoot + "/.storage-sim/ontap/snapshots/dr_orcl"
        let primary = ours(primaryDirectory)
        #expect(primary.count == 3, "\(primary)")
        // SnapMirror's own snapshot is on both sides, never listed by the tool.
        #expect(environment.contents(replicaDirectory).contains { $0.hasPrefix("snapmirror.") })

        // The replica's own retention (keep the last two) ran after each copy; the newest is always kept.
        let listed = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(listed.status == 0, "\(listed.stdout)\(listed.stderr)")
        let replicaNames = listed.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(replicaNames == Array(primary.suffix(2)), "\(listed.stdout)")
        #expect(!listed.stdout.contains("snapmirror."))
        #expect(ours(replicaDirectory) == Array(primary.suffix(2)))
        let plain = try await environment.snapper(["orcl", "list"])
        #expect(!plain.stdout.contains("snapmirror."), "\(plain.stdout)")
        let clean = try await environment.snapper(["orcl", "clean", "--replica"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(ours(replicaDirectory).last == primary.last)
        // A transferred snapshot holds the backup's files as the primary's does.
        let newest = try #require(primary.last)
        let copied = environment.contents(replicaDirectory + "/" + newest)
        #expect(copied.contains("autorestore.cfg"), "\(copied)")
        #expect(copied == environment.contents(primaryDirectory + "/" + newest))
        // Each backup snapshot was created with the vault rule's label (snapmirrorlabel's default).
        let curl = ["-sS", "--cacert", simulator.caFile, "-u", "admin:secret"]
        let volumes = try await BuiltProducts.runCommand(
            "/usr/bin/curl", curl + [simulator.url + "/api/storage/volumes?name=backup_orcl&fields=uuid"])
        let volumeUUID = try #require(
            ((try? JSONSerialization.jsonObject(with: Data(volumes.stdout.utf8))) as? [String: Any]).flatMap {
                ($0["records"] as? [[String: Any]])?.first?["uuid"] as? String
            })
        let labels = try await BuiltProducts.runCommand(
            "/usr/bin/curl",
            curl + [simulator.url + "/api/storage/volumes/\(volumeUUID)/snapshots?fields=name,snapmirror_label"])
        let records =
            ((try? JSONSerialization.jsonObject(with: Data(labels.stdout.utf8))) as? [String: Any])?["records"]
            as? [[String: Any]] ?? []
        let labelled = records.filter { ($0["name"] as? String)?.hasPrefix("orcl_") == true }
        #expect(labelled.count == 3 && labelled.allSatisfy { $0["snapmirror_label"] as? String == "oib_backup" })
        let again = try await environment.snapper(["orcl", "replicate"])
        #expect(again.status == 0 && again.stdout.contains("Replica: in step"), "\(again.stdout)\(again.stderr)")

        // The restore test on a FlexClone at the destination, as the unprivileged user with the simulated mount.
        try environment.isolateFromProduction()
        for path in [environment.root, dataRoot, simulator.caFile] {
            try await BuiltProducts.grantUnprivilegedAccess(to: path)
        }
        let flows = AutorestoreFlowTests()
        let restore = try await flows.autorestore(environment, ["--from-replica", "orcl"])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stdout.contains("Restore successful"), "\(restore.stdout)")
        let row = try #require(try await flows.results(environment).first)
        #expect(row.success)
        #expect(row.snapshotID == newest)
        // Nothing cloned on the primary, nothing left at the destination.
        let primaryClones = try await environment.snapper(["orcl", "listclones"])
        #expect(primaryClones.status == 0 && !primaryClones.stdout.contains("autorestore"), "\(primaryClones.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dataRoot + "/autorestore"), "the clone's directory is left")
        let log = try await BuiltProducts.runCommand(
            "/usr/bin/curl", ["-sS", "--cacert", simulator.caFile, simulator.url + "/_sim/log"])
        #expect(
            log.stdout.contains(#""method":"POST","status":202,"target":"/api/storage/volumes"}"#),
            "no FlexClone was made: \(log.stdout.suffix(2000))")
        let left = try await BuiltProducts.runCommand(
            "/usr/bin/curl", curl + [simulator.url + "/api/storage/volumes?fields=name,clone"])
        #expect(!left.stdout.contains("autorestore"), "\(left.stdout)")
        #expect(environment.contents(environment.root + "/autorestore/mnt").isEmpty)
    }

    @Test("a failed SnapMirror transfer: the backup stands, the copy step names the relationship and ONTAP's reason")
    func failedTransfer() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "ontap", seed: Self.seed, extra: ["--svm", "svm1", "--aggregate", "aggr1"], fileBacked: true)
        let dataRoot = try #require(simulator.dataRoot)
        let environment = try OracleEnvironment(
            driver: "netapp", backupRoot: dataRoot + "/backup",
            extraConfig: """
                snapperclass: Netapp
                [netapp]
                filer: \(simulator.url)
                volumeprefix: backup_
                svm: svm1
                cacert: \(simulator.caFile)
                [replication]
                filer: \(simulator.url)
                volumeprefix: dr_
                svm: svm_dr
                cacert: \(simulator.caFile)
                snapmirrortype: vault
                snapexpirationdays: 7
                """)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/netappcredentials.cfg",
            contents: Data("[netappcredentials]\nuser: admin\npassword: secret\n".utf8),
            attributes: [.posixPermissions: 0o600])
        try await simulator.addFault(
            #"{"action": "failJob", "pathContains": "/transfers", "message": "Transfer failed: the source cluster is unreachable (simulated)."}"#
        )
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let backup = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(backup.status == 3, "\(backup.stdout)\(backup.stderr)")
        let output = backup.stdout + backup.stderr
        #expect(output.contains("source cluster is unreachable"), "\(output)")
        #expect(output.contains("svm_dr:dr_orcl"), "\(output)")
        // The next copy succeeds.
        let copy = try await environment.snapper(["orcl", "replicate"])
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        let listed = try await environment.snapper(["orcl", "list", "--replica"])
        #expect(listed.stdout.split(separator: "\n").count == 1, "\(listed.stdout)")
    }
}
