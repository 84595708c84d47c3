import Foundation
import Testing

/// `oracle-sim inject archive-dest-error` and the backup's recoverability queries (`archivelogsnapshotcheck`,
/// `datafilesnotonline`).
@Suite("Archive destination errors and the backup's recoverability queries")
struct ArchiveDestinationFaultTests {
    @Test("a failing optional destination skips the switched log there, keeps the error, and archives again later")
    func failingBackupAreaDestination() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        let archive = flows.harness.backupDestination + "/archivelog"
        // A directory that is no archive destination is refused.
        let unknown = try await flows.harness.admin([
            "inject", "archive-dest-error", "--db", "orcl", "--destination", flows.harness.root.path + "/nowhere",
        ])
        #expect(unknown.exitCode != 0)
        #expect(unknown.output.contains("has no enabled archive destination LOCATION="), "\(unknown.output)")
        for times in ["x", "0"] {
            let refused = try await flows.harness.admin([
                "inject", "archive-dest-error", "--db", "orcl", "--destination", archive, "--times", times,
            ])
            #expect(refused.exitCode != 0, "--times \(times): \(refused.output)")
        }
        let injected = try await flows.harness.admin([
            "inject", "archive-dest-error", "--db", "orcl", "--destination", archive + "/",
        ])
        #expect(injected.exitCode == 0, "\(injected.output)")

        let sequence = 1
        try await flows.harness.admin(["workload", "orcl", "--transactions", "2", "--switch-logfile"])
        let state = try await flows.harness.admin(["inspect", "orcl"]).output
        #expect(state.contains("ORA-19504: failed to create file \\\"\(archive)/1_\(sequence)_"), "\(state)")
        #expect(state.contains("ORA-27040: file create error, unable to create file"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? []).isEmpty)
        // The recovery area has it, the backup area does not: archivelogmissing lists it, and the check too.
        let missing = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogmissing"]))
        #expect(missing.output.contains("BACKUP force as copy archivelog sequence \(sequence) thread 1;"))
        let check = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogsnapshotcheck"]))
        #expect(!check.output.contains("ARCHIVELOG IN BACKUP AREA: 1 \(sequence) "), "\(check.output)")

        // The next switch archives to both again and the destination is no longer in error.
        try await flows.harness.admin(["workload", "orcl", "--transactions", "2", "--switch-logfile"])
        let after = try await flows.harness.admin(["inspect", "orcl"]).output
        #expect(!after.contains("ORA-19504"))
        let listed = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogsnapshotcheck"]))
        #expect(listed.output.contains("ARCHIVELOG IN BACKUP AREA: 1 \(sequence + 1) \(archive)/1_\(sequence + 1)_"))
        // No image copy yet: no log is needed.
        #expect(!listed.output.contains("ARCHIVELOG NEEDED:"), "\(listed.output)")
    }

    @Test("a needed log deleted from every destination is still listed as needed, and not as in the backup area")
    func neededLogDeletedEverywhere() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        _ = try await flows.backupRun(snapshotName: "first")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "2", "--switch-logfile"])
        let before = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogsnapshotcheck"]))
        let needed = before.output.split(separator: "\n").filter { $0.hasPrefix("ARCHIVELOG NEEDED: ") }
        #expect(!needed.isEmpty, "\(before.output)")
        // Another job deletes every archived log, in every destination (RMAN marks the records deleted).
        let deleted = try await flows.harness.rman(
            try flows.rmanScript("delete noprompt force archivelog until time 'sysdate-0';"), log: "/dev/null")
        #expect(deleted.exitCode == 0, "\(deleted.output)")
        let after = try await flows.harness.sqlplus(try flows.sqlplusScript(["archivelogsnapshotcheck"]))
        for line in needed { #expect(after.output.contains(line), "\(after.output)") }
        // Thread and sequence of the needed logs that have no live copy in the backup area: the check's findings.
        func sequences(_ prefix: String) -> Set<String> {
            Set(
                after.output.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map {
                    $0.dropFirst(prefix.count).split(separator: " ").prefix(2).joined(separator: " ")
                })
        }
        let missing = sequences("ARCHIVELOG NEEDED: ").subtracting(sequences("ARCHIVELOG IN BACKUP AREA: "))
        #expect(!missing.isEmpty, "the deleted logs are needed and gone: \(after.output)")
    }

    @Test("datafilesnotonline lists the files v$datafile does not show ONLINE or SYSTEM")
    func datafilesNotOnline() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        let none = try await flows.harness.sqlplus(try flows.sqlplusScript(["datafilesnotonline"]))
        #expect(!none.output.contains("DATAFILE NOT ONLINE:"), "\(none.output)")
        try await flows.harness.admin(["workload", "orcl", "--offline-datafile", "4"])
        let offline = try await flows.harness.sqlplus(try flows.sqlplusScript(["datafilesnotonline"]))
        #expect(offline.output.contains("DATAFILE NOT ONLINE: 4 OFFLINE /"), "\(offline.output)")
        #expect(!offline.output.contains("DATAFILE NOT ONLINE: 1 "))
    }
}
