import Foundation
import Testing

/// The example programs of Examples/ (templates for embedders) run against oracle-sim and localfs, as a DBA's own
/// tooling would: they must keep building and keep doing what their comments promise.
@Suite("example programs embed the engines (oracle-sim + localfs)", .serialized)
struct ExampleProgramTests {
    /// `orcl` and `sales`, both configured with the built `backup`.
    func twoDatabases() async throws -> OracleEnvironment {
        let environment = try OracleEnvironment(
            databaseExtra: """

                [sales]
                dbid: 1500000001
                recoverywindow: 2
                parallel: 1
                snapexpirationdays: 31
                snapexpirationmonths: 6
                """)
        let tns = environment.root + "/tns/tnsnames.ora"
        try
            (environment.text(tns)
            + "\nSALES = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = sales)))\n")
            .write(toFile: tns, atomically: true, encoding: .utf8)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "sales", "--dbid", "1500000001", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        for database in ["orcl", "sales"] {
            let config = try await environment.backup([database, "config"])
            #expect(config.status == 0, "\(database): \(config.stdout)\(config.stderr)")
        }
        return environment
    }

    func snapshots(_ environment: OracleEnvironment, _ database: String) -> [String] {
        environment.contents(environment.backupRoot + "/.snapshots/" + database).filter { !$0.hasSuffix(".json") }
    }

    @Test("the nightly job backs up two databases through BackupEngine with its own log handler")
    func nightlyBackup() async throws {
        let environment = try await twoDatabases()
        let run = try await BuiltProducts.run(
            "example-nightly-backup", ["--config", environment.configPath, "orcl", "sales"],
            environment: environment.environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for database in ["orcl", "sales"] {
            let taken = snapshots(environment, database)
            #expect(taken.count == 1, "\(database): \(taken)")
            // One summary line per database from the typed outcome: the snapshot it took, the steps it reported.
            #expect(
                run.stdout.contains("\(database): ok, snapshot \(taken.first ?? "?"); retention:"), "\(run.stdout)")
            #expect(run.stdout.contains("8 steps in"), "\(run.stdout)")
            // The job's own handler saw the run's messages; the engine still wrote the run log.
            #expect(run.stderr.contains("nightly | \(database) | INFO | Refresh imagecopy"), "\(run.stderr)")
            #expect(
                environment.contents(environment.backupRoot + "/\(database)/backup_logs").contains {
                    $0.hasSuffix("_imagecopywithsnap.log")
                })
        }
        // The engine printed nothing of its own on the job's standard output.
        #expect(!run.stdout.contains("Log file for this session"), "\(run.stdout)")

        let failed = try await BuiltProducts.run(
            "example-nightly-backup", ["--config", environment.configPath, "nosuchdb"],
            environment: environment.environment)
        #expect(failed.status == 2, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("nosuchdb: FAILED (configuration, exit 2)"), "\(failed.stdout)")
    }

    @Test("the retention preview prints a reason for every snapshot and drops nothing")
    func retentionPreview() async throws {
        let environment = try await twoDatabases()
        for _ in 1...3 {
            try await environment.sim(["workload", "orcl", "--transactions", "3", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        // Snapshots that the rules drop: the retention window ends before them.
        let before = snapshots(environment, "orcl")
        #expect(before.count == 3)
        let preview = try await BuiltProducts.run(
            "example-retention-preview", ["--config", environment.configPath, "orcl"],
            environment: environment.environment)
        #expect(preview.status == 0, "\(preview.stdout)\(preview.stderr)")
        #expect(preview.stdout.contains("Retention plan at"), "\(preview.stdout)")
        for snapshot in before {
            let line = preview.stdout.split(separator: "\n").first { $0.contains(snapshot) }
            #expect(line?.contains(" — ") == true, "no reason for \(snapshot):\n\(preview.stdout)")
        }
        #expect(preview.stdout.contains("orcl: 3 snapshots, 3 kept, 0 would be dropped"), "\(preview.stdout)")
        #expect(snapshots(environment, "orcl") == before)

        // With a window that has passed, the preview shows drops and still deletes nothing.
        let config = environment.text(environment.configPath)
        try config.replacingOccurrences(of: "[orcl]\n", with: "[orcl]\nsnapminimumcount: 1\n")
            .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let drops = try await BuiltProducts.run(
            "example-retention-preview",
            ["--config", environment.configPath, "--at", "2028-01-01 00:00:00", "orcl"],
            environment: environment.environment)
        #expect(drops.status == 0, "\(drops.stdout)\(drops.stderr)")
        #expect(drops.stdout.contains("would drop"), "\(drops.stdout)")
        #expect(snapshots(environment, "orcl") == before)
    }

    @Test("the fleet restore test restores every database and prints one line each")
    func fleetRestore() async throws {
        let environment = try await twoDatabases()
        for database in ["orcl", "sales"] {
            for _ in 1...2 {
                try await environment.sim([
                    "workload", database, "--transactions", "3", "--seconds-per-transaction", "60",
                ])
                try await Task.sleep(for: .milliseconds(1100))
                let run = try await environment.backup([database, "imagecopywithsnap"])
                #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            }
        }
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)

        var sandbox = environment.environment
        let refused = try await BuiltProducts.runUnprivileged(
            "example-fleet-restore", ["--config", environment.configPath], environment: sandbox)
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")

        sandbox["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        let run = try await BuiltProducts.runUnprivileged(
            "example-fleet-restore", ["--config", environment.configPath, "--parallel", "2"], environment: sandbox)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(run.stdout)")
        #expect(lines.first?.hasPrefix("orcl: PASSED snapshot orcl-") == true, "\(run.stdout)")
        #expect(lines.last?.hasPrefix("sales: PASSED snapshot sales-") == true, "\(run.stdout)")
        #expect(lines.allSatisfy { $0.contains("recorded as ") }, "\(run.stdout)")
        // Both clones are gone again.
        #expect(
            environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }.isEmpty)
    }
}
