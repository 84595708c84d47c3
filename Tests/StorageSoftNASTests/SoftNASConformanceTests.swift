import Foundation
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageSoftNAS
import Testing

/// The shared driver suite against storage-sim over HTTPS with a test CA. The clone checks skip themselves by
/// capability (SoftNAS has no named clones); `volumeItselfCannotBeDroppedAsClone` runs and proves that dropClone
/// refuses the backup volumes.
struct SoftNASHarness: StorageConformanceHarness {
    let fixture: SoftNASFixture
    /// Remembers the databases the suite made, when set.
    var made: MadeDatabases? = nil

    func makeDriver(database: String) async throws -> any StorageDriver {
        await made?.add(database)
        let driver = try fixture.driver(database)
        _ = try await driver.createVolume()
        return driver
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        await fixture.engine.addPlainShare(named: name)
        return true
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        await fixture.engine.shareExists(named: name)
    }
}

/// The databases a conformance check made, in order.
actor MadeDatabases {
    private(set) var names: [String] = []

    func add(_ name: String) { names.append(name) }
}

@Suite("SoftNAS conformance", .enabled(if: opensslAvailable, opensslReason))
struct SoftNASConformanceTests {
    @Test(arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        try await withSoftNAS { fixture in
            try await StorageConformanceSuite(harness: SoftNASHarness(fixture: fixture)).run(check)
        }
    }

    @Test func theBackupVolumesSurviveDropClone() async throws {
        try await withSoftNAS { fixture in
            let made = MadeDatabases()
            try await StorageConformanceSuite(harness: SoftNASHarness(fixture: fixture, made: made)).run(
                .volumeItselfCannotBeDroppedAsClone)
            // The check tried dropClone on its own volume and another database's; seen from the appliance, both
            // volumes are still there and still list the snapshot the check took.
            let volumes = Set(await made.names)
            #expect(volumes.count == 2, "\(volumes)")
            for volume in volumes {
                #expect(await fixture.engine.shareExists(named: volume), "volume \(volume) was deleted")
                #expect(await fixture.engine.snapshotNames(of: volume).count == 1, "volume \(volume)")
                let listed = try await fixture.driver(volume).listSnapshots()
                #expect(listed.map(\.id) == (await fixture.engine.snapshotNames(of: volume)), "volume \(volume)")
            }
        }
    }
}
