import Foundation
import StorageKit

/// Runs `body`, which is expected to throw a ``StorageError``; returns it, or `nil` when `body` succeeded.
public func storageError<T>(_ body: () async throws(StorageError) -> T) async -> StorageError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// An instant from an ISO 8601 text with an offset, e.g. `2016-11-08T20:53:36Z` (test data only: traps on bad text).
public func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)!
}
