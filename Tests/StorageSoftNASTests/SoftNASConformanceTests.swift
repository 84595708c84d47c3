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

    func makeDriver(database: String) async throws -> any StorageDriver {
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
            try await StorageConformanceSuite(harness: SoftNASHarness(fixture: fixture)).run(
                .volumeItselfCannotBeDroppedAsClone)
            let volumes = await fixture.engine.requestLog().filter { $0.target.contains("snserv") }
            #expect(!volumes.isEmpty)
        }
    }
}
