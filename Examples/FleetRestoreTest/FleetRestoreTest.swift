// A restore test for a fleet: AutorestoreEngine restores every enabled database of a configuration file, at most
// N at a time, and this program prints one line per database from the typed outcomes.
//
//     AUTORESTORE_SAFE_SANDBOX=TRUE example-fleet-restore --config /etc/oib/backup.cfg [--parallel 2]
//
// Like `autorestore`, it refuses to run as root or without AUTORESTORE_SAFE_SANDBOX=TRUE: the restored
// controlfiles still name production files, so this must run on an isolated host.
// Exit code: 0 every restore passed and was recorded, 1 one failed, 2 usage or configuration, 3 no sandbox.

import AutorestoreEngine
import ConfigModel
import Foundation
import StandardCatalogs
import StandardDrivers

@main
struct FleetRestoreTest {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == 2 || arguments.count == 4, arguments[0] == "--config",
            arguments.count == 2 || (arguments[2] == "--parallel" && Int(arguments[3]).map { $0 >= 1 } == true)
        else {
            print("usage: example-fleet-restore --config FILE [--parallel N]")
            exit(2)
        }
        guard getuid() != 0 else {
            print("refusing to run as root")
            exit(1)
        }
        let environment = ProcessInfo.processInfo.environment
        guard environment["AUTORESTORE_SAFE_SANDBOX"] == "TRUE" else {
            print("set AUTORESTORE_SAFE_SANDBOX=TRUE on an isolated restore host")
            exit(3)
        }
        let configuration: BackupConfiguration
        do {
            configuration = try BackupConfiguration.load(
                explicitPath: arguments[1], environment: environment, executableDirectory: "",
                storageModules: StandardDrivers.registry)
        } catch {
            print("\(error)")
            exit(2)
        }
        let engine = AutorestoreEngine(
            configuration: configuration, environment: environment,
            parallel: arguments.count == 4 ? Int(arguments[3])! : 1,
            makeDriver: StandardDrivers.factory(configuration: configuration),
            openCatalog: CatalogFactory.opener(environment: environment),
            screen: { _ in })
        let outcomes: [AutorestoreOutcome]
        do {
            outcomes = try await engine.run(selector: nil)
        } catch {
            print("\(error)")
            exit(2)
        }
        for outcome in outcomes.sorted(by: { $0.database < $1.database }) {
            print(line(outcome))
        }
        exit(outcomes.map(\.exitCode).max() ?? 0)
    }

    static func line(_ outcome: AutorestoreOutcome) -> String {
        guard let result = outcome.result else {
            return "\(outcome.database): NOT RUN (exit \(outcome.exitCode)) \(outcome.setupProblem ?? "see the log")"
        }
        let seconds = String(format: "%.1f", result.finishedAt.timeIntervalSince(result.startedAt))
        let recorded = outcome.recordID.map { "recorded as \($0)" } ?? "NOT RECORDED"
        if let failure = result.failure {
            return
                "\(outcome.database): FAILED \(failure.reason.rawValue) snapshot \(result.snapshotID ?? "-") in \(seconds) s, \(recorded): \(failure.detail)"
        }
        return
            "\(outcome.database): PASSED snapshot \(result.snapshotID ?? "-") verified \(result.verifiedTime ?? "-") (difference \(result.differenceSeconds.map(String.init) ?? "-") s, validated \(result.validationPlanned)) in \(seconds) s, \(recorded)"
    }
}
