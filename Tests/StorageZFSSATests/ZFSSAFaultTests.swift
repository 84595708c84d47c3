import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageZFSSA
import Testing

@Suite("ZFSSA driver against scripted faults", .enabled(if: opensslAvailable, opensslReason))
struct ZFSSAFaultTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "orcl",
            snapshots: [
                .init(
                    name: "orcl-20161108T215336", creation: utc("2016-11-08T20:53:36Z"), spaceTotal: 185_597_952,
                    spaceUnique: 0),
                .init(
                    name: "orcl-20161109T215336", creation: utc("2016-11-09T20:53:36Z"), spaceTotal: 5 << 40,
                    spaceUnique: 3 << 40),
            ])
    ])

    @Test("seeded creation times are exact UTC instants in v1 and v2", arguments: [1, 2])
    func seededHistory(apiVersion: Int) async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let snapshots = try await fixture.driver("orcl", apiVersion: apiVersion).listSnapshots()
            #expect(snapshots.map(\.id) == ["orcl-20161108T215336", "orcl-20161109T215336"])
            #expect(snapshots.map(\.creation) == [utc("2016-11-08T20:53:36Z"), utc("2016-11-09T20:53:36Z")])
            #expect(snapshots[1].spaceTotal == 5 << 40)
            #expect(snapshots[1].spaceUnique == 3 << 40)
            #expect(
                DisplayFormat.snapshotLine(snapshots[0]).hasPrefix("orcl-20161108T215336 [2016-11-08 20:53:36 UTC]"))
        }
    }

    @Test("an expired session gets 401, one re-login and one retry")
    func sessionExpiry() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl", authentication: .session)
            _ = try await driver.listSnapshots()
            await fixture.engine.clearLog()
            await fixture.engine.expireSessions()
            #expect(try await driver.listSnapshots().count == 2)
            let log = await fixture.engine.requestLog().map { "\($0.method) \($0.status)" }
            #expect(log == ["GET 401", "POST 201", "GET 200"])
        }
    }

    @Test("session expiry scripted mid-run (fault rule) is cured by re-login")
    func scriptedSessionExpiry() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl", authentication: .session)
            await fixture.engine.addFault(FaultRule(.expireSession, method: "POST", pathContains: "/snapshots"))
            let created = try await driver.createSnapshot(named: "orcl-20161110T000000")
            #expect(created.id == "orcl-20161110T000000")
            let posts = await fixture.requests(containing: "/snapshots").filter { $0.method == "POST" }
            #expect(posts.map(\.status) == [401, 201])
            await driver.close()
            #expect(await fixture.engine.requestLog().last?.method == "DELETE")
        }
    }

    @Test("wrong password: permission denied with vendor, operation and status; never retried")
    func wrongPassword() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            for authentication in ZFSSAAuthentication.allCases {
                await fixture.engine.clearLog()
                let driver = try fixture.driver("orcl", authentication: authentication, password: "wrong")
                let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
                #expect(error?.code == .permissionDenied)
                #expect(error?.vendor == "zfssa")
                #expect(error?.operation == "listSnapshots")
                #expect(error?.status == 401)
                #expect(await fixture.engine.requestLog().count == 1)
            }
        }
    }

    @Test("a 503 on a GET is retried with back-off")
    func transientServerError() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.status, method: "GET", pathContains: "/snapshots", status: 503))
            let snapshots = try await fixture.driver("orcl").listSnapshots()
            #expect(snapshots.count == 2)
            #expect(await fixture.engine.requestLog().map(\.status) == [503, 200])
        }
    }

    @Test("a persistent 500 fails after the bounded attempts with a clear error")
    func persistentServerError() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(
                FaultRule(
                    .status, method: "GET", pathContains: "/snapshots", times: nil, status: 500, message: "disk on fire"
                ))
            let driver = try fixture.driver("orcl", attempts: 3)
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .serverError)
            #expect(error?.status == 500)
            #expect(error?.description.contains("zfssa listSnapshots failed") == true)
            #expect(error?.message.contains("disk on fire") == true)
            #expect(await fixture.engine.requestLog().count == 3)
        }
    }

    @Test("a 503 on a POST is not retried (not idempotent)")
    func postIsNotRetried() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.status, method: "POST", pathContains: "/snapshots", status: 503))
            let driver = try fixture.driver("orcl")
            let error = await storageError { () async throws(StorageError) in
                try await driver.createSnapshot(named: "orcl-20161110T000000")
            }
            #expect(error?.code == .serverError)
            #expect(error?.operation == "createSnapshot")
            #expect(error?.status == 503)
            #expect(await fixture.requests(containing: "/snapshots").filter { $0.method == "POST" }.count == 1)
        }
    }

    @Test("a slow reply runs into the request timeout")
    func slowReply() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.delay, method: "GET", times: nil, seconds: 20))
            let driver = try fixture.driver("orcl", timeout: .milliseconds(500), attempts: 2)
            // Without the time limit the delayed replies would arrive and the listing would succeed.
            let error = await storageError { () async throws(StorageError) in try await driver.listSnapshots() }
            #expect(error?.code == .timeout)
            #expect(error?.vendor == "zfssa")
            #expect(error?.message.contains("after 2 attempts") == true)
        }
    }

    @Test("a DELETE whose reply was lost is retried; its 404 then means done")
    func lostDeleteReply() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.lostReply, method: "DELETE", status: 502))
            let driver = try fixture.driver("orcl")
            try await driver.deleteSnapshot(id: "orcl-20161108T215336")
            let deletes = await fixture.engine.requestLog().filter { $0.method == "DELETE" }.map(\.status)
            #expect(deletes == [502, 404])
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-20161109T215336"])
            // A first-attempt 404 is still "not found".
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-20161108T215336")
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("a snapshot held by a clone is kept: hasClones, and no DELETE is sent")
    func cloneHeldSnapshot() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            let clone = try await driver.cloneSnapshot(id: "orcl-20161109T215336", cloneName: "autorestore")
            #expect(driver.mountString(clone: clone) == "127.0.0.1:/export/demo-backup/autorestore")
            await fixture.engine.clearLog()
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-20161109T215336")
            }
            #expect(error?.code == .hasClones)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
            #expect(try await driver.listSnapshots().last?.cloneCount == 1)
        }
    }

    @Test("a retained snapshot is kept: locked, and no DELETE is sent")
    func retainedSnapshot() async throws {
        let seed = SimulatorSeed(shares: [
            .init(
                name: "orcl",
                snapshots: [.init(name: "orcl-1", creation: utc("2020-01-01T00:00:00Z"), retention: "locked")])
        ])
        try await withZFSSA(seed: seed) { fixture in
            let error = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl").deleteSnapshot(id: "orcl-1")
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("retentionpolicy=locked") == true)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
            #expect(await fixture.engine.snapshotNames(of: "orcl") == ["orcl-1"])
        }
    }

    @Test("the appliance itself refuses to delete a clone-held snapshot (409)")
    func simulatorRefusesCloneHeldDelete() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            _ = try await fixture.driver("orcl").cloneSnapshot(id: "orcl-20161109T215336", cloneName: "autorestore")
            let transport = CurlTransport(
                options: HTTPTransportOptions(
                    vendor: "zfssa", caFile: fixture.certificates.caFile, logger: Logger(label: "t")))
            let response = try await transport.send(
                HTTPRequest(
                    method: .delete,
                    url:
                        "\(fixture.server.baseURL)/api/storage/v2/pools/pool1/projects/demo-backup/filesystems/orcl/snapshots/orcl-20161109T215336",
                    headers: [
                        HTTPHeader(
                            "Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
                    ]))
            #expect(response.status == 409)
            #expect(response.text.contains("ERR_STATE_CHANGED"))
            #expect(await fixture.engine.snapshotNames(of: "orcl").count == 2)
        }
    }

    @Test("look-alikes in the project are neither listed nor dropped")
    func lookAlikes() async throws {
        let seed = SimulatorSeed(
            shares: Self.history.shares + [
                .init(name: "other", snapshots: [.init(name: "other-1", creation: utc("2020-01-01T00:00:00Z"))]),
                .init(name: "orcl-clone-of-other", originShare: "other", originSnapshot: "other-1"),
                .init(name: "orcl-20161109T215336_clone_x"),
            ])
        try await withZFSSA(seed: seed) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(try await driver.listClones().isEmpty)
            let foreign = await storageError { () async throws(StorageError) in
                try await driver.dropClone(name: "orcl-clone-of-other")
            }
            #expect(foreign?.code == .notOwned)
            #expect(foreign?.message.contains("other") == true)
            let plain = await storageError { () async throws(StorageError) in
                try await driver.dropClone(name: "orcl-20161109T215336_clone_x")
            }
            #expect(plain?.code == .notAClone)
            #expect(await fixture.engine.shareExists(named: "orcl-clone-of-other"))
            #expect(await fixture.engine.shareExists(named: "orcl-20161109T215336_clone_x"))
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
        }
    }

    @Test("a failed listing deletes nothing and reports the status")
    func failedListing() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            await fixture.engine.addFault(FaultRule(.status, method: "GET", times: nil, status: 500))
            let driver = try fixture.driver("orcl", attempts: 1)
            let error = await storageError { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: "orcl-20161108T215336")
            }
            #expect(error?.code == .serverError)
            #expect(error?.status == 500)
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method == "GET" })
            #expect(await fixture.engine.snapshotNames(of: "orcl").count == 2)
        }
    }

    @Test("create volume reports success correctly (R-07) and a duplicate as alreadyExists")
    func createVolume() async throws {
        try await withZFSSA { fixture in
            let driver = try fixture.driver("newdb")
            let volume = try await driver.createVolume()
            #expect(volume.mountPoint == "/export/demo-backup/newdb")
            let again = await storageError { () async throws(StorageError) in try await driver.createVolume() }
            #expect(again?.code == .alreadyExists)
            #expect(again?.status == 409)
        }
    }

    @Test("missing project: notFound naming the project")
    func missingProject() async throws {
        try await withZFSSA(configure: { $0.projects = [("pool1", "elsewhere")] }) { fixture in
            let error = await storageError { () async throws(StorageError) in
                try await fixture.driver("orcl").listSnapshots()
            }
            #expect(error?.code == .notFound)
            #expect(error?.status == 404)
        }
    }

    @Test("TLS: an unrelated CA is refused, a missing CA file is named, insecure works and warns")
    func tlsVerification() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            let untrusted = try fixture.driver("orcl", attempts: 1, caFile: fixture.certificates.otherCAFile)
            let refused = await storageError { () async throws(StorageError) in try await untrusted.listSnapshots() }
            #expect(refused?.code == .transport)
            #expect(refused?.message.contains("TLS") == true)

            let noSystemTrust = try fixture.driver("orcl", attempts: 1, caFile: .some(nil))
            #expect(
                await storageError { () async throws(StorageError) in try await noSystemTrust.listSnapshots() }?.code
                    == .transport)

            let missing = try fixture.driver("orcl", attempts: 1, caFile: "/nonexistent/ca.pem")
            let missingError = await storageError { () async throws(StorageError) in try await missing.listSnapshots() }
            #expect(missingError?.message.contains("/nonexistent/ca.pem") == true)

            let (logger, store) = RecordingLogHandler.makeLogger()
            let insecure = try fixture.driver("orcl", logger: logger, caFile: .some(nil), insecure: true)
            #expect(try await insecure.listSnapshots().count == 2)
            #expect(store.messages(at: .warning).contains { $0.contains("verification is OFF") })
        }
    }

    @Test("debug log in the reference's style; credentials and tokens never logged")
    func loggingStyleAndSecrets() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            var (logger, store) = RecordingLogHandler.makeLogger()
            logger.logLevel = .trace
            let driver = try fixture.driver("orcl", authentication: .session, logger: logger)
            _ = try await driver.listSnapshots()
            await fixture.engine.expireSessions()
            _ = try await driver.createSnapshot(named: "orcl-20161110T000000")
            let messages = store.records.map(\.message)
            #expect(messages.contains("Sending GET to pools/pool1/projects/demo-backup/filesystems/orcl/snapshots"))
            #expect(messages.contains("Return code: 200"))
            #expect(messages.contains("Return code: 201"))
            for message in messages {
                #expect(!message.contains("secret"))
                #expect(!message.contains("YWRtaW46c2VjcmV0"))  // base64 of admin:secret
            }
        }
    }

    @Test("registry: the factory reads settings and credentials, and says what is missing")
    func registry() async throws {
        try await withZFSSA(seed: Self.history) { fixture in
            var registry = StorageDriverRegistry()
            ZFSSADriver.register(in: &registry, transport: CurlTransport.factory)
            let logger = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
            let settings = [
                "url": fixture.server.baseURL, "pool": "pool1", "project": "demo-backup", "apiversion": "1",
                "authentication": "session",
            ]
            var trusted = settings
            trusted["cacert"] = fixture.certificates.caFile
            let driver = try registry.makeDriver(
                named: "ZFSSA",
                configuration: StorageDriverConfiguration(
                    databaseName: "orcl", settings: trusted, logger: logger,
                    credentials: StorageCredential(user: "admin", password: "secret")))
            #expect(try await driver.listSnapshots().count == 2)
            #expect(await fixture.engine.requestLog().contains { $0.target.hasPrefix("/api/storage/v1/") })

            var incomplete = settings
            incomplete["project"] = nil
            let missing = #expect(throws: StorageError.self) {
                try registry.makeDriver(
                    named: "zfssa",
                    configuration: StorageDriverConfiguration(
                        databaseName: "orcl", settings: incomplete, logger: logger,
                        credentials: StorageCredential(user: "admin", password: "secret")))
            }
            #expect(missing?.code == .invalidConfiguration)
            #expect(missing?.message.contains("project") == true)
            let noCredentials = #expect(throws: StorageError.self) {
                try registry.makeDriver(
                    named: "zfssa",
                    configuration: StorageDriverConfiguration(databaseName: "orcl", settings: settings, logger: logger))
            }
            #expect(noCredentials?.message.contains("zfscredentials.cfg") == true)
            #expect("\(StorageCredential(user: "admin", password: "secret"))" == "admin/****")
        }
    }

    @Test("apiversion unset speaks REST v1 like the original; v2 only when configured")
    func apiVersionDefaultsToTheOriginalsV1() async throws {
        for (configured, expectedPrefix) in [
            (nil, "/api/storage/v1/"), ("2", "/api/storage/v2/"), ("v1", "/api/storage/v1/"),
        ] {
            try await withZFSSA(seed: Self.history) { fixture in
                var registry = StorageDriverRegistry()
                ZFSSADriver.register(in: &registry, transport: CurlTransport.factory)
                let logger = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
                var settings = [
                    "url": fixture.server.baseURL, "pool": "pool1", "project": "demo-backup",
                    "cacert": fixture.certificates.caFile,
                ]
                settings["apiversion"] = configured
                let driver = try registry.makeDriver(
                    named: "zfssa",
                    configuration: StorageDriverConfiguration(
                        databaseName: "orcl", settings: settings, logger: logger,
                        credentials: StorageCredential(user: "admin", password: "secret")))
                #expect(try await driver.listSnapshots().count == 2)
                let storageRequests = await fixture.engine.requestLog().filter { $0.target.hasPrefix("/api/storage/") }
                #expect(!storageRequests.isEmpty)
                #expect(
                    storageRequests.allSatisfy { $0.target.hasPrefix(expectedPrefix) },
                    "apiversion \(configured ?? "unset"): \(storageRequests.map(\.target))")
            }
        }
    }
}
