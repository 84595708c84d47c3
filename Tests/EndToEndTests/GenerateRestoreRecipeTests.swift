import Foundation
import Testing

/// `backup <db> generaterestore` prints a shell + RMAN recipe; these tests run the printed recipe, unchanged, on
/// an isolated "restore host" (production datafiles unreachable) through the fake ORACLE_HOME's rman (oracle-sim),
/// then query the restored database.
@Suite("generaterestore recipe run end to end (oracle-sim + localfs)", .serialized)
struct GenerateRestoreRecipeTests {
    /// What `oracle-sim workload` reports after its transactions.
    struct WorkloadSummary: Decodable {
        var currentSCN: Int64
        var lastCommitTime: String?
    }

    /// The parts of a restored controlfile the assertions read.
    struct RestoredControlfile: Decodable {
        struct File: Decodable { var path: String }
        var datafiles: [File]
        var openMode: String
        var resetlogsSCN: Int64
        var incarnation: Int
    }

    static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    static func time(_ text: String?) throws -> Date { try #require(text.flatMap { formatter.date(from: $0) }) }

    /// A database with three backups (five transactions a minute before each), restored to `restoreHost`.
    func backedUp(databaseExtra: String = "") async throws -> (OracleEnvironment, [WorkloadSummary], String) {
        let environment = try OracleEnvironment(databaseExtra: databaseExtra)
        let restoreHost = environment.root + "/restorehost/oradata"
        let config = environment.text(environment.configPath).replacingOccurrences(
            of: "requiremount: FALSE\n", with: "requiremount: FALSE\nrestoredestination: \(restoreHost)\n")
        try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        let configured = try await environment.backup(["orcl", "config"])
        #expect(configured.status == 0, "\(configured.stdout)\(configured.stderr)")
        var workloads: [WorkloadSummary] = []
        for cycle in 0..<3 {
            let workload = try await environment.sim([
                "workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60",
            ])
            workloads.append(try JSONDecoder().decode(WorkloadSummary.self, from: Data(workload.stdout.utf8)))
            try await Task.sleep(for: .milliseconds(1100))  // snapshot names have one-second resolution
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "cycle \(cycle): \(run.stdout)\(run.stderr)")
        }
        return (environment, workloads, restoreHost)
    }

    /// The recipe between the two `=============` lines of `generaterestore`'s output.
    func recipe(_ output: String) throws -> String {
        let parts = output.components(separatedBy: "\n=============\n")
        try #require(parts.count >= 3, "no recipe between two ============= lines:\n\(output)")
        return parts[1]
    }

    /// Runs the recipe with /bin/sh as a DBA would on the restore host (the test's oracle-sim state and clock).
    func run(recipe: String, _ environment: OracleEnvironment) async throws -> BuiltProducts.Result {
        let script = environment.root + "/restore_orcl.sh"
        try recipe.write(toFile: script, atomically: true, encoding: .utf8)
        return try await BuiltProducts.runCommand(
            "/bin/sh", [script], environment: environment.environment, currentDirectory: environment.root)
    }

    /// `select … from appdata.txlog` in the restored database (instance orcl1): row count and newest row time.
    func restoredRows(_ environment: OracleEnvironment) async throws -> (count: Int, newest: String) {
        let query = try await BuiltProducts.runCommand(
            environment.oracleHome + "/bin/sqlplus", ["-S", "/ as sysdba"],
            environment: environment.environment.merging([
                "ORACLE_SID": "orcl1", "ORACLE_HOME": environment.oracleHome,
            ]) { $1 },
            input: """
                whenever sqlerror exit failure
                alter session set nls_date_format='yyyy-mm-dd hh24:mi:ss';
                select 'MARKER VALUE: '||(select count(*) from appdata.txlog) from dual;
                select 'MARKER VALUE: '||(select max(createtime) from appdata.txlog) from dual;
                exit

                """)
        #expect(query.status == 0, "\(query.stdout)")
        let values = query.stdout.split(separator: "\n").filter { $0.hasPrefix("MARKER VALUE: ") }.map {
            $0.dropFirst("MARKER VALUE: ".count).trimmingCharacters(in: .whitespaces)
        }
        try #require(values.count == 2, "\(query.stdout)")
        return (try #require(Int(values[0])), values[1])
    }

    func restoredControlfile(_ environment: OracleEnvironment, _ restoreHost: String) async throws
        -> RestoredControlfile
    {
        let inspected = try await environment.sim(["inspect", "--controlfile", restoreHost + "/control01.ctl"])
        return try JSONDecoder().decode(RestoredControlfile.self, from: Data(inspected.stdout.utf8))
    }

    @Test func withoutCatalogTheRecipeRestoresASnapshotToTheRequestedTime() async throws {
        let (environment, workloads, restoreHost) = try await backedUp()
        // Between the second and the third transaction of the second workload (one a minute, the last at L).
        let last = try Self.time(workloads[1].lastCommitTime)
        let until = Self.formatter.string(from: last.addingTimeInterval(-150))
        let newestBefore = Self.formatter.string(from: last.addingTimeInterval(-180))
        // The snapshot holding that time: the first whose recorded log switch is at or after it (the sim's clock
        // is not the storage's, so the test names it; the tool would pick it by creation time).
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        let snapshot = try #require(
            environment.contents(snapshots).filter { !$0.hasSuffix(".json") }.first { name in
                let contract = environment.text(snapshots + "/" + name + "/autorestore.cfg")
                let lastTime = contract.split(separator: "\n").first { $0.hasPrefix("lasttime: ") }?
                    .dropFirst("lasttime: ".count)
                return lastTime.map { String($0) >= until } ?? false
            })
        try environment.isolateFromProduction()

        let generated = try await environment.backup([
            "orcl", "generaterestore", "--until", until, "--snapshot", snapshot,
        ])
        #expect(generated.status == 0, "\(generated.stdout)\(generated.stderr)")
        let recipe = try recipe(generated.stdout)
        #expect(recipe.contains("set until time \"to_date('\(until)', 'yyyy-mm-dd hh24:mi:ss')\""))
        #expect(recipe.contains(" clone \(snapshot) "))
        let areaBefore = environment.contents(environment.backupArea)
        #expect(!recipe.contains("catalog /@rman") && !recipe.contains("connect catalog"))
        let restored = try await run(recipe: recipe, environment)
        #expect(restored.status == 0, "\(recipe)\n----\n\(restored.stdout)\(restored.stderr)")

        // Rows up to the requested time are there, the later ones are not.
        let rows = try await restoredRows(environment)
        #expect(rows.count == 7, "five rows of the first workload and two of the second")
        #expect(rows.newest == newestBefore)
        // Opened as a new incarnation right after the last change before that time, on the restore host's disk.
        let controlfile = try await restoredControlfile(environment, restoreHost)
        #expect(controlfile.openMode == "READ WRITE")
        #expect(controlfile.resetlogsSCN == workloads[1].currentSCN - 3 + 1)
        #expect(!controlfile.datafiles.isEmpty)
        #expect(controlfile.datafiles.allSatisfy { $0.path.hasPrefix(restoreHost + "/") })
        let instance = try await environment.sim(["inspect", "--instance", "orcl1"]).stdout
        #expect(instance.contains("\"OPEN\""), "\(instance)")
        // The backup area itself was only read.
        #expect(environment.contents(environment.backupArea) == areaBefore)
    }

    @Test func withCatalogTheRecipeRestoresEverythingTheBackupAreaHolds() async throws {
        let (environment, workloads, restoreHost) = try await backedUp(databaseExtra: "registercatalog: TRUE")
        // Committed after the last backup: in no archived log of the backup area.
        try await environment.sim(["workload", "orcl", "--transactions", "2", "--seconds-per-transaction", "60"])
        try environment.isolateFromProduction()

        let generated = try await environment.backup(["orcl", "generaterestore"])
        #expect(generated.status == 0, "\(generated.stdout)\(generated.stderr)")
        let recipe = try recipe(generated.stdout)
        #expect(recipe.contains("connect catalog /@rman"))
        let restored = try await run(recipe: recipe, environment)
        #expect(restored.status == 0, "\(recipe)\n----\n\(restored.stdout)\(restored.stderr)")
        #expect(restored.stdout.contains("RMAN-06054 above is expected"))
        #expect(restored.stdout.contains("full resync complete"))

        let rows = try await restoredRows(environment)
        #expect(rows.count == 15)
        #expect(rows.newest == workloads[2].lastCommitTime)
        let controlfile = try await restoredControlfile(environment, restoreHost)
        #expect(controlfile.openMode == "READ WRITE")
        #expect(controlfile.resetlogsSCN > workloads[2].currentSCN)
    }

    @Test func badRestoreArgumentsNameTheArgument() async throws {
        let environment = try OracleEnvironment()
        for (arguments, named) in [
            (["orcl", "generaterestore", "--until", "yesterday"], "--until"),
            (["orcl", "generaterestore", "--until", "2016-02-30 10:00:00"], "--until"),
            (["orcl", "generaterestore", "--until", "2016-11-08 21:40"], "--until"),
            (["orcl", "generaterestore", "--until", "2999-01-01 00:00:00"], "--until"),
            (["orcl", "config", "--until", "2016-11-08 21:40:00"], "--until"),
            (["--all", "generaterestore", "--until", "2016-11-08 21:40:00"], "--until"),
            (["orcl", "generaterestore", "--snapshot", "a/b"], "--snapshot"),
        ] {
            let run = try await environment.backup(arguments)
            #expect(run.status == 2, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains(named), "\(arguments): \(run.stderr)")
        }
        // A snapshot that does not exist is named too (after a real backup, so the area and storage exist).
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        #expect(try await environment.backup(["orcl", "imagecopywithsnap"]).status == 0)
        let unknown = try await environment.backup(["orcl", "generaterestore", "--snapshot", "orcl-nosuch"])
        #expect(unknown.status == 2, "\(unknown.stdout)\(unknown.stderr)")
        #expect((unknown.stdout + unknown.stderr).contains("--snapshot orcl-nosuch is not a snapshot of orcl"))
    }
}
