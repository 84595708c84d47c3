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
