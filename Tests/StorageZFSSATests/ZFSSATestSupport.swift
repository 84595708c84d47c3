import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageZFSSA
import Testing

let opensslAvailable = TestCertificates.opensslPath != nil
let opensslReason: Comment = "the openssl command is needed to make the test CA (Scripts/test.sh installs it)"

/// A running ZFSSA simulator over HTTPS with a test CA, and a way to build drivers against it.
struct ZFSSAFixture: Sendable {
    let server: RunningSimulator
    let certificates: TestCertificates

    var engine: SimulatorEngine { server.engine }

    func driver(
        _ database: String, apiVersion: Int = 2, authentication: ZFSSAAuthentication = .basic,
        password: String = "secret", timeout: Duration = .seconds(20), attempts: Int = 3, logger: Logger? = nil,
        caFile: String?? = nil, insecure: Bool = false
    ) throws(StorageError) -> ZFSSADriver {
        let log = logger ?? Logger(label: "zfssa-test") { _ in SwiftLogNoOpLogHandler() }
        let transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: "zfssa", caFile: caFile ?? certificates.caFile, insecure: insecure, logger: log))
        return try ZFSSADriver(
            volumeName: database, url: server.baseURL, pool: "pool1", project: "demo-backup", apiVersion: apiVersion,
            authentication: authentication, credential: StorageCredential(user: "admin", password: password),
            transport: transport, timeout: timeout,
            retryPolicy: HTTPRetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(50)), logger: log)
    }

    /// Requests whose target contains `text`.
    func requests(containing text: String) async -> [SimLogEntry] {
        await engine.requestLog().filter { $0.target.contains(text) }
    }
}

func withZFSSA<T>(
    seed: SimulatorSeed? = nil, configure: (inout SimulatorOptions) -> Void = { _ in },
    _ body: (ZFSSAFixture) async throws -> T
) async throws -> T {
    let certificates = try await TestCertificates.shared()
    var options = SimulatorOptions(vendor: .zfssa)
    configure(&options)
    return try await StorageSimulatorServer.withSimulator(options, tls: certificates.server, seed: seed) { server in
        try await body(ZFSSAFixture(server: server, certificates: certificates))
    }
}
