import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageSimulator
import StorageSoftNAS
import Testing

let opensslAvailable = TestCertificates.opensslPath != nil
let opensslReason: Comment = "the openssl command is needed to make the test CA (Scripts/test.sh installs it)"

/// A running SoftNAS simulator over HTTPS with a test CA, and a way to build drivers against it.
struct SoftNASFixture: Sendable {
    let server: RunningSimulator
    let certificates: TestCertificates

    var engine: SimulatorEngine { server.engine }

    /// `host:port` of the simulator, as `serveraddress` gives it.
    var serverAddress: String { "\(server.host):\(server.port)" }

    func driver(
        _ database: String, pool: String = "pool1", password: String = "secret", timeout: Duration = .seconds(20),
        attempts: Int = 3, logger: Logger? = nil, caFile: String?? = nil, insecure: Bool = false
    ) throws(StorageError) -> SoftNASDriver {
        let log = logger ?? Logger(label: "softnas-test") { _ in SwiftLogNoOpLogHandler() }
        let transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: "softnas", caFile: caFile ?? certificates.caFile, insecure: insecure, logger: log))
        return try SoftNASDriver(
            volumeName: database, serverAddress: serverAddress, pool: pool,
            credential: StorageCredential(user: "admin", password: password), transport: transport, timeout: timeout,
            retryPolicy: HTTPRetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(50)), logger: log)
    }

    /// The request log as `METHOD page` lines (`POST login.php`, `POST snserver/snserv.php`, `GET logout.php`).
    func pages() async -> [String] {
        await engine.requestLog().map { "\($0.method) \($0.target.replacingOccurrences(of: "/softnas/", with: ""))" }
    }
}

func withSoftNAS<T>(
    seed: SimulatorSeed? = nil, configure: (inout SimulatorOptions) -> Void = { _ in },
    _ body: (SoftNASFixture) async throws -> T
) async throws -> T {
    let certificates = try await TestCertificates.shared()
    var options = SimulatorOptions(vendor: .softnas)
    configure(&options)
    return try await StorageSimulatorServer.withSimulator(options, tls: certificates.server, seed: seed) { server in
        try await body(SoftNASFixture(server: server, certificates: certificates))
    }
}
