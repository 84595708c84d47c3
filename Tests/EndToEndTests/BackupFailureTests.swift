import Foundation
import Testing

/// Failure injected at every step of `imagecopywithsnap`: the run fails with exit 1, the lock is released,
/// nothing from earlier backups is deleted, autorestore.cfg is not truncated, and the log names the cause.
@Suite("backup failures at every step (oracle-sim + localfs)", .serialized)
struct BackupFailureTests {
    struct Injection: Sendable, CustomStringConvertible {
        var step: String
        var statement: String?
        var tool: String?
        var logMentions: String
        var description: String { step }
    }

    static let injections: [Injection] = [
        Injection(
            step: "missing archivelog query", statement: "'BACKUP force as copy archivelog sequence '",
            tool: "sqlplus", logMentions: "SQL*Plus exited with code"),
        Injection(
            step: "log switch", statement: "alter system archive log current", tool: "sqlplus",
            logMentions: "SQL*Plus exited with code"),
        Injection(
            step: "expired copies query", statement: "'DELETECOPY: delete noprompt datafilecopy '",
            tool: "sqlplus", logMentions: "SQL*Plus exited with code"),
        Injection(
            step: "refresh", statement: "recover copy of database", tool: "rman",
            logMentions: "RMAN execution failed with code"),
        Injection(
            step: "controlfile backup", statement: "backup current controlfile", tool: "rman",
            logMentions: "RMAN execution failed with code"),
        Injection(
            step: "parameter query", statement: "'dbconfig-'", tool: "sqlplus",
            logMentions: "SQL*Plus exited with code"),
        Injection(step: "snapshot", statement: nil, tool: nil, logMentions: "createSnapshot"),
    ]

    @Test(arguments: injections)
    func failureLeavesEverythingInPlace(injection: Injection) async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "3"])
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await environment.backup(["orcl", "imagecopywithsnap"]).status == 0)
        }
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        let snapshotsBefore = environment.contents(snapshots)
        let copiesBefore = environment.contents(environment.backupArea).filter { $0.hasPrefix("data_D-") }
        let contractBefore = environment.text(environment.backupArea + "/autorestore.cfg")
        #expect(contractBefore.contains("db_name: orcl"))

        if let statement = injection.statement {
            try await environment.sim(["inject", "fail", "--statement", statement, "--tool", injection.tool!])
        } else {
            // The storage cannot create the next snapshot: every name it may choose in the next seconds is taken
            // by a file.
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMdd'T'HHmmss"
            for offset in 0..<8 {
                let name = "orcl-" + formatter.string(from: Date().addingTimeInterval(Double(offset)))
                if FileManager.default.fileExists(atPath: snapshots + "/" + name) { continue }
                try "in the way".write(toFile: snapshots + "/" + name, atomically: true, encoding: .utf8)
            }
        }
        if injection.statement != nil { try await Task.sleep(for: .milliseconds(1100)) }
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 1, "\(injection): \(run.stdout)\(run.stderr)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("ERROR    orcl            imagecopywithsnap failed"), "\(injection): \(log)")
        #expect(log.contains(injection.logMentions), "\(injection)")
        #expect(environment.contents(environment.backupArea).filter { $0.hasSuffix(".lck") }.isEmpty)
        #expect(
            Set(snapshotsBefore).isSubset(of: environment.contents(snapshots)), "\(injection): a snapshot was deleted")
        let copiesAfter = environment.contents(environment.backupArea).filter { $0.hasPrefix("data_D-") }
        #expect(copiesAfter.count >= copiesBefore.count, "\(injection): image copies were deleted")
        let contractAfter = environment.text(environment.backupArea + "/autorestore.cfg")
        #expect(contractAfter.contains("db_name: orcl"), "\(injection): autorestore.cfg was truncated")
    }

    @Test func hangingStepTimesOutAndReleasesTheLock() async throws {
        let environment = try OracleEnvironment(extraConfig: "timeoutsqlplus: 2")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        try await environment.sim([
            "inject", "hang", "--statement", "alter system archive log current", "--tool", "sqlplus",
            "--seconds", "60",
        ])
        let started = Date()
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 1)
        #expect(Date().timeIntervalSince(started) < 50)
        #expect(environment.latestLog("imagecopywithsnap").contains("did not finish within 2 seconds (timeoutsqlplus)"))
        #expect(environment.contents(environment.backupArea).filter { $0.hasSuffix(".lck") }.isEmpty)
    }

    @Test func missingOPatchIsOnlyAWarning() async throws {
        let environment = try OracleEnvironment()
        try FileManager.default.removeItem(atPath: environment.oracleHome + "/OPatch/opatch")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(
            environment.latestLog("imagecopywithsnap").contains(
                "WARNING  orcl            \(environment.oracleHome)/OPatch/opatch not found"))
    }
}

/// Data Guard, RMAN catalog, CDB and btrfs variants of the backup side.
@Suite("backup variants (oracle-sim)", .serialized)
struct BackupVariantTests {
    @Test func dataGuardUsesThePrimaryForTheLogSwitchAndTheStandbyPolicy() async throws {
        let environment = try OracleEnvironment(databaseExtra: "hasdataguard: TRUE\nprimarytns: orclprim")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        let run = try await environment.backup(["--dry-run", "orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.containsInOrder([
                "conn /@orclprim as sysdba", "CURRENT DATABASE TIME", "alter system archive log current",
            ]))
        let config = try await environment.backup(["--dry-run", "orcl", "config"])
        #expect(config.stdout.contains("CONFIGURE ARCHIVELOG DELETION POLICY TO APPLIED ON ALL STANDBY;"))
    }

    @Test func rmanCatalogIsRegisteredAndConnected() async throws {
        let environment = try OracleEnvironment(databaseExtra: "registercatalog: TRUE")
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001", "--catalog"])
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        let log = environment.latestLog("config")
        #expect(log.contains("Checking from RMAN catalog if database is already registered"))
        #expect(log.contains("REGISTER DATABASE"))
        let report = try await environment.backup(["--dry-run", "orcl", "report"])
        #expect(report.stdout.containsInOrder(["CONNECT CATALOG /@rman", "RESYNC CATALOG;", "REPORT NEED BACKUP"]))
    }

    @Test func cdbSchedulerObjectsGetTheCommonUserPrefix() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--cdb", "--host", "backup"])
        try FileManager.default.createDirectory(atPath: environment.backupArea, withIntermediateDirectories: true)
        let run = try await environment.backup(["orcl", "setschedule"], extraEnvironment: ["OSPASSWORD": "pw-12345"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let state = try await environment.sim(["inspect", "orcl"]).stdout
        #expect(state.contains("C##BACKUPEXEC"), "\(state.prefix(2000))")
    }

    @Test(
        .enabled(if: btrfsRoot != nil, "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root to loop-mount a btrfs"))
    func threeBackupsOnBtrfs() async throws {
        let root = btrfsRoot! + "/backup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let environment = try OracleEnvironment(driver: "btrfs", backupRoot: root)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        #expect(
            try await BuiltProducts.run("snapper", ["orcl", "volume", "create"], environment: environment.environment)
                .status
                == 0)
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<3 {
            try await environment.sim(["workload", "orcl", "--transactions", "3"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let list = try await BuiltProducts.run("snapper", ["orcl", "list"], environment: environment.environment)
        #expect(list.stdout.split(separator: "\n").count == 3, "\(list.stdout)")
        let newest = try #require(environment.contents(root + "/.snapshots/orcl").last)
        #expect(environment.text(root + "/.snapshots/orcl/" + newest + "/autorestore.cfg").contains("lasttime: "))
    }
}

/// Retention inside `imagecopywithsnap`: decisions of the policy, applied after a complete listing.
@Suite("backup retention step (oracle-sim + localfs)", .serialized)
struct BackupRetentionTests {
    @Test func oldSnapshotsAreDroppedAndTheNewestKept() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await environment.backup(["orcl", "imagecopywithsnap"]).status == 0)
        }
        // Age the first snapshot to 200 days: beyond snapexpirationdays (31) and the monthly window (6 × 31 days).
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        let first = try #require(environment.contents(snapshots).first { $0.hasSuffix(".json") })
        let metadata = environment.text(snapshots + "/" + first)
        let formatter = ISO8601DateFormatter()
        let old = formatter.string(from: Date().addingTimeInterval(-200 * 86_400))
        let aged = metadata.replacingOccurrences(
            of: #""creation" : "[^"]+""#, with: "\"creation\" : \"\(old)\"", options: .regularExpression)
        try aged.write(toFile: snapshots + "/" + first, atomically: true, encoding: .utf8)
        let firstName = String(first.dropLast(".json".count))

        try await Task.sleep(for: .milliseconds(1100))
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("\(firstName) ["), "\(log)")
        #expect(log.split(separator: "\n").contains { $0.contains(firstName) && $0.contains(" dropped") })
        #expect(!FileManager.default.fileExists(atPath: snapshots + "/" + firstName))
        // The second snapshot and the new one are kept.
        #expect(environment.contents(snapshots).filter { !$0.hasSuffix(".json") }.count == 2)
    }
}
