import Foundation
import Testing

/// The built `backup` binary against oracle-sim and the localfs driver: the whole backup side of the product.
@Suite("backup end to end (oracle-sim + localfs)", .serialized)
struct BackupFlowTests {
    func prepared(databaseExtra: String = "") async throws -> OracleEnvironment {
        let environment = try OracleEnvironment(databaseExtra: databaseExtra)
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        return environment
    }

    @Test func configThenThreeBackupsMakeRestorableSnapshots() async throws {
        let environment = try await prepared()
        let config = try await environment.backup(["orcl", "config"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        #expect(FileManager.default.fileExists(atPath: environment.backupArea + "/archivelog"))
        #expect(
            environment.latestLog("config").containsInOrder([
                "INFO     orcl            Configuration file: \(environment.configPath)",
                "INFO     orcl            Running RMAN configuration",
                "CONFIGURE RETENTION POLICY TO RECOVERY WINDOW OF 2 DAYS",
                "INFO     orcl            Running additional configuration from SQL*Plus",
            ]))

        var snapshotNames: [String] = []
        for cycle in 1...3 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))  // snapshot names have one-second resolution
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "cycle \(cycle): \(run.stdout)\(run.stderr)")
            let log = environment.latestLog("imagecopywithsnap")
            #expect(
                log.containsInOrder([
                    "Check if there are missing archivelogs", "Switch current log", "Snap the current backup area",
                    "Created snapshot: orcl-", "Checking for expired datafile copies", "Refresh imagecopy",
                    "Clean expired snapshots", "Dump additional information about the environment to the log file",
                    "Write database parameters for autorestore", "------------ TOTAL ------------",
                ]), "cycle \(cycle) log:\n\(log)")
            if let line = log.split(separator: "\n").first(where: { $0.contains("Created snapshot: ") }) {
                snapshotNames.append(String(line.split(separator: " ").last!))
            }
            #expect(!FileManager.default.fileExists(atPath: environment.backupArea + "/backup.lck"))
        }
        #expect(snapshotNames.count == 3)

        // The live area: image copies, the controlfile backup, archived logs, the restore contract.
        let area = environment.contents(environment.backupArea)
        #expect(area.contains { $0.hasPrefix("data_D-ORCL_I-1433672784_TS-") })
        #expect(area.contains("after_backup_controlfile.cf"))
        #expect(area.contains("autorestore.cfg"))
        #expect(!environment.contents(environment.backupArea + "/archivelog").isEmpty)
        let parameters = environment.text(environment.backupArea + "/autorestore.cfg")
        #expect(parameters.hasPrefix("[dbparams]\ndb_name: orcl") || parameters.contains("db_name: orcl"))
        #expect(!parameters.contains("lasttime"))  // rewritten after the refresh

        // Each snapshot: the first has no restore contract; later ones record the pre-snapshot switch once.
        let snapshots = environment.backupRoot + "/.snapshots/orcl/"
        #expect(!FileManager.default.fileExists(atPath: snapshots + snapshotNames[0] + "/autorestore.cfg"))
        for name in snapshotNames.dropFirst() {
            let contract = environment.text(snapshots + name + "/autorestore.cfg")
            #expect(contract.components(separatedBy: "lasttime: ").count == 2, "\(name): \(contract)")
            #expect(contract.contains("db_name: orcl"))
            #expect(environment.contents(snapshots + name).contains("after_backup_controlfile.cf"))
            #expect(!environment.contents(snapshots + name + "/archivelog").isEmpty)
        }

        // snapper-style listing through the built tool is covered elsewhere; retention kept all three here.
        #expect(environment.contents(snapshots).filter { !$0.hasSuffix(".json") }.count == 3)
    }

    @Test func failedLogSwitchFailsTheRunReleasesTheLockAndTakesNoSnapshot() async throws {
        let environment = try await prepared()
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        try await environment.sim([
            "inject", "fail", "--statement", "alter system archive log current", "--tool", "sqlplus",
        ])
        let run = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(run.status == 1)
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("SQL*Plus exited with code"))
        #expect(log.contains("ERROR    orcl            imagecopywithsnap failed"))
        #expect(!log.contains("Snap the current backup area"))
        #expect(!FileManager.default.fileExists(atPath: environment.backupArea + "/backup.lck"))
        #expect(environment.contents(environment.backupRoot + "/.snapshots/orcl").isEmpty)
    }

    @Test func dryRunPrintsScriptsAndChangesNothing() async throws {
        let environment = try await prepared()
        let before = environment.contents(environment.backupArea)
        let run = try await environment.backup(["--dry-run", "orcl", "imagecopywithsnap"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.containsInOrder([
                "--- SQL*Plus script", "BACKUP force as copy", "--- SQL*Plus script", "CURRENT DATABASE TIME",
                "--- storage (localfs) ---\ncreate snapshot orcl-", "DELETECOPY", "--- RMAN script",
                "recover copy of database with tag 'image_copy_backup'", "--- retention plan",
                "dbconfig-",
            ]), "\(run.stdout)")
        #expect(environment.contents(environment.backupArea) == before)
    }

    @Test func setscheduleNeverLeaksThePassword() async throws {
        let environment = try await prepared()
        let missing = try await environment.backup(["orcl", "setschedule"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("Environment variable OSPASSWORD must be set."))
        let secret = "Zq9-Very-Secret-OS-pw"
        try FileManager.default.createDirectory(atPath: environment.backupArea, withIntermediateDirectories: true)
        let run = try await environment.backup(["orcl", "setschedule"], extraEnvironment: ["OSPASSWORD": secret])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
        // Search every file the run (and the simulator) wrote.
        let enumerator = FileManager.default.enumerator(atPath: environment.root)
        var searched = 0
        while let relative = enumerator?.nextObject() as? String {
            let path = environment.root + "/" + relative
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            searched += 1
            #expect(!String(decoding: data, as: UTF8.self).contains(secret), "password found in \(relative)")
        }
        #expect(searched > 0)
        let state = try await environment.sim(["inspect", "orcl"]).stdout
        #expect(state.contains("BACKUPEXEC") || state.contains("IMAGECOPY_JOB"), "\(state)")
    }

    @Test func requireMountRefusesAnUnmarkedLocalDirectory() async throws {
        let environment = try OracleEnvironment(extraConfig: "requiremount: TRUE")
        let run = try await environment.backup(["orcl", "config"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains(
                "is on the root file system (/), not on mounted backup storage, and not marked with .oib-backup-area"),
            "\(run.stderr)")
        #expect(run.stderr.contains("requiremount"))
        #expect(environment.contents(environment.backupArea).isEmpty)
    }

    @Test func allRunsEveryDatabaseAndReportsTheWorst() async throws {
        let environment = try await prepared()
        // The database's area exists (with requiremount FALSE a missing one is refused by all but `config`).
        try FileManager.default.createDirectory(atPath: environment.backupArea, withIntermediateDirectories: true)
        // No backup yet: the recipe would lack the parameters the backup records, so the run fails and says why.
        let run = try await environment.backup(["--all", "generaterestore"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("--- DATABASE: orcl ---"))
        #expect(run.stdout.contains("Summary of generaterestore:"))
        #expect(run.stdout.contains("no completed imagecopywithsnap"), "\(run.stdout)")
        let bad = try await environment.backup(["--all", "config", "--exclude", "nosuchdb"])
        #expect(bad.status == 2)
    }
}
