import Foundation

/// The backup and autorestore flows of the specification (§7.1, §7.3), driven through the templates and the
/// simulator processes exactly as the tools will drive them.
final class OracleFlows {
    let harness: SimulatorHarness
    let backupTemplates: TemplateFile
    let restoreTemplates: TemplateFile
    let backupLog: String
    var customVerifyDate = "select max(createtime) from appdata.txlog"

    struct StepFailure: Error, CustomStringConvertible {
        var step: String
        var output: String
        var description: String { "\(step) failed:\n\(output)" }
    }

    struct RestoreResult {
        var expected: String
        var verifyOutput: String
        var recoverLog: String
        var verifiedTime: String? {
            verifyOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("CUSTOM VERIFICATION TIME: ") }.map { String($0.dropFirst(26)) }
        }
        func marker(_ prefix: String) -> String? {
            verifyOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
    }

    init(harness: SimulatorHarness) throws {
        self.harness = harness
        backupTemplates = try TemplateFile(named: "rmantemplate.cfg")
        restoreTemplates = try TemplateFile(named: "restoretemplate.cfg")
        backupLog = harness.backupDestination + "/backup_logs/orcl.log"
        try FileManager.default.createDirectory(
            atPath: harness.backupDestination + "/backup_logs", withIntermediateDirectories: true)
    }

    var backupValues: [String: String] {
        [
            "configname": "orcl", "catalogconnect": "/@rman", "recoverywindow": "2", "parallel": "4",
            "backupdest": harness.backupDestination, "sectionsize": "", "logfile": backupLog,
            "sqlplusconnection": "/@orcl as sysdba", "archdir": harness.backupDestination + "/archivelog",
            "scheduleuserprefix": "", "osuser": "oracle", "ospassword": "S3cret-OS-pw",
            "scriptpath": "/opt/oracle-backup",
            "schedulebackup": "FREQ=DAILY;BYHOUR=22", "schedulearchlog": "FREQ=HOURLY", "backupjobenabled": "true",
            "dbid": "1433672784",
        ]
    }

    func createDatabases(extraOptions: [String] = []) async throws {
        let created = try await harness.admin(
            ["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"] + extraOptions)
        guard created.exitCode == 0 else { throw StepFailure(step: "create-db", output: created.output) }
        let catalog = try await harness.admin(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        guard catalog.exitCode == 0 else { throw StepFailure(step: "create-db catdb", output: catalog.output) }
    }

    func sqlplusScript(_ keys: [String], values: [String: String]? = nil) throws -> String {
        let values = values ?? backupValues
        return try (["sqlplusheader"] + keys + ["sqlplusfooter"]).map { try backupTemplates.render($0, values) }
            .joined(separator: "\n") + "\n"
    }

    func rmanScript(_ body: String) throws -> String {
        try backupTemplates.render("header", backupValues) + "\n" + body + "\n"
            + backupTemplates.render("footer", backupValues) + "\n"
    }

    @discardableResult
    func requireSuccess(_ step: String, _ run: SimulatorHarness.Run) throws -> String {
        guard run.exitCode == 0 else { throw StepFailure(step: step, output: run.output + harness.read(backupLog)) }
        return run.output
    }

    func configure() async throws {
        let rmanBody = try ["configdelalnodg", "config"].map { try backupTemplates.render($0, backupValues) }.joined(
            separator: "\n")
        try requireSuccess("rman config", try await harness.rman(rmanScript(rmanBody), log: backupLog))
        try requireSuccess(
            "sqlplus config", try await harness.sqlplus(sqlplusScript(["configfromsqlplus"]), silent: false))
    }

    /// One `imagecopywithsnap` run (§7.1); returns the snapshot taken before the refresh.
    @discardableResult
    func backupRun(snapshotName: String) async throws -> String {
        let parameters = harness.backupDestination + "/autorestore.cfg"
        let missing = try requireSuccess(
            "archivelogmissing", try await harness.sqlplus(sqlplusScript(["archivelogmissing"])))
        let commands = missing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.hasPrefix("BACKUP force as copy")
        }
        if !commands.isEmpty {
            let body =
                "run {\n" + (try backupTemplates.render("allocatearchlogchannel", backupValues)) + "\n"
                + commands.joined(separator: "\n") + "\n}"
            try requireSuccess("missing archivelog copy", try await harness.rman(rmanScript(body), log: backupLog))
        }
        let switched = try requireSuccess(
            "archivecurrentlogs", try await harness.sqlplus(sqlplusScript(["archivecurrentlogs"])))
        if FileManager.default.fileExists(atPath: parameters) {
            var appended = ""
            for line in switched.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("CURRENT DATABASE TIME: ") { appended += "lasttime: " + line.dropFirst(23) + "\n" }
                if line.hasPrefix("CURRENT DATABASE SCN: ") { appended += "lastscn: " + line.dropFirst(22) + "\n" }
                if line.hasPrefix("BCT FILE: ") { appended += "bctfile: " + line.dropFirst(10) + "\n" }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: parameters))
            _ = try handle.seekToEnd()
            handle.write(Data(appended.utf8))
            try handle.close()
        }
        let snapshot = try harness.snapshot(snapshotName)
        let expired = try requireSuccess(
            "deletedatafilecopy", try await harness.sqlplus(sqlplusScript(["deletedatafilecopy"])))
        let deletes = expired.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.hasPrefix("DELETECOPY: ")
        }
        .map { String($0.dropFirst(12)) }
        if !deletes.isEmpty {
            try requireSuccess(
                "delete expired copies",
                try await harness.rman(rmanScript(deletes.joined(separator: "\n")), log: backupLog))
        }
        let refresh =
            "run {\n" + (try backupTemplates.render("backupimagecopy", backupValues)) + "\n"
            + (try backupTemplates.render("backupfooter", backupValues)) + "\n}"
        try requireSuccess("refresh", try await harness.rman(rmanScript(refresh), log: backupLog))
        try requireSuccess(
            "archivecurrentlogs 2", try await harness.sqlplus(sqlplusScript(["archivecurrentlogs"]), silent: false))
        let values = backupValues.merging(["logfile": backupLog]) { $1 }
        let parameterOutput = try requireSuccess(
            "autorestoreparameters", try await harness.sqlplus(sqlplusScript(["autorestoreparameters"], values: values))
        )
        var text = "[dbparams]\n"
        for line in parameterOutput.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) })
        where line.hasPrefix("dbconfig-") {
            text += line.dropFirst(9) + "\n"
        }
        try text.write(toFile: parameters, atomically: true, encoding: .utf8)
        return snapshot
    }

    /// Reads `key` from an autorestore.cfg (last occurrence wins).
    static func parameter(_ key: String, in text: String) -> String? {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(key + ":") }.last
            .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    /// The autorestore steps of §7.3 e–f against a clone of `snapshot`; `sid` is the restore instance.
    func restore(from snapshot: String, sid: String = "orcl", validate: Bool = false) async throws -> RestoreResult {
        let manager = FileManager.default
        try? manager.removeItem(atPath: harness.mountPoint)
        try manager.copyItem(atPath: snapshot, toPath: harness.mountPoint)
        for item in (try? manager.contentsOfDirectory(atPath: harness.autorestoreDestination)) ?? [] {
            try manager.removeItem(atPath: harness.autorestoreDestination + "/" + item)
        }
        let parameters = harness.read(harness.mountPoint + "/autorestore.cfg")
        guard let lasttime = OracleFlows.parameter("lasttime", in: parameters),
            let dbName = OracleFlows.parameter("db_name", in: parameters)
        else { throw StepFailure(step: "read autorestore.cfg", output: parameters) }
        let logfile = harness.logDirectory + "/restore-\(sid).log"
        var values: [String: String] = [
            "db_compatible": OracleFlows.parameter("compatible", in: parameters) ?? "",
            "autorestoredestination": harness.autorestoreDestination,
            "db_block_size": OracleFlows.parameter("db_block_size", in: parameters) ?? "",
            "mountdestination": harness.mountPoint, "db_files": OracleFlows.parameter("db_files", in: parameters) ?? "",
            "db_name": dbName, "pga_size": "2G", "sga_size": "3G",
            "db_undotbs": OracleFlows.parameter("undo_tablespace", in: parameters) ?? "",
            "logdir": harness.logDirectory,
            "instancenumber": "1", "thread": "1", "logfile": logfile,
            "initora": harness.autorestoreDestination + "/init.ora", "lasttime": lasttime,
            "bctfile": OracleFlows.parameter("bctfile", in: parameters) ?? "", "customverifydate": customVerifyDate,
        ]
        values["catalogstatements"] =
            "catalog start with '\(harness.mountPoint)/archivelog/' noprompt;\ncatalog start with '\(harness.mountPoint)/data_' noprompt;"
        try restoreTemplates.render("autoinitora", values).write(
            toFile: values["initora"]!, atomically: true, encoding: .utf8)
        func sql(_ keys: [String], silent: Bool = true) async throws -> SimulatorHarness.Run {
            let script =
                try (["sqlplusheader"] + keys + ["sqlplusfooter"]).map { try restoreTemplates.render($0, values) }
                .joined(separator: "\n") + "\n"
            return try await harness.sqlplus(script, silent: silent, sid: sid)
        }
        func rman(_ body: String) async throws -> SimulatorHarness.Run {
            let script =
                try restoreTemplates.render("rmanheader", values) + "\n" + body + "\n"
                + restoreTemplates.render("rmanfooter", values) + "\n"
            return try await harness.rman(script, log: logfile, sid: sid)
        }
        func check(_ step: String, _ run: SimulatorHarness.Run) async throws -> String {
            guard run.exitCode == 0 else {
                throw StepFailure(step: step, output: run.output + "\n--- log ---\n" + harness.read(logfile))
            }
            return run.output
        }
        _ = try await check("startupnomount", try await sql(["startupnomount"], silent: false))
        _ = try await check("rmanmount", try await rman(restoreTemplates.render("rmanmount", values)))
        _ = try await check("clearlogs", try await sql(["clearlogs"]))
        _ = try await check("rmancatalog", try await rman(restoreTemplates.render("rmancatalog", values)))
        if !(values["bctfile"] ?? "").isEmpty {
            _ = try await check("disablebct", try await sql(["disablebct"], silent: false))
        }
        let switchOutput = try await check("switchdatafiles", try await sql(["switchdatafiles"]))
        let switchScript = switchOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            $0.hasPrefix("RENAMEDF-")
        }
        .map { String($0.dropFirst(9)) }.joined(separator: "\n")
        _ = try await check(
            "switch and recover",
            try await rman(switchScript + "\n" + restoreTemplates.render("recoverdatafiles", values)))
        let verify = try await check("openandverify", try await sql(["openandverify", "blockcounts"]))
        var result = RestoreResult(expected: lasttime, verifyOutput: verify, recoverLog: harness.read(logfile))
        if validate {
            _ = try await check("validateblocks", try await rman(restoreTemplates.render("validateblocks", values)))
            result.verifyOutput += try await check(
                "showcorruptblocks", try await sql(["showcorruptblocks", "blockcounts"]))
        }
        return result
    }

    /// `shutdown abort` of the restore instance (cleanup, errors ignored like the reference).
    func abortInstance(sid: String = "orcl") async throws {
        let values = ["logfile": harness.logDirectory + "/cleanup.log"]
        let script = try ["sqlplusheader", "shutdownabort", "sqlplusfooter"].map {
            try restoreTemplates.render($0, values)
        }.joined(separator: "\n")
        try await harness.sqlplus(script + "\n", sid: sid)
    }
}
