import Foundation

/// `startup nomount` and `shutdown` of local (restore) instances.
enum InstanceLifecycle {
    /// Parameters a pfile may set (anything else is LRM-00101). Underscore parameters are always accepted.
    static let knownParameters: Set<String> = [
        "compatible", "control_files", "db_block_size", "db_create_file_dest", "db_create_online_log_dest_1",
        "db_files", "db_name", "db_unique_name", "filesystemio_options", "pga_aggregate_target", "processes",
        "remote_login_passwordfile", "sga_max_size", "sga_target", "undo_management", "undo_tablespace",
        "job_queue_processes", "diagnostic_dest", "instance_number", "thread", "streams_pool_size",
        "db_recovery_file_dest_size", "db_recovery_file_dest", "enable_pluggable_database", "wallet_root",
        "memory_target", "audit_file_dest", "audit_trail", "open_cursors", "log_archive_dest_1",
        "log_archive_format", "db_domain", "local_listener", "nls_language", "nls_territory",
    ]

    /// Runs `line` (a `startup …` or `shutdown …` command); returns output lines with their padding flag.
    static func run(_ line: String, sid: String, startup: Bool, store: StateStore) throws -> [(String, Bool)] {
        try store.withLock {
            if startup { return try start(line, sid: sid, store: store) }
            return try shutdown(line, sid: sid, store: store)
        }
    }

    private static func start(_ line: String, sid: String, store: StateStore) throws -> [(String, Bool)] {
        let normalized = TextShape.normalize(line)
        guard
            let captures = TextShape.captures(#"^startup\s+nomount(?:\s+pfile\s*=\s*'?([^'\s]+)'?)?$"#, in: normalized)
        else {
            throw OracleError([
                "SP2-0714: invalid combination of STARTUP options (the simulator supports startup nomount [pfile=…])"
            ])
        }
        if try store.loadInstance(sid) != nil {
            throw OracleError("ORA-01081: cannot start already-running ORACLE - shut it down first")
        }
        var pfile = captures[0]
        if pfile.isEmpty { pfile = (store.environment["ORACLE_HOME"] ?? "") + "/dbs/init\(sid).ora" }
        guard let text = try? String(contentsOfFile: pfile, encoding: .utf8) else {
            throw OracleError([
                "ORA-01078: failure in processing system parameters",
                "LRM-00109: could not open parameter file '\(pfile)'",
            ])
        }
        var parameters: [String: String] = [:]
        for rawLine in text.split(separator: "\n") {
            var entry = rawLine.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            if entry.hasPrefix("*.") { entry.removeFirst(2) }
            guard let equals = entry.firstIndex(of: "=") else {
                throw OracleError([
                    "LRM-00112: multiple values not allowed for parameter '\(entry)'",
                    "ORA-01078: failure in processing system parameters",
                ])
            }
            let name = entry[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if !name.hasPrefix("_") && !knownParameters.contains(name) {
                throw OracleError([
                    "LRM-00101: unknown parameter name '\(name)'",
                    "ORA-01078: failure in processing system parameters",
                ])
            }
            parameters[name] = TextShape.unquote(value)
        }
        guard let dbName = parameters["db_name"], !dbName.isEmpty, dbName.count <= 8 else {
            throw OracleError("ORA-01506: missing or illegal database name")
        }
        if let blockSize = parameters["db_block_size"], Int(blockSize) == nil {
            throw OracleError([
                "LRM-00123: invalid character 0 found in the input file",
                "ORA-01078: failure in processing system parameters",
            ])
        }
        guard
            let controlFile = parameters["control_files"]?.split(separator: ",").first.map({
                TextShape.unquote(String($0))
            }),
            !controlFile.isEmpty
        else {
            throw OracleError("ORA-00205: error in identifying control file, check alert log for more info")
        }
        let record = InstanceRecord(
            sid: sid, status: "STARTED", pfilePath: pfile, parameters: parameters, controlFilePath: controlFile,
            startedAt: store.now(try store.loadGlobals()))
        try store.saveInstance(record)
        // The ADR home adrci later finds under diagnostic_dest.
        if let diagnostics = parameters["diagnostic_dest"], !diagnostics.isEmpty {
            let trace = "\(diagnostics)/diag/rdbms/\(dbName.lowercased())/\(sid)/trace"
            try? FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true)
            let alert =
                "Starting ORACLE instance (normal) at \(OracleTime.isoSeconds(record.startedAt, store.timeZone))\n"
            try? Data(alert.utf8).write(to: URL(fileURLWithPath: "\(trace)/alert_\(sid).log"))
        }
        let total = byteSize(parameters["sga_max_size"] ?? parameters["sga_target"] ?? "1G")
        let fixed: Int64 = 2_929_552
        let redo: Int64 = 13_844_480
        let variable = (total / 5) / 16 * 16
        let buffers = total - fixed - redo - variable
        func row(_ label: String, _ value: Int64) -> (String, Bool) {
            (
                label.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%11lld", value) + " bytes",
                true
            )
        }
        return [
            ("ORACLE instance started.", false), row("Total System Global Area", total), row("Fixed Size", fixed),
            row("Variable Size", variable), row("Database Buffers", buffers), row("Redo Buffers", redo),
        ]
    }

    static func byteSize(_ text: String) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let multipliers: [Character: Int64] = [
            "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024,
        ]
        if let last = trimmed.last, let multiplier = multipliers[last], let value = Int64(trimmed.dropLast()) {
            return value * multiplier
        }
        return Int64(trimmed) ?? 1_073_741_824
    }

    private static func shutdown(_ line: String, sid: String, store: StateStore) throws -> [(String, Bool)] {
        let mode =
            TextShape.normalize(line).lowercased().split(separator: " ").dropFirst().first.map(String.init) ?? "normal"
        guard let record = try store.loadInstance(sid) else {
            throw OracleError(["ORA-01034: ORACLE not available", "ORA-27101: shared memory realm does not exist"])
        }
        store.removeInstance(sid)
        if mode == "abort" { return [("ORACLE instance shut down.", false)] }
        switch record.status {
        case "OPEN":
            return [
                ("Database closed.", false), ("Database dismounted.", false), ("ORACLE instance shut down.", false),
            ]
        case "MOUNTED":
            return [
                ("ORA-01109: database not open", false), ("", false), ("", false), ("Database dismounted.", false),
                ("ORACLE instance shut down.", false),
            ]
        default:
            return [
                ("ORA-01507: database not mounted", false), ("", false), ("", false),
                ("ORACLE instance shut down.", false),
            ]
        }
    }
}
