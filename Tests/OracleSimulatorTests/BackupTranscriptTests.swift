import Foundation
import Testing
import ToolSupport

@Suite("Backup run formats and behaviour")
struct BackupTranscriptTests {
    static func matches(_ lines: [String], _ patterns: [String]) -> [String] {
        var problems: [String] = []
        for (index, pattern) in patterns.enumerated() {
            guard index < lines.count else {
                problems.append("missing line \(index): \(pattern)")
                break
            }
            if lines[index].range(of: "^" + pattern + "$", options: .regularExpression) == nil {
                problems.append("line \(index): \(lines[index]) !~ \(pattern)")
            }
        }
        return problems
    }

    @Test("the second refresh prints the transcript's level-1 backup and copy recovery sequence")
    func refreshOutput() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "4"])
        try FileManager.default.removeItem(atPath: flows.backupLog)
        try await flows.backupRun(snapshotName: "two")
        let lines = TranscriptFormatTests.lines(flows.harness.read(flows.backupLog))
        let start = try #require(lines.firstIndex(of: "RMAN> run {"))
        let dest = NSRegularExpression.escapedPattern(for: flows.harness.backupDestination)
        let time = #"2016-11-08 \d\d:\d\d:\d\d"#
        var patterns = [
            #"RMAN> run \{"#,
            #"2> backup +incremental level 1 for recover of copy with tag 'image_copy_backup' database;"#,
            #"3> recover copy of database with tag 'image_copy_backup';"#,
            #"4> delete noprompt backupset tag 'image_copy_backup';"#,
            #"5> delete noprompt force archivelog until time 'sysdate-2';"#,
            #"6> backup spfile tag 'image_copy_backup';"#,
            "7> backup current controlfile format '\(dest)/after_backup_controlfile.cf' reuse tag 'image_copy_backup';",
            #"8> delete noprompt obsolete recovery window of 2 days;"#, #"9> show all;"#, #"10> \}"#,
            "Starting backup at \(time)",
            "using target database control file instead of recovery catalog",
        ]
        for channel in 1...4 {
            patterns += [
                "allocated channel: ORA_DISK_\(channel)", #"channel ORA_DISK_\#(channel): SID=\d+ device type=DISK"#,
            ]
        }
        for file in 1...4 {
            patterns += [
                "channel ORA_DISK_\(file): starting incremental level 1 datafile backup set",
                "channel ORA_DISK_\(file): specifying datafile\\(s\\) in backup set",
                "input datafile file number=0000\(file) name=/.*/o1_mf_[a-z0-9]+_[a-z0-9]+_\\.dbf",
                "channel ORA_DISK_\(file): starting piece 1 at \(time)",
            ]
        }
        for file in 1...4 {
            patterns += [
                "channel ORA_DISK_\(file): finished piece 1 at \(time)",
                "piece handle=\(dest)/[a-z0-9]{8}_1_1 tag=IMAGE_COPY_BACKUP comment=NONE",
                #"channel ORA_DISK_\#(file): backup set complete, elapsed time: 00:00:\d\d"#,
            ]
        }
        patterns += ["Finished backup at \(time)", "", "Starting recover at \(time)"]
        patterns += (1...4).map { "using channel ORA_DISK_\($0)" }
        for (file, tablespace) in ["SYSTEM", "SYSAUX", "UNDOTBS1", "USERS"].enumerated().map({
            ($0.offset + 1, $0.element)
        }) {
            patterns += [
                "channel ORA_DISK_\(file): starting incremental datafile backup set restore",
                "channel ORA_DISK_\(file): specifying datafile copies to recover",
                "recovering datafile copy file number=0000\(file) name=\(dest)/data_D-ORCL_I-1433672784_TS-\(tablespace)_FNO-\(file)_[a-z0-9]{8}",
                "channel ORA_DISK_\(file): reading from backup piece \(dest)/[a-z0-9]{8}_1_1",
            ]
        }
        let problems = Self.matches(Array(lines[start...]), patterns)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        let log = lines.joined(separator: "\n")
        #expect(log.contains("Starting Control File and SPFILE Autobackup at"))
        #expect(log.contains("piece handle=\(flows.harness.backupDestination)/c-1433672784-20161108-"))
        #expect(log.contains("\nRMAN configuration parameters for database with db_unique_name ORCL are:\n"))
        #expect(log.contains("specification does not match any archived log in the repository"))
    }

    @Test("report and validatebackup templates run against fresh copies")
    func reportAndValidate() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        let report = try await flows.harness.rman(
            try flows.rmanScript(try flows.backupTemplates.render("report", flows.backupValues)), log: flows.backupLog)
        #expect(report.exitCode == 0, "\(flows.harness.read(flows.backupLog))")
        let validate = try await flows.harness.rman(
            try flows.rmanScript(try flows.backupTemplates.render("validatebackup", flows.backupValues)),
            log: flows.backupLog)
        #expect(validate.exitCode == 0, "\(flows.harness.read(flows.backupLog))")
        let log = flows.harness.read(flows.backupLog)
        #expect(log.contains("List of Datafile Copies"))
        #expect(
            log.contains(
                "channel ORA_DISK_1: scanning datafile copy \(flows.harness.backupDestination)/data_D-ORCL_I-1433672784_TS-USERS_FNO-4_"
            ))
    }

    @Test("concurrent tool invocations do not lose updates")
    func concurrentWorkloads() async throws {
        let harness = try SimulatorHarness()
        try await harness.admin(["create-db", "--name", "orcl"])
        let before = try await harness.admin(["workload", "orcl"])
        let scnBefore = try #require(
            Int(before.output.split(separator: "\n").first { $0.contains("currentSCN") }?.filter(\.isNumber) ?? ""))
        let command = ChildCommand(
            executable: SimulatorHarness.binary.path, arguments: ["workload", "orcl", "--transactions", "25"],
            environment: harness.environment)
        var children: [RunningChild] = []
        for _ in 0..<4 { children.append(try await command.start()) }
        for child in children { _ = await child.wait() }
        let after = try await harness.admin(["workload", "orcl"])
        let scnAfter = try #require(
            Int(after.output.split(separator: "\n").first { $0.contains("currentSCN") }?.filter(\.isNumber) ?? ""))
        #expect(scnAfter - scnBefore == 100)
    }

    @Test("an 11g database has no enable_pluggable_database parameter line")
    func elevenG() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases(extraOptions: ["--version", "11.2.0.4.0"])
        let run = try await flows.harness.sqlplus(try flows.sqlplusScript(["autorestoreparameters", "cdbdetect"]))
        #expect(run.output.contains("dbconfig-compatible: 11.2.0.4.0"))
        #expect(!run.output.contains("enable_pluggable_database"))
        #expect(run.output.contains("CDB-DETECT: NO"))
    }
}
