import Foundation
import Logging
import Synchronization
import Testing

@testable import ToolSupport

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "oib-support-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// 2016-11-08 21:53:35.592 in UTC.
let transcriptInstant = Date(timeIntervalSince1970: 1_478_642_015.592)

final class LineCollector: Sendable {
    let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

@Suite("Log line formats and the run log")
struct LoggingTests {
    let utc = TimeZone(identifier: "UTC")!

    @Test func fileFormatMatchesTheTranscripts() {
        let line = LogLineFormat.file.format(
            date: transcriptInstant, level: .debug, name: "orcl",
            message: "Created snapshot: orcl-20161108T215336", timeZone: utc)
        #expect(line == "2016-11-08 21:53:35,592 DEBUG    orcl            Created snapshot: orcl-20161108T215336")
    }

    @Test func screenFormatMatchesTheTranscripts() {
        let line = LogLineFormat.screen.format(
            date: transcriptInstant, level: .info, name: "orcl",
            message: "Switch current log", timeZone: utc)
        #expect(line == "21:53:35 INFO     orcl            Switch current log")
    }

    @Test func levelNamesArePythons() {
        #expect(LogLineFormat.levelName(.trace) == "DEBUG")
        #expect(LogLineFormat.levelName(.notice) == "INFO")
        #expect(LogLineFormat.levelName(.warning) == "WARNING")
        #expect(LogLineFormat.levelName(.critical) == "CRITICAL")
        let long = LogLineFormat.screen.format(
            date: transcriptInstant, level: .critical, name: "averylongdatabasename",
            message: "m", timeZone: utc)
        #expect(long == "21:53:35 CRITICAL averylongdatabasename m")
    }

    @Test func fileGetsDebugScreenGetsInfoAndEarlyRecordsAreKept() throws {
        let screen = LineCollector()
        let runLog = RunLog(screen: { screen.append($0) }, clock: { transcriptInstant })
        let logger = runLog.logger(name: "orcl")
        logger.debug("before the file exists")
        logger.info("Configuration file: /x/backup.cfg")
        let path = try temporaryDirectory() + "/backup_logs/orcl_20161108T215335_config.log"
        try runLog.attach(file: path)
        logger.debug("after")
        runLog.appendRaw("RMAN> output written by a child\n")
        logger.error("failed")
        runLog.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasSuffix("DEBUG    orcl            before the file exists"))
        #expect(lines[1].hasSuffix("INFO     orcl            Configuration file: /x/backup.cfg"))
        #expect(lines[3] == "RMAN> output written by a child")
        #expect(screen.all.count == 2)
        #expect(screen.all.allSatisfy { !$0.contains("DEBUG") })
    }

    @Test func childAppendsInterleaveInOrder() throws {
        let runLog = RunLog(screen: nil)
        let path = try temporaryDirectory() + "/run.log"
        try runLog.attach(file: path)
        let logger = runLog.logger(name: "orcl")
        logger.debug("one")
        // A child process appending to the same file between two records (as RMAN `log … append` does).
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("child line\n".utf8))
        try handle.close()
        logger.debug("two")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.range(of: "one")!.lowerBound < text.range(of: "child line")!.lowerBound)
        #expect(text.range(of: "child line")!.lowerBound < text.range(of: "two")!.lowerBound)
    }

    @Test func screenDumpHasTheBannerAndTheWholeLog() throws {
        let runLog = RunLog(screen: nil)
        #expect(runLog.screenDump().hasSuffix("Log file not found\n"))
        let path = try temporaryDirectory() + "/run.log"
        try runLog.attach(file: path)
        runLog.logger(name: "orcl").info("hello")
        let dump = runLog.screenDump()
        #expect(dump.hasPrefix("\n======================\nBACKUP LOG FILE OUTPUT\n======================\n\n\n"))
        #expect(dump.contains("INFO     orcl            hello"))
    }
}

@Suite("Log retention")
struct LogRetentionTests {
    @Test func removesOnlyOldLogFiles() throws {
        let directory = try temporaryDirectory()
        let now = Date()
        func make(_ name: String, ageDays: Double) throws {
            let path = directory + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
            try FileManager.default.setAttributes(
                [.modificationDate: now.addingTimeInterval(-ageDays * 86_400)],
                ofItemAtPath: path)
        }
        try make("old.log", ageDays: 10)
        try make("new.log", ageDays: 1)
        try make("old.txt", ageDays: 10)
        try FileManager.default.createDirectory(atPath: directory + "/dir.log", withIntermediateDirectories: false)
        let removed = LogRetention.clean(directory: directory, days: 7, now: now, logger: Logger(label: "t"))
        #expect(removed == [directory + "/old.log"])
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: directory)) == ["new.log", "old.txt", "dir.log"])
    }
}

@Suite("The run log on a full file system")
struct RunLogWriteFailureTests {
    @Test func aFullFileSystemIsRememberedAndFailsTheSession() async throws {
        // /dev/full accepts the open and fails every write with ENOSPC, like a full log file system.
        let log = RunLog(screen: nil)
        try log.attach(file: "/dev/full")
        log.record(level: .info, name: "orcl", message: "first line")
        log.record(level: .info, name: "orcl", message: "second line")
        let failure = try #require(log.writeFailure)
        #expect(failure.contains("/dev/full"))
        #expect(failure.contains("No space left on device"))

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = RunSession(
            runLog: RunLog(screen: nil), logPath: "/dev/full", logRetentionDays: nil, lockDirectory: directory,
            maxLockWait: .seconds(0), dumpLogToScreen: false, screen: { _ in })
        let logger = session.runLog.logger(name: "orcl")
        do {
            _ = try await session.run(logger: logger) {
                logger.info("the action ran")
                return 1
            }
            Issue.record("a run whose log could not be written reported success")
        } catch {
            guard case .logFile(let message) = error else {
                Issue.record("unexpected failure \(error)")
                return
            }
            #expect(message.contains("No space left on device"))
        }
        // The lock was released all the same.
        #expect(!FileManager.default.fileExists(atPath: directory + "/backup.lck"))
    }

    @Test func aWritableLogHasNoFailure() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = RunLog(screen: nil)
        try log.attach(file: directory + "/run.log")
        log.record(level: .info, name: "orcl", message: "line")
        #expect(log.writeFailure == nil)
    }
}
