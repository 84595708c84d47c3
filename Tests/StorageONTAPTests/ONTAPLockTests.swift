import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

/// `snaplockdays` on ONTAP (issue 18, item 3): tamperproof snapshots with `snaplock.expiry_time`; the cluster
/// refuses their deletion, whoever asks, until its clock passes the expiry.
@Suite("ONTAP snapshot locks (SnapLock expiry)", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPLockTests {
    static let seed = SimulatorSeed(shares: [.init(name: "nfs_orcl"), .init(name: "nfs_orcl_b")])

    /// A raw request with the tool's credentials, bypassing the driver.
    func raw(_ fixture: ONTAPFixture, _ method: HTTPMethod, _ path: String) async throws -> HTTPResponse {
        let transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: "ontap", caFile: fixture.certificates.caFile, logger: Logger(label: "t")))
        return try await transport.send(
            HTTPRequest(
                method: method, url: "\(fixture.server.baseURL)/api/\(path)",
                headers: [
                    HTTPHeader("Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
                ]))
    }

    /// The volume and snapshot UUIDs of `snapshot` on volume `volume`, from the listing.
    func uuids(_ driver: ONTAPDriver, _ snapshot: String) async throws -> (volume: String, snapshot: String) {
        let listed = try #require(try await driver.listSnapshots().first { $0.id == snapshot })
        let copy = try #require(listed.location?.copies.first)
        return (try #require(copy.volumeID), try #require(copy.snapshotID))
    }

    @Test("the driver declares .lock, in its descriptor too (what checkconfig reads)")
    func capability() async throws {
        try await withONTAP(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(driver.capabilities.contains(.lock))
            #expect(ONTAPDriver.descriptor.capabilities.contains(.lock))
        }
    }

    @Test("created locked on every volume; listed with the expiry; deletion refused by driver and cluster")
    func createLockedAndRefuse() async throws {
        try await withONTAP(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl", suffixes: ["_b"])
            let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 7 * 86_400).rounded(.down))
            let created = try await driver.createSnapshot(named: "orcl_locked", lockedUntil: until)
            #expect(created.isLocked && created.lockedUntil == until)
            let listed = try #require(try await driver.listSnapshots().first { $0.id == "orcl_locked" })
            #expect(listed.isLocked && listed.lockedUntil == until)
            #expect(listed.location?.copies.count == 2)

            let refused = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl_locked")
            }
            #expect(refused?.code == .locked)
            #expect(refused?.message.contains("locked until \(DisplayFormat.utcTimestamp(until)) UTC") == true)
            let listedRefusal = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed)
            }
            #expect(listedRefusal?.code == .locked)

            // Whoever asks: the cluster itself refuses a raw DELETE, and the listing carries the expiry.
            let ids = try await uuids(driver, "orcl_locked")
            let direct = try await raw(fixture, .delete, "storage/volumes/\(ids.volume)/snapshots/\(ids.snapshot)")
            #expect(direct.status == 409)
            #expect(direct.text.contains("is locked until"))
            let listing = try await raw(
                fixture, .get, "storage/volumes/\(ids.volume)/snapshots?fields=name,snaplock.expiry_time")
            #expect(listing.text.contains(#""snaplock":{"expiry_time":"#))
            // A volume with an unexpired locked snapshot cannot be deleted either.
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl") == ["orcl_locked"])
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl_b") == ["orcl_locked"])
        }
    }

    @Test("when the expiry passes the lock ends by itself: deletable (cluster clock moved ahead)")
    func deletableAfterExpiry() async throws {
        try await withONTAP(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            let until = Date().addingTimeInterval(3600)
            _ = try await driver.createSnapshot(named: "orcl_short", lockedUntil: until)
            let ids = try await uuids(driver, "orcl_short")
            #expect(
                try await raw(fixture, .delete, "storage/volumes/\(ids.volume)/snapshots/\(ids.snapshot)").status
                    == 409)
            // The cluster's clock moves past the expiry: a raw DELETE now works for anyone.
            await fixture.engine.advanceClock(by: 7200)
            let accepted = try await raw(
                fixture, .delete, "storage/volumes/\(ids.volume)/snapshots/\(ids.snapshot)?return_timeout=10")
            #expect([200, 202].contains(accepted.status), "\(accepted.text)")
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").isEmpty)
        }
    }

    @Test("after the expiry (host clock) the driver deletes; the listing shows the lock as over")
    func driverDeletesAfterExpiry() async throws {
        let past = Date().addingTimeInterval(-3600)
        let seed = SimulatorSeed(shares: [
            .init(
                name: "nfs_orcl",
                snapshots: [
                    .init(name: "orcl_old", creation: past.addingTimeInterval(-86_400), lockExpiry: past),
                    .init(name: "orcl_old2", creation: past.addingTimeInterval(-86_400), lockExpiry: past),
                ])
        ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try await driver.listSnapshots()
            #expect(listed.allSatisfy { !$0.isLocked && $0.lockedUntil != nil && !$0.isProtected(at: Date()) })
            #expect(!DisplayFormat.snapshotLine(listed[0]).contains("locked"))
            try await driver.deleteListedSnapshot(listed[0])
            try await driver.deleteSnapshot(id: "orcl_old2")
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").isEmpty)
        }
    }

    @Test("a volume without snapshot locking is refused before any copy is made, naming it")
    func lockingDisabledRefusedUpFront() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "nfs_orcl"), .init(name: "nfs_orcl_b", snapshotLocking: false),
        ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("orcl", suffixes: ["_b"])
            await fixture.engine.clearLog()
            let error = await storageError { () async throws(StorageError) in
                _ = try await driver.createSnapshot(
                    named: "orcl_locked", lockedUntil: Date().addingTimeInterval(7 * 86_400))
            }
            #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
            #expect(error?.message.contains("nfs_orcl_b") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("snapshot locking") == true, "\(error?.message ?? "")")
            #expect(!(await fixture.engine.requestLog().map(\.method).contains("POST")))
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").isEmpty)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl_b").isEmpty)
            // Without a lock nothing changes.
            _ = try await driver.createSnapshot(named: "orcl_plain")
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl_b") == ["orcl_plain"])
        }
    }

    @Test("a cluster that does not keep the expiry fails the locked creation loudly")
    func missingExpiryFails() async throws {
        try await withONTAP(seed: Self.seed, configure: { $0.ontapIgnoresSnapLockExpiry = true }) { fixture in
            let driver = try fixture.driver("orcl", suffixes: ["_b"])
            let error = await storageError { () async throws(StorageError) in
                _ = try await driver.createSnapshot(
                    named: "orcl_locked", lockedUntil: Date().addingTimeInterval(7 * 86_400))
            }
            #expect(error?.code == .unexpectedResponse, "\(String(describing: error))")
            #expect(error?.message.contains("snaplock.expiry_time") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("NOT locked") == true, "\(error?.message ?? "")")
        }
    }

    @Test("lockSnapshot(id:until:) locks an existing snapshot; the cluster refuses to shorten it")
    func lockExisting() async throws {
        try await withONTAP(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            _ = try await driver.createSnapshot(named: "orcl_1")
            let until = Date().addingTimeInterval(5 * 86_400).rounded()
            try await driver.lockSnapshot(id: "orcl_1", until: until)
            #expect(try await driver.listSnapshots().first?.lockedUntil == until)
            // A shorter lock is not asked for (the driver keeps the later one).
            try await driver.lockSnapshot(id: "orcl_1", until: Date().addingTimeInterval(86_400))
            #expect(try await driver.listSnapshots().first?.lockedUntil == until)
            let error = await storageError { () async throws(StorageError) in
                try await driver.unlockSnapshot(id: "orcl_1")
            }
            #expect(error?.code == .locked)
        }
    }
}

extension Date {
    /// Whole seconds (the wire formats carry no fractions).
    func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
