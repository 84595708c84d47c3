import Foundation
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageZFSSA
import Testing

/// The shared driver suite against storage-sim over HTTPS with a test CA.
struct ZFSSAHarness: StorageConformanceHarness {
    let fixture: ZFSSAFixture
    let apiVersion: Int
    let authentication: ZFSSAAuthentication

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = try fixture.driver(database, apiVersion: apiVersion, authentication: authentication)
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

@Suite("ZFSSA conformance", .enabled(if: opensslAvailable, opensslReason))
struct ZFSSAConformanceTests {
    @Test("API v2, Basic authentication", arguments: StorageConformanceSuite.Check.allCases)
    func v2Basic(_ check: StorageConformanceSuite.Check) async throws {
        try await withZFSSA { fixture in
            try await StorageConformanceSuite(
                harness: ZFSSAHarness(fixture: fixture, apiVersion: 2, authentication: .basic)
            ).run(check)
        }
    }

    @Test("API v1, session authentication", arguments: StorageConformanceSuite.Check.allCases)
    func v1Session(_ check: StorageConformanceSuite.Check) async throws {
        try await withZFSSA { fixture in
            try await StorageConformanceSuite(
                harness: ZFSSAHarness(fixture: fixture, apiVersion: 1, authentication: .session)
            ).run(check)
        }
    }
}
