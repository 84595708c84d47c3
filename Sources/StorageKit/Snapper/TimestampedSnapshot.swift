import Foundation
import Logging

extension StorageDriver {
    /// Creates the snapshot named for the current second (``snapshotName(for:timeZone:)``). Names have a
    /// resolution of one second, so when the name is taken (another run snapped this volume within the same
    /// second) it waits for the next second and tries that name, up to `attempts` names in all. With `lockDays`
    /// above 0 (`snaplockdays`) the snapshot is locked until that many days after the time it is named for
    /// (``createSnapshot(named:lockedUntil:)``).
    public func createTimestampedSnapshot(
        now: @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current, attempts: Int = 5,
        logger: Logger? = nil, lockDays: Int = 0
    ) async throws(StorageError) -> Snapshot {
        var attempt = 1
        while true {
            let date = now()
            let name = snapshotName(for: date, timeZone: timeZone)
            do throws(StorageError) {
                guard let until = SnapshotLock.expiry(days: lockDays, from: date) else {
                    return try await createSnapshot(named: name)
                }
                let snapshot = try await createSnapshot(named: name, lockedUntil: until)
                // Whatever the driver: a backup snapshot asked locked must come back locked as asked.
                guard let locked = snapshot.lockedUntil, abs(locked.timeIntervalSince(until)) <= 1 else {
                    throw StorageError(
                        .unexpectedResponse, vendor: vendor, operation: "createSnapshot",
                        message:
                            "snapshot \(snapshot.id) was asked locked until \(DisplayFormat.utcTimestamp(until)) UTC (snaplockdays) but the storage reports \(snapshot.lockedUntil.map { "until \(DisplayFormat.utcTimestamp($0)) UTC" } ?? "no lock expiry"): it is NOT locked as asked"
                    )
                }
                logger?.info(
                    "Snapshot \(snapshot.id) is locked until \(DisplayFormat.utcTimestamp(locked)) UTC (snaplockdays)")
                return snapshot
            } catch  where error.code == .alreadyExists && attempt < attempts {
                attempt += 1
                logger?.info("Snapshot \(name) exists already (taken within the same second); using the next second")
                let intoSecond = date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)
                try? await Task.sleep(for: .milliseconds(Int((1 - intoSecond) * 1000) + 20))
            }
        }
    }
}
