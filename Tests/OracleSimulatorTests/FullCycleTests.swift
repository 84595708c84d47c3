import Foundation
import Testing

/// Backup and autorestore end to end at simulator level: templates rendered, tools run as processes.
@Suite("Full backup and restore cycle")
struct FullCycleTests {
    /// Config, three backups with workload in between; returns the flows and the three snapshots.
    static func threeBackups() async throws -> (OracleFlows, [String]) {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        try await flows.createDatabases()
        try await flows.configure()
        var snapshots: [String] = []
        for run in 1...3 {
            try await flows.harness.admin([
                "workload", "orcl", "--transactions", "7", "--seconds-per-transaction", "13",
            ])
            await snapshots.append(try flows.backupRun(snapshotName: "snap\(run)"))
        }
        return (flows, snapshots)
    }

    @Test("restore from the second backup's copies recovers to the recorded time")
    func restoreFromSecondSnapshot() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        // Snapshot 2 holds copies as of the end of run 1 plus the archived logs up to the switch of run 2.
        let result = try await flows.restore(from: snapshots[1])
        let verified = try #require(result.verifiedTime)
        let zone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let expected = try #require(formatter.date(from: result.expected))
        let verifiedDate = try #require(formatter.date(from: verified))
        // The last transaction before the recorded time is at most one transaction interval (13 s) earlier.
        #expect(verifiedDate <= expected)
        #expect(expected.timeIntervalSince(verifiedDate) < 13)
        // It must be later than anything the copies alone contain: the copies were taken before run 2's workload.
        let snapshotOneParameters = flows.harness.read(snapshots[0] + "/autorestore.cfg")
        #expect(snapshotOneParameters.isEmpty, "the very first snapshot has no autorestore.cfg")
        #expect(result.recoverLog.contains("media recovery complete"))
        #expect(result.marker("CORRUPT BLOCK COUNT: ") == "0")
        #expect(result.marker("NONLOGGED BLOCK COUNT: ") == "0")
        #expect(!result.verifyOutput.contains("DATAFILE STATUS: "))
        try await flows.abortInstance()
    }

    @Test("restore from the third snapshot recovers later data than from the second")
    func laterSnapshotRestoresLaterData() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let second = try await flows.restore(from: snapshots[1], sid: "orcl")
        try await flows.abortInstance(sid: "orcl")
        let third = try await flows.restore(from: snapshots[2], sid: "orcl")
        try await flows.abortInstance(sid: "orcl")
        let secondTime = try #require(second.verifiedTime)
        let thirdTime = try #require(third.verifiedTime)
        #expect(secondTime < thirdTime)
        #expect(second.expected < third.expected)
    }

    @Test("the same restore fails with RMAN-06054 when one archived log is missing from the snapshot")
    func missingArchivedLogFailsRecovery() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let logs = try FileManager.default.contentsOfDirectory(atPath: snapshots[1] + "/archivelog").sorted()
        let copies = try FileManager.default.contentsOfDirectory(atPath: snapshots[1]).filter {
            $0.hasPrefix("data_D-")
        }
        #expect(copies.count == 4)
        // Remove the newest log: the one containing the recovery target.
        let newest = try #require(logs.max { sequenceNumber($0) < sequenceNumber($1) })
        try FileManager.default.removeItem(atPath: snapshots[1] + "/archivelog/" + newest)
        do {
            _ = try await flows.restore(from: snapshots[1])
            Issue.record("recovery should have failed without \(newest)")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.step == "switch and recover")
            #expect(
                failure.output.contains(
                    "RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence \(sequenceNumber(newest))"
                ))
            #expect(failure.output.contains("RMAN-03002: failure of recover command"))
        }
        try await flows.abortInstance()
    }

    @Test("a log missing in the middle of the range also stops recovery at that sequence")
    func missingMiddleLog() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let logs = try FileManager.default.contentsOfDirectory(atPath: snapshots[2] + "/archivelog").sorted {
            sequenceNumber($0) < sequenceNumber($1)
        }
        // Snapshot 3's copies are from run 2; the logs needed are the last two of the snapshot.
        let needed = logs[logs.count - 2]
        try FileManager.default.removeItem(atPath: snapshots[2] + "/archivelog/" + needed)
        do {
            _ = try await flows.restore(from: snapshots[2])
            Issue.record("recovery should have failed without \(needed)")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.output.contains("with sequence \(sequenceNumber(needed)) "))
        }
        try await flows.abortInstance()
    }

    @Test("validation reports an injected corrupt block in v$database_block_corruption")
    func validationFindsCorruptBlock() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: snapshots[1]).first { $0.contains("_TS-SYSTEM_FNO-1_") }
        )
        let injected = try await flows.harness.admin([
            "inject", "corrupt-block", "--file", snapshots[1] + "/" + copy, "--block", "5",
        ])
        #expect(injected.exitCode == 0)
        let result = try await flows.restore(from: snapshots[1], validate: true)
        #expect(result.verifyOutput.contains("CORRUPT BLOCK: 1 5 1 CHECKSUM"))
        let counts = result.verifyOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("CORRUPT BLOCK COUNT: ") }
        #expect(counts.first == "CORRUPT BLOCK COUNT: 0", "openandverify runs before validation")
        #expect(counts.last == "CORRUPT BLOCK COUNT: 1")
        let log = flows.harness.read(flows.harness.logDirectory + "/restore-orcl.log")
        #expect(log.contains("validate found one or more corrupt blocks"))
        #expect(log.contains("1    FAILED 1"))
        try await flows.abortInstance()
    }

    @Test("a corrupt block read by the verification query fails the open-and-verify step")
    func verificationQueryHitsCorruptBlock() async throws {
        let (flows, snapshots) = try await FullCycleTests.threeBackups()
        let copy = try #require(
            try FileManager.default.contentsOfDirectory(atPath: snapshots[1]).first { $0.contains("_TS-USERS_FNO-4_") })
        // A block no redo rewrites after the copy: beyond the rows the workload touched.
        try await flows.harness.admin(["inject", "corrupt-block", "--file", snapshots[1] + "/" + copy, "--block", "40"])
        do {
            _ = try await flows.restore(from: snapshots[1])
            Issue.record("the full scan of APPDATA.TXLOG should hit the corrupt block")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.step == "openandverify")
            #expect(failure.output.contains("ORA-01578: ORACLE data block corrupted (file # 4, block # 40)"))
        }
        try await flows.abortInstance()
    }
}

func sequenceNumber(_ fileName: String) -> Int {
    Int(fileName.split(separator: "_").dropFirst().first ?? "") ?? -1
}
