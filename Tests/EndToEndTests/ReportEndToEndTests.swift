import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing

/// `report` and `autorestore --check` over a history made by the real flows: three `backup imagecopywithsnap` runs
/// against oracle-sim on localfs and one `autorestore`, all recorded in a SQLite catalog by the tools themselves.
@Suite("report after real backups and an autorestore (oracle-sim + localfs + SQLite)", .serialized)
struct ReportEndToEndTests {
    @Test func reportAndCheckShowTheRecordedHistory() async throws {
        let flows = AutorestoreFlowTests()
        let environment = try await flows.backedUp(
            databaseExtra: "autorestorecatalogfile: CATALOG",
            beforeBackup: { environment, cycle in
                guard cycle == 0 else { return }
                let catalogPath = environment.root + "/results.sqlite"
                let config = environment.text(environment.configPath).replacingOccurrences(
                    of: "CATALOG", with: catalogPath)
                try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
                try await SQLiteResultCatalog(path: catalogPath).prepare()
            })
        let catalogPath = environment.root + "/results.sqlite"
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let restore = try await flows.autorestore(environment)
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")

        let catalog = try SQLiteResultCatalog(path: catalogPath, readOnly: true)
        let restores = try await catalog.restores(database: "orcl", limit: 5).map(\.record)
        let backups = try await catalog.backups(database: "orcl", limit: 5).map(\.record)
        try #require(restores.count == 1 && backups.count == 3)
        let snapshots = environment.contents(environment.backupRoot + "/.snapshots/orcl").filter {
            !$0.hasSuffix(".json")
        }.sorted()
        #expect(snapshots.count == 3)

        let json = try await BuiltProducts.run("report", ["--config", environment.configPath, "--json", "orcl"])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["schemaVersion"] as? Int == 1)
        let orcl = try #require((document["databases"] as? [[String: Any]])?.first)
        #expect(orcl["name"] as? String == "orcl")
        #expect(orcl["status"] as? String == "ok", "\(orcl["problems"] ?? "")")
        let storage = try #require(orcl["storage"] as? [String: Any])
        #expect(storage["reachable"] as? Bool == true)
        #expect(storage["snapshotCount"] as? Int == 3)
        #expect((storage["newest"] as? [String: Any])?["id"] as? String == snapshots.last)
        #expect((storage["oldest"] as? [String: Any])?["id"] as? String == snapshots.first)
        let lastBackup = try #require(orcl["lastBackup"] as? [String: Any])
        #expect(lastBackup["action"] as? String == "imagecopywithsnap")
        #expect(lastBackup["success"] as? Bool == true)
        #expect(lastBackup["snapshotID"] as? String == backups[0].snapshotID)
        #expect(backups[0].snapshotID == snapshots.last)
        let durationSeconds = try #require(lastBackup["durationSeconds"] as? Double)
        #expect(abs(durationSeconds - backups[0].durationSeconds) < 0.001)
        let lastRestore = try #require(orcl["lastAutorestore"] as? [String: Any])
        #expect(lastRestore["success"] as? Bool == true)
        #expect(lastRestore["snapshotID"] as? String == restores[0].snapshotID)
        #expect(lastRestore["validated"] as? Bool == false)
        #expect(lastRestore["timeDifferenceSeconds"] as? Int == restores[0].timeDifferenceSeconds)
        #expect((orcl["restoreTrend"] as? [Any])?.count == 1)
        let catalogReport = try #require(orcl["catalog"] as? [String: Any])
        #expect(catalogReport["backend"] as? String == "sqlite" && catalogReport["location"] as? String == catalogPath)

        let text = try await BuiltProducts.run("report", ["--config", environment.configPath])
        #expect(text.status == 0)
        let row = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("orcl ") })
        #expect(row.contains(" OK ") && row.contains(snapshots.count.description))

        let check = try await BuiltProducts.run(
            "autorestore", ["--config", environment.configPath, "--check", "orcl"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.hasPrefix("OK: orcl: last autorestore succeeded at "))
    }
}
