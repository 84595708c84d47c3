import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@testable import StorageLocalFS

/// Conformance harness: a private root directory; each database's live area gets a few files to copy.
struct LocalFSHarness: StorageConformanceHarness {
    let root: String
    let logger: Logger
    let logs: RecordingLogHandler.Store

    init(parent: String = FileManager.default.temporaryDirectory.path) throws {
        root = "\(parent)/oib-localfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        (logger, logs) = RecordingLogHandler.makeLogger(label: "localfs-test")
    }

    func driver(_ database: String) -> LocalFSDriver {
        LocalFSDriver(volumeName: database, root: root, logger: logger)
    }

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = driver(database)
        _ = try await driver.createVolume()
        try populate(driver.volumePath)
        return driver
    }

    func populate(_ directory: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: "\(directory)/archivelog", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: "\(directory)/data_D-ORCL_FNO-1"))
        try Data("arch".utf8).write(to: URL(fileURLWithPath: "\(directory)/archivelog/1_1.arc"))
        try manager.createSymbolicLink(atPath: "\(directory)/latest", withDestinationPath: "data_D-ORCL_FNO-1")
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        try FileManager.default.createDirectory(atPath: "\(root)/.clones/\(name)", withIntermediateDirectories: true)
        try Data("not a clone".utf8).write(to: URL(fileURLWithPath: "\(root)/.clones/\(name)/file"))
        return true
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: "\(root)/.clones/\(name)/file")
    }

    func removeAll() {
        try? FileTree.removeTree(root)
    }
}

enum BtrfsEnvironment {
    /// Set by Scripts/fixtures.sh when a loop-mounted btrfs is available (root only).
    static let root: String? = ProcessInfo.processInfo.environment["OIB_BTRFS_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
}

@Suite("Conformance: localfs driver")
struct LocalFSConformanceTests {
    @Test("on the temporary directory's file system", arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        try await StorageConformanceSuite(harness: harness).run(check)
    }

    @Test(
        "on btrfs (reflink copies)",
        .enabled(
            if: BtrfsEnvironment.root != nil,
            "OIB_BTRFS_ROOT is not set: Scripts/fixtures.sh prepares a loop-mounted btrfs when run as root"),
        arguments: StorageConformanceSuite.Check.allCases)
    func conformanceOnBtrfs(_ check: StorageConformanceSuite.Check) async throws {
        let harness = try LocalFSHarness(parent: BtrfsEnvironment.root!)
        defer { harness.removeAll() }
        try await StorageConformanceSuite(harness: harness).run(check)
    }
}

@Suite("localfs driver")
struct LocalFSDriverTests {
    func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("snapshots are read-only copies with metadata; clones are writable copies")
    func snapshotAndCloneContents() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let driver = try #require(try await harness.makeDriver(database: "orcl") as? LocalFSDriver)
        let snapshot = try await driver.createSnapshot(named: "orcl-20161108T215336")
        #expect(snapshot.spaceTotal == 300_004)
        #expect(snapshot.spaceUnique == nil)

        let copy = driver.snapshotPath(snapshot.id)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(copy)/archivelog/1_1.arc")) == Data("arch".utf8))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(copy)/latest") == "data_D-ORCL_FNO-1")
        #expect(try permissions("\(copy)/data_D-ORCL_FNO-1") & 0o222 == 0)
        #expect(try permissions(copy) & 0o222 == 0)
        #expect(FileManager.default.fileExists(atPath: driver.snapshotMetadataPath(snapshot.id)))

        // Later changes to the live area do not reach the snapshot.
        try Data("changed".utf8).write(to: URL(fileURLWithPath: "\(driver.volumePath)/archivelog/1_1.arc"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(copy)/archivelog/1_1.arc")) == Data("arch".utf8))

        let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "autorestore")
        #expect(clone.mountPoint == "\(harness.root)/.clones/autorestore")
        #expect(driver.mountString(clone: clone) == "\(harness.root)/.clones/autorestore")
        let clonedFile = "\(harness.root)/.clones/autorestore/data_D-ORCL_FNO-1"
        #expect(try permissions(clonedFile) & 0o200 != 0)
        try Data("restore writes here".utf8).write(to: URL(fileURLWithPath: "\(harness.root)/.clones/autorestore/new"))

        let listed = try await driver.listSnapshots()
        #expect(listed.map(DisplayFormat.snapshotLine).first?.hasSuffix("total=292kB unique=unknown clones=1") == true)
        try await driver.dropClone(name: "autorestore")
        try await driver.deleteSnapshot(id: snapshot.id)
        #expect(!FileManager.default.fileExists(atPath: copy))
        #expect(!FileManager.default.fileExists(atPath: driver.snapshotMetadataPath(snapshot.id)))
    }

    @Test("a clone whose metadata names another database is refused and kept")
    func tamperedMetadata() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let own = harness.driver("orcl")
        _ = try await harness.makeDriver(database: "orcl")
        let snapshot = try await own.createSnapshot(named: "orcl-1")
        _ = try await own.cloneSnapshot(id: snapshot.id, cloneName: "c1")
        let other = try #require(try await harness.makeDriver(database: "prod") as? LocalFSDriver)
        do {
            try await other.dropClone(name: "c1")
            Issue.record("prod dropped orcl's clone")
        } catch {
            #expect(error.code == .notOwned)
            #expect(error.vendor == "localfs")
            #expect(error.operation == "dropClone")
        }
        #expect(FileManager.default.fileExists(atPath: "\(harness.root)/.clones/c1"))
        // A metadata file without its directory is not a clone either.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(harness.root)/.clones/ghost.json"))
        await #expect(throws: StorageError.self) { try await own.dropClone(name: "ghost") }
        #expect(FileManager.default.fileExists(atPath: "\(harness.root)/.clones/ghost.json"))
    }

    @Test("a damaged snapshot metadata file hides that snapshot with a warning, nothing else")
    func damagedMetadata() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let driver = try #require(try await harness.makeDriver(database: "orcl") as? LocalFSDriver)
        _ = try await driver.createSnapshot(named: "orcl-1")
        _ = try await driver.createSnapshot(named: "orcl-2")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: driver.snapshotMetadataPath("orcl-1")))
        let listed = try await driver.listSnapshots().map(\.id)
        #expect(listed == ["orcl-2"], "\(listed) \(harness.logs.messages(at: .warning))")
        #expect(harness.logs.messages(at: .warning).contains { $0.contains("orcl-1") })
        #expect(FileManager.default.fileExists(atPath: driver.snapshotPath("orcl-1")))
    }

    @Test("names that could escape the layout are rejected")
    func hostileNames() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let driver = try await harness.makeDriver(database: "orcl")
        for name in ["../orcl", "..", "a/b", ".snapshots", ""] {
            do {
                _ = try await driver.createSnapshot(named: name)
                Issue.record("snapshot named '\(name)' was accepted")
            } catch {
                #expect(error.code == .invalidName)
            }
            do {
                try await driver.dropClone(name: name)
                Issue.record("dropClone('\(name)') succeeded")
            } catch {
                #expect(error.code == .notFound)
            }
        }
        #expect(FileManager.default.fileExists(atPath: "\(harness.root)/orcl/data_D-ORCL_FNO-1"))
    }

    @Test("a missing backup area is notFound, not silently created")
    func missingVolume() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let driver = harness.driver("absent")
        do {
            _ = try await driver.createSnapshot(named: "absent-1")
            Issue.record("snapshot of a missing area succeeded")
        } catch {
            #expect(error.code == .notFound)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(harness.root)/absent"))
        _ = try await driver.createVolume()
        await #expect(throws: StorageError.self) { try await driver.createVolume() }
    }

    @Test("the byte-copy fallback copies content and counts files")
    func fallbackCopy() throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let source = "\(harness.root)/src"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try harness.populate(source)
        let outcome = try FileTree.copyTree(
            from: source, to: "\(harness.root)/dst", permissions: .ownerWritable, reflink: false)
        #expect(outcome.files == 2)
        #expect(outcome.copiedFiles == 2)
        #expect(outcome.reflinkedFiles == 0)
        #expect(outcome.bytes == 300_004)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: "\(harness.root)/dst/data_D-ORCL_FNO-1"))
                == Data(repeating: 7, count: 300_000))
    }

    @Test("a full copy is announced once per operation at WARNING")
    func fallbackWarning() async throws {
        let harness = try LocalFSHarness()
        defer { harness.removeAll() }
        let driver = try await harness.makeDriver(database: "orcl")
        _ = try await driver.createSnapshot(named: "orcl-1")
        let probe = try FileTree.copyTree(
            from: "\(harness.root)/orcl", to: "\(harness.root)/probe", permissions: .ownerWritable)
        let warnings = harness.logs.messages(at: .warning)
        if probe.copiedFiles > 0 {
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("full copy of 2 file(s)") == true)
        } else {
            #expect(warnings.isEmpty)
        }
    }

    @Test(
        "reflink shares extents on btrfs",
        .enabled(
            if: BtrfsEnvironment.root != nil,
            "OIB_BTRFS_ROOT is not set: Scripts/fixtures.sh prepares a loop-mounted btrfs when run as root"))
    func reflinkOnBtrfs() throws {
        let harness = try LocalFSHarness(parent: BtrfsEnvironment.root!)
        defer { harness.removeAll() }
        let source = "\(harness.root)/src"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try harness.populate(source)
        let outcome = try FileTree.copyTree(from: source, to: "\(harness.root)/dst", permissions: .readOnly)
        #expect(outcome.reflinkedFiles == 2)
        #expect(outcome.copiedFiles == 0)
        #expect(outcome.reflinkFailure == nil)
    }

    @Test("configuration: root, else the backup root; mounthost; the registry builds it")
    func configuration() throws {
        let logger = Logger(label: "t")
        func section(_ values: [String: String]) -> ConfigSection {
            ConfigSection(name: "localfs", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
        }
        let database = StorageDatabase(name: "orcl", backupRoot: "/b")
        let fromBackupRoot = try LocalFSConfiguration(section: section([:]), database: database)
        #expect(fromBackupRoot == LocalFSConfiguration(root: "/b"))
        let explicit = try LocalFSConfiguration(
            section: section(["root": "/r/", "mounthost": "nas1"]), database: database)
        #expect(explicit == LocalFSConfiguration(root: "/r", mountHost: "nas1"))
        // A relative root is relative to the configuration file's directory.
        #expect(
            try LocalFSConfiguration(section: section(["root": "area"]), database: database).root == "/etc/oib/area")
        let missing = #expect(throws: ConfigError.self) {
            try LocalFSConfiguration(section: section([:]), database: StorageDatabase(name: "orcl"))
        }
        #expect(missing?.problems.map(\.key) == ["root"])
        #expect(missing?.problems.first?.message == "set root in [localfs] (or backupdest) for database orcl")
        // `localfsroot` in the database's section is the original's per-database override.
        let file = BackupConfiguration(
            text: "[localfs]\nroot: /shared\n[orcl]\ndbid: 1\nlocalfsroot: /own\n", path: "/etc/oib/backup.cfg")
        #expect(
            try LocalFSConfiguration(
                section: file.section("localfs", database: "orcl"), database: database
            ).root == "/own")

        let context = StorageDriverContext(databaseName: "orcl", logger: logger)
        let driver = try LocalFSDriver(configuration: explicit, context: context)
        #expect(driver.root == "/r")
        let clone = Clone(name: "c", originVolume: "orcl", originSnapshot: "s", mountPoint: "/r/.clones/c")
        #expect(driver.mountString(clone: clone) == "nas1:/r/.clones/c")
        #expect(driver.capabilities.contains(.localClones))
        #expect(throws: StorageError.self) {
            try LocalFSDriver(
                configuration: explicit, context: StorageDriverContext(databaseName: "../x", logger: logger))
        }

        var registry = StorageDriverRegistry()
        LocalFSDriver.register(in: &registry)
        let built = try registry.makeDriver(
            named: "LOCALFS",
            configuration: StorageDriverConfiguration(
                databaseName: "orcl", settings: ["backupdest": "/b/"], logger: logger))
        #expect((built as? LocalFSDriver)?.root == "/b")
        #expect((built as? LocalFSDriver)?.mountHost == nil)
        #expect(throws: StorageError.self) {
            try registry.makeDriver(
                named: "localfs", configuration: StorageDriverConfiguration(databaseName: "orcl", logger: logger))
        }
    }
}
