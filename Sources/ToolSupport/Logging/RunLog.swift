import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the records of one tool run go: the run's log file (DEBUG and up) and the screen (INFO and up).
///
/// Every line is written with a single `write(2)` on a file opened with `O_APPEND`, so output that child
/// processes append to the same file (RMAN `log … append`, SQL*Plus `spool … append`) interleaves in order.
/// Records logged before ``attach(file:)`` are kept in memory and written when the file is attached, so the
/// start of a run is never lost.
public final class RunLog: Sendable {
    struct State {
        var descriptor: Int32 = -1
        var path: String?
        var pending: [String] = []
        /// The first failed write to the file (path and system error), if any.
        var writeFailure: String?
    }

    private let state = Mutex(State())
    private let screen: (@Sendable (String) -> Void)?
    private let screenLevel: Logger.Level
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - screen: receives screen-formatted lines (INFO and up); `nil` for no screen output.
    ///   - clock: the time source (tests pass a fixed one).
    public init(
        screen: (@Sendable (String) -> Void)? = RunLog.standardOutput, screenLevel: Logger.Level = .info,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.screen = screen
        self.screenLevel = screenLevel
        self.clock = clock
    }

    /// Prints to standard output, unbuffered.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        let data = Array((line + "\n").utf8)
        data.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
    }

    /// The attached file's path.
    public var path: String? { state.withLock { $0.path } }

    /// Why the log file could not be written completely (its path and the system error, such as a full file
    /// system), or `nil` when every line reached it. The first failure is also reported on standard error.
    public var writeFailure: String? { state.withLock { $0.writeFailure } }

    /// Opens (creating if needed) the log file, creating its directory, and writes what was logged so far.
    public func attach(file path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        state.withLock { state in
            if state.descriptor >= 0 { closeDescriptor(state.descriptor) }
            state.descriptor = descriptor
            state.path = path
            for line in state.pending { Self.writeRecord(line, state: &state) }
            state.pending.removeAll()
        }
    }

    /// Closes the file (further records are kept in memory again).
    public func close() {
        state.withLock { state in
            if state.descriptor >= 0 { closeDescriptor(state.descriptor) }
            state.descriptor = -1
        }
    }

    /// Records one message.
    public func record(level: Logger.Level, name: String, message: String) {
        let now = clock()
        let fileLine = LogLineFormat.file.format(date: now, level: level, name: name, message: message)
        state.withLock { state in
            if state.descriptor >= 0 {
                Self.writeRecord(fileLine, state: &state)
            } else {
                state.pending.append(fileLine)
            }
        }
        if level >= screenLevel, let screen {
            screen(LogLineFormat.screen.format(date: now, level: level, name: name, message: message))
        }
    }

    /// Appends raw text (no prefix) to the file, e.g. output of a child process that does not write the file.
    public func appendRaw(_ text: String) {
        guard !text.isEmpty else { return }
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        state.withLock { state in
            if state.descriptor >= 0 { Self.writeRecord(line, state: &state) } else { state.pending.append(line) }
        }
    }

    /// Writes one line to the attached file; the first failure is remembered and reported on standard error
    /// (the run goes on: its data steps matter more than its log).
    private static func writeRecord(_ line: String, state: inout State) {
        let error = writeLine(line, to: state.descriptor)
        guard error != 0, state.writeFailure == nil else { return }
        let failure = "\(state.path ?? "the log file"): \(String(cString: strerror(error)))"
        state.writeFailure = failure
        let warning = Array("WARNING: cannot write the log file \(failure); this run's log is incomplete\n".utf8)
        warning.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Writes `line` and a newline with as few `write(2)` calls as possible; returns 0 or the `errno` of a
    /// failed write.
    private static func writeLine(_ line: String, to descriptor: Int32) -> Int32 {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return ENOSPC }
            offset += written
        }
        return 0
    }

    /// A `Logger` named `name` (the database section, `config`, …) that records into this run log.
    public func logger(name: String, level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: name) { label in RunLogHandler(name: label, runLog: self) }
        logger.logLevel = level
        return logger
    }

    /// The `BACKUP_LOG_TO_SCREEN=TRUE` dump: banner, then the whole file (or `Log file not found`).
    public func screenDump() -> String {
        var text = "\n======================\nBACKUP LOG FILE OUTPUT\n======================\n\n\n"
        if let path, let data = FileManager.default.contents(atPath: path) {
            text += String(decoding: data, as: UTF8.self)
        } else {
            text += "Log file not found\n"
        }
        return text
    }
}

/// A swift-log handler writing into a ``RunLog``.
public struct RunLogHandler: LogHandler {
    /// The name written into every line (the database section, `config`, …); the logger's label.
    public let name: String
    /// The run log the records go to.
    public let runLog: RunLog
    /// The lowest level recorded; DEBUG by default, as the original's log file.
    public var logLevel: Logger.Level = .debug
    /// Kept for the `LogHandler` contract; metadata is not written to the run log.
    public var metadata: Logger.Metadata = [:]

    /// A handler recording into `runLog` under `name`.
    public init(name: String, runLog: RunLog) {
        self.name = name
        self.runLog = runLog
    }

    /// One metadata value (kept, not written).
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Records the event's level and message under ``name``.
    public func log(event: LogEvent) {
        runLog.record(level: event.level, name: name, message: event.message.description)
    }
}

/// `close(2)`, named so it does not clash with methods called `close`.
func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(descriptor)
    #else
        _ = Darwin.close(descriptor)
    #endif
}
