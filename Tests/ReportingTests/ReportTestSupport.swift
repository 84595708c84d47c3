import ConfigModel
import Foundation
import Logging
import ResultCatalog
import ResultCatalogPostgres
import ResultCatalogSQLite
import StorageKit
import StorageLocalFS
import Testing
import ToolSupport

let postgresURL = ProcessInfo.processInfo.environment["OIB_POSTGRES_URL"]

/// The output of a program run.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs programs without blocking Swift Testing's threads (the wait happens on a thread of its own).
enum Programs {
    /// The directory of the built executables (beside the test bundle, or `OIB_PRODUCTS_DIR`).
    static let builtDirectory: String = {
        if let staged = ProcessInfo.processInfo.environment["OIB_PRODUCTS_DIR"], !staged.isEmpty { return staged }
        var candidate = URL(fileURLWithPath: Bundle.main.bundlePath)
        for _ in 0..<3 {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("report").path) {
                return candidate.path
            }
            candidate.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug").path
    }()

    /// Runs a built tool (`report`, `autorestore`).
    static func tool(_ name: String, _ arguments: [String], environment: [String: String] = [:]) async throws
        -> RunResult
    {
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TZ": "UTC"]
        env.merge(environment) { _, new in new }
        return try await run(builtDirectory + "/" + name, arguments, environment: env)
    }

    /// Runs `executable` with `arguments`, capturing both streams.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> RunResult
    {
        let result = try await ChildCommand(
            executable: executable, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment
        ).run()
        return RunResult(status: result.exitStatus, stdout: result.outputText, stderr: result.errorText)
    }
}

/// A scratch tree with a configuration of four databases on `localfs`, snapshots taken by the localfs driver and a
/// history of backup runs and restore tests written by a real catalog implementation:
///
/// - `orcl`: three snapshots, five restores (the newest passed, one failed, one validated), two backups (newest ok);
/// - `cdb1`: one snapshot, its newest restore failed (`time-difference`), its newest backup failed;
/// - `olddb`: no live directory, so its storage cannot be listed; one old passed restore;
/// - `newdb`: one snapshot, autorestore disabled, nothing recorded.
struct ReportFixture {
    let directory: String
    let configPath: String
    /// When the history was made; every record is relative to it.
    let base: Date
    let restores: [String: [RestoreRecord]]  // newest first
    let backups: [String: [BackupRunRecord]]  // newest first
    let snapshots: [String: [Snapshot]]  // oldest first, as created
    let names: [String]

    static let logger = Logger(label: "report-test")

    /// Builds it with the catalog at `catalogLines` (lines of `[autorestore]`), writing through `catalog`.
    /// `prefix` makes the database names unique (a shared PostgreSQL catalog).
    static func make(
        prefix: String = "", catalogLines: (String) -> String, catalog: (String) throws -> any ResultCatalog
    )
        async throws -> ReportFixture
    {
        let directory = NSTemporaryDirectory() + "oib-report-\(UUID().uuidString.prefix(8))"
        let root = directory + "/backup"
        let names = ["orcl", "cdb1", "olddb", "newdb"].map { prefix + $0 }
        let (orcl, cdb1, olddb, newdb) = (names[0], names[1], names[2], names[3])
        for name in [orcl, cdb1, newdb] {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            try Data("datafile of \(name)\n".utf8).write(to: URL(fileURLWithPath: root + "/\(name)/data.dbf"))
        }
        let config = """
            [generic]
            backupdest: \(root)
            snappermodule: localfs
            warningsnapage: 24
            criticalsnapage: 48
            [autorestore]
            autorestorelogdir: \(directory)/logs
            autorestoremodulus: 30
            \(catalogLines(directory))
            [\(orcl)]
            dbid: 1
            [\(cdb1)]
            dbid: 2
            [\(olddb)]
            dbid: 3
            [\(newdb)]
            dbid: 4
            autorestoreenabled: 0

            """
        let configPath = directory + "/backup.cfg"
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))

        var snapshots: [String: [Snapshot]] = [:]
        for (name, count) in [(orcl, 3), (cdb1, 1), (newdb, 1)] {
            let driver = LocalFSDriver(volumeName: name, root: root, logger: logger)
            for index in 0..<count {
                _ = try await driver.createSnapshot(named: "\(name)-snap\(index)")
                try await Task.sleep(for: .milliseconds(1100))
            }
            // As the listing gives them (whole seconds).
            snapshots[name] = try await driver.listSnapshots().sorted { $0.creation < $1.creation }
        }

        let base = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let hour = 3600.0
        func restore(
            _ db: String, hoursAgo: Double, minutes: Double, success: Bool, reason: String? = nil,
            detail: String? = nil, difference: Int? = nil, validated: Bool = false, snapshot: String? = nil
        ) -> RestoreRecord {
            let start = base.addingTimeInterval(-hoursAgo * hour)
            return RestoreRecord(
                database: db, startedAt: start, finishedAt: start.addingTimeInterval(minutes * 60), success: success,
                failureReason: reason, failureDetail: detail, snapshotID: snapshot, restoreTarget: "host:/mnt/\(db)",
                expectedTime: "2026-12-01 10:00:00", verifiedTime: "2026-12-01 09:59:48",
                timeDifferenceSeconds: difference, validated: validated, corruptBlocks: validated ? 0 : nil,
                phaseSeconds: ["recover": minutes * 30], logText: "log of \(db)")
        }
        let restores: [String: [RestoreRecord]] = [
            orcl: [
                restore(orcl, hoursAgo: 2, minutes: 12, success: true, difference: 12, snapshot: "\(orcl)-snap2"),
                restore(
                    orcl, hoursAgo: 26, minutes: 20, success: false, reason: "missing-archivelog",
                    detail: "RMAN-06054: media recovery requesting unknown archived log"),
                restore(orcl, hoursAgo: 50, minutes: 31, success: true, difference: 30, validated: true),
                restore(orcl, hoursAgo: 74, minutes: 11, success: true, difference: 8),
                restore(orcl, hoursAgo: 98, minutes: 10, success: true, difference: 5),
            ],
            cdb1: [
                restore(
                    cdb1, hoursAgo: 3, minutes: 7.5, success: false, reason: "time-difference",
                    detail: "verified time is 4000 s before the expected time", difference: 4000),
                restore(cdb1, hoursAgo: 27, minutes: 6, success: true, difference: 20),
            ],
            olddb: [restore(olddb, hoursAgo: 200, minutes: 45, success: true, difference: 3, validated: true)],
        ]
        func backup(_ db: String, hoursAgo: Double, minutes: Double, success: Bool, detail: String? = nil)
            -> BackupRunRecord
        {
            let start = base.addingTimeInterval(-hoursAgo * hour)
            return BackupRunRecord(
                database: db, action: "imagecopywithsnap", startedAt: start,
                finishedAt: start.addingTimeInterval(minutes * 60), success: success,
                snapshotID: success ? "\(db)-snap" : nil, failureDetail: detail)
        }
        let backups: [String: [BackupRunRecord]] = [
            orcl: [
                backup(orcl, hoursAgo: 1, minutes: 25, success: true),
                backup(orcl, hoursAgo: 25, minutes: 30, success: true),
            ],
            cdb1: [
                backup(cdb1, hoursAgo: 1.5, minutes: 4, success: false, detail: "RMAN-03009: failure of backup command")
            ],
        ]
        let writer = try catalog(directory)
        try await writer.prepare()
        // Oldest first, as they happened.
        for record in restores.values.flatMap({ $0 }).sorted(by: { $0.startedAt < $1.startedAt }) {
            try await writer.recordRestore(record)
        }
        for record in backups.values.flatMap({ $0 }).sorted(by: { $0.startedAt < $1.startedAt }) {
            try await writer.recordBackup(record)
        }
        return ReportFixture(
            directory: directory, configPath: configPath, base: base, restores: restores, backups: backups,
            snapshots: snapshots, names: names)
    }

    /// The SQLite flavour: `catalogfile` in the scratch tree.
    static func sqlite() async throws -> ReportFixture {
        try await make(
            catalogLines: { "autorestorecatalogtype: sqlite\ncatalogfile: \($0)/results.sqlite" },
            catalog: { try SQLiteResultCatalog(path: $0 + "/results.sqlite") })
    }

    /// The PostgreSQL flavour (`OIB_POSTGRES_URL`), database names made unique.
    static func postgres() async throws -> ReportFixture {
        let prefix = "p" + String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))
        return try await make(
            prefix: prefix,
            catalogLines: { _ in "autorestorecatalogtype: postgres\ncatalogurl: \(postgresURL!)" },
            catalog: { _ in try PostgresResultCatalog(url: postgresURL!, logger: logger) })
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var configuration: BackupConfiguration {
        get throws { try BackupConfiguration.read(path: configPath, environment: [:]) }
    }
}

/// A small PNG reader (8-bit RGB or RGBA, non-interlaced, as Chromium writes its screenshots), through python3's
/// zlib: prints `width height` and the number of distinct colours, then `#rrggbb count` for each colour covering
/// at least 200 pixels.
let pngColoursScript = #"""
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, width = 8, b'', 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    counts = {}
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upleft = previous[i - channels] if i >= channels else 0
            if kind == 1: line[i] = (line[i] + left) & 255
            elif kind == 2: line[i] = (line[i] + up) & 255
            elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upleft)) & 255
        for x in range(0, stride, channels):
            key = bytes(line[x:x + 3])
            counts[key] = counts.get(key, 0) + 1
        previous = line
    print(width, height, len(counts))
    for key, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count >= 200:
            print('#' + key.hex(), count)
    """#

/// Parses a Prometheus textfile with the `prometheus_client` parser: one JSON list of
/// `[name, database label, value, type, help]` per sample.
let prometheusParseScript = #"""
    import json, sys
    from prometheus_client.parser import text_string_to_metric_families
    samples = []
    for family in text_string_to_metric_families(open(sys.argv[1]).read()):
        for sample in family.samples:
            samples.append([sample.name, sample.labels.get('database', ''), sample.value, family.type, family.documentation])
    print(json.dumps(samples))
    """#
