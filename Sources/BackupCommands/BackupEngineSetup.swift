import BackupEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import OracleTools
import RetentionPolicy
import StandardCatalogs
import StandardDrivers
import StorageRetention
import ToolSupport

extension BackupEngine {
    /// The engine as the `backup` tool runs it: every standard driver, the standard catalogs, standard output.
    static func standard(configuration: BackupConfiguration, environment: [String: String]) -> BackupEngine {
        BackupEngine(
            configuration: configuration, environment: environment,
            makeDriver: { settings, logger in
                do {
                    return try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
                } catch let setup as DriverSetupError {
                    throw BackupFailure(.configuration, setup.message, exitCode: setup.exitCode)
                }
            },
            openCatalog: CatalogFactory.opener(environment: environment),
            verifiedSnapshots: VerifiedSnapshotLookup.reader(configuration: configuration, environment: environment),
            offsiteCopyBase: { settings, source, logger in
                await OffsiteCopyBase.read(
                    database: settings.name, source: source, in: configuration,
                    databaseModule: settings.storage.moduleName, registry: StandardDrivers.registry, logger: logger)
            },
            screen: { Output.line($0) }, programDirectory: ProgramLocation.executableDirectory)
    }
}

extension BackupFailure {
    /// The tool's exit: the message on standard error unless the run log already showed it.
    var toolExit: ToolExit { ToolExit(exitCode, logged ? "" : message) }
}

/// `backup --all <action>`: runs `backup <db> <action>` as a child process for every database, prints each one's
/// output and the summary table; the exit code is the worst result.
enum AllDatabases {
    static func run(
        action: String, configuration: BackupConfiguration, exclude: String?, parallel: Int, dryRun: Bool
    ) async throws -> Int32 {
        let fleet = BackupFleet(
            configuration: configuration, excluded: BackupFleet.excludedDatabases(exclude), parallel: parallel)
        let program = ProgramLocation.executablePath
        let members: [BackupFleet.Member]
        do {
            members = try await fleet.run({ database in
                var arguments = ["--config", configuration.path, database, action]
                if dryRun { arguments.insert("--dry-run", at: 0) }
                return await runChild(program: program, arguments: arguments, database: database)
            }) { member in
                Output.line("--- DATABASE: \(member.database) ---")
                if !member.output.isEmpty {
                    Output.line(member.output.hasSuffix("\n") ? String(member.output.dropLast()) : member.output)
                }
            }
        } catch {
            throw error.toolExit
        }
        for line in BackupFleet.summary(action: action, members: members) { Output.line(line) }
        return BackupFleet.exitCode(members)
    }

    /// Runs one child `backup` through the process runner: it dies with this process and is stopped with it on
    /// SIGTERM/SIGINT (it then releases its own lock).
    static func runChild(program: String, arguments: [String], database: String) async -> BackupFleet.Member {
        let started = Date()
        do {
            let outcome = try await ProcessRunner().run(
                ProcessRequest(
                    executable: program, arguments: arguments, environment: ProcessInfo.processInfo.environment))
            return BackupFleet.Member(
                database: database, exitCode: outcome.exitCode, output: outcome.output,
                seconds: Date().timeIntervalSince(started))
        } catch {
            return BackupFleet.Member(
                database: database, exitCode: 1, output: "cannot start \(program): \(error)", seconds: 0)
        }
    }
}
