// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "oracle-imagecopy-backup",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConfigModel", targets: ["ConfigModel"]),
        .library(name: "ToolSupport", targets: ["ToolSupport"]),
        .library(name: "OracleTools", targets: ["OracleTools"]),
        .library(name: "StorageRetention", targets: ["StorageRetention"]),
        .library(name: "SnapperEngine", targets: ["SnapperEngine"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "StandardDrivers", targets: ["StandardDrivers"]),
        .library(name: "StandardCatalogs", targets: ["StandardCatalogs"]),
        .library(name: "CommandSupport", targets: ["CommandSupport"]),
        .library(name: "BackupCommands", targets: ["BackupCommands"]),
        .library(name: "SnapperCommands", targets: ["SnapperCommands"]),
        .library(name: "AutorestoreCommands", targets: ["AutorestoreCommands"]),
        .library(name: "RestoreCommands", targets: ["RestoreCommands"]),
        .library(name: "ReportCommands", targets: ["ReportCommands"]),
        .library(name: "AutorestoreEngine", targets: ["AutorestoreEngine"]),
        .library(name: "BackupEngine", targets: ["BackupEngine"]),
        .library(name: "ResultCatalog", targets: ["ResultCatalog"]),
        .library(name: "ResultCatalogSQLite", targets: ["ResultCatalogSQLite"]),
        .library(name: "ResultCatalogPostgres", targets: ["ResultCatalogPostgres"]),
        .library(name: "ResultCatalogOracle", targets: ["ResultCatalogOracle"]),
        .library(name: "RetentionPolicy", targets: ["RetentionPolicy"]),
        .executable(name: "backup", targets: ["backup"]),
        .executable(name: "snapper", targets: ["snapper"]),
        .executable(name: "autorestore", targets: ["autorestore"]),
        .executable(name: "restore", targets: ["restore"]),
        .executable(name: "report", targets: ["report"]),
        .library(name: "StorageKit", targets: ["StorageKit"]),
        .library(name: "StorageKitTesting", targets: ["StorageKitTesting"]),
        .library(name: "StorageLocalFS", targets: ["StorageLocalFS"]),
        .library(name: "StorageBtrfs", targets: ["StorageBtrfs"]),
        .library(name: "StorageOpenZFS", targets: ["StorageOpenZFS"]),
        .library(name: "StorageHTTP", targets: ["StorageHTTP"]),
        .library(name: "StorageZFSSA", targets: ["StorageZFSSA"]),
        .library(name: "StorageONTAP", targets: ["StorageONTAP"]),
        .library(name: "StorageSoftNAS", targets: ["StorageSoftNAS"]),
        .library(name: "StorageHuaweiDorado", targets: ["StorageHuaweiDorado"]),
        .library(name: "OracleSimulator", targets: ["OracleSimulator"]),
        .executable(name: "oracle-sim", targets: ["oracle-sim"]),
        .library(name: "StorageSimulator", targets: ["StorageSimulator"]),
        .executable(name: "storage-sim", targets: ["storage-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        .target(name: "ConfigModel"),
        .testTarget(name: "ConfigModelTests", dependencies: ["ConfigModel"]),
        .target(
            name: "ToolSupport", dependencies: ["CProcessSpawn", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ToolSupportTests", dependencies: ["ToolSupport"]),
        .target(name: "CProcessSpawn"),
        .target(
            name: "OracleTools",
            dependencies: [
                "ConfigModel", "ToolSupport", .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/templates")]),
        .testTarget(name: "OracleToolsTests", dependencies: ["OracleTools"]),
        // The command layer: parse, build an engine, run it, print, map the outcome to an exit code. One module
        // per executable, so each links only what its tool uses.
        .target(
            name: "CommandSupport",
            dependencies: [
                "ConfigModel", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "BackupCommands",
            dependencies: [
                "CommandSupport", "ConfigModel", "ToolSupport", "OracleTools", "BackupEngine", "StorageKit",
                "StorageRetention", "StandardDrivers", "StandardCatalogs", "ResultCatalog", "RetentionPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "SnapperCommands",
            dependencies: [
                "CommandSupport", "ConfigModel", "ToolSupport", "StorageKit", "StorageRetention", "SnapperEngine",
                "StandardDrivers",
                "StandardCatalogs", "Reporting", "RetentionPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "AutorestoreCommands",
            dependencies: [
                "CommandSupport", "ConfigModel", "ToolSupport", "OracleTools", "AutorestoreEngine", "StorageKit",
                "StandardDrivers", "StandardCatalogs", "ResultCatalog", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "RestoreCommands",
            dependencies: [
                "CommandSupport", "ConfigModel", "ToolSupport", "OracleTools", "AutorestoreEngine", "StorageKit",
                "StandardDrivers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "backup", dependencies: ["BackupCommands", "CommandSupport"]),
        .executableTarget(name: "snapper", dependencies: ["SnapperCommands", "CommandSupport"]),
        .executableTarget(name: "autorestore", dependencies: ["AutorestoreCommands", "CommandSupport"]),
        .executableTarget(name: "restore", dependencies: ["RestoreCommands", "CommandSupport"]),
        // `report`: reads every database's storage and results catalog (read-only); AutorestoreEngine only for the
        // validation schedule.
        .target(
            name: "ReportCommands",
            dependencies: [
                "CommandSupport", "ConfigModel", "ToolSupport", "Reporting", "ResultCatalog", "StorageKit",
                "StandardDrivers", "StandardCatalogs", "AutorestoreEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "report", dependencies: ["ReportCommands", "CommandSupport"]),
        .testTarget(
            name: "ReportingTests",
            dependencies: [
                "Reporting", "ReportCommands", "CommandSupport", "ConfigModel", "ResultCatalog", "ResultCatalogSQLite",
                "ResultCatalogPostgres", "StorageKit", "StorageLocalFS", "AutorestoreCommands", "AutorestoreEngine",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "CommandLayerTests",
            dependencies: [
                "CommandSupport", "BackupCommands", "SnapperCommands", "AutorestoreCommands", "RestoreCommands",
                "BackupEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Composition: the only targets that know every storage vendor and every catalog backend.
        .target(
            name: "StandardDrivers",
            dependencies: [
                "ConfigModel", "StorageKit", "StorageLocalFS", "StorageBtrfs", "StorageHTTP", "StorageZFSSA",
                "StorageONTAP", "StorageSoftNAS", "StorageHuaweiDorado", "StorageOpenZFS",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "StandardDriversTests",
            dependencies: ["StandardDrivers", "ConfigModel", "StorageKit", "StorageONTAP"]),
        .target(
            name: "StandardCatalogs",
            dependencies: [
                "ConfigModel", "OracleTools", "RetentionPolicy", "StorageRetention", "ResultCatalog",
                "ResultCatalogSQLite", "ResultCatalogPostgres", "ResultCatalogOracle",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Snapshot retention over a storage driver (the pure rules are RetentionPolicy's).
        .target(
            name: "StorageRetention",
            dependencies: [
                "ConfigModel", "StorageKit", "RetentionPolicy", .product(name: "Logging", package: "swift-log"),
            ]),
        // The snapper operations on one database's storage (snapshots under the backup lock, clones, retention,
        // the guarded manual drop), as typed calls.
        .target(
            name: "SnapperEngine",
            dependencies: [
                "ConfigModel", "StorageKit", "StorageRetention", "RetentionPolicy", "ToolSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Monitoring output: the Nagios checks, the report and its table, JSON, HTML page and Prometheus textfile.
        .target(
            name: "Reporting",
            dependencies: [
                "StorageKit", "ResultCatalog", "ToolSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "AutorestoreEngine",
            dependencies: [
                "ConfigModel", "OracleTools", "ToolSupport", "StorageKit", "ResultCatalog",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "AutorestoreEngineTests",
            dependencies: [
                "AutorestoreEngine", "StorageKitTesting", "ResultCatalog", "ResultCatalogSQLite",
                "ResultCatalogPostgres", "ResultCatalogOracle",
            ]),
        // Results catalogs: the protocol and its value types, then one target per backend, so an embedder who
        // wants SQLite links neither libpq nor the Oracle tools.
        .target(name: "ResultCatalog"),
        .target(
            name: "ResultCatalogSQLite", dependencies: ["ResultCatalog", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // libpq, loaded with dlopen when a PostgreSQL catalog is opened: no build-time or start-up dependency.
        .target(name: "CLibPQ", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "ResultCatalogPostgres",
            dependencies: ["ResultCatalog", "CLibPQ", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "ResultCatalogOracle",
            dependencies: ["ResultCatalog", "OracleTools", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "BackupEngine",
            dependencies: [
                "ConfigModel", "OracleTools", "ToolSupport", "StorageKit", "RetentionPolicy", "StorageRetention",
                "ResultCatalog", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "BackupEngineTests",
            dependencies: [
                "BackupEngine", "ConfigModel", "StorageKit", "StorageKitTesting", "ToolSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ConfigModel", "AutorestoreEngine", "StorageKit", "StorageHTTP", "ResultCatalog", "ResultCatalogSQLite",
                "ResultCatalogPostgres", "ResultCatalogOracle",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "RetentionPolicy"),
        .testTarget(name: "RetentionPolicyTests", dependencies: ["RetentionPolicy"]),
        .executableTarget(
            name: "retention-bench", dependencies: ["RetentionPolicy"], path: "Benchmarks/RetentionBenchmark"),
        .target(
            name: "StorageKit",
            dependencies: ["ConfigModel", "ToolSupport", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageKitTesting", dependencies: ["StorageKit", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageLocalFS",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageBtrfs",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "StorageKitTests", dependencies: ["ConfigModel", "StorageKit", "StorageKitTesting", "Reporting"]),
        .testTarget(name: "StorageLocalFSTests", dependencies: ["ConfigModel", "StorageLocalFS", "StorageKitTesting"]),
        .testTarget(name: "StorageBtrfsTests", dependencies: ["ConfigModel", "StorageBtrfs", "StorageKitTesting"]),
        .target(
            name: "StorageOpenZFS",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "StorageOpenZFSTests", dependencies: ["ConfigModel", "StorageOpenZFS", "StorageKitTesting"],
            resources: [.copy("Fixtures")]),
        // Stand-ins for Oracle and the storage appliances (tests, demo, benchmarks): not part of the product.
        .target(name: "OracleSimulator", path: "Simulators/OracleSimulator"),
        .executableTarget(name: "oracle-sim", dependencies: ["OracleSimulator"], path: "Simulators/oracle-sim"),
        .testTarget(
            name: "OracleSimulatorTests", dependencies: ["OracleSimulator", "oracle-sim", "ConfigModel", "ToolSupport"]),
        // HTTP to the appliances on the system libcurl: CCurl gives its declarations (headers of Debian/Ubuntu
        // libcurl4-openssl-dev, RHEL libcurl-devel; Scripts/test.sh checks them with pkg-config), CCurlLoader loads
        // the library with dlopen at the first request, so tools that never talk HTTP do not map it.
        .systemLibrary(
            name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"]), .yum(["libcurl-devel"]), .brew(["curl"])]),
        .target(
            name: "CCurlLoader", dependencies: ["CCurl"],
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "StorageHTTP",
            dependencies: ["StorageKit", "CCurl", "CCurlLoader", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageZFSSA",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        // libxml2 for ONTAP's ZAPI, loaded with dlopen when the first ZAPI document is built (like libcurl), through
        // opaque handles: no libxml2 header is needed to build (see decisions.md, "ZAPI over libxml2").
        .target(name: "CLibXML2", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(
            name: "StorageONTAP",
            dependencies: ["ConfigModel", "StorageKit", "CLibXML2", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageSoftNAS",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageHuaweiDorado",
            dependencies: ["ConfigModel", "StorageKit", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "StorageSimulator",
            dependencies: [
                "StorageKit", "ToolSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Simulators/StorageSimulator"),
        .executableTarget(
            name: "storage-sim",
            dependencies: ["StorageSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Simulators/storage-sim"),
        .testTarget(name: "StorageSimulatorTests", dependencies: ["StorageSimulator"]),
        .testTarget(
            name: "StorageHTTPTests",
            dependencies: ["ConfigModel", "StorageHTTP", "StorageSimulator", "StorageKitTesting"]),
        .testTarget(
            name: "StorageZFSSATests",
            dependencies: ["ConfigModel", "StorageZFSSA", "StorageHTTP", "StorageSimulator", "StorageKitTesting"]),
        .testTarget(
            name: "StorageONTAPTests",
            dependencies: [
                "ConfigModel", "StorageONTAP", "StorageHTTP", "StorageSimulator", "StorageKitTesting", "StorageRetention",
                "RetentionPolicy",
            ]),
        .testTarget(
            name: "StorageSoftNASTests",
            dependencies: ["ConfigModel", "StorageSoftNAS", "StorageHTTP", "StorageSimulator", "StorageKitTesting"]),
        .testTarget(
            name: "StorageHuaweiDoradoTests",
            dependencies: [
                "ConfigModel", "StorageHuaweiDorado", "StorageHTTP", "StorageSimulator", "StorageKitTesting",
            ]),
        // Fuzzing of the parsers (not part of the product): the harness, its runner for Scripts/fuzz.sh, and the
        // bounded smoke run of the test suite.
        .target(
            name: "FuzzHarness",
            dependencies: [
                "ConfigModel", "OracleTools", "ToolSupport", "StorageKit", "StorageZFSSA", "StorageONTAP",
                "StorageBtrfs", "Reporting",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzzing/FuzzHarness"),
        .executableTarget(name: "oib-fuzz", dependencies: ["FuzzHarness"], path: "Fuzzing/oib-fuzz"),
        .testTarget(name: "FuzzSmokeTests", dependencies: ["FuzzHarness"]),
        // Examples: templates for embedders, built and run in CI. Product code never depends on them.
        // CustomStorageDriver: a driver of one's own (PlainDirectoryDriver), a program that registers and uses it,
        // and its test (the StorageKitTesting conformance suite, and a run of the built program).
        .target(
            name: "PlainDirectoryDriver",
            dependencies: ["StorageKit", .product(name: "Logging", package: "swift-log")],
            path: "Examples/CustomStorageDriver/Sources/PlainDirectoryDriver"),
        .executableTarget(
            name: "example-custom-driver",
            dependencies: ["PlainDirectoryDriver", "StorageKit", .product(name: "Logging", package: "swift-log")],
            path: "Examples/CustomStorageDriver/Sources/example-custom-driver"),
        .testTarget(
            name: "CustomStorageDriverTests",
            dependencies: ["PlainDirectoryDriver", "example-custom-driver", "StorageKitTesting"],
            path: "Examples/CustomStorageDriver/Tests/CustomStorageDriverTests"),
        // NightlyBackup, RetentionPreview, FleetRestoreTest: programs that embed the engines; EndToEndTests runs each
        // against oracle-sim and localfs (ExampleProgramTests).
        .executableTarget(
            name: "example-nightly-backup",
            dependencies: [
                "BackupEngine", "ConfigModel", "StandardDrivers", "StandardCatalogs", "StorageRetention",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/NightlyBackup"),
        .executableTarget(
            name: "example-retention-preview",
            dependencies: [
                "ConfigModel", "RetentionPolicy", "StandardDrivers", "StandardCatalogs", "StorageRetention",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/RetentionPreview"),
        .executableTarget(
            name: "example-fleet-restore",
            dependencies: ["AutorestoreEngine", "ConfigModel", "StandardDrivers", "StandardCatalogs"],
            path: "Examples/FleetRestoreTest"),
    ],
    swiftLanguageModes: [.v6]
)
