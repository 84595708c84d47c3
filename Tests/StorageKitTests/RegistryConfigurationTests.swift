import ConfigModel
import Logging
import StorageKit
import StorageKitTesting
import Testing

/// A typed configuration for the registry tests: `[memory]` with a required `pool`.
struct MemoryConfiguration: StorageSectionConfiguration {
    var pool: String
    var tag: String?

    init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        pool = try section.requiredString("pool")
        tag = try section.string("tag")
    }

    var warnings: [String] { tag == "warn" ? ["memory pool \(pool) is tagged warn"] : [] }
}

@Suite("Driver registry: the one list of drivers, and the configuration through it")
struct RegistryConfigurationTests {
    static let descriptor = StorageDriverDescriptor(
        name: "memory", moduleNames: ["oldmem", "memory"], classNames: ["OldMem", "memory"], sectionName: "memory",
        requiredKeys: ["pool"], optionalKeys: ["tag"])

    static func registry() -> StorageDriverRegistry {
        var registry = StorageDriverRegistry()
        let backend = InMemoryStorageBackend()
        registry.register(descriptor, configuration: MemoryConfiguration.self) { configuration, context in
            InMemoryStorageDriver(volumeName: context.databaseName, backend: backend)
        }
        registry.registerUnavailable(
            StorageDriverDescriptor(
                name: "future", moduleNames: ["future", "fut"], requiredKeys: ["address"], endpointKey: "address"))
        return registry
    }

    func configuration(_ storage: String, generic: String = "snappermodule: memory") -> BackupConfiguration {
        BackupConfiguration(
            text: """
                [generic]
                \(generic)
                \(storage)
                [orcl]
                dbid: 1
                """, path: "/etc/oib/backup.cfg", storageModules: Self.registry())
    }

    func problems(_ configuration: BackupConfiguration, for purposes: ConfigPurpose = [.storage]) -> [ConfigProblem] {
        configuration.databaseCollectingProblems("orcl", for: purposes).1
    }

    @Test func moduleAliasesSelectTheSameRegistration() {
        let registry = Self.registry()
        #expect(registry.names == ["fut", "future", "memory", "oldmem"])
        #expect(registry.registration(forModule: "OldMem")?.descriptor.name == "memory")
        #expect(registry.registration(forModule: " memory ")?.descriptor.name == "memory")
        #expect(registry.contains("FUT"))
        #expect(!registry.contains("emc"))
        #expect(registry.registration(forModule: "future")?.isAvailable == false)
        #expect(registry.descriptors.map(\.name) == ["memory", "future"])
    }

    @Test func aLaterRegistrationSharingAModuleNameReplacesTheEarlierOne() {
        var registry = Self.registry()
        registry.register("oldmem") { configuration throws(StorageError) in
            InMemoryStorageDriver(volumeName: configuration.databaseName, backend: InMemoryStorageBackend())
        }
        #expect(registry.names == ["fut", "future", "oldmem"])
    }

    @Test func anUnknownModuleIsNamedWithTheKnownOnes() throws {
        let found = problems(configuration("[memory]\npool: p", generic: "snappermodule: emc"), for: [])
        let problem = try #require(found.first)
        #expect(found.count == 1)
        #expect(problem.section == "generic")
        #expect(problem.key == "snappermodule")
        #expect(problem.line == 2)
        #expect(problem.message == "unknown storage vendor 'emc' (known: fut, future, memory, oldmem)")
    }

    @Test func theClassMustBelongToTheModule() throws {
        let found = problems(
            configuration("[memory]\npool: p", generic: "snappermodule: oldmem\nsnapperclass: Future"), for: [])
        let problem = try #require(found.first)
        #expect(problem.key == "snapperclass")
        #expect(
            problem.message == "class 'Future' does not belong to module 'oldmem' (expected one of: memory, oldmem)")
        #expect(
            problems(configuration("[memory]\npool: p", generic: "snappermodule: oldmem\nsnapperclass: OLDMEM")).isEmpty
        )
    }

    @Test func theSectionIsCheckedWhenStorageIsUsed() throws {
        let incomplete = configuration("[memory]\ntag: x")
        #expect(problems(incomplete, for: []).isEmpty)
        let found = problems(incomplete)
        #expect(found.map(\.key) == ["pool"])
        #expect(found.first?.message == "required key is missing (set it in [memory], or as memorypool in [orcl])")
        // A module without a driver in this build is refused (naming the available ones) and still checked.
        let future = problems(configuration("[future]\naddress: http://x", generic: "snappermodule: fut"))
        #expect(future.map(\.key) == ["snappermodule", "address"], "\(future)")
        #expect(future.last?.message.contains("allowplainhttp: TRUE") == true)
        // Without a catalog, a configuration cannot know modules.
        let plain = BackupConfiguration(
            text: "[generic]\nsnappermodule: emc\n[orcl]\ndbid: 1\n", path: "/etc/oib/backup.cfg")
        #expect(problems(plain).isEmpty)
        #expect(try plain.database("orcl", for: [.storage]).storage.moduleName == "emc")
    }

    /// Issue 18, item 4: checkconfig refuses a module that has no driver, naming the available ones; only where
    /// the storage is used (listing settings still works).
    @Test func aModuleWithoutADriverIsRefusedNamingTheAvailableOnes() throws {
        let future = configuration("[future]\naddress: https://x", generic: "snappermodule: fut")
        let found = problems(future)
        let problem = try #require(found.first)
        #expect(found.count == 1, "\(found)")
        #expect(problem.section == "generic" && problem.key == "snappermodule" && problem.line == 2)
        #expect(problem.message == "storage module 'fut' has no driver in this build (available: memory, oldmem)")
        #expect(problems(future, for: []).isEmpty)
        #expect(future.validateAll().contains(problem))
        #expect(Self.registry().availableNames == ["memory", "oldmem"])
    }

    /// Issue 18, item 3: `snaplockdays` needs a module whose driver declares `.lock`.
    @Test func snapLockDaysNeedsAModuleThatLocks() throws {
        func lockingConfiguration(_ days: Int, _ registry: StorageDriverRegistry = Self.registry())
            -> BackupConfiguration
        {
            BackupConfiguration(
                text: "[generic]\nsnappermodule: memory\n[memory]\npool: p\n[orcl]\ndbid: 1\nsnaplockdays: \(days)\n",
                path: "/etc/oib/backup.cfg", storageModules: registry)
        }
        let plain = lockingConfiguration(7)
        let found = problems(plain)
        let problem = try #require(found.first { $0.key == "snaplockdays" }, "\(found)")
        #expect(problem.section == "orcl")
        #expect(problem.line == 7)
        #expect(
            problem.message
                == "snaplockdays 7: storage module 'memory' cannot lock snapshots (modules that can: none); set snaplockdays: 0"
        )
        #expect(problems(lockingConfiguration(0)).isEmpty)
        #expect(problems(plain, for: []).isEmpty)

        var registry = Self.registry()
        var locking = Self.descriptor
        locking.capabilities = [.lock]
        let backend = InMemoryStorageBackend()
        registry.register(locking, configuration: MemoryConfiguration.self) { _, context in
            InMemoryStorageDriver(volumeName: context.databaseName, backend: backend)
        }
        #expect(problems(lockingConfiguration(7, registry)).isEmpty)
    }

    @Test func theDriverIsBuiltFromTheDatabasesSettings() throws {
        let configuration = configuration("[memory]\npool: p\ntag: warn")
        let settings = try configuration.database("orcl", for: [.storage])
        let (logger, logs) = RecordingLogHandler.makeLogger(label: "t")
        let registry = Self.registry()
        let driver = try registry.makeDriver(for: settings, in: configuration, logger: logger)
        #expect(driver.volumeName == "orcl")
        #expect(logs.records.map(\.message).contains("memory pool p is tagged warn"))
        let configured = try registry.configuredStorage(for: settings, in: configuration)
        #expect((configured.configuration as? MemoryConfiguration)?.pool == "p")
        #expect(
            registry.settingsReport(for: settings, in: configuration).map { "\($0.key)=\($0.value ?? "-")" } == [
                "driver=memory", "pool=p", "tag=warn",
            ])
    }

    @Test func buildingAnUnavailableDriverSaysSo() throws {
        let configuration = configuration("[future]\naddress: https://x", generic: "snappermodule: future")
        // The configuration check refuses the module (issue 18, item 4); building its driver says why too.
        #expect(throws: ConfigError.self) { try configuration.database("orcl", for: [.storage]) }
        let settings = try configuration.database("orcl", for: [])
        let error = #expect(throws: StorageError.self) {
            try Self.registry().makeDriver(for: settings, in: configuration, logger: Logger(label: "t"))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message == "storage driver 'future' is not available in this build")
    }

    @Test func noModuleIsAConfigurationErrorNamingTheKey() throws {
        let configuration = configuration("", generic: "")
        let settings = try configuration.database("orcl", for: [])
        let error = #expect(throws: ConfigError.self) {
            try Self.registry().makeDriver(for: settings, in: configuration, logger: Logger(label: "t"))
        }
        #expect(
            error?.description == "/etc/oib/backup.cfg: [generic] snappermodule: no storage driver configured for orcl")
    }

    @Test func anUntypedDriverGetsItsSectionsValues() throws {
        var registry = StorageDriverRegistry()
        let seen = Box()
        registry.register("plain") { configuration throws(StorageError) in
            seen.settings = configuration.settings
            return InMemoryStorageDriver(volumeName: configuration.databaseName, backend: InMemoryStorageBackend())
        }
        let configuration = BackupConfiguration(
            text:
                "[generic]\nsnappermodule: plain\nbackupdest: /b\n[plain]\nroot: /r\nmode: 1\n[orcl]\ndbid: 1\nplainmode: 2\n",
            path: "/etc/oib/backup.cfg", storageModules: registry)
        let settings = try configuration.database("orcl", for: [.storage])
        _ = try registry.makeDriver(for: settings, in: configuration, logger: Logger(label: "t"))
        #expect(seen.settings == ["root": "/r", "mode": "2", "backupdest": "/b"])
    }
}

/// Holds what a factory saw.
final class Box: @unchecked Sendable {
    var settings: [String: String] = [:]
}
