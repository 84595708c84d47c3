import Foundation
import Logging

/// A log handler that keeps every record, for tests that check what a driver logged.
public struct RecordingLogHandler: LogHandler {
    /// One logged line.
    public struct Record: Sendable, Hashable {
        /// The record's level.
        public var level: Logger.Level
        /// The message text, without metadata.
        public var message: String
    }

    /// The shared store the handler appends to.
    public final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [Record] = []
        /// An empty store.
        public init() {}
        /// Every record so far, oldest first.
        public var records: [Record] { lock.withLock { stored } }
        func append(_ record: Record) { lock.withLock { stored.append(record) } }
        /// Messages logged at `level`.
        public func messages(at level: Logger.Level) -> [String] {
            records.filter { $0.level == level }.map(\.message)
        }
    }

    /// Where records go.
    public let store: Store
    /// Handler metadata (kept, not recorded).
    public var metadata: Logger.Metadata = [:]
    /// Lowest level recorded; everything by default.
    public var logLevel: Logger.Level = .trace

    /// A handler appending to `store`.
    public init(store: Store) { self.store = store }

    /// A logger recording into a fresh store.
    public static func makeLogger(label: String = "test") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in RecordingLogHandler(store: store) }, store)
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Appends the event's level and message to ``store``.
    public func log(event: LogEvent) {
        store.append(Record(level: event.level, message: event.message.description))
    }
}
