import Foundation

/// The PL/SQL blocks the simulator understands, recognised by the distinctive statements they contain.
enum PLSQLBlocks {
    static func execute(_ text: String, context: StatementContext) throws -> SQLOutcome {
        let normalized = TextShape.normalize(text)
        let lower = normalized.lowercased()

        if let seconds = TextShape.capture(#"^begin\s+dbms_lock\.sleep\(\s*([0-9.]+)\s*\)\s*;\s*end$"#, in: normalized),
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
        if let prefix = TextShape.capture(
            #"from dba_users where username = '([A-Z0-9_#$]*)BACKUPEXEC'"#, in: normalized)
        {
            var database = try context.requireOpenDatabase()
            let user = prefix.uppercased() + "BACKUPEXEC"
            if !database.scheduler.users.contains(user) { database.scheduler.users.append(user) }
            context.database = database
            return SQLOutcome(body: .plsql([]))
        }
        if let owner = TextShape.capture(
            #"^create or replace procedure ([A-Za-z0-9_#$]*backupexec)\.check_archlog_copy as"#, in: normalized)
        {
            var database = try context.requireOpenDatabase()
            guard database.scheduler.users.contains(owner.uppercased()) else {
                throw OracleError(["ORA-01918: user '\(owner.uppercased())' does not exist"])
            }
            let directory = TextShape.capture(#"name like '(.*?)/%'"#, in: normalized) ?? ""
            database.scheduler.procedures[owner.uppercased() + ".CHECK_ARCHLOG_COPY"] = directory
            context.database = database
            return SQLOutcome(body: .message("Procedure created."))
        }
        if lower.contains("from v$log") && lower.contains("loop") && !lower.contains("execute immediate") {
            _ = try context.requireDatabase()
            return SQLOutcome(body: .plsql([]))
        }
        if lower.contains("'renamedf-switch database to copy;'") {
            return try switchScript(context)
        }
        if lower.contains("insert into restoreaction") {
            return try CatalogSchemaOperations.insertResult(normalized, context: context)
        }
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

/// DBMS_SCHEDULER calls of `setschedule`/`createcatalog`, applied to the simulated dictionary.
enum SchedulerCalls {
    static func run(_ text: String, context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        let swallowErrors = TextShape.contains(text, "exception when others then null")
        var scheduler = database.scheduler
        do {
            for call in PLSQLCall.calls(in: text, prefix: "dbms_scheduler.") {
                try apply(call, to: &scheduler, database: &database, now: context.now)
            }
            // Grants executed through `execute immediate` need the grantee.
            if let grantee = TextShape.capture(
                #"grant execute on sys\.backupexec_job to ([A-Za-z0-9_#$]+)'"#, in: text),
                !scheduler.users.contains(grantee.uppercased())
            {
                throw OracleError("ORA-01917: user or role '\(grantee.uppercased())' does not exist")
            }
        } catch let error as OracleError {
            if swallowErrors { return SQLOutcome(body: .plsql([])) }
            throw error
        }
        database.scheduler = scheduler
        context.database = database
        return SQLOutcome(body: .plsql([]), elapsed: 0.05)
    }

    static func qualified(_ name: String) -> String { name.uppercased() }

    static func apply(_ call: PLSQLCall, to scheduler: inout SchedulerObjects, database: inout DatabaseState, now: Date)
        throws
    {
        let arguments = call.arguments
        func required(_ key: String) throws -> String {
            guard let value = arguments[key] ?? arguments["#1"] else {
                throw OracleError(
                    "ORA-06550: line 1, column 7: PLS-00306: wrong number or types of arguments in call to '\(call.procedure.uppercased())'"
                )
            }
            return value
        }
        func notFound(_ name: String) -> OracleError { OracleError("ORA-27476: \"\(name)\" does not exist") }
        func exists(_ name: String) -> OracleError { OracleError("ORA-27477: \"\(name)\" already exists") }
        switch call.procedure {
        case "drop_job":
            let name = qualified(try required("job_name"))
            guard scheduler.jobs.removeValue(forKey: name) != nil else { throw notFound(name) }
        case "drop_schedule":
            let name = qualified(try required("schedule_name"))
            guard scheduler.schedules.removeValue(forKey: name) != nil else { throw notFound(name) }
        case "drop_program":
            let name = qualified(try required("program_name"))
            guard scheduler.programs.removeValue(forKey: name) != nil else { throw notFound(name) }
        case "drop_credential":
            let name = qualified(try required("credential_name"))
            guard scheduler.credentials.removeValue(forKey: name) != nil else { throw notFound(name) }
        case "drop_job_class":
            let name = qualified(try required("job_class_name"))
            guard let index = scheduler.jobClasses.firstIndex(of: name) else { throw notFound(name) }
            scheduler.jobClasses.remove(at: index)
        case "create_job_class":
            let name = qualified(try required("job_class_name"))
            guard !scheduler.jobClasses.contains(name) else { throw exists(name) }
            scheduler.jobClasses.append(name)
        case "create_credential":
            let name = qualified(try required("credential_name"))
            guard scheduler.credentials[name] == nil else { throw exists(name) }
            guard let user = arguments["username"], !user.isEmpty, arguments["password"] != nil else {
                throw OracleError("ORA-27486: insufficient privileges")
            }
            scheduler.credentials[name] = user
        case "create_program":
            let name = qualified(try required("program_name"))
            guard scheduler.programs[name] == nil else { throw exists(name) }
            scheduler.programs[name] = SchedulerObjects.Program(
                name: name, action: arguments["program_action"] ?? "", arguments: [],
                enabled: arguments["enabled"]?.lowercased() == "true")
        case "define_program_argument":
            let name = qualified(try required("program_name"))
            guard var program = scheduler.programs[name] else { throw notFound(name) }
            program.arguments.append("\(arguments["argument_name"] ?? "")=\(arguments["default_value"] ?? "")")
            scheduler.programs[name] = program
        case "enable":
            let name = qualified(try required("name"))
            if var program = scheduler.programs[name] {
                program.enabled = true
                scheduler.programs[name] = program
            } else if var job = scheduler.jobs[name] {
                job.enabled = true
                job.state = "SCHEDULED"
                scheduler.jobs[name] = job
            } else {
                throw notFound(name)
            }
        case "create_schedule":
            let name = qualified(try required("schedule_name"))
            guard scheduler.schedules[name] == nil else { throw exists(name) }
            scheduler.schedules[name] = arguments["repeat_interval"] ?? ""
        case "create_job":
            let rawName = try required("job_name")
            if rawName.lowercased().hasPrefix("dbms_scheduler.generate_job_name") { return }
            let name = qualified(rawName)
            if name == "LOG_RETENTION" {
                guard database.autorestoreCatalog != nil else {
                    throw OracleError("ORA-00942: table or view does not exist")
                }
                database.autorestoreCatalog?.retentionJobEnabled = arguments["enabled"]?.lowercased() == "true"
                return
            }
            guard scheduler.jobs[name] == nil else { throw exists(name) }
            if let program = arguments["program_name"], scheduler.programs[qualified(program)] == nil {
                throw notFound(qualified(program))
            }
            if let schedule = arguments["schedule_name"], scheduler.schedules[qualified(schedule)] == nil {
                throw notFound(qualified(schedule))
            }
            if let jobClass = arguments["job_class"], !scheduler.jobClasses.contains(qualified(jobClass)) {
                throw notFound(qualified(jobClass))
            }
            if let credential = arguments["credential_name"], scheduler.credentials[qualified(credential)] == nil {
                throw notFound(qualified(credential))
            }
            let enabledValue = arguments["enabled"]?.lowercased()
            guard enabledValue == nil || enabledValue == "true" || enabledValue == "false" else {
                throw OracleError([
                    "ORA-06550: line 1, column 7:",
                    "PLS-00201: identifier '\(enabledValue!.uppercased())' must be declared",
                ])
            }
            let enabled = enabledValue == "true"
            let owner = name.split(separator: ".").first.map(String.init) ?? "SYS"
            scheduler.jobs[name] = SchedulerObjects.Job(
                owner: owner, name: name, program: arguments["program_name"].map(qualified),
                schedule: arguments["schedule_name"].map(qualified), jobClass: arguments["job_class"].map(qualified),
                credential: arguments["credential_name"].map(qualified), enabled: enabled,
                state: enabled ? "SCHEDULED" : "DISABLED", failureCount: 0, lastStartDate: nil,
                nextRunDate: enabled ? now.addingTimeInterval(3600) : nil)
        case "generate_job_name", "logging_full":
            return
        default:
            throw OracleError([
                "ORA-06550: line 1, column 7:",
                "PLS-00302: component '\(call.procedure.uppercased())' must be declared",
            ])
        }
    }
}
