import Foundation
import Testing

/// The built `restore` (point-in-time copy) after real backups on oracle-sim + localfs.
@Suite("restore end to end (oracle-sim + localfs)", .serialized)
struct RestoreCommandTests {
    func restore(_ environment: OracleEnvironment, _ arguments: [String], input: String? = nil) async throws
        -> BuiltProducts.Result
    {
        try await BuiltProducts.runUnprivileged(
            "restore", ["--config", environment.configPath] + arguments,
            environment: environment.environment.merging(["HOME": environment.root]) { $1 })
    }

    @Test func pointInTimeCopyReachesTheRequestedTime() async throws {
        let flows = AutorestoreFlowTests()
        let environment = try await flows.backedUp()
        try await expectPointInTimeCopy(environment, snapshot: AutorestoreFlowTests.newestSnapshot(environment))
    }

    /// Restores `snapshot` (its directory) to two minutes before its recorded time as instance `pit1`, and checks
    /// the time reached, the clean-up instructions and the running instance.
    @discardableResult
    func expectPointInTimeCopy(
        _ environment: OracleEnvironment, snapshot: String, extraArguments: [String] = []
    ) async throws -> BuiltProducts.Result {
        let contract = try String(contentsOfFile: snapshot + "/autorestore.cfg", encoding: .utf8)
        let lastTime = try #require(contract.split(separator: "\n").first { $0.hasPrefix("lasttime: ") })
            .dropFirst("lasttime: ".count)
        // Two minutes before the recorded time: transactions were committed every minute before it.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let target = formatter.string(
            from: try #require(formatter.date(from: String(lastTime))).addingTimeInterval(-120))
        let listed = try await restore(environment, ["orcl", "--list-snapshots"])
        #expect(listed.status == 0, "\(listed.stdout)\(listed.stderr)")
        #expect(listed.stdout.components(separatedBy: " UTC] total=").count >= 2, "\(listed.stdout)")

        let run = try await restore(
            environment,
            [
                "orcl", "--target-time", target, "--utc", "--sid", "pit1",
                "--snapshot", (snapshot as NSString).lastPathComponent, "--yes",
            ] + extraArguments)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Database restore complete"))
        let verifiedLine = try #require(
            run.stdout.split(separator: "\n").first { $0.contains("Verified restored database time: ") })
        let verified = try #require(formatter.date(from: String(verifiedLine.split(separator: ": ").last!)))
        let requested = try #require(formatter.date(from: target))
        #expect(verified <= requested)
        #expect(requested.timeIntervalSince(verified) <= 5 * 60, "within autorestoremaxtoleranceminutes")
        #expect(run.stdout.contains("1. Shut down database instance pit1"))
        #expect(run.stdout.contains("dropclone restore_orcl_"))
        // The instance is left running, open read only.
        let instance = try await environment.sim(["inspect", "--instance", "pit1"]).stdout
        #expect(instance.contains("\"OPEN\""), "\(instance)")
        return run
    }

    @Test func refusalsAndBadInput() async throws {
        let environment = try OracleEnvironment()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let badSID = try await restore(environment, ["orcl", "--sid", "bad-sid!"])
        #expect(badSID.status == 2)
        let badTime = try await restore(environment, ["orcl", "--target-time", "yesterday"])
        #expect(badTime.status == 2)
        // No answers on standard input: a clean refusal, never a crash.
        let noAnswer = try await restore(environment, ["orcl"])
        #expect(noAnswer.status == 1)
        #expect(
            noAnswer.stdout.hasPrefix(
                "This utility will start a copy of a database restored to a specified point in time."))
        // The original's `restore.py <configfile> <db>` form: the first word ending in .cfg is the file.
        try FileManager.default.createDirectory(atPath: environment.backupArea, withIntermediateDirectories: true)
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let originalForm = try await BuiltProducts.runUnprivileged(
            "restore", [environment.configPath, "orcl", "--list-snapshots"],
            environment: environment.environment.merging(["HOME": environment.root, "BACKUPCONFIG": "/nonexistent.cfg"])
            { $1 })
        #expect(originalForm.status == 0, "\(originalForm.stdout)\(originalForm.stderr)")
        let missingFile = try await BuiltProducts.runUnprivileged(
            "restore", [environment.root + "/missing.cfg", "orcl", "--list-snapshots"],
            environment: environment.environment.merging(["HOME": environment.root]) { $1 })
        #expect(missingFile.status == 2)
        #expect(missingFile.stderr.contains(environment.root + "/missing.cfg"), "\(missingFile.stderr)")
        let tooMany = try await BuiltProducts.runUnprivileged("restore", ["a.cfg", "orcl", "extra"])
        #expect(tooMany.status == 2)
        #expect(tooMany.stderr.contains("too many arguments"), "\(tooMany.stderr)")
        if getuid() == 0 {
            let asRoot = try await BuiltProducts.run("restore", ["--config", environment.configPath, "orcl"])
            #expect(asRoot.status == 1)
            #expect(asRoot.stderr.contains("No, I will not run as root."))
        }
    }
}
