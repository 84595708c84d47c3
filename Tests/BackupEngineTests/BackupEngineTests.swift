import BackupEngine
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing
import ToolSupport

/// The engine's start-up checks and dry runs: everything that needs no Oracle.
@Suite("BackupEngine without Oracle")
struct BackupEngineTests {
    /// The steps of `imagecopywithsnap` (reference §7.1), in order.
    static let imageCopySteps = [
        "Check if there are missing archivelogs", "Switch current log", "Snap the current backup area",
        "Checking for expired datafile copies", "Refresh imagecopy", "Clean expired snapshots",
        "Dump additional information about the environment to the log file",
        "Write database parameters for autorestore",
    ]

    /// Snapshot operations that change the storage.
    static let storageChanges: Set<String> = [
        "createSnapshot", "deleteSnapshot", "cloneSnapshot", "dropClone", "createVolume", "lockSnapshot",
        "unlockSnapshot",
    ]

    @Test(
        "A configuration problem stops the run before anything else, naming file, section and key",
        arguments: [
            ("recoverywindow", BackupAction.report, "[orcl] recoverywindow"),
            ("snappermodule", BackupAction.imagecopywithsnap, "[generic] snappermodule"),
            ("oraclehome", BackupAction.config, "[generic] oraclehome"),
        ])
    func configurationProblem(missingKey: String, action: BackupAction, subject: String) async throws {
        let fixture = try BackupEngineFixture(leaveOut: [missingKey])
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: action))

        let failure = try #require(outcome.failure)
        #expect(failure.stage == .configuration)
        #expect(failure.exitCode == 2)
        #expect(outcome.exitCode == 2)
        #expect(!failure.logged)
        #expect(failure.message.contains(fixture.configPath), "\(failure.message)")
        #expect(failure.message.contains("\(subject): required key is missing"), "\(failure.message)")
        #expect(outcome.logFile == nil)
        #expect(fixture.events.kinds == ["finished"])
        if case .finished(let finished)? = fixture.events.all.first {
            #expect(finished.failure?.message == failure.message)
        }
        #expect(fixture.driverRequests.all.isEmpty)
        #expect(fixture.screen.all.isEmpty)
        #expect(fixture.log.records.isEmpty)
        #expect(fixture.contents(of: fixture.backupRoot).isEmpty)
    }

    @Test("An unknown database is a configuration problem naming it and the databases the file has")
    func unknownDatabase() async throws {
        let fixture = try BackupEngineFixture()
        let outcome = try await fixture.run(BackupRequest(database: "nosuchdb", action: .report, dryRun: true))
        let failure = try #require(outcome.failure)
        #expect(failure.stage == .configuration)
        #expect(failure.exitCode == 2)
        #expect(failure.message.contains("[nosuchdb]"), "\(failure.message)")
        #expect(failure.message.contains("databases in this file: orcl"), "\(failure.message)")
        #expect(fixture.events.kinds == ["finished"])
    }

    @Test(
        "A missing backup area refuses every action but config, and creates nothing",
        arguments: BackupAction.allCases.filter { $0 != .config })
    func missingBackupArea(action: BackupAction) async throws {
        let fixture = try BackupEngineFixture()
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: action))

        let failure = try #require(outcome.failure)
        #expect(failure.stage == .backupArea)
        #expect(failure.exitCode == 2)
        #expect(failure.message.contains("[generic] backupdest"), "\(failure.message)")
        #expect(
            failure.message.contains("the backup area \(fixture.area) of orcl does not exist"), "\(failure.message)")
        #expect(failure.message.contains("refusing to run \(action.rawValue)"), "\(failure.message)")
        #expect(fixture.events.kinds == ["finished"])
        #expect(outcome.logFile == nil)
        #expect(fixture.driverRequests.all.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.area))
        #expect(fixture.contents(of: fixture.backupRoot).isEmpty)
    }

    @Test("A backup area that is a file, not a directory, is refused like a missing one")
    func backupAreaIsAFile() async throws {
        let fixture = try BackupEngineFixture()
        try "".write(toFile: fixture.area, atomically: true, encoding: .utf8)
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .report))
        #expect(outcome.failure?.stage == .backupArea)
        #expect(outcome.exitCode == 2)
        #expect(fixture.contents(of: fixture.backupRoot) == ["orcl"])
    }

    /// True when a descriptor of this process is open on `path`.
    static func processHasOpen(_ path: String) -> Bool {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.contains {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
        }
    }

    /// The temporary directory is on the root file system, so `requiremount` (TRUE by default) applies to it.
    static let temporaryDirectoryOnRoot = !BackupAreaCheck.isOnMountedStorage(NSTemporaryDirectory())

    @Test(
        "requiremount refuses an unmarked backup area on the root file system with exit 1, writing nothing",
        .enabled(if: temporaryDirectoryOnRoot, "the temporary directory is on mounted storage, not on /"))
    func requireMountRefusesUnmarkedAreaOnRoot() async throws {
        let fixture = try BackupEngineFixture(generic: "")
        try FileManager.default.createDirectory(atPath: fixture.area, withIntermediateDirectories: true)
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .report))

        let failure = try #require(outcome.failure)
        #expect(failure.stage == .backupArea)
        #expect(failure.exitCode == 1)
        #expect(failure.message.contains("Backup destination \(fixture.area) is on the root file system"))
        #expect(failure.message.contains(BackupAreaCheck.markerFileName))
        #expect(failure.message.contains("requiremount"))
        #expect(fixture.events.kinds == ["finished"])
        #expect(fixture.contents(of: fixture.area).isEmpty)
    }

    @Test(
        "requiremount refuses even config when the area would be on the root file system",
        .enabled(if: temporaryDirectoryOnRoot, "the temporary directory is on mounted storage, not on /"))
    func requireMountAppliesToConfig() async throws {
        let fixture = try BackupEngineFixture(generic: "requiremount: TRUE")
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .config))
        #expect(outcome.failure?.stage == .backupArea)
        #expect(outcome.exitCode == 1)
        #expect(fixture.contents(of: fixture.backupRoot).isEmpty)
    }

    @Test(
        "A marked area on the root file system passes requiremount; an Oracle home without rman fails the action",
        .enabled(if: temporaryDirectoryOnRoot, "the temporary directory is on mounted storage, not on /"))
    func markedAreaRunsTheActionAndLogsItsFailure() async throws {
        let fixture = try BackupEngineFixture(generic: "")
        try FileManager.default.createDirectory(atPath: fixture.area, withIntermediateDirectories: true)
        try "".write(
            toFile: fixture.area + "/" + BackupAreaCheck.markerFileName, atomically: true, encoding: .utf8)
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .report))

        let failure = try #require(outcome.failure)
        #expect(failure.stage == .action)
        #expect(failure.exitCode == 1)
        #expect(failure.logged)
        #expect(failure.message.hasPrefix("report failed: "), "\(failure.message)")
        let logFile = try #require(outcome.logFile)
        #expect(logFile.hasPrefix(fixture.area + "/backup_logs/orcl_"))
        #expect(logFile.hasSuffix("_report.log"))
        let logText = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(logText.contains("report failed: "))
        // The lock is released; the area holds the marker and the logs only.
        #expect(fixture.contents(of: fixture.area) == [BackupAreaCheck.markerFileName, "backup_logs"])
        #expect(fixture.events.kinds == ["started", "finished"])
        if case .started(let database, let action, let startedLog)? = fixture.events.all.first {
            #expect(database == "orcl")
            #expect(action == .report)
            #expect(startedLog == logFile)
        }
        // The run log is closed when the run ends: an embedder running many backups leaks no descriptor.
        #expect(!Self.processHasOpen(logFile))
        // The embedder's handler sees what the run log sees.
        #expect(fixture.log.messages(at: .error).contains { $0.hasPrefix("report failed: ") })
        #expect(fixture.log.messages(at: .info).contains("Configuration file: \(fixture.configPath)"))
    }

    @Test("A dry run of imagecopywithsnap prints every step, changes no storage and writes no file")
    func dryRunOfImageCopyWithSnap() async throws {
        let fixture = try BackupEngineFixture()
        try FileManager.default.createDirectory(atPath: fixture.area, withIntermediateDirectories: true)
        let old = Date().addingTimeInterval(-100 * 86_400)
        await fixture.backend.addSnapshot(volume: "orcl", id: "orcl-old-1", creation: old)
        await fixture.backend.addSnapshot(volume: "orcl", id: "orcl-old-2", creation: old.addingTimeInterval(60))
        let before = try await InMemoryStorageDriver(volumeName: "orcl", backend: fixture.backend).listSnapshots()

        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .imagecopywithsnap, dryRun: true))

        #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
        #expect(outcome.exitCode == 0)
        #expect(outcome.logFile == nil)
        #expect(outcome.retention == nil)
        // The snapshot was only printed: the outcome and the events report none.
        #expect(outcome.snapshotID == nil)
        #expect(!fixture.events.kinds.contains("snapshotTaken"))
        #expect(fixture.events.stepTitles == Self.imageCopySteps)
        #expect(fixture.events.kinds.last == "finished")
        #expect(!fixture.events.kinds.contains("started"))
        #expect(fixture.driverRequests.all == ["orcl"])

        // The screen shows what would run, in order.
        let screen = fixture.screen.text
        let expectedInOrder = [
            "Dry run of imagecopywithsnap for orcl: nothing is executed, locked or written.",
            "--- SQL*Plus script (sqlplus -S /nolog) ---", "--- storage (memory) ---\ncreate snapshot ",
            "--- RMAN script (rman log \(fixture.area)/backup_logs/orcl_",
            "--- retention plan (nothing is dropped in a dry run) ---",
            "--- command ---\n\(fixture.root)/no-oracle-home/OPatch/opatch lsinventory",
        ]
        var searchFrom = screen.startIndex
        for text in expectedInOrder {
            guard let found = screen.range(of: text, range: searchFrom..<screen.endIndex) else {
                Issue.record("the screen lacks (in this order) \(text)\n\(screen)")
                break
            }
            searchFrom = found.upperBound
        }
        for title in Self.imageCopySteps { #expect(screen.contains(title)) }

        // Nothing changed: the snapshots, the area (no lock, no log, no archivelog directory, no parameters).
        let calls = await fixture.backend.callLog
        #expect(calls.filter { Self.storageChanges.contains(String($0.prefix { $0 != " " })) }.isEmpty, "\(calls)")
        let after = try await InMemoryStorageDriver(volumeName: "orcl", backend: fixture.backend).listSnapshots()
        #expect(after.map(\.id) == before.map(\.id))
        #expect(fixture.contents(of: fixture.area).isEmpty)
        #expect(fixture.contents(of: fixture.backupRoot) == ["orcl"])
    }

    @Test("A dry run needs no backup area and creates none")
    func dryRunWithoutBackupArea() async throws {
        let fixture = try BackupEngineFixture(generic: "requiremount: TRUE")
        let outcome = try await fixture.run(BackupRequest(database: "orcl", action: .backupimagecopy, dryRun: true))
        #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
        #expect(fixture.screen.text.contains("--- RMAN script"))
        #expect(fixture.driverRequests.all.isEmpty)
        #expect(fixture.contents(of: fixture.backupRoot).isEmpty)
    }

    @Test("The additional log handler receives the run's messages, the step titles in order")
    func additionalLogHandlerReceivesTheRun() async throws {
        let fixture = try BackupEngineFixture()
        _ = try await fixture.run(BackupRequest(database: "orcl", action: .imagecopywithsnap, dryRun: true))

        let info = fixture.log.messages(at: .info)
        #expect(info.filter { Self.imageCopySteps.contains($0) } == Self.imageCopySteps)
        #expect(info.contains { $0.hasPrefix("Total execution time: ") })
        #expect(fixture.log.messages(at: .debug).contains("Oracle home: \(fixture.root)/no-oracle-home"))
        // What the handler got at INFO is what reached the screen through the run log.
        for message in info { #expect(fixture.screen.text.contains(message), "\(message)") }
    }

    @Test("Without an additional log handler the run still logs to the screen")
    func noAdditionalLogHandler() async throws {
        let fixture = try BackupEngineFixture()
        var engine = try fixture.engine()
        engine.additionalLogHandler = nil
        let outcome = await engine.run(BackupRequest(database: "orcl", action: .imagecopywithsnap, dryRun: true))
        #expect(outcome.succeeded)
        #expect(fixture.log.records.isEmpty)
        #expect(fixture.screen.text.contains("Refresh imagecopy"))
    }
}
