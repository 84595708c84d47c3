import Foundation
import Testing

@Suite("Restore output formats")
struct RestoreTranscriptTests {
    @Test("switch, recover and open-and-verify print the autorestore transcript's lines")
    func restoreSections() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let result = try await flows.restore(from: snapshots[1])
        try await flows.abortInstance()
        let lines = TranscriptFormatTests.lines(result.recoverLog)
        let mount = NSRegularExpression.escapedPattern(for: flows.harness.mountPoint)
        let time = #"2016-11-08 \d\d:\d\d:\d\d"#
        let switchStart = try #require(lines.firstIndex(of: "RMAN> switch database to copy;"))
        var patterns = [
            "RMAN> switch database to copy;", "using target database control file instead of recovery catalog",
        ]
        for (file, tablespace) in ["SYSTEM", "SYSAUX", "UNDOTBS1", "USERS"].enumerated().map({
            ($0.offset + 1, $0.element)
        }) {
            patterns.append(
                "datafile \(file) switched to datafile copy \"\(mount)/data_D-ORCL_I-1433672784_TS-\(tablespace)_FNO-\(file)_[a-z0-9]{8}\""
            )
        }
        patterns += [
            "", #"RMAN> run \{"#, "2> allocate channel c1 device type disk;", "3> set newname for database to new;",
            #"4> set until time "to_date\('\#(time)', 'yyyy-mm-dd hh24:mi:ss'\)";"#, "5> recover database;", #"6> \}"#,
            "allocated channel: c1", #"channel c1: SID=\d+ device type=DISK"#, "", "executing command: SET NEWNAME", "",
            "executing command: SET until clause", "", "Starting recover at \(time)", "", "starting media recovery", "",
        ]
        let logPattern = "\(mount)/archivelog/1_(\\d+)_\\d+\\.dbf"
        patterns += [
            "archived log for thread 1 with sequence \\d+ is already on disk as file \(logPattern)",
            "archived log for thread 1 with sequence \\d+ is already on disk as file \(logPattern)",
            "archived log file name=\(logPattern) thread=1 sequence=\\d+",
            "archived log file name=\(logPattern) thread=1 sequence=\\d+",
            "media recovery complete, elapsed time: 00:00:00", "Finished recover at \(time)", "released channel: c1",
        ]
        let problems = BackupTranscriptTests.matches(Array(lines[switchStart...]), patterns)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")

        let verify = TranscriptFormatTests.lines(result.verifyOutput)
        let open = try #require(verify.firstIndex(of: "alter database open read only"))
        let verifyPatterns = [
            "alter database open read only", "", "Database altered.", "", #"Elapsed: 00:00:0\d\.\d\d"#,
            "Set time formatting", "",
            "Session altered.", "", #"Elapsed: 00:00:00\.\d\d"#, "", "Session altered.", "",
            #"Elapsed: 00:00:00\.\d\d"#,
            "Query database timestamps", #"CURRENT DATABASE SCN: \d+ *"#, "LAST ROW IN SCN TO TIME MAP: \(time) *",
            "MIN/MAX TIME FROM ARCHLOGS: \(time)-\(time) *", "CUSTOM VERIFICATION TIME: \(time) *", "",
            #"Elapsed: 00:00:00\.\d\d"#,
            #"Datafiles where online_status not in \('SYSTEM','ONLINE'\) or status <> 'AVAILABLE'"#,
            "", "no rows selected", "", #"Elapsed: 00:00:00\.\d\d"#,
        ]
        let verifyProblems = BackupTranscriptTests.matches(Array(verify[open...]), verifyPatterns)
        #expect(verifyProblems.isEmpty, "\(verifyProblems.joined(separator: "\n"))")
    }

    @Test("a datafile without a copy is restored empty and rebuilt from its redo")
    func restoreDatafileWithoutCopy() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await flows.harness.admin(["workload", "orcl", "--add-datafile", "EXTRA", "--transactions", "3"])
        try await flows.backupRun(snapshotName: "two")
        try await flows.harness.admin(["workload", "orcl", "--transactions", "3"])
        let snapshot = try await flows.backupRun(snapshotName: "three")
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: snapshot).first { $0.contains("_TS-EXTRA_FNO-5_") })
        try FileManager.default.removeItem(atPath: snapshot + "/" + copy)
        let result = try await flows.restore(from: snapshot)
        #expect(
            result.recoverLog.contains("RMAN> run {\n2> set newname for database to new;\n3> restore datafile 5;\n4> }")
        )
        #expect(
            result.recoverLog.contains(
                "channel ORA_DISK_1: creating datafile file number=5 name=\(flows.harness.mountPoint)/ORCL/datafile/o1_mf_extra_"
            ))
        #expect(result.verifiedTime == result.expected || result.verifiedTime.map { $0 < result.expected } == true)
        #expect(!result.verifyOutput.contains("DATAFILE STATUS: "))
        try await flows.abortInstance()
    }
}

@Suite("Point-in-time recovery")
struct PointInTimeTests {
    @Test("recovering to a time before the copies' checkpoint fails with RMAN-06556")
    func targetBeforeCopies() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let parameters = snapshots[1] + "/autorestore.cfg"
        var text = flows.harness.read(parameters)
        // Move the recovery target to before the first backup run.
        text += "lasttime: 2016-11-08 21:50:01\n"
        try text.write(toFile: parameters, atomically: true, encoding: .utf8)
        do {
            _ = try await flows.restore(from: snapshots[1])
            Issue.record("a target before the copies must fail")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.output.contains("RMAN-06556: datafile 1 must be restored from backup older than SCN"))
        }
        try await flows.abortInstance()
    }

    @Test("an earlier target inside the redo range recovers exactly to the last commit before it")
    func earlierTarget() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let parameters = snapshots[2] + "/autorestore.cfg"
        let original = try #require(OracleFlows.parameter("lasttime", in: flows.harness.read(parameters)))
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let target = try #require(formatter.date(from: original)).addingTimeInterval(-40)
        try (flows.harness.read(parameters) + "lasttime: \(formatter.string(from: target))\n")
            .write(toFile: parameters, atomically: true, encoding: .utf8)
        let result = try await flows.restore(from: snapshots[2])
        let verified = try #require(result.verifiedTime.flatMap { formatter.date(from: $0) })
        // Commits are 13 s apart: the last one at or before the target.
        #expect(verified <= target)
        #expect(target.timeIntervalSince(verified) < 13)
        try await flows.abortInstance()
    }
}
