import ConfigModel
import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@testable import StorageOpenZFS

enum ZFSEnvironment {
    /// Set by Scripts/fixtures.sh to a file system on a throw-away, file-backed zfs-fuse pool (root only).
    static let dataset: String? = ProcessInfo.processInfo.environment["OIB_ZFS_DATASET"].flatMap {
        $0.isEmpty ? nil : $0
    }
    /// The `zfs` command words the fixture chose (`zfs`, or `sudo -n zfs` for an unprivileged run).
    static let command: [String] =
        (ProcessInfo.processInfo.environment["OIB_ZFS_COMMAND"] ?? "zfs").split(separator: " ").map(String.init)
    static let skipReason: Comment =
        "OIB_ZFS_DATASET is not set: run Scripts/test.sh as root (Scripts/fixtures.sh makes a zfs-fuse pool on a file)"
}

/// Conformance harness on the fixture's pool: a private parent file system per harness.
struct ZFSHarness: StorageConformanceHarness {
    let dataset: String
    let logger: Logger

    init() async throws {
        dataset = "\(ZFSEnvironment.dataset!)/run-\(UUID().uuidString.prefix(8).lowercased())"
        logger = Logger(label: "openzfs-test")
        let result = try await DriverCommandRunner.run(
            executable: ZFSEnvironment.command[0],
            arguments: Array(ZFSEnvironment.command.dropFirst()) + ["create", "-p", dataset], timeout: .seconds(60))
        #expect(result.exitStatus == 0, "\(result.standardError)")
    }

    func driver(_ database: String, mountHost: String? = nil) -> OpenZFSDriver {
        OpenZFSDriver(
            volumeName: database, dataset: dataset, command: ZFSEnvironment.command, timeout: .seconds(60),
            mountHost: mountHost, logger: logger)
    }

    /// Runs `zfs <arguments>` for the test's own set-up; returns the result.
    @discardableResult
    func zfs(_ arguments: [String]) async throws -> DriverCommandResult {
        try await DriverCommandRunner.run(
            executable: ZFSEnvironment.command[0], arguments: Array(ZFSEnvironment.command.dropFirst()) + arguments,
            timeout: .seconds(60))
    }

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = driver(database)
        let volume = try await driver.createVolume()
        let mountPoint = try #require(volume.mountPoint)
        try Data(repeating: 1, count: 200_000).write(to: URL(fileURLWithPath: "\(mountPoint)/data_1"))
        return driver
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        try await zfs(["create", "\(dataset)/\(name)"]).exitStatus == 0
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        try await zfs(["get", "-H", "-o", "value", "type", "\(dataset)/\(name)"]).exitStatus == 0
    }

    /// Releases this harness's holds and destroys its parent file system with everything in it (test clean-up
    /// only; the driver itself never destroys recursively).
    func cleanUp() async {
        if let listing = try? await zfs(["get", "-H", "-r", "-o", "name,property,value", "userrefs", dataset]) {
            for record in ZFSOutput.parseGet(listing.standardOutput) where record.name.contains("@") {
                if (record.number("userrefs") ?? 0) > 0 {
                    _ = try? await zfs(["release", OpenZFSDriver.holdTag, record.name])
                    _ = try? await zfs(["release", "other-tag", record.name])
                }
            }
        }
        // Deepest first, each unmounted before its destroy (a FUSE mount can stay busy for a moment).
        let names =
            (try? await zfs(["list", "-H", "-r", "-o", "name", dataset]))?.standardOutput.split(separator: "\n")
            .map(String.init) ?? []
        for name in names.sorted(by: { $0.count > $1.count }) {
            _ = try? await zfs(["unmount", name])
            for attempt in 1...5 {
                guard let result = try? await zfs(["destroy", "-r", name]), result.exitStatus != 0,
                    result.standardError.contains("busy")
                else { break }
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}

/// Runs `body` with a fresh harness and always cleans it up.
func withZFSHarness(_ body: (ZFSHarness) async throws -> Void) async throws {
    let harness = try await ZFSHarness()
    do {
        try await body(harness)
    } catch {
        await harness.cleanUp()
        throw error
    }
    await harness.cleanUp()
}

@Suite(
    "Conformance: OpenZFS driver on zfs-fuse", .enabled(if: ZFSEnvironment.dataset != nil, ZFSEnvironment.skipReason),
    .serialized)
struct OpenZFSConformanceTests {
    @Test(arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        try await withZFSHarness { harness in
            try await StorageConformanceSuite(harness: harness).run(check)
        }
    }
}

@Suite(
    "OpenZFS driver on zfs-fuse", .enabled(if: ZFSEnvironment.dataset != nil, ZFSEnvironment.skipReason), .serialized)
struct OpenZFSDriverTests {
    @Test("snapshots list exact creation, referenced/used, clone counts; clones are mounted where ZFS mounts them")
    func snapshotsAndClones() async throws {
        try await withZFSHarness { harness in
            let driver = harness.driver("orcl")
            let volume = try await driver.createVolume()
            let before = Date().addingTimeInterval(-2)
            try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: "\(volume.mountPoint!)/f"))
            let snapshot = try await driver.createSnapshot(named: "orcl-20261205T030000")
            #expect(snapshot.creation >= before.addingTimeInterval(-60) && snapshot.creation <= Date())
            #expect((snapshot.spaceTotal ?? 0) >= 300_000)
            #expect(snapshot.spaceUnique == 0 && snapshot.cloneCount == 0 && !snapshot.isLocked)
            let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "orcl-clone")
            let mountPoint = try #require(clone.mountPoint)
            #expect(FileManager.default.fileExists(atPath: "\(mountPoint)/f"))
            #expect(try await driver.listSnapshots().first?.cloneCount == 1)
            #expect(try await driver.listClones().map(\.name) == ["orcl-clone"])
            #expect(harness.driver("orcl", mountHost: "nas1").mountString(clone: clone) == "nas1:\(mountPoint)")
            let refused = await #expect(throws: StorageError.self) { try await driver.deleteSnapshot(id: snapshot.id) }
            #expect(refused?.code == .hasClones)
            try await driver.dropClone(name: "orcl-clone")
            try await driver.deleteSnapshot(id: snapshot.id)
            #expect(try await driver.listSnapshots().isEmpty)
        }
    }

    @Test("a hold placed by someone else is never released: delete says locked and the hold stays")
    func foreignHold() async throws {
        try await withZFSHarness { harness in
            let driver = harness.driver("orcl")
            _ = try await driver.createVolume()
            let snapshot = try await driver.createSnapshot(named: "s1")
            try await harness.zfs(["hold", "other-tag", "\(driver.area)@s1"])
            #expect(try await driver.listSnapshots().first?.isLocked == true)
            let refused = await #expect(throws: StorageError.self) { try await driver.deleteSnapshot(id: snapshot.id) }
            #expect(refused?.code == .locked)
            // With an expiry of this tool that has passed, its own hold goes but the other one keeps it.
            try await driver.lockSnapshot(id: "s1", until: Date().addingTimeInterval(1))
            try await Task.sleep(for: .seconds(2))
            let still = await #expect(throws: StorageError.self) { try await driver.deleteSnapshot(id: snapshot.id) }
            #expect(still?.code == .locked)
            let holds = try await harness.zfs(["get", "-H", "-p", "-o", "value", "userrefs", "\(driver.area)@s1"])
            #expect(holds.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        }
    }

    @Test("createSnapshot locked until an expiry: held, the expiry recorded; never shortened by a later lock")
    func lockedSnapshot() async throws {
        try await withZFSHarness { harness in
            let driver = harness.driver("orcl")
            _ = try await driver.createVolume()
            let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 86_400).rounded(.up))
            let snapshot = try await driver.createSnapshot(named: "s1", lockedUntil: until)
            #expect(snapshot.isLocked && snapshot.lockedUntil == until)
            try await driver.lockSnapshot(id: "s1", until: Date().addingTimeInterval(60))
            #expect(try await driver.listSnapshots().first?.lockedUntil == until)
            let refused = await #expect(throws: StorageError.self) { try await driver.deleteSnapshot(id: "s1") }
            #expect(refused?.code == .locked && refused?.message.contains("snaplockdays") == true)
            // `zfs destroy` itself refuses too: the hold is real.
            let destroy = try await harness.zfs(["destroy", "\(driver.area)@s1"])
            #expect(destroy.exitStatus != 0)
        }
    }

    @Test("deleteSnapshot releases this tool's hold once its expiry has passed, then destroys the snapshot")
    func expiredHoldIsReleasedOnDelete() async throws {
        try await withZFSHarness { harness in
            let driver = harness.driver("orcl")
            _ = try await driver.createVolume()
            _ = try await driver.createSnapshot(named: "s1", lockedUntil: Date().addingTimeInterval(1))
            try await Task.sleep(for: .seconds(2))
            let listed = try #require(try await driver.listSnapshots().first)
            // Still held on ZFS, but the lock no longer protects it.
            #expect(listed.isLocked && !listed.isProtected(at: Date()))
            try await driver.deleteSnapshot(id: "s1")
            #expect(try await driver.listSnapshots().isEmpty)
        }
    }

    @Test("a failing zfs command becomes a StorageError with the command line and its error output")
    func failures() async throws {
        try await withZFSHarness { harness in
            let driver = harness.driver("nosuchdb")
            let missing = await #expect(throws: StorageError.self) { try await driver.listSnapshots() }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("dataset does not exist") == true)
            #expect(missing?.message.contains("get -H -p") == true)
            let broken = OpenZFSDriver(
                volumeName: "orcl", dataset: harness.dataset, command: ["/nonexistent/zfs"], logger: harness.logger)
            let cannot = await #expect(throws: StorageError.self) { try await broken.listSnapshots() }
            #expect(cannot?.code == .commandFailed)
        }
    }
}
