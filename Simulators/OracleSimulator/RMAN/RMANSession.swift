import Foundation

/// The `rman` personality: `rman [target …] [catalog …] [log <file> [append]]`, script on stdin.
final class RMANSession {
    let store: StateStore
    var output: [String] = []
    var echo = false
    var target: SessionTarget?
    var catalogDatabase: String?
    var usedRepositoryNotice = false
    /// Automatic channels (ORA_DISK_n) once allocated.
    var automaticChannels: [String] = []
    /// Channels allocated explicitly in the current run block.
    var blockChannels: [(name: String, format: String?)] = []
    var newnameToNew = false
    var untilTime: Date?
    /// `set dbid` of the manual restore (the database is identified by the restored controlfile).
    var requestedDbid: Int64?
    var nextSessionId = 40

    init(store: StateStore) { self.store = store }

    var zone: TimeZone { store.timeZone }

    static func run(arguments: [String], input: String, store: StateStore) -> ToolResult {
        let session = RMANSession(store: store)
        var logPath: String?
        var append = false
        var index = 1
        var commandLineConnects: [String] = []
        while index < arguments.count {
            let word = arguments[index].lowercased()
            if word == "log" || word == "log=" || word.hasPrefix("log=") {
                if word.hasPrefix("log=") && word.count > 4 {
                    logPath = String(arguments[index].dropFirst(4))
                } else if index + 1 < arguments.count {
                    logPath = arguments[index + 1]
                    index += 1
                }
            } else if word == "append" {
                append = true
            } else if (word == "target" || word == "catalog"), index + 1 < arguments.count {
                commandLineConnects.append("connect \(word) \(arguments[index + 1])")
                index += 1
            }
            index += 1
        }
        let code = session.execute(input: input, initialCommands: commandLineConnects)
        let text = session.output.joined(separator: "\n") + "\n"
        if let logPath {
            if append, let handle = FileHandle(forWritingAtPath: logPath) {
                _ = try? handle.seekToEnd()
                handle.write(Data(text.utf8))
                try? handle.close()
            } else {
                try? Data(text.utf8).write(to: URL(fileURLWithPath: logPath))
            }
            return ToolResult(stdout: "", exitCode: code)
        }
        return ToolResult(stdout: text, exitCode: code)
    }

    func now() -> Date { (try? store.reading { store.now(try store.loadGlobals()) }) ?? Date() }

    func execute(input: String, initialCommands: [String]) -> Int32 {
        output += [
            "", "Recovery Manager: Release 12.1.0.2.0 - Production on \(OracleTime.banner(now(), zone))", "",
            "Copyright (c) 1982, 2014, Oracle and/or its affiliates.  All rights reserved.", "",
        ]
        for command in initialCommands {
            do { try connect(command) } catch { return fail(error, command: "connect") }
        }
        for item in RMANScriptReader.read(input) {
            // Echo.
            output.append("RMAN> " + (echo ? masked(item.lines.first ?? "") : ""))
            if echo {
                for (offset, line) in item.lines.dropFirst().enumerated() { output.append("\(offset + 2)> \(line)") }
            }
            guard !item.commands.isEmpty || item.isRunBlock, item.commands.allSatisfy({ RMANCommands.isKnown($0) }),
                !(item.commands.isEmpty && !item.lines.isEmpty && !item.isRunBlock)
            else {
                let bad = item.commands.first { !RMANCommands.isKnown($0) } ?? "end-of-file"
                output += errorStack([
                    "RMAN-00558: error encountered while parsing input commands",
                    "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"allocate, alter, backup, catalog, change, configure, connect, delete, exit, recover, register, release, report, restore, resync, run, set, show, sql, switch\"",
                    "RMAN-01008: the bad identifier was: \(bad.split(separator: " ").first ?? "")",
                    "RMAN-01007: at line 1 column 1 file: standard input",
                ])
                return finish(code: 1)
            }
            if item.isRunBlock && item.commands.isEmpty {
                output += errorStack([
                    "RMAN-00558: error encountered while parsing input commands",
                    "RMAN-01009: syntax error: found \"end-of-file\": expecting one of: \"allocate, backup, recover, restore, set, sql, switch\"",
                ])
                return finish(code: 1)
            }
            blockChannels = []
            for command in item.commands {
                let lower = command.lowercased()
                if lower == "exit" || lower == "quit" {
                    output.append("")
                    return finish(code: 0)
                }
                do {
                    try RMANCommands.execute(command, session: self)
                } catch {
                    return fail(error, command: commandName(command))
                }
            }
            if item.isRunBlock {
                for channel in blockChannels { output.append("released channel: \(channel.name)") }
                blockChannels = []
                newnameToNew = false
                untilTime = nil
            }
            output.append("")
        }
        return finish(code: 0)
    }

    func masked(_ line: String) -> String {
        if line.lowercased().hasPrefix("connect"),
            let captures = TextShape.captures(#"^(connect\s+(?:target|catalog|auxiliary))\s+.*$"#, in: line)
        {
            return captures[0] + " *"
        }
        return line
    }

    func commandName(_ command: String) -> String {
        let words = command.lowercased().split(separator: " ")
        if words.first == "alter" { return "alter db" }
        if words.first == "change" { return "change" }
        return words.first.map(String.init) ?? "command"
    }

    func errorStack(_ lines: [String]) -> [String] {
        [
            "RMAN-00571: ===========================================================",
            "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============",
            "RMAN-00571: ===========================================================",
        ] + lines
    }

    private func fail(_ error: Error, command: String) -> Int32 {
        var lines: [String]
        if let oracle = error as? OracleError {
            lines = oracle.lines
        } else {
            lines = ["RMAN-00600: internal error, arguments [\(error)]"]
        }
        if command != "connect" {
            lines.insert(
                "RMAN-03002: failure of \(command) command at \(OracleTime.rmanErrorStamp(now(), zone))", at: 0)
        }
        output += errorStack(lines)
        return finish(code: 1)
    }

    private func finish(code: Int32) -> Int32 {
        output += ["", "Recovery Manager complete."]
        return code
    }

    // MARK: Helpers used by commands

    func connect(_ command: String) throws {
        guard let parts = TextShape.captures(#"^connect\s+(target|catalog)\s*(.*)$"#, in: command) else {
            throw OracleError("RMAN-01009: syntax error: found \"identifier\": expecting one of: \"target, catalog\"")
        }
        let globals = try store.reading { try store.loadGlobals() }
        let connectString = parts[1].isEmpty ? "/" : parts[1]
        let resolved: SessionTarget
        do {
            resolved = try ConnectionResolver.resolve(connectString, store: store, globals: globals)
        } catch {
            let prefix =
                parts[0].lowercased() == "catalog"
                ? "RMAN-04004: error from recovery catalog database: " : "RMAN-04005: error from target database: "
            throw OracleError([prefix] + error.lines)
        }
        if parts[0].lowercased() == "catalog" {
            guard case .database(let name, _) = resolved else {
                throw OracleError(
                    "RMAN-04004: error from recovery catalog database: ORA-12162: TNS:net service name is incorrectly specified"
                )
            }
            catalogDatabase = name
            output.append("connected to recovery catalog database")
            return
        }
        target = resolved
        switch resolved {
        case .idle:
            output.append("connected to target database (not started)")
        case .instance(let sid):
            let record = try store.reading { try store.loadInstance(sid) }
            let name = (record?.parameters["db_name"] ?? sid).uppercased()
            if record?.status == "STARTED" {
                output.append("connected to target database: \(name) (not mounted)")
            } else if let record {
                let controlfile = try? ControlfileImage.read(path: record.controlFilePath)
                let dbid = controlfile?.dbid ?? 0
                output.append(
                    record.status == "OPEN"
                        ? "connected to target database: \(name) (DBID=\(dbid))"
                        : "connected to target database: \(name) (DBID=\(dbid), not open)")
            }
        case .database(let name, _):
            guard let database = try store.reading({ try store.loadDatabase(name) }) else {
                throw OracleError("ORA-01034: ORACLE not available")
            }
            output.append("connected to target database: \(database.databaseNameUpper) (DBID=\(database.dbid))")
        }
    }

    /// Prints the repository notice once, when no catalog is connected.
    func repositoryNotice() {
        guard !usedRepositoryNotice else { return }
        usedRepositoryNotice = true
        if catalogDatabase == nil { output.append("using target database control file instead of recovery catalog") }
    }

    /// The channels a command uses, allocating the automatic ones on first use.
    func channels(parallelism: Int) -> [String] {
        if !blockChannels.isEmpty {
            return blockChannels.map(\.name)
        }
        if automaticChannels.isEmpty {
            for number in 1...max(1, parallelism) {
                let name = "ORA_DISK_\(number)"
                automaticChannels.append(name)
                output.append("allocated channel: \(name)")
                output.append("channel \(name): SID=\(sessionId()) device type=DISK")
            }
        } else {
            for name in automaticChannels { output.append("using channel \(name)") }
        }
        return automaticChannels
    }

    func sessionId() -> Int {
        nextSessionId += 5
        return nextSessionId
    }

    /// Runs `body` on the target's state under the lock (fault injection applies first).
    func withTarget<T>(_ command: String, _ body: (StatementContext) throws -> T) throws -> T {
        guard let target else { throw OracleError("RMAN-06171: not connected to target database") }
        if let fault = try FaultCheck.take(store: store, tool: "rman", statement: command) {
            switch fault.action {
            case .hang: Thread.sleep(forTimeInterval: fault.hangSeconds)
            case .fail:
                throw OracleError(
                    (fault.errorText ?? "ORA-00600: internal error code, arguments: [oracle-sim injected fault]")
                        .components(separatedBy: "\n"))
            }
        }
        return try StatementContext.run(store: store, target: target, body)
    }
}
