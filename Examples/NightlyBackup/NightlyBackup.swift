// A nightly job that embeds BackupEngine: `imagecopywithsnap` for each database named on the command line, one
// after the other, with the job's own log handler, then one summary line per database from the typed outcomes.
//
//     example-nightly-backup --config /etc/oib/backup.cfg orcl sales
//
// Exit code: 0 when every backup succeeded, else the worst exit code (1 run failure, 2 configuration or lock).

import BackupEngine
import ConfigModel
import Foundation
import Logging
import StandardCatalogs
import StandardDrivers

/// The job's own log handler: every message at INFO and above (the steps among them) as
/// `nightly | db | LEVEL | text` on standard error. (The engine still writes each database's full run log beside its backup.)
struct NightlyLogHandler: LogHandler {
    let database: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        FileHandle.standardError.write(
            Data("nightly | \(database) | \(event.level.rawValue.uppercased()) | \(event.message)\n".utf8))
    }
}

@main
struct NightlyBackup {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 3, arguments[0] == "--config" else {
            print("usage: example-nightly-backup --config FILE <database> [<database> …]")
            exit(2)
        }
        let path = arguments[1]
        arguments.removeFirst(2)
        let environment = ProcessInfo.processInfo.environment
        let configuration: BackupConfiguration
        do {
            configuration = try BackupConfiguration.load(
                explicitPath: path, environment: environment, executableDirectory: "",
                storageModules: StandardDrivers.registry)
        } catch {
            print("\(error)")
            exit(2)
        }
        let engine = BackupEngine(
            configuration: configuration, environment: environment,
            makeDriver: StandardDrivers.factory(configuration: configuration),
            openCatalog: CatalogFactory.opener(environment: environment),
            verifiedSnapshots: VerifiedSnapshotLookup.reader(configuration: configuration, environment: environment),
            // The run logs' screen lines are not wanted on this job's output; the files keep everything.
            screen: { _ in },
            additionalLogHandler: { label in NightlyLogHandler(database: label) },
            programDirectory: "")

        var worst: Int32 = 0
        for database in arguments {
            let steps = StepCounter()
            let outcome = await engine.run(BackupRequest(database: database, action: .imagecopywithsnap)) { event in
                if case .step = event { steps.increment() }
            }
            let seconds = String(format: "%.1f", outcome.finishedAt.timeIntervalSince(outcome.startedAt))
            if let failure = outcome.failure {
                print(
                    "\(database): FAILED (\(failure.stage), exit \(failure.exitCode)) after \(seconds) s: \(failure.message)"
                )
            } else {
                let retention = outcome.retention.map { " retention: \($0.summary);" } ?? ""
                print(
                    "\(database): ok, snapshot \(outcome.snapshotID ?? "none");\(retention) \(steps.value) steps in \(seconds) s, log \(outcome.logFile ?? "-")"
                )
            }
            worst = max(worst, outcome.exitCode)
        }
        exit(worst)
    }
}

/// Counts events from the engine's event handler (which may be called from any task).
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
