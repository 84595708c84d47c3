import Foundation
import Logging
import StorageHTTP
import StorageHuaweiDorado
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

let opensslAvailable = TestCertificates.opensslPath != nil
let opensslReason: Comment = "the openssl command is needed to make the test CA (Scripts/test.sh installs it)"

/// The vStore the tests' drivers use: not the first one the simulator knows, so that a request that loses its
/// `vstoreId` (or spells it `vstoreid`) lands in another vStore and finds nothing.
let testVStore = "backupstore"

/// A running Dorado simulator over HTTPS with a test CA, and a way to build drivers against it.
struct DoradoFixture: Sendable {
    let server: RunningSimulator
    let certificates: TestCertificates

    var engine: SimulatorEngine { server.engine }

    func driver(
        _ database: String, vstore: String = testVStore, password: String = "secret",
        timeout: Duration = .seconds(20), attempts: Int = 3, maxNameLength: Int = 31, logger: Logger? = nil,
        caFile: String?? = nil, insecure: Bool = false
    ) throws(StorageError) -> HuaweiDoradoDriver {
        let log = logger ?? Logger(label: "dorado-test") { _ in SwiftLogNoOpLogHandler() }
        let transport = CurlTransport(
            options: HTTPTransportOptions(
                vendor: "huaweidorado", caFile: caFile ?? certificates.caFile, insecure: insecure, logger: log))
        return try HuaweiDoradoDriver(
            volumeName: database, url: server.baseURL, vstore: vstore, mountHost: "dorado-nfs",
            restoreNFSClient: "10.20.30.40", credential: StorageCredential(user: "admin", password: password),
            transport: transport, timeout: timeout,
            retryPolicy: HTTPRetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(50)),
            maxNameLength: maxNameLength, logger: log)
    }

    /// Requests whose target contains `text`.
    func requests(containing text: String) async -> [SimLogEntry] {
        await engine.requestLog().filter { $0.target.contains(text) }
    }
}

/// Runs `body` against a fresh Dorado simulator with vStores ``testVStore`` (the first, where seeds without a
/// `project` go) and `otherstore`, besides the system vStore (id 0) that requests without `vstoreId` address.
func withDorado<T>(
    seed: SimulatorSeed? = nil, configure: (inout SimulatorOptions) -> Void = { _ in },
    _ body: (DoradoFixture) async throws -> T
) async throws -> T {
    let certificates = try await TestCertificates.shared()
    var options = SimulatorOptions(vendor: .dorado)
    options.vstores = [testVStore, "otherstore"]
    configure(&options)
    return try await StorageSimulatorServer.withSimulator(options, tls: certificates.server, seed: seed) { server in
        try await body(DoradoFixture(server: server, certificates: certificates))
    }
}

/// A transport for tests that must not touch the network.
struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        throw HTTPTransportError(.connection, "no network in this test")
    }
}
