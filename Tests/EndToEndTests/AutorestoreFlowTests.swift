import AutorestoreEngine
import Foundation
import Testing

/// Backups with the built `backup`, then the built `autorestore` (as an unprivileged user when the tests run as
/// root) against oracle-sim and localfs, results in SQLite.
@Suite("autorestore end to end (oracle-sim + localfs + SQLite)", .serialized)
struct AutorestoreFlowTests {
    /// Creates the database, configures it and takes `cycles` backups with workload between them.
    func backedUp(cycles: Int = 3, databaseExtra: String = "", extraConfig: String = "") async throws
        -> OracleEnvironment
    {
        let environment = try OracleEnvironment(extraConfig: extraConfig, databaseExtra: databaseExtra)
        try environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let config = try environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)")
        for _ in 0..<cycles {
            try environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        try BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        return environment
    }

    func autorestore(_ environment: OracleEnvironment, _ arguments: [String] = ["orcl"],
                     sandbox: Bool = true) throws -> BuiltProducts.Result
    {
        var env = environment.environment
        if sandbox { env["AUTORESTORE_SAFE_SANDBOX"] = "TRUE" }
        return try BuiltProducts.runUnprivileged("autorestore", ["--config", environment.configPath] + arguments,
                                                 environment: env)
    }

    func results(_ environment: OracleEnvironment) async throws -> [RestoreRecord] {
        let catalog = try SQLiteResultCatalog(path: environment.root + "/autorestore/log/autorestore-results.sqlite")
        return try await catalog.restores(database: "orcl", limit: 10).map(\.record)
    }

    @Test func cleanAutorestorePassesAndIsRecorded() async throws {
        let environment = try await backedUp()
        let run = try autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Exitstatus is 0"))
        #expect(run.stdout.contains("Restore successful, elapsed time: "))
        let rows = try await results(environment)
        let row = try #require(rows.first)
        #expect(row.success)
        #expect(row.snapshotID?.hasPrefix("orcl-") == true)
        #expect(row.expectedTime != nil && row.verifiedTime != nil)
        #expect(row.logText.contains("Restore successful, elapsed time: "))  // the final line is stored
        #expect(row.phaseSeconds["recover"] != nil)
        // The clone is gone, the work directory holds only our marker, no instance is left.
        #expect(environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }.isEmpty)
        #expect(environment.contents(environment.root + "/autorestore/dest").contains(".oib-autorestore-workdir"))
        #expect(!environment.contents(environment.root + "/autorestore/dest").contains(".oib-instance"))
    }

    @Test func guardsRootSandboxAndListing() async throws {
        let environment = try OracleEnvironment()
        try BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let noSandbox = try autorestore(environment, sandbox: false)
        #expect(noSandbox.status == 3)
        #expect(noSandbox.stdout.contains("AUTORESTORE_SAFE_SANDBOX TO VALUE TRUE (CASE SENSITIVE)"))
        if getuid() == 0 {
            let asRoot = try BuiltProducts.run("autorestore", ["--config", environment.configPath, "orcl"],
                                               environment: ["AUTORESTORE_SAFE_SANDBOX": "TRUE"])
            #expect(asRoot.status == 1)
            #expect(asRoot.stderr.contains("No, I will not run as root."))
        }
        let listing = try autorestore(environment, ["--listvalidationdates"])
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("Database validation is not turned on"))
    }
}
