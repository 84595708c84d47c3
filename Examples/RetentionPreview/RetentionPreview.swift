// A retention preview: reads a configuration, lists a database's snapshots through its storage driver and prints
// the retention plan with the reason for every keep and drop. It deletes nothing.
//
//     example-retention-preview --config /etc/oib/backup.cfg [--at 'YYYY-MM-DD HH:MM:SS'] orcl
//
// `--at` plans as retention would at that UTC time (for example: what is dropped next month); default now.
// Exit code: 0 printed, 1 the snapshots could not be listed, 2 configuration problem.

import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StandardCatalogs
import StandardDrivers
import StorageRetention

@main
struct RetentionPreview {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard arguments.count == 3 || arguments.count == 5, arguments[0] == "--config",
            arguments.count == 3 || (arguments[2] == "--at" && formatter.date(from: arguments[3]) != nil)
        else {
            print("usage: example-retention-preview --config FILE [--at 'YYYY-MM-DD HH:MM:SS'] <database>")
            exit(2)
        }
        let (path, database) = (arguments[1], arguments[arguments.count - 1])
        let planningTime = arguments.count == 5 ? formatter.date(from: arguments[3])! : Date()
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: database)
        logger.logLevel = .warning
        do {
            let configuration = try BackupConfiguration.load(
                explicitPath: path, environment: environment, executableDirectory: "",
                storageModules: StandardDrivers.registry)
            let (loaded, problems) = configuration.databaseCollectingProblems(database, for: [.storage, .retention])
            guard let settings = loaded, problems.isEmpty else {
                print(ConfigError(problems).description)
                exit(2)
            }
            let retention = try configuration.retentionConfiguration(database: database)
            let storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
            // The same answer retention gets in a backup: which snapshots passed an autorestore.
            let verified = await VerifiedSnapshotLookup.read(
                settings: settings, retention: retention,
                keepVerifiedExplicit: configuration.keepVerifiedIsExplicit(database: database),
                environment: environment, logger: logger)
            let (plan, listingError) = await SnapshotRetention.plan(
                storage: storage, configuration: retention, verified: verified, now: planningTime)
            print(RetentionPlanRenderer.dryRun(plan))
            let keep = plan.decisions.filter { $0.action != .drop }.count
            print("\(database): \(plan.decisions.count) snapshots, \(keep) kept, \(plan.dropCount) would be dropped")
            if let listingError {
                print("listing failed: \(listingError)")
                exit(1)
            }
        } catch {
            print("\(error)")
            exit(2)
        }
    }
}
