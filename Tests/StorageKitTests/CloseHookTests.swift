import Foundation
import StorageKit
import StorageKitTesting
import Testing

/// `StorageDriver.close()`: a no-op by default, and `closingStorage` closes after the body whether it returned or
/// threw, without changing what it returned or threw.
@Suite("StorageDriver close hook")
struct CloseHookTests {
    /// Counts its closes; everything else is the in-memory driver's.
    struct CountingDriver: StorageDriver {
        let base: InMemoryStorageDriver
        let closes: Counter
        var vendor: String { base.vendor }
        var volumeName: String { base.volumeName }
        var capabilities: StorageCapabilities { base.capabilities }
        func listSnapshots() async throws(StorageError) -> [Snapshot] { try await base.listSnapshots() }
        func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
            try await base.createSnapshot(named: name)
        }
        func deleteSnapshot(id: String) async throws(StorageError) { try await base.deleteSnapshot(id: id) }
        func volumeInfo() async throws(StorageError) -> Volume { try await base.volumeInfo() }
        func close() async { await closes.increment() }
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }

    struct Failure: Error, Equatable {}

    @Test("the default close does nothing and a driver without one compiles unchanged")
    func defaultIsANoOp() async throws {
        let driver: any StorageDriver = InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend())
        _ = try await driver.createVolume()
        await driver.close()
        #expect(try await driver.listSnapshots().isEmpty)
    }

    @Test("closingStorage closes after a body that returns and after one that throws, keeping the outcome")
    func closesEitherWay() async throws {
        let counter = Counter()
        let base = InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend())
        _ = try await base.createVolume()
        let driver = CountingDriver(base: base, closes: counter)
        let value = try await closingStorage(driver) { () async throws(StorageError) -> Int in
            try await driver.listSnapshots().count + 7
        }
        #expect(value == 7)
        #expect(await counter.value == 1)
        await #expect(throws: Failure.self) {
            try await closingStorage(driver) { () async throws(Failure) in throw Failure() }
        }
        #expect(await counter.value == 2)
        let none: (any StorageDriver)? = nil
        #expect(await closingStorage(none) { 3 } == 3)
    }
}
