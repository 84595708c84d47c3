import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageONTAP
import Testing

/// `[netapp]` read into an ``ONTAPConfiguration`` (no cluster needed).
@Suite("ONTAP configuration")
struct ONTAPConfigurationTests {
    func section(_ values: [String: String]) -> ConfigSection {
        ConfigSection(name: "netapp", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
    }

    func driver(_ configuration: ONTAPConfiguration) throws -> ONTAPDriver {
        try ONTAPDriver(
            configuration: configuration,
            context: StorageDriverContext(
                databaseName: "orcl", credentials: StorageCredential(user: "u", password: "p"),
                logger: Logger(label: "t")),
            transport: { _ throws(StorageError) in NoTransport() })
    }

    @Test func everySettingIsRead() throws {
        let configuration = try ONTAPConfiguration(
            section: section([
                "filer": "filer1.example.com", "volumeprefix": "bk_", "svm": "svm1", "mounthost": "nfs1",
                "timeout": "30", "jobtimeout": "600", "retries": "10", "cacert": "/etc/ca.pem", "aggregate": "aggr1",
                "volumesize": "2T", "junctionparent": "/backup", "exportpolicy": "oracle",
            ]), database: StorageDatabase(name: "orcl", additionalVolumeSuffixes: ["_b", "_c"]))
        #expect(configuration.connection.endpoint == "filer1.example.com")
        #expect(configuration.volumePrefix == "bk_")
        #expect(configuration.additionalSuffixes == ["_b", "_c"])
        #expect(configuration.svm == "svm1")
        #expect(configuration.mountHost == "nfs1")
        #expect(configuration.connection.timeout == .seconds(30))
        #expect(configuration.jobTimeout == .seconds(600))
        #expect(configuration.connection.retries == 10)
        #expect(configuration.connection.caFile == "/etc/ca.pem")
        #expect(configuration.volumeCreation.aggregate == "aggr1")
        #expect(configuration.volumeCreation.size == 2 << 40)
        #expect(configuration.volumeCreation.junctionParent == "/backup")
        #expect(configuration.volumeCreation.exportPolicy == "oracle")
        let ontap = try driver(configuration)
        #expect(ontap.volumeNames == ["bk_orcl", "bk_orcl_b", "bk_orcl_c"])
        #expect(ontap.mountHost == "nfs1")
    }

    @Test func anEmptyPrefixIsAPrefixAndTheMountHostIsTheFilersHost() throws {
        let configuration = try ONTAPConfiguration(
            section: section(["filer": "https://filer1.example.com:8443", "volumeprefix": ""]),
            database: StorageDatabase(name: "orcl"))
        #expect(configuration.volumePrefix == "")
        #expect(configuration.jobTimeout == .seconds(300))
        #expect(configuration.volumeCreation.exportPolicy == "default")
        #expect(try driver(configuration).mountHost == "filer1.example.com")
        #expect(try driver(configuration).volumeNames == ["orcl"])
    }

    @Test func everyProblemIsReportedAtOnceNamingTheKey() {
        let error = #expect(throws: ConfigError.self) {
            try ONTAPConfiguration(
                section: section(["filer": "https://", "volumesize": "lots", "jobtimeout": "0"]),
                database: StorageDatabase(name: "orcl"))
        }
        let problems = error?.problems ?? []
        #expect(
            Set(problems.compactMap(\.key)) == ["filer", "volumeprefix", "volumesize", "jobtimeout"], "\(problems)")
        #expect(problems.first { $0.key == "volumesize" }?.message == "must be a size such as 500G or 2T, not 'lots'")
        #expect(
            problems.first { $0.key == "jobtimeout" }?.message
                == "'0' is not a positive number of seconds (at most 31536000)")
    }

    /// `ontapapi`: `auto` unless set (a configuration of the original gets ZAPI on a cluster without REST), any
    /// case; another value is refused naming the key.
    @Test func ontapapiIsReadAndCheckedNamingTheKey() throws {
        let plain = try ONTAPConfiguration(
            section: section(["filer": "f", "volumeprefix": ""]), database: StorageDatabase(name: "orcl"))
        #expect(plain.api == .auto)
        #expect(try driver(plain).api == .auto)
        for (text, api) in [("rest", ONTAPDriver.API.rest), ("ZAPI", .zapi), ("auto", .auto)] {
            let configuration = try ONTAPConfiguration(
                section: section(["filer": "f", "volumeprefix": "", "ontapapi": text]),
                database: StorageDatabase(name: "orcl"))
            #expect(configuration.api == api)
            #expect(try driver(configuration).api == api)
        }
        let error = #expect(throws: ConfigError.self) {
            try ONTAPConfiguration(
                section: section(["filer": "f", "volumeprefix": "", "ontapapi": "soap"]),
                database: StorageDatabase(name: "orcl"))
        }
        let problem = error?.problems.first
        #expect(problem?.key == "ontapapi")
        #expect(problem?.message == "must be rest, zapi or auto, not 'soap'")
        #expect("\(error.map { "\($0)" } ?? "")".contains("ontapapi"))
        #expect(ONTAPDriver.descriptor.optionalKeys.contains("ontapapi"))
    }

    /// `snaplockdays` needs REST: `ontapapi: zapi` with locks is refused naming the key; `rest` and `auto` are
    /// accepted (`auto` fails at run time on a cluster without REST, naming the same fix).
    @Test func zapiWithSnapshotLocksIsRefusedNamingTheKey() throws {
        let locked = StorageDatabase(name: "orcl", snapshotLockDays: 7)
        let error = #expect(throws: ConfigError.self) {
            try ONTAPConfiguration(
                section: section(["filer": "f", "volumeprefix": "", "ontapapi": "zapi"]), database: locked)
        }
        #expect(error?.problems.first?.key == "ontapapi")
        #expect(error?.problems.first?.message.contains("zapi cannot lock snapshots, but snaplockdays is 7") == true)
        for text in ["rest", "auto"] {
            _ = try ONTAPConfiguration(
                section: section(["filer": "f", "volumeprefix": "", "ontapapi": text]), database: locked)
        }
        _ = try ONTAPConfiguration(
            section: section(["filer": "f", "volumeprefix": "", "ontapapi": "zapi"]),
            database: StorageDatabase(name: "orcl"))
    }

    /// The original let `netappcredentials.cfg` override the filer and other settings in a `[netapp]` section;
    /// a problem with such a value names that file.
    @Test func theCredentialsFileOverridesSettingsAndProblemsNameIt() throws {
        let directory = NSTemporaryDirectory() + "oib-ontap-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let credentials = directory + "/netappcredentials.cfg"
        _ = FileManager.default.createFile(
            atPath: credentials,
            contents: Data("[netappcredentials]\nuser: a\npassword: b\n[netapp]\nfiler: http://filer9\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let configuration = BackupConfiguration(
            text: "[netapp]\nfiler: filer1\nvolumeprefix: bk_\ncacert: ca.pem\n[orcl]\ndbid: 1\n",
            path: directory + "/backup.cfg")
        let section = configuration.storageSection(
            "netapp", database: "orcl", credentials: ONTAPDriver.descriptor.credentials)
        let error = #expect(throws: ConfigError.self) {
            try ONTAPConfiguration(section: section, database: StorageDatabase(name: "orcl"))
        }
        let problem = try #require(error?.problems.first)
        #expect(problem.file == credentials)
        #expect(problem.section == "netapp")
        #expect(problem.key == "filer")
        #expect(problem.line == 5)
        _ = FileManager.default.createFile(
            atPath: credentials,
            contents: Data("[netappcredentials]\nuser: a\npassword: b\n[netapp]\nfiler: other-filer\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let overridden = try ONTAPConfiguration(
            section: configuration.storageSection(
                "netapp", database: "orcl", credentials: ONTAPDriver.descriptor.credentials),
            database: StorageDatabase(name: "orcl"))
        #expect(overridden.connection.endpoint == "other-filer")
        #expect(overridden.connection.caFile == directory + "/certs/ca.pem")
    }

    @Test func descriptorKnowsTheOriginalsNames() {
        let descriptor = ONTAPDriver.descriptor
        #expect(descriptor.name == "ontap")
        #expect(Set(descriptor.moduleNames) == ["netapp", "ontap"])
        #expect(Set(descriptor.classNames) == ["netapp", "ontap"])
        #expect(descriptor.sectionName == "netapp")
        #expect(descriptor.credentials?.settingsSection == "netapp")
    }
}
