import ConfigModel
import Foundation
import Logging
import StandardDrivers
import StorageKit
import Testing

/// The package's root, found from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let minimalBackup = """
    [generic]
    logretention: 7
    backupdest: /nfs/backup
    tnsadmin: tns
    osuser: oracle
    oraclehome: /u01/db
    maxlockwait: 5
    snappermodule: localfs
    [rman]
    catalog: /@rman
    [orcl]
    dbid: 1433672784
    recoverywindow: 2
    parallel: 4
    snapexpirationdays: 31
    """

/// `minimalBackup` on `module` with `storage` appended and `database` lines added to `[orcl]`, read with the
/// standard registry.
func configuration(
    _ storage: String = "", module: String = "localfs", database: String = "", directory: String = "/etc/oib",
    environment: [String: String] = [:]
) -> BackupConfiguration {
    BackupConfiguration(
        text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: \(module)")
            .replacingOccurrences(of: "[orcl]\n", with: "[orcl]\n\(database)\n") + "\n\(storage)\n",
        path: directory + "/backup.cfg", environment: environment, storageModules: StandardDrivers.registry)
}

func problems(_ configuration: BackupConfiguration, for purposes: ConfigPurpose = [.storage]) -> [ConfigProblem] {
    configuration.databaseCollectingProblems("orcl", for: purposes).1
}

func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "oib-standard-drivers-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Standard drivers: the one list of storage modules")
struct StandardRegistryTests {
    @Test func everyModuleNameOfTheOriginalIsKnown() {
        let registry = StandardDrivers.registry
        #expect(
            registry.names == [
                "btrfs", "huawei", "huaweidorado", "localfs", "netapp", "ontap", "openzfs", "softnas", "zfssa",
            ])
        #expect(registry.registration(forModule: "netapp")?.descriptor.name == "ontap")
        #expect(registry.registration(forModule: "HUAWEI")?.descriptor.name == "huaweidorado")
        #expect(
            registry.descriptors.map(\.sectionName) == [
                "localfs", "btrfs", "openzfs", "zfssa", "netapp", "softnas", "huaweidorado",
            ])
        #expect(registry.registration(forModule: "softnas")?.isAvailable == true)
        #expect(registry.registration(forModule: "huawei")?.isAvailable == true)
        #expect(registry.registration(forModule: "zfssa")?.isAvailable == true)
        #expect(registry.registration(forModule: "openzfs")?.isAvailable == true)
        #expect(
            registry.registration(forModule: "openzfs")?.descriptor.capabilities == [
                .clone, .listClones, .spaceUsage, .createVolume, .lock, .replication,
            ])
    }

    @Test(arguments: ["backup.zfssa.cfg", "backup.netapp.cfg", "backup.softnas.cfg", "backup.huawei.cfg"])
    func sampleConfigsAreValid(file: String) throws {
        let configuration = try BackupConfiguration.read(
            path: packageRoot + "/configs/" + file, environment: [:], storageModules: StandardDrivers.registry)
        let problems = configuration.validateAll()
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func anUnknownModuleNamesTheKnownOnes() throws {
        let found = problems(configuration(module: "emc"), for: [])
        let problem = try #require(found.first { $0.key == "snappermodule" })
        #expect(
            problem.message
                == "unknown storage vendor 'emc' (known: btrfs, huawei, huaweidorado, localfs, netapp, ontap, openzfs, softnas, zfssa)"
        )
        #expect(problem.section == "generic")
        #expect(problem.line == 8)
    }

    @Test func mismatchedSnapperClass() {
        let found = problems(configuration(module: "zfssa\nsnapperclass: Netapp"))
        #expect(found.contains { $0.key == "snapperclass" && $0.message.contains("expected one of: zfssa") })
        #expect(found.contains { $0.section == "zfssa" && $0.key == "url" })
        let netapp = configuration("[netapp]\nfiler: f\nvolumeprefix: x", module: "netapp\nsnapperclass: NetApp")
        #expect(problems(netapp).isEmpty)
    }

    @Test func missingSectionKeysAreNamedOnlyWhenStorageIsUsed() {
        let zfssa = configuration("[zfssa]\nurl: https://z", module: "zfssa")
        #expect(problems(zfssa, for: [.backup]).isEmpty)
        let found = problems(zfssa)
        #expect(found.map(\.key) == ["pool", "project"], "\(found)")
        #expect(found.first?.description.contains("[zfssa] pool: required key is missing") == true)
        let huawei = problems(configuration("[huaweidorado]\nurl: https://h", module: "huawei"))
        #expect(Set(huawei.compactMap(\.key)) == ["vstore", "mounthost", "restorenfsclient"], "\(huawei)")
    }

    @Test func theLocalDriversRootDefaultsToTheBackupDestination() throws {
        let shared = configuration(module: "localfs")
        let driver = try StandardDrivers.driver(
            for: try shared.database("orcl", for: [.storage]), configuration: shared, logger: Logger(label: "t"))
        #expect(driver.vendor == "localfs")
        #expect(driver.capabilities.contains(.localClones))
        let configured = try StandardDrivers.registry.configuredStorage(
            for: try shared.database("orcl", for: [.storage]), in: shared)
        #expect(configured.database.backupRoot == "/nfs/backup")
        // backupdestshared: FALSE: backupdest is the database's own area; the root is the directory holding it.
        let own = configuration("[btrfs]\n", module: "btrfs", database: "genericbackupdestshared: FALSE")
        let ownDriver = try StandardDrivers.driver(
            for: try own.database("orcl", for: [.storage]), configuration: own, logger: Logger(label: "t"))
        #expect(ownDriver.vendor == "btrfs")
        #expect(
            try StandardDrivers.registry.configuredStorage(for: try own.database("orcl", for: [.storage]), in: own)
                .database.backupRoot == "/nfs")
    }

    @Test func anApplianceDriverNeedsItsCredentialsAndClonesAreNotLocal() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let zfssa = configuration(
            "[zfssa]\nurl: https://127.0.0.1:9\npool: p\nproject: x", module: "zfssa", directory: directory)
        let settings = try zfssa.database("orcl", for: [.storage])
        let missing = #expect(throws: ConfigError.self) {
            try StandardDrivers.driver(for: settings, configuration: zfssa, logger: Logger(label: "t"))
        }
        #expect(missing?.description == "\(directory)/zfscredentials.cfg: credentials file not found")
        _ = FileManager.default.createFile(
            atPath: directory + "/zfscredentials.cfg",
            contents: Data("[zfscredentials]\nzfsuser: u\nzfspassword: p\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let driver = try StandardDrivers.driver(for: settings, configuration: zfssa, logger: Logger(label: "t"))
        #expect(driver.vendor == "zfssa")
        #expect(!driver.capabilities.contains(.localClones))
    }

    /// SoftNAS: checkconfig accepts its configuration; its driver needs the credentials file and has no clones.
    @Test func softNASBuildsItsDriverFromTheOriginalsKeys() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let softnas = configuration(
            "[softnas]\nserveraddress: nas.example.com\npool: p", module: "softnas", directory: directory)
        #expect(problems(softnas).isEmpty)
        let settings = try softnas.database("orcl", for: [.storage])
        #expect(throws: ConfigError.self) {
            try StandardDrivers.driver(for: settings, configuration: softnas, logger: Logger(label: "t"))
        }
        _ = FileManager.default.createFile(
            atPath: directory + "/softnascredentials.cfg", contents: Data("[credentials]\nuser: u\npassword: p\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let driver = try StandardDrivers.driver(for: settings, configuration: softnas, logger: Logger(label: "t"))
        #expect(driver.vendor == "softnas")
        #expect(driver.capabilities == [.serverNamedSnapshots, .spaceUsage, .createVolume])
        let bad = configuration("[softnas]\nserveraddress: nas/x\npool: a b", module: "softnas", directory: directory)
        #expect(problems(bad).compactMap(\.key).sorted() == ["pool", "serveraddress"])
    }

    @Test func noModuleIsAConfigurationProblemNamingTheKey() throws {
        let none = BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs\n", with: ""),
            path: "/etc/oib/backup.cfg", storageModules: StandardDrivers.registry)
        let error = #expect(throws: ConfigError.self) {
            try StandardDrivers.driver(
                for: try none.database("orcl", for: [.backup]), configuration: none, logger: Logger(label: "t"))
        }
        #expect(
            error?.description == "/etc/oib/backup.cfg: [generic] snappermodule: no storage driver configured for orcl")
    }

    @Test func settingsReport() throws {
        let netapp = configuration(
            "[netapp]\nfiler: http://admin:pw@filer1\nvolumeprefix: bk_\nallowplainhttp: TRUE\ninsecure: TRUE",
            module: "netapp")
        let settings = try netapp.database("orcl", for: [])
        let lines = StandardDrivers.registry.settingsReport(for: settings, in: netapp).map {
            "\($0.key): \($0.value ?? "(not set)")"
        }
        #expect(
            lines == [
                "driver: ontap", "allowplainhttp: TRUE", "filer: http://admin:****@filer1", "insecure: TRUE",
                "volumeprefix: bk_", "tls verification: OFF (insecure: TRUE)",
                "plain http: ALLOWED for filer (allowplainhttp: TRUE)",
            ])
        let local = configuration(module: "localfs")
        #expect(
            StandardDrivers.registry.settingsReport(for: try local.database("orcl", for: []), in: local).map(\.key)
                == ["driver"])
    }
}
