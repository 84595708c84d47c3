import ConfigModel
import Logging
import StorageKit
import StorageZFSSA
import Testing

/// `[zfssa]` read into a ``ZFSSAConfiguration`` (no appliance needed).
@Suite("ZFSSA configuration")
struct ZFSSAConfigurationTests {
    static let database = StorageDatabase(name: "orcl")

    func section(_ values: [String: String]) -> ConfigSection {
        ConfigSection(name: "zfssa", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
    }

    @Test func everySettingIsRead() throws {
        let configuration = try ZFSSAConfiguration(
            section: section([
                "url": "https://zfssa01:215", "pool": "pool1", "project": "demo-backup", "apiversion": "v2",
                "authentication": "Session", "timeout": "12.5", "retries": "5", "cacert": "zfs-ca.pem",
                "insecure": "true", "mounthost": "nfs1",
            ]), database: Self.database)
        #expect(configuration.connection.endpoint == "https://zfssa01:215")
        #expect(configuration.pool == "pool1")
        #expect(configuration.project == "demo-backup")
        #expect(configuration.apiVersion == 2)
        #expect(configuration.authentication == .session)
        #expect(configuration.connection.timeout == .milliseconds(12_500))
        #expect(configuration.connection.retries == 5)
        #expect(configuration.connection.retryPolicy.maxAttempts == 5)
        // A bare file name is looked for in certs/ beside the configuration, as the original did.
        #expect(configuration.connection.caFile == "/etc/oib/certs/zfs-ca.pem")
        #expect(configuration.connection.insecure)
        #expect(configuration.mountHost == "nfs1")
        #expect(configuration.warnings.isEmpty)
    }

    @Test func defaultsAreTheOriginals() throws {
        let configuration = try ZFSSAConfiguration(
            section: section(["url": "https://zfssa01:215", "pool": "p", "project": "x"]), database: Self.database)
        #expect(configuration.apiVersion == 1)
        #expect(configuration.authentication == .basic)
        #expect(configuration.connection.timeout == .seconds(300))
        #expect(configuration.connection.retries == 3)
        #expect(configuration.connection.caFile == nil)
        #expect(!configuration.connection.insecure)
        #expect(configuration.mountHost == nil)
        // The driver's mount host is then the URL's host.
        let driver = try ZFSSADriver(
            configuration: configuration,
            context: StorageDriverContext(
                databaseName: "orcl", credentials: StorageCredential(user: "u", password: "p"),
                logger: Logger(label: "t")),
            transport: { _ throws(StorageError) in NoNetwork() })
        #expect(driver.mountHost == "zfssa01")
        #expect(driver.apiVersion == 1)
        #expect(driver.project == "x")
    }

    @Test func everyProblemIsReportedAtOnceNamingTheKey() throws {
        let error = #expect(throws: ConfigError.self) {
            try ZFSSAConfiguration(
                section: section([
                    "url": "not a url", "apiversion": "3", "authentication": "kerberos", "retries": "11",
                    "timeout": "soon", "insecure": "yes",
                ]), database: Self.database)
        }
        let problems = error?.problems ?? []
        #expect(
            Set(problems.compactMap(\.key)) == [
                "url", "pool", "project", "apiversion", "authentication", "retries", "timeout", "insecure",
            ], "\(problems)")
        #expect(problems.allSatisfy { $0.section == "zfssa" && $0.file == "/etc/oib/backup.cfg" })
        let missing = try #require(problems.first { $0.key == "pool" })
        #expect(missing.message == "required key is missing (set it in [zfssa], or as zfssapool in [orcl])")
        #expect(problems.first { $0.key == "apiversion" }?.message == "must be 1 or 2, not '3'")
        #expect(problems.first { $0.key == "retries" }?.message == "11 is out of range: must be between 1 and 10")
    }

    @Test func plainHTTPIsRefusedUnlessAllowedAndThenWarnedAbout() throws {
        let plain = ["url": "http://zfssa01:215", "pool": "p", "project": "x"]
        let refused = #expect(throws: ConfigError.self) {
            try ZFSSAConfiguration(section: section(plain), database: Self.database)
        }
        #expect(refused?.problems.map(\.key) == ["url"])
        #expect(refused?.description.contains("allowplainhttp: TRUE in [zfssa]") == true)
        var allowed = plain
        allowed["allowplainhttp"] = "TRUE"
        let configuration = try ZFSSAConfiguration(section: section(allowed), database: Self.database)
        #expect(configuration.connection.isPlainHTTP)
        #expect(
            configuration.warnings == [
                "[zfssa] url is plain http:// (allowplainhttp: TRUE): the appliance credentials and all data travel unencrypted"
            ])
    }

    @Test func aPasswordInTheURLIsRefusedWithoutShowingIt() {
        let error = #expect(throws: ConfigError.self) {
            try ZFSSAConfiguration(
                section: section(["url": "https://admin:Pw-canary@zfssa01:215", "pool": "p", "project": "x"]),
                database: Self.database)
        }
        #expect(error?.problems.map(\.key) == ["url"])
        #expect(error?.description.contains("zfscredentials.cfg") == true)
        #expect(error?.description.contains("Pw-canary") == false)
    }

    @Test func perDatabaseOverridesComeFromTheDatabaseSection() throws {
        let configuration = BackupConfiguration(
            text: """
                [zfssa]
                url: https://zfssa01:215
                pool: pool1
                project: shared
                [orcl]
                dbid: 1
                zfssaproject: orcl-only
                """, path: "/etc/oib/backup.cfg")
        let section = configuration.storageSection(
            "zfssa", database: "orcl", credentials: ZFSSADriver.descriptor.credentials)
        let zfssa = try ZFSSAConfiguration(section: section, database: Self.database)
        #expect(zfssa.project == "orcl-only")
        #expect(zfssa.pool == "pool1")
    }

    @Test func descriptor() {
        let descriptor = ZFSSADriver.descriptor
        #expect(descriptor.moduleNames == ["zfssa"])
        #expect(descriptor.sectionName == "zfssa")
        #expect(descriptor.requiredKeys == ["url", "pool", "project"])
        #expect(descriptor.credentials?.file == "zfscredentials.cfg")
        #expect(descriptor.credentials?.userKey == "zfsuser")
    }
}

/// A transport for tests that must not touch the network.
struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        throw HTTPTransportError(.connection, "no network in this test")
    }
}
