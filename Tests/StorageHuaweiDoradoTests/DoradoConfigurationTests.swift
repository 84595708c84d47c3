import ConfigModel
import Logging
import StorageHuaweiDorado
import StorageKit
import Testing

/// `[huaweidorado]` read into a ``HuaweiDoradoConfiguration`` (no array needed).
@Suite("Dorado configuration")
struct DoradoConfigurationTests {
    static let database = StorageDatabase(name: "orcl")

    func section(_ values: [String: String], database: String = "orcl") -> ConfigSection {
        ConfigSection(name: "huaweidorado", database: database, values: values, file: "/etc/oib/backup.cfg")
    }

    static let minimal = [
        "url": "https://dorado01:8088", "vstore": "backupstore", "mounthost": "dorado-nfs",
        "restorenfsclient": "10.20.30.40",
    ]

    @Test func everySettingIsRead() throws {
        var values = Self.minimal
        values["cacert"] = "dorado-ca.pem"
        values["timeout"] = "30"
        values["retries"] = "5"
        values["maxnamelength"] = "64"
        let configuration = try HuaweiDoradoConfiguration(section: section(values), database: Self.database)
        #expect(configuration.connection.endpoint == "https://dorado01:8088")
        #expect(configuration.connection.caFile == "/etc/oib/certs/dorado-ca.pem")
        #expect(!configuration.connection.insecure)
        #expect(configuration.connection.timeout == .seconds(30))
        #expect(configuration.connection.retries == 5)
        #expect(configuration.vstore == "backupstore")
        #expect(configuration.mountHost == "dorado-nfs")
        #expect(configuration.restoreNFSClient == "10.20.30.40")
        #expect(configuration.maxNameLength == 64)
        let driver = try HuaweiDoradoDriver(
            configuration: configuration,
            context: StorageDriverContext(
                databaseName: "orcl", credentials: StorageCredential(user: "u", password: "p"),
                logger: Logger(label: "t")),
            transport: { _ throws(StorageError) in NoNetwork() })
        #expect(driver.vstore == "backupstore")
        #expect(driver.maxNameLength == 64)
        #expect(
            driver.mountString(clone: Clone(name: "c", originVolume: "orcl", originSnapshot: "s", mountPoint: nil))
                == "dorado-nfs:/c/")
    }

    @Test func defaults() throws {
        let configuration = try HuaweiDoradoConfiguration(section: section(Self.minimal), database: Self.database)
        #expect(configuration.maxNameLength == 31)
        #expect(configuration.connection.timeout == .seconds(300))
        #expect(configuration.connection.caFile == nil)
        #expect(!configuration.connection.insecure)
    }

    @Test func everyProblemIsReportedAtOnceNamingTheKey() throws {
        let error = #expect(throws: ConfigError.self) {
            try HuaweiDoradoConfiguration(
                section: section([
                    "url": "dorado01", "restorenfsclient": "10.0.0.1, 10.0.0.2", "maxnamelength": "300",
                    "insecure": "yes",
                ]), database: Self.database)
        }
        let problems = error?.problems ?? []
        #expect(
            Set(problems.compactMap(\.key)) == [
                "url", "vstore", "mounthost", "restorenfsclient", "maxnamelength", "insecure",
            ], "\(problems)")
        #expect(problems.allSatisfy { $0.section == "huaweidorado" && $0.file == "/etc/oib/backup.cfg" })
        let missing = try #require(problems.first { $0.key == "vstore" })
        #expect(
            missing.message == "required key is missing (set it in [huaweidorado], or as huaweidoradovstore in [orcl])")
        #expect(problems.contains { $0.key == "restorenfsclient" && $0.message.contains("no blanks or commas") })
    }

    @Test func aDatabaseNameTooLongForSnapshotNamesIsRefusedUpFront() throws {
        let error = #expect(throws: ConfigError.self) {
            try HuaweiDoradoConfiguration(
                section: section(Self.minimal, database: "averyverylongdbname"),
                database: StorageDatabase(name: "averyverylongdbname"))
        }
        let problem = try #require(error?.problems.first)
        #expect(problem.key == "maxnamelength")
        #expect(problem.message.contains("35 characters"), "\(problem)")
        #expect(problem.message.contains("at most 15 characters"))
        var relaxed = Self.minimal
        relaxed["maxnamelength"] = "40"
        _ = try HuaweiDoradoConfiguration(
            section: section(relaxed, database: "averyverylongdbname"),
            database: StorageDatabase(name: "averyverylongdbname"))
        _ = try HuaweiDoradoConfiguration(
            section: section(Self.minimal, database: "fifteen_chars15"),
            database: StorageDatabase(name: "fifteen_chars15"))
    }

    @Test func plainHTTPAndPasswordsInTheURLAreRefused() {
        var plain = Self.minimal
        plain["url"] = "http://dorado01:8088"
        let refused = #expect(throws: ConfigError.self) {
            try HuaweiDoradoConfiguration(section: section(plain), database: Self.database)
        }
        #expect(refused?.problems.map(\.key) == ["url"])
        var secret = Self.minimal
        secret["url"] = "https://admin:Pw-canary@dorado01:8088"
        let error = #expect(throws: ConfigError.self) {
            try HuaweiDoradoConfiguration(section: section(secret), database: Self.database)
        }
        #expect(error?.description.contains("huaweidoradocredentials.cfg") == true)
        #expect(error?.description.contains("Pw-canary") == false)
    }

    @Test func descriptor() {
        let descriptor = HuaweiDoradoDriver.descriptor
        #expect(descriptor.name == "huaweidorado")
        #expect(descriptor.moduleNames == ["huawei", "huaweidorado"])
        #expect(descriptor.classNames == ["huaweidorado"])
        #expect(descriptor.sectionName == "huaweidorado")
        #expect(descriptor.requiredKeys == ["url", "vstore", "mounthost", "restorenfsclient"])
        #expect(descriptor.credentials?.file == "huaweidoradocredentials.cfg")
        #expect(descriptor.credentials?.userVariable == "DBBACKUPSUITE_HUAWEI_USER")
    }
}
