import ConfigModel
import Logging
import StorageKit
import StorageSoftNAS
import Testing

/// `[softnas]` read into a ``SoftNASConfiguration`` (no appliance needed).
@Suite("SoftNAS configuration")
struct SoftNASConfigurationTests {
    static let database = StorageDatabase(name: "orcl")

    func section(_ values: [String: String]) -> ConfigSection {
        ConfigSection(name: "softnas", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
    }

    @Test func theOriginalsKeysAndTheApplianceKeys() throws {
        let configuration = try SoftNASConfiguration(
            section: section([
                "serveraddress": "softnas.example.com", "pool": "backuppool", "cacert": "nas.pem", "timeout": "60",
                "retries": "2",
            ]), database: Self.database)
        #expect(configuration.pool == "backuppool")
        #expect(configuration.baseURL == "https://softnas.example.com/softnas")
        #expect(configuration.connection.caFile == "/etc/oib/certs/nas.pem")
        #expect(configuration.connection.timeout == .seconds(60))
        #expect(configuration.connection.retries == 2)
        #expect(!configuration.connection.insecure)
        let driver = try SoftNASDriver(
            configuration: configuration,
            context: StorageDriverContext(
                databaseName: "orcl", credentials: StorageCredential(user: "u", password: "p"),
                logger: Logger(label: "t")),
            transport: { _ throws(StorageError) in NoNetwork() })
        #expect(driver.volumePath == "backuppool/orcl")
        #expect(driver.baseURL == "https://softnas.example.com/softnas")
    }

    @Test(
        arguments: [
            ("nas", "https://nas/softnas"), ("nas:8443", "https://nas:8443/softnas"),
            ("https://nas:8443/", "https://nas:8443/softnas"), ("HTTPS://nas", "HTTPS://nas/softnas"),
        ])
    func addresses(address: String, base: String) {
        #expect(SoftNASDriver.serverAddressProblem(address) == nil)
        #expect(SoftNASDriver.baseURL(serverAddress: address) == base)
    }

    @Test func everyProblemIsReportedAtOnceNamingTheKey() {
        let error = #expect(throws: ConfigError.self) {
            try SoftNASConfiguration(section: section(["serveraddress": "nas/some/path"]), database: Self.database)
        }
        let keys = error?.problems.map { $0.key ?? "" } ?? []
        #expect(keys.sorted() == ["pool", "serveraddress"], "\(String(describing: error))")
        #expect(error?.description.contains("[softnas] serveraddress") == true, "\(String(describing: error))")
        #expect(error?.description.contains("[softnas] pool") == true)
        let pool = #expect(throws: ConfigError.self) {
            try SoftNASConfiguration(
                section: section(["serveraddress": "nas", "pool": "a/b"]), database: Self.database)
        }
        #expect(pool?.problems.map(\.key) == ["pool"])
    }

    @Test func plainHTTPAndPasswordsInTheAddressAreRefused() {
        let plain = #expect(throws: ConfigError.self) {
            try SoftNASConfiguration(
                section: section(["serveraddress": "http://nas", "pool": "p"]), database: Self.database)
        }
        #expect(plain?.description.contains("allowplainhttp") == true)
        let allowed = try? SoftNASConfiguration(
            section: section(["serveraddress": "http://nas", "pool": "p", "allowplainhttp": "TRUE"]),
            database: Self.database)
        #expect(allowed?.warnings.count == 1)
        let secret = #expect(throws: ConfigError.self) {
            try SoftNASConfiguration(
                section: section(["serveraddress": "https://admin:hunter2@nas", "pool": "p"]), database: Self.database)
        }
        #expect(secret?.description.contains("hunter2") == false)
        #expect(secret?.problems.count == 1, "one problem, not a second one repeating the value")
    }
}

/// A transport that must never be used.
struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        throw HTTPTransportError(.connection, "no network in this test")
    }
}
