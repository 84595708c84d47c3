import AutorestoreEngine
import ConfigModel
import Foundation
import Logging
import OracleTools
import ResultCatalog
import StorageKit
import ToolSupport

/// Runs autorestore for the selected databases of one configuration file.
struct AutorestoreRunner: Sendable {
    var configuration: BackupConfiguration
    var environment: [String: String]
    var parallel: Int
    var now: @Sendable () -> Date = { Date() }

    /// Databases (sections with a `dbid`) whose `autorestoreenabled` is `1`, filtered by `<db>` or `!<db>`.
    func databases(selector: String?) -> [String] {
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

    func listValidationDates() {
        for name in databases(selector: nil) {
            guard let settings = configuration.databaseCollectingProblems(name, for: []).0 else { continue }
            switch ValidationSchedule(
                modulus: settings.autorestore.validationModulus,
                chance: settings.autorestore.validateChance)
            {
            case .modulus(let days):
                Output.line(
                    ValidationSchedule.listingLine(
                        database: name, key: settings.validationScheduleKey,
                        modulus: days, now: now()))
            case .chance(let n):
                Output.line("Validation is based on chance, probability 1/\(n)")
                return
            case .never:
                Output.line("Database validation is not turned on")
                return
            }
        }
    }

    func createCatalog() async -> Int32 {
        guard let name = configuration.databaseNames.first,
            let settings = configuration.databaseCollectingProblems(name, for: []).0
        else {
            Output.error("\(configuration.path): no database section to read [autorestore] settings through")
            return 2
        }
        do {
            let catalog = try makeCatalog(settings: settings, logger: Logger(label: "config"))
            try await catalog.prepare()
            Output.line("Results catalog (\(catalog.backendName)) is ready")
            return 0
        } catch {
            Output.error("\(error)")
            return 1
        }
    }

    func restoreAll(selector: String?) async -> Int32 {
        let names = databases(selector: selector)
        if let selector, !selector.hasPrefix("!"), names.isEmpty {
            Output.error("\(configuration.path): no database section [\(selector)] (a section with a dbid)")
            return 2
        }
        var codes: [Int32] = []
        await withTaskGroup(of: Int32.self) { group in
            var next = 0
            func launch() {
                guard next < names.count, Interruption.signal == nil else { return }
                let name = names[next]
                next += 1
                group.addTask { await restoreOne(name) }
            }
            for _ in 0..<min(parallel, names.count) { launch() }
            for await code in group {
                codes.append(code)
                launch()
            }
        }
        return codes.max() ?? 0
    }

    /// One database: its own log, lock, directories, clone, catalog row. Returns its exit code.
    func restoreOne(_ name: String) async -> Int32 {
        let (loaded, problems) = configuration.databaseCollectingProblems(name, for: [.autorestore, .storage])
        guard var settings = loaded, problems.isEmpty else {
            Output.error("\(name): \(ConfigError(problems).description)")
            return 2
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
        else {
            Output.error("\(name): autorestore directories and oraclehome are required")
            return 2
        }
        // R-20: a missing directory fails this database only.
        for (what, path) in [
            ("Restore directory", destination), ("Clone mount directory", mountPoint),
            ("Log directory", logDirectory),
        ] {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                Output.error("\(name): \(what) \(path) not found or is not a proper directory")
                return 2
            }
        }
        let runLog = RunLog(screen: RunLog.standardOutput)
        let logger = runLog.logger(name: name)
        let started = now()
        let logPath = RunLogNames.autorestoreLog(directory: logDirectory, database: name, date: started)
        do {
            try runLog.attach(file: logPath)
        } catch {
            Output.error("\(name): cannot open log \(logPath): \(error)")
            return 1
        }
        defer { runLog.close() }
        if let days = settings.generic.logRetentionDays {
            LogRetention.clean(directory: logDirectory, days: days, logger: logger)
        }
        logger.info("Logfile: \(logPath)")
        Interruption.onSignal { signal in
            logger.warning("Received \(Interruption.name(signal)): stopping the running children and cleaning up")
        }

        let lock: HardLinkLock
        do {
            lock = try await HardLinkLock.acquire(
                directory: logDirectory, name: parallel > 1 ? "autorestore-\(name).lck" : "backup.lck",
                maxWait: .seconds(30 * 60), logger: logger)
        } catch {
            logger.error("\(error)")
            return 2
        }
        defer { lock.release() }

        let schedule = ValidationSchedule(
            modulus: settings.autorestore.validationModulus,
            chance: settings.autorestore.validateChance)
        let validate = schedule.shouldValidate(key: settings.validationScheduleKey, now: started)
        if case .modulus(let days) = schedule, !validate {
            let plan = ValidationSchedule.plan(key: settings.validationScheduleKey, modulus: days, now: started)
            logger.debug("Next database validation in \(plan.daysToNext) days: \(plan.nextDate)")
        }

        let storage: any StorageDriver
        let templates: ScriptTemplates
        do {
            storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
            templates = try BuiltInTemplates.load(
                BuiltInTemplates.restore,
                overrideDirectory: settings.generic.templateDirectory)
        } catch {
            logger.error("\(error)")
            return 2
        }
        let local = settings.storage.driver == .localfs || settings.storage.driver == .btrfs
        let mounting: CloneMounting
        if local && settings.autorestore.mountCommand == nil {
            mounting = .direct
        } else {
            let commands = MountCommandLine.commands(settings.autorestore, mountPoint: mountPoint)
            mounting = .commands(mount: commands.mount, unmount: commands.unmount, mountPoint: mountPoint)
        }
        let policyLookup = configuration.lookup(defaultSection: name)
        func policy(_ key: String, _ fallback: FindingPolicy) -> FindingPolicy {
            ((try? policyLookup.value(key, section: "autorestore"))??.value).flatMap {
                FindingPolicy(rawValue: $0.lowercased())
            } ?? fallback
        }
        let job = AutorestoreJob(
            settings: settings, storage: storage,
            oracleHome: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin), baseEnvironment: environment,
            timeouts: StepTimeouts(overrides: settings.generic.timeouts), templates: templates, logger: logger,
            logFile: logPath, validate: validate, mounting: mounting,
            nonloggedPolicy: policy("nologging", .warn), timeAheadPolicy: policy("timeahead", .fail),
            homeDirectories: [environment["HOME"], NSHomeDirectory()].compactMap { $0 }, now: now)
        let result = await job.run()
        let elapsed = PythonDuration.format(.milliseconds(Int64(result.finishedAt.timeIntervalSince(started) * 1000)))
        if result.success {
            logger.info("Restore successful, elapsed time: \(elapsed)")
        } else {
            logger.info("Restore failed, elapsed time: \(elapsed)")
        }

        var code: Int32 = result.success ? 0 : 1
        logger.debug("Logging the result to catalog.")
        do {
            let catalog = try makeCatalog(settings: settings, logger: logger)
            if catalog.backendName != "oracle" { try await catalog.prepare() }
            let logText = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            let id = try await catalog.recordRestore(
                RestoreRecord(
                    database: name, startedAt: started, finishedAt: result.finishedAt, success: result.success,
                    failureReason: result.failure?.reason.rawValue, failureDetail: result.failure?.detail,
                    snapshotID: result.snapshotID, restoreTarget: result.cloneName, expectedTime: result.expectedTime,
                    verifiedTime: result.verifiedTime, timeDifferenceSeconds: result.differenceSeconds,
                    validated: result.validationPlanned, corruptBlocks: result.corruptBlocks,
                    phaseSeconds: result.phaseSeconds, logText: logText, logFile: logPath))
            logger.debug("Result recorded in the \(catalog.backendName) catalog as \(id)")
        } catch {
            // R-01: a result that is not recorded is a failed run, distinguishable from a failed restore.
            logger.error(
                "Restore \(result.success ? "succeeded" : "failed"), but recording the result failed: \(error)")
            code = 1
        }
        await purgeDiagnostics(settings: settings, home: home, logDirectory: logDirectory, logger: logger)
        return code
    }

    func makeCatalog(settings: DatabaseSettings, logger: Logger) throws -> any ResultCatalog {
        try CatalogFactory.make(settings: settings, environment: environment, logger: logger)
    }

    /// ADR purge of the temporary instances' diagnostics (reference §7.3 l); failures are warnings.
    func purgeDiagnostics(settings: DatabaseSettings, home: String, logDirectory: String, logger: Logger) async {
        let runner = OracleRunner(
            home: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin),
            baseEnvironment: environment,
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
