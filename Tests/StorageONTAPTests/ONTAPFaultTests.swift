import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

@Suite("ONTAP driver against scripted faults", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPFaultTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "nfs_orcl",
            snapshots: [
                .init(name: "orcl_20161108T215336", creation: utc("2016-11-08T20:53:36Z"), spaceUnique: 1 << 20),
                .init(name: "orcl_20161109T215336", creation: utc("2016-11-09T20:53:36Z"), spaceUnique: 5 << 40),
                .init(name: "orcl_20161110T215336", creation: utc("2016-11-10T20:53:36Z"), spaceUnique: 7 << 30),
            ])
    ])

    @Test("create_time with an offset is read as the right instant; 64-bit sizes; cumulative totals")
    func seededHistory() async throws {
        try await withONTAP(seed: Self.history, configure: { $0.timeZone = TimeZone(secondsFromGMT: -5 * 3600)! }) {
            fixture in
            let snapshots = try await fixture.driver("orcl").listSnapshots()
            #expect(snapshots.map(\.id) == ["orcl_20161108T215336", "orcl_20161109T215336", "orcl_20161110T215336"])
            #expect(snapshots[0].creation == utc("2016-11-08T20:53:36Z"))
            #expect(snapshots[1].spaceUnique == 5 << 40)
            #expect(snapshots[2].spaceTotal == 7 << 30)
            #expect(snapshots[1].spaceTotal == (5 << 40) + (7 << 30))
            #expect(snapshots[0].spaceTotal == (1 << 20) + (5 << 40) + (7 << 30))
        }
    }

    @Test("snapshot names are <db>_<local timestamp>")
    func naming() throws {
        let driver = try ONTAPDriver(
            volumeName: "orcl", filer: "filer.example.com", credential: StorageCredential(user: "u", password: "p"),
            transport: NoTransport(), logger: Logger(label: "t"))
        let name = driver.snapshotName(for: utc("2016-11-08T20:53:36Z"), timeZone: TimeZone(secondsFromGMT: 3600)!)
        #expect(name == "orcl_20161108T215336")
        #expect(
            driver.mountString(clone: Clone(name: "c", originVolume: "orcl", originSnapshot: "s", mountPoint: "/c"))
                == "filer.example.com:/c")
    }

    @Test("a job that succeeds late is awaited")
    func lateJob() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.slowJob, method: "POST", pathContains: "/snapshots", seconds: 1.5))
            let started = ContinuousClock.now
            let snapshot = try await fixture.driver("orcl").createSnapshot(named: "orcl_20161111T000000")
            #expect(snapshot.id == "orcl_20161111T000000")
            // Returned only once the job was done: not before it was ready, and after polling it. (How many polls
            // that took depends on the machine's load: a late first poll may already see success.)
            #expect(ContinuousClock.now - started >= .seconds(1.4))
            #expect(await fixture.requests(containing: "/api/cluster/jobs/").count >= 1)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").last == "orcl_20161111T000000")
        }
    }

    @Test("space used beyond the integer range over several volumes is unknown, not a crash")
    func usedSpaceOverflow() async throws {
        // Found by Scripts/fuzz.sh: the sum of two volumes' `space.used` trapped.
        let seed = SimulatorSeed(shares: [
            .init(name: "nfs_orcl", spaceUsed: .max), .init(name: "nfs_orcl_2", spaceUsed: .max),
        ])
        try await withONTAP(seed: seed) { fixture in
            let volume = try await fixture.driver("orcl", suffixes: ["_2"]).volumeInfo()
            #expect(volume.spaceUsed == nil)
        }
    }

    @Test("a job that fails gives jobFailed naming vendor, operation, status and the job's message")
    func failedJob() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            await fixture.engine.addFault(
                FaultRule(
                    .failJob, method: "POST", pathContains: "/snapshots",
                    message: "Insufficient space for Snapshot copy.", code: "1638416"))
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_x")
            }
            #expect(error?.code == .jobFailed)
            #expect(error?.vendor == "ontap")
            #expect(error?.operation == "createSnapshot")
            #expect(error?.status == 202)
            #expect(error?.message.contains("Insufficient space for Snapshot copy.") == true)
            #expect(error?.message.contains("1638416") == true)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").count == 3)
        }
    }

    @Test("a job that never finishes runs into jobtimeout")
    func jobTimeout() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.slowJob, method: "POST", seconds: 30))
            let driver = try fixture.driver("orcl", jobTimeout: .seconds(1))
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_x")
            }
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("jobtimeout") == true)
        }
    }

    @Test("synchronous mode (return_timeout) is understood by the simulator")
    func synchronousMode() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            let transport = CurlTransport(
                options: HTTPTransportOptions(
                    vendor: "ontap", caFile: fixture.certificates.caFile, logger: Logger(label: "t")))
            let auth = [
                HTTPHeader("Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
            ]
            let list = try await transport.send(
                HTTPRequest(
                    method: .get, url: "\(fixture.server.baseURL)/api/storage/volumes?name=nfs_orcl", headers: auth))
            let uuid = try #require(list.text.split(separator: "\"").drop { $0 != "uuid" }.dropFirst(2).first)
            let created = try await transport.send(
                HTTPRequest(
                    method: .post,
                    url: "\(fixture.server.baseURL)/api/storage/volumes/\(uuid)/snapshots?return_timeout=30",
                    headers: auth, body: Array(#"{"name":"sync"}"#.utf8)))
            #expect(created.status == 201)
            let asynchronous = try await transport.send(
                HTTPRequest(
                    method: .post, url: "\(fixture.server.baseURL)/api/storage/volumes/\(uuid)/snapshots",
                    headers: auth, body: Array(#"{"name":"async"}"#.utf8)))
            #expect(asynchronous.status == 202)
            #expect(asynchronous.text.contains("/api/cluster/jobs/"))
            let duplicate = try await transport.send(
                HTTPRequest(
                    method: .post, url: "\(fixture.server.baseURL)/api/storage/volumes/\(uuid)/snapshots",
                    headers: auth, body: Array(#"{"name":"sync"}"#.utf8)))
            #expect(duplicate.status == 409)
            #expect(duplicate.text.contains(#""code":"1638600""#))
        }
    }

    @Test("every listing is paged to the end (R-10): 60 clones with 7 records a page")
    func pagedListing() async throws {
        let clones = (0..<60).map {
            SimulatorSeed.ShareSeed(name: "c\($0)", originShare: "nfs_orcl", originSnapshot: "orcl_20161109T215336")
        }
        try await withONTAP(seed: SimulatorSeed(shares: Self.history.shares + clones), configure: { $0.pageSize = 7 }) {
            fixture in
            let driver = try fixture.driver("orcl")
            let listed = try await driver.listClones()
            #expect(listed.count == 60)
            #expect(try await driver.listSnapshots()[1].cloneCount == 60)
            #expect(await fixture.requests(containing: "start.index=").count >= 8)
        }
    }

    @Test("a failed page fails the listing, and nothing is deleted")
    func failedPage() async throws {
        let clones = (0..<5).map {
            SimulatorSeed.ShareSeed(name: "c\($0)", originShare: "nfs_orcl", originSnapshot: "orcl_20161109T215336")
        }
        try await withONTAP(seed: SimulatorSeed(shares: Self.history.shares + clones), configure: { $0.pageSize = 2 }) {
            fixture in
            await fixture.engine.addFault(
                FaultRule(
                    .status, method: "GET", pathContains: "start.index=", times: nil, status: 500, message: "page lost")
            )
            let driver = try fixture.driver("orcl", attempts: 2)
            let listing = await storageError { () async throws(StorageError) in try await driver.listClones() }
            #expect(listing?.code == .serverError)
            #expect(listing?.status == 500)
            #expect(listing?.message.contains("page lost") == true)
            let delete = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl_20161108T215336")
            }
            #expect(delete?.code == .serverError)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").count == 3)
        }
    }

    @Test("clone-held snapshots: the driver refuses without DELETE; the cluster refuses too")
    func cloneHeldSnapshot() async throws {
        let seed = SimulatorSeed(
            shares: Self.history.shares + [
                .init(name: "autorestore", originShare: "nfs_orcl", originSnapshot: "orcl_20161109T215336")
            ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl_20161109T215336")
            }
            #expect(error?.code == .hasClones)
            #expect(error?.message.contains("autorestore") == true)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })

            // Bypassing the driver: the simulated cluster fails the delete job.
            let transport = CurlTransport(
                options: HTTPTransportOptions(
                    vendor: "ontap", caFile: fixture.certificates.caFile, logger: Logger(label: "t")))
            let http = ApplianceHTTPClient(
                vendor: "ontap", baseURL: "\(fixture.server.baseURL)/api", transport: transport,
                logger: Logger(label: "t"))
            let auth = [
                HTTPHeader("Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
            ]
            let volumes = try await http.send(
                .get, "storage/volumes?name=nfs_orcl", headers: auth, operation: "t", retry: .idempotent)
            let volumeUUID = try #require(try JSONSerialization.jsonObject(with: Data(volumes.body)) as? [String: Any])[
                "records"
            ]
            .flatMap { ($0 as? [[String: Any]])?.first?["uuid"] as? String }
            let snapshots = try await http.send(
                .get, "storage/volumes/\(try #require(volumeUUID))/snapshots?name=orcl_20161109T215336", headers: auth,
                operation: "t", retry: .idempotent)
            let snapshotUUID = (try JSONSerialization.jsonObject(with: Data(snapshots.body)) as? [String: Any])
                .flatMap { ($0["records"] as? [[String: Any]])?.first?["uuid"] as? String }
            let delete = try await http.send(
                .delete, "storage/volumes/\(try #require(volumeUUID))/snapshots/\(try #require(snapshotUUID))",
                headers: auth, operation: "t", retry: .once)
            #expect(delete.status == 202)
            try await Task.sleep(for: .milliseconds(50))
            let jobHref = try #require(delete.text.split(separator: "\"").first { $0.hasPrefix("/api/cluster/jobs/") })
            let job = try await http.send(
                .get, String(jobHref.dropFirst(5)), headers: auth, operation: "t", retry: .idempotent)
            #expect(job.text.contains(#""state":"failure""#))
            #expect(job.text.contains("FlexClone"))
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").count == 3)
        }
    }

    @Test("look-alikes: another volume's clone and a plain volume are neither listed nor dropped")
    func lookAlikes() async throws {
        let seed = SimulatorSeed(
            shares: Self.history.shares + [
                .init(name: "nfs_other", snapshots: [.init(name: "other_1", creation: utc("2020-01-01T00:00:00Z"))]),
                .init(name: "orcl_clone_of_other", originShare: "nfs_other", originSnapshot: "other_1"),
                .init(name: "plainvolume"),
            ])
        try await withONTAP(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(try await driver.listClones().isEmpty)
            let foreign = await storageError { () async throws(StorageError) in
                try await driver.dropClone(name: "orcl_clone_of_other")
            }
            #expect(foreign?.code == .notOwned)
            let plain = await storageError { () async throws(StorageError) in
                try await driver.dropClone(name: "plainvolume")
            }
            #expect(plain?.code == .notAClone)
            let own = await storageError { () async throws(StorageError) in try await driver.dropClone(name: "nfs_orcl")
            }
            #expect(own?.code == .notAClone)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
        }
    }

    @Test("multi-volume clone: namespace root, members at /<clone>/<clone><i>, dropped member by member")
    func multiVolumeClone() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "nfs_orcl", snapshots: [.init(name: "orcl_1", creation: utc("2020-01-01T00:00:00Z"))]),
            .init(name: "nfs_orcl_b", snapshots: [.init(name: "orcl_1", creation: utc("2020-01-01T00:00:01Z"))]),
        ])
        try await withONTAP(seed: seed, configure: { $0.requireOfflineForDelete = true }) { fixture in
            let (logger, store) = RecordingLogHandler.makeLogger()
            let driver = try fixture.driver("orcl", suffixes: ["_b"], logger: logger)
            let clone = try await driver.cloneSnapshot(id: "orcl_1", cloneName: "restore1")
            #expect(driver.mountString(clone: clone) == "127.0.0.1:/restore1")
            for name in ["restore1", "restore10", "restore11"] {
                #expect(await fixture.engine.shareExists(named: name))
            }
            let posts = await fixture.engine.requestLog().filter {
                $0.method == "POST" && $0.target == "/api/storage/volumes"
            }
            #expect(posts.count == 3)
            #expect(try await driver.listClones().map(\.name) == ["restore1"])
            #expect(try await driver.cloneInfo(name: "restore1").mountPoint == "/restore1")
            #expect(try await driver.listSnapshots().first?.cloneCount == 1)
            await fixture.engine.clearLog()
            try await driver.dropClone(name: "restore1")
            for name in ["restore1", "restore10", "restore11"] {
                #expect(!(await fixture.engine.shareExists(named: name)))
            }
            let mutations = await fixture.engine.requestLog().filter { $0.method != "GET" }.map(\.method)
            #expect(mutations == ["PATCH", "PATCH", "DELETE", "PATCH", "PATCH", "DELETE", "PATCH", "PATCH", "DELETE"])
            #expect(store.messages(at: .debug).contains { $0.hasPrefix("Sending PATCH to storage/volumes/") })
        }
    }

    @Test("a multi-volume snapshot that fails on a later volume says where it exists")
    func partialMultiVolumeSnapshot() async throws {
        let seed = SimulatorSeed(shares: [.init(name: "nfs_orcl"), .init(name: "nfs_orcl_b")])
        try await withONTAP(seed: seed) { fixture in
            await fixture.engine.addFault(
                FaultRule(
                    .failJob, method: "POST", pathContains: "/snapshots", skip: 1, message: "No space left.", code: "13"
                ))
            let driver = try fixture.driver("orcl", suffixes: ["_b"])
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl_1")
            }
            #expect(error?.code == .jobFailed)
            #expect(error?.message.contains("exists only on nfs_orcl") == true)
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl") == ["orcl_1"])
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl_b").isEmpty)
        }
    }

    @Test("401: permission denied, never retried; 5xx on GET retried; POST not retried")
    func statusHandling() async throws {
        try await withONTAP(seed: Self.history) { fixture in
            let denied = try fixture.driver("orcl", password: "wrong")
            let error = await storageError { () async throws(StorageError) in try await denied.listSnapshots() }
            #expect(error?.code == .permissionDenied)
            #expect(error?.status == 401)
            #expect(await fixture.engine.requestLog().count == 1)

            await fixture.engine.clearLog()
            await fixture.engine.addFault(FaultRule(.status, method: "GET", status: 503))
            #expect(try await fixture.driver("orcl").listSnapshots().count == 3)
            #expect(await fixture.engine.requestLog().first?.status == 503)

            await fixture.engine.clearLog()
            await fixture.engine.addFault(FaultRule(.status, method: "POST", status: 502))
            let post = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl").createSnapshot(named: "orcl_y")
            }
            #expect(post?.code == .serverError)
            #expect(post?.status == 502)
            #expect(await fixture.engine.requestLog().filter { $0.method == "POST" }.count == 1)
        }
    }

    @Test("createVolume needs svm, aggregate and volumesize; registry names ontap and netapp")
    func configuration() async throws {
        var registry = StorageDriverRegistry()
        ONTAPDriver.register(in: &registry, transport: { _ throws(StorageError) in NoTransport() })
        #expect(registry.contains("netapp") && registry.contains("ontap"))
        let logger = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
        let credentials = StorageCredential(user: "u", password: "p")
        let driver = try registry.makeDriver(
            named: "netapp",
            configuration: StorageDriverConfiguration(
                databaseName: "orcl",
                settings: [
                    "filer": "filer.example.com", "volumeprefix": "nfs_", "additionalvolumesuffixes": "_b, _c",
                    "mounthost": "nfs1",
                ],
                logger: logger, credentials: credentials))
        let ontap = try #require(driver as? ONTAPDriver)
        #expect(ontap.volumeNames == ["nfs_orcl", "nfs_orcl_b", "nfs_orcl_c"])
        #expect(
            ontap.mountString(clone: Clone(name: "c", originVolume: "orcl", originSnapshot: "s", mountPoint: "/c"))
                == "nfs1:/c")
        let error = await storageError { () async throws(StorageError) in try await ontap.createVolume() }
        #expect(error?.code == .invalidConfiguration)
        let bad = #expect(throws: StorageError.self) {
            try registry.makeDriver(
                named: "ontap",
                configuration: StorageDriverConfiguration(
                    databaseName: "orcl", settings: ["filer": "f", "jobtimeout": "soon"], logger: logger,
                    credentials: credentials))
        }
        #expect(bad?.message.contains("jobtimeout") == true)
    }
}

/// A transport for tests that must not touch the network.
struct NoTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        throw HTTPTransportError(.connection, "no network in this test")
    }
}
