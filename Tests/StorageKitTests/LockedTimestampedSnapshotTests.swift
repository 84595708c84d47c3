import Foundation
import StorageKit
import StorageKitTesting
import Testing

/// `createTimestampedSnapshot(lockDays:)` (`snaplockdays`) requires the new snapshot to come back locked as asked,
/// whatever the driver: a lock the storage did not keep fails the backup instead of being logged as set.
@Suite("snaplockdays: the new snapshot must come back locked as asked")
struct LockedTimestampedSnapshotTests {
    /// The in-memory driver, except that a locked creation reports the snapshot without its expiry (a storage
    /// that took the request but kept no lock).
    struct ForgetfulDriver: StorageDriver {
        let base: InMemoryStorageDriver
        var vendor: String { base.vendor }
        var volumeName: String { base.volumeName }
        var capabilities: StorageCapabilities { base.capabilities }
        func listSnapshots() async throws(StorageError) -> [Snapshot] { try await base.listSnapshots() }
        func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
            try await base.createSnapshot(named: name)
        }
        func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
            try await base.createSnapshot(named: name)
        }
        func deleteSnapshot(id: String) async throws(StorageError) { try await base.deleteSnapshot(id: id) }
        func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
            try await base.cloneSnapshot(id: id, cloneName: cloneName)
        }
        func listClones() async throws(StorageError) -> [Clone] { try await base.listClones() }
        func cloneInfo(name: String) async throws(StorageError) -> Clone { try await base.cloneInfo(name: name) }
        func dropClone(name: String) async throws(StorageError) { try await base.dropClone(name: name) }
        func mountString(clone: Clone) -> String { base.mountString(clone: clone) }
        func createVolume() async throws(StorageError) -> Volume { try await base.createVolume() }
        func volumeInfo() async throws(StorageError) -> Volume { try await base.volumeInfo() }
        func lockSnapshot(id: String) async throws(StorageError) { try await base.lockSnapshot(id: id) }
        func unlockSnapshot(id: String) async throws(StorageError) { try await base.unlockSnapshot(id: id) }
    }

    @Test("a driver that reports no lock: the creation fails naming the missing lock")
    func missingLockFails() async throws {
        let driver = ForgetfulDriver(
            base: InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend()))
        _ = try await driver.createVolume()
        let error = await storageError { () async throws(StorageError) in
            try await driver.createTimestampedSnapshot(lockDays: 7)
        }
        #expect(error?.code == .unexpectedResponse, "\(String(describing: error))")
        #expect(error?.message.contains("NOT locked as asked") == true, "\(error?.message ?? "")")
    }

    @Test("a driver that locks as asked: the snapshot is returned with its expiry")
    func lockedAsAsked() async throws {
        let driver = InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend())
        _ = try await driver.createVolume()
        let now = Date()
        let snapshot = try await driver.createTimestampedSnapshot(now: { now }, lockDays: 7)
        let expiry = try #require(snapshot.lockedUntil)
        #expect(abs(expiry.timeIntervalSince(now) - 7 * 86_400) < 1)
    }
}
