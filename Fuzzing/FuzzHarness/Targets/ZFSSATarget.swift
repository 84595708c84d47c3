import Foundation
import Logging
import Reporting
import StorageKit
import StorageZFSSA

/// The ZFSSA driver's JSON decoding (snapshot and filesystem records, faults, the lenient numbers) and everything it
/// derives from them, fed through a fake appliance whose answers are mutated, truncated, replaced or echo the
/// request. Errors must be clear `StorageError`s without secrets.
enum ZFSSATarget {
    static let jsonMutator = Mutator(
        dictionary: [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "false", "{}", "[]", "\"\"",
            "\"snapshots\":", "\"snapshot\":", "\"filesystems\":", "\"filesystem\":", "\"origin\":", "\"name\":",
            "\"creation\":", "\"numclones\":", "\"space_data\":", "\"space_unique\":", "\"retentionpolicy\":",
            "\"fault\":", "\"details\":", "\"mountpoint\":", "\"share\":", "\"20161108T21:53:36\"",
            "\"2016-11-08T21:53:36.123+05:00\"", "1e309", "-1", "\"9.3e18\"", "0.5",
        ],
        nesting: [("[", "]"), ("{\"a\":", "}"), ("{\"snapshots\":[", "]}")], maximumSize: 256 << 10)

    static let snapshotNames = ["orcl-20161108T215336", "orcl-20161109T215336"]

    static func snapshotRecord(_ name: String) -> [String: Any] {
        [
            "name": name, "creation": "20161108T21:53:36", "numclones": 0, "space_data": 185_597_952,
            "space_unique": "1024", "retentionpolicy": "off",
        ]
    }

    static func filesystem(_ name: String) -> [String: Any] {
        var record: [String: Any] = [
            "name": name, "project": "demo-backup", "pool": "pool1", "mountpoint": "/export/demo-backup/\(name)",
            "space_data": 1_048_576,
        ]
        record["origin"] =
            name == "orcl"
            ? [String: Any]()
            : ["pool": "pool1", "project": "demo-backup", "share": "orcl", "snapshot": snapshotNames[0]]
        return record
    }

    /// What a healthy appliance answers.
    static func healthy(_ request: HTTPRequest) -> HTTPResponse {
        let (parts, _) = request.route(after: "/api/")
        let json = FuzzCredentials.json
        if parts.first == "access" {
            return HTTPResponse(
                status: request.method == .post ? 201 : 204,
                headers: [HTTPHeader("X-Auth-Session", FuzzCredentials.sessionToken)])
        }
        // storage/vN/pools/P/projects/J/filesystems[/F[/snapshots[/S[/clone]]]]
        let tail = Array(parts.dropFirst(6))
        switch (request.method, tail.count) {
        case (.get, 1):
            return HTTPResponse(
                status: 200, body: json(["filesystems": [filesystem("orcl"), filesystem("autorestore")]]))
        case (.post, 1):
            return HTTPResponse(status: 201, body: json(["filesystem": filesystem(request.bodyName ?? "orcl")]))
        case (.get, 2): return HTTPResponse(status: 200, body: json(["filesystem": filesystem(tail[1])]))
        case (.delete, 2), (.delete, 4): return HTTPResponse(status: 204)
        case (.get, 3): return HTTPResponse(status: 200, body: json(["snapshots": snapshotNames.map(snapshotRecord)]))
        case (.post, 3):
            return HTTPResponse(status: 201, body: json(["snapshot": snapshotRecord(request.bodyName ?? "x")]))
        case (.get, 4): return HTTPResponse(status: 200, body: json(["snapshot": snapshotRecord(tail[3])]))
        case (.put, 5):
            return HTTPResponse(status: 201, body: json(["filesystem": filesystem(request.bodyName ?? "c")]))
        default:
            return HTTPResponse(
                status: 404, body: json(["fault": ["message": "ERR_NOT_FOUND", "details": "no such object"]]))
        }
    }

    static let operations = 9

    static let target = FuzzTarget(
        name: "zfssa-json",
        summary: "ZFSSA driver: every REST answer decoded (snapshots, filesystems, faults, lenient numbers, dates)",
        generator: { random in ApplianceExchange.generate(operations: operations, random: &random) },
        body: { input in
            let exchange = ApplianceExchange(bytes: input)
            let transport = ApplianceReplayTransport(exchange: exchange, mutator: jsonMutator, healthy: healthy)
            let driver = try ZFSSADriver(
                volumeName: "orcl", url: "https://zfssa.fuzz:215", pool: "pool1", project: "demo-backup",
                apiVersion: exchange.options & 1 == 0 ? 2 : 1,
                authentication: exchange.options & 2 == 0 ? .basic : .session, credential: FuzzCredentials.credential,
                transport: transport, timeout: .seconds(5),
                retryPolicy: HTTPRetryPolicy(maxAttempts: 2, initialBackoff: .zero, maxBackoff: .zero),
                logger: FuzzLogging.silent)
            do throws(StorageError) {
                try await exercise(driver, operation: exchange.operation % operations)
            } catch {
                try FuzzCredentials.check(error, vendor: ZFSSADriver.vendorName)
            }
            await driver.close()
        })

    static func exercise(_ driver: ZFSSADriver, operation: Int) async throws(StorageError) {
        switch operation {
        case 0: SnapshotConsumers.use(try await driver.listSnapshots())
        case 1: _ = try await driver.createSnapshot(named: "orcl-20240101T000000")
        case 2: try await driver.deleteSnapshot(id: snapshotNames[0])
        case 3: _ = try await driver.cloneSnapshot(id: snapshotNames[0], cloneName: "autorestore")
        case 4: SnapshotConsumers.use(clones: try await driver.listClones())
        case 5: _ = try await driver.cloneInfo(name: "autorestore")
        case 6: try await driver.dropClone(name: "autorestore")
        case 7: _ = try await driver.createVolume()
        default: _ = try await driver.volumeInfo()
        }
    }
}

/// What the tools do with a listing: age check, display, JSON, selection for autorestore and point-in-time restore.
enum SnapshotConsumers {
    static func use(_ snapshots: [Snapshot]) {
        let now = Date()
        _ = SnapshotAgeCheck(warningHours: 26, criticalHours: 50).evaluate(snapshots: snapshots, now: now)
        for snapshot in snapshots { _ = DisplayFormat.snapshotLine(snapshot) }
        _ = try? StorageJSON.string(snapshots)
        _ = SnapshotSelection.pointInTimeSnapshot(for: now, in: snapshots)
    }

    static func use(clones: [Clone]) {
        for clone in clones { _ = DisplayFormat.cloneLine(clone) }
        _ = try? StorageJSON.string(clones)
    }
}

/// Loggers for code under fuzz: nothing is printed (a million inputs would flood the terminal).
enum FuzzLogging {
    static let silent = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
}
