import Foundation

/// The PL/SQL blocks the simulator understands, recognised by the distinctive statements they contain.
enum PLSQLBlocks {
    static func execute(_ text: String, context: StatementContext) throws -> SQLOutcome {
        let normalized = TextShape.normalize(text)
        let lower = normalized.lowercased()

        // The expressions are tried only on blocks that contain their words (compiling one costs a short program
        // ICU's start-up).
        if lower.hasPrefix("begin dbms_lock.sleep"),
            let seconds = TextShape.capture(
                #"^begin\s+dbms_lock\.sleep\(\s*([0-9.]+)\s*\)\s*;\s*end$"#, in: normalized),
            let value = Double(seconds)
        {
            // No real sleep: the simulated clock moves instead.
            context.advanceClock(value)
            return SQLOutcome(body: .plsql([]), elapsed: value)
        }
        if lower.contains("alter database enable block change tracking") && lower.contains("v$block_change_tracking") {
            return try configureChangeTracking(context)
        }
        if lower.contains(#"log\_archive\_dest\__"#) && lower.contains("use_db_recovery_file_dest") {
            return try configureArchiveDestinations(normalized, context)
        }
        if lower.contains("'cdb-detect: no'") {
            let database = try context.requireOpenDatabase()
            let isRootOfCDB = database.isCDB && !database.version.hasPrefix("11")
            let prefix = database.parameter("common_user_prefix") ?? "C##"
            return SQLOutcome(
                body: .plsql([isRootOfCDB ? "CDB-DETECT: \(prefix.isEmpty ? "C##" : prefix)" : "CDB-DETECT: NO"]))
        }
        if lower.contains("backupexec'"),
            let prefix = TextShape.capture(
                #"from dba_users where username = '([A-Z0-9_#$]*)BACKUPEXEC'"#, in: normalized)
        {
            var database = try context.requireOpenDatabase()
            let user = prefix.uppercased() + "BACKUPEXEC"
            if !database.scheduler.users.contains(user) { database.scheduler.users.append(user) }
            context.database = database
            return SQLOutcome(body: .plsql([]))
        }
        if lower.hasPrefix("create or replace procedure") {
            return try ArchivelogCheck.createProcedure(normalized, context)
        }
        if lower.contains("from v$log") && lower.contains("loop") && !lower.contains("execute immediate") {
            _ = try context.requireDatabase()
            return SQLOutcome(body: .plsql([]))
        }
        if lower.contains("'renamedf-switch database to copy;'") {
            return try switchScript(context)
        }
        if let outcome = try CatalogSchemaOperations.block(text, context: context) { return outcome }
        if lower.contains("dbms_scheduler.") {
            return try SchedulerCalls.run(normalized, context: context)
        }
        throw OracleError([
            "ORA-06550: line 1, column 7:", "PLS-00201: identifier '\(firstIdentifier(normalized))' must be declared",
            "ORA-06550: line 1, column 7:", "PL/SQL: Statement ignored",
        ])
    }

    static func firstIdentifier(_ text: String) -> String {
        let words = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "." })
        return words.first { !["begin", "declare", "end"].contains($0.lowercased()) }.map { $0.uppercased() } ?? "BLOCK"
    }

    static func configureChangeTracking(_ context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        if database.blockChangeTrackingFile == nil && database.isEnterpriseEdition {
            try DatabaseEngine.enableBlockChangeTracking(&database)
            context.database = database
            return SQLOutcome(body: .plsql([]), elapsed: 0.35)
        }
        return SQLOutcome(body: .plsql(["BCT already enabled or database is not EE"]))
    }

    static func configureArchiveDestinations(_ text: String, _ context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        guard let directory = TextShape.capture(#"\bl varchar2\(\d+\) := '(.*?)';"#, in: text) else {
            throw OracleError(["ORA-06550: line 4, column 1:", "PLS-00103: Encountered the symbol \"L\""])
        }
        var output: [String] = []
        func firstEmpty() -> String? {
            (1...9).map { "log_archive_dest_\($0)" }.filter { (database.parameter($0) ?? "").isEmpty }.min()
        }
        func values() -> [String] { (1...9).compactMap { database.parameter("log_archive_dest_\($0)") } }
        let usesRecoveryArea = values().contains {
            TextShape.captures(#"^LOCATION.*=.*USE_DB_RECOVERY_FILE_DEST"#, in: $0.uppercased()) != nil
        }
        if !usesRecoveryArea {
            guard let name = firstEmpty() else {
                throw OracleError("ORA-02097: parameter cannot be modified because specified value is invalid")
            }
            output.append("Setting \(name) to USE_DB_RECOVERY_FILE_DEST")
            database.setParameter(name, "LOCATION=USE_DB_RECOVERY_FILE_DEST MANDATORY")
            database.setParameter(
                name.replacingOccurrences(of: "log_archive_dest_", with: "log_archive_dest_state_"), "enable")
        }
        if !values().contains(where: { $0.contains(directory) }) {
            guard let name = firstEmpty() else {
                throw OracleError("ORA-02097: parameter cannot be modified because specified value is invalid")
            }
            output.append("Setting \(name) to \(directory)")
            database.setParameter(name, "LOCATION=\(directory) VALID_FOR=(ONLINE_LOGFILE,PRIMARY_ROLE)")
            database.setParameter(
                name.replacingOccurrences(of: "log_archive_dest_", with: "log_archive_dest_state_"), "enable")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        context.database = database
        return SQLOutcome(body: .plsql(output), elapsed: 0.02)
    }

    static func switchScript(_ context: StatementContext) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let copied = Set(
            database.datafileCopies.filter { !$0.deleted && $0.tag == "IMAGE_COPY_BACKUP" }.map(\.fileNumber))
        let missing = database.datafiles.map(\.fileNumber).filter { !copied.contains($0) }.sorted()
        var lines: [String] = []
        if !missing.isEmpty {
            lines += [
                "RENAMEDF-run {", "RENAMEDF-set newname for database to new;",
                "RENAMEDF-restore datafile " + missing.map(String.init).joined(separator: ",") + ";", "RENAMEDF-}",
            ]
        }
        lines.append("RENAMEDF-switch database to copy;")
        return SQLOutcome(body: .plsql(lines), elapsed: 0.09)
    }
}
