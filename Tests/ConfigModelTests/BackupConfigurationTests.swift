import Foundation
import Testing

@testable import ConfigModel

#if canImport(Glibc)
    import Glibc
#endif

/// The package's root, found from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh temporary directory for one test.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory().appendingPathComponent("oib-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func config(_ text: String, environment: [String: String] = [:]) -> BackupConfiguration {
    BackupConfiguration(text: text, path: "/etc/oib/backup.cfg", environment: environment)
}

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

@Suite("Configuration: lookup rules and typed settings")
struct BackupConfigurationTests {
    @Test(arguments: ["backup.zfssa.cfg", "backup.netapp.cfg", "backup.softnas.cfg", "backup.huawei.cfg"])
    func sampleConfigsAreValid(file: String) throws {
        let configuration = try BackupConfiguration.read(
            path: packageRoot.appendingPathComponent("configs/\(file)"), environment: [:])
        let problems = configuration.validateAll()
        #expect(problems.isEmpty, "\(problems)")
        #expect(!configuration.databaseNames.isEmpty)
    }

    @Test func zfssaSampleUsesEveryOverrideRule() throws {
        let configuration = try BackupConfiguration.read(
            path: packageRoot.appendingPathComponent("configs/backup.zfssa.cfg"), environment: [:])
        #expect(configuration.databaseNames == ["orcl", "cdb1", "olddb"])
        let orcl = try configuration.database("orcl", for: .everything)
        #expect(orcl.dbid == 1_433_672_784)
        #expect(orcl.storage.moduleName == "zfssa")
        let zfssa = configuration.section("zfssa", database: "orcl")
        #expect(try zfssa.string("project") == "demo-backup-orcl")  // zfssaproject override
        #expect(try zfssa.string("pool") == "pool1")
        // Python 2 examines only the first ';', which here has no space before it: nothing is cut.
        #expect(orcl.scheduleArchivelog == "FREQ=HOURLY;BYHOUR=21 ; kept, as the original keeps it")
        #expect(orcl.recoveryWindowDays == 2)
        #expect(orcl.backupDestination == "/nfs/backup/orcl")
        #expect(orcl.archivelogDirectory == "/nfs/backup/orcl/archivelog")
        #expect(orcl.generic.tnsAdmin == packageRoot.appendingPathComponent("configs/tns.prod"))
        #expect(orcl.customVerifyDate.hasPrefix("select max(d) from"))
        #expect(orcl.autorestore.validationModulus == 30)

        let cdb1 = try configuration.database("cdb1", for: .everything)
        #expect(cdb1.autorestoreThread == 3)
        #expect(cdb1.autorestore.pgaSize == "2G")
        #expect(cdb1.autorestore.sgaSize == "4G")
        #expect(cdb1.autorestore.snapshotAgeHours == 4)
        #expect(cdb1.rman.sectionSize == "32G")
        #expect(cdb1.validationScheduleKey == "cdb1-shifted")
        #expect(try configuration.section("zfssa", database: "cdb1").string("project") == "demo-backup")

        let olddb = try configuration.database("olddb", for: [.backup])
        #expect(olddb.generic.oracleHome == "/u01/app/oracle/product/11.2.0.4/db")
        #expect(olddb.autorestoreEnabled == false)
        #expect(olddb.doSnapshot == false)
    }

    @Test func builtInDefaults() throws {
        let settings = try config(minimalBackup).database("orcl", for: [.backup, .storage, .retention])
        #expect(settings.registerCatalog == false)
        #expect(settings.hasDataGuard == false)
        #expect(settings.doSnapshot)
        #expect(settings.gridInfrastructureManaged)
        #expect(settings.scheduleBackup == "FREQ=DAILY")
        #expect(settings.scheduleArchivelog == "FREQ=HOURLY;INTERVAL=6")
        #expect(settings.snapshotExpirationMonths == 0)  // no crash, documented default
        #expect(settings.backupJobEnabled)
        #expect(settings.rman.sectionSize == "")
        #expect(settings.autorestore.pgaSize == "1G")
        #expect(settings.autorestore.sgaSize == "2G")
        #expect(settings.generic.backupDestinationShared)
        #expect(settings.primaryTNS == "orcl")
        #expect(settings.customVerifyDate == "select max(time_dp) from sys.smon_scn_time")
        #expect(settings.autorestoreEnabled)
        #expect(settings.autorestoreInstanceNumber == 1)
        #expect(settings.autorestoreThread == 1)
        #expect(settings.generic.requireMount)
        #expect(settings.markerQuery == nil)
    }

    @Test func pathsAreCleanedLexicallyAndLinksKept() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/target", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link", withDestinationPath: directory + "/target")
        let configuration = BackupConfiguration(text: minimalBackup, path: directory + "/backup.cfg", environment: [:])
        // A link (a mount point made by a simulated NFS mount, a symlinked backup area) stays as written.
        #expect(configuration.resolvePath(directory + "/link") == directory + "/link")
        #expect(configuration.resolvePath("link") == directory + "/link")
        #expect(configuration.resolvePath("/a//b/./c/../d/") == "/a/b/d")
        #expect(configuration.resolvePath("/../x") == "/x")
        #expect(configuration.resolvePath("sub/../tns") == directory + "/tns")
    }

    @Test func oracleHomeDefaultsToEnvironment() throws {
        let text = minimalBackup.replacingOccurrences(of: "oraclehome: /u01/db\n", with: "")
        let settings = try config(text, environment: ["ORACLE_HOME": "/opt/oracle"]).database("orcl", for: [.backup])
        #expect(settings.generic.oracleHome == "/opt/oracle")
        let problems = config(text).databaseCollectingProblems("orcl", for: [.backup]).1
        #expect(problems.map(\.key) == ["oraclehome"])
    }

    @Test func backupDestinationNotShared() throws {
        let text = minimalBackup + "\ngenericbackupdestshared: FALSE\ngenericbackupdest: /nfs/orclarea\n"
        let settings = try config(text).database("orcl", for: [.backup])
        #expect(settings.backupDestination == "/nfs/orclarea")
    }

    @Test func databasesAreRecognisedByDbid() throws {
        let text =
            minimalBackup + "\n[softnas]\nserveraddress: x\n[huaweidorado]\nurl: y\n[misc]\nfoo: 1\n[db2]\ndbid: 5\n"
        #expect(config(text).databaseNames == ["orcl", "db2"])
    }

    @Test func interpolationInConfigValues() throws {
        let text =
            "[DEFAULT]\nroot: /nfs\n"
            + minimalBackup.replacingOccurrences(
                of: "backupdest: /nfs/backup", with: "backupdest: %(root)s/backup")
        #expect(try config(text).database("orcl", for: [.backup]).backupDestination == "/nfs/backup/orcl")
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let text = """
            [generic]
            logretention: seven
            backupdest: /nfs/backup
            maxlockwait: -3
            [orcl]
            dbid: abc
            recoverywindow: 2
            parallel: x
            dosnapshot: yes
            """
        let problems = config(text).validateAll()
        let keys = Set(problems.compactMap(\.key))
        #expect(
            keys.isSuperset(of: [
                "logretention", "maxlockwait", "snappermodule", "dbid", "parallel",
                "dosnapshot", "tnsadmin", "oraclehome",
            ]))
        let logretention = try #require(problems.first { $0.key == "logretention" })
        #expect(logretention.line == 2)
        #expect(logretention.section == "generic")
        #expect(
            logretention.description == "/etc/oib/backup.cfg:2: [generic] logretention: 'seven' is not a whole number")
        let module = try #require(problems.first { $0.key == "snappermodule" })
        #expect(module.message.contains("required key is missing"))
        let missing = try #require(problems.first { $0.key == "tnsadmin" })
        #expect(missing.message.contains("set it in [generic], or as generictnsadmin in [orcl]"))
    }

    @Test func duplicateSectionIsAProblem() {
        let problems = config(minimalBackup + "\n[orcl]\ndbid: 2\n").validateAll()
        #expect(problems.contains { $0.message.contains("defined twice") && $0.line == 16 })
    }

    @Test func missingDbidMeansNotADatabase() {
        let text = minimalBackup.replacingOccurrences(of: "dbid: 1433672784\n", with: "")
        let (settings, problems) = config(text).databaseCollectingProblems("orcl", for: [.backup])
        #expect(settings != nil)
        #expect(problems.contains { $0.key == "dbid" && $0.message.contains("not a database") })
        #expect(config(text).validateAll().contains { $0.message.contains("no database sections") })
    }

    @Test func unknownDatabaseNamesTheKnownOnes() {
        let problems = config(minimalBackup).databaseCollectingProblems("prod", for: [.backup]).1
        #expect(problems.first?.message == "no section [prod] for this database (databases in this file: orcl)")
    }

    @Test func actionsRequireOnlyWhatTheyUse() throws {
        // No storage, no osuser, no catalog: a plain backup action still loads.
        let text = minimalBackup.replacingOccurrences(of: "snappermodule: localfs\n", with: "")
            .replacingOccurrences(of: "osuser: oracle\n", with: "")
        _ = try config(text).database("orcl", for: [.backup])
        let problems = config(text).databaseCollectingProblems("orcl", for: [.backup, .storage, .scheduling]).1
        #expect(Set(problems.compactMap(\.key)) == ["snappermodule", "osuser"])
    }

    @Test func catalogRequiredOnlyWhenRegistering() {
        let text = minimalBackup.replacingOccurrences(of: "catalog: /@rman\n", with: "")
        #expect(config(text).databaseCollectingProblems("orcl", for: [.backup]).1.isEmpty)
        let registering = text + "\nregistercatalog: TRUE\n"
        #expect(config(registering).databaseCollectingProblems("orcl", for: [.backup]).1.map(\.key) == ["catalog"])
    }

    @Test func gfsRetentionNeedsNoSnapexpirationdays() {
        let gfs = minimalBackup.replacingOccurrences(
            of: "snapexpirationdays: 31", with: "snapretention: GFS\nsnapkeepdaily: 7")
        #expect(config(gfs).validateAll().isEmpty, "\(config(gfs).validateAll())")
        #expect(config(gfs).databaseCollectingProblems("orcl", for: [.retention]).1.isEmpty)
        // The reference scheme (the default) still needs it.
        let reference = minimalBackup.replacingOccurrences(of: "snapexpirationdays: 31", with: "")
        #expect(
            config(reference).databaseCollectingProblems("orcl", for: [.retention]).1.map(\.key) == [
                "snapexpirationdays"
            ])
    }
}

@Suite("Configuration files on disk")
struct ConfigurationFileTests {
    @Test func missingFileIsNamed() throws {
        let error = #expect(throws: ConfigError.self) {
            try BackupConfiguration.read(path: "/nonexistent/backup.cfg", environment: [:])
        }
        #expect(error?.description == "/nonexistent/backup.cfg: configuration file not found")
    }

    @Test func directoryIsNotAConfigFile() throws {
        let directory = try makeTemporaryDirectory()
        let error = #expect(throws: ConfigError.self) {
            try BackupConfiguration.read(path: directory, environment: [:])
        }
        #expect(error?.description.contains("is a directory") == true)
    }

    @Test func unreadableFileIsNamed() throws {
        // As root every permission check passes, so use a file whose read fails.
        let path: String
        if getuid() == 0 {
            path = "/proc/self/mem"
        } else {
            path = try makeTemporaryDirectory().appendingPathComponent("backup.cfg")
            _ = FileManager.default.createFile(
                atPath: path, contents: Data("[s]\n".utf8), attributes: [.posixPermissions: 0])
        }
        let error = #expect(throws: ConfigError.self) { try BackupConfiguration.read(path: path, environment: [:]) }
        #expect(error?.description.contains("cannot be read") == true)
    }

    @Test func nonUTF8FileIsNamed() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("backup.cfg")
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x5B, 0xFF, 0xFE, 0x5D]))
        let error = #expect(throws: ConfigError.self) { try BackupConfiguration.read(path: path, environment: [:]) }
        #expect(error?.description.contains("not UTF-8") == true)
    }

    @Test func locateOrder() throws {
        let executableDirectory = try makeTemporaryDirectory()
        let current = try makeTemporaryDirectory()
        _ = FileManager.default.createFile(
            atPath: executableDirectory.appendingPathComponent("backup.cfg"), contents: nil)
        _ = FileManager.default.createFile(
            atPath: executableDirectory.appendingPathComponent("backup.prod.cfg"), contents: nil)
        _ = FileManager.default.createFile(atPath: current.appendingPathComponent("mine.cfg"), contents: nil)
        func locate(_ explicit: String?, _ environment: [String: String]) throws -> String {
            try BackupConfiguration.locate(
                explicitPath: explicit, environment: environment,
                executableDirectory: executableDirectory, currentDirectory: current)
        }
        #expect(try locate(nil, [:]) == executableDirectory.appendingPathComponent("backup.cfg"))
        #expect(
            try locate(nil, ["BACKUPCONFIG": "backup.prod.cfg"])
                == executableDirectory.appendingPathComponent("backup.prod.cfg"))
        #expect(try locate(nil, ["BACKUPCONFIG": "mine.cfg"]) == current.appendingPathComponent("mine.cfg"))
        #expect(
            try locate("mine.cfg", ["BACKUPCONFIG": "backup.prod.cfg"]) == current.appendingPathComponent("mine.cfg"))
        #expect(throws: ConfigError.self) { try locate(nil, ["BACKUPCONFIG": "absent.cfg"]) }
        try FileManager.default.removeItem(atPath: executableDirectory.appendingPathComponent("backup.cfg"))
        #expect(throws: ConfigError.self) { try locate(nil, [:]) }
    }
}

/// Credentials layouts as the storage modules declare them (ConfigModel itself knows none).
enum TestLayouts {
    static let zfssa = StorageCredentialsLayout(
        file: "zfscredentials.cfg", section: "zfscredentials", userKey: "zfsuser", passwordKey: "zfspassword")
    static let netapp = StorageCredentialsLayout(
        file: "netappcredentials.cfg", section: "netappcredentials", settingsSection: "netapp")
    static let softnas = StorageCredentialsLayout(file: "softnascredentials.cfg", section: "credentials")
    static let huawei = StorageCredentialsLayout(
        file: "huaweidoradocredentials.cfg", section: "credentials", userVariable: "DBBACKUPSUITE_HUAWEI_USER",
        passwordVariable: "DBBACKUPSUITE_HUAWEI_PASSWORD", homeFile: ".dbbackupsuite_storage.cfg",
        homeFileSection: "huaweicredentials")
}

@Suite("Storage credentials files")
struct CredentialsTests {
    func configuration(in directory: String, module: String = "localfs") -> BackupConfiguration {
        BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: \(module)"),
            path: directory.appendingPathComponent("backup.cfg"), environment: ["HOME": directory])
    }

    func write(_ text: String, to path: String, mode: Int) {
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    @Test func credentialsLoadAndMaskPassword() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        write(
            "[zfscredentials]\nzfsuser: backup\nzfspassword: s3cret\n",
            to: directory.appendingPathComponent("zfscredentials.cfg"), mode: 0o600)
        let credentials = try configuration(in: directory).loadCredentials(TestLayouts.zfssa)
        #expect(credentials.user == "backup")
        #expect(credentials.password == "s3cret")
        #expect(credentials.source == directory.appendingPathComponent("zfscredentials.cfg"))
        #expect(!credentials.description.contains("s3cret"))
    }

    /// The original accepted a 0644 credentials file (its documentation made them so): a WARNING with the exact
    /// `chmod 600` to run, and the credentials load.
    @Test func worldReadableCredentialsLoadWithAWarning() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory.appendingPathComponent("netappcredentials.cfg")
        write("[netappcredentials]\nuser: a\npassword: b\n", to: path, mode: 0o644)
        let credentials = try configuration(in: directory).loadCredentials(TestLayouts.netapp)
        #expect(credentials.user == "a")
        #expect(
            credentials.warnings == [
                "\(path): credentials file is readable by group or others (mode 0644); it holds a storage password. Run: chmod 600 \(path)"
            ])
        write("[netappcredentials]\nuser: a\npassword: b\n", to: path, mode: 0o600)
        #expect(try configuration(in: directory).loadCredentials(TestLayouts.netapp).warnings == [])
    }

    /// Refused: a file that others could have changed (group or world writable).
    @Test(arguments: [0o664, 0o646, 0o622, 0o666])
    func writableCredentialsAreRefused(mode: Int) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory.appendingPathComponent("zfscredentials.cfg")
        write("[zfscredentials]\nzfsuser: a\nzfspassword: b\n", to: path, mode: mode)
        let error = #expect(throws: ConfigError.self) {
            try configuration(in: directory).loadCredentials(TestLayouts.zfssa)
        }
        #expect(error?.description.contains("\(path): credentials file can be changed by group or others") == true)
        #expect(error?.description.contains("chmod 600 \(path)") == true)
        #expect(error?.description.contains("zfspassword") == false)
    }

    /// Refused: a file another non-root user owns. Root-owned files are accepted (an admin installed them).
    @Test func credentialsOwnedByAnotherUserAreRefused() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory.appendingPathComponent("zfscredentials.cfg")
        write("[zfscredentials]\nzfsuser: a\nzfspassword: b\n", to: path, mode: 0o600)
        // As root, hand the file to another user; otherwise pretend to be another user.
        var runningAs = geteuid() + 1
        if geteuid() == 0 {
            #expect(try BackupConfiguration.checkPermissions(path: path, effectiveUser: 4242) == nil)  // root's file
            try #require(chown(path, 4242, 4242) == 0)
            runningAs = 0
        }
        let error = #expect(throws: ConfigError.self) {
            try BackupConfiguration.checkPermissions(path: path, effectiveUser: runningAs)
        }
        #expect(error?.description.contains("owned by another user (uid") == true)
        #expect(
            try BackupConfiguration.checkPermissions(path: path, effectiveUser: geteuid() == 0 ? 4242 : geteuid())
                == nil)
    }

    @Test func missingCredentialKeyIsNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory.appendingPathComponent("softnascredentials.cfg")
        write("[credentials]\nuser: a\n", to: path, mode: 0o600)
        let error = #expect(throws: ConfigError.self) {
            try configuration(in: directory).loadCredentials(TestLayouts.softnas)
        }
        #expect(error?.problems.first?.key == "password")
        #expect(error?.problems.first?.file == path)
    }

    /// Environment variables first, then the file in the home directory, then the file beside the configuration
    /// (the original's order for Huawei).
    @Test func credentialSourcePriority() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        write(
            "[credentials]\nuser: file\npassword: p1\n",
            to: directory.appendingPathComponent("huaweidoradocredentials.cfg"), mode: 0o600)
        var configuration = configuration(in: directory, module: "huawei")
        #expect(try configuration.loadCredentials(TestLayouts.huawei).user == "file")
        write(
            "[huaweicredentials]\nuser: home\npassword: p2\n",
            to: directory.appendingPathComponent(".dbbackupsuite_storage.cfg"), mode: 0o600)
        #expect(try configuration.loadCredentials(TestLayouts.huawei).user == "home")
        configuration = BackupConfiguration(
            text: minimalBackup, path: directory.appendingPathComponent("backup.cfg"),
            environment: ["HOME": directory, "DBBACKUPSUITE_HUAWEI_USER": "env", "DBBACKUPSUITE_HUAWEI_PASSWORD": "p3"])
        let fromEnvironment = try configuration.loadCredentials(TestLayouts.huawei)
        #expect(fromEnvironment.user == "env")
        #expect(fromEnvironment.source == "DBBACKUPSUITE_HUAWEI_USER")
        // A layout without those sources reads only its own file.
        #expect(throws: ConfigError.self) { try configuration.loadCredentials(TestLayouts.zfssa) }
    }

    /// The credentials file's settings section (the original's `[netapp]` in `netappcredentials.cfg`) wins over
    /// the configuration, and says where each of its values came from.
    @Test func credentialsFileOverridesStorageSettings() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let credentials = directory.appendingPathComponent("netappcredentials.cfg")
        write(
            "[netappcredentials]\nuser: a\npassword: b\n[netapp]\nfiler: other-filer\ncacert: ca.pem\n",
            to: credentials, mode: 0o600)
        let text =
            minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: netapp")
            + "\n[netapp]\nfiler: cfg-filer\nvolumeprefix: bk_\n"
        let configuration = BackupConfiguration(
            text: text, path: directory.appendingPathComponent("backup.cfg"), environment: [:])
        let section = configuration.storageSection("netapp", database: "orcl", credentials: TestLayouts.netapp)
        #expect(try section.string("filer") == "other-filer")
        #expect(try section.value("filer")?.file == credentials)
        #expect(try section.value("filer")?.line == 5)
        #expect(try section.string("volumeprefix") == "bk_")
        #expect(try section.path("cacert", bareNamesIn: "certs") == directory.appendingPathComponent("certs/ca.pem"))
        #expect(section.keys == ["cacert", "filer", "volumeprefix"])
        // Without the layout's settings section, the configuration's value stands.
        #expect(
            try configuration.storageSection("netapp", database: "orcl", credentials: nil).string("filer")
                == "cfg-filer")
    }
}
