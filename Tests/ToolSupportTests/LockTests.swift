import Foundation
import Logging
import Testing

@testable import ToolSupport

@Suite("NFS-safe hard-link lock")
struct LockTests {
    let logger = Logger(label: "lock-test")

    func files(_ directory: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    @Test func acquireWritesHolderAndReleaseCleansUp() async throws {
        let directory = try temporaryDirectory()
        let lock = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        let holder = try #require(
            LockHolder.parse(try String(contentsOfFile: directory + "/backup.lck", encoding: .utf8)))
        #expect(holder.host == HardLinkLock.hostName)
        #expect(holder.pid == getpid())
        #expect(files(directory) == ["backup.lck"])  // the temporary file lives only for the link
        lock.release()
        #expect(files(directory).isEmpty)
    }

    @Test func secondTakerTimesOutNamingTheHolderAndLeaksNothing() async throws {
        let directory = try temporaryDirectory()
        let first = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        let error = await #expect(throws: LockError.self) {
            _ = try await HardLinkLock.acquire(
                directory: directory, maxWait: .milliseconds(300),
                pollInterval: .milliseconds(50), logger: logger)
        }
        #expect(error?.reason == .timeout)
        #expect(error?.holder?.pid == getpid())
        #expect(error?.description.contains("pid \(getpid())") == true)
        #expect(files(directory) == ["backup.lck"])  // only the first holder's lock, no temporary file
        first.release()
        #expect(files(directory).isEmpty)
    }

    @Test func waitsUntilReleased() async throws {
        let directory = try temporaryDirectory()
        let first = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        Task {
            try await Task.sleep(for: .milliseconds(200))
            first.release()
        }
        let second = try await HardLinkLock.acquire(
            directory: directory, maxWait: .seconds(60),
            pollInterval: .milliseconds(50), logger: logger)
        second.release()
        #expect(files(directory).isEmpty)
    }

    @Test func staleLockOfDeadLocalProcessIsTakenOver() async throws {
        let directory = try temporaryDirectory()
        try "host: \(HardLinkLock.hostName)\npid: 999999\nstarted: 2016-11-08 21:53:35\n"
            .write(toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
        let lock = try await HardLinkLock.acquire(
            directory: directory, maxWait: .milliseconds(200),
            pollInterval: .milliseconds(50), logger: logger,
            isProcessAlive: { _ in false })
        lock.release()
        #expect(files(directory).isEmpty)
    }

    @Test func lockOfAnotherHostIsNeverTakenOver() async throws {
        let directory = try temporaryDirectory()
        try "host: other-node\npid: 1\nstarted: 2016-11-08 21:53:35\n"
            .write(toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
        let error = await #expect(throws: LockError.self) {
            _ = try await HardLinkLock.acquire(
                directory: directory, maxWait: .milliseconds(150),
                pollInterval: .milliseconds(50), logger: logger,
                isProcessAlive: { _ in false })
        }
        #expect(error?.holder?.host == "other-node")
        #expect(files(directory) == ["backup.lck"])
    }

    @Test func releaseLeavesSomeoneElsesLock() async throws {
        let directory = try temporaryDirectory()
        let lock = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        try FileManager.default.removeItem(atPath: directory + "/backup.lck")
        try "host: x\npid: 1\n".write(toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
        lock.release()
        #expect(files(directory) == ["backup.lck"])
    }

    /// A lock file removed behind our back and created again by another run may get the same inode number (file
    /// systems reuse freed inodes at once). Recording our children must not write into that run's file, and release
    /// must not remove it. Rewriting the file in place gives it the same inode for certain.
    @Test func childRecordingLeavesAForeignFileWithOurInode() async throws {
        let directory = try temporaryDirectory()
        let lock = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        let foreign = "host: other-node\npid: 1\nstarted: 2016-11-08 21:53:35\n"
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/backup.lck"))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(foreign.utf8))
        try handle.close()
        lock.recordChildren([ChildGroup(group: 4242, startTime: 1)])
        #expect(try String(contentsOfFile: directory + "/backup.lck", encoding: .utf8) == foreign)
        lock.release()
        #expect(files(directory) == ["backup.lck"])
    }

    @Test func parsesTheOriginalsLockFormat() {
        let text = "('Linux', 'dbhost1', '3.10.0', '#1 SMP', 'x86_64')\n2016-11-08 21:53:35\n4242\n"
        #expect(LockHolder.parse(text) == LockHolder(host: "dbhost1", pid: 4242, started: "2016-11-08 21:53:35"))
        #expect(LockHolder.parse("garbage") == nil)
    }

    @Test func unusableDirectoryIsAClearError() async throws {
        let error = await #expect(throws: LockError.self) {
            _ = try await HardLinkLock.acquire(directory: "/nonexistent/dir", maxWait: .seconds(1), logger: logger)
        }
        #expect(error?.reason == .directoryUnusable)
    }

    // MARK: Killed runs (issue 14)

    @Test func recycledPidIsNotTakenForTheHolder() async throws {
        // Our own pid is alive, but it started at another time than the holder recorded: the holder is gone.
        let directory = try temporaryDirectory()
        try "host: \(HardLinkLock.hostName)\npid: \(getpid())\nstarted: 2016-11-08 21:53:35\npidstart: 1\n"
            .write(toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
        let lock = try await HardLinkLock.acquire(
            directory: directory, maxWait: .milliseconds(500), pollInterval: .milliseconds(50), logger: logger)
        lock.release()
        #expect(files(directory).isEmpty)
    }

    @Test func takeoverStopsOnlyTheDeadRunsLeftoverProcesses() async throws {
        let directory = try temporaryDirectory()
        let dead = try finishedProcessID()
        let owner = "\(dead):4242"
        let ours = try LeftoverProcess(ownerVariable: owner)
        defer { ours.stop() }  // when the takeover did not stop it
        let foreign = try LeftoverProcess(ownerVariable: nil)
        defer { foreign.stop() }
        try """
        host: \(HardLinkLock.hostName)
        pid: \(dead)
        started: 2016-11-08 21:53:35
        pidstart: 4242
        children: \(ours.group)@\(ours.startTime) \(foreign.group)@\(foreign.startTime)

        """.write(toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
        let lock = try await HardLinkLock.acquire(
            directory: directory, maxWait: .seconds(30), pollInterval: .milliseconds(50), logger: logger)
        #expect(!ours.isRunning, "the dead run's process was left running")
        #expect(foreign.isRunning, "a process that is not the dead run's was stopped")
        lock.release()
    }

    @Test func heldLockRecordsTheRunningChildren() async throws {
        let directory = try temporaryDirectory()
        let lock = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        defer { lock.release() }
        let child = ChildGroup(group: 999_991, startTime: 77)
        ChildProcesses.started(child)
        let recorded = LockHolder.parse(try String(contentsOfFile: directory + "/backup.lck", encoding: .utf8))
        #expect(recorded?.children.contains(child) == true)
        #expect(recorded?.pidStart == ProcessTable.current?.startTime)
        ChildProcesses.finished(child)
        let after = LockHolder.parse(try String(contentsOfFile: directory + "/backup.lck", encoding: .utf8))
        #expect(after?.children.contains(child) == false)
    }

    @Test func waiterKeepsOffWhileTheHolderTakesASnapshot() async throws {
        let directory = try temporaryDirectory()
        let holder = try await HardLinkLock.acquire(
            directory: directory, maxWait: .seconds(1), pollInterval: .milliseconds(50), snapshotPending: true,
            logger: logger)
        let events = LineCollector()
        let waiterLog = LineCollector()
        let waiterLogger = RunLog(screen: { waiterLog.append($0) }).logger(name: "waiter")
        let waiter = Task {
            // A missed end of the pause would only delay it by the (short) allowance; never a link in the gap.
            let lock = try await HardLinkLock.acquire(
                directory: directory, maxWait: .seconds(60), pollInterval: .milliseconds(20),
                pauseAllowance: .seconds(30), logger: waiterLogger)
            events.append("waiter got the lock")
            return lock
        }
        // The waiter has read the holder's `snapshot: pending` once it logged "Locked!".
        while !waiterLog.all.contains(where: { $0.contains("Locked!") }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await holder.withoutLockFile {
            #expect(!files(directory).contains("backup.lck"))
            try await Task.sleep(for: .milliseconds(300))
            events.append("snapshot taken")
        }
        #expect(files(directory) == ["backup.lck"])
        events.append("holder releases")
        holder.release()
        let second = try await waiter.value
        second.release()
        #expect(events.all == ["snapshot taken", "holder releases", "waiter got the lock"])
    }

    @Test func aWaiterThatSawThePauseTakesTheLockRightAfterTheRelease() async throws {
        let directory = try temporaryDirectory()
        let holder = try await HardLinkLock.acquire(
            directory: directory, maxWait: .seconds(1), pollInterval: .milliseconds(50), snapshotPending: true,
            logger: logger)
        let waiterLog = LineCollector()
        let waiterLogger = RunLog(screen: { waiterLog.append($0) }).logger(name: "waiter")
        let waiter = Task {
            // Without the released marker this waiter would keep off for the whole minute and time out.
            try await HardLinkLock.acquire(
                directory: directory, maxWait: .seconds(30), pollInterval: .milliseconds(20),
                pauseAllowance: .seconds(60), logger: waiterLogger)
        }
        while !waiterLog.all.contains(where: { $0.contains("Locked!") }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await holder.withoutLockFile {
            // Long enough for the waiter to see the file absent while the holder announced a snapshot.
            try await Task.sleep(for: .milliseconds(300))
        }
        holder.release()
        #expect(files(directory).contains("backup.lck.released") || files(directory).contains("backup.lck"))
        let second = try await waiter.value
        // The marker is gone as soon as someone holds the lock again: it never reaches a snapshot.
        #expect(files(directory) == ["backup.lck"])
        second.release()
        #expect(files(directory).isEmpty)
    }

    @Test func aFileNamedLikeTheMarkerThatIsNotOursIsKept() async throws {
        let directory = try temporaryDirectory()
        try "someone's notes\n".write(
            toFile: directory + "/backup.lck.released", atomically: true, encoding: .utf8)
        let lock = try await HardLinkLock.acquire(directory: directory, maxWait: .seconds(1), logger: logger)
        lock.release()
        #expect(files(directory) == ["backup.lck.released"])
        #expect(try String(contentsOfFile: directory + "/backup.lck.released", encoding: .utf8) == "someone's notes\n")
    }

    @Test func lockTakenDuringTheSnapshotIsReported() async throws {
        let directory = try temporaryDirectory()
        let holder = try await HardLinkLock.acquire(
            directory: directory, maxWait: .seconds(1), snapshotPending: true, logger: logger)
        let error = await #expect(throws: LockError.self) {
            try await holder.withoutLockFile {
                // A run that never saw the announcement arrives in the gap.
                try "host: elsewhere\npid: 1\n".write(
                    toFile: directory + "/backup.lck", atomically: false, encoding: .utf8)
            }
        }
        #expect(error?.reason == .takenDuringSnapshot)
        #expect(error?.holder?.host == "elsewhere")
        holder.release()
        #expect(files(directory) == ["backup.lck"])  // the other run's lock is left alone
    }
}

/// The pid of a process that has ended (and been reaped).
func finishedProcessID() throws -> Int32 {
    let child = try ChildCommand(executable: "/bin/true").startBlocking()
    _ = child.waitBlocking()
    return child.pid
}

/// A `sleep` in its own session (so its own process group), optionally carrying the owner variable of a run.
final class LeftoverProcess {
    let marker = "\(Int.random(in: 100_000...999_999)).5"
    let pid: Int32
    let group: Int32
    let startTime: UInt64

    init(ownerVariable: String?) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OIB_RUN_OWNER"] = ownerVariable
        var command = ChildCommand(
            executable: "/usr/bin/setsid", arguments: ["/bin/sleep", marker], environment: environment,
            standardOutputPath: "/dev/null", standardErrorPath: "/dev/null")
        command.marksOwner = false
        _ = try command.startBlocking()
        var found: (Int32, Int32, UInt64)?
        for _ in 0..<100 where found == nil {
            found = Self.find(marker)
            if found == nil { usleep(20_000) }
        }
        guard let found else { throw CocoaError(.fileNoSuchFile) }
        (pid, group, startTime) = found
    }

    /// pid, process group and start time of the sleep whose argument is `marker`.
    static func find(_ marker: String) -> (Int32, Int32, UInt64)? {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name),
                let arguments = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                arguments.split(separator: 0).map({ String(decoding: $0, as: UTF8.self) }) == ["/bin/sleep", marker],
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19, let group = Int32(fields[2]), let start = UInt64(fields[19]) else { continue }
            return (pid, group, start)
        }
        return nil
    }

    /// Alive and not a zombie.
    var isRunning: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    func stop() { kill(pid, SIGKILL) }
}
