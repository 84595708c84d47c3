import Foundation
import Testing

/// `snaplockdays` with the built tools (issue 18, item 3): `backup imagecopywithsnap` on ZFSSA storage-sim locks its
/// snapshot; `snapper list` shows the lock with its expiry, a manual drop is refused naming it, retention keeps it
/// while an expired lock is released and dropped; checkconfig refuses the key on a driver without locks.
@Suite("snaplockdays end to end (built tools, ZFSSA storage-sim)", .serialized)
struct SnapshotLockEndToEndTests {
    /// Two old snapshots: one locked until 2099, one whose lock expired in 2020 (both far beyond the retention
    /// windows).
    static let seed = """
        {"shares": [{"name": "orcl", "snapshots": [
          {"name": "orcl-20160101T000000", "creation": "2016-01-01T00:00:00Z", "retention": "locked",
           "lockExpiry": "2099-01-01T00:00:00Z"},
          {"name": "orcl-20160102T000000", "creation": "2016-01-02T00:00:00Z", "retention": "locked",
           "lockExpiry": "2020-01-01T00:00:00Z"}]}]}
        """

    @Test func zfssaBackupLocksItsSnapshotAndRetentionKeepsLockedOnes() async throws {
        let setup = try await ApplianceAutorestoreTests().backedUp(
            .zfssa, cycles: 2, databaseExtra: "snaplockdays: 7", zfssaSeed: Self.seed)
        let environment = setup.environment
        let backupSnapshot = try #require(setup.snapshots.last)

        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        // The expired lock was released and its snapshot dropped by the backup's retention.
        #expect(lines.count == 3, "\(list.stdout)")
        #expect(lines.filter { $0.contains(" locked until ") }.count == 3, "\(list.stdout)")
        #expect(!list.stdout.contains("orcl-20160102T000000"))
        let kept = try #require(lines.first { $0.hasPrefix("orcl-20160101T000000 ") })
        #expect(kept.hasSuffix("locked until 2099-01-01 00:00:00 UTC"), "\(kept)")
        let taken = try #require(lines.first { $0.hasPrefix(backupSnapshot + " ") })
        let takenExpiry = try #require(taken.range(of: "locked until ")).upperBound
        // The backup's snapshot is locked for 7 days from when it was taken.
        let expiryText = String(taken[takenExpiry...].prefix(19))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let expiry = try #require(formatter.date(from: expiryText), "\(taken)")
        #expect(abs(expiry.timeIntervalSinceNow - 7 * 86_400) < 600, "\(taken)")

        let json = try await environment.snapper(["--json", "orcl", "list"])
        #expect(json.stdout.contains(#""locked" : true"#), "\(json.stdout)")
        #expect(json.stdout.contains(#""lockedUntil" : "2099-01-01T00:00:00Z""#), "\(json.stdout)")

        // A manual drop is refused with the lock's expiry (exit 1), and the appliance still has the snapshot.
        let drop = try await environment.snapper(["orcl", "dropsnap", "orcl-20160101T000000"])
        #expect(drop.status == 1, "\(drop.stdout)\(drop.stderr)")
        #expect(
            (drop.stdout + drop.stderr).contains("locked on the storage until 2099-01-01 00:00:00 UTC"),
            "\(drop.stdout)\(drop.stderr)")
        let dropTaken = try await environment.snapper(["orcl", "dropsnap", backupSnapshot])
        #expect(dropTaken.status == 1)
        #expect((dropTaken.stdout + dropTaken.stderr).contains("locked on the storage until \(expiryText) UTC"))

        // Retention keeps the locked snapshot although the scheme would drop it.
        let plan = try await environment.snapper(["orcl", "clean", "--dry-run"])
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        let planned = try #require(plan.stdout.split(separator: "\n").first { $0.contains("orcl-20160101T000000") })
        #expect(planned.contains("locked on the storage until 2099-01-01 00:00:00 UTC"), "\(plan.stdout)")
        let clean = try await environment.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let after = try await environment.snapper(["orcl", "list"])
        #expect(after.stdout.contains("orcl-20160101T000000"))
        #expect(after.stdout.contains(backupSnapshot))
    }

    /// The recommended set-up: the tool's appliance user lacks `releaseSnapRetention`. The expired lock cannot be
    /// released, so retention warns naming the remedy and keeps the snapshot; the backups and `clean` succeed.
    @Test func withoutReleaseSnapRetentionAnExpiredLockIsKeptWithAWarning() async throws {
        let setup = try await ApplianceAutorestoreTests().backedUp(
            .zfssa, cycles: 2, databaseExtra: "snaplockdays: 7", zfssaSeed: Self.seed,
            zfssaSimulatorOptions: ["--zfssa-deny-release"])
        let environment = setup.environment
        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.stdout.contains("orcl-20160102T000000"), "\(list.stdout)")
        #expect(list.stdout.contains("(expired)"), "\(list.stdout)")
        let clean = try await environment.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let output = clean.stdout + clean.stderr
        #expect(output.contains("kept orcl-20160102T000000"), "\(output)")
        #expect(output.contains("lock expired on 2020-01-01 00:00:00 UTC"), "\(output)")
        #expect(output.contains("grant it to admin"), "\(output)")
        let after = try await environment.snapper(["orcl", "list"])
        #expect(after.stdout.contains("orcl-20160102T000000"))
    }

    @Test func checkconfigRefusesSnapLockDaysOnADriverWithoutLocks() async throws {
        let environment = try OracleEnvironment(driver: "localfs", databaseExtra: "snaplockdays: 7")
        let result = try await environment.backup(["checkconfig"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stderr.contains(
                "[orcl] snaplockdays: snaplockdays 7: storage module 'localfs' cannot lock snapshots (modules that can: "
            ),
            "\(result.stderr)")
        let refused = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
    }

    @Test func checkconfigRefusesSnapLockDaysOverZAPI() async throws {
        let environment = try OracleEnvironment(
            driver: "netapp", extraConfig: "[netapp]\nfiler: filer1\nvolumeprefix: bk_\nontapapi: zapi\n",
            databaseExtra: "snaplockdays: 7")
        let result = try await environment.backup(["checkconfig"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stderr.contains("[netapp] ontapapi: zapi cannot lock snapshots, but snaplockdays is 7 for orcl"),
            "\(result.stderr)")
    }

    @Test func checkconfigRefusesAModuleWithoutADriverAndAnUnknownOne() async throws {
        let environment = try OracleEnvironment(driver: "purestorage")
        let result = try await environment.backup(["checkconfig"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("[generic] snappermodule: unknown storage vendor 'purestorage' (known: "))
        #expect(result.stderr.contains("localfs"))
    }
}
