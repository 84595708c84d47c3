import Foundation
import StorageKit
import ToolSupport

extension BackupJob {
    /// Step 3 of `imagecopywithsnap`: the snapshot, named for the current second (the next free second when a
    /// snapshot of the same second exists). While it is taken the lock file is out of the backup area
    /// (``HardLinkLock/withoutLockFile(_:)``), so no snapshot ever contains a lock file. With `snaplockdays` the
    /// snapshot is locked on the storage for that many days.
    func takeSnapshot(_ storage: any StorageDriver) async throws -> Snapshot {
        let (now, timeZone, logger) = (self.now, self.timeZone, self.logger)
        let lockDays = settings.snapshotLockDays
        guard let snapshotLock, !dryRun else {
            return try await storage.createTimestampedSnapshot(
                now: now, timeZone: timeZone, logger: logger, lockDays: lockDays)
        }
        return try await snapshotLock.withoutLockFile {
            try await storage.createTimestampedSnapshot(
                now: now, timeZone: timeZone, logger: logger, lockDays: lockDays)
        }
    }
}
