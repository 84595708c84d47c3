import Foundation
import Testing

/// Where the btrfs fixture mounted a scratch btrfs (Scripts/fixtures.sh, as root).
/// Set by Scripts/fixtures-postgres.sh (a throw-away server on 127.0.0.1).
let postgresURL = ProcessInfo.processInfo.environment["OIB_POSTGRES_URL"]

let btrfsRoot = ProcessInfo.processInfo.environment["OIB_BTRFS_ROOT"]

/// The built `snapper` binary on the local drivers: every action, output formats, exit codes, refusals.
struct SnapperScenario {
    let environment: OracleEnvironment

    init(driver: String, backupRoot: String? = nil) throws {
        environment = try OracleEnvironment(
            driver: driver, backupRoot: backupRoot,
            databaseExtra: "\n[newdb]\ndbid: 42\nrecoverywindow: 1\nparallel: 1\nsnapexpirationdays: 1\n")
    }

    func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
        try await BuiltProducts.run("snapper", arguments, environment: environment.environment)
    }

    func run() async throws {
        let area = environment.backupArea
        try FileManager.default.createDirectory(atPath: area, withIntermediateDirectories: true)
        try "datafile copy".write(toFile: area + "/data_D-ORCL_I-1_TS-USERS_FNO-4_x", atomically: true, encoding: .utf8)

        // No snapshots yet: Nagios CRITICAL.
        let empty = try await snapper(["orcl", "checkage"])
        #expect(empty.status == 2, "\(empty.stdout)\(empty.stderr)")
        #expect(empty.stdout.hasPrefix("CRITICAL: "))

        var names: [String] = []
        for _ in 0..<2 {
            let created = try await snapper(["orcl", "create"])
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout.hasPrefix("Snapshot created: orcl-"))
            names.append(
                String(created.stdout.dropFirst("Snapshot created: ".count)).trimmingCharacters(
                    in: .whitespacesAndNewlines))
            try await Task.sleep(for: .milliseconds(1100))
        }
        let list = try await snapper(["orcl", "list"])
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let pattern = #/^orcl-\d{8}T\d{6} \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] total=\S+ unique=\S+ clones=0$/#
        #expect(lines.allSatisfy { $0.wholeMatch(of: pattern) != nil }, "\(lines)")
        let json = try await snapper(["--json", "orcl", "list"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.count == 2)

        let age = try await snapper(["orcl", "checkage"])
        #expect(age.status == 0, "\(age.stdout)")
        // The snapshot was taken during this test: minutes at most, however busy the machine is.
        #expect(age.stdout.hasPrefix("OK: The latest snapshot age 0:"))
        let seconds = age.stdout.firstMatch(of: #/\|age=(\d+)s;/#).flatMap { Int($0.1) }
        #expect(seconds.map { $0 < 600 } == true, "\(age.stdout)")

        // Clone the first snapshot; it can then not be dropped by hand.
        let clone = try await snapper(["orcl", "clone", names[0]])
        #expect(clone.status == 0, "\(clone.stderr)")
        #expect(clone.stdout.hasPrefix("Clone created.\nClone name: \(names[0])_clone_"))
        let cloneName = String(clone.stdout.split(separator: "\n")[1].dropFirst("Clone name: ".count))
        let clones = try await snapper(["orcl", "listclones"])
        #expect(clones.stdout.hasPrefix("\(cloneName) [\(names[0])] [mount point: "), "\(clones.stdout)")
        let refused = try await snapper(["orcl", "dropsnap", names[0]])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing to drop snapshot"))

        // Never drop what is not ours: a plain directory named like a clone, and another database's clone.
        let lookAlike = environment.backupRoot + "/.clones/impostor"
        try FileManager.default.createDirectory(atPath: lookAlike, withIntermediateDirectories: true)
        let foreign = try await snapper(["orcl", "dropclone", "impostor"])
        #expect(foreign.status == 1)
        #expect(FileManager.default.fileExists(atPath: lookAlike))
        let otherDatabase = try await snapper(["newdb", "dropclone", cloneName])
        #expect(otherDatabase.status != 0)
        #expect(try await snapper(["orcl", "listclones"]).stdout.contains(cloneName))

        let dropped = try await snapper(["orcl", "dropclone", cloneName])
        #expect(dropped.status == 0)
        #expect(dropped.stdout == "Clone dropped.\n")

        // autoclone / dropautoclone use [autorestore].
        let auto = try await snapper(["orcl", "autoclone"])
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stdout.contains("Snapshot: \(names[1])"))
        #expect(try await snapper(["orcl", "listclones"]).stdout.hasPrefix("autorestore [\(names[1])]"))
        #expect(try await snapper(["orcl", "dropautoclone"]).status == 0)

        // Retention: a dry run explains; the real run keeps young snapshots.
        let plan = try await snapper(["orcl", "clean", "--dry-run"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("Retention plan"))
        let clean = try await snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.split(separator: "\n").allSatisfy { $0.contains(" valid") })

        // Manual drop of an unprotected snapshot.
        let drop = try await snapper(["orcl", "dropsnap", names[1]])
        #expect(drop.status == 0, "\(drop.stderr)")
        #expect(try await snapper(["orcl", "list"]).stdout.split(separator: "\n").count == 1)
        #expect(try await snapper(["orcl", "dropsnap", "orcl-19990101T000000"]).status == 1)

        // zvolume: a new database area.
        let volume = try await snapper(["newdb", "volume", "create"])
        #expect(volume.status == 0, "\(volume.stderr)")
        #expect(FileManager.default.fileExists(atPath: environment.backupRoot + "/newdb"))
    }
}

@Suite("snapper (built binary)", .serialized)
struct SnapperCommandTests {
    @Test func everyActionOnLocalfs() async throws {
        try await SnapperScenario(driver: "localfs").run()
    }

    @Test(
        .enabled(if: btrfsRoot != nil, "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root to loop-mount a btrfs"))
    func everyActionOnBtrfs() async throws {
        let root = btrfsRoot! + "/snapper-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let scenario = try SnapperScenario(driver: "btrfs", backupRoot: root)
        // The backup area of a btrfs database is a subvolume.
        let created = try await scenario.snapper(["orcl", "volume", "create"])
        #expect(created.status == 0, "\(created.stderr)")
        try await scenario.run()
    }

    @Test func checkageThresholdsAndUnknown() async throws {
        let scenario = try SnapperScenario(driver: "localfs")
        try FileManager.default.createDirectory(
            atPath: scenario.environment.backupArea, withIntermediateDirectories: true)
        #expect(try await scenario.snapper(["orcl", "create"]).status == 0)
        var config = scenario.environment.text(scenario.environment.configPath)
        config = config.replacingOccurrences(
            of: "warningsnapage: 26\ncriticalsnapage: 50",
            with: "warningsnapage: 0\ncriticalsnapage: 50")
        try config.write(toFile: scenario.environment.configPath, atomically: true, encoding: .utf8)
        let warning = try await scenario.snapper(["orcl", "checkage"])
        #expect(warning.status == 1)
        #expect(warning.stdout.hasPrefix("WARNING: "))
        config = config.replacingOccurrences(of: "criticalsnapage: 50", with: "criticalsnapage: 0")
        try config.write(toFile: scenario.environment.configPath, atomically: true, encoding: .utf8)
        #expect(try await scenario.snapper(["orcl", "checkage"]).status == 2)
        let unknown = try await BuiltProducts.run("snapper", ["--config", "/nonexistent.cfg", "orcl", "checkage"])
        #expect(unknown.status == 3)
        // Nagios/NRPE read standard output only: every status line is there, UNKNOWN included.
        #expect(unknown.stdout.hasPrefix("UNKNOWN: "), "stdout: \(unknown.stdout) stderr: \(unknown.stderr)")
        #expect(unknown.stdout.contains("/nonexistent.cfg"))
        let undefined = try await scenario.snapper(["nosuchdb", "checkage"])
        #expect(undefined.status == 3)
        #expect(undefined.stdout.hasPrefix("UNKNOWN: "), "stdout: \(undefined.stdout) stderr: \(undefined.stderr)")
        config = config.replacingOccurrences(of: "warningsnapage: 0\n", with: "")
        try config.write(toFile: scenario.environment.configPath, atomically: true, encoding: .utf8)
        let unset = try await scenario.snapper(["orcl", "checkage"])
        #expect(unset.status == 3)
        #expect(unset.stdout.hasPrefix("UNKNOWN: "), "stdout: \(unset.stdout) stderr: \(unset.stderr)")
        #expect(unset.stdout.contains("warningsnapage"))
    }

    @Test func usageErrorsExit2() async throws {
        for arguments in [
            ["orcl"], ["orcl", "bogus"], ["orcl", "clone"], ["orcl", "list", "extra"],
            ["orcl", "volume", "delete"], ["--dry-run", "orcl", "list"],
        ] {
            let result = try await BuiltProducts.run("snapper", arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("Usage: snapper"), "\(arguments)")
        }
    }
}
