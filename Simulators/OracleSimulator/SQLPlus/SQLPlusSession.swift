import Foundation

/// What a statement produced, before SQL*Plus formatting.
struct SQLOutcome {
    enum Body {
        /// Single-column rows (already formatted lines) and the number of rows they represent.
        case rows([String], count: Int)
        /// A multi-column result with headings.
        case table(columns: [TableColumn], rows: [[String]])
        /// A DDL/DML feedback message such as `System altered.`.
        case message(String)
        /// A PL/SQL block: its DBMS_OUTPUT lines.
        case plsql([String])
    }
    var body: Body
    /// Simulated seconds for `Elapsed:` (sleeps report their simulated duration).
    var elapsed: Double = 0.01
}

struct TableColumn {
    var heading: String
    var width: Int
    var rightAligned = false
}

/// Settings of one SQL*Plus session that statements may consult.
struct SQLPlusSettings {
    var pages = 14
    var lines = 80
    /// 0 = off; otherwise the row-count threshold for `n rows selected.`.
    var feedback = 6
    var timing = false
    var serverOutput = false
    var trimSpool = false
    var heading = true
    var columnWidths: [String: Int] = [:]
}

/// Outcome of running a tool personality.
public struct ToolResult: Sendable {
    public var stdout: String
    public var exitCode: Int32
}

/// The `sqlplus` personality: reads a script from stdin, writes stdout and the spool file.
final class SQLPlusSession {
    let store: StateStore
    let silent: Bool
    var settings = SQLPlusSettings()
    var target: SessionTarget?
    var exitOnSQLError = false
    var stdout = ""
    private var spool: FileHandle?
    private var finished = false
    private var exitCode: Int32 = 0

    init(store: StateStore, silent: Bool) {
        self.store = store
        self.silent = silent
    }

    static func run(arguments: [String], input: String, store: StateStore) -> ToolResult {
        let silent = arguments.contains { $0.uppercased() == "-S" || $0.uppercased() == "-SILENT" }
        let session = SQLPlusSession(store: store, silent: silent)
        if !silent {
            let now = (try? store.reading { store.now(try store.loadGlobals()) }) ?? Date()
            session.stdout +=
                "\nSQL*Plus: Release 12.1.0.2.0 Production on \(OracleTime.banner(now, store.timeZone))\n\n"
                + "Copyright (c) 1982, 2014, Oracle.  All rights reserved.\n\n"
        }
        // A connect string on the command line (anything but /nolog and options).
        if let login = arguments.dropFirst().first(where: { !$0.hasPrefix("-") }), login.lowercased() != "/nolog" {
            session.connect(login)
        }
        for input in SQLPlusScriptReader.read(input) {
            if session.finished { break }
            session.execute(input)
        }
        session.finish(code: session.exitCode)
        return ToolResult(stdout: session.stdout, exitCode: session.exitCode)
    }

    // MARK: Output

    /// A line of output: stdout, and the spool file (padded to the line size unless TRIMSPOOL is on).
    func out(_ line: String, pad: Bool = false) {
        stdout += line + "\n"
        if let spool {
            var spooled = line
            if pad && !settings.trimSpool && spooled.count < settings.lines {
                spooled += String(repeating: " ", count: settings.lines - spooled.count)
            }
            spoolWrite(spooled + "\n", to: spool)
        }
    }

    /// Writes to the spool file; a failed write (a full file system) closes the spool with SQL*Plus's message
    /// instead of crashing, and the session goes on.
    private func spoolWrite(_ text: String, to handle: FileHandle) {
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            try? handle.close()
            spool = nil
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? "\(error)"
            stdout += "SP2-0308: Cannot close spool file: \(reason)\n"
        }
    }

    /// The statement text as SQL*Plus records it in the spool: prompt plus numbered continuation lines.
    /// Statement text read from standard input never goes to stdout (the terminal would have shown it).
    func echo(_ lines: [String]) {
        guard !silent, let spool else { return }
        var text = ""
        for (index, line) in lines.enumerated() {
            text += index == 0 ? "SQL> \(line)\n" : String(format: "%3d  ", index + 1) + line + "\n"
        }
        spoolWrite(text, to: spool)
    }

    private func finish(code: Int32) {
        guard !finished else { return }
        finished = true
        exitCode = code
        if !silent, target != nil, case .database = target {
            stdout += "Disconnected from Oracle Database 12c Enterprise Edition Release 12.1.0.2.0 - 64bit Production\n"
        }
        try? spool?.close()
        spool = nil
    }

    /// Applies `whenever sqlerror` after an error.
    private func failed() {
        if exitOnSQLError { finish(code: 1) }
    }

    // MARK: Dispatch

    func execute(_ input: SQLPlusInput) {
        switch input {
        case .command(let line):
            echo([line])
            command(line)
        case .sql(let lines):
            echo(lines)
            statement(lines.joined(separator: "\n"), isPLSQL: false)
        case .plsql(let lines):
            echo(lines)
            statement(lines.dropLast().joined(separator: "\n"), isPLSQL: true)
        case .unknown(let line):
            echo([line])
            out("SP2-0734: unknown command beginning \"\(line.prefix(10))...\" - rest of line ignored.")
            failed()
        }
    }

    private func command(_ line: String) {
        if line.hasPrefix("--") { return }
        let words = line.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        let verb = words.first?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ";")) ?? ""
        let rest = words.dropFirst().joined(separator: " ")
        switch verb {
        case "rem", "remark": return
        case "set": set(Array(words.dropFirst()))
        case "col", "column": column(Array(words.dropFirst()))
        case "spool": spoolCommand(rest)
        case "conn", "connect": connect(rest)
        case "whenever": whenever(Array(words.dropFirst()))
        case "prompt", "pro": out(rest)
        case "exec", "execute":
            var body = rest.trimmingCharacters(in: .whitespaces)
            if !body.hasSuffix(";") { body += ";" }
            statement("begin \(body) end;", isPLSQL: true)
        case "startup": instanceCommand(line, startup: true)
        case "shutdown": instanceCommand(line, startup: false)
        case "exit", "quit":
            let argument = words.dropFirst().first?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ";"))
            switch argument {
            case "failure": finish(code: 1)
            case "warning": finish(code: 2)
            case .some(let value) where Int32(value) != nil: finish(code: Int32(value)!)
            default: finish(code: 0)
            }
        case "show" where words.dropFirst().first?.lowercased() == "user":
            out("USER is \"\(currentUser)\"")
        default:
            out("SP2-0734: unknown command beginning \"\(line.prefix(10))...\" - rest of line ignored.")
            failed()
        }
    }

    var currentUser: String {
        switch target {
        case .database(_, let user): return user
        case .instance, .idle: return "SYS"
        case nil: return ""
        }
    }

    private func onOff(_ value: String?) -> Bool? {
        switch value?.lowercased() {
        case "on": return true
        case "off": return false
        default: return nil
        }
    }

    private func set(_ arguments: [String]) {
        guard let option = arguments.first?.lowercased() else {
            out("SP2-0265: set must be followed by an option")
            return
        }
        let value = arguments.dropFirst().first
        func number() -> Int? { value.flatMap { Int($0) } }
        var understood = true
        switch option {
        case "pages", "pagesize", "pagesi": if let n = number() { settings.pages = n } else { understood = false }
        case "lines", "linesize", "lin": if let n = number() { settings.lines = n } else { understood = false }
        case "feedback", "feed", "feedb":
            if let flag = onOff(value) {
                settings.feedback = flag ? 1 : 0
            } else if let n = number() {
                settings.feedback = n
            } else {
                understood = false
            }
        case "timing", "timi": if let flag = onOff(value) { settings.timing = flag } else { understood = false }
        case "serverout", "serveroutput":
            if let flag = onOff(value) { settings.serverOutput = flag } else { understood = false }
        case "trimspool", "trims": if let flag = onOff(value) { settings.trimSpool = flag } else { understood = false }
        case "heading", "head", "hea":
            if let flag = onOff(value) { settings.heading = flag } else { understood = false }
        case "echo", "termout", "term", "verify", "ver", "trimout", "trim", "define", "def", "sqlblanklines", "tab",
            "long", "longchunksize", "newpage", "autoprint", "wrap", "colsep":
            understood = value != nil
        default:
            out("SP2-0158: unknown SET option \"\(arguments[0])\"")
            failed()
            return
        }
        if !understood {
            out("SP2-0268: \(option) option not a valid number or ON/OFF value")
            failed()
        }
    }

    private func column(_ arguments: [String]) {
        guard arguments.count >= 3, arguments[1].lowercased() == "format" || arguments[1].lowercased() == "for" else {
            return
        }
        if let width = Int(arguments[2].lowercased().drop(while: { $0 == "a" })) {
            settings.columnWidths[arguments[0].lowercased()] = width
        }
    }

    private func spoolCommand(_ argument: String) {
        let words = argument.split(separator: " ").map(String.init)
        guard let first = words.first else { return }
        if first.lowercased() == "off" || first.lowercased() == "out" {
            try? spool?.close()
            spool = nil
            return
        }
        try? spool?.close()
        spool = nil
        let append = words.dropFirst().contains { $0.lowercased() == "append" || $0.lowercased() == "app" }
        let path = first.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        if !append || !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                out("SP2-0606: Cannot create SPOOL file \"\(path)\"")
                return
            }
        }
        spool = FileHandle(forWritingAtPath: path)
        _ = try? spool?.seekToEnd()
    }

    func connect(_ connectString: String) {
        let globals = (try? store.reading { try store.loadGlobals() }) ?? SimulatorGlobals()
        do {
            let resolved = try ConnectionResolver.resolve(connectString, store: store, globals: globals)
            target = resolved
            // SQL*Plus in silent mode does not confirm connections.
            if !silent {
                if case .idle = resolved { out("Connected to an idle instance.") } else { out("Connected.") }
            }
        } catch {
            target = nil
            out("ERROR:")
            for line in error.lines { out(line + " ") }
            out("")
            out("")
            failed()
        }
    }

    private func whenever(_ arguments: [String]) {
        guard arguments.count >= 2 else { return }
        if arguments[0].lowercased() == "sqlerror" {
            exitOnSQLError = arguments[1].lowercased() == "exit"
        }
    }

    // MARK: Instance commands

    private func instanceCommand(_ line: String, startup: Bool) {
        guard let target else {
            out("SP2-0640: Not connected")
            failed()
            return
        }
        guard case .database = target else {
            let sid: String
            switch target {
            case .instance(let name), .idle(let name): sid = name
            case .database: return
            }
            do {
                if let fault = try FaultCheck.take(store: store, tool: "sqlplus", statement: line) {
                    switch fault.action {
                    case .hang: Thread.sleep(forTimeInterval: fault.hangSeconds)
                    case .fail:
                        throw OracleError(
                            (fault.errorText ?? "ORA-00600: internal error code, arguments: [oracle-sim injected fault]")
                                .components(separatedBy: "\n"))
                    }
                }
                let lines = try InstanceLifecycle.run(line, sid: sid, startup: startup, store: store)
                for (text, padded) in lines { out(text, pad: padded) }
                if startup { self.target = .instance(sid: sid) } else { self.target = .idle(sid: sid) }
            } catch let error as OracleError {
                for text in error.lines { out(text) }
                failed()
            } catch {
                out("ORA-00600: internal error code, arguments: [\(error)]")
                failed()
            }
            return
        }
        out("ORA-01031: insufficient privileges")
        failed()
    }

    // MARK: Statements

    private func statement(_ text: String, isPLSQL: Bool) {
        guard let target else {
            out("SP2-0640: Not connected")
            failed()
            return
        }
        do {
            if let fault = try FaultCheck.take(store: store, tool: "sqlplus", statement: text) {
                switch fault.action {
                case .hang:
                    Thread.sleep(forTimeInterval: fault.hangSeconds)
                case .fail:
                    throw OracleError(
                        (fault.errorText ?? "ORA-00600: internal error code, arguments: [oracle-sim injected fault]")
                            .components(separatedBy: "\n"))
                }
            }
            let settings = self.settings
            let outcome = try StatementContext.run(store: store, target: target) { context in
                try SQLStatements.execute(text, isPLSQL: isPLSQL, context: context, settings: settings)
            }
            render(outcome)
        } catch let error as OracleError {
            if isPLSQL || error.lines.first?.hasPrefix("ORA-") == true {
                out("ERROR at line 1:")
            }
            for line in error.lines { out(line) }
            out("")
            failed()
        } catch {
            out("ERROR at line 1:")
            out("ORA-00600: internal error code, arguments: [\(error)]")
            out("")
            failed()
        }
    }

    private func render(_ outcome: SQLOutcome) {
        var trailerBlank = settings.feedback != 0
        switch outcome.body {
        case .rows(let lines, let count):
            if count == 0 {
                if settings.feedback != 0 {
                    out("")
                    out("no rows selected")
                }
            } else {
                for line in lines { out(line, pad: true) }
                feedbackLine(count)
            }
        case .table(let columns, let rows):
            if rows.isEmpty {
                if settings.feedback != 0 {
                    out("")
                    out("no rows selected")
                }
            } else {
                if settings.pages > 0 && settings.heading {
                    out("")
                    out(columns.map { pad($0.heading, $0.width, right: false) }.joined(separator: " ").trailingTrimmed)
                    out(columns.map { String(repeating: "-", count: $0.width) }.joined(separator: " "))
                }
                for row in rows {
                    let cells = zip(columns, row).map { pad($0.1, $0.0.width, right: $0.0.rightAligned) }
                    out(cells.joined(separator: " ").trailingTrimmed, pad: true)
                }
                feedbackLine(rows.count)
            }
        case .message(let message):
            if settings.feedback != 0 {
                out("")
                out(message)
            }
        case .plsql(let lines):
            if settings.serverOutput {
                for line in lines { out(line, pad: true) }
            }
            if settings.feedback != 0 {
                out("")
                out("PL/SQL procedure successfully completed.")
            }
        }
        if settings.timing {
            if trailerBlank { out("") }
            out("Elapsed: " + OracleTime.elapsed(outcome.elapsed))
            trailerBlank = false
        } else if trailerBlank {
            out("")
        }
    }

    private func feedbackLine(_ count: Int) {
        guard settings.feedback != 0, count >= settings.feedback else { return }
        out("")
        out(count == 1 ? "1 row selected." : "\(count) rows selected.")
    }

    private func pad(_ text: String, _ width: Int, right: Bool) -> String {
        let clipped = String(text.prefix(width))
        let filler = String(repeating: " ", count: max(0, width - clipped.count))
        return right ? filler + clipped : clipped + filler
    }
}

extension String {
    var trailingTrimmed: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
