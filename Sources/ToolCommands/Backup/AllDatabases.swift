import ConfigModel
import Foundation
import OracleTools
import ToolSupport

/// `backup --all <action>`: runs `backup <db> <action>` for every database (sections with a `dbid`), at most
/// `parallel` at a time, never stopping at a failure; prints a summary table; exit code = the worst result.
enum AllDatabases {
    struct Result: Sendable {
        var database: String
        var exitCode: Int32
        var output: String
        var seconds: Double
    }

    static func run(
        action: String, configuration: BackupConfiguration, exclude: String?, parallel: Int,
        dryRun: Bool
    ) async -> Int32 {
        let excluded = Set((exclude ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let unknown = excluded.subtracting(configuration.databaseNames)
        if !unknown.isEmpty {
            Output.error(
                "--exclude names databases that are not in \(configuration.path): \(unknown.sorted().joined(separator: ", "))"
            )
            return 2
        }
        let databases = configuration.databaseNames.filter { !excluded.contains($0) }
        let program = ProgramLocation.executablePath
        var results: [Result] = []
        await withTaskGroup(of: Result.self) { group in
            var next = 0
            func launch() {
                guard next < databases.count, Interruption.signal == nil else { return }
                let database = databases[next]
                next += 1
                var arguments = ["--config", configuration.path, database, action]
                if dryRun { arguments.insert("--dry-run", at: 0) }
                group.addTask { await runChild(program: program, arguments: arguments, database: database) }
            }
            for _ in 0..<min(parallel, databases.count) { launch() }
            for await result in group {
                Output.line("--- DATABASE: \(result.database) ---")
                if !result.output.isEmpty {
                    Output.line(result.output.hasSuffix("\n") ? String(result.output.dropLast()) : result.output)
                }
                results.append(result)
                launch()
            }
        }
        results.sort { databases.firstIndex(of: $0.database)! < databases.firstIndex(of: $1.database)! }
        Output.line("")
        Output.line("Summary of \(action):")
        let width = max(8, results.map(\.database.count).max() ?? 0)
        Output.line(
            "  " + "DATABASE".padding(toLength: width, withPad: " ", startingAt: 0) + "  RESULT   EXIT  SECONDS")
        for result in results {
            let outcome = result.exitCode == 0 ? "ok     " : "FAILED "
            Output.line(
                "  " + result.database.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(outcome)  "
                    + String(result.exitCode).padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                    + String(format: "%.1f", result.seconds))
        }
        return results.map(\.exitCode).max() ?? 0
    }

    /// Runs one child `backup` through the process runner: it dies with this process and is stopped with it on
    /// SIGTERM/SIGINT (it then releases its own lock).
    static func runChild(program: String, arguments: [String], database: String) async -> Result {
        let started = Date()
        do {
            let outcome = try await ProcessRunner().run(
                ProcessRequest(
                    executable: program, arguments: arguments, environment: ProcessInfo.processInfo.environment))
            return Result(
                database: database, exitCode: outcome.exitCode, output: outcome.output,
                seconds: Date().timeIntervalSince(started))
        } catch {
            return Result(database: database, exitCode: 1, output: "cannot start \(program): \(error)", seconds: 0)
        }
    }
}
