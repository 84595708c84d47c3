import Foundation

/// `oracle-sim create-db | workload | inject | inspect | clock` for tests and the demo.
enum AdminCommands {
    static let usage = """
        usage: oracle-sim <command> [options]
          create-db --name <db_unique_name> [--db-name <name>] [--dbid <n>] [--version <v>] [--cdb]
                    [--standard-edition] [--host <h>] [--service <s>]... [--oradata <dir>] [--fra <dir>]
                    [--blocks <n>] [--bct] [--no-fra-destination]
          workload <db> [--transactions <n>] [--seconds-per-transaction <s>] [--add-datafile <tablespace> [--blocks <n>]]
                    [--drop-datafile <file#>] [--offline-datafile <file#>] [--online-datafile <file#>]
                    [--nologging <blocks>] [--switch-logfile] [--advance <seconds>]
          inject fail|hang --statement <text> [--tool sqlplus|rman] [--error <text>] [--seconds <s>] [--times <n>]
          inject corrupt-block (--file <path> | --db <db> --file-number <n>) --block <n>
          inject delete-archivelog --db <db> --sequence <n> [--destination fra|<directory>] [--uncatalog yes]
          inject archive-dest-error --db <db> --destination <directory> [--times <n>] [--os-error <text>]
          inject refuse-connection <alias-or-service>
          inject require-wallet --db <db>
          inject clear
          tde --db <db> --tablespace <name> --keystore <dir> --password <password>
          inspect [<db> | --instance <sid> | --controlfile <path> | --file <path> | --clock]
          clock [show | advance <seconds>]
          rman|sqlplus|sqlldr|srvctl|adrci|opatch [arguments]   (run a personality directly)

        """

    struct Options {
        var positional: [String] = []
        var values: [String: [String]] = [:]
        var flags: Set<String> = []

        init(_ arguments: [String], flags known: Set<String>) {
            var index = 0
            while index < arguments.count {
                let argument = arguments[index]
                if argument.hasPrefix("--") {
                    let name = String(argument.dropFirst(2))
                    if known.contains(name) {
                        flags.insert(name)
                    } else if index + 1 < arguments.count {
                        values[name, default: []].append(arguments[index + 1])
                        index += 1
                    } else {
                        values[name, default: []].append("")
                    }
                } else {
                    positional.append(argument)
                }
                index += 1
            }
        }

        func value(_ name: String) -> String? { values[name]?.last }
        func int(_ name: String) -> Int? { value(name).flatMap { Int($0) } }
    }

    static func run(_ arguments: [String], store: StateStore) -> ToolResult {
        guard let command = arguments.first else { return ToolResult(stdout: usage, exitCode: 2) }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "create-db": return try createDatabase(rest, store: store)
            case "workload": return try workload(rest, store: store)
            case "inject": return try inject(rest, store: store)
            case "tde": return try Keystore.adminCommand(rest, store: store)
            case "inspect": return try inspect(rest, store: store)
            case "clock": return try clock(rest, store: store)
            case "help", "--help", "-h": return ToolResult(stdout: usage, exitCode: 0)
            default: return ToolResult(stdout: "oracle-sim: unknown command '\(command)'\n" + usage, exitCode: 2)
            }
        } catch {
            return ToolResult(stdout: "oracle-sim: \(error)\n", exitCode: 1)
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func createDatabase(_ arguments: [String], store: StateStore) throws -> ToolResult {
        let options = Options(arguments, flags: ["cdb", "standard-edition", "bct", "no-fra-destination"])
        guard let name = options.value("name"), !name.isEmpty else { throw SimulatorError("create-db needs --name") }
        let dbName = options.value("db-name") ?? String(name.prefix(8))
        let base = store.root.appendingPathComponent("files").appendingPathComponent(name.lowercased()).path
        var creation = DatabaseCreationOptions(
            dbUniqueName: name, dbName: dbName,
            dbid: Int64(options.value("dbid") ?? "")
                ?? Int64(abs(Int(Checksum.fnv1a(Data(name.utf8))) % 2_000_000_000) + 1_000_000),
            oradataDirectory: options.value("oradata") ?? base + "/oradata",
            recoveryAreaDirectory: options.value("fra") ?? base + "/fra")
        creation.version = options.value("version") ?? creation.version
        creation.isCDB = options.flags.contains("cdb")
        creation.isEnterpriseEdition = !options.flags.contains("standard-edition")
        creation.hostName = options.value("host") ?? creation.hostName
        creation.serviceNames = options.values["service"] ?? []
        creation.blocksPerDatafile = options.int("blocks") ?? creation.blocksPerDatafile
        creation.recoveryAreaDestination = !options.flags.contains("no-fra-destination")
        creation.blockChangeTracking = options.flags.contains("bct")
        let state = try store.withLock { () throws -> DatabaseState in
            guard try store.loadDatabase(name) == nil else { throw SimulatorError("database \(name) already exists") }
            let globals = try store.loadGlobals()
            let state = try DatabaseEngine.create(creation, now: store.now(globals))
            try store.saveDatabase(state)
            return state
        }
        struct Summary: Encodable {
            var dbUniqueName: String
            var dbName: String
            var dbid: Int64
            var datafiles: [String]
        }
        return ToolResult(
            stdout: try json(
                Summary(
                    dbUniqueName: state.dbUniqueName, dbName: state.dbName, dbid: state.dbid,
                    datafiles: state.datafiles.map(\.path))),
            exitCode: 0)
    }

    static func workload(_ arguments: [String], store: StateStore) throws -> ToolResult {
        let options = Options(arguments, flags: ["switch-logfile"])
        guard let name = options.positional.first else { throw SimulatorError("workload needs a database name") }
        let transactions = options.int("transactions") ?? 0
        let step = Double(options.value("seconds-per-transaction") ?? "1") ?? 1
        return try store.withLock {
            var globals = try store.loadGlobals()
            guard var database = try store.loadDatabase(name) else { throw SimulatorError("no database \(name)") }
            if let seconds = Double(options.value("advance") ?? "") { globals.clockAdvanceSeconds += seconds }
            if let tablespace = options.value("add-datafile") {
                try DatabaseEngine.addDatafile(
                    &database, tablespace: tablespace, blocks: options.int("blocks") ?? 16, now: store.now(globals))
            }
            if let number = options.int("drop-datafile") {
                try DatabaseEngine.dropDatafile(&database, fileNumber: number, now: store.now(globals))
            }
            for (option, online) in [("offline-datafile", false), ("online-datafile", true)] {
                guard let text = options.value(option) else { continue }
                guard let number = Int(text) else {
                    throw SimulatorError("--\(option) needs a file number, not '\(text)'")
                }
                try DatabaseEngine.setDatafileOnline(&database, fileNumber: number, online: online)
            }
            for _ in 0..<transactions {
                globals.clockAdvanceSeconds += step
                try DatabaseEngine.commitTransaction(&database, now: store.now(globals))
            }
            if let blocks = options.int("nologging") {
                try DatabaseEngine.nologgingLoad(&database, now: store.now(globals), blocks: blocks)
            }
            if options.flags.contains("switch-logfile") {
                try DatabaseEngine.archiveCurrentLog(&database, now: store.now(globals), zone: store.timeZone)
            }
            try store.saveDatabase(database)
            try store.saveGlobals(globals)
            struct Summary: Encodable {
                var currentSCN: Int64
                var now: String
                var lastCommitTime: String?
                var datafiles: Int
            }
            let last = try? DatabaseEngine.maxDate(of: DatabaseEngine.workloadTable, in: database)
            return ToolResult(
                stdout: try json(
                    Summary(
                        currentSCN: database.currentSCN, now: OracleTime.isoSeconds(store.now(globals), store.timeZone),
                        lastCommitTime: (last ?? nil).map { OracleTime.isoSeconds($0, store.timeZone) },
                        datafiles: database.datafiles.count)),
                exitCode: 0)
        }
    }

    static func inject(_ arguments: [String], store: StateStore) throws -> ToolResult {
        guard let kind = arguments.first else { throw SimulatorError("inject needs a kind") }
        let options = Options(Array(arguments.dropFirst()), flags: [])
        switch kind {
        case "fail", "hang":
            guard let statement = options.value("statement"), !statement.isEmpty else {
                throw SimulatorError("inject \(kind) needs --statement")
            }
            let rule = FaultRule(
                action: kind == "fail" ? .fail : .hang,
                statementContains: statement.split(whereSeparator: \.isWhitespace).joined(separator: " "),
                tool: options.value("tool"),
                errorText: options.value("error")?.replacingOccurrences(of: "\\n", with: "\n"),
                hangSeconds: Double(options.value("seconds") ?? "3600") ?? 3600, remaining: options.int("times"))
            try store.withLock {
                var globals = try store.loadGlobals()
                globals.faults.append(rule)
                try store.saveGlobals(globals)
            }
        case "corrupt-block":
            guard let block = options.int("block") else { throw SimulatorError("corrupt-block needs --block") }
            var path = options.value("file")
            if path == nil, let name = options.value("db"), let number = options.int("file-number") {
                path = try store.withLock {
                    try store.loadDatabase(name)?.datafiles.first { $0.fileNumber == number }?.path
                }
            }
            guard let path else { throw SimulatorError("corrupt-block needs --file or --db and --file-number") }
            try DatafileImage.corrupt(path: path, block: block)
        case "delete-archivelog":
            guard let name = options.value("db"), let sequence = options.int("sequence") else {
                throw SimulatorError("delete-archivelog needs --db and --sequence")
            }
            let destination = options.value("destination")
            let removed = try store.withLock { () throws -> [String] in
                guard let database = try store.loadDatabase(name) else { throw SimulatorError("no database \(name)") }
                let fraDestinations = Set(database.enabledArchiveDestinations().filter(\.isRecoveryArea).map(\.id))
                let targets = database.archivedLogs.filter { log in
                    guard log.sequence == sequence, !log.deleted else { return false }
                    switch destination {
                    case nil: return true
                    case "fra": return fraDestinations.contains(log.destinationId)
                    case .some(let directory): return log.path.hasPrefix(directory)
                    }
                }
                for log in targets { try? FileManager.default.removeItem(atPath: log.path) }
                if options.value("uncatalog") != nil {
                    // As after `crosscheck` + `delete expired`: the controlfile forgets the copy too.
                    var updated = database
                    let paths = Set(targets.map(\.path))
                    for index in updated.archivedLogs.indices where paths.contains(updated.archivedLogs[index].path) {
                        updated.archivedLogs[index].deleted = true
                    }
                    try store.saveDatabase(updated)
                }
                return targets.map(\.path)
            }
            guard !removed.isEmpty else { throw SimulatorError("no archived log with sequence \(sequence) there") }
            return ToolResult(stdout: removed.joined(separator: "\n") + "\n", exitCode: 0)
        case "archive-dest-error":
            let times = try options.value("times").map { text in
                guard let count = Int(text) else { throw SimulatorError("--times needs a number, not '\(text)'") }
                return count
            }
            let text = try ArchiveDestinationInjection.inject(
                database: options.value("db"), directory: options.value("destination"), times: times,
                osError: options.value("os-error"), store: store)
            return ToolResult(stdout: text, exitCode: 0)
        case "refuse-connection":
            guard let alias = options.positional.first else { throw SimulatorError("refuse-connection needs an alias") }
            try store.withLock {
                var globals = try store.loadGlobals()
                globals.refusedConnections.append(alias)
                try store.saveGlobals(globals)
            }
        case "require-wallet":
            guard let name = options.value("db") else { throw SimulatorError("require-wallet needs --db") }
            try store.withLock {
                guard var database = try store.loadDatabase(name) else { throw SimulatorError("no database \(name)") }
                database.requiresWallet = true
                try store.saveDatabase(database)
            }
        case "clear":
            try store.withLock {
                var globals = try store.loadGlobals()
                globals.faults = []
                globals.refusedConnections = []
                try store.saveGlobals(globals)
            }
        default:
            throw SimulatorError("unknown fault kind '\(kind)'")
        }
        return ToolResult(stdout: "", exitCode: 0)
    }

    static func inspect(_ arguments: [String], store: StateStore) throws -> ToolResult {
        let options = Options(arguments, flags: ["clock"])
        if options.flags.contains("clock") {
            let now = try store.withLock { store.now(try store.loadGlobals()) }
            return ToolResult(stdout: OracleTime.isoSeconds(now, store.timeZone) + "\n", exitCode: 0)
        }
        if let sid = options.value("instance") {
            guard let record = try store.withLock({ try store.loadInstance(sid) }) else {
                throw SimulatorError("no instance \(sid)")
            }
            return ToolResult(stdout: try json(record), exitCode: 0)
        }
        if let path = options.value("controlfile") {
            return ToolResult(stdout: try json(try ControlfileImage.read(path: path)), exitCode: 0)
        }
        if let path = options.value("file") {
            switch FileIdentification.identify(path: path) {
            case .datafileCopy(let header):
                struct Report: Encodable {
                    var header: DatafileHeader
                    var corruptBlocks: [Int]
                    var nonloggedBlocks: [Int]
                }
                let blocks = try DatafileImage.readBlocks(path: path)
                return ToolResult(
                    stdout: try json(
                        Report(
                            header: header, corruptBlocks: blocks.filter { !$0.checksumValid }.map(\.number),
                            nonloggedBlocks: blocks.filter(\.nonlogged).map(\.number))), exitCode: 0)
            case .archivedLog(let header): return ToolResult(stdout: try json(header), exitCode: 0)
            case .backupPiece(let header): return ToolResult(stdout: try json(header), exitCode: 0)
            case .controlfileCopy:
                return ToolResult(stdout: try json(try ControlfileImage.read(path: path)), exitCode: 0)
            case .unknown: throw SimulatorError("\(path) is not a simulator file")
            }
        }
        if let name = options.positional.first {
            guard let database = try store.withLock({ try store.loadDatabase(name) }) else {
                throw SimulatorError("no database \(name)")
            }
            return ToolResult(stdout: try json(database), exitCode: 0)
        }
        return ToolResult(stdout: store.databaseNames().joined(separator: "\n") + "\n", exitCode: 0)
    }

    static func clock(_ arguments: [String], store: StateStore) throws -> ToolResult {
        let now = try store.withLock { () throws -> Date in
            var globals = try store.loadGlobals()
            if arguments.first == "advance", let seconds = arguments.dropFirst().first.flatMap(Double.init) {
                globals.clockAdvanceSeconds += seconds
                try store.saveGlobals(globals)
            }
            return store.now(globals)
        }
        return ToolResult(stdout: OracleTime.isoSeconds(now, store.timeZone) + "\n", exitCode: 0)
    }
}
