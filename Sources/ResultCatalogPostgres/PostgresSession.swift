import CLibPQ
import Foundation

/// Why a statement failed (PostgreSQL's message, or a value that did not read as expected).
struct PostgresStatementError: Error {
    var message: String
}

/// One libpq connection. Every call blocks; ``onOwnThread(_:)`` runs a whole operation off Swift's cooperative pool.
/// Used by one thread at a time, from open to close.
final class PostgresSession {
    private let connection: OpaquePointer

    private init(connection: OpaquePointer) {
        self.connection = connection
    }

    /// Connects with libpq's keyword/value parameters. libpq must be loaded (``oib_pq_load``).
    static func connect(_ parameters: [(keyword: String, value: String)]) -> Result<
        PostgresSession, PostgresStatementError
    > {
        let connection = withCStrings(parameters.map(\.keyword)) { keywords in
            withCStrings(parameters.map(\.value)) { values in oib_pq_connect(keywords, values) }
        }
        guard let connection else {
            return .failure(PostgresStatementError(message: "libpq could not allocate a connection"))
        }
        guard oib_pq_connected(connection) != 0 else {
            let message = trimmed(oib_pq_connection_error(connection))
            oib_pq_finish(connection)
            return .failure(PostgresStatementError(message: message))
        }
        return .success(PostgresSession(connection: connection))
    }

    /// Runs `sql` with text `parameters` (`$1`, `$2`, …; nil is SQL NULL) and returns every row's values as text
    /// (nil for NULL).
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresStatementError) -> [[String?]] {
        let result = withOptionalCStrings(parameters) { values in
            oib_pq_execute(connection, sql, Int32(parameters.count), values)
        }
        defer { oib_pq_clear(result) }
        guard oib_pq_succeeded(result) != 0 else {
            throw PostgresStatementError(message: Self.trimmed(oib_pq_result_error(result)))
        }
        guard let result else { return [] }
        let rowCount = Int(oib_pq_row_count(result))
        let columnCount = Int(oib_pq_column_count(result))
        return (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                oib_pq_value(result, Int32(row), Int32(column)).map { String(cString: $0) }
            }
        }
    }

    /// Closes the connection.
    func close() {
        oib_pq_finish(connection)
    }

    /// Runs `body` on a new thread and returns its result; the caller's task waits without blocking a thread of
    /// the cooperative pool.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    private static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown libpq error" }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "unknown libpq error" : message
    }
}

/// NULL-terminated C string arrays for libpq's keyword/value lists, valid during `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) } + [nil]) { body($0!) }
}

/// C strings (NULL for nil) valid during `body`; `body` gets nil for an empty list. The strings live in one Swift
/// array (no strdup whose failure would read as a NULL and end a keyword list early).
private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var storage: [CChar] = []
    var offsets: [Int?] = []
    for string in strings {
        guard let string else {
            offsets.append(nil)
            continue
        }
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8CString)
    }
    return storage.withUnsafeBufferPointer { buffer in
        let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.flatMap { index in buffer.baseAddress.map { $0 + index } }
        }
        return pointers.withUnsafeBufferPointer { body($0.isEmpty ? nil : $0.baseAddress) }
    }
}

/// Values as the catalog's statements send them.
enum PostgresText {
    /// Seconds since 1970 with microseconds, for `to_timestamp($n::float8)`.
    static func time(_ date: Date) -> String {
        String(format: "%.6f", date.timeIntervalSince1970)
    }

    /// `true` / `false`.
    static func bool(_ value: Bool) -> String { value ? "true" : "false" }
}

/// Reads one row's text values column by column.
struct PostgresRowReader {
    private let values: [String?]
    private var next = 0

    init(_ values: [String?]) { self.values = values }

    private mutating func take() -> String? {
        defer { next += 1 }
        return next < values.count ? values[next] : nil
    }

    mutating func optionalText() -> String? { take() }

    mutating func text() throws(PostgresStatementError) -> String {
        let column = next
        guard let value = take() else { throw PostgresStatementError(message: "column \(column + 1) is NULL") }
        return value
    }

    mutating func int64() throws(PostgresStatementError) -> Int64 {
        let column = next
        guard let value = Int64(try text()) else {
            throw PostgresStatementError(message: "column \(column + 1) is not an integer")
        }
        return value
    }

    mutating func optionalInt64() throws(PostgresStatementError) -> Int64? {
        let column = next
        guard let text = take() else { return nil }
        guard let value = Int64(text) else {
            throw PostgresStatementError(message: "column \(column + 1) is not an integer")
        }
        return value
    }

    mutating func bool() throws(PostgresStatementError) -> Bool {
        let column = next
        switch try text() {
        case "t", "true": return true
        case "f", "false": return false
        default: throw PostgresStatementError(message: "column \(column + 1) is not a boolean")
        }
    }

    /// A time read as `extract(epoch FROM …)`.
    mutating func time() throws(PostgresStatementError) -> Date {
        let column = next
        guard let seconds = Double(try text()) else {
            throw PostgresStatementError(message: "column \(column + 1) is not a time")
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
