import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@testable import StorageBtrfs

enum BtrfsEnvironment {
    /// Set by Scripts/fixtures.sh to a directory on a loop-mounted btrfs with quotas on (root only).
    static let root: String? = ProcessInfo.processInfo.environment["OIB_BTRFS_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment =
        "OIB_BTRFS_ROOT is not set: run Scripts/test.sh as root (Scripts/fixtures.sh loop-mounts a btrfs)"
}

/// Conformance harness on the fixture's btrfs: a private directory per harness, volumes are subvolumes in it.
struct BtrfsHarness: StorageConformanceHarness {
    let root: String
    let logger: Logger

    init() throws {
        root = "\(BtrfsEnvironment.root!)/run-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        logger = Logger(label: "btrfs-test")
    }

    func driver(_ database: String) -> BtrfsDriver {
        BtrfsDriver(volumeName: database, root: root, timeout: .seconds(60), logger: logger)
    }

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = driver(database)
        _ = try await driver.createVolume()
        try Data(repeating: 1, count: 200_000).write(to: URL(fileURLWithPath: "\(driver.volumePath)/data_1"))
        return driver
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        try FileManager.default.createDirectory(atPath: "\(root)/.clones/\(name)", withIntermediateDirectories: true)
        try Data("plain".utf8).write(to: URL(fileURLWithPath: "\(root)/.clones/\(name)/file"))
        return true
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: "\(root)/.clones/\(name)/file")
    }

    /// Deletes the subvolumes this harness made (clones, snapshots, volumes), then its directory.
    func cleanUp() async {
        let manager = FileManager.default
        func children(_ directory: String) -> [String] {
            ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                .map { "\(directory)/\($0)" }
        }
        var subvolumes = children("\(root)/.clones")
        for database in children("\(root)/.snapshots") { subvolumes += children(database) }
        subvolumes += children(root)
        let driver = driver("cleanup")
        for path in subvolumes {
            _ = try? await driver.btrfsResult(["subvolume", "delete", path], "cleanUp")
        }
        try? manager.removeItem(atPath: root)
    }
}

@Suite("Conformance: btrfs driver", .enabled(if: BtrfsEnvironment.root != nil, BtrfsEnvironment.skipReason))
struct BtrfsConformanceTests {
    @Test(arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        let harness = try BtrfsHarness()
        do {
            try await StorageConformanceSuite(harness: harness).run(check)
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }
}

@Suite("btrfs driver on a real file system", .enabled(if: BtrfsEnvironment.root != nil, BtrfsEnvironment.skipReason))
struct BtrfsDriverTests {
    @Test("snapshots are read-only subvolumes with qgroup space figures")
    func snapshotDetails() async throws {
        let harness = try BtrfsHarness()
        let driver = harness.driver("orcl")
        _ = try await harness.makeDriver(database: "orcl")
        let snapshot = try await driver.createSnapshot(named: "orcl-20161108T215336")
        // Quotas are enabled by the fixture, so sizes are known.
        let total = try #require(snapshot.spaceTotal)
        #expect(total >= 200_000)
        #expect(snapshot.spaceUnique != nil)
        #expect(abs(snapshot.creation.timeIntervalSinceNow) < 60)
        let property = try await driver.btrfs(
            ["property", "get", "-ts", driver.snapshotPath(snapshot.id), "ro"], "test")
        #expect(property.trimmingCharacters(in: .whitespacesAndNewlines) == "ro=true")
        #expect(throws: (any Error).self) {
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(driver.snapshotPath(snapshot.id))/new"))
        }
        let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "autorestore")
        try Data("writable".utf8).write(to: URL(fileURLWithPath: "\(clone.mountPoint!)/new"))
        #expect(try await driver.listClones() == [clone])
        try await driver.dropClone(name: "autorestore")
        try await driver.deleteSnapshot(id: snapshot.id)
    }

    @Test("a writable subvolume named like a clone is not a clone")
    func plainSubvolumeLookAlike() async throws {
        let harness = try BtrfsHarness()
        let driver = harness.driver("orcl")
        _ = try await harness.makeDriver(database: "orcl")
        _ = try await driver.createSnapshot(named: "orcl-1")
        try FileManager.default.createDirectory(atPath: driver.cloneDirectory, withIntermediateDirectories: true)
        _ = try await driver.btrfs(["subvolume", "create", driver.clonePath("orcl-1_clone_1")], "test")
        do {
            try await driver.dropClone(name: "orcl-1_clone_1")
            Issue.record("a plain subvolume was dropped as a clone")
        } catch {
            #expect(error.code == .notAClone)
        }
        // A writable snapshot of the live volume (not of a snapshot) is not this database's clone either.
        _ = try await driver.btrfs(["subvolume", "snapshot", driver.volumePath, driver.clonePath("direct")], "test")
        do {
            try await driver.dropClone(name: "direct")
            Issue.record("a snapshot of the live volume was dropped as a clone")
        } catch {
            #expect(error.code == .notOwned)
        }
        #expect(FileManager.default.fileExists(atPath: driver.clonePath("orcl-1_clone_1")))
        #expect(FileManager.default.fileExists(atPath: driver.clonePath("direct")))
    }

    @Test("a subvolume in the snapshot directory that is not a snapshot of the volume is refused")
    func foreignSnapshotDirectoryEntry() async throws {
        let harness = try BtrfsHarness()
        let driver = harness.driver("orcl")
        _ = try await harness.makeDriver(database: "orcl")
        try FileManager.default.createDirectory(atPath: driver.snapshotDirectory, withIntermediateDirectories: true)
        _ = try await driver.btrfs(["subvolume", "create", driver.snapshotPath("orcl-x")], "test")
        #expect(try await driver.listSnapshots().isEmpty)
        do {
            try await driver.deleteSnapshot(id: "orcl-x")
            Issue.record("a foreign subvolume was deleted as a snapshot")
        } catch {
            #expect(error.code == .notOwned)
        }
    }

    @Test("a backup area that is a plain directory is reported, not snapshotted")
    func plainDirectoryVolume() async throws {
        let harness = try BtrfsHarness()
        let driver = harness.driver("plain")
        try FileManager.default.createDirectory(atPath: driver.volumePath, withIntermediateDirectories: true)
        do {
            _ = try await driver.createSnapshot(named: "plain-1")
            Issue.record("snapshot of a plain directory succeeded")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("not a btrfs subvolume"))
        }
    }
}

@Suite(
    "btrfs subvolume facts without privileges", .enabled(if: BtrfsEnvironment.root != nil, BtrfsEnvironment.skipReason))
struct SubvolumeInspectorTests {
    @Test("the ioctl reading agrees with `btrfs subvolume list` for a volume, a snapshot and a clone")
    func agreesWithSubvolumeList() async throws {
        let harness = try BtrfsHarness()
        let driver = harness.driver("orcl")
        _ = try await harness.makeDriver(database: "orcl")
        let snapshot = try await driver.createSnapshot(named: "orcl-1")
        _ = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "orcl-clone")
        let listed = SubvolumeListParser.parseList(
            try await driver.btrfs(["subvolume", "list", "-s", "-u", "-q", harness.root], "test")
                + (try await driver.btrfs(["subvolume", "list", "-u", "-q", harness.root], "test")))
        for (path, readOnly) in [
            (driver.volumePath, false), (driver.snapshotPath("orcl-1"), true), (driver.clonePath("orcl-clone"), false),
        ] {
            let info = try #require(try SubvolumeInspector.info(path))
            let entry = try #require(listed.first { path.hasSuffix("/" + $0.path) }, "\(path) is listed")
            #expect(Int(info.treeID) == entry.id)
            #expect(info.uuid == entry.uuid)
            #expect(info.parentUUID == entry.parentUUID)
            #expect(info.readOnly == readOnly)
            if let creation = entry.creation {
                // `list` prints whole seconds.
                #expect(abs(info.creation.timeIntervalSince(creation)) < 1)
            }
        }
        try await driver.dropClone(name: "orcl-clone")
        try await driver.deleteSnapshot(id: snapshot.id)
        await harness.cleanUp()
    }

    @Test("plain directories, symbolic links and missing paths are not subvolumes")
    func notSubvolumes() throws {
        let harness = try BtrfsHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.root) }
        let plain = harness.root + "/plain"
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        #expect(try SubvolumeInspector.info(plain) == nil)
        #expect(try SubvolumeInspector.info(harness.root + "/missing") == nil)
        #expect(SubvolumeInspector.isSubvolume(BtrfsEnvironment.root!))
        try FileManager.default.createSymbolicLink(
            atPath: harness.root + "/link", withDestinationPath: BtrfsEnvironment.root!)
        #expect(try SubvolumeInspector.info(harness.root + "/link") == nil)
    }
}

@Suite("btrfs subvolume facts")
struct SubvolumeFormatTests {
    @Test("UUIDs print as btrfs prints them; the all-zero UUID is no UUID")
    func uuidFormat() {
        let bytes: [UInt8] = [
            0x5e, 0x6b, 0x1a, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
        ]
        #expect(SubvolumeInspector.format(uuid: bytes) == "5e6b1a00-dead-beef-0123-456789abcdef")
        #expect(SubvolumeInspector.format(uuid: [UInt8](repeating: 0, count: 16)) == nil)
        #expect(SubvolumeInspector.format(uuid: [1, 2]) == nil)
    }

    @Test("a directory on another file system is not a subvolume and listing it reports no snapshots")
    func otherFileSystem() async throws {
        let root = FileManager.default.temporaryDirectory.path + "/oib-btrfs-plain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/orcl", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let driver = BtrfsDriver(volumeName: "orcl", root: root, logger: Logger(label: "t"))
        do {
            _ = try await driver.listSnapshots()
            Issue.record("a plain directory was listed as a btrfs volume")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("not a btrfs subvolume"))
        }
    }
}

@Suite("btrfs output parsing")
struct BtrfsOutputTests {
    @Test("creation times with offsets convert to UTC; without an offset they are UTC (we run btrfs with TZ=UTC)")
    func times() {
        #expect(
            SubvolumeListParser.parseTime("2018-01-01 13:34:56 +0100")
                == StorageJSON.parseISO8601("2018-01-01T12:34:56Z"))
        #expect(
            SubvolumeListParser.parseTime("2018-01-01 07:34:56 -0500")
                == StorageJSON.parseISO8601("2018-01-01T12:34:56Z"))
        #expect(
            SubvolumeListParser.parseTime("2018-01-01 12:34:56") == StorageJSON.parseISO8601("2018-01-01T12:34:56Z"))
        #expect(SubvolumeListParser.parseTime("yesterday") == nil)
        #expect(SubvolumeListParser.parseTime("2018-01-01 12:34:56 CET") == nil)
    }

    @Test("subvolume list lines, including paths with spaces")
    func list() {
        let text = """
            ID 257 gen 10 cgen 9 top level 5 otime 2026-11-25 10:23:19 parent_uuid 51acdd3a-97aa uuid f0a39ceb-8503 path .snapshots/orcl/orcl-1
            ID 258 gen 10 cgen 10 top level 5 otime 2026-11-25 10:23:20 parent_uuid - uuid 650064b5 path odd dir/with path in it
            garbage
            """
        let entries = SubvolumeListParser.parseList(text)
        #expect(entries.count == 2)
        #expect(entries[0].id == 257)
        #expect(entries[0].parentUUID == "51acdd3a-97aa")
        #expect(entries[0].uuid == "f0a39ceb-8503")
        #expect(entries[0].path == ".snapshots/orcl/orcl-1")
        #expect(entries[0].creation == StorageJSON.parseISO8601("2026-11-25T10:23:19Z"))
        #expect(entries[1].parentUUID == nil)
        #expect(entries[1].path == "odd dir/with path in it")
    }

    @Test("qgroup show --raw, with and without the path column")
    func qgroups() {
        let text = """
            Qgroupid    Referenced    Exclusive   Path
            --------    ----------    ---------   ----
            0/5              16384        16384   <toplevel>
            0/257         20987904        16384   .snapshots/orcl/orcl-1
            0/258            16384        16384
            1/100            99999        99999
            """
        let usage = BtrfsOutput.parseQgroups(text)
        #expect(usage[257] == QgroupUsage(referenced: 20_987_904, exclusive: 16_384))
        #expect(usage[258] == QgroupUsage(referenced: 16_384, exclusive: 16_384))
        #expect(usage[100] == nil)
        #expect(usage.count == 3)
    }
}

@Suite("btrfs command execution")
struct BtrfsCommandTests {
    func script(_ body: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/oib-fake-btrfs-\(UUID().uuidString)"
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test("output, error output and exit status are captured")
    func capture() async throws {
        let result = try await DriverCommandRunner.run(
            executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; echo $TZ; exit 3"],
            environment: ["TZ": "UTC"], timeout: .seconds(30))
        #expect(result.exitStatus == 3)
        #expect(result.standardOutput == "out\nUTC\n")
        #expect(result.standardError == "err\n")
        #expect(!result.timedOut)
    }

    @Test("a hanging command is killed at the timeout")
    func timeout() async throws {
        let result = try await DriverCommandRunner.run(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 30"], timeout: .milliseconds(300),
            killGrace: .milliseconds(300))
        #expect(result.timedOut)
        // Killed far below the 30 s sleep (the command's own lifetime, as the watching thread saw it; generous
        // because the whole suite shares two cores).
        #expect(result.duration < .seconds(25))
        #expect(result.duration >= .milliseconds(300))
    }

    @Test("the driver reports a hanging btrfs as timeout")
    func driverTimeout() async throws {
        let fake = try script("sleep 30")
        defer { try? FileManager.default.removeItem(atPath: fake) }
        let root = FileManager.default.temporaryDirectory.path + "/oib-btrfs-fake-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let driver = BtrfsDriver(
            volumeName: "orcl", root: root, command: fake, timeout: .milliseconds(300), logger: Logger(label: "t"))
        do {
            _ = try await driver.createVolume()
            Issue.record("createVolume returned despite a hanging btrfs")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.vendor == "btrfs")
            #expect(error.operation == "createVolume")
        }
    }

    @Test("a failing btrfs is commandFailed with its error output")
    func driverFailure() async throws {
        let fake = try script("echo 'ERROR: boom' >&2; exit 1")
        defer { try? FileManager.default.removeItem(atPath: fake) }
        let root = FileManager.default.temporaryDirectory.path + "/oib-btrfs-fake-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let driver = BtrfsDriver(volumeName: "orcl", root: root, command: fake, logger: Logger(label: "t"))
        do {
            _ = try await driver.createVolume()
            Issue.record("createVolume succeeded despite a failing btrfs")
        } catch {
            #expect(error.code == .commandFailed)
            #expect(error.message.contains("ERROR: boom"))
        }
        let exists = try script("echo 'ERROR: target path already exists: /x' >&2; exit 1")
        defer { try? FileManager.default.removeItem(atPath: exists) }
        let racing = BtrfsDriver(volumeName: "orcl", root: root, command: exists, logger: Logger(label: "t"))
        do {
            _ = try await racing.btrfs(["subvolume", "snapshot", "-r", "/a", "/x"], "createSnapshot")
            Issue.record("a failing snapshot command succeeded")
        } catch {
            #expect(error.code == .alreadyExists)
        }
        let missing = BtrfsDriver(
            volumeName: "orcl", root: root, command: "/nonexistent/btrfs", logger: Logger(label: "t"))
        await #expect(throws: StorageError.self) { try await missing.createVolume() }
    }

    @Test("configuration: root, command, timeout, mounthost; the registry builds it")
    func configuration() throws {
        let logger = Logger(label: "t")
        func section(_ values: [String: String]) -> ConfigSection {
            ConfigSection(name: "btrfs", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
        }
        let database = StorageDatabase(name: "orcl", backupRoot: "/b")
        #expect(
            try BtrfsConfiguration(section: section([:]), database: database)
                == BtrfsConfiguration(root: "/b", command: "btrfs", timeout: .seconds(300)))
        let explicit = try BtrfsConfiguration(
            section: section(["root": "/s", "command": "/opt/btrfs", "timeout": "2.5", "mounthost": "nas1"]),
            database: database)
        #expect(
            explicit
                == BtrfsConfiguration(
                    root: "/s", command: "/opt/btrfs", timeout: .milliseconds(2500), mountHost: "nas1"))
        let bad = #expect(throws: ConfigError.self) {
            try BtrfsConfiguration(section: section(["timeout": "soon"]), database: StorageDatabase(name: "orcl"))
        }
        #expect(Set(bad?.problems.compactMap(\.key) ?? []) == ["root", "timeout"])
        // `btrfsroot`, `btrfscommand` and `btrfstimeout` in the database's section override the shared values.
        let file = BackupConfiguration(
            text:
                "[btrfs]\nroot: /shared\n[orcl]\ndbid: 1\nbtrfsroot: /r\nbtrfscommand: /sbin/btrfs\nbtrfstimeout: 12\n",
            path: "/etc/oib/backup.cfg")
        #expect(
            try BtrfsConfiguration(section: file.section("btrfs", database: "orcl"), database: database)
                == BtrfsConfiguration(root: "/r", command: "/sbin/btrfs", timeout: .seconds(12)))

        let driver = try BtrfsDriver(
            configuration: explicit, context: StorageDriverContext(databaseName: "orcl", logger: logger))
        #expect(driver.root == "/s")
        #expect(driver.command == "/opt/btrfs")
        #expect(driver.timeout == .milliseconds(2500))
        #expect(driver.capabilities.contains(.localClones))
        let clone = Clone(name: "c", originVolume: "orcl", originSnapshot: "s", mountPoint: "/s/.clones/c")
        #expect(driver.mountString(clone: clone) == "nas1:/s/.clones/c")

        var registry = StorageDriverRegistry()
        BtrfsDriver.register(in: &registry)
        let built = try registry.makeDriver(
            named: "BTRFS",
            configuration: StorageDriverConfiguration(
                databaseName: "orcl", settings: ["backupdest": "/b", "command": "/sbin/btrfs", "timeout": "12"],
                logger: logger))
        let btrfs = try #require(built as? BtrfsDriver)
        #expect(btrfs.root == "/b")
        #expect(btrfs.command == "/sbin/btrfs")
        #expect(btrfs.timeout == .seconds(12))
        #expect(btrfs.mountHost == nil)
        #expect(btrfs.mountString(clone: clone) == "/s/.clones/c")
        let refused = #expect(throws: StorageError.self) {
            try registry.makeDriver(
                named: "btrfs",
                configuration: StorageDriverConfiguration(
                    databaseName: "orcl", settings: ["backupdest": "/b", "timeout": "soon"], logger: logger))
        }
        #expect(refused?.code == .invalidConfiguration)
        #expect(refused?.message.contains("timeout") == true)
    }
}
