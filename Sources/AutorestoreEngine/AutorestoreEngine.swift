import ConfigModel
import Foundation
import Logging
import OracleTools
import ResultCatalog
import StorageKit
import ToolSupport

/// What one database's autorestore did: the restore's result, whether it was recorded, and the exit code.
public struct AutorestoreOutcome: Sendable {
    /// The database (configuration section) this outcome is about.
    public var database: String
    /// The restore itself; nil when the run stopped before it (configuration, directories, lock, log file).
    public var result: AutorestoreResult?
    /// Why the run stopped before the restore, naming the file, section, key or directory. When ``logFile`` is set
    /// the problem is also in that log (and was on the screen lines).
    public var setupProblem: String?
    /// The catalog row of the result; nil when it was not recorded.
    public var recordID: Int64?
    /// The run's log file.
    public var logFile: String?
    /// 0 the restore passed and was recorded; 1 it failed or could not be recorded; 2 a usage, configuration or
    /// lock problem.
    public var exitCode: Int32

    /// True when the restore passed and its result is in the catalog.
    public var succeeded: Bool { exitCode == 0 }
}

/// Progress of an autorestore run, for a caller that shows it.
public enum AutorestoreEvent: Sendable {
    /// A database's run starts writing `logFile`.
    case started(database: String, logFile: String)
    /// A phase of a database's restore begins: `leftovers` (autorestore only), `clone`, `startup`, `mount`,
    /// `recover`, `verify`, `validate` (when block validation runs). Clean-up is timed but not announced.
    case phase(database: String, name: String)
    /// A database's run ended.
    case finished(AutorestoreOutcome)
}

/// Runs the restore test of the databases of one configuration file, each with its own log, lock, directories,
/// clone and catalog row (reference §7.3), and records every result in the results catalog.
///
/// The engine prints nothing itself: run logs go to ``screen`` and their files, progress to the event handler,
/// results are returned as ``AutorestoreOutcome`` values.
public struct AutorestoreEngine: Sendable {
    /// The loaded configuration file; each database's settings are read from it when its run starts.
    public var configuration: BackupConfiguration
    /// The process environment (Oracle variables, `HOME`, the catalog password).
    public var environment: [String: String]
    /// How many databases restore at the same time; above 1 each gets its own clone name and directories.
    public var parallel: Int
    /// Builds the storage driver of a database.
    public var makeDriver: @Sendable (DatabaseSettings, Logger) throws -> any StorageDriver
    /// Opens the results catalog of a database.
    public var openCatalog: @Sendable (DatabaseSettings, Logger) throws -> any ResultCatalog
    /// Receives screen lines of the run logs (INFO and up).
    public var screen: @Sendable (String) -> Void
    /// The current time: log file names, the validation day, the snapshot's minimum age and the result's times;
    /// injectable for tests.
    public var clock: @Sendable () -> Date

    /// An engine over `configuration`.
    public init(
        configuration: BackupConfiguration, environment: [String: String], parallel: Int = 1,
        makeDriver: @escaping @Sendable (DatabaseSettings, Logger) throws -> any StorageDriver,
        openCatalog: @escaping @Sendable (DatabaseSettings, Logger) throws -> any ResultCatalog,
        screen: @escaping @Sendable (String) -> Void = RunLog.standardOutput,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.environment = environment
        self.parallel = parallel
        self.makeDriver = makeDriver
        self.openCatalog = openCatalog
        self.screen = screen
        self.clock = clock
    }

    /// Databases (sections with a `dbid`) whose `autorestoreenabled` is `1`, filtered by `<db>` or `!<db>`.
    public func databases(selector: String?) -> [String] {
        var names = configuration.databaseNames.filter {
            configuration.databaseCollectingProblems($0, for: []).0?.autorestoreEnabled ?? false
        }
        if let selector {
            if selector.hasPrefix("!") {
                names.removeAll { $0 == String(selector.dropFirst()) }
            } else {
                names = configuration.databaseNames.filter { $0 == selector }
            }
        }
        return names
    }

    /// The lines of `--listvalidationdates`: the next block-validation date of every enabled database.
    public func validationDateLines() -> [String] {
        var lines: [String] = []
        for name in databases(selector: nil) {
            guard let settings = configuration.databaseCollectingProblems(name, for: []).0 else { continue }
            switch ValidationSchedule(
                modulus: settings.autorestore.validationModulus, chance: settings.autorestore.validateChance)
            {
            case .modulus(let days):
                lines.append(
                    ValidationSchedule.listingLine(
                        database: name, key: settings.validationScheduleKey, modulus: days, now: clock()))
            case .chance(let n):
                lines.append("Validation is based on chance, probability 1/\(n)")
                return lines
            case .never:
                lines.append("Database validation is not turned on")
                return lines
            }
        }
        return lines
    }

    /// Creates the results catalog schema (read through the first database's `[autorestore]` settings).
    /// - Returns: The catalog's backend name.
    /// - Throws: ``AutorestoreSetupError`` when the file has no database section; the catalog's error otherwise.
    public func createCatalog() async throws -> String {
        guard let name = configuration.databaseNames.first,
            let settings = configuration.databaseCollectingProblems(name, for: []).0
        else {
            throw AutorestoreSetupError(
                "\(configuration.path): no database section to read [autorestore] settings through")
        }
        let catalog = try openCatalog(settings, Logger(label: "config"))
        try await catalog.prepare()
        return catalog.backendName
    }

    /// Restores the databases `selector` picks (all enabled ones without it), at most ``parallel`` at a time.
    /// - Throws: ``AutorestoreSetupError`` when `selector` names a database the file lacks.
    public func run(selector: String?, events: @escaping @Sendable (AutorestoreEvent) -> Void = { _ in })
        async throws(AutorestoreSetupError) -> [AutorestoreOutcome]
    {
        let names = databases(selector: selector)
        if let selector, !selector.hasPrefix("!"), names.isEmpty {
            throw AutorestoreSetupError(
                "\(configuration.path): no database section [\(selector)] (a section with a dbid)")
        }
        var outcomes: [AutorestoreOutcome] = []
        await BoundedConcurrency.run(names, limit: parallel, body: { name in await restore(name, events: events) }) {
            outcomes.append($0)
        }
        // In the order of the file, whatever order they finished in.
        return outcomes.sorted { (names.firstIndex(of: $0.database) ?? 0) < (names.firstIndex(of: $1.database) ?? 0) }
    }

    /// One database: its own log, lock, directories, clone, catalog row.
    public func restore(_ name: String, events: @escaping @Sendable (AutorestoreEvent) -> Void = { _ in }) async
        -> AutorestoreOutcome
    {
        let outcome = await restoreDatabase(name, events: events)
        events(.finished(outcome))
        return outcome
    }

    func restoreDatabase(_ name: String, events: @escaping @Sendable (AutorestoreEvent) -> Void) async
        -> AutorestoreOutcome
    {
        var outcome = AutorestoreOutcome(database: name, exitCode: 2)
        func stop(_ problem: String, exitCode: Int32 = 2) -> AutorestoreOutcome {
            outcome.setupProblem = problem
            outcome.exitCode = exitCode
            return outcome
        }
        let (loaded, problems) = configuration.databaseCollectingProblems(name, for: [.autorestore, .storage])
        guard var settings = loaded, problems.isEmpty else {
            return stop("\(name): \(ConfigError(problems).description)")
        }
        // Parallel runs must not share a clone, a mount point or a work directory.
        if parallel > 1 {
            settings.autorestore.cloneName = (settings.autorestore.cloneName ?? "autorestore") + "_" + name
            settings.autorestore.destination = settings.autorestore.destination.map { $0 + "/" + name }
            settings.autorestore.mountPoint = settings.autorestore.mountPoint.map { $0 + "/" + name }
            for directory in [settings.autorestore.destination, settings.autorestore.mountPoint].compactMap({ $0 }) {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        guard let logDirectory = settings.autorestore.logDirectory, let destination = settings.autorestore.destination,
            let mountPoint = settings.autorestore.mountPoint, let home = settings.generic.oracleHome
        else { return stop("\(name): autorestore directories and oraclehome are required") }
        // R-20: a missing directory fails this database only.
        for (what, path) in [
            ("Restore directory", destination), ("Clone mount directory", mountPoint), ("Log directory", logDirectory),
        ] {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                return stop("\(name): \(what) \(path) not found or is not a proper directory")
            }
        }
        let runLog = RunLog(screen: screen)
        let logger = runLog.logger(name: name)
        let started = clock()
        let logPath = RunLogNames.autorestoreLog(directory: logDirectory, database: name, date: started)
        do {
            try runLog.attach(file: logPath)
        } catch {
            return stop("\(name): cannot open log \(logPath): \(error)", exitCode: 1)
        }
        defer { runLog.close() }
        outcome.logFile = logPath
        events(.started(database: name, logFile: logPath))
        if let days = settings.generic.logRetentionDays {
            LogRetention.clean(directory: logDirectory, days: days, logger: logger)
        }
        logger.info("Logfile: \(logPath)")
        let signalObserver = Interruption.onSignal { signal in
            logger.warning("Received \(Interruption.name(signal)): stopping the running children and cleaning up")
        }
        defer { signalObserver.cancel() }

        let lock: HardLinkLock
        do {
            lock = try await HardLinkLock.acquire(
                directory: logDirectory, name: parallel > 1 ? "autorestore-\(name).lck" : "backup.lck",
                maxWait: .seconds(30 * 60), logger: logger)
        } catch {
            logger.error("\(error)")
            outcome.setupProblem = "\(name): \(error)"
            outcome.exitCode = 2
            return outcome
        }
        defer { lock.release() }

        let schedule = ValidationSchedule(
            modulus: settings.autorestore.validationModulus, chance: settings.autorestore.validateChance)
        let validate = schedule.shouldValidate(key: settings.validationScheduleKey, now: started)
        if case .modulus(let days) = schedule, !validate {
            let plan = ValidationSchedule.plan(key: settings.validationScheduleKey, modulus: days, now: started)
            logger.debug("Next database validation in \(plan.daysToNext) days: \(plan.nextDate)")
        }

        let storage: any StorageDriver
        let templates: ScriptTemplates
        do {
            storage = try makeDriver(settings, logger)
            templates = try BuiltInTemplates.load(
                BuiltInTemplates.restore, overrideDirectory: settings.generic.templateDirectory)
        } catch {
            logger.error("\(error)")
            outcome.setupProblem = "\(name): \(error)"
            outcome.exitCode = 2
            return outcome
        }
        // Up front, before any storage call or instance: a driver without clones could only fail half-way.
        if let refusal = storage.refusal(lacking: .clone, for: "autorestore") {
            await storage.close()
            logger.error("\(refusal)")
            outcome.setupProblem = "\(name): \(refusal)"
            outcome.exitCode = 2
            return outcome
        }
        let local = storage.capabilities.contains(.localClones)
        let mounting: CloneMounting
        if local && settings.autorestore.mountCommand == nil {
            mounting = .direct
        } else {
            let commands = MountCommandLine.commands(settings.autorestore, mountPoint: mountPoint)
            mounting = .commands(mount: commands.mount, unmount: commands.unmount, mountPoint: mountPoint)
        }
        func policy(_ value: String?, _ fallback: FindingPolicy) -> FindingPolicy {
            value.flatMap { FindingPolicy(rawValue: $0.lowercased()) } ?? fallback
        }
        var job = AutorestoreJob(
            settings: settings, storage: storage,
            oracleHome: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), templates: templates, logger: logger,
            logFile: logPath, validate: validate, mounting: mounting,
            nonloggedPolicy: policy(settings.autorestore.nologgingPolicy, .warn),
            timeAheadPolicy: policy(settings.autorestore.timeAheadPolicy, .fail),
            homeDirectories: [environment["HOME"], NSHomeDirectory()].compactMap { $0 }, now: clock)
        job.events = events
        let result = await job.run()
        // The storage session ends with the restore, failed or not (the job never throws).
        await storage.close()
        outcome.result = result
        let elapsed = PythonDuration.format(.milliseconds(Int64(result.finishedAt.timeIntervalSince(started) * 1000)))
        logger.info("Restore \(result.success ? "successful" : "failed"), elapsed time: \(elapsed)")

        outcome.exitCode = result.success ? 0 : 1
        logger.debug("Logging the result to catalog.")
        do {
            let catalog = try openCatalog(settings, logger)
            if catalog.backendName != "oracle" { try await catalog.prepare() }
            let logText = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            let id = try await catalog.recordRestore(
                RestoreRecord(
                    database: name, startedAt: started, finishedAt: result.finishedAt, success: result.success,
                    failureReason: result.failure?.reason.rawValue, failureDetail: result.failure?.detail,
                    snapshotID: result.snapshotID, restoreTarget: result.cloneName, expectedTime: result.expectedTime,
                    verifiedTime: result.verifiedTime, timeDifferenceSeconds: result.differenceSeconds,
                    validated: result.validated, corruptBlocks: result.corruptBlocks,
                    phaseSeconds: result.phaseSeconds, logText: logText, logFile: logPath))
            outcome.recordID = id
            logger.debug("Result recorded in the \(catalog.backendName) catalog as \(id)")
        } catch {
            // R-01: a result that is not recorded is a failed run, distinguishable from a failed restore.
            logger.error(
                "Restore \(result.success ? "succeeded" : "failed"), but recording the result failed: \(error)")
            outcome.exitCode = 1
        }
        await purgeDiagnostics(settings: settings, home: home, logDirectory: logDirectory, logger: logger)
        return outcome
    }

    /// ADR purge of the temporary instances' diagnostics (reference §7.3 l); failures are warnings.
    func purgeDiagnostics(settings: DatabaseSettings, home: String, logDirectory: String, logger: Logger) async {
        let runner = OracleRunner(
            home: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), logger: logger)
        do {
            let homes = OutputMarkers.adrHomes(
                try await runner.adrci(script: "set base \(logDirectory)\nshow homes\n", workDirectory: logDirectory))
            guard !homes.isEmpty else { return }
            let minutes = (settings.generic.logRetentionDays ?? 7) * 1440
            let script =
                (["set base \(logDirectory)"] + homes.flatMap { ["set home \($0)", "purge -age \(minutes)"] })
                .joined(separator: "\n") + "\n"
            _ = try await runner.adrci(script: script, workDirectory: logDirectory)
        } catch {
            logger.warning("Executing ADRCI failed: \(error)")
        }
    }
}

/// A problem that stops an autorestore run before any restore (exit 2).
public struct AutorestoreSetupError: Error, Sendable, CustomStringConvertible {
    /// What stopped the run, naming the file, section, key or database.
    public var message: String
    /// A problem described by `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
