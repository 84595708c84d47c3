import Foundation
import Reporting
import StorageKit
import StorageKitTesting
import Testing

@Suite("Conformance: in-memory driver")
struct InMemoryConformanceTests {
    @Test(arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        try await StorageConformanceSuite(harness: InMemoryConformanceHarness()).run(check)
    }

    @Test("runAll passes")
    func runAll() async throws {
        try await StorageConformanceSuite(harness: InMemoryConformanceHarness()).runAll()
    }

    @Test("protocol defaults throw unsupported")
    func unsupportedDefaults() async throws {
        let driver = InMemoryStorageDriverStub(volumeName: "x")
        await #expect(throws: StorageError.self) { try await driver.listClones() }
        do {
            _ = try await driver.cloneSnapshot(id: "a", cloneName: "b")
            Issue.record("cloneSnapshot should throw")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.vendor == "stub")
        }
        let suite = StorageConformanceSuite(harness: StubHarness())
        try await suite.run(.unsupportedOperationsSayUnsupported)
    }
}

private struct StubHarness: StorageConformanceHarness {
    func makeDriver(database: String) async throws -> any StorageDriver {
        InMemoryStorageDriverStub(volumeName: database)
    }
    func makeNonCloneLookAlike(named name: String) async throws -> Bool { false }
    func lookAlikeExists(named name: String) async throws -> Bool { false }
}

// MARK: The suite must catch broken drivers

/// Wraps the in-memory driver and breaks one rule.
struct BrokenDriver: StorageDriver {
    enum Fault: Sendable {
        case dropsAnyFilesystem, deletesSnapshotsWithClones, reportsLocalTimeAsUTC, listsOtherVolumes
    }
    let inner: InMemoryStorageDriver
    let fault: Fault
    var volumeName: String { inner.volumeName }
    var vendor: String { "broken" }
    var capabilities: StorageCapabilities { inner.capabilities }

    func listSnapshots() async throws(StorageError) -> [Snapshot] {
        var snapshots = try await inner.listSnapshots()
        switch fault {
        case .reportsLocalTimeAsUTC:
            snapshots = snapshots.map {
                var s = $0; s.creation.addTimeInterval(7200); return s
            }
        case .listsOtherVolumes:
            snapshots.append(Snapshot(id: "someone-else", creation: Date()))
        default: break
        }
        return snapshots
    }
    func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await inner.createSnapshot(named: name)
    }
    func deleteSnapshot(id: String) async throws(StorageError) {
        if fault == .deletesSnapshotsWithClones {
            for clone in try await inner.listClones() where clone.originSnapshot == id {
                try await inner.dropClone(name: clone.name)
            }
        }
        try await inner.deleteSnapshot(id: id)
    }
    func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        try await inner.cloneSnapshot(id: id, cloneName: cloneName)
    }
    func listClones() async throws(StorageError) -> [Clone] { try await inner.listClones() }
    func cloneInfo(name: String) async throws(StorageError) -> Clone { try await inner.cloneInfo(name: name) }
    func dropClone(name: String) async throws(StorageError) {
        if fault == .dropsAnyFilesystem {
            // Like the reference's SoftNAS and Huawei plug-ins: no ownership check, reports success.
            return
        }
        try await inner.dropClone(name: name)
    }
    func createVolume() async throws(StorageError) -> Volume { try await inner.createVolume() }
    func volumeInfo() async throws(StorageError) -> Volume { try await inner.volumeInfo() }
    func lockSnapshot(id: String) async throws(StorageError) { try await inner.lockSnapshot(id: id) }
    func unlockSnapshot(id: String) async throws(StorageError) { try await inner.unlockSnapshot(id: id) }
}

struct BrokenHarness: StorageConformanceHarness {
    let fault: BrokenDriver.Fault
    let backend = InMemoryStorageBackend()
    func makeDriver(database: String) async throws -> any StorageDriver {
        let inner = InMemoryStorageDriver(volumeName: database, backend: backend)
        _ = try await inner.createVolume()
        return BrokenDriver(inner: inner, fault: fault)
    }
    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        await backend.createPlainFilesystem(named: name)
        return true
    }
    func lookAlikeExists(named name: String) async throws -> Bool { await backend.filesystemExists(named: name) }
}

@Suite("Conformance suite catches broken drivers")
struct ConformanceSuiteSelfTests {
    @Test(
        "a broken rule fails the matching check",
        arguments: [
            (BrokenDriver.Fault.dropsAnyFilesystem, StorageConformanceSuite.Check.cloneOfOtherVolumeCannotBeDropped),
            (.dropsAnyFilesystem, .nonCloneLookAlikeCannotBeDropped),
            (.dropsAnyFilesystem, .volumeItselfCannotBeDroppedAsClone),
            (.deletesSnapshotsWithClones, .snapshotWithCloneCannotBeDeleted),
            (.reportsLocalTimeAsUTC, .creationTimesAreUTCInstantsInOrder),
            (.listsOtherVolumes, .otherVolumesSnapshotsAreInvisible),
        ])
    func brokenDriverFails(fault: BrokenDriver.Fault, check: StorageConformanceSuite.Check) async {
        let suite = StorageConformanceSuite(harness: BrokenHarness(fault: fault))
        await #expect(throws: ConformanceFailure.self) { try await suite.run(check) }
    }
}

@Suite("In-memory backend test aids")
struct InMemoryBackendTests {
    @Test("seeded snapshots feed selection and checkage through the driver")
    func seeded() async throws {
        let backend = InMemoryStorageBackend()
        let now = Date()
        await backend.addSnapshot(volume: "orcl", id: "orcl-old", creation: now.addingTimeInterval(-30 * 3600))
        await backend.addSnapshot(
            volume: "orcl", id: "orcl-new", creation: now.addingTimeInterval(-600), spaceTotal: 2048, spaceUnique: 0)
        let driver = InMemoryStorageDriver(volumeName: "orcl", backend: backend)
        let snapshots = try await driver.listSnapshots()
        #expect(snapshots.map(\.id) == ["orcl-old", "orcl-new"])
        let choice = await SnapshotSelection.autocloneCandidate(from: snapshots, minimumAgeHours: 24, now: now)
        #expect(choice.selected?.id == "orcl-old")
        let check = SnapshotAgeCheck(warningHours: 1, criticalHours: 2).evaluate(snapshots: snapshots, now: now)
        #expect(check.status == .ok)
        #expect(check.line.contains("age=600s;3600;7200"))
    }

    @Test("injected failures hit the named operation the given number of times, and calls are logged")
    func injection() async throws {
        let backend = InMemoryStorageBackend()
        let driver = InMemoryStorageDriver(volumeName: "orcl", backend: backend)
        _ = try await driver.createVolume()
        _ = try await driver.createSnapshot(named: "orcl-1")
        await backend.injectFailure(.transport, on: "deleteSnapshot", times: 2)
        for _ in 0..<2 {
            do {
                try await driver.deleteSnapshot(id: "orcl-1")
                Issue.record("injected failure did not happen")
            } catch {
                #expect(error.code == .transport)
                #expect(error.vendor == "memory")
            }
        }
        try await driver.deleteSnapshot(id: "orcl-1")
        #expect(try await driver.listSnapshots().isEmpty)
        #expect(
            await backend.callLog == [
                "createVolume orcl", "createSnapshot orcl orcl-1", "deleteSnapshot orcl orcl-1",
                "deleteSnapshot orcl orcl-1", "deleteSnapshot orcl orcl-1", "listSnapshots orcl",
            ])
    }
}
