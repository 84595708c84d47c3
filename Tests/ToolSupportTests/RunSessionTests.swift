import Foundation
import Logging
import Testing

@testable import ToolSupport

struct Boom: Error {}

@Suite("Run session: log, retention, lock, screen dump")
struct RunSessionTests {
    func session(_ area: String, screen: LineCollector, dump: Bool, wait: Duration = .seconds(1)) -> RunSession {
        RunSession(
            runLog: RunLog(screen: { screen.append($0) }),
            logPath: RunLogNames.backupLog(destination: area, database: "orcl", action: "config", date: Date()),
            logRetentionDays: 7, lockDirectory: area, maxLockWait: wait,
            lockPollInterval: .milliseconds(50), dumpLogToScreen: dump, screen: { screen.append($0) })
    }

    @Test func logNamesFollowTheOriginal() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(
            RunLogNames.backupLog(
                destination: "/nfs/backup/orcl", database: "orcl", action: "imagecopywithsnap",
                date: transcriptInstant, timeZone: utc)
                == "/nfs/backup/orcl/backup_logs/orcl_20161108T215335_imagecopywithsnap.log")
        #expect(
            RunLogNames.autorestoreLog(
                directory: "/nfs/autorestore/log", database: "orcl", date: transcriptInstant,
                timeZone: utc) == "/nfs/autorestore/log/20161108T215335-orcl.log")
    }

    @Test("a finished run leaves no signal observer behind (an embedder running many jobs does not accumulate them)")
    func signalObserversEndWithTheRun() async throws {
        let area = try temporaryDirectory()
        let before = Set(Interruption.observers.withLock { $0.map(\.id) })
        var seenDuringRuns = Set<UInt64>()
        for _ in 0..<30 {
            let session = session(area, screen: LineCollector(), dump: false)
            let during = try await session.run(logger: session.runLog.logger(name: "orcl")) {
                Set(Interruption.observers.withLock { $0.map(\.id) })
            }
            #expect(!during.subtracting(before).isEmpty, "the run registers its observer while it runs")
            seenDuringRuns.formUnion(during.subtracting(before))
        }
        let remaining = Set(Interruption.observers.withLock { $0.map(\.id) }).intersection(seenDuringRuns)
        // Other suites' runs may be in flight at this moment; 30 leftovers would be ours.
        #expect(remaining.count < 10, "\(remaining.count) observers of finished runs are still registered")
    }

    @Test func failureReleasesLockAndStillDumpsTheLog() async throws {
        let area = try temporaryDirectory()
        let screen = LineCollector()
        let session = session(area, screen: screen, dump: true)
        let logger = session.runLog.logger(name: "orcl")
        await #expect(throws: RunSession.Failure.self) {
            try await session.run(logger: logger) { () async throws -> Int in
                logger.info("Running RMAN configuration")
                throw Boom()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: area + "/backup.lck"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: area).filter { $0.hasSuffix(".lck") }.isEmpty)
        let dump = try #require(screen.all.last)
        #expect(dump.contains("BACKUP LOG FILE OUTPUT"))
        #expect(dump.contains("Running RMAN configuration"))
        #expect(screen.all.first?.hasPrefix("Log file for this session: \(area)/backup_logs/orcl_") == true)
    }

    @Test func heldLockFailsTheSessionWithoutRunningTheAction() async throws {
        let area = try temporaryDirectory()
        let holder = try await HardLinkLock.acquire(directory: area, maxWait: .seconds(1), logger: Logger(label: "x"))
        defer { holder.release() }
        let screen = LineCollector()
        let session = session(area, screen: screen, dump: false, wait: .milliseconds(200))
        let ran = LineCollector()
        let error = await #expect(throws: RunSession.Failure.self) {
            try await session.run(logger: session.runLog.logger(name: "orcl")) { ran.append("ran") }
        }
        guard case .lock(let lockError) = error else {
            Issue.record("expected a lock failure, got \(String(describing: error))")
            return
        }
        #expect(lockError.reason == .timeout)
        #expect(ran.all.isEmpty)
        let log = try String(contentsOfFile: session.logPath, encoding: .utf8)
        #expect(log.contains("Did not manage to get the lock in time."))
    }

    @Test func oldLogsAreCleanedAtStart() async throws {
        let area = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: area + "/backup_logs", withIntermediateDirectories: true)
        let old = area + "/backup_logs/orcl_20160101T000000_config.log"
        _ = FileManager.default.createFile(atPath: old, contents: Data())
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -30 * 86_400)],
            ofItemAtPath: old)
        let screen = LineCollector()
        let session = session(area, screen: screen, dump: false)
        let value = try await session.run(logger: session.runLog.logger(name: "orcl")) { 42 }
        #expect(value == 42)
        #expect(!FileManager.default.fileExists(atPath: old))
    }

    @Test func backupAreaOnTheRootFileSystemMustBeMarked() throws {
        let area = try temporaryDirectory()
        // The scratch directory is on the root file system here (no mount covers it).
        try #require(!BackupAreaCheck.isOnMountedStorage(area))
        let failure = #expect(throws: BackupAreaCheck.Failure.self) { try BackupAreaCheck.verify(area) }
        #expect(failure?.description.contains("requiremount") == true)
        #expect(failure?.description.contains(area) == true)
        _ = FileManager.default.createFile(atPath: area + "/" + BackupAreaCheck.markerFileName, contents: Data())
        try BackupAreaCheck.verify(area)
        #expect(BackupAreaCheck.isMountPoint("/proc"))
        #expect(!BackupAreaCheck.isMountPoint(area))
    }

    /// The original's documentation mounts the storage above the area (`/nfs/backup` holding `<db>`): an area
    /// anywhere below a mount other than `/` passes, also before its own directory exists.
    @Test func backupAreaBelowAnyOtherMountPasses() throws {
        // /dev/shm is a tmpfs on every Linux machine: a real file system other than the root one.
        let below = "/dev/shm/oib-area-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: below + "/orcl", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: below) }
        try BackupAreaCheck.verify(below + "/orcl")
        try BackupAreaCheck.verify(below + "/not-created-yet")
        // Same device as /, but a mount point other than / covers it (a bind mount): passes.
        let area = try temporaryDirectory()
        let mountPoint = (area as NSString).deletingLastPathComponent
        let bind = MountInfoEntry(
            mountID: 99, parentID: 1, device: "253:1", root: "/export", mountPoint: mountPoint, mountOptions: "rw",
            filesystemType: "nfs", source: "filer:/export", superOptions: "rw")
        let rootMount = MountInfoEntry(
            mountID: 1, parentID: 0, device: "253:1", root: "/", mountPoint: "/", mountOptions: "rw",
            filesystemType: "ext4", source: "/dev/vda", superOptions: "rw")
        try BackupAreaCheck.verify(area, mounts: [rootMount, bind])
        #expect(throws: BackupAreaCheck.Failure.self) { try BackupAreaCheck.verify(area, mounts: [rootMount]) }
        // A mount point that merely shares a name prefix does not cover the area.
        let sibling = MountInfoEntry(
            mountID: 98, parentID: 1, device: "253:1", root: "/", mountPoint: area + "-other", mountOptions: "rw",
            filesystemType: "nfs", source: "filer:/x", superOptions: "rw")
        #expect(throws: BackupAreaCheck.Failure.self) {
            try BackupAreaCheck.verify(area, mounts: [rootMount, sibling])
        }
    }
}
