import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageZFSSA
import Testing

/// `snaplockdays` on ZFSSA (issue 18, item 3): a retained snapshot (`retentionpolicy`) with the expiry this tool
/// records in `custom:oiblockeduntil`; the appliance refuses its deletion, whoever asks, until the retention is
/// released, and the driver releases it only after that expiry.
@Suite("ZFSSA snapshot locks (retention with a recorded expiry)", .enabled(if: opensslAvailable, opensslReason))
struct ZFSSALockTests {
    static let seed = SimulatorSeed(shares: [.init(name: "orcl")])

    /// A raw request to the simulator with the tool's credentials, bypassing the driver.
    func raw(_ fixture: ZFSSAFixture, _ method: HTTPMethod, _ path: String, body: String? = nil) async throws
        -> HTTPResponse
    {
        let transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: "zfssa", caFile: fixture.certificates.caFile, logger: Logger(label: "t")))
        return try await transport.send(
            HTTPRequest(
                method: method,
                url:
                    "\(fixture.server.baseURL)/api/storage/v2/pools/pool1/projects/demo-backup/filesystems/orcl/\(path)",
                headers: [
                    HTTPHeader(
                        "Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization),
                    HTTPHeader("Content-Type", "application/json"),
                ],
                body: body.map { Array($0.utf8) }))
    }

    @Test("the driver declares .lock, in its descriptor too (what checkconfig reads)")
    func capability() async throws {
        try await withZFSSA(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(driver.capabilities.contains(.lock))
            #expect(ZFSSADriver.descriptor.capabilities.contains(.lock))
        }
    }

    @Test("created locked in one POST; listed locked with the expiry; deletion refused by driver and appliance")
    func createLockedAndRefuse() async throws {
        try await withZFSSA(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 7 * 86_400).rounded(.down))
            await fixture.engine.clearLog()
            let created = try await driver.createSnapshot(named: "orcl-locked", lockedUntil: until)
            #expect(await fixture.engine.requestLog().map(\.method) == ["POST"])
            #expect(created.isLocked)
            #expect(created.lockedUntil == until)
            let listed = try #require(try await driver.listSnapshots().first { $0.id == "orcl-locked" })
            #expect(listed.isLocked && listed.lockedUntil == until)
            #expect(listed.isProtected(at: Date()))
            #expect(
                DisplayFormat.snapshotLine(listed).hasSuffix("locked until \(DisplayFormat.utcTimestamp(until)) UTC"))

            let refused = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-locked")
            }
            #expect(refused?.code == .locked)
            #expect(refused?.message.contains("locked until \(DisplayFormat.utcTimestamp(until)) UTC") == true)
            let listedRefusal = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed)
            }
            #expect(listedRefusal?.code == .locked)
            let unlock = await storageError { () async throws(StorageError) in
                try await driver.unlockSnapshot(id: "orcl-locked")
            }
            #expect(unlock?.code == .locked)

            // Whoever asks: the appliance itself refuses the DELETE while the retention holds.
            let direct = try await raw(fixture, .delete, "snapshots/orcl-locked")
            #expect(direct.status == 409)
            #expect(direct.text.contains("retained"))
            let record = try await raw(fixture, .get, "snapshots/orcl-locked")
            #expect(record.text.contains(#""retentionpolicy":"locked""#))
            #expect(record.text.contains(#""custom:oiblockeduntil":"\#(StorageJSON.iso8601(until))""#))
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-locked"])
        }
    }

    @Test("after the expiry the driver releases the retention, then deletes (manual and retention's delete)")
    func deletableAfterExpiry() async throws {
        let past = Date().addingTimeInterval(-3600).rounded()
        let seed = SimulatorSeed(shares: [
            .init(
                name: "orcl",
                snapshots: [
                    .init(
                        name: "orcl-a", creation: past.addingTimeInterval(-86_400), retention: "locked",
                        lockExpiry: past),
                    .init(
                        name: "orcl-b", creation: past.addingTimeInterval(-86_400), retention: "locked",
                        lockExpiry: past),
                ])
        ])
        try await withZFSSA(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try await driver.listSnapshots()
            #expect(listed.allSatisfy { $0.isLocked && $0.lockedUntil == past && !$0.isProtected(at: Date()) })
            #expect(DisplayFormat.snapshotLine(listed[0]).hasSuffix("(expired)"))
            await fixture.engine.clearLog()
            try await driver.deleteListedSnapshot(listed[0])
            #expect(await fixture.engine.requestLog().map(\.method) == ["PUT", "DELETE"])
            try await driver.deleteSnapshot(id: "orcl-b")
            #expect(await fixture.engine.snapshotNames(of: "orcl").isEmpty)
        }
    }

    @Test("a retention set by someone else (no recorded expiry) is never released by the driver")
    func foreignRetentionIsKept() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "orcl", snapshots: [.init(name: "orcl-admin", creation: Date(), retention: "locked")])
        ])
        try await withZFSSA(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try #require(try await driver.listSnapshots().first)
            #expect(listed.isLocked && listed.lockedUntil == nil)
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-admin")
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("releaseSnapRetention") == true)
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-admin"])
        }
    }

    /// A share with one snapshot retained on the appliance by an admin (no expiry recorded by this tool).
    static let adminSeed = SimulatorSeed(shares: [
        .init(name: "orcl", snapshots: [.init(name: "orcl-admin", creation: Date(), retention: "locked")])
    ])

    @Test("unlockSnapshot never releases a retention set by someone else")
    func unlockKeepsForeignRetention() async throws {
        try await withZFSSA(seed: Self.adminSeed) { fixture in
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in
                try await driver.unlockSnapshot(id: "orcl-admin")
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("not set by this tool") == true, "\(error?.message ?? "")")
            let record = try await raw(fixture, .get, "snapshots/orcl-admin")
            #expect(record.text.contains(#""retentionpolicy":"locked""#))
        }
    }

    @Test("lockSnapshot(id:until:) refuses to take over a retention set by someone else")
    func lockRefusesForeignRetention() async throws {
        try await withZFSSA(seed: Self.adminSeed) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.clearLog()
            let error = await storageError { () async throws(StorageError) in
                try await driver.lockSnapshot(id: "orcl-admin", until: Date().addingTimeInterval(86_400))
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("not set by this tool") == true, "\(error?.message ?? "")")
            #expect(!(await fixture.engine.requestLog().map(\.method).contains("PUT")))
            let record = try await raw(fixture, .get, "snapshots/orcl-admin")
            #expect(!record.text.contains("oiblockeduntil"))
        }
    }

    @Test("retention's delete (deleteListedSnapshot) keeps a retention set by someone else")
    func listedDeleteKeepsForeignRetention() async throws {
        try await withZFSSA(seed: Self.adminSeed) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try #require(try await driver.listSnapshots().first)
            await fixture.engine.clearLog()
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed)
            }
            #expect(error?.code == .locked)
            #expect(await fixture.engine.requestLog().isEmpty)
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-admin"])
        }
    }

    @Test("a lock whose expiry the appliance did not keep is released again and the creation fails loudly")
    func unrecordedExpiryIsReleased() async throws {
        try await withZFSSA(seed: Self.seed, configure: { $0.zfssaDropsCustomProperties = true }) { fixture in
            let driver = try fixture.driver("orcl")
            let until = Date().addingTimeInterval(7 * 86_400).rounded()
            let error = await storageError { () async throws(StorageError) in
                _ = try await driver.createSnapshot(named: "orcl-x", lockedUntil: until)
            }
            #expect(error?.code == .unexpectedResponse)
            #expect(error?.message.contains("custom:oiblockeduntil") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("released") == true, "\(error?.message ?? "")")
            // Our retention is gone, so the snapshot does not pin the pool for ever.
            let record = try await raw(fixture, .get, "snapshots/orcl-x")
            #expect(record.text.contains(#""retentionpolicy":"off""#), "\(record.text)")
        }
    }

    @Test("without releaseSnapRetention an expired lock stays: .lockReleaseRefused naming the remedy")
    func releaseRefusedWithoutAuthorization() async throws {
        let past = Date().addingTimeInterval(-3600).rounded()
        let seed = SimulatorSeed(shares: [
            .init(
                name: "orcl",
                snapshots: [
                    .init(
                        name: "orcl-a", creation: past.addingTimeInterval(-86_400), retention: "locked",
                        lockExpiry: past)
                ])
        ])
        try await withZFSSA(seed: seed, configure: { $0.zfssaMayReleaseRetention = false }) { fixture in
            let driver = try fixture.driver("orcl")
            let listed = try #require(try await driver.listSnapshots().first)
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteListedSnapshot(listed)
            }
            #expect(error?.code == .lockReleaseRefused, "\(String(describing: error))")
            let message = error?.message ?? ""
            #expect(message.contains("lock expired on \(DisplayFormat.utcTimestamp(past)) UTC"), "\(message)")
            #expect(message.contains("releaseSnapRetention"), "\(message)")
            #expect(message.contains("grant it to admin"), "\(message)")
            let manual = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-a")
            }
            #expect(manual?.code == .lockReleaseRefused)
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-a"])
        }
    }

    @Test("lockSnapshot(id:until:) never shortens a recorded expiry")
    func lockNeverShortens() async throws {
        try await withZFSSA(seed: Self.seed) { fixture in
            let driver = try fixture.driver("orcl")
            let later = Date().addingTimeInterval(10 * 86_400).rounded()
            _ = try await driver.createSnapshot(named: "orcl-1", lockedUntil: later)
            try await driver.lockSnapshot(id: "orcl-1", until: Date().addingTimeInterval(86_400))
            #expect(try await driver.listSnapshots().first?.lockedUntil == later)
        }
    }
}

extension Date {
    /// Whole seconds (the wire formats carry no fractions).
    func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
