import ArgumentParser
import AutorestoreEngine
import CommandSupport
import ConfigModel
import Foundation
import Logging
import Reporting
import ResultCatalog
import StandardCatalogs
import StandardDrivers
import StorageKit
import ToolSupport

/// `report [--config F] [--json] [--html FILE] [--prometheus FILE] [db1,db2,...]`: the health of every database's
/// backups and restore tests (the original's report.py). Reads only: never changes the catalog or the storage.
public struct ReportCommand: AsyncParsableCommand {
    /// The command's name, summary and `--help` discussion.
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Shows which backups and restore tests are healthy: a table, JSON, an HTML page, Prometheus metrics.",
        discussion: """
            Without a list every database section of the configuration is reported. Reads the storage and the results
            catalog only. Exit codes: 0 the report was made (whatever it says), 1 an output file could not be written,
            2 usage or configuration problem.
            """)

    /// The usage line printed after every usage error (exit 2).
    public static let usage =
        "Usage: report [--config FILE] [--json] [--text] [--html FILE] [--prometheus FILE] [--trend N] [--parallel N] [--max-age-hours H] [db1,db2,...]"

    /// `--config FILE`.
    @OptionGroup public var configuration: ConfigurationOptions

    /// `--json`: print the versioned JSON document instead of the table.
    @Flag(name: .long, help: "Print the report as JSON (schemaVersion 1) instead of a table.")
    public var json = false

    /// `--text`: print the table even when an output file is written.
    @Flag(name: .long, help: "Print the table even with --html or --prometheus.")
    public var text = false

    /// `--html FILE`: write the self-contained HTML page.
    @Option(name: .long, help: "Write a self-contained HTML page to this file.")
    public var html: String?

    /// `--prometheus FILE`: write the node_exporter textfile (atomically).
    @Option(name: .long, help: "Write Prometheus metrics (node_exporter textfile format) to this file.")
    public var prometheus: String?

    /// `--trend N`: restores in each database's duration trend (default 10).
    @Option(name: .long, help: "Restores shown in each database's duration trend.")
    public var trend = 10

    /// `--parallel N`: storage listings at the same time (default 8).
    @Option(name: .long, help: "Storage listings at the same time.")
    public var parallel = 8

    /// `--max-age-hours H`: a restore test older than this is a warning (default 48).
    @Option(name: .long, help: "A restore test older than this many hours is a warning.")
    public var maxAgeHours: Double = 48

    /// `--now TIME`: the report time (ISO-8601), for reproducible reports and tests; default: now.
    @Option(name: .long, help: .hidden)
    public var now: String?

    /// The databases, comma separated (the original's single argument).
    @Argument(help: "Comma-separated databases (default: all).")
    public var databases: String?

    /// An empty command; ArgumentParser fills the options when it parses the arguments.
    public init() {}

    /// Checks the numbers, the time and the database names (usage, exit 2).
    public func validate() throws {
        guard trend >= 1, trend <= 1000 else { throw ValidationError("--trend must be between 1 and 1000") }
        guard parallel >= 1, parallel <= 256 else { throw ValidationError("--parallel must be between 1 and 256") }
        guard maxAgeHours > 0, maxAgeHours <= 1_000_000 else {
            throw ValidationError("--max-age-hours must be positive")
        }
        if let now, StorageJSON.parseISO8601(now) == nil { throw ValidationError("--now must be an ISO-8601 time") }
        for name in selectedNames ?? [] { try DatabaseArgument.validate(name) }
    }

    /// The databases named on the command line, each once, in the order given (a database named twice would give
    /// duplicate series, and node_exporter rejects a textfile with duplicates as a whole).
    var selectedNames: [String]? {
        databases.map { list in
            var seen = Set<String>()
            return list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { seen.insert($0).inserted }
        }
    }

    /// Loads the configuration, collects the report and writes the outputs asked for.
    public func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try self.configuration.loadForTool(
            environment: environment, storageModules: StandardDrivers.registry)
        let known = configuration.databaseNames
        let names = selectedNames ?? known
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw ToolExit.usage("\(unknown) is not a database section of \(configuration.path)")
        }
        var logger = Logger(label: "report") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = environment["REPORT_DEBUG"] == "TRUE" ? .debug : .error
        let reportTime = now.flatMap(StorageJSON.parseISO8601) ?? Date()
        let report = await Self.collect(
            configuration: configuration, names: names, environment: environment, now: reportTime,
            trendLength: trend, parallelism: parallel, restoreMaxAgeHours: maxAgeHours, logger: logger)
        if json {
            Output.line(try ReportText.json(report))
        } else if text || (html == nil && prometheus == nil) {
            Output.line(ReportText.table(report))
        }
        var failed = false
        for (path, content) in [(html, { HTMLReport.page(report) }), (prometheus, { PrometheusReport.text(report) })] {
            guard let path else { continue }
            do {
                try AtomicFile.write(content(), to: path)
            } catch {
                Output.error("cannot write \(path): \(error.localizedDescription)")
                failed = true
            }
        }
        if failed { throw ToolExit(1) }
    }

    /// The report over `names` of `configuration`: one subject per database (its driver built when its listing
    /// starts), each distinct results catalog opened once, read-only.
    public static func collect(
        configuration: BackupConfiguration, names: [String], environment: [String: String], now: Date,
        trendLength: Int, parallelism: Int, restoreMaxAgeHours: Double, logger: Logger
    ) async -> Report {
        var catalogs: [String: any ResultCatalog] = [:]
        var subjects: [ReportSubject] = []
        for name in names {
            let (found, problems) = configuration.databaseCollectingProblems(name, for: [.storage])
            guard let settings = found, problems.isEmpty else {
                let message = ConfigError(problems).description
                subjects.append(
                    ReportSubject(
                        name: name, listSnapshots: { throw ReportSetupError(message) },
                        catalog: .unavailable(backend: nil, location: nil, reason: message), autorestoreEnabled: false,
                        validation: .never))
                continue
            }
            let access: CatalogAccess
            do {
                if let catalog = try VerifiedSnapshotLookup.configuredCatalog(
                    settings: settings, environment: environment, logger: logger)
                {
                    let key = "\(catalog.backendName)|\(catalog.location)"
                    if catalogs[key] == nil { catalogs[key] = catalog }
                    access = .catalog(key: key)
                } else {
                    access = .notConfigured
                }
            } catch {
                access = .unavailable(
                    backend: settings.autorestore.catalogType, location: settings.autorestore.catalogLocation,
                    reason: "\(error)")
            }
            let validation: ValidationPlanning
            switch ValidationSchedule(
                modulus: settings.autorestore.validationModulus, chance: settings.autorestore.validateChance)
            {
            case .modulus(let days):
                let plan = ValidationSchedule.plan(key: settings.validationScheduleKey, modulus: days, now: now)
                validation = .modulus(days: days, nextDate: plan.nextDate, daysToNext: plan.daysToNext)
            case .chance(let oneIn): validation = .chance(oneIn: oneIn)
            case .never: validation = .never
            }
            var subject = ReportSubject(
                name: name,
                listSnapshots: {
                    let storage: any StorageDriver
                    do {
                        storage = try StandardDrivers.driver(
                            for: settings, configuration: configuration, logger: logger)
                    } catch let setup as DriverSetupError {
                        throw ReportSetupError(setup.message)
                    }
                    do {
                        let snapshots = try await storage.listSnapshots()
                        await storage.close()
                        return snapshots
                    } catch {
                        await storage.close()
                        throw error
                    }
                }, catalog: access, autorestoreEnabled: settings.autorestoreEnabled, validation: validation,
                snapshotWarningHours: settings.generic.warningSnapshotAgeHours,
                snapshotCriticalHours: settings.generic.criticalSnapshotAgeHours)
            // The off-site copy ([replication]), when the database has one.
            if let replication = try? ReplicationSettings.read(
                database: name, in: configuration, databaseModule: settings.storage.moduleName,
                ageHours: (settings.generic.warningSnapshotAgeHours, settings.generic.criticalSnapshotAgeHours))
            {
                subject.replicaAgeHours = (replication.warningAgeHours, replication.criticalAgeHours)
                subject.listReplicaSnapshots = {
                    let storage: any StorageDriver
                    do {
                        storage = try StandardDrivers.driver(
                            for: settings, configuration: configuration, logger: logger)
                    } catch let setup as DriverSetupError {
                        throw ReportSetupError(setup.message)
                    }
                    await storage.close()
                    guard
                        let replica = try StandardDrivers.registry.replica(
                            of: storage, database: name, in: configuration,
                            databaseModule: settings.storage.moduleName, logger: logger)
                    else { return [] }
                    return try await closingStorage(replica.driver) {
                        try await SnapshotReplication.listing(of: replica.driver)
                    }
                }
            }
            subjects.append(subject)
        }
        let collector = ReportCollector(
            catalogs: catalogs, parallelism: parallelism, trendLength: trendLength,
            restoreMaxAgeHours: restoreMaxAgeHours, now: now, logger: logger)
        return await collector.collect(subjects)
    }
}

/// A database whose settings do not give a storage driver.
struct ReportSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
