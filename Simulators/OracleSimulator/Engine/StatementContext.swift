import Foundation

/// A simulated Oracle error: the lines SQL*Plus or RMAN print for it.
public struct OracleError: Error, Sendable {
    public var lines: [String]
    public init(_ lines: [String]) { self.lines = lines }
    public init(_ line: String) { self.lines = [line] }
}

/// The state one statement works on, loaded and saved under the state-directory lock.
final class StatementContext {
    let store: StateStore
    var globals: SimulatorGlobals
    var target: SessionTarget
    /// The database (production) or the mounted controlfile (restored instance).
    var database: DatabaseState?
    var instance: InstanceRecord?
    private var instanceRemoved = false
    /// Set by a statement whose failure still changes state (a corrupt block it met is recorded): saved anyway.
    var saveWhenFailing = false
    /// What was loaded, so that `save` writes only what the statement changed (a query writes nothing).
    private var loadedGlobals: SimulatorGlobals
    private var loadedDatabase: DatabaseState?
    private var loadedInstance: InstanceRecord?

    init(store: StateStore, target: SessionTarget) throws {
        self.store = store
        self.globals = try store.loadGlobals()
        self.loadedGlobals = globals
        self.target = target
        switch target {
        case .database(let name, _):
            database = try store.loadDatabase(name)
        case .instance(let sid):
            instance = try store.loadInstance(sid)
            if let record = instance, record.status != "STARTED" {
                database = try ControlfileImage.read(path: record.controlFilePath)
            }
            if instance == nil { self.target = .idle(sid: sid) }
        case .idle(let sid):
            if let record = try store.loadInstance(sid) {
                instance = record
                self.target = .instance(sid: sid)
                if record.status != "STARTED" {
                    database = try ControlfileImage.read(path: record.controlFilePath)
                }
            }
        }
        loadedDatabase = database
        loadedInstance = instance
    }

    var zone: TimeZone { store.timeZone }
    var now: Date { store.now(globals) }

    func advanceClock(_ seconds: Double) { globals.clockAdvanceSeconds += seconds }

    /// The database or an ORA-01034/ORA-01507 error depending on the instance state.
    func requireDatabase() throws -> DatabaseState {
        if let database { return database }
        if instance != nil { throw OracleError("ORA-01507: database not mounted") }
        throw OracleError(["ORA-01034: ORACLE not available", "Process ID: 0", "Session ID: 0 Serial number: 0"])
    }

    /// Requires an open database (ORA-01219 otherwise).
    func requireOpenDatabase() throws -> DatabaseState {
        let database = try requireDatabase()
        if let instance, instance.status != "OPEN" {
            throw OracleError(
                "ORA-01219: database or pluggable database not open: queries allowed on fixed tables or views only")
        }
        return database
    }

    func removeInstance() {
        instanceRemoved = true
    }

    /// Writes what the statement changed: the globals, the database's state file, or the instance record and its
    /// controlfile. What it only read is not written again (Oracle does not rewrite its controlfile for a query).
    func save() throws {
        if globals != loadedGlobals { try store.saveGlobals(globals) }
        switch target {
        case .database:
            if let database, database != loadedDatabase { try store.saveDatabase(database) }
        case .instance(let sid), .idle(let sid):
            if instanceRemoved {
                store.removeInstance(sid)
            } else if let instance {
                if instance != loadedInstance { try store.saveInstance(instance) }
                // A controlfile not yet written (just mounted, or moved) is written even when the state is the same.
                if instance.status != "STARTED", let database,
                    database != loadedDatabase || instance.controlFilePath != loadedInstance?.controlFilePath
                        || loadedInstance?.status == "STARTED"
                {
                    try ControlfileImage.write(path: instance.controlFilePath, state: database)
                }
            }
        }
        loadedGlobals = globals
        loadedDatabase = database
        loadedInstance = instance
    }

    /// Runs `body` on a freshly loaded context under the lock and saves it when `body` succeeds.
    static func run<T>(store: StateStore, target: SessionTarget, _ body: (StatementContext) throws -> T) throws -> T {
        store.prefetch(target)
        return try store.withLock {
            let context = try StatementContext(store: store, target: target)
            let result: T
            do {
                result = try body(context)
            } catch {
                if context.saveWhenFailing { try context.save() }
                throw error
            }
            try context.save()
            return result
        }
    }
}

/// Fault-injection checks shared by the tools.
enum FaultCheck {
    /// Returns the first matching fault (consuming one trigger) for `statement` run by `tool`.
    ///
    /// The globals are first read without the lock (they are replaced by a rename, never written in place): with
    /// no fault planted for the statement, as nearly always, no lock is taken at all.
    static func take(store: StateStore, tool: String, statement: String) throws -> FaultRule? {
        let normalized = statement.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
        func matching(_ globals: SimulatorGlobals) -> Int? {
            globals.faults.firstIndex(where: { rule in
                (rule.tool == nil || rule.tool == tool) && (rule.remaining ?? 1) > 0
                    && normalized.contains(rule.statementContains.lowercased())
            })
        }
        let unlocked = try store.loadGlobals()
        guard let found = matching(unlocked) else { return nil }
        if unlocked.faults[found].remaining == nil { return unlocked.faults[found] }
        return try store.withLock {
            var globals = try store.loadGlobals()
            guard let index = matching(globals) else { return nil }
            let rule = globals.faults[index]
            if let remaining = rule.remaining {
                globals.faults[index].remaining = remaining - 1
                try store.saveGlobals(globals)
            }
            return rule
        }
    }
}
