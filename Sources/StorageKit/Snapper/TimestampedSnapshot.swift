import Foundation
import Logging

extension StorageDriver {
    /// Creates the snapshot named for the current second (``snapshotName(for:timeZone:)``). Names have a
    /// resolution of one second, so when the name is taken (another run snapped this volume within the same
    /// second) it waits for the next second and tries that name, up to `attempts` names in all.
    public func createTimestampedSnapshot(
        now: @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current, attempts: Int = 5,
        logger: Logger? = nil
    ) async throws(StorageError) -> Snapshot {
        var attempt = 1
        while true {
            let date = now()
            let name = snapshotName(for: date, timeZone: timeZone)
            do {
                return try await createSnapshot(named: name)
            } catch  where error.code == .alreadyExists && attempt < attempts {
                attempt += 1
                logger?.info("Snapshot \(name) exists already (taken within the same second); using the next second")
                let intoSecond = date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)
                try? await Task.sleep(for: .milliseconds(Int((1 - intoSecond) * 1000) + 20))
            }
        }
    }
}
