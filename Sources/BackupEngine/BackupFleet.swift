import ConfigModel
import Foundation
import ToolSupport

/// `backup --all <action>`: one action for every database of a configuration file (sections with a `dbid`), at
/// most `parallel` at a time, never stopping at a failure.
///
/// How each database runs is the caller's choice (the `backup` tool starts itself once per database, so each run
/// has its own process, log, lock and signal handling; an embedder may call ``BackupEngine`` directly).
public struct BackupFleet: Sendable {
    /// One database's run in the fleet.
    public struct Member: Sendable {
        /// The database (configuration section).
        public var database: String
        /// The run's exit code: 0 for success, else as ``BackupFailure/exitCode``.
        public var exitCode: Int32
        /// What the run printed.
        public var output: String
        /// Wall-clock duration of the run, in seconds.
        public var seconds: Double

        /// A finished run of `database`.
        public init(database: String, exitCode: Int32, output: String, seconds: Double) {
            self.database = database
            self.exitCode = exitCode
            self.output = output
            self.seconds = seconds
        }
    }

    /// The configuration file whose databases (sections with a `dbid`) run.
    public var configuration: BackupConfiguration
    /// Databases to leave out.
    public var excluded: Set<String>
    /// How many databases run at the same time.
    public var parallel: Int

    /// A fleet of the databases of `configuration` without `excluded`.
    public init(configuration: BackupConfiguration, excluded: Set<String> = [], parallel: Int = 1) {
        self.configuration = configuration
        self.excluded = excluded
        self.parallel = parallel
    }

    /// Parses `--exclude a,b`.
    public static func excludedDatabases(_ list: String?) -> Set<String> {
        Set((list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// The databases that run, in file order.
    /// - Throws: ``BackupFailure`` (configuration, exit 2) when `excluded` names a database the file lacks.
    public func databases() throws(BackupFailure) -> [String] {
        let unknown = excluded.subtracting(configuration.databaseNames)
        if !unknown.isEmpty {
            throw BackupFailure(
                .configuration,
                "--exclude names databases that are not in \(configuration.path): \(unknown.sorted().joined(separator: ", "))",
                exitCode: 2)
        }
        return configuration.databaseNames.filter { !excluded.contains($0) }
    }

    /// Runs `runOne` for every database and returns the results in file order; `finished` sees each as it ends.
    public func run(
        _ runOne: @escaping @Sendable (String) async -> Member, finished: (Member) -> Void = { _ in }
    ) async throws(BackupFailure) -> [Member] {
        let databases = try databases()
        var members: [Member] = []
        await BoundedConcurrency.run(databases, limit: parallel, body: runOne) { member in
            finished(member)
            members.append(member)
        }
        return members.sorted {
            (databases.firstIndex(of: $0.database) ?? 0) < (databases.firstIndex(of: $1.database) ?? 0)
        }
    }

    /// The summary table printed after the runs.
    public static func summary(action: String, members: [Member]) -> [String] {
        let width = max(8, members.map(\.database.count).max() ?? 0)
        var lines = [
            "", "Summary of \(action):",
            "  " + "DATABASE".padding(toLength: width, withPad: " ", startingAt: 0) + "  RESULT   EXIT  SECONDS",
        ]
        for member in members {
            let outcome =
                member.exitCode == 0 ? "ok     " : member.exitCode == offsiteCopyFailedExitCode ? "no copy" : "FAILED "
            lines.append(
                "  " + member.database.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(outcome)  "
                    + String(member.exitCode).padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                    + String(format: "%.1f", member.seconds))
        }
        return lines
    }

    /// The fleet's exit code: the worst member's.
    /// A backup that failed (1, 2) outranks one that succeeded while its off-site copy failed
    /// (``offsiteCopyFailedExitCode``), which outranks success.
    public static func exitCode(_ members: [Member]) -> Int32 {
        let codes = members.map(\.exitCode)
        return codes.filter { $0 != offsiteCopyFailedExitCode }.max().flatMap { $0 == 0 ? nil : $0 }
            ?? codes.max() ?? 0
    }

    /// The exit code of `backup <db> imagecopywithsnap` when the backup succeeded and its off-site copy
    /// (`[replication]`) did not.
    public static let offsiteCopyFailedExitCode: Int32 = 3
}
