import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Errors of the simulator's own machinery (not simulated Oracle errors).
public struct SimulatorError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A fault planted by `oracle-sim inject`.
public struct FaultRule: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable { case fail, hang }
    public var action: Action
    /// Case-insensitive substring of the (whitespace-normalised) statement text.
    public var statementContains: String
    /// `sqlplus`, `rman` or nil for both.
    public var tool: String?
    /// Error text printed for `fail` (default: an ORA-/RMAN- error fitting the tool).
    public var errorText: String?
    /// Real seconds to hang (so callers' timeouts can be exercised).
    public var hangSeconds: Double
    /// Remaining triggers; nil means forever.
    public var remaining: Int?
}

/// Process-wide simulator state: clock, faults, refused connections.
public struct SimulatorGlobals: Codable, Sendable, Equatable {
    /// Seconds the simulated clock has been advanced (sleeps, workload).
    public var clockAdvanceSeconds: Double = 0
    public var faults: [FaultRule] = []
    /// Aliases or service names whose connections fail with ORA-12545.
    public var refusedConnections: [String] = []
}

/// A started (not yet mounted, or restored) instance reached through `ORACLE_SID`.
public struct InstanceRecord: Codable, Sendable, Equatable {
    public var sid: String
    /// `STARTED`, `MOUNTED` or `OPEN`.
    public var status: String
    public var pfilePath: String
    public var parameters: [String: String]
    public var controlFilePath: String
    public var startedAt: Date
    /// TDE: the keystore `administer key management set keystore open` opened in this instance (nil: closed).
    public var openKeystore: String? = nil
}

/// The on-disk state directory, guarded by one `flock`ed lock file.
///
/// Layout: `globals.json`, `databases/<db_unique_name>.json`, `instances/<sid>.json`, `.lock`.
public struct StateStore: Sendable {
    public let root: URL
    public let environment: [String: String]

    /// `ORACLE_SIM_STATE`, else `$ORACLE_HOME/../oracle-sim-state`, else `./oracle-sim-state`.
    public static func defaultRoot(_ environment: [String: String]) -> URL {
        if let explicit = environment["ORACLE_SIM_STATE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        if let home = environment["ORACLE_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).deletingLastPathComponent().appendingPathComponent("oracle-sim-state")
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
            "oracle-sim-state")
    }

    public init(environment: [String: String]) {
        self.environment = environment
        self.root = StateStore.defaultRoot(environment)
    }

    public init(root: URL, environment: [String: String]) {
        self.root = root
        self.environment = environment
    }

    var databasesDirectory: URL { root.appendingPathComponent("databases") }
    var instancesDirectory: URL { root.appendingPathComponent("instances") }

    /// Runs `body` while holding the exclusive lock on the state directory.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let lockPath = root.appendingPathComponent(".lock").path
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw SimulatorError("cannot open lock file \(lockPath)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw SimulatorError("cannot lock \(lockPath)") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Runs `body`, which reads one state file, without the lock: every state file is replaced by a rename (see
    /// `JSONCoding.write`), so a reader sees the whole old or the whole new file. Waiting for the lock to read the
    /// clock or a record made every program of a busy fleet queue behind the others' statements.
    public func reading<T>(_ body: () throws -> T) rethrows -> T { try body() }

    // MARK: Globals and clock

    public func loadGlobals() throws -> SimulatorGlobals {
        let url = root.appendingPathComponent("globals.json")
        guard let bytes = try StateFile.read(url) else { return SimulatorGlobals() }
        if let cached = DecodedStateCache.shared.globals(url.path, bytes) { return cached }
        let globals = try JSONCoding.decoder.decode(SimulatorGlobals.self, from: bytes)
        DecodedStateCache.shared.remember(globals, url.path, bytes)
        return globals
    }

    /// Decodes, without the lock, the state files a statement on `target` will load under it, so that under the
    /// lock they are only checked to be the same version (see `DecodedStateCache`): decoding was most of the time
    /// a statement held the lock, while every other program of a fleet waited. Errors are left to the real load.
    func prefetch(_ target: SessionTarget) {
        _ = try? loadGlobals()
        if case .database(let name, _) = target { _ = try? loadDatabase(name) }
    }

    public func saveGlobals(_ globals: SimulatorGlobals) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try JSONCoding.write(globals, to: root.appendingPathComponent("globals.json"))
    }

    /// The simulated time: `ORACLE_SIM_NOW` (or the real time) + `ORACLE_SIM_CLOCK_OFFSET` + recorded advances.
    public func now(_ globals: SimulatorGlobals) -> Date {
        var base = Date()
        if let fixed = environment["ORACLE_SIM_NOW"], !fixed.isEmpty {
            if let parsed = OracleTime.parseISOSeconds(fixed, timeZone) {
                base = parsed
            } else if let parsed = ISO8601DateFormatter().date(from: fixed) {
                base = parsed
            } else if let epoch = Double(fixed) {
                base = Date(timeIntervalSince1970: epoch)
            }
        }
        let offset = Double(environment["ORACLE_SIM_CLOCK_OFFSET"] ?? "") ?? 0
        let seconds = (base.timeIntervalSince1970 + offset + globals.clockAdvanceSeconds).rounded(.down)
        return Date(timeIntervalSince1970: seconds)
    }

    public var timeZone: TimeZone { OracleTime.timeZone(environment) }

    // MARK: Databases

    func databaseURL(_ name: String) -> URL {
        databasesDirectory.appendingPathComponent(name.lowercased() + ".json")
    }

    public func databaseNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: databasesDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func loadDatabase(_ name: String) throws -> DatabaseState? {
        let url = databaseURL(name)
        guard let bytes = try StateFile.read(url) else { return nil }
        if let cached = DecodedStateCache.shared.database(url.path, bytes) { return cached }
        let state = try JSONCoding.decoder.decode(DatabaseState.self, from: bytes)
        DecodedStateCache.shared.remember(state, url.path, bytes)
        return state
    }

    public func saveDatabase(_ state: DatabaseState) throws {
        try FileManager.default.createDirectory(at: databasesDirectory, withIntermediateDirectories: true)
        try JSONCoding.write(state, to: databaseURL(state.dbUniqueName))
    }

    /// The database offering `service` (its db_unique_name or one of its service names).
    ///
    /// The database named like the service is read first and usually is the one, so a connection reads one state
    /// file however many databases there are; only a service name of another database reads the others, in name
    /// order. (Reading them all made every connection of a 100-database fleet cost about 10 ms more than of one.)
    public func databaseOffering(service: String) throws -> DatabaseState? {
        func offers(_ state: DatabaseState) -> Bool {
            ([state.dbUniqueName] + state.serviceNames).contains {
                $0.caseInsensitiveCompare(service) == .orderedSame
            }
        }
        if !service.contains("/"), let state = try loadDatabase(service), offers(state) { return state }
        for name in databaseNames() where name != service.lowercased() {
            guard let state = try loadDatabase(name) else { continue }
            if offers(state) { return state }
        }
        return nil
    }

    // MARK: Instances

    func instanceURL(_ sid: String) -> URL { instancesDirectory.appendingPathComponent(sid + ".json") }

    public func loadInstance(_ sid: String) throws -> InstanceRecord? {
        // Read without the lock by some callers: a shutdown removing the file between a check and the read is
        // "no instance", not an error.
        guard let bytes = try StateFile.read(instanceURL(sid)) else { return nil }
        return try JSONCoding.decoder.decode(InstanceRecord.self, from: bytes)
    }

    public func saveInstance(_ record: InstanceRecord) throws {
        try FileManager.default.createDirectory(at: instancesDirectory, withIntermediateDirectories: true)
        try JSONCoding.write(record, to: instanceURL(record.sid))
    }

    public func removeInstance(_ sid: String) {
        try? FileManager.default.removeItem(at: instanceURL(sid))
    }
}

/// Reading one state file whole.
enum StateFile {
    /// The file's bytes; `nil` when there is no such file (also when it disappears while being opened).
    static func read(_ url: URL) throws -> Data? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw SimulatorError("cannot read \(url.path): \(String(cString: strerror(code)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw SimulatorError("cannot read \(url.path): \(error)")
        }
    }
}

/// Database states and globals already decoded by this process, by path and the file's exact bytes. A program
/// decodes a database's state file when it connects and again for every statement; unchanged, the file is decoded
/// once. The bytes, not the file's inode, size and times, tell versions apart: a freed inode is reused at once and
/// file times are coarse, so two versions written in one clock tick could look alike, and a stale decode saved back
/// would lose another program's change.
final class DecodedStateCache: @unchecked Sendable {
    static let shared = DecodedStateCache()
    private let lock = NSLock()
    private var databases: [String: (bytes: Data, state: DatabaseState)] = [:]
    private var globalsByPath: [String: (bytes: Data, globals: SimulatorGlobals)] = [:]

    func globals(_ path: String, _ bytes: Data) -> SimulatorGlobals? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = globalsByPath[path], entry.bytes == bytes else { return nil }
        return entry.globals
    }

    func remember(_ value: SimulatorGlobals, _ path: String, _ bytes: Data) {
        lock.lock()
        defer { lock.unlock() }
        globalsByPath[path] = (bytes, value)
    }

    func database(_ path: String, _ bytes: Data) -> DatabaseState? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = databases[path], entry.bytes == bytes else { return nil }
        return entry.state
    }

    func remember(_ state: DatabaseState, _ path: String, _ bytes: Data) {
        lock.lock()
        defer { lock.unlock() }
        databases[path] = (bytes, state)
    }
}

/// write(2) (JSONCoding has a `write` of its own).
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Shared JSON settings (sorted keys so state files diff well).
enum JSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
    /// Writes `value` to a temporary file renamed over `url`, so a reader without the lock sees the old or the new
    /// file, never part of one. No fsync: this is the simulator's bookkeeping, not Oracle's files, and a flush per
    /// statement (Foundation's `Data.write` makes one) held the state lock for the disk's time.
    static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let data = try encoder.encode(value)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SimulatorError("cannot write \(temporary.path)") }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        guard close(descriptor) == 0, written else {
            unlink(temporary.path)
            throw SimulatorError("cannot write \(temporary.path)")
        }
        guard rename(temporary.path, url.path) == 0 else { throw SimulatorError("cannot write \(url.path)") }
    }
}
