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
        #expect(files(directory).count == 2)  // backup.lck + tmpXXXXXX.lck (same inode)
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
        #expect(files(directory).count == 2)  // only the first holder's files
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
}
