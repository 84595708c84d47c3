import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageONTAP
import StorageSimulator
import Testing

let opensslAvailable = TestCertificates.opensslPath != nil
let opensslReason: Comment = "the openssl command is needed to make the test CA (Scripts/test.sh installs it)"

/// A running ONTAP simulator over HTTPS with a test CA, and a way to build drivers against it.
struct ONTAPFixture: Sendable {
    let server: RunningSimulator
    let certificates: TestCertificates

    var engine: SimulatorEngine { server.engine }

    func driver(
        _ database: String, prefix: String = "nfs_", suffixes: [String] = [], password: String = "secret",
        timeout: Duration = .seconds(20), jobTimeout: Duration = .seconds(20), attempts: Int = 3,
        api: ONTAPDriver.API = .rest, logger: Logger? = nil
    ) throws(StorageError) -> ONTAPDriver {
        let log = logger ?? Logger(label: "ontap-test") { _ in SwiftLogNoOpLogHandler() }
        let transport = CurlTransport(
            options: HTTPTransportOptions(vendor: "ontap", caFile: certificates.caFile, logger: log))
        return try ONTAPDriver(
            volumeName: database, filer: server.baseURL, volumePrefix: prefix, additionalSuffixes: suffixes,
            svm: "svm1", credential: StorageCredential(user: "admin", password: password), transport: transport,
            timeout: timeout, jobTimeout: jobTimeout,
            retryPolicy: HTTPRetryPolicy(maxAttempts: attempts, initialBackoff: .milliseconds(50)),
            volumeCreation: .init(aggregate: "aggr1", size: 100 << 30, junctionParent: "/backup"), api: api, logger: log
        )
    }

    func requests(containing text: String) async -> [SimLogEntry] {
        await engine.requestLog().filter { $0.target.removingPercentEncoding?.contains(text) ?? false }
    }
}

func withONTAP<T>(
    seed: SimulatorSeed? = nil, configure: (inout SimulatorOptions) -> Void = { _ in },
    _ body: (ONTAPFixture) async throws -> T
) async throws -> T {
    let certificates = try await TestCertificates.shared()
    var options = SimulatorOptions(vendor: .ontap)
    configure(&options)
    return try await StorageSimulatorServer.withSimulator(options, tls: certificates.server, seed: seed) { server in
        try await body(ONTAPFixture(server: server, certificates: certificates))
    }
}
