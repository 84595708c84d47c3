import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

/// Answers from a script, recording what was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    enum Step {
        case respond(Int)
        case fail(HTTPTransportError.Kind)
    }

    private let lock = NSLock()
    private var steps: [Step]
    private var sent: [HTTPRequest] = []

    init(_ steps: [Step]) { self.steps = steps }

    var requests: [HTTPRequest] { lock.withLock { sent } }

    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        let step: Step = lock.withLock {
            sent.append(request)
            return steps.isEmpty ? .respond(200) : steps.removeFirst()
        }
        switch step {
        case .respond(let status): return HTTPResponse(status: status, body: Array("{}".utf8))
        case .fail(let kind): throw HTTPTransportError(kind, "scripted \(kind.rawValue)")
        }
    }
}

@Suite("ApplianceHTTPClient: retries, logging, encoding")
struct ApplianceHTTPClientTests {
    func client(_ transport: ScriptedTransport, logger: Logger = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        -> ApplianceHTTPClient
    {
        ApplianceHTTPClient(
            vendor: "test", baseURL: "https://appliance:215/api/storage/v2/", transport: transport, logger: logger,
            timeout: .seconds(5), retryPolicy: HTTPRetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(10)))
    }

    @Test("idempotent requests are retried on 5xx and connection loss, up to the bound")
    func retriesIdempotent() async throws {
        let transport = ScriptedTransport([.respond(503), .fail(.connection), .respond(200)])
        let response = try await client(transport).send(.get, "pools", operation: "op", retry: .idempotent)
        #expect(response.status == 200)
        #expect(transport.requests.count == 3)
        #expect(transport.requests.allSatisfy { $0.url == "https://appliance:215/api/storage/v2/pools" })

        let exhausted = ScriptedTransport([.respond(500), .respond(500), .respond(500), .respond(200)])
        #expect(try await client(exhausted).send(.get, "pools", operation: "op", retry: .idempotent).status == 500)
        #expect(exhausted.requests.count == 3)
    }

    @Test("requests with side effects are sent once")
    func noRetryForOnce() async throws {
        let transport = ScriptedTransport([.respond(503), .respond(201)])
        #expect(try await client(transport).send(.post, "x", body: [1], operation: "op", retry: .once).status == 503)
        #expect(transport.requests.count == 1)
        #expect(transport.requests[0].headers.contains(HTTPHeader("Content-Type", "application/json")))

        let lost = ScriptedTransport([.fail(.timeout), .respond(201)])
        do {
            _ = try await client(lost).send(.put, "x/clone", operation: "cloneSnapshot", retry: .once)
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.vendor == "test")
            #expect(error.operation == "cloneSnapshot")
        }
        #expect(lost.requests.count == 1)
    }

    @Test("a repeated DELETE answered 404 counts as done; a first 404 does not")
    func idempotentDelete() async throws {
        let retried = ScriptedTransport([.respond(502), .respond(404)])
        #expect(try await client(retried).send(.delete, "x", operation: "op", retry: .idempotentDelete).status == 204)
        let first = ScriptedTransport([.respond(404)])
        #expect(try await client(first).send(.delete, "x", operation: "op", retry: .idempotentDelete).status == 404)
    }

    @Test("no answer at all: transport error naming vendor, operation and attempts")
    func transportFailure() async throws {
        let transport = ScriptedTransport([.fail(.connection), .fail(.connection), .fail(.connection)])
        do {
            _ = try await client(transport).send(.get, "pools", operation: "listSnapshots", retry: .idempotent)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .transport)
            #expect(error.description.hasPrefix("test listSnapshots failed (transport)"))
            #expect(error.message.contains("after 3 attempts"))
        }
        let tls = ScriptedTransport([.fail(.tls)])
        do {
            _ = try await client(tls).send(.get, "pools", operation: "listSnapshots", retry: .idempotent)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .transport)
        }
        #expect(tls.requests.count == 1, "TLS failures are not retried")
    }

    @Test("back-off doubles and is capped")
    func backoff() {
        let policy = HTTPRetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(500), maxBackoff: .seconds(2))
        #expect(policy.backoff(beforeAttempt: 2) == .milliseconds(500))
        #expect(policy.backoff(beforeAttempt: 3) == .seconds(1))
        #expect(policy.backoff(beforeAttempt: 4) == .seconds(2))
        #expect(policy.backoff(beforeAttempt: 6) == .seconds(2))
        #expect(HTTPRetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    @Test("DEBUG lines in the reference's style; header values never logged")
    func logging() async throws {
        var (logger, store) = RecordingLogHandler.makeLogger()
        logger.logLevel = .trace
        let transport = ScriptedTransport([.respond(503), .respond(200)])
        let secret = StorageCredential(user: "root", password: "hunter2")
        _ = try await client(transport, logger: logger).send(
            .get, "pools/pool1/projects/demo-backup/filesystems/orcl/snapshots",
            headers: [HTTPHeader("Authorization", secret.basicAuthorization), HTTPHeader("X-Auth-Session", "tok123")],
            operation: "listSnapshots", retry: .idempotent)
        let debug = store.messages(at: .debug)
        #expect(debug.first == "Sending GET to pools/pool1/projects/demo-backup/filesystems/orcl/snapshots")
        #expect(debug.contains("Return code: 503"))
        #expect(debug.contains("Return code: 200"))
        #expect(store.messages(at: .warning).count == 1)
        for record in store.records {
            #expect(!record.message.contains("hunter2"))
            #expect(!record.message.contains("tok123"))
            #expect(!record.message.contains(String(secret.basicAuthorization.dropFirst(6))))
        }
        #expect("\(secret)" == "root/****")
        #expect(String(reflecting: secret) == "root/****")
        #expect(!String(describing: Mirror(reflecting: secret).children.map(\.value)).contains("hunter2"))
    }

    @Test("path and query encoding")
    func encoding() {
        #expect(ApplianceHTTPClient.encodePathComponent("orcl-20161108T215336") == "orcl-20161108T215336")
        #expect(ApplianceHTTPClient.encodePathComponent("a b/c:d@e") == "a%20b%2Fc%3Ad%40e")
        #expect(
            ApplianceHTTPClient.encodeQuery([("name", "v 1"), ("fields", "uuid,nas.path")])
                == "name=v%201&fields=uuid%2Cnas.path")
    }

    @Test("lenient numbers: integers, decimals and numeric strings")
    func lenientNumbers() throws {
        struct Box: Decodable { var a: LenientInt64; var b: LenientInt64; var c: LenientInt64; var d: LenientString }
        let box = try JSONDecoder().decode(
            Box.self, from: Data(#"{"a": 5497558138880, "b": 1.5e3, "c": "42", "d": 917536}"#.utf8))
        #expect(box.a.value == 5 << 40)
        #expect(box.b.value == 1500)
        #expect(box.c.value == 42)
        #expect(box.d.value == "917536")
        #expect((try? JSONDecoder().decode(Box.self, from: Data(#"{"a": "x", "b": 1, "c": 1, "d": "1"}"#.utf8))) == nil)
    }

    @Test("appliance connection settings: cacert, insecure flag, seconds, retries, transport options")
    func configuration() throws {
        let logger = Logger(label: "t")
        func section(_ values: [String: String]) -> ConfigSection {
            ConfigSection(name: "zfssa", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
        }
        let settings = try ApplianceConnectionSettings(
            section: section([
                "url": "https://z:215", "timeout": "12.5", "cacert": "/etc/certs/z.pem", "insecure": "TRUE",
                "retries": "4",
            ]), endpointKey: "url")
        #expect(settings.endpoint == "https://z:215")
        #expect(settings.timeout == .milliseconds(12_500))
        #expect(settings.retryPolicy.maxAttempts == 4)
        let options = settings.transportOptions(vendor: "zfssa", logger: logger)
        #expect(options.caFile == "/etc/certs/z.pem")
        #expect(options.insecure)
        #expect(options.connectTimeout == .milliseconds(12_500))
        #expect(
            try ApplianceConnectionSettings(section: section(["url": "https://z"]), endpointKey: "url")
                .transportOptions(vendor: "zfssa", logger: logger).connectTimeout == .seconds(30))
        // Found by the fuzz smoke run: a huge number of seconds trapped converting to milliseconds.
        let huge = #expect(throws: ConfigError.self) {
            try ApplianceConnectionSettings(
                section: section(["url": "https://z", "timeout": "1e300"]), endpointKey: "url")
        }
        #expect(huge?.problems.map(\.key) == ["timeout"])
        let bad = #expect(throws: ConfigError.self) {
            try ApplianceConnectionSettings(
                section: section(["url": "https://z", "insecure": "yes", "retries": "0"]), endpointKey: "url")
        }
        #expect(Set(bad?.problems.compactMap(\.key) ?? []) == ["insecure", "retries"])
        let defaults = try ApplianceConnectionSettings(section: section(["url": "https://z"]), endpointKey: "url")
        #expect(!defaults.insecure)
        #expect(defaults.caFile == nil)
        #expect(defaults.timeout == .seconds(300))
        #expect(defaults.retries == 3)
        #expect(ApplianceConnectionSettings.isPlainHTTP(" HTTP://z"))
        #expect(!ApplianceConnectionSettings.isPlainHTTP("https://z"))
        #expect(ApplianceConnectionSettings.hasPasswordInURL("https://u:p@z/x"))
        #expect(!ApplianceConnectionSettings.hasPasswordInURL("https://u@z/x:y@"))
    }

    @Test("retrybackoff sets the pause before a retried request (short by default), and is checked")
    func retryBackOff() throws {
        func section(_ values: [String: String]) -> ConfigSection {
            ConfigSection(name: "zfssa", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
        }
        let defaults = try ApplianceConnectionSettings(section: section(["url": "https://z"]), endpointKey: "url")
        #expect(defaults.retryPolicy.initialBackoff == .milliseconds(500))
        #expect(defaults.retryPolicy.backoff(beforeAttempt: 3) == .seconds(1))
        let quick = try ApplianceConnectionSettings(
            section: section(["url": "https://z", "retrybackoff": "0.2", "retries": "4"]), endpointKey: "url")
        #expect(quick.retryPolicy.initialBackoff == .milliseconds(200))
        #expect(quick.retryPolicy.backoff(beforeAttempt: 4) == .milliseconds(800))
        for bad in ["0", "-1", "61", "soon"] {
            let refused = #expect(throws: ConfigError.self, "retrybackoff: \(bad)") {
                try ApplianceConnectionSettings(
                    section: section(["url": "https://z", "retrybackoff": bad]), endpointKey: "url")
            }
            #expect(refused?.problems.map(\.key) == ["retrybackoff"])
        }
    }
}
