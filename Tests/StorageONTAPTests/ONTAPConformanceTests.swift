import Foundation
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

/// The shared driver suite against storage-sim (ONTAP) over HTTPS with a test CA, over REST and over ZAPI (a
/// simulated cluster without REST, which `ontapapi: auto` detects).
struct ONTAPHarness: StorageConformanceHarness {
    let fixture: ONTAPFixture
    let suffixes: [String]
    /// `rest`, or `auto` against a cluster without REST (so ZAPI, found by the probe).
    var api: ONTAPDriver.API = .rest

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = try fixture.driver(database, suffixes: suffixes, api: api)
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
    @Test(
        "single volume, asynchronous jobs (REST), paged listings",
        arguments: StorageConformanceSuite.Check.allCases, ["rest", "zapi"])
    func singleVolume(_ check: StorageConformanceSuite.Check, api: String) async throws {
        try await withONTAP(configure: {
            $0.pageSize = 2
            $0.ontapRESTUnavailable = api == "zapi"
        }) { fixture in
            try await StorageConformanceSuite(
                harness: ONTAPHarness(fixture: fixture, suffixes: [], api: api == "zapi" ? .auto : .rest)
            ).run(check)
        }
    }

    @Test(
        "multi-volume database (additionalvolumesuffixes)",
        arguments: StorageConformanceSuite.Check.allCases, ["rest", "zapi"])
    func multiVolume(_ check: StorageConformanceSuite.Check, api: String) async throws {
        try await withONTAP(configure: {
            $0.requireOfflineForDelete = true
            $0.ontapRESTUnavailable = api == "zapi"
        }) { fixture in
            try await StorageConformanceSuite(
                harness: ONTAPHarness(fixture: fixture, suffixes: ["_b", "_c"], api: api == "zapi" ? .auto : .rest)
            ).run(check)
        }
    }
}
