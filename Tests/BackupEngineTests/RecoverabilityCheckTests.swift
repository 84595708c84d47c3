import BackupEngine
import Foundation
import StorageKitTesting
import Testing

/// When `imagecopywithsnap` runs its two recoverability checks (issue 20, items 6 and 7), and what happens with a
/// DBA's template file that predates them. The checks' findings are tested end to end
/// (EndToEndTests/BackupRecoverabilityTests).
@Suite("BackupEngine recoverability checks without Oracle")
struct RecoverabilityCheckTests {
    @Test(
        "The archived log check runs after the log switch and before the snapshot, the datafile check after the refresh"
    )
    func checksRunWhereTheSnapshotNeedsThem() async throws {
        let fixture = try BackupEngineFixture()
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .imagecopywithsnap, dryRun: true))
        #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
        let screen = fixture.screen.text
        #expect(
            screen.containsInOrder([
                "alter system archive log current", "'ARCHIVELOG NEEDED: '", "'ARCHIVELOG IN BACKUP AREA: '",
                "name like '\(fixture.area)/archivelog/%'", "--- storage (memory) ---\ncreate snapshot ",
                "recover copy of database", "alter system archive log current", "'DATAFILE NOT ONLINE: '",
                "--- retention plan",
            ]), "\(screen)")
        // No new step titles: the log keeps the original's step lines (reference §7.1).
        #expect(!fixture.log.messages(at: .warning).contains { $0.contains("missing") })
    }

    @Test("A template file without the check templates skips both checks with a warning and the backup goes on")
    func olderTemplateFileSkipsTheChecks() async throws {
        let fixture = try BackupEngineFixture(generic: "requiremount: FALSE\ntemplatedir: \(NSTemporaryDirectory())")
        // The shipped file without the two check templates, as a DBA's copy made before they existed.
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(
                "Sources/OracleTools/Resources/templates/rmantemplate.cfg")
        let templates = try String(contentsOf: shipped, encoding: .utf8)
        let directory = fixture.root + "/templates"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let older = templates.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix("archivelogsnapshotcheck:") && !$0.hasPrefix("datafilesnotonline:")
                && !$0.hasPrefix("  ) union all") && !$0.hasPrefix("  select 'ARCHIVELOG IN BACKUP AREA")
                && !$0.hasPrefix("  select distinct l.thread#") && !$0.hasPrefix("  and l.next_change#")
                && !$0.hasPrefix("  and l.resetlogs_change#")
        }.joined(separator: "\n")
        try older.write(toFile: directory + "/" + "rmantemplate.cfg", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: "templatedir: \(NSTemporaryDirectory())", with: "templatedir: \(directory)")
        try config.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .imagecopywithsnap, dryRun: true))
        #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
        let warnings = fixture.log.messages(at: .warning)
        #expect(
            warnings.contains {
                $0.hasPrefix("Template archivelogsnapshotcheck is missing from \(directory)/")
                    && $0.hasSuffix("whether the snapshot holds every archived log it needs is not checked")
            }, "\(warnings)")
        #expect(
            warnings.contains {
                $0.hasPrefix("Template datafilesnotonline is missing from \(directory)/")
                    && $0.hasSuffix("whether every datafile is online is not checked")
            }, "\(warnings)")
        #expect(!fixture.screen.text.contains("ARCHIVELOG NEEDED"))
        #expect(fixture.screen.text.contains("Write database parameters for autorestore"))
    }
}

extension String {
    /// Whether `needles` occur in this order.
    fileprivate func containsInOrder(_ needles: [String]) -> Bool {
        var searchFrom = startIndex
        for needle in needles {
            guard let range = range(of: needle, range: searchFrom..<endIndex) else { return false }
            searchFrom = range.upperBound
        }
        return true
    }
}
