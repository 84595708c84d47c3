import Foundation

/// `sqlldr <login> control=<file> log=<file> errors=0 silent=all`: loads log files into `restorelob`.
enum SQLLoaderTool {
    static func run(arguments: [String], store: StateStore) -> ToolResult {
        var options: [String: String] = [:]
        var login: String?
        for argument in arguments.dropFirst() {
            if let equals = argument.firstIndex(of: "=") {
                options[argument[..<equals].lowercased()] = String(argument[argument.index(after: equals)...])
            } else if login == nil {
                login = argument
            }
        }
        login = login ?? options["userid"]
        let logPath = options["log"]
        var log: [String] = ["", "SQL*Loader: Release 12.1.0.2.0 - Production", ""]
        func finish(_ code: Int32, _ lines: [String]) -> ToolResult {
            log += lines
            if let logPath {
                try? Data((log.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: logPath))
            }
            return ToolResult(
                stdout: code == 0 || options["silent"] != nil ? "" : lines.joined(separator: "\n") + "\n",
                exitCode: code)
        }
        guard let login, let controlPath = options["control"] else {
            return finish(1, ["SQL*Loader-100: Syntax error on command-line"])
        }
        guard let control = try? String(contentsOfFile: controlPath, encoding: .utf8) else {
            return finish(
                1, ["SQL*Loader-500: Unable to open file (\(controlPath))", "SQL*Loader-553: file not found"])
        }
        log.append("Control File:   \(controlPath)")
        let parts = control.components(separatedBy: "BEGINDATA")
        let header = TextShape.normalize(parts[0])
        guard parts.count == 2,
            TextShape.match(
                header,
                "LOAD DATA INFILE * APPEND INTO TABLE {} FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' (logfile CHAR(200), loglob LOBFILE(logfile) TERMINATED BY EOF)"
            )?.first?.lowercased() == "restorelob"
        else {
            return finish(
                1,
                [
                    "SQL*Loader-350: Syntax error at line 1.",
                    "Expecting keyword LOAD, found something the simulator does not model.",
                ])
        }
        let globals = (try? store.reading { try store.loadGlobals() }) ?? SimulatorGlobals()
        let target: SessionTarget
        do {
            target = try ConnectionResolver.resolve(login, store: store, globals: globals)
        } catch {
            return finish(1, ["SQL*Loader-704: Internal error: ulconnect: OCIServerAttach [0]"] + error.lines)
        }
        guard case .database(let name, _) = target else {
            return finish(
                1,
                ["SQL*Loader-704: Internal error: ulconnect: OCISessionBegin [0]", "ORA-01034: ORACLE not available"])
        }
        let files = parts[1].split(separator: "\n").map { TextShape.unquote($0.trimmingCharacters(in: .whitespaces)) }
            .filter { !$0.isEmpty }
        do {
            return try store.withLock {
                guard var database = try store.loadDatabase(name), var schema = database.autorestoreCatalog,
                    schema.has("RESTORELOB")
                else {
                    return finish(
                        1,
                        [
                            "SQL*Loader-941: Error during describe of table RESTORELOB",
                            "ORA-04043: object RESTORELOB does not exist",
                        ])
                }
                var loaded = 0
                var rejected: [String] = []
                for file in files {
                    guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                        rejected.append(
                            "SQL*Loader-502: unable to open data file '\(file)' for field LOGLOB table RESTORELOB")
                        continue
                    }
                    if schema.lobs[file] != nil {
                        rejected.append(
                            "Record 1: Rejected - Error on table RESTORELOB.\nORA-00001: unique constraint (AUTORESTORE.SYS_IOT_TOP_91234) violated"
                        )
                        continue
                    }
                    schema.lobs[file] = contents
                    loaded += 1
                }
                let summary = [
                    "Table RESTORELOB:", "  \(loaded) Row\(loaded == 1 ? "" : "s") successfully loaded.",
                    "  \(rejected.count) Row\(rejected.count == 1 ? "" : "s") not loaded due to data errors.",
                ]
                if !rejected.isEmpty {
                    // errors=0: the load is aborted and nothing is committed.
                    return finish(
                        2,
                        rejected + ["", "MAXIMUM ERROR COUNT EXCEEDED - Above statistics reflect partial run."]
                            + summary)
                }
                database.autorestoreCatalog = schema
                try store.saveDatabase(database)
                return finish(0, summary)
            }
        } catch {
            return finish(1, ["SQL*Loader-2026: the load was aborted because SQL Loader cannot continue."])
        }
    }
}

/// `srvctl config database|service -d <db>` and `srvctl enable|disable service -d <db> -s <service>`.
enum SrvctlTool {
    static func run(arguments: [String], store: StateStore) -> ToolResult {
        guard store.environment["ORACLE_SIM_GRID"]?.uppercased() == "TRUE" else {
            return ToolResult(
                stdout:
                    "****Unable to retrieve Oracle Clusterware home.\nStart Oracle Clusterware stack and try again.\n",
                exitCode: 1)
        }
        let words = Array(arguments.dropFirst())
        func value(_ flags: [String]) -> String? {
            guard let index = words.firstIndex(where: { flags.contains($0) }), index + 1 < words.count else {
                return nil
            }
            return words[index + 1]
        }
        guard words.count >= 2, ["config", "enable", "disable"].contains(words[0]),
            ["database", "service"].contains(words[1]), let name = value(["-d", "-db", "-database"])
        else {
            return ToolResult(
                stdout: "PRKO-2002 : Invalid command line option: \(words.joined(separator: " "))\n", exitCode: 1)
        }
        guard let database = (try? store.reading { try store.loadDatabase(name) }) ?? nil else {
            return ToolResult(
                stdout:
                    "PRCD-1120 : The resource for database \(name) could not be found.\nPRCR-1001 : Resource ora.\(name).db does not exist\n",
                exitCode: 1)
        }
        if words[0] != "config" {
            guard words[1] == "service", let services = value(["-s", "-service"]) else {
                return ToolResult(
                    stdout: "PRKO-2002 : Invalid command line option: \(words.joined(separator: " "))\n", exitCode: 1)
            }
            return switchServices(
                services.split(separator: ",").map(String.init), enable: words[0] == "enable", database: database,
                store: store)
        }
        if words[1] == "service" {
            let wanted = value(["-s", "-service"]).map { [$0] } ?? database.serviceNames
            guard wanted.allSatisfy(database.serviceNames.contains) else {
                let missing = wanted.first { !database.serviceNames.contains($0) } ?? ""
                return ToolResult(
                    stdout: "PRCR-1001 : Resource ora.\(name).\(missing).svc does not exist\n", exitCode: 1)
            }
            let text = wanted.map {
                serviceConfiguration(
                    $0, enabled: !(database.disabledServices ?? []).contains($0), database: database)
            }.joined()
            return ToolResult(stdout: text, exitCode: 0)
        }
        let home = store.environment["ORACLE_HOME"] ?? ""
        let text = """
            Database unique name: \(database.dbUniqueName)
            Database name: \(database.dbName)
            Oracle home: \(home)
            Oracle user: oracle
            Spfile: +DATA/\(database.dbUniqueName.uppercased())/PARAMETERFILE/spfile.ora
            Password file: 
            Domain: 
            Start options: open
            Stop options: immediate
            Database role: PRIMARY
            Management policy: AUTOMATIC
            Server pools: 
            Disk Groups: DATA
            Mount point paths: 
            Services: \(database.serviceNames.joined(separator: ","))
            Type: SINGLE
            Database instance: \(database.instanceName)
            Configured nodes: \(database.hostName)
            Database is administrator managed

            """
        return ToolResult(stdout: text, exitCode: 0)
    }

    /// One service in the layout of the database's release: 11.2 prints the enabled line second and has no
    /// 12c attributes; 12.1 and later add Global, Commit Outcome, the pluggable database and the
    /// Application Continuity settings and print the enabled line before the instances.
    static func serviceConfiguration(_ service: String, enabled: Bool, database: DatabaseState) -> String {
        let state = enabled ? "Service is enabled" : "Service is disabled"
        if database.version.hasPrefix("11") {
            return """
                Service name: \(service)
                \(state)
                Server pool: \(database.dbUniqueName)_\(service)
                Cardinality: 1
                Disconnect: false
                Service role: PRIMARY
                Management policy: AUTOMATIC
                DTP transaction: false
                AQ HA notifications: false
                Failover type: NONE
                Failover method: NONE
                TAF failover retries: 0
                TAF failover delay: 0
                Connection Load Balancing Goal: LONG
                Runtime Load Balancing Goal: NONE
                TAF policy specification: NONE
                Edition: 
                Preferred instances: \(database.instanceName)
                Available instances: 

                """
        }
        return """
            Service name: \(service)
            Server pool: 
            Cardinality: 1
            Disconnect: false
            Service role: PRIMARY
            Management policy: AUTOMATIC
            DTP transaction: false
            AQ HA notifications: false
            Global: false
            Commit Outcome: false
            Failover type: 
            Failover method: 
            TAF failover retries: 
            TAF failover delay: 
            Connection Load Balancing Goal: LONG
            Runtime Load Balancing Goal: NONE
            TAF policy specification: NONE
            Edition: 
            Pluggable database name: 
            Maximum lag time: ANY
            SQL Translation Profile: 
            Retention: 86400 seconds
            Replay Initiation Time: 300 seconds
            Session State Consistency: 
            GSM Flags: 0
            \(state)
            Preferred instances: \(database.instanceName)
            Available instances: 

            """
    }

    static func switchServices(_ services: [String], enable: Bool, database: DatabaseState, store: StateStore)
        -> ToolResult
    {
        if let missing = services.first(where: { !database.serviceNames.contains($0) }) {
            return ToolResult(
                stdout: "PRCR-1001 : Resource ora.\(database.dbUniqueName).\(missing).svc does not exist\n",
                exitCode: 1)
        }
        do {
            try store.withLock {
                guard var current = try store.loadDatabase(database.dbUniqueName) else { return }
                var disabled = Set(current.disabledServices ?? [])
                if enable { disabled.subtract(services) } else { disabled.formUnion(services) }
                current.disabledServices = disabled.sorted()
                try store.saveDatabase(current)
            }
        } catch {
            return ToolResult(stdout: "PRCR-1064 : Failed to start resource: \(error)\n", exitCode: 1)
        }
        return ToolResult(stdout: "", exitCode: 0)
    }
}

/// `opatch lsinventory`.
enum OPatchTool {
    static func run(arguments: [String], store: StateStore) -> ToolResult {
        guard arguments.dropFirst().first == "lsinventory" else {
            return ToolResult(
                stdout:
                    "Invalid command: \(arguments.dropFirst().joined(separator: " "))\n\nOPatch failed with error code 14\n",
                exitCode: 14)
        }
        let home = store.environment["ORACLE_HOME"] ?? "/u01/app/oracle/product/12.1.0.2/db"
        let host = store.environment["ORACLE_SIM_HOSTNAME"] ?? "localhost"
        let text = """
            Oracle Interim Patch Installer version 12.2.0.1.8
            Copyright (c) 2016, Oracle Corporation.  All rights reserved.


            Oracle Home       : \(home)
            Central Inventory : /u01/app/oraInventory
               from           : \(home)/oraInst.loc
            OPatch version    : 12.2.0.1.8
            OUI version       : 12.1.0.2.0

            --------------------------------------------------------------------------------
            Local Machine Information::
            Hostname: \(host)
            ARU platform id: 226
            ARU platform description:: Linux x86-64

            Installed Top-level Products (1): 

            Oracle Database 12c                                                  12.1.0.2.0
            There are 1 products installed in this Oracle Home.


            There are no Interim patches installed in this Oracle Home.


            --------------------------------------------------------------------------------

            OPatch succeeded.

            """
        return ToolResult(stdout: text, exitCode: 0)
    }
}

/// `adrci script=<file>`: `set base`, `show homes`, `set home`, `purge -age <minutes>`.
enum ADRCITool {
    static func run(arguments: [String], store: StateStore) -> ToolResult {
        guard let scriptArgument = arguments.dropFirst().first(where: { $0.lowercased().hasPrefix("script=") }) else {
            return ToolResult(
                stdout:
                    "DIA-48415: Syntax error found in string [\(arguments.dropFirst().joined(separator: " "))] at column [1]\n",
                exitCode: 1)
        }
        let path = String(scriptArgument.dropFirst("script=".count))
        guard let script = try? String(contentsOfFile: path, encoding: .utf8) else {
            return ToolResult(stdout: "DIA-48102: error occurred while opening script file [\(path)]\n", exitCode: 1)
        }
        var output =
            "\nADRCI: Release 12.1.0.2.0 - Production on \(OracleTime.banner(Date(), store.timeZone))\n\nCopyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.\n\n"
        var base = store.environment["ORACLE_BASE"] ?? ""
        var homes: [String] = []
        let now = (try? store.reading { store.now(try store.loadGlobals()) }) ?? Date()
        for rawLine in script.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: ";"))
            let words = line.split(separator: " ").map(String.init)
            guard let verb = words.first?.lowercased() else { continue }
            switch verb {
            case "set" where words.count >= 3 && words[1].lowercased() == "base":
                base = words[2]
                homes = []
            case "set" where words.count >= 3 && words[1].lowercased() == "home":
                homes = [words[2]]
            case "show" where words.count >= 2 && words[1].lowercased() == "homes":
                output += "ADR Homes: \n" + allHomes(base).map { $0 + "\n" }.joined()
            case "purge":
                let minutes =
                    words.firstIndex(of: "-age").flatMap { $0 + 1 < words.count ? Double(words[$0 + 1]) : nil }
                    ?? 43_200
                for home in (homes.isEmpty ? allHomes(base) : homes) {
                    purge(directory: base + "/" + home, olderThan: now.addingTimeInterval(-minutes * 60))
                }
            case "exit", "quit":
                break
            default:
                output += "DIA-48415: Syntax error found in string [\(line)] at column [\(line.count)]\n"
                return ToolResult(stdout: output, exitCode: 1)
            }
        }
        return ToolResult(stdout: output, exitCode: 0)
    }

    /// `diag/<product>/<name>/<instance>` directories under the base.
    static func allHomes(_ base: String) -> [String] {
        var result: [String] = []
        let diag = base + "/diag"
        for product in (try? FileManager.default.contentsOfDirectory(atPath: diag)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(diag)/\(product)")) ?? [] {
                for instance in (try? FileManager.default.contentsOfDirectory(atPath: "\(diag)/\(product)/\(name)"))
                    ?? []
                {
                    result.append("diag/\(product)/\(name)/\(instance)")
                }
            }
        }
        return result.sorted()
    }

    static func purge(directory: String, olderThan limit: Date) {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return }
        while let relative = enumerator.nextObject() as? String {
            let path = directory + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date,
                modified < limit
            else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
