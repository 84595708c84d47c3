import Foundation

/// A scratch installation for end-to-end runs: a fake ORACLE_HOME whose tools are links to the built
/// `oracle-sim`, a tnsnames.ora, a backup area on local storage and a configuration file.
/// `@unchecked Sendable`: its variables are set while a test prepares it, before any concurrent use.
final class OracleEnvironment: @unchecked Sendable {
    let root: String
    let oracleHome: String
    let backupRoot: String
    let configPath: String
    var environment: [String: String]
    /// Run `oracle-sim`, `backup` and `snapper` as the unprivileged user too (when the tests run as root), as an
    /// installation where one OS user owns the backups and runs the restores.
    var unprivileged = false

    init(
        driver: String = "localfs", backupRoot explicitBackupRoot: String? = nil, extraConfig: String = "",
        databaseExtra: String = ""
    ) throws {
        root = NSTemporaryDirectory() + "oib-e2e-\(UUID().uuidString.prefix(8))"
        oracleHome = root + "/oraclehome"
        configPath = root + "/backup.cfg"
        backupRoot = explicitBackupRoot ?? root + "/backup"
        let files = FileManager.default
        for directory in [
            oracleHome + "/bin", oracleHome + "/OPatch", root + "/tns", backupRoot,
            root + "/autorestore/dest", root + "/autorestore/mnt", root + "/autorestore/log",
        ] {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let simulator = BuiltProducts.path("oracle-sim")
        for tool in ["rman", "sqlplus", "sqlldr", "srvctl", "adrci"] {
            try files.createSymbolicLink(atPath: oracleHome + "/bin/" + tool, withDestinationPath: simulator)
        }
        try files.createSymbolicLink(atPath: oracleHome + "/OPatch/opatch", withDestinationPath: simulator)
        try """
        ORCL = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = dbhost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = orcl)))
        RMAN = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
        AUTORESTORE = (DESCRIPTION = (ADDRESS = (PROTOCOL = TCP)(HOST = cathost)(PORT = 1521)) (CONNECT_DATA = (SERVICE_NAME = catdb)))
        """.write(toFile: root + "/tns/tnsnames.ora", atomically: true, encoding: .utf8)
        try """
        [generic]
        logretention: 7
        backupdest: \(backupRoot)
        tnsadmin: tns
        osuser: oracle
        oraclehome: \(oracleHome)
        maxlockwait: 1
        warningsnapage: 26
        criticalsnapage: 50
        snappermodule: \(driver)
        requiremount: FALSE
        \(extraConfig)
        [rman]
        catalog: /@rman

        [autorestore]
        autorestoredestination: \(root)/autorestore/dest
        autorestoreclonename: autorestore
        autorestoremountpoint: \(root)/autorestore/mnt
        autorestoresnapage: 0
        autorestorelogdir: \(root)/autorestore/log
        autorestoremaxtoleranceminutes: 5

        [orcl]
        dbid: 1433672784
        recoverywindow: 2
        parallel: 2
        snapexpirationdays: 31
        snapexpirationmonths: 6
        customverifydate: select max(createtime) from appdata.txlog
        \(databaseExtra)
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        environment = [
            "ORACLE_SIM_STATE": root + "/sim-state", "ORACLE_SIM_NOW": "2016-11-08 21:50:00", "TZ": "UTC",
            "BACKUPCONFIG": configPath,
        ]
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var backupArea: String { backupRoot + "/orcl" }

    /// Makes the simulated production datafiles unreachable, as on an isolated restore host (autorestore refuses
    /// to run where the restored controlfile's datafile paths exist). The catalog database stays reachable.
    func isolateFromProduction() throws {
        let files = root + "/sim-state/files"
        for database in contents(files) where database != "catdb" {
            let oradata = files + "/" + database + "/oradata"
            if FileManager.default.fileExists(atPath: oradata) {
                try FileManager.default.moveItem(atPath: oradata, toPath: oradata + ".unreachable")
            }
        }
    }

    /// Undoes ``isolateFromProduction()``, so that backups can run again.
    func reconnectToProduction() throws {
        let files = root + "/sim-state/files"
        for database in contents(files) {
            let oradata = files + "/" + database + "/oradata"
            if FileManager.default.fileExists(atPath: oradata + ".unreachable") {
                try FileManager.default.moveItem(atPath: oradata + ".unreachable", toPath: oradata)
            }
        }
    }

    @discardableResult
    func sim(_ arguments: [String]) async throws -> BuiltProducts.Result {
        let result = try await tool("oracle-sim", arguments)
        if result.status != 0 { throw SimulatorFailure(arguments: arguments, output: result.stdout + result.stderr) }
        return result
    }

    func backup(_ arguments: [String], extraEnvironment: [String: String] = [:]) async throws
        -> BuiltProducts.Result
    {
        try await tool("backup", arguments, extraEnvironment: extraEnvironment)
    }

    func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
        try await tool("snapper", arguments)
    }

    /// Runs a built tool with this environment, as the unprivileged user when ``unprivileged`` is set.
    func tool(_ name: String, _ arguments: [String], extraEnvironment: [String: String] = [:]) async throws
        -> BuiltProducts.Result
    {
        let merged = environment.merging(extraEnvironment) { $1 }
        return unprivileged
            ? try await BuiltProducts.runUnprivileged(name, arguments, environment: merged)
            : try await BuiltProducts.run(name, arguments, environment: merged)
    }

    func contents(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The newest run log of `action` in the backup area.
    func latestLog(_ action: String) -> String {
        let directory = backupArea + "/backup_logs"
        guard let name = contents(directory).filter({ $0.hasSuffix("_\(action).log") }).last else { return "" }
        return text(directory + "/" + name)
    }
}

struct SimulatorFailure: Error, CustomStringConvertible {
    var arguments: [String]
    var output: String
    var description: String { "oracle-sim \(arguments.joined(separator: " ")) failed:\n\(output)" }
}

extension String {
    /// Positions of `needles` in order; nil when one is missing or out of order.
    func containsInOrder(_ needles: [String]) -> Bool {
        var searchFrom = startIndex
        for needle in needles {
            guard let range = range(of: needle, range: searchFrom..<endIndex) else { return false }
            searchFrom = range.upperBound
        }
        return true
    }
}
