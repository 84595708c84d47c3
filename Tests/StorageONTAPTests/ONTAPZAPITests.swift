import Foundation
import Logging
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

@testable import StorageONTAP

/// ONTAP over ZAPI (`ontapapi`): the auto probe, errno mapping, multi-volume merges, 32-bit counters, XML escaping
/// and redaction, against storage-sim's ZAPI servlet over HTTPS.
@Suite("ONTAP ZAPI", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPZAPITests {
    static let servlet = "/servlets/netapp.servlets.admin.XMLrequest_filer"

    @Test("auto speaks ZAPI when /api/cluster does not answer, after one probe")
    func autoFallsBack() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "nfs_orcl", snapshots: [.init(name: "orcl_1", creation: utc("2024-03-01T10:00:00Z"))])
        ])
        try await withONTAP(seed: seed, configure: { $0.ontapRESTUnavailable = true }) { fixture in
            let driver = try fixture.driver("orcl", api: .auto)
            #expect(try await driver.listSnapshots().map(\.id) == ["orcl_1"])
            #expect(try await driver.listSnapshots().first?.creation == utc("2024-03-01T10:00:00Z"))
            let log = await fixture.engine.requestLog()
            #expect(log.filter { $0.target.hasPrefix("/api/") }.map(\.target) == ["/api/cluster?fields=version"])
            #expect(log.filter { $0.target == Self.servlet }.allSatisfy { $0.method == "POST" })
            #expect(log.contains { $0.target == Self.servlet })
        }
    }

    @Test("auto does not take a failing REST cluster (500) for one without REST: the operation fails, no ZAPI call")
    func autoDoesNotFallBackOnServerErrors() async throws {
        let seed = SimulatorSeed(shares: [.init(name: "nfs_orcl")])
        try await withONTAP(seed: seed) { fixture in
            await fixture.engine.addFault(FaultRule(.status, method: "GET", times: nil, status: 500))
            let error = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl", api: .auto).listSnapshots()
            }
            #expect(error?.code == .serverError, "\(String(describing: error))")
            #expect(await !fixture.engine.requestLog().contains { $0.target == Self.servlet })
        }
    }

    @Test("auto speaks REST when the cluster has it; zapi never touches /api; rest never the servlet")
    func explicitChoices() async throws {
        let seed = SimulatorSeed(shares: [.init(name: "nfs_orcl")])
        try await withONTAP(seed: seed) { fixture in
            _ = try await fixture.driver("orcl", api: .auto).listSnapshots()
            #expect(await !fixture.engine.requestLog().contains { $0.target == Self.servlet })
            await fixture.engine.clearLog()
            _ = try await fixture.driver("orcl", api: .zapi).listSnapshots()
            #expect(await !fixture.engine.requestLog().contains { $0.target.hasPrefix("/api") })
        }
        try await withONTAP(seed: seed, configure: { $0.ontapRESTUnavailable = true }) { fixture in
            let error = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl", api: .rest).listSnapshots()
            }
            #expect(error?.code == .notFound)
            #expect(await !fixture.engine.requestLog().contains { $0.target == Self.servlet })
        }
    }

    @Test("results_errno and results_reason become the StorageError, with the reason")
    func errnoMapping() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "nfs_orcl", snapshots: [.init(name: "orcl_1", creation: utc("2024-03-01T10:00:00Z"))])
        ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("orcl", api: .zapi)
            let duplicate = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_1")
            }
            #expect(duplicate?.code == .alreadyExists)
            #expect(duplicate?.message.contains("Snapshot orcl_1 already exists on volume nfs_orcl") == true)
            #expect(duplicate?.message.contains("results_errno 17") == true)
            let missing = await storageError { () async throws(StorageError) in
                try await fixture.driver("nothere", api: .zapi).listSnapshots()
            }
            #expect(missing?.code == .notFound)
            _ = try await driver.cloneSnapshot(id: "orcl_1", cloneName: "c1")
            let held = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl_1")
            }
            #expect(held?.code == .hasClones)
            let locked = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_2", lockedUntil: Date().addingTimeInterval(86_400))
            }
            #expect(locked?.code == .unsupported)
            #expect(locked?.message.contains("ontapapi: rest") == true)
        }
        #expect(ONTAPZAPI.code(forErrno: 13040) == .notFound)
        #expect(ONTAPZAPI.code(forErrno: 15661) == .notFound)
        #expect(ONTAPZAPI.code(forErrno: 17) == .alreadyExists)
        #expect(ONTAPZAPI.code(forErrno: 13023) == .hasClones)
        #expect(ONTAPZAPI.code(forErrno: 13003) == .permissionDenied)
        #expect(ONTAPZAPI.code(forErrno: 13005) == .unsupported)
        #expect(ONTAPZAPI.code(forErrno: 99_999) == .serverError)
    }

    @Test("multi-volume: one listing merged by name with sizes summed, snapshots and clones on every volume")
    func multiVolumeMerge() async throws {
        let seed = SimulatorSeed(shares: [
            .init(
                name: "nfs_orcl",
                snapshots: [
                    .init(name: "orcl_1", creation: utc("2024-03-01T10:00:00Z"), spaceUnique: 3 << 20),
                    .init(name: "orcl_2", creation: utc("2024-03-02T10:00:00Z"), spaceUnique: 1 << 20),
                ]),
            .init(
                name: "nfs_orcl_b",
                snapshots: [.init(name: "orcl_2", creation: utc("2024-03-02T10:00:01Z"), spaceUnique: 5 << 20)]),
        ])
        try await withONTAP(seed: seed, configure: { $0.requireOfflineForDelete = true }) { fixture in
            let driver = try fixture.driver("orcl", suffixes: ["_b"], api: .zapi)
            let listed = try await driver.listSnapshots()
            #expect(listed.map(\.id) == ["orcl_1", "orcl_2"])
            #expect(listed.map(\.spaceUnique) == [3 << 20, 6 << 20])
            #expect(listed.map(\.spaceTotal) == [9 << 20, 6 << 20])
            #expect(listed.last?.creation == utc("2024-03-02T10:00:00Z"))
            // Deleting a snapshot the later volume lacks works (only the main volume must have it).
            try await driver.deleteSnapshot(id: "orcl_1")
            let clone = try await driver.cloneSnapshot(id: "orcl_2", cloneName: "restore1")
            #expect(clone.mountPoint == "/restore1")
            for name in ["restore1", "restore10", "restore11"] {
                #expect(await fixture.engine.shareExists(named: name))
            }
            #expect(try await driver.listClones().map(\.name) == ["restore1"])
            // Another database's driver refuses to drop it.
            await fixture.engine.addPlainShare(named: "nfs_other")
            let foreign = await storageError { () async throws(StorageError) in
                try await fixture.driver("other", api: .zapi).dropClone(name: "restore10")
            }
            #expect(foreign?.code == .notOwned)
            #expect(await fixture.engine.shareExists(named: "restore10"))
            try await driver.dropClone(name: "restore1")
            for name in ["restore1", "restore10", "restore11"] {
                #expect(!(await fixture.engine.shareExists(named: name)))
            }
        }
    }

    @Test("sizes past 2^31 blocks are exact; a wrapped 32-bit counter falls back to the percentage")
    func thirtyTwoBitCounters() async throws {
        let huge: Int64 = (3 << 40) + 123_456 * 1024
        let seed = SimulatorSeed(shares: [
            .init(
                name: "nfs_orcl",
                snapshots: [.init(name: "orcl_1", creation: utc("2024-03-01T10:00:00Z"), spaceUnique: huge)])
        ])
        try await withONTAP(seed: seed) { fixture in
            // 64-bit counter: 3221348928 blocks, past 2^31; the original's rule only approximated it.
            let listed = try await fixture.driver("orcl", api: .zapi).listSnapshots()
            #expect(listed.first?.spaceUnique == huge)
        }
        try await withONTAP(seed: seed, configure: { $0.ontapZAPI32BitCounters = true }) { fixture in
            let listed = try await fixture.driver("orcl", api: .zapi).listSnapshots()
            let size = try #require(listed.first?.spaceUnique)
            // The wrapped counter would say a negative number; the volume's 100 GiB times the whole percentage
            // is within 1% of the volume of the truth.
            #expect(size > 0)
            #expect(abs(size - huge) <= (100 << 30) / 100)
        }
        #expect(ONTAPZAPI.snapshotBytes(blocks: "3221348928", percentage: "3072", volumeSize: 100 << 30) == huge)
        #expect(ONTAPZAPI.snapshotBytes(blocks: "2048", percentage: "0", volumeSize: 100 << 30) == 2 << 20)
        // Wrapped to a small positive value: the percentage shows it cannot be right.
        #expect(
            ONTAPZAPI.snapshotBytes(blocks: "1073741824", percentage: "5120", volumeSize: 100 << 30) == 5 << 40)
        #expect(ONTAPZAPI.snapshotBytes(blocks: "-5", percentage: nil, volumeSize: nil) == nil)
    }

    @Test("many tasks writing and reading ZAPI documents at once all get their own document back")
    func concurrentDocuments() async throws {
        // libxml2 runs on one thread of its own (LibXMLThread); a crash or a mixed-up document here would show that
        // concurrent callers reach it from several threads again.
        let names = (0..<400).map { "volume_\($0)" }
        let results = try await withThrowingTaskGroup(of: (String, String?).self) { group in
            for name in names {
                group.addTask {
                    let element = ZAPIElement("netapp", children: [.value("volume", name)])
                    let bytes = try ZAPIXML.serialize(element, vendor: "ontap", operation: "t")
                    return (name, try ZAPIXML.parse(bytes, vendor: "ontap", operation: "t")?.string("volume"))
                }
            }
            var collected: [(String, String?)] = []
            for try await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == names.count)
        #expect(results.allSatisfy { $0.0 == $0.1 })
    }

    @Test("names with & < > \" are escaped by libxml2 on the way out and read back intact")
    func xmlEscaping() async throws {
        let name = #"a&b<c>"d"'e"#
        let element = ZAPIElement(
            "netapp", attributes: [("reason", name)], children: [.value("volume", name), .value("empty", "")])
        let bytes = try ZAPIXML.serialize(element, vendor: "ontap", operation: "t")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("<volume>a&amp;b&lt;c&gt;&quot;d&quot;'e</volume>"))
        #expect(!text.contains("a&b<c>"))
        let parsed = try #require(try ZAPIXML.parse(bytes, vendor: "ontap", operation: "t"))
        #expect(parsed.string("volume") == name)
        #expect(parsed.attribute("reason") == name)
        #expect(try ZAPIXML.parse(Array("<netapp><results".utf8), vendor: "ontap", operation: "t") == nil)
        // An external entity is never fetched nor expanded.
        let hostile = Array(
            #"<?xml version="1.0"?><!DOCTYPE netapp [<!ENTITY x SYSTEM "file:///etc/passwd">]><netapp>&x;</netapp>"#
                .utf8)
        #expect(try ZAPIXML.parse(hostile, vendor: "ontap", operation: "t")?.text.contains("root:") != true)

        let volume = "p&<>\"db"
        let seed = SimulatorSeed(shares: [
            .init(name: volume, snapshots: [.init(name: "db_1", creation: utc("2024-03-01T10:00:00Z"))])
        ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("db", prefix: "p&<>\"", api: .zapi)
            #expect(try await driver.listSnapshots().map(\.id) == ["db_1"])
        }
    }

    @Test("no credential in logs or errors over ZAPI, even at trace level and on failures")
    func noCredentialInLogs() async throws {
        let password = "Zapi-s3cret-Pw"
        let seed = SimulatorSeed(shares: [.init(name: "nfs_orcl")])
        try await withONTAP(
            seed: seed,
            configure: {
                $0.password = password; $0.ontapRESTUnavailable = true
            }
        ) {
            fixture in
            var (logger, store) = RecordingLogHandler.makeLogger()
            logger.logLevel = .trace
            let driver = try fixture.driver("orcl", password: password, api: .auto, logger: logger)
            _ = try await driver.createSnapshot(named: "orcl_1")
            let failure = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_1")
            }
            let wrong = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl", password: "wrong-pw", api: .zapi, logger: logger).listSnapshots()
            }
            #expect(wrong?.code == .permissionDenied)
            let basic = Data("admin:\(password)".utf8).base64EncodedString()
            let texts = store.records.map(\.message) + [failure, wrong].compactMap { $0 }.map(\.message)
            #expect(!texts.isEmpty)
            #expect(!texts.contains { $0.contains(password) || $0.contains(basic) })
        }
    }
}
