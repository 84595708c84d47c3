import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageSoftNAS
import Testing

/// The driver over real HTTPS to the in-process simulator.
@Suite("SoftNAS driver against storage-sim", .enabled(if: opensslAvailable, opensslReason))
struct SoftNASDriverTests {
    static let orcl = SimulatorSeed(shares: [.init(name: "orcl")])

    @Test func everyOperationIsOneLoginCommandLogoutCycleWithTheCookie() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(try await driver.listSnapshots().isEmpty)
            #expect(
                await fixture.pages() == ["POST login.php", "POST snserver/snserv.php", "GET logout.php"])
            let log = await fixture.engine.requestLog()
            // The command and the log-out carry the session cookie (the simulator refuses the command without it).
            #expect(log.map(\.authenticated) == [false, true, true])
            await fixture.engine.clearLog()
            _ = try await driver.createSnapshot(named: "ignored")
            _ = try await driver.listSnapshots()
            let pages = await fixture.pages()
            #expect(pages.filter { $0 == "POST login.php" }.count == 2, "\(pages)")
            #expect(pages.filter { $0 == "GET logout.php" }.count == 2, "\(pages)")
            #expect(pages.first == "POST login.php" && pages.last == "GET logout.php")
        }
    }

    @Test func snapshotsAreNamedByTheApplianceCreatedListedAndDeleted() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            let driver = try fixture.driver("orcl")
            let before = Date()
            let first = try await driver.createSnapshot(named: "orcl-20240101T000000")
            let second = try await driver.createSnapshot(named: "orcl-20240101T000000")
            #expect(first.id.hasPrefix("manual-"), "the appliance's name, not ours: \(first.id)")
            #expect(first.id != second.id)
            #expect(await fixture.engine.snapshotNames(of: "orcl") == [first.id, second.id])
            #expect(abs(first.creation.timeIntervalSince(before)) < 5)
            let listed = try await driver.listSnapshots()
            #expect(listed.map(\.id) == [first.id, second.id])
            #expect(listed.allSatisfy { $0.spaceTotal != nil && $0.spaceUnique == nil && $0.cloneCount == 0 })
            try await driver.deleteSnapshot(id: first.id)
            #expect(await fixture.engine.snapshotNames(of: "orcl") == [second.id])
            let missing = await #expect(throws: StorageError.self) { try await driver.deleteSnapshot(id: first.id) }
            #expect(missing?.code == .notFound)
            // Retention's delete: one session with one command.
            let listedSecond = try #require(try await driver.listSnapshots().first)
            await fixture.engine.clearLog()
            try await driver.deleteListedSnapshot(listedSecond)
            #expect(await fixture.pages() == ["POST login.php", "POST snserver/snserv.php", "GET logout.php"])
            #expect(await fixture.engine.snapshotNames(of: "orcl").isEmpty)
        }
    }

    @Test func aWrongPasswordIsPermissionDeniedAndNoCommandIsSent() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            let (logger, store) = RecordingLogHandler.makeLogger()
            let driver = try fixture.driver("orcl", password: "wrong&pass=word", logger: logger)
            let error = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            #expect(error?.code == .permissionDenied)
            #expect(error?.status == 200, "the appliance says no inside HTTP 200")
            #expect(error?.description.contains("log-in as admin failed") == true, "\(String(describing: error))")
            #expect(await fixture.pages() == ["POST login.php"])
            let text = store.records.map(\.message).joined(separator: "\n") + "\(String(describing: error))"
            #expect(!text.contains("wrong&pass=word") && !text.contains("wrong%26pass%3Dword"), "\(text)")
        }
    }

    @Test func successFalseInsideHTTP200IsAFailureAndTheSessionIsStillClosed() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            await fixture.engine.addFault(
                FaultRule(.status, pathContains: "snserv.php", status: 200, message: "pool is busy"))
            let driver = try fixture.driver("orcl")
            let error = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            #expect(error?.status == 200)
            #expect(
                error?.message == "snapshotlist: Request failed. Return code: 200, message: pool is busy",
                "\(String(describing: error))")
            #expect(await fixture.pages().last == "GET logout.php")
        }
    }

    @Test func aServerErrorWithTheApplianceReplyIsAServerError() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            await fixture.engine.addFault(
                FaultRule(.status, pathContains: "snserv.php", times: nil, status: 503, message: "maintenance"))
            let driver = try fixture.driver("orcl", attempts: 2)
            let error = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            #expect(error?.code == .serverError)
            // The listing is idempotent: retried once, then reported.
            #expect(await fixture.pages().filter { $0 == "POST snserver/snserv.php" }.count == 2)
        }
    }

    @Test func credentialsAndTheSessionCookieNeverReachLogsOrMessages() async throws {
        let password = "Pa ss&w=rd%41"
        try await withSoftNAS(seed: Self.orcl, configure: { $0.password = password }) { fixture in
            let (logger, store) = RecordingLogHandler.makeLogger()
            let driver = try fixture.driver("orcl", password: password, logger: logger)
            _ = try await driver.createSnapshot(named: "x")
            // The appliance echoes the whole request (headers with the cookie, the form) in its refusal.
            await fixture.engine.addFault(
                FaultRule(.status, pathContains: "snserv.php", status: 200, message: "denied", echoRequest: true))
            let snserv = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            await fixture.engine.addFault(
                FaultRule(.status, pathContains: "login.php", status: 200, message: "denied", echoRequest: true))
            let login = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            let text = (store.records.map(\.message) + [String(describing: snserv), String(describing: login)])
                .joined(separator: "\n")
            #expect(text.contains("denied"), "the refusals are reported: \(text)")
            #expect(text.contains("****"), "the echoed secrets are masked: \(text)")
            let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
            for secret in [password, encoded, "simsoftnas"] {
                #expect(!text.contains(secret), "\(secret) leaked: \(text)")
            }
        }
    }

    @Test func dropCloneIsUnsupportedAndNeverDeletesTheBackupVolume() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            let driver = try fixture.driver("orcl")
            #expect(!driver.capabilities.contains(.clone) && !driver.capabilities.contains(.listClones))
            _ = try await driver.createSnapshot(named: "x")
            await fixture.engine.clearLog()
            for name in ["orcl", "other"] {
                let error = await #expect(throws: StorageError.self) { try await driver.dropClone(name: name) }
                #expect(error?.code == .unsupported)
            }
            let clone = await #expect(throws: StorageError.self) {
                try await driver.cloneSnapshot(id: "x", cloneName: "c")
            }
            #expect(clone?.code == .unsupported)
            #expect(await fixture.engine.requestLog().isEmpty, "no request at all")
            #expect(await fixture.engine.shareExists(named: "orcl"))
            #expect(await fixture.engine.snapshotNames(of: "orcl").count == 1)
        }
    }

    @Test func createVolumeAndVolumeInfo() async throws {
        try await withSoftNAS { fixture in
            let driver = try fixture.driver("sales")
            let missing = await #expect(throws: StorageError.self) { try await driver.volumeInfo() }
            #expect(missing?.code == .notFound)
            let volume = try await driver.createVolume()
            #expect(volume.name == "sales")
            #expect(volume.mountPoint == "/pool1/sales")
            #expect(await fixture.engine.shareExists(named: "sales"))
            #expect(try await driver.volumeInfo().mountPoint == "/pool1/sales")
            let again = await #expect(throws: StorageError.self) { try await driver.createVolume() }
            #expect(again?.code == .alreadyExists)
            let elsewhere = try fixture.driver("sales", pool: "nopool")
            let refused = await #expect(throws: StorageError.self) { try await elsewhere.createVolume() }
            #expect(refused?.message.contains("Pool 'nopool' does not exist") == true)
        }
    }

    @Test func certificatesAreVerified() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            let untrusted = try fixture.driver("orcl", attempts: 1, caFile: .some(nil))
            let error = await #expect(throws: StorageError.self) { try await untrusted.listSnapshots() }
            #expect(error?.code == .transport)
            #expect(await fixture.engine.requestLog().isEmpty)
        }
    }

    @Test func anExpiredSessionIsAFailureNotASilentEmptyList() async throws {
        try await withSoftNAS(seed: Self.orcl) { fixture in
            await fixture.engine.addFault(FaultRule(.expireSession, pathContains: "snserv.php"))
            let driver = try fixture.driver("orcl")
            let error = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            #expect(error?.message.contains("not logged in") == true, "\(String(describing: error))")
        }
    }
}

/// Snapshot names read from `snapcommand create` messages: a message without a name of this volume is an error.
@Suite("SoftNAS snapshot names from the reply message")
struct SoftNASNameParsingTests {
    @Test(
        arguments: [
            ("Snapshot 'pool1/orcl@manual-20240102-101112-3' created successfully", "manual-20240102-101112-3"),
            ("Created snapshot pool1/orcl@auto-2016-10-17.0939' ok", "auto-2016-10-17.0939"),
            ("'orcl@snap1' created", "snap1"),
        ])
    func namesOfThisVolumeAreRead(message: String, expected: String) {
        #expect(SoftNASDriver.snapshotName(inMessage: message, volumePath: "pool1/orcl") == expected)
    }

    @Test(
        arguments: [
            "Snapshot created successfully", "Snapshot 'pool1/orcl@' created", "Snapshot pool1/orcl@name created",
            "Snapshot 'pool1/sales@manual-1' created", "Snapshot 'pool2/orcl@manual-1' created",
            "Snapshot 'pool1/orcl@bad name' created", "", "@'",
        ])
    func anythingElseGivesNoName(message: String) {
        #expect(SoftNASDriver.snapshotName(inMessage: message, volumePath: "pool1/orcl") == nil)
    }

    @Test func aSuccessWithoutANameIsAnErrorNotAGuess() async throws {
        let transport = ScriptedTransport(commandReply: #"{"success": true, "records": [], "msg": "Snapshot created"}"#)
        let driver = try SoftNASDriver(
            volumeName: "orcl", serverAddress: "nas.example.com", pool: "pool1",
            credential: StorageCredential(user: "u", password: "p"), transport: transport,
            logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let error = await #expect(throws: StorageError.self) { try await driver.createSnapshot(named: "x") }
        #expect(error?.code == .unexpectedResponse)
        #expect(error?.message.contains("names no snapshot of pool1/orcl") == true, "\(String(describing: error))")
        #expect(await transport.urls().last == "https://nas.example.com/softnas/logout.php")
    }
}

/// Answers log-in with a cookie, every command with `commandReply`, log-out with success.
actor ScriptedTransport: HTTPTransport {
    let commandReply: String
    private var sent: [String] = []

    init(commandReply: String) { self.commandReply = commandReply }

    func urls() -> [String] { sent }

    nonisolated func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        await record(request.url)
        if request.url.hasSuffix("login.php") {
            return HTTPResponse(
                status: 200, headers: [HTTPHeader("Set-Cookie", "PHPSESSID=abc; path=/")],
                body: Array(#"{"success": true, "msg": "ok"}"#.utf8))
        }
        if request.url.hasSuffix("logout.php") { return HTTPResponse(status: 200, body: Array("{}".utf8)) }
        return HTTPResponse(status: 200, body: Array(commandReply.utf8))
    }

    private func record(_ url: String) { sent.append(url) }
}
