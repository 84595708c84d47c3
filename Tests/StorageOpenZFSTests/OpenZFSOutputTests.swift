import ConfigModel
import Foundation
import Logging
import StorageKit
import Testing

@testable import StorageOpenZFS

/// A recorded `zfs` output from Fixtures/.
func zfsFixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite("OpenZFS output and configuration")
struct OpenZFSOutputTests {
    let logger = Logger(label: "openzfs-output-test")

    @Test("zfs-fuse's recorded `zfs get -H -p` gives exact epoch creation, bytes, holds and the recorded expiry")
    func zfsFuseSnapshots() throws {
        let driver = OpenZFSDriver(volumeName: "orcl", dataset: "oibprobe/backup", logger: logger)
        let records = ZFSOutput.parseGet(try zfsFixture("zfs-fuse-get-snapshots.txt"))
        #expect(records.map(\.name).first == "oibprobe/backup/orcl")
        let snapshots = records.filter { $0.name.contains("@") }.map { driver.details(from: $0, clones: 0) }
        #expect(snapshots.map(\.snapshot.id) == ["s1", "orcl-20261205T032000"])
        let plain = snapshots[0].snapshot
        #expect(plain.creation == Date(timeIntervalSince1970: 1_796_440_732))
        #expect(plain.spaceTotal == 516_096 && plain.spaceUnique == 0)
        // An expiry left behind without a hold is no lock.
        #expect(!plain.isLocked && plain.lockedUntil == nil)
        let held = snapshots[1].snapshot
        #expect(held.isLocked && held.lockedUntil == Date(timeIntervalSince1970: 1_797_045_600))
        #expect(snapshots.allSatisfy { $0.written == nil })
    }

    @Test("modern OpenZFS `zfs get -H -p` output with written")
    func openZFSSnapshots() throws {
        let driver = OpenZFSDriver(volumeName: "orcl", dataset: "tank/backup", logger: logger)
        let records = ZFSOutput.parseGet(try zfsFixture("openzfs-get-snapshots.txt"))
        let snapshots = records.filter { $0.name.contains("@") }.map { driver.details(from: $0, clones: 1) }
        #expect(snapshots.count == 2)
        #expect(snapshots[0].snapshot.spaceUnique == 2_147_483_648)
        #expect(snapshots[0].snapshot.spaceTotal == 8_053_063_680)
        #expect(snapshots[0].written == 3_221_225_472)
        #expect(snapshots[0].snapshot.lockedUntil == Date(timeIntervalSince1970: 1_765_508_400))
        #expect(snapshots[1].snapshot.creation == Date(timeIntervalSince1970: 1_764_990_000))
        #expect(snapshots[1].snapshot.cloneCount == 1 && !snapshots[1].snapshot.isLocked)
    }

    @Test("origins: only clones of the area's snapshots are its clones")
    func origins() throws {
        let records = ZFSOutput.parseGet(try zfsFixture("zfs-fuse-get-origins.txt"))
        let clones = records.filter { $0.values["origin"] != nil }
        #expect(clones.map(\.name) == ["oibprobe/backup/c1", "oibprobe/backup/orcl-clone1"])
        #expect(records.first { $0.name == "oibprobe/backup/plain" }?.values["origin"] == nil)
        #expect(records.first { $0.name == "oibprobe/backup/c1" }?.values["mountpoint"] == "/tmp/oibprobe-c1")
    }

    @Test("an unknown property (zfs-fuse without written) is recognised, and the usage text stays out of errors")
    func unknownProperty() throws {
        let stderr = try zfsFixture("zfs-fuse-get-written.stderr.txt")
        #expect(ZFSOutput.rejectsProperty(stderr, "written"))
        let driver = OpenZFSDriver(
            volumeName: "orcl", dataset: "tank/backup", command: ["sudo", "-n", "zfs"], logger: logger)
        let result = DriverCommandResult(exitStatus: 2, standardOutput: "", standardError: stderr, timedOut: false)
        let failure = #expect(throws: StorageError.self) {
            try driver.check(result, ["get", "written", "x"], "listSnapshots")
        }
        #expect(failure?.code == .commandFailed)
        #expect(failure?.message.contains("sudo -n zfs get written x exited with 2") == true)
        #expect(failure?.message.contains("invalid property 'written'") == true)
        #expect(failure?.message.contains("PROPERTY") == false)
    }

    @Test("errors of zfs map to codes: missing, existing, dependent clones, busy (held)")
    func errorCodes() {
        let driver = OpenZFSDriver(volumeName: "orcl", dataset: "tank/backup", logger: logger)
        func code(_ stderr: String, _ arguments: [String]) -> StorageError.Code? {
            let result = DriverCommandResult(exitStatus: 1, standardOutput: "", standardError: stderr, timedOut: false)
            do {
                try driver.check(result, arguments, "op")
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code("cannot open 'tank/backup/x': dataset does not exist\n", ["get"]) == .notFound)
        #expect(code("cannot create snapshot 'a@b': dataset already exists\n", ["snapshot"]) == .alreadyExists)
        #expect(
            code(
                "cannot destroy 'tank/backup/orcl@s1': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\ntank/backup/c1\n",
                ["destroy", "tank/backup/orcl@s1"]) == .hasClones)
        #expect(
            code("cannot destroy 'tank/backup/orcl@s1': dataset is busy\n", ["destroy", "tank/backup/orcl@s1"])
                == .locked)
        #expect(
            code("cannot destroy 'tank/backup/c': dataset is busy\n", ["destroy", "tank/backup/c"]) == .commandFailed)
        #expect(code("sudo: a password is required\n", ["get"]) == .permissionDenied)
    }

    @Test("[openzfs] configuration: dataset required and checked, zfs as words, errors name section and key")
    func configuration() throws {
        let database = StorageDatabase(name: "orcl")
        func section(_ values: [String: String]) -> ConfigSection {
            ConfigSection(name: "openzfs", database: "orcl", values: values, file: "/etc/oib/backup.cfg")
        }
        let good = try OpenZFSConfiguration(
            section: section(["dataset": "tank/backup", "zfs": "sudo -n  zfs", "mounthost": "nas1"]),
            database: database)
        #expect(good.dataset == "tank/backup" && good.command == ["sudo", "-n", "zfs"] && good.mountHost == "nas1")
        let missing = #expect(throws: ConfigError.self) {
            try OpenZFSConfiguration(section: section([:]), database: database)
        }
        #expect(missing?.problems.compactMap(\.key) == ["dataset"])
        let bad = #expect(throws: ConfigError.self) {
            try OpenZFSConfiguration(section: section(["dataset": "tank/backup@x", "zfs": " "]), database: database)
        }
        #expect(Set(bad?.problems.compactMap(\.key) ?? []) == ["dataset", "zfs"])
        #expect("\(bad.map { "\($0)" } ?? "")".contains("openzfs"))
        #expect(OpenZFSConfiguration.isDatasetName("tank/backup-1/a_b.c:d"))
        for bad in ["", "/tank", "tank/", "tank//x", "tank/a b", "tank@s", "tank/../x"] {
            #expect(!OpenZFSConfiguration.isDatasetName(bad), "\(bad)")
        }
    }

    @Test("mount strings: host:mountpoint for NFS clients, the local path otherwise; localClones only then")
    func mountStrings() {
        let clone = Clone(name: "c1", originVolume: "orcl", originSnapshot: "s", mountPoint: "/tank/backup/c1")
        let nfs = OpenZFSDriver(volumeName: "orcl", dataset: "tank/backup", mountHost: "nas1", logger: logger)
        let local = OpenZFSDriver(volumeName: "orcl", dataset: "tank/backup", logger: logger)
        #expect(nfs.mountString(clone: clone) == "nas1:/tank/backup/c1")
        #expect(local.mountString(clone: clone) == "/tank/backup/c1")
        #expect(local.capabilities.contains(.localClones) && !nfs.capabilities.contains(.localClones))
        #expect(nfs.capabilities.isSuperset(of: [.clone, .listClones, .spaceUsage, .createVolume, .lock]))
    }

    @Test("a bare zfs is found in the sbin directories that the PATH of cron or su lacks")
    func resolvesSbin() {
        #expect(OpenZFSDriver.resolve("/opt/zfs") == "/opt/zfs")
        #expect(OpenZFSDriver.resolve("sh", path: "/nonexistent:/usr/bin:/bin").hasSuffix("/sh"))
        #expect(OpenZFSDriver.resolve("no-such-command-oib", path: "/usr/bin") == "no-such-command-oib")
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/zfs") {
            #expect(OpenZFSDriver.resolve("zfs", path: "/usr/bin:/bin") == "/usr/sbin/zfs")
        }
    }
}
