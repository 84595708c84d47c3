import Foundation

/// DBMS_SCHEDULER calls of `setschedule`/`createcatalog`, applied to the simulated dictionary.
///
/// Every call is checked the way Oracle checks it: the documented parameter names and required arguments
/// (PLS-00306), BOOLEAN parameters given as TRUE/FALSE (PLS-00201/PLS-00306), object names as identifiers of at
/// most 30 bytes (before 12.2) or 128 bytes (12.2 and later) per part (ORA-27452), documented values of
/// `job_type`, `program_type`, `logging_level`, `log_history`, `number_of_arguments` and `commit_semantics`
/// (ORA-27465), calendar strings (ORA-27411/ORA-27412) and the `generate_job_name` prefix (ORA-24102).
enum SchedulerCalls {
    static func run(_ text: String, context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        let swallowErrors = TextShape.contains(text, "exception when others then null")
        var scheduler = database.scheduler
        var output: [String] = []
        do {
            for call in PLSQLCall.calls(in: text, prefix: "dbms_scheduler.") {
                output += try apply(call, to: &scheduler, database: &database, context: context)
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
        return SQLOutcome(body: .plsql(output), elapsed: 0.05)
    }

    /// The documented parameters of each accepted procedure, in declaration order, and which must be given.
    static let signatures: [String: (parameters: [String], required: Set<String>)] = [
        "drop_job": (["job_name", "force", "defer", "commit_semantics"], ["job_name"]),
        "drop_schedule": (["schedule_name", "force"], ["schedule_name"]),
        "drop_program": (["program_name", "force"], ["program_name"]),
        "drop_credential": (["credential_name", "force"], ["credential_name"]),
        "drop_job_class": (["job_class_name", "force"], ["job_class_name"]),
        "create_job_class": (
            ["job_class_name", "resource_consumer_group", "service", "logging_level", "log_history", "comments"],
            ["job_class_name"]
        ),
        "create_credential": (
            ["credential_name", "username", "password", "database_role", "windows_domain", "comments", "enabled"],
            ["credential_name", "username", "password"]
        ),
        "create_program": (
            ["program_name", "program_type", "program_action", "number_of_arguments", "enabled", "comments"],
            ["program_name", "program_type", "program_action"]
        ),
        "define_program_argument": (
            [
                "program_name", "argument_position", "argument_name", "argument_type", "default_value",
                "out_argument",
            ],
            ["program_name", "argument_position", "argument_type"]
        ),
        "enable": (["name", "commit_semantics"], ["name"]),
        "create_schedule": (
            ["schedule_name", "start_date", "repeat_interval", "end_date", "comments"],
            ["schedule_name", "repeat_interval"]
        ),
        "create_job": (
            [
                "job_name", "job_type", "job_action", "number_of_arguments", "start_date", "repeat_interval",
                "end_date", "job_class", "enabled", "auto_drop", "comments", "credential_name", "destination_name",
                "program_name", "schedule_name", "job_style",
            ],
            ["job_name"]
        ),
        "generate_job_name": (["prefix"], []),
        "run_job": (["job_name", "use_current_session"], ["job_name"]),
    ]

    static let booleanParameters: Set<String> = [
        "force", "defer", "enabled", "auto_drop", "use_current_session", "out_argument",
    ]

    /// PLS-00306, as SQL*Plus shows it for a call that matches no declaration of the procedure.
    static func wrongArguments(_ procedure: String) -> OracleError {
        OracleError([
            "ORA-06550: line 1, column 7:",
            "PLS-00306: wrong number or types of arguments in call to '\(procedure.uppercased())'",
            "ORA-06550: line 1, column 7:", "PL/SQL: Statement ignored",
        ])
    }

    static func invalidValue(_ value: String, _ attribute: String) -> OracleError {
        OracleError("ORA-27465: invalid value \(value) for attribute \(attribute.uppercased())")
    }

    /// The arguments by parameter name (positional ones mapped by declaration order), checked against the
    /// procedure's signature; BOOLEAN parameters must be the keywords TRUE or FALSE.
    static func namedArguments(_ call: PLSQLCall) throws -> (values: [String: String], raw: [String: String]) {
        guard let signature = signatures[call.procedure] else { return (call.arguments, call.rawArguments) }
        var values: [String: String] = [:]
        var raw: [String: String] = [:]
        for (key, value) in call.arguments {
            var name = key
            if key.hasPrefix("#"), let position = Int(key.dropFirst()) {
                guard position <= signature.parameters.count else { throw wrongArguments(call.procedure) }
                name = signature.parameters[position - 1]
            }
            guard signature.parameters.contains(name), values[name] == nil else {
                throw wrongArguments(call.procedure)
            }
            values[name] = value
            raw[name] = call.rawArguments[key] ?? value
        }
        for name in signature.required where values[name] == nil { throw wrongArguments(call.procedure) }
        for name in booleanParameters {
            guard let text = raw[name]?.trimmingCharacters(in: .whitespaces) else { continue }
            if ["TRUE", "FALSE"].contains(text.uppercased()) { continue }
            if text.hasPrefix("'") { throw wrongArguments(call.procedure) }
            throw OracleError([
                "ORA-06550: line 1, column 7:", "PLS-00201: identifier '\(text.uppercased())' must be declared",
                "ORA-06550: line 1, column 7:", "PL/SQL: Statement ignored",
            ])
        }
        return (values, raw)
    }

    /// The identifier length limit of the database's release: 128 bytes from 12.2, 30 bytes before.
    static func identifierLimit(_ database: DatabaseState) -> Int {
        let parts = database.version.split(separator: ".").compactMap { Int($0) }
        let major = parts.first ?? 12
        let minor = parts.count > 1 ? parts[1] : 0
        return major > 12 || (major == 12 && minor >= 2) ? 128 : 30
    }

    /// `[schema.]name` as the scheduler stores it (upper case unless quoted); ORA-27452 for an invalid name.
    static func objectName(_ text: String, _ database: DatabaseState) throws -> String {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let invalid = OracleError("ORA-27452: \"\(text)\" is an invalid name for a database object.")
        guard (1...2).contains(parts.count) else { throw invalid }
        var result: [String] = []
        for part in parts {
            let identifier: String
            if part.count >= 2, part.hasPrefix("\""), part.hasSuffix("\"") {
                identifier = String(part.dropFirst().dropLast())
                guard !identifier.isEmpty, !identifier.contains("\"") else { throw invalid }
            } else {
                identifier = part.uppercased()
                guard let first = identifier.unicodeScalars.first, CharacterSet.letters.contains(first),
                    identifier.unicodeScalars.allSatisfy({
                        CharacterSet.alphanumerics.contains($0) || "_$#".unicodeScalars.contains($0)
                    })
                else { throw invalid }
            }
            guard identifier.utf8.count <= identifierLimit(database) else { throw invalid }
            result.append(identifier)
        }
        return result.joined(separator: ".")
    }

    /// A comma-separated list of names (the drop, enable and run procedures accept one).
    static func objectNames(_ text: String, _ database: DatabaseState) throws -> [String] {
        try text.split(separator: ",").map { try objectName($0.trimmingCharacters(in: .whitespaces), database) }
    }

    /// `generate_job_name(prefix)`: the prefix (upper-cased) followed by the next number of the scheduler's
    /// sequence; ORA-24102 when the prefix is longer than 18 characters or ends in a digit.
    static func generateJobName(prefix: String, scheduler: inout SchedulerObjects) throws -> String {
        guard prefix.count <= 18, !(prefix.last?.isNumber ?? false) else {
            throw OracleError("ORA-24102: invalid prefix for generate_job_name")
        }
        let next = (scheduler.generatedJobNameSequence ?? 0) + 1
        scheduler.generatedJobNameSequence = next
        return prefix.uppercased() + String(next)
    }

    /// Evaluates a VARCHAR2 argument written as an expression: string literals and
    /// `dbms_scheduler.generate_job_name(...)` joined with `||`.
    static func evaluate(_ raw: String, scheduler: inout SchedulerObjects) throws -> String {
        var terms: [String] = []
        var current = ""
        var inQuote = false
        var depth = 0
        let characters = Array(raw)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "'" { inQuote.toggle() }
            if !inQuote {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1 }
                if depth == 0, character == "|", index + 1 < characters.count, characters[index + 1] == "|" {
                    terms.append(current)
                    current = ""
                    index += 2
                    continue
                }
            }
            current.append(character)
            index += 1
        }
        terms.append(current)
        var result = ""
        for term in terms.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if term.hasPrefix("'") && term.hasSuffix("'") && term.count >= 2 {
                result += TextShape.unquote(term)
            } else if let call = PLSQLCall.calls(in: term, prefix: "dbms_scheduler.").first,
                call.procedure == "generate_job_name"
            {
                let (values, _) = try namedArguments(call)
                result += try generateJobName(prefix: values["prefix"] ?? "JOB$_", scheduler: &scheduler)
            } else {
                throw OracleError([
                    "ORA-06550: line 1, column 7:", "PLS-00201: identifier '\(term.uppercased())' must be declared",
                ])
            }
        }
        return result
    }

    /// A calendar string or PL/SQL date expression for `repeat_interval`.
    static func checkRepeatInterval(_ interval: String) throws {
        let trimmed = interval.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw OracleError("ORA-27411: empty string is not a valid repeat interval.") }
        guard trimmed.uppercased().hasPrefix("FREQ") else { return }  // a PL/SQL expression such as SYSDATE+1
        let clauses = trimmed.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let frequency = clauses.first?.split(separator: "=", maxSplits: 1).last.map {
            $0.trimmingCharacters(in: .whitespaces).uppercased()
        }
        let known = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
        guard let frequency, clauses.first?.contains("=") == true, known.contains(frequency) else {
            throw OracleError(
                "ORA-27412: repeat interval or calendar contains invalid identifier: \(frequency ?? trimmed)")
        }
    }

    static func checkCommitSemantics(_ values: [String: String]) throws {
        if let semantics = values["commit_semantics"],
            !["STOP_ON_FIRST_ERROR", "TRANSACTIONAL", "ABSORB_ERRORS"].contains(semantics.uppercased())
        {
            throw invalidValue(semantics, "commit_semantics")
        }
    }

    static func apply(
        _ call: PLSQLCall, to scheduler: inout SchedulerObjects, database: inout DatabaseState,
        context: StatementContext
    ) throws -> [String] {
        guard signatures[call.procedure] != nil else {
            throw OracleError([
                "ORA-06550: line 1, column 7:",
                "PLS-00302: component '\(call.procedure.uppercased())' must be declared",
            ])
        }
        let (arguments, raw) = try namedArguments(call)
        let snapshot = database
        func name(_ key: String) throws -> String { try objectName(arguments[key] ?? "", snapshot) }
        func names(_ key: String) throws -> [String] { try objectNames(arguments[key] ?? "", snapshot) }
        func isTrue(_ key: String) -> Bool { arguments[key]?.uppercased() == "TRUE" }
        func notFound(_ name: String) -> OracleError { OracleError("ORA-27476: \"\(name)\" does not exist") }
        func exists(_ name: String) -> OracleError { OracleError("ORA-27477: \"\(name)\" already exists") }
        /// A job class is a SYS object whatever schema is written.
        func jobClass(_ text: String) throws -> String {
            let qualified = try objectName(text, snapshot)
            return qualified.hasPrefix("SYS.") ? String(qualified.dropFirst(4)) : qualified
        }
        switch call.procedure {
        case "drop_job":
            try checkCommitSemantics(arguments)
            for job in try names("job_name") {
                guard scheduler.jobs.removeValue(forKey: job) != nil else { throw notFound(job) }
            }
        case "drop_schedule":
            for schedule in try names("schedule_name") {
                guard scheduler.schedules.removeValue(forKey: schedule) != nil else { throw notFound(schedule) }
            }
        case "drop_program":
            for program in try names("program_name") {
                guard scheduler.programs.removeValue(forKey: program) != nil else { throw notFound(program) }
            }
        case "drop_credential":
            let credential = try name("credential_name")
            guard scheduler.credentials.removeValue(forKey: credential) != nil else { throw notFound(credential) }
        case "drop_job_class":
            for text in (arguments["job_class_name"] ?? "").split(separator: ",") {
                let jobClassName = try jobClass(text.trimmingCharacters(in: .whitespaces))
                guard let index = scheduler.jobClasses.firstIndex(of: jobClassName) else {
                    throw notFound(jobClassName)
                }
                scheduler.jobClasses.remove(at: index)
            }
        case "create_job_class":
            let jobClassName = try jobClass(arguments["job_class_name"] ?? "")
            if let level = raw["logging_level"] {
                let levels = ["LOGGING_OFF", "LOGGING_RUNS", "LOGGING_FAILED_RUNS", "LOGGING_FULL"]
                guard levels.contains(where: { level.uppercased() == "DBMS_SCHEDULER.\($0)" }) else {
                    throw invalidValue(level, "logging_level")
                }
            }
            if let history = arguments["log_history"] {
                guard let days = Int(history), (0...1_000_000).contains(days) else {
                    throw invalidValue(history, "log_history")
                }
            }
            guard !scheduler.jobClasses.contains(jobClassName) else { throw exists(jobClassName) }
            scheduler.jobClasses.append(jobClassName)
        case "create_credential":
            let credential = try name("credential_name")
            guard let user = arguments["username"], !user.isEmpty else { throw invalidValue("NULL", "username") }
            guard scheduler.credentials[credential] == nil else { throw exists(credential) }
            scheduler.credentials[credential] = user
        case "create_program":
            let program = try name("program_name")
            let type = (arguments["program_type"] ?? "").uppercased()
            guard ["PLSQL_BLOCK", "STORED_PROCEDURE", "EXECUTABLE"].contains(type) else {
                throw invalidValue(arguments["program_type"] ?? "", "program_type")
            }
            var count = 0
            if let text = arguments["number_of_arguments"] {
                guard let value = Int(text), (0...255).contains(value) else {
                    throw invalidValue(text, "number_of_arguments")
                }
                count = value
            }
            guard scheduler.programs[program] == nil else { throw exists(program) }
            scheduler.programs[program] = SchedulerObjects.Program(
                name: program, action: arguments["program_action"] ?? "", arguments: [], enabled: isTrue("enabled"),
                programType: type, numberOfArguments: count)
        case "define_program_argument":
            let programName = try name("program_name")
            guard var program = scheduler.programs[programName] else { throw notFound(programName) }
            let positionText = arguments["argument_position"] ?? ""
            guard let position = Int(positionText), position >= 1, position <= (program.numberOfArguments ?? 0)
            else {
                throw invalidValue(positionText, "argument_position")
            }
            if let argumentName = arguments["argument_name"] {
                guard (try? objectName(argumentName, snapshot)) != nil, !argumentName.contains(".") else {
                    throw OracleError("ORA-27453: \"\(argumentName)\" is an invalid job or program argument name.")
                }
            }
            program.arguments.append("\(arguments["argument_name"] ?? "")=\(arguments["default_value"] ?? "")")
            scheduler.programs[programName] = program
        case "enable":
            try checkCommitSemantics(arguments)
            for object in try names("name") {
                if var program = scheduler.programs[object] {
                    program.enabled = true
                    scheduler.programs[object] = program
                } else if var job = scheduler.jobs[object] {
                    job.enabled = true
                    job.state = "SCHEDULED"
                    scheduler.jobs[object] = job
                } else {
                    throw notFound(object)
                }
            }
        case "create_schedule":
            let schedule = try name("schedule_name")
            try checkRepeatInterval(arguments["repeat_interval"] ?? "")
            guard scheduler.schedules[schedule] == nil else { throw exists(schedule) }
            scheduler.schedules[schedule] = arguments["repeat_interval"] ?? ""
        case "create_job":
            try createJob(arguments, raw: raw, scheduler: &scheduler, database: &database, now: context.now)
        case "generate_job_name":
            _ = try generateJobName(prefix: arguments["prefix"] ?? "JOB$_", scheduler: &scheduler)
        case "run_job":
            var output: [String] = []
            for job in try names("job_name") {
                output += try ArchivelogCheck.runJob(job, scheduler: &scheduler, database: &database, context: context)
            }
            return output
        default:
            break
        }
        return []
    }

    static func createJob(
        _ arguments: [String: String], raw: [String: String], scheduler: inout SchedulerObjects,
        database: inout DatabaseState, now: Date
    ) throws {
        let snapshot = database
        func qualified(_ text: String) throws -> String { try objectName(text, snapshot) }
        let rawName = raw["job_name"] ?? ""
        let nameText =
            rawName.contains("||") || rawName.lowercased().contains("generate_job_name")
            ? try evaluate(rawName, scheduler: &scheduler) : (arguments["job_name"] ?? "")
        let name = try qualified(nameText)
        let hasAction = arguments["job_type"] != nil || arguments["job_action"] != nil
        // The declarations: job_type + job_action, or program_name (with or without a schedule).
        guard hasAction != (arguments["program_name"] != nil),
            !hasAction || (arguments["job_type"] != nil && arguments["job_action"] != nil)
        else { throw wrongArguments("create_job") }
        if let type = arguments["job_type"] {
            let types = [
                "PLSQL_BLOCK", "STORED_PROCEDURE", "EXECUTABLE", "CHAIN", "EXTERNAL_SCRIPT", "SQL_SCRIPT",
                "BACKUP_SCRIPT",
            ]
            guard types.contains(type.uppercased()) else { throw invalidValue(type, "job_type") }
        }
        if let interval = arguments["repeat_interval"] { try checkRepeatInterval(interval) }
        if name == "LOG_RETENTION" {
            guard database.autorestoreCatalog != nil else {
                throw OracleError("ORA-00942: table or view does not exist")
            }
            database.autorestoreCatalog?.retentionJobEnabled = arguments["enabled"]?.uppercased() == "TRUE"
            return
        }
        func notFound(_ name: String) -> OracleError { OracleError("ORA-27476: \"\(name)\" does not exist") }
        guard scheduler.jobs[name] == nil else { throw OracleError("ORA-27477: \"\(name)\" already exists") }
        let program = try arguments["program_name"].map(qualified)
        if let program, scheduler.programs[program] == nil { throw notFound(program) }
        let schedule = try arguments["schedule_name"].map(qualified)
        if let schedule, scheduler.schedules[schedule] == nil { throw notFound(schedule) }
        var jobClass = try arguments["job_class"].map(qualified)
        if let qualifiedClass = jobClass, qualifiedClass.hasPrefix("SYS.") {
            jobClass = String(qualifiedClass.dropFirst(4))
        }
        if let jobClass, !scheduler.jobClasses.contains(jobClass) { throw notFound(jobClass) }
        let credential = try arguments["credential_name"].map(qualified)
        if let credential, scheduler.credentials[credential] == nil { throw notFound(credential) }
        let enabled = arguments["enabled"]?.uppercased() == "TRUE"
        let owner = name.contains(".") ? String(name.split(separator: ".")[0]) : "SYS"
        scheduler.jobs[name] = SchedulerObjects.Job(
            owner: owner, name: name, program: program, schedule: schedule, jobClass: jobClass,
            credential: credential, enabled: enabled, state: enabled ? "SCHEDULED" : "DISABLED", failureCount: 0,
            lastStartDate: nil, nextRunDate: enabled ? now.addingTimeInterval(3600) : nil,
            jobType: arguments["job_type"]?.uppercased(), jobAction: arguments["job_action"])
    }
}
