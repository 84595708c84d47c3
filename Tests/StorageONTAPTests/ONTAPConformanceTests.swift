import Foundation
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

/// The shared driver suite against storage-sim (ONTAP) over HTTPS with a test CA.
struct ONTAPHarness: StorageConformanceHarness {
    let fixture: ONTAPFixture
    let suffixes: [String]

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = try fixture.driver(database, suffixes: suffixes)
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

@Suite("ONTAP conformance", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPConformanceTests {
    @Test("single volume, asynchronous jobs, paged listings", arguments: StorageConformanceSuite.Check.allCases)
    func singleVolume(_ check: StorageConformanceSuite.Check) async throws {
        try await withONTAP(configure: { $0.pageSize = 2 }) { fixture in
            try await StorageConformanceSuite(harness: ONTAPHarness(fixture: fixture, suffixes: [])).run(check)
        }
    }

    @Test("multi-volume database (additionalvolumesuffixes)", arguments: StorageConformanceSuite.Check.allCases)
    func multiVolume(_ check: StorageConformanceSuite.Check) async throws {
        try await withONTAP(configure: { $0.requireOfflineForDelete = true }) { fixture in
            try await StorageConformanceSuite(harness: ONTAPHarness(fixture: fixture, suffixes: ["_b", "_c"])).run(
                check)
        }
    }
}
