import AutorestoreEngine
import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// Issue 14 item 4 with the built tools: plain HTTP to an appliance, and secrets in every output.
@Suite("transport security and secrets, end to end (storage-sim, oracle-sim)", .serialized)
struct TransportSecurityEndToEndTests {
    let appliance = ApplianceAutorestoreTests()

    /// Every tool that builds the storage driver, for one configuration: (name, result).
    func everyTool(_ setup: ApplianceAutorestoreTests.Setup) async throws -> [(String, BuiltProducts.Result)] {
        let environment = setup.environment
        try environment.reconnectToProduction()
        try await environment.sim(["workload", "orcl", "--transactions", "2", "--seconds-per-transaction", "60"])
        try await Task.sleep(for: .milliseconds(1100))
        var results = [
            ("backup checkconfig", try await environment.backup(["checkconfig"])),
            ("backup imagecopywithsnap", try await environment.backup(["orcl", "imagecopywithsnap"])),
            ("snapper list", try await environment.snapper(["orcl", "list"])),
        ]
        // autorestore and restore run unprivileged on an isolated host: hand them what the root runs just wrote.
        try environment.isolateFromProduction()
        for path in [environment.root, setup.dataRoot] { try await BuiltProducts.grantUnprivilegedAccess(to: path) }
        await results.append(("autorestore", try appliance.autorestore(setup)))
        await results.append(
            ("restore --list-snapshots", try RestoreCommandTests().restore(environment, ["orcl", "--list-snapshots"])))
        return results
    }

    @Test func plainHTTPIsRefusedByEveryToolUnlessAllowedAndThenWarnedAboutEveryRun() async throws {
        let setup = try await appliance.backedUp(.zfssa, tls: false, storageExtra: "allowplainhttp: TRUE")
        let environment = setup.environment
        #expect(environment.text(environment.configPath).contains("url: http://127.0.0.1:"))

        // Allowed: everything works, and every run says that the credentials travel unencrypted.
        for (tool, result) in try await everyTool(setup) where tool != "backup checkconfig" {
            #expect(result.status == 0, "\(tool): \(result.stdout)\(result.stderr)")
            #expect(
                (result.stdout + result.stderr).contains("WARNING")
                    && (result.stdout + result.stderr).contains(
                        "is plain http:// (allowplainhttp: TRUE)"),
                "\(tool): \(result.stdout)\(result.stderr)")
        }
        #expect(environment.latestLog("imagecopywithsnap").contains("is plain http:// (allowplainhttp: TRUE)"))
        let valid = try await environment.backup(["checkconfig"])
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(try await environment.backup(["orcl", "showconfig"]).stdout.contains("plain http: ALLOWED for url"))

        // Not allowed: exit 2 naming file, section and key, before any credential is sent.
        let config = environment.text(environment.configPath)
        try config.replacingOccurrences(of: "allowplainhttp: TRUE\n", with: "")
            .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let snapshots = setup.snapshots
        for (tool, result) in try await everyTool(setup) {
            #expect(result.status == 2, "\(tool): \(result.stdout)\(result.stderr)")
            let output = result.stdout + result.stderr
            #expect(output.contains(environment.configPath), "\(tool): \(output)")
            #expect(output.contains("[zfssa] url") && output.contains("allowplainhttp: TRUE"), "\(tool): \(output)")
        }
        #expect(setup.snapshots == snapshots, "a refused run must not reach the appliance")
    }
}

/// Secrets planted everywhere a careless tool would show them; every output, log, snapshot copy and catalog row is
/// searched for them afterwards.
@Suite("no secret in any output, log file or catalog row", .serialized)
struct SecretLeakTests {
    static let storagePassword = "StPw-4f9Kq-canary"
    static let osPassword = "OsPw-7hW2x-canary"
    static let urlPassword = "UrlPw-3Jd8r-canary"
    static let catalogPassword = "CatPw-9Vb1m-canary"
    /// storage-sim's ZFSSA session tokens all start with this.
    static let sessionTokenPrefix = "simsession"

    static var secrets: [String] {
        [
            storagePassword, Data("admin:\(storagePassword)".utf8).base64EncodedString(), osPassword, urlPassword,
            catalogPassword, sessionTokenPrefix,
        ]
    }

    /// Collected outputs, to be searched at the end.
    final class Outputs {
        var texts: [(String, String)] = []

        func add(_ what: String, _ result: BuiltProducts.Result) -> BuiltProducts.Result {
            texts.append((what, result.stdout + result.stderr))
            return result
        }
    }

    /// Files that may hold secrets by design: the configuration and credentials files the test wrote, and the
    /// simulated database's own state (its scheduler credential is the database's business, not a log).
    static func isExempt(_ path: String, root: String) -> Bool {
        path.hasSuffix("credentials.cfg") || path.hasSuffix(".cfg.plain") || path == root + "/backup.cfg"
            || path.hasPrefix(root + "/sim-state/")
    }

    /// Every regular file under `directories` containing a secret, with the secret.
    static func leaks(in directories: [String], root: String) -> [String] {
        var found: [String] = []
        for directory in directories {
            guard let walker = FileManager.default.enumerator(atPath: directory) else { continue }
            while let relative = walker.nextObject() as? String {
                let path = directory + "/" + relative
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    !isExempt(path, root: root), let data = FileManager.default.contents(atPath: path)
                else { continue }
                for secret in secrets where data.range(of: Data(secret.utf8)) != nil {
                    found.append("\(path): \(secret)")
                }
            }
        }
        return found
    }

    @Test func secretsNeverReachOutputsLogsSnapshotsOrTheCatalog() async throws {
        let appliance = ApplianceAutorestoreTests()
        let setup = try await appliance.backedUp(
            .zfssa, cycles: 2, password: Self.storagePassword, storageExtra: "authentication: session")
        let environment = setup.environment
        let simulator = setup.simulator
        let outputs = Outputs()
        let catalogFile = environment.root + "/autorestore/log/autorestore-results.sqlite"
        let configured = environment.text(environment.configPath)
        // Backup runs are recorded in the catalog too (with their failure details).
        try configured.replacingOccurrences(of: "[autorestore]\n", with: "[autorestore]\ncatalogfile: \(catalogFile)\n")
            .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let os = ["OSPASSWORD": Self.osPassword]
        try environment.reconnectToProduction()

        // setschedule: success, dry run, and a failure inside the block that carries the password.
        let scheduled = outputs.add(
            "setschedule", try await environment.backup(["orcl", "setschedule"], extraEnvironment: os))
        #expect(scheduled.status == 0, "\(scheduled.stdout)\(scheduled.stderr)")
        let dryScheduled = outputs.add(
            "setschedule dry run",
            try await environment.backup(["--dry-run", "orcl", "setschedule"], extraEnvironment: os))
        #expect(dryScheduled.stdout.contains("password => '****'"), "\(dryScheduled.stdout)")
        try await environment.sim([
            "inject", "fail", "--statement", "create_credential", "--tool", "sqlplus", "--times", "1",
        ])
        let failedSchedule = outputs.add(
            "setschedule failure", try await environment.backup(["orcl", "setschedule"], extraEnvironment: os))
        #expect(failedSchedule.status == 1, "\(failedSchedule.stdout)\(failedSchedule.stderr)")

        // Storage failures whose answers echo the request: headers with the session token and the password.
        try await simulator.addFault(
            #"{"action": "status", "method": "POST", "pathContains": "/snapshots", "status": 500, "echoRequest": true}"#
        )
        let failedBackup = outputs.add(
            "backup with echoing appliance",
            try await environment.backup(["orcl", "imagecopywithsnap"], extraEnvironment: os))
        #expect(failedBackup.status == 1, "\(failedBackup.stdout)\(failedBackup.stderr)")
        #expect(failedBackup.stdout.contains("****"), "the echo reached the message, masked: \(failedBackup.stdout)")
        try await simulator.addFault(
            #"{"action": "status", "method": "POST", "pathContains": "/access/", "status": 401, "echoRequest": true}"#)
        let failedLogin = outputs.add(
            "snapper with a refused log-in", try await environment.snapper(["orcl", "create"]))
        #expect(failedLogin.status == 1, "\(failedLogin.stdout)\(failedLogin.stderr)")
        #expect(outputs.add("snapper list", try await environment.snapper(["orcl", "list"])).status == 0)
        try await simulator.addFault(
            #"{"action": "status", "method": "GET", "pathContains": "/snapshots", "status": 503, "echoRequest": true, "times": 3}"#
        )
        _ = await outputs.add(
            "restore with echoing appliance",
            try RestoreCommandTests().restore(environment, ["orcl", "--list-snapshots"]))
        try await environment.sim(["workload", "orcl", "--transactions", "2", "--seconds-per-transaction", "60"])
        let backedUp = outputs.add(
            "backup", try await environment.backup(["orcl", "imagecopywithsnap"], extraEnvironment: os))
        #expect(backedUp.status == 0, "\(backedUp.stdout)\(backedUp.stderr)")
        try environment.isolateFromProduction()

        // autorestore: a success, then a failure echoing the clone request; both go to the catalog with their logs.
        for path in [environment.root, setup.dataRoot] { try await BuiltProducts.grantUnprivilegedAccess(to: path) }
        let restored = await outputs.add("autorestore", try appliance.autorestore(setup))
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        try await simulator.addFault(
            #"{"action": "status", "method": "PUT", "pathContains": "/clone", "status": 500, "echoRequest": true}"#)
        let failedRestore = await outputs.add("autorestore with echoing appliance", try appliance.autorestore(setup))
        #expect(failedRestore.status == 1, "\(failedRestore.stdout)\(failedRestore.stderr)")

        // Configuration errors and reports: a broken credentials file, a password in the URL, passwords in
        // connect strings and the catalog URL.
        _ = outputs.add("showconfig", try await environment.backup(["orcl", "showconfig"]))
        let credentialsFile = environment.root + "/zfscredentials.cfg"
        let credentials = environment.text(credentialsFile)
        _ = FileManager.default.createFile(
            atPath: credentialsFile,
            contents: Data("[zfscredentials]\nzfsuser: admin\nzfspassword \(Self.storagePassword)\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let broken = outputs.add("checkconfig, broken credentials file", try await environment.backup(["checkconfig"]))
        #expect(broken.status == 2, "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stderr.contains("\(credentialsFile):3: "), "file and line: \(broken.stderr)")
        _ = outputs.add("snapper, broken credentials file", try await environment.snapper(["orcl", "list"]))
        _ = FileManager.default.createFile(
            atPath: credentialsFile, contents: Data(credentials.utf8), attributes: [.posixPermissions: 0o600])
        let withSecrets = environment.text(environment.configPath)
            .replacingOccurrences(of: "://127.0.0.1:", with: "://admin:\(Self.urlPassword)@127.0.0.1:")
            .replacingOccurrences(of: "catalog: /@rman", with: "catalog: rman/\(Self.catalogPassword)@rman")
            .replacingOccurrences(
                of: "[autorestore]\n",
                with: "[autorestore]\nautorestorecatalog: ar/\(Self.catalogPassword)@autorestore\n")
        try withSecrets.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let userinfo = outputs.add("checkconfig, password in the URL", try await environment.backup(["checkconfig"]))
        #expect(userinfo.status == 2, "\(userinfo.stdout)\(userinfo.stderr)")
        #expect(userinfo.stderr.contains("[zfssa] url"), "\(userinfo.stderr)")
        for tool in [["orcl", "list"], ["orcl", "create"]] {
            _ = outputs.add("snapper \(tool), password in the URL", try await environment.snapper(tool))
        }
        _ = outputs.add(
            "showconfig, passwords in URL and connect strings", try await environment.backup(["orcl", "showconfig"]))
        try withSecrets.replacingOccurrences(of: "admin:\(Self.urlPassword)@", with: "")
            .replacingOccurrences(
                of: "catalogfile: \(catalogFile)",
                with:
                    "catalogurl: postgres://cat:\(Self.catalogPassword)@127.0.0.1:1/results\nautorestorecatalogtype: postgres"
            )
            .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        _ = outputs.add("showconfig, catalog URL", try await environment.backup(["orcl", "showconfig"]))
        let current = environment.text(environment.configPath)
        try current.replacingOccurrences(of: "[orcl]\n", with: "[orcl]\nregistercatalog: TRUE\n")
            .write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let dryRun = outputs.add(
            "backup dry run",
            try await environment.backup(["--dry-run", "orcl", "imagecopywithsnap"], extraEnvironment: os))
        #expect(dryRun.stdout.contains("CONNECT CATALOG rman/****@rman"), "\(dryRun.stdout)\(dryRun.stderr)")
        try current.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        try environment.reconnectToProduction()
        try await Task.sleep(for: .milliseconds(1100))
        let unrecorded = outputs.add(
            "backup with unreachable catalog",
            try await environment.backup(["orcl", "imagecopywithsnap"], extraEnvironment: os))
        // The backup itself works; recording it fails, and retention fails closed on the unreadable catalog.
        #expect(
            unrecorded.status == 1 && unrecorded.stdout.contains("Recording the backup run")
                && (unrecorded.stdout + unrecorded.stderr).contains("cannot be read"),
            "\(unrecorded.stdout)\(unrecorded.stderr)")

        for (what, text) in outputs.texts {
            for secret in Self.secrets {
                #expect(!text.contains(secret), "\(what) shows a secret (\(secret)):\n\(text)")
            }
        }
        let files = Self.leaks(in: [environment.root, setup.dataRoot], root: environment.root)
        #expect(files.isEmpty, "files with secrets: \(files)")
        let catalog = try SQLiteResultCatalog(path: catalogFile)
        let restores = try await catalog.restores(database: "orcl", limit: 20).map(\.record)
        let backups = try await catalog.backups(database: "orcl", limit: 20).map(\.record)
        #expect(restores.count >= 2 && backups.contains { !$0.success }, "\(restores.count) restores, \(backups)")
        let rows = restores.map { "\($0.failureDetail ?? "") \($0.logText)" } + backups.map { $0.failureDetail ?? "" }
        for row in rows {
            for secret in Self.secrets { #expect(!row.contains(secret), "a catalog row shows \(secret): \(row)") }
        }
    }
}
