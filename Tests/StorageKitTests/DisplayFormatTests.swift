import Foundation
import StorageKit
import Testing

@Suite("Display formats (reference §4.2, R-26)")
struct DisplayFormatTests {
    @Test(
        "sizes use binary floor thresholds",
        arguments: [
            (0, "0B"), (1023, "1023B"), (1024, "1kB"), (2047, "1kB"), (1_048_575, "1023kB"),
            (1_048_576, "1MB"), (185_597_952, "177MB"), (1_073_741_824, "1GB"), (1_099_511_627_775, "1023GB"),
            (1_099_511_627_776, "1TB"), (5 * 1_099_511_627_776 + 1, "5TB"),
        ] as [(Int64, String)])
    func sizes(bytes: Int64, expected: String) {
        #expect(DisplayFormat.size(bytes) == expected)
    }

    @Test("unknown sizes print as unknown, never -1B")
    func unknownSizes() {
        #expect(DisplayFormat.size(nil) == "unknown")
        #expect(DisplayFormat.size(-1) == "unknown")
    }

    @Test("snapshot line matches the reference layout")
    func snapshotLine() throws {
        let creation = try #require(StorageJSON.parseISO8601("2016-10-17T07:39:14Z"))
        let snapshot = Snapshot(
            id: "orcl-20161017T093914", creation: creation, spaceTotal: 177 * 1_048_576 + 5, spaceUnique: 0,
            cloneCount: 1)
        #expect(
            DisplayFormat.snapshotLine(snapshot)
                == "orcl-20161017T093914 [2016-10-17 07:39:14 UTC] total=177MB unique=0B clones=1")
        let unknown = Snapshot(id: "orcl-x", creation: creation)
        #expect(
            DisplayFormat.snapshotLine(unknown)
                == "orcl-x [2016-10-17 07:39:14 UTC] total=unknown unique=unknown clones=0")
    }

    @Test("clone line")
    func cloneLine() {
        let clone = Clone(
            name: "autorestore", originVolume: "orcl", originSnapshot: "orcl-20161108T215336",
            mountPoint: "/export/demo-backup/autorestore")
        #expect(
            DisplayFormat.cloneLine(clone)
                == "autorestore [orcl-20161108T215336] [mount point: /export/demo-backup/autorestore]")
        var hidden = clone
        hidden.mountPoint = nil
        #expect(DisplayFormat.cloneLine(hidden) == "autorestore [orcl-20161108T215336] [mount point: unknown]")
    }

    @Test(
        "durations read like Python timedelta",
        arguments: [
            (0, "0:00:00"), (237, "0:03:57"), (3600, "1:00:00"), (86_399, "23:59:59"), (86_400, "1 day, 0:00:00"),
            (2 * 86_400 + 3723, "2 days, 1:02:03"), (-5, "-0:00:05"),
        ] as [(Int, String)])
    func durations(seconds: Int, expected: String) {
        #expect(DisplayFormat.duration(seconds: seconds) == expected)
    }

    @Test("UTC timestamps do not depend on the process time zone")
    func utcTimestamp() throws {
        let date = try #require(StorageJSON.parseISO8601("2016-11-08T20:53:36Z"))
        #expect(DisplayFormat.utcTimestamp(date) == "2016-11-08 20:53:36")
    }
}

@Suite("Snapshot and clone naming")
struct SnapshotNamingTests {
    @Test("snapshot names use local wall-clock time")
    func snapshotName() throws {
        let date = try #require(StorageJSON.parseISO8601("2016-11-08T20:53:36Z"))
        let stockholm = try #require(TimeZone(identifier: "Europe/Stockholm"))
        #expect(SnapshotNaming.snapshotName(volume: "orcl", date: date, timeZone: stockholm) == "orcl-20161108T215336")
        #expect(
            SnapshotNaming.snapshotName(volume: "orcl", date: date, timeZone: stockholm, separator: "_")
                == "orcl_20161108T215336")
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(SnapshotNaming.timestamp(date, timeZone: utc) == "20161108T205336")
    }

    @Test("clone names append _clone_<ts>")
    func cloneName() throws {
        let date = try #require(StorageJSON.parseISO8601("2016-11-09T08:00:01Z"))
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(
            SnapshotNaming.cloneName(snapshot: "orcl-20161108T215336", date: date, timeZone: utc)
                == "orcl-20161108T215336_clone_20161109T080001")
    }

    @Test("the driver default uses the volume name")
    func driverDefault() throws {
        let driver = InMemoryStorageDriverStub(volumeName: "db1")
        let date = try #require(StorageJSON.parseISO8601("2020-01-02T03:04:05Z"))
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(driver.snapshotName(for: date, timeZone: utc) == "db1-20200102T030405")
    }

    @Test(
        "portable names",
        arguments: [
            ("orcl-20161108T215336", true), ("orcl_clone_1", true), ("a:b.c", true), ("", false), (".hidden", false),
            ("-x", false), ("a/b", false), ("..", false), ("a b", false), (String(repeating: "a", count: 201), false),
        ] as [(String, Bool)])
    func portable(name: String, expected: Bool) {
        #expect(SnapshotNaming.isPortableName(name) == expected)
    }
}

/// Minimal driver to test protocol defaults.
struct InMemoryStorageDriverStub: StorageDriver {
    let volumeName: String
    var vendor: String { "stub" }
    var capabilities: StorageCapabilities { [] }
    func listSnapshots() async throws(StorageError) -> [Snapshot] { [] }
    func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        Snapshot(id: name, creation: Date())
    }
    func deleteSnapshot(id: String) async throws(StorageError) {}
    func volumeInfo() async throws(StorageError) -> Volume { Volume(name: volumeName, mountPoint: nil) }
}
