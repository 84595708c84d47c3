import BackupEngine
import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Synchronization

/// Values handed to a callback (screen lines, events), in the order they arrived.
final class Collected<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    /// Everything so far, oldest first.
    var all: [Element] { storage.withLock { $0 } }
    func append(_ element: Element) { storage.withLock { $0.append(element) } }
}

extension Collected where Element == String {
    /// The lines as one text.
    var text: String { all.joined(separator: "\n") }
}

extension Collected where Element == BackupEvent {
    /// The titles of the `.step` events, in order.
    var stepTitles: [String] {
        all.compactMap {
            if case .step(let title) = $0 { return title }
            return nil
        }
    }

    /// The events' kinds in order (`started`, `step`, `snapshotTaken`, `retentionApplied`, `finished`).
    var kinds: [String] {
        all.map {
            switch $0 {
            case .started: "started"
            case .step: "step"
            case .snapshotTaken: "snapshotTaken"
            case .retentionApplied: "retentionApplied"
            case .finished: "finished"
            }
        }
    }
}

/// A throw-away directory holding a `backup.cfg` for database `orcl`: backups under `<root>/backup`, an Oracle home
/// that does not exist (nothing in these tests may start Oracle), snapshots through `localfs` settings (the engine is
/// given an in-memory driver instead). Removed when the fixture goes away.
final class BackupEngineFixture: Sendable {
    let root: String
    let configPath: String
    /// Whether the engine asked for a storage driver.
    let driverRequests = Collected<String>()
    let backend = InMemoryStorageBackend()
    let screen = Collected<String>()
    let events = Collected<BackupEvent>()
    let log = RecordingLogHandler.Store()

    /// - Parameters:
    ///   - parent: where the fixture's directory is made.
    ///   - generic: extra lines for `[generic]` (`requiremount: FALSE` unless the test checks the mount rule).
    ///   - leaveOut: keys whose lines are left out of the file (for configuration problems).
    init(
        parent: String = NSTemporaryDirectory(), generic: String = "requiremount: FALSE", leaveOut: Set<String> = []
    ) throws {
        root = (parent as NSString).appendingPathComponent("oib-backup-engine-\(UUID().uuidString.prefix(8))")
        configPath = root + "/backup.cfg"
        try FileManager.default.createDirectory(atPath: root + "/backup", withIntermediateDirectories: true)
        let lines = """
            [generic]
            logretention: 7
            backupdest: \(root)/backup
            tnsadmin: tns
            osuser: oracle
            oraclehome: \(root)/no-oracle-home
            maxlockwait: 1
            snappermodule: localfs
            \(generic)
            [rman]
            catalog: /@rman
            [orcl]
            dbid: 1433672784
            recoverywindow: 2
            parallel: 2
            snapexpirationdays: 31
            """
        let text =
            lines.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !leaveOut.contains { line.hasPrefix($0 + ":") } }
            .joined(separator: "\n") + "\n"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// `<root>/backup`: `backupdest`.
    var backupRoot: String { root + "/backup" }
    /// `<root>/backup/orcl`: the backup area of `orcl`.
    var area: String { backupRoot + "/orcl" }

    /// The engine over the fixture's file: the in-memory driver, screen and events collected, the run's messages
    /// also recorded in ``log``.
    func engine() throws -> BackupEngine {
        let configuration = try BackupConfiguration.load(
            explicitPath: configPath, environment: [:], executableDirectory: root)
        let (backend, requests, screen, log) = (self.backend, driverRequests, self.screen, self.log)
        return BackupEngine(
            configuration: configuration, environment: [:],
            makeDriver: { settings, _ in
                requests.append(settings.name)
                return InMemoryStorageDriver(volumeName: settings.name, backend: backend)
            },
            screen: { screen.append($0) }, additionalLogHandler: { _ in RecordingLogHandler(store: log) },
            programDirectory: root + "/bin")
    }

    /// Runs `request` through ``engine()``, collecting its events.
    func run(_ request: BackupRequest) async throws -> BackupOutcome {
        let events = self.events
        return try await engine().run(request) { events.append($0) }
    }

    /// The entries of `directory`, sorted; empty when it does not exist.
    func contents(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
