import Foundation
import Logging
import StorageHTTP
import StorageKit

#if canImport(Glibc)
    import Glibc
#endif

/// What one case did: the faulty run, the invariants, the next normal run.
struct FaultOutcome: Sendable {
    var status: Int32
    /// Everything the faulty run said: standard output, standard error and its log files.
    var said: String
    var violations: [String]
    /// Exit status and output of the next normal run (the fault removed).
    var nextStatus: Int32
    var nextSaid: String
    var seconds: Double
}

/// Runs fault-matrix cases against the built tools, oracle-sim and storage-sim.
enum FaultMatrixHarness {
    static func run(_ fault: FaultCase) async throws -> FaultOutcome {
        let started = Date()
        var outcome: FaultOutcome
        switch fault.scenario {
        case .oracleFault(let action, let inject, let extraConfig):
            outcome = try await oracleFault(action: action, inject: inject, extraConfig: extraConfig)
        case .storageFault(let vendor, let tool, let arguments, let rules, let extraConfig, let afterBaseline):
            outcome = try await storageFault(
                vendor: vendor, tool: tool, arguments: arguments, rules: rules, extraConfig: extraConfig,
                afterBaseline: afterBaseline)
        case .autorestoreFault(let inject, let prepare, let extraAutorestore):
            outcome = try await autorestoreFault(inject: inject, prepare: prepare, extraAutorestore: extraAutorestore)
        case .configurationFault(let tool, let arguments, let edit):
            outcome = try await configurationFault(tool: tool, arguments: arguments, edit: edit)
        case .signal(let signal, let statement, let toolName, let autorestore):
            outcome =
                autorestore
                ? try await signalledAutorestore(signal: signal, statement: statement, toolName: toolName)
                : try await signalled(signal: signal, statement: statement, toolName: toolName)
        case .environment(let recipe):
            outcome = try await FaultMatrixEnvironmentRecipes.run(recipe)
        }
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }

    // MARK: - Shared set-up

    /// A localfs installation with orcl configured and `backups` snapshots taken. A scratch installation on local
    /// storage gets a copy of a baseline built once per test run (``BaselineTemplates``); its own configuration
    /// file is kept, so settings a case adds apply from its faulty run on.
    static func backedUp(
        _ environment: OracleEnvironment, backups: Int = 1, createVolume: Bool = false
    ) async throws {
        if !createVolume, environment.backupRoot == environment.root + "/backup" {
            try await BaselineTemplates.shared.copy(backups: backups, into: environment)
            return
        }
        try await buildBaseline(environment, backups: backups, createVolume: createVolume)
    }

    /// Creates the databases, runs `config` and `backups` backups.
    static func buildBaseline(_ environment: OracleEnvironment, backups: Int, createVolume: Bool) async throws {
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        if createVolume {
            try requireSuccess(await environment.snapper(["orcl", "volume", "create"]), "volume create")
        }
        try requireSuccess(await environment.backup(["orcl", "config"]), "config")
        for _ in 0..<backups { try await backupOnce(environment) }
    }

    /// One normal `imagecopywithsnap` after some workload. It returns in the next wall-clock second, so the run
    /// that follows names its snapshot differently: on a fast machine a faulty run in the same second met an
    /// existing name (409) on its first POST, which used up a fault meant for the snapshot job (NTAP-12/13).
    static func backupOnce(_ environment: OracleEnvironment) async throws {
        try await environment.sim(["workload", "orcl", "--transactions", "3", "--seconds-per-transaction", "60"])
        try requireSuccess(await environment.backup(["orcl", "imagecopywithsnap"]), "imagecopywithsnap")
        let now = Date().timeIntervalSince1970
        try await Task.sleep(for: .milliseconds(Int((now.rounded(.up) - now) * 1000) + 50))
    }

    static func requireSuccess(_ result: BuiltProducts.Result, _ what: String) throws {
        if result.status != 0 {
            throw SimulatorFailure(arguments: [what], output: "exit \(result.status)\n\(result.stdout)\(result.stderr)")
        }
    }

    /// The localfs snapshot directory of orcl.
    static func snapshotsDirectory(_ environment: OracleEnvironment) -> String {
        environment.backupRoot + "/.snapshots/orcl"
    }

    /// Output and the newest log of every action the run may have written.
    static func said(_ result: BuiltProducts.Result, _ environment: OracleEnvironment, logs: [String]) -> String {
        ([result.stdout, result.stderr] + logs.map { environment.latestLog($0) }).joined(separator: "\n")
    }

    /// Evaluates the invariants after a faulty run, then removes the fault and runs the next normal backup.
    static func finish(
        _ environment: OracleEnvironment, before: FaultMatrixInvariants, result: BuiltProducts.Result,
        logs: [String], snapshotsDirectory: String? = nil, lockDirectories: [String]? = nil,
        removeFault: () async throws -> Void, nextRun: (() async throws -> BuiltProducts.Result)? = nil
    ) async throws -> FaultOutcome {
        let snapshots = snapshotsDirectory ?? Self.snapshotsDirectory(environment)
        _ = FaultMatrixInvariants.waitForNoProcesses(of: environment)
        // A SIGKILLed run cannot remove its lock: the next run must take it over (checked after that run).
        let locks = lockDirectories ?? [environment.backupArea, environment.root + "/autorestore/log"]
        var violations = before.violations(
            environment: environment, snapshotsDirectory: snapshots,
            lockDirectories: result.status == 128 + SIGKILL ? [] : locks)
        let said = Self.said(result, environment, logs: logs)
        FaultMatrixInvariants.killProcesses(of: environment)
        try await removeFault()
        let next: BuiltProducts.Result
        if let nextRun {
            next = try await nextRun()
        } else {
            try await environment.sim(["workload", "orcl", "--transactions", "2", "--seconds-per-transaction", "60"])
            next = try await environment.backup(["orcl", "imagecopywithsnap"])
        }
        for directory in locks {
            let left = environment.contents(directory).filter { $0.hasSuffix(".lck") }
            if !left.isEmpty { violations.append("lock files left after the next run in \(directory): \(left)") }
        }
        return FaultOutcome(
            status: result.status, said: said, violations: violations, nextStatus: next.status,
            nextSaid: next.stdout + next.stderr, seconds: 0)
    }

    // MARK: - Scenarios

    static func oracleFault(action: [String], inject: [String], extraConfig: String) async throws -> FaultOutcome {
        let environment = try OracleEnvironment(extraConfig: extraConfig)
        try await backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: snapshotsDirectory(environment))
        try await environment.sim(["inject"] + inject)
        let result = try await environment.backup(["orcl"] + action)
        return try await finish(
            environment, before: before, result: result, logs: [action[0]],
            removeFault: { try await environment.sim(["inject", "clear"]) })
    }

    static func autorestoreFault(
        inject: [String], prepare: AutorestorePreparation, extraAutorestore: String
    ) async throws -> FaultOutcome {
        let timeouts = extraAutorestore.split(separator: "\n").filter { $0.hasPrefix("timeout") }
            .joined(separator: "\n")
        let autorestoreOnly = extraAutorestore.split(separator: "\n").filter { !$0.hasPrefix("timeout") }
            .joined(separator: "\n")
        let environment = try OracleEnvironment(extraConfig: timeouts)
        if !autorestoreOnly.isEmpty {
            let config = environment.text(environment.configPath).replacingOccurrences(
                of: "[autorestore]\n", with: "[autorestore]\n\(autorestoreOnly)\n")
            try config.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        }
        try await backedUp(environment, backups: 2)
        let newest =
            snapshotsDirectory(environment) + "/"
            + (environment.contents(snapshotsDirectory(environment)).filter { !$0.hasSuffix(".json") }.last ?? "")
        var restoreSnapshot: () throws -> Void = {}
        switch prepare {
        case .none: break
        case .deleteNewestArchivedLog:
            let logs = newest + "/archivelog"
            let name = environment.contents(logs).last ?? ""
            let saved = environment.root + "/saved-archivelog"
            try FileManager.default.moveItem(atPath: logs + "/" + name, toPath: saved)
            restoreSnapshot = { try FileManager.default.moveItem(atPath: saved, toPath: logs + "/" + name) }
        case .corruptSystemBlock:
            let copy = environment.contents(newest).first { $0.contains("_TS-SYSTEM_FNO-1_") } ?? ""
            let original = environment.root + "/saved-system-copy"
            try FileManager.default.copyItem(atPath: newest + "/" + copy, toPath: original)
            try await environment.sim(["inject", "corrupt-block", "--file", newest + "/" + copy, "--block", "5"])
            restoreSnapshot = {
                try FileManager.default.removeItem(atPath: newest + "/" + copy)
                try FileManager.default.moveItem(atPath: original, toPath: newest + "/" + copy)
            }
        case .deleteDatafileCopy:
            let copy = environment.contents(newest).first { $0.contains("_FNO-4_") } ?? ""
            let saved = environment.root + "/saved-datafile-copy"
            try FileManager.default.moveItem(atPath: newest + "/" + copy, toPath: saved)
            restoreSnapshot = { try FileManager.default.moveItem(atPath: saved, toPath: newest + "/" + copy) }
        case .removeContract:
            let saved = environment.root + "/saved-contract"
            try FileManager.default.moveItem(atPath: newest + "/autorestore.cfg", toPath: saved)
            restoreSnapshot = { try FileManager.default.moveItem(atPath: saved, toPath: newest + "/autorestore.cfg") }
        }
        if !inject.isEmpty { try await environment.sim(["inject"] + inject) }
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: snapshotsDirectory(environment))
        let result = try await autorestore(environment)
        let clones = environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }
        var outcome = try await finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                try await environment.sim(["inject", "clear"])
                try restoreSnapshot()
                try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
            },
            nextRun: { try await autorestore(environment) })
        if !clones.isEmpty { outcome.violations.append("clones left: \(clones)") }
        return outcome
    }

    static func autorestore(_ environment: OracleEnvironment, sandbox: Bool = true) async throws -> BuiltProducts.Result
    {
        var variables = environment.environment
        if sandbox { variables["AUTORESTORE_SAFE_SANDBOX"] = "TRUE" }
        return try await BuiltProducts.runUnprivileged(
            "autorestore", ["--config", environment.configPath, "orcl"], environment: variables)
    }

    static func configurationFault(tool: String, arguments: [String], edit: ConfigurationEdit) async throws
        -> FaultOutcome
    {
        let environment = try OracleEnvironment()
        try await backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: snapshotsDirectory(environment))
        let original = environment.text(environment.configPath)
        let edited =
            edit.target.isEmpty
            ? original + "\n" + edit.replacement + "\n"
            : original.replacingOccurrences(of: edit.target, with: edit.replacement)
        try edited.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        let credentialsPath = environment.root + "/zfscredentials.cfg"
        if let credentials = edit.credentials {
            _ = FileManager.default.createFile(
                atPath: credentialsPath, contents: Data(credentials.utf8), attributes: [.posixPermissions: 0o600])
        }
        let result = try await environment.tool(tool, arguments)
        return try await finish(
            environment, before: before, result: result,
            logs: arguments.count > 1 && arguments[1] == "imagecopywithsnap" ? ["imagecopywithsnap"] : [],
            removeFault: {
                try original.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
                try? FileManager.default.removeItem(atPath: credentialsPath)
            })
    }

    /// Starts the backup, waits until the hanging step's tool has run for a second, sends the signal.
    static func signalled(signal: Int32, statement: String, toolName: String) async throws -> FaultOutcome {
        let environment = try OracleEnvironment(extraConfig: "timeoutrman: 120\ntimeoutsqlplus: 120")
        try await backedUp(environment)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: snapshotsDirectory(environment))
        try await environment.sim([
            "inject", "hang", "--statement", statement, "--tool", toolName, "--seconds", "60", "--times", "1",
        ])
        let result = try await BuiltProducts.runSignalled(
            "backup", ["orcl", "imagecopywithsnap"], environment: environment.environment, signal: signal,
            when: { FaultMatrixSignals.isRunning(toolName, environment: environment, forAtLeast: 1.0) })
        return try await finish(
            environment, before: before, result: result, logs: ["imagecopywithsnap"],
            removeFault: { try await environment.sim(["inject", "clear"]) })
    }

    /// Starts autorestore (unprivileged when root), signals it while the hanging step runs.
    static func signalledAutorestore(signal: Int32, statement: String, toolName: String) async throws -> FaultOutcome {
        let environment = try OracleEnvironment(extraConfig: "timeoutrman: 120\ntimeoutsqlplus: 120")
        try await backedUp(environment, backups: 2)
        try await environment.sim([
            "inject", "hang", "--statement", statement, "--tool", toolName, "--seconds", "60", "--times", "1",
        ])
        try environment.isolateFromProduction()
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        let before = FaultMatrixInvariants(
            environment: environment, snapshotsDirectory: snapshotsDirectory(environment))
        var variables = environment.environment
        variables["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        let result = try await BuiltProducts.runSignalled(
            "autorestore", ["--config", environment.configPath, "orcl"], environment: variables, signal: signal,
            unprivileged: true,
            when: { FaultMatrixSignals.isRunning(toolName, environment: environment, forAtLeast: 1.0) })
        let clones = environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }
        var outcome = try await finish(
            environment, before: before, result: result, logs: [],
            removeFault: {
                try await environment.sim(["inject", "clear"])
                try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
            },
            nextRun: { try await autorestore(environment) })
        if signal != SIGKILL, !clones.isEmpty { outcome.violations.append("clones left: \(clones)") }
        return outcome
    }

    // MARK: - Storage

    static func storageFault(
        vendor: StorageVendor, tool: String, arguments: [String], rules: [String], extraConfig: String,
        afterBaseline: ConfigurationEdit?
    ) async throws -> FaultOutcome {
        let appliance = try await ApplianceInstallation(vendor: vendor, extraConfig: extraConfig)
        let environment = appliance.environment
        try await backedUp(environment, backups: 2)
        if let edit = afterBaseline {
            let text = environment.text(environment.configPath).replacingOccurrences(
                of: edit.target, with: edit.replacement)
            try text.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        }
        let before = FaultMatrixInvariants(environment: environment, snapshotsDirectory: appliance.snapshotsDirectory)
        try await appliance.control(.post, "faults", body: "[" + rules.joined(separator: ",") + "]")
        let result = try await environment.tool(tool, arguments)
        let outcome = try await finish(
            environment, before: before, result: result, logs: [arguments.count > 1 ? arguments[1] : arguments[0]],
            snapshotsDirectory: appliance.snapshotsDirectory,
            removeFault: { try await appliance.control(.delete, "faults") })
        _ = appliance
        return outcome
    }
}

/// A file-backed storage-sim with an Oracle scratch installation whose backup area lives on it.
final class ApplianceInstallation: @unchecked Sendable {
    let simulator: StorageSimulatorProcess
    let environment: OracleEnvironment
    let snapshotsDirectory: String
    let transport: CurlTransport

    init(vendor: StorageVendor, extraConfig: String = "") async throws {
        let storageSection: String
        let credentials: (file: String, text: String)
        let backupRoot: String
        switch vendor {
        case .zfssa:
            simulator = try StorageSimulatorProcess(
                vendor: "zfssa", seed: #"{"shares": [{"name": "orcl"}]}"#,
                extra: ["--project", "pool1/demo-backup", "--session-timeout", "3600"], fileBacked: true)
            let root = simulator.dataRoot!
            backupRoot = root + "/export/demo-backup"
            snapshotsDirectory = root + "/.storage-sim/zfssa/pool1/demo-backup/orcl"
            storageSection = """
                snapperclass: ZFSSA
                [zfssa]
                url: https://127.0.0.1:\(simulator.port)
                pool: pool1
                project: demo-backup
                cacert: \(simulator.caFile)
                timeout: 3
                """
            credentials = ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n")
        case .ontap:
            simulator = try StorageSimulatorProcess(
                vendor: "ontap", seed: #"{"shares": [{"name": "backup_orcl", "junctionPath": "/backup/orcl"}]}"#,
                extra: ["--svm", "svm1", "--aggregate", "aggr1", "--page-size", "2"], fileBacked: true)
            let root = simulator.dataRoot!
            backupRoot = root + "/backup"
            snapshotsDirectory = root + "/.storage-sim/ontap/snapshots/backup_orcl"
            storageSection = """
                snapperclass: Netapp
                [netapp]
                filer: https://127.0.0.1:\(simulator.port)
                volumeprefix: backup_
                cacert: \(simulator.caFile)
                svm: svm1
                timeout: 3
                jobtimeout: 4
                """
            credentials = ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: secret\n")
        }
        environment = try OracleEnvironment(
            driver: vendor == .zfssa ? "zfssa" : "netapp", backupRoot: backupRoot,
            extraConfig: storageSection + "\n" + extraConfig)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/" + credentials.file, contents: Data(credentials.text.utf8),
            attributes: [.posixPermissions: 0o600])
        transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: vendor.rawValue, caFile: simulator.caFile, logger: Logger(label: "fault-matrix")))
    }

    /// Sends a `/_sim/` control request.
    func control(_ method: StorageKit.HTTPMethod, _ route: String, body: String? = nil) async throws {
        let response = try await transport.send(
            HTTPRequest(
                method: method, url: "https://127.0.0.1:\(simulator.port)/_sim/\(route)",
                body: body.map { Array($0.utf8) }))
        guard (200..<300).contains(response.status) else {
            throw SimulatorFailure(arguments: [route], output: "control answered \(response.status): \(response.text)")
        }
    }
}
