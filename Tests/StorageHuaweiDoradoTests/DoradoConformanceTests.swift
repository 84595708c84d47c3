import Foundation
import StorageHuaweiDorado
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

/// The shared driver suite against storage-sim's Dorado mode over HTTPS with a test CA.
struct DoradoHarness: StorageConformanceHarness {
    let fixture: DoradoFixture

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = try fixture.driver(database)
        _ = try await driver.createVolume()
        return driver
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        await fixture.engine.addPlainShare(named: name, project: testVStore)
        return true
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        await fixture.engine.shareExists(named: name, project: testVStore)
    }
}

@Suite("Dorado conformance", .enabled(if: opensslAvailable, opensslReason))
struct DoradoConformanceTests {
    @Test("conformance check", arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        try await withDorado { fixture in
            try await StorageConformanceSuite(harness: DoradoHarness(fixture: fixture)).run(check)
        }
    }

    @Test("the same, with an array whose exact NAME:: filter matches like the fuzzy one")
    func conformanceWithFuzzyFilters() async throws {
        try await withDorado(configure: { $0.doradoFuzzyExactFilter = true }) { fixture in
            try await StorageConformanceSuite(harness: DoradoHarness(fixture: fixture)).runAll()
        }
    }
}
