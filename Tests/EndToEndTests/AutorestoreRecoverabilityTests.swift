import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// Recoverability failures found after real `backup` cycles, each with its own reason (issue 20): a corrupt block the
/// verification query reads without block validation, and TDE (encrypted tablespaces and their keystore).
@Suite("autorestore recoverability end to end (oracle-sim + localfs + SQLite)", .serialized)
struct AutorestoreRecoverabilityTests {
    /// The keystore password of the TDE tests: it must never reach a log, the catalog or a message.
    static let keystorePassword = "Tde-Secret-4711-xyzzy"

    /// Creates the database (`afterCreate` runs then, before any backup), configures it and takes `cycles` backups
    /// with workload between them; the production files are then made unreachable, as on a restore host.
    func backedUp(
        cycles: Int = 3, databaseExtra: String = "",
        afterCreate: ((OracleEnvironment) async throws -> Void)? = nil,
        afterBackups: ((OracleEnvironment) async throws -> Void)? = nil
    ) async throws -> OracleEnvironment {
        let environment = try OracleEnvironment(databaseExtra: databaseExtra)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        try await afterCreate?(environment)
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)")
        for _ in 0..<cycles {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        try await afterBackups?(environment)
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        return environment
    }

    /// The newest snapshot directory of the localfs driver.
    static func newestSnapshot(_ environment: OracleEnvironment) -> String {
        let directory = environment.backupRoot + "/.snapshots/orcl"
        return directory + "/" + environment.contents(directory).filter { !$0.hasSuffix(".json") }.last!
    }

    func autorestore(_ environment: OracleEnvironment) async throws -> BuiltProducts.Result {
        var env = environment.environment
        env["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        return try await BuiltProducts.runUnprivileged(
            "autorestore", ["--config", environment.configPath, "orcl"], environment: env)
    }

    func results(_ environment: OracleEnvironment) async throws -> [RestoreRecord] {
        let catalog = try SQLiteResultCatalog(path: environment.root + "/autorestore/log/autorestore-results.sqlite")
        return try await catalog.restores(database: "orcl", limit: 10).map(\.record)
    }

    /// Runs autorestore expecting a failure with `reason`: exit 1, the reason in the log and in the catalog row, and
    /// no clone, mount, instance or work file left.
    func expectFailure(_ environment: OracleEnvironment, reason: String) async throws -> (
        RestoreRecord, BuiltProducts.Result
    ) {
        let run = try await autorestore(environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Restore failed (\(reason))"), "\(run.stdout)")
        #expect(run.stdout.contains("Exitstatus is 1"))
        let row = try #require(try await results(environment).first)
        #expect(!row.success)
        #expect(row.failureReason == reason, "\(row.failureReason ?? "nil"): \(row.failureDetail ?? "")")
        #expect(row.logText.contains("Restore failed (\(reason))"))
        expectCleanedUp(environment)
        return (row, run)
    }

    /// The clone, the mount, the instance and the work files of the run are gone.
    func expectCleanedUp(_ environment: OracleEnvironment) {
        #expect(environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }.isEmpty)
        #expect(environment.contents(environment.root + "/autorestore/mnt").isEmpty)
        #expect(environment.contents(environment.root + "/sim-state/instances").isEmpty)
        let work = environment.contents(environment.root + "/autorestore/dest")
        #expect(
            work.allSatisfy { [".oib-autorestore-workdir", ".oib-autorestore-manifest"].contains($0) }, "\(work)")
    }

    // MARK: Corrupt block read without validation

    @Test func corruptBlockReadByTheVerificationQueryIsNamedWithItsFileAndBlock() async throws {
        // Block 2 of USERS (file 4) holds APPDATA.TXLOG's first row: the verification query
        // (select max(createtime) from appdata.txlog) reads it, and no redo after the last copy rewrites it.
        let environment = try await backedUp(afterBackups: { environment in
            let snapshot = Self.newestSnapshot(environment)
            let copy = try #require(environment.contents(snapshot).first { $0.contains("_TS-USERS_FNO-4_") })
            try await environment.sim(["inject", "corrupt-block", "--file", snapshot + "/" + copy, "--block", "2"])
        })
        let (row, _) = try await expectFailure(environment, reason: "corrupt-blocks")
        let detail = row.failureDetail ?? ""
        #expect(detail.contains("ORA-01578: ORACLE data block corrupted (file # 4, block # 2)"), "\(detail)")
        #expect(detail.contains("ORA-01110: data file 4: '"), "\(detail)")
        #expect(!row.validated)
        #expect(row.corruptBlocks == 1, "v$database_block_corruption records the block the query met")
        #expect(row.logText.contains("ORA-01578"))
    }

    // MARK: TDE

    /// Encrypts USERS with a keystore in `<root>/keystore` (password ``keystorePassword``) before the first backup.
    static func encryptUsers(_ environment: OracleEnvironment) async throws {
        try await environment.sim([
            "tde", "--db", "orcl", "--tablespace", "USERS", "--keystore", environment.root + "/keystore",
            "--password", keystorePassword,
        ])
    }

    /// The per-database keystore settings, with a password file holding `password`.
    static func keystoreSettings(_ root: String, password: String) throws -> String {
        let file = root + "/tde-password"
        try (password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        _ = chmod(file, 0o600)
        return "autorestoretdekeystore: \(root)/keystore\nautorestoretdekeystorepasswordfile: \(file)"
    }

    /// Nothing the run left readable holds the password: the run's output, every file in the log directory (run
    /// logs, the SQLite catalog) and the catalog row.
    func expectPasswordNowhere(_ environment: OracleEnvironment, run: BuiltProducts.Result, row: RestoreRecord?) {
        let password = Self.keystorePassword
        #expect(!run.stdout.contains(password) && !run.stderr.contains(password))
        let logs = environment.root + "/autorestore/log"
        let files = FileManager.default.enumerator(atPath: logs)?.allObjects as? [String] ?? []
        #expect(!files.isEmpty)
        for name in files {
            let data = FileManager.default.contents(atPath: logs + "/" + name) ?? Data()
            #expect(data.range(of: Data(password.utf8)) == nil, "the password is in \(name)")
        }
        if let row {
            #expect(!row.logText.contains(password))
            #expect(!(row.failureDetail ?? "").contains(password))
        }
    }

    @Test func encryptedDatabaseRestoresWithItsKeystore() async throws {
        let environment = try await backedUp(afterCreate: { environment in
            try await Self.encryptUsers(environment)
            let settings = try Self.keystoreSettings(environment.root, password: Self.keystorePassword)
            let config = environment.text(environment.configPath) + "\n" + settings + "\n"
            try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        })
        // The snapshot's controlfile records USERS as encrypted: recovery needs the keystore copy the run opens.
        let run = try await autorestore(environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("TDE keystore opened"), "\(run.stdout)")
        let row = try #require(try await results(environment).first)
        #expect(row.success, "\(row.failureReason ?? ""): \(row.failureDetail ?? "")")
        #expect(row.phaseSeconds["keystore"] != nil)
        expectPasswordNowhere(environment, run: run, row: row)
        expectCleanedUp(environment)
    }

    @Test func encryptedDatabaseWithoutKeystoreSettingsIsNamed() async throws {
        let environment = try await backedUp(afterCreate: { environment in try await Self.encryptUsers(environment) })
        let (row, _) = try await expectFailure(environment, reason: "tde-keystore-missing")
        let detail = row.failureDetail ?? ""
        #expect(detail.contains("ORA-28365: wallet is not open"), "\(detail)")
        #expect(detail.contains("tdekeystore"), "\(detail)")
        #expect(row.logText.contains("ORA-28365: wallet is not open"))
    }

    @Test func wrongKeystorePasswordIsNamedWithoutShowingAnyPassword() async throws {
        let wrong = "Not-The-Password-0815"
        let environment = try await backedUp(afterCreate: { environment in
            try await Self.encryptUsers(environment)
            let settings = try Self.keystoreSettings(environment.root, password: wrong)
            let config = environment.text(environment.configPath) + "\n" + settings + "\n"
            try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        })
        let (row, run) = try await expectFailure(environment, reason: "tde-keystore-open-failed")
        let detail = row.failureDetail ?? ""
        #expect(detail.contains("ORA-28353: failed to open wallet"), "\(detail)")
        #expect(detail.contains("tdekeystorepasswordfile"), "\(detail)")
        expectPasswordNowhere(environment, run: run, row: row)
        #expect(!run.stdout.contains(wrong) && !row.logText.contains(wrong) && !detail.contains(wrong))
    }

    @Test func keystoreSettingsNeedEachOther() async throws {
        let environment = try OracleEnvironment(databaseExtra: "autorestoretdekeystore: /nonexistent/keystore")
        let check = try await environment.backup(["checkconfig"])
        #expect(check.status != 0, "\(check.stdout)")
        #expect(
            (check.stdout + check.stderr).contains("is set without tdekeystorepasswordfile"),
            "\(check.stdout)\(check.stderr)")
    }
}
