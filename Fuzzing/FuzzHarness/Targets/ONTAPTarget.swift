import Foundation
import StorageKit
import StorageONTAP

/// The ONTAP driver's JSON decoding (record collections and paging links, volumes with clone relations, snapshots,
/// jobs, errors, lenient numbers, times) and everything derived from it, through a fake cluster whose answers are
/// mutated, truncated, replaced or echo the request. Errors must be clear `StorageError`s without secrets.
enum ONTAPTarget {
    static let jsonMutator = Mutator(
        dictionary: [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\udc00", "null", "true", "false", "{}", "[]", "\"\"",
            "\"records\":", "\"_links\":", "\"next\":", "{\"href\":\"/api/storage/volumes?start.index=1\"}",
            "\"uuid\":", "\"name\":", "\"clone\":", "\"parent_volume\":", "\"parent_snapshot\":", "\"is_flexclone\":",
            "\"create_time\":", "\"size\":", "\"used\":", "\"state\":", "\"job\":", "\"failure\"", "\"running\"",
            "\"success\"", "\"error\":", "\"code\":", "\"2019-02-04T19:00:00Z\"", "\"2019-02-04T19:00:00.5+02:00\"",
            "9223372036854775807", "\"9.2e18\"", "1e309", "-1",
        ],
        nesting: [("[", "]"), ("{\"a\":", "}"), ("{\"records\":[", "]}")], maximumSize: 256 << 10)

    static let snapshotNames = ["orcl_20161108T215336", "orcl_20161109T215336"]

    static func volume(_ name: String, multiVolume: Bool) -> [String: Any] {
        var record: [String: Any] = [
            "uuid": "uuid-\(name)", "name": name, "svm": ["name": "svm1"], "state": "online",
            "nas": ["path": "/backup/\(name)", "export_policy": ["name": "default"]],
            "space": ["size": 1_073_741_824, "used": "4096"], "aggregates": [["name": "aggr1"]],
        ]
        let members = ["autorestore0": "backup_orcl", "autorestore1": "backup_orcl_2"]
        if name == "autorestore" && !multiVolume || members[name] != nil {
            record["clone"] = [
                "is_flexclone": true, "parent_volume": ["name": members[name] ?? "backup_orcl"],
                "parent_snapshot": ["name": snapshotNames[0]], "parent_svm": ["name": "svm1"],
            ]
            record["nas"] = ["path": members[name] == nil ? "/autorestore" : "/autorestore/\(name)"]
        } else if name == "autorestore" {
            record["nas"] = ["path": "/autorestore"]
        }
        return record
    }

    static func snapshot(_ name: String) -> [String: Any] {
        ["uuid": "snap-\(name)", "name": name, "create_time": "2016-11-08T21:53:36+01:00", "size": 4096]
    }

    static func collection(_ records: [[String: Any]]) -> [UInt8] {
        FuzzCredentials.json(["records": records, "num_records": records.count])
    }

    static func healthy(multiVolume: Bool) -> ApplianceReplayTransport.Healthy {
        { request in
            let (parts, query) = request.route(after: "/api/")
            let job = FuzzCredentials.json([
                "job": ["uuid": "job-1", "_links": ["self": ["href": "/api/cluster/jobs/job-1"]]]
            ])
            switch (request.method, parts.count) {
            case (.get, 3) where parts[0] == "cluster":
                return HTTPResponse(status: 200, body: FuzzCredentials.json(["uuid": "job-1", "state": "success"]))
            case (.get, 2):
                if let name = query["name"] {
                    return HTTPResponse(status: 200, body: collection([volume(name, multiVolume: multiVolume)]))
                }
                let parent = query["clone.parent_volume.name"] ?? "backup_orcl"
                let clones = (multiVolume ? ["autorestore0", "autorestore1"] : ["autorestore"])
                    .map { volume($0, multiVolume: multiVolume) }
                    .filter {
                        (($0["clone"] as? [String: Any])?["parent_volume"] as? [String: Any])?["name"] as? String
                            == parent
                    }
                return HTTPResponse(status: 200, body: collection(clones))
            case (.get, 4):
                let names = query["name"].map { [$0] } ?? snapshotNames
                return HTTPResponse(status: 200, body: collection(names.map(snapshot)))
            case (.post, _), (.patch, _), (.delete, _):
                return HTTPResponse(status: 202, body: job)
            default:
                return HTTPResponse(
                    status: 404, body: FuzzCredentials.json(["error": ["message": "entry doesn't exist", "code": "4"]]))
            }
        }
    }

    static let operations = 9

    static let target = FuzzTarget(
        name: "ontap-json",
        summary:
            "ONTAP driver: every REST answer decoded (collections, paging, clone relations, jobs, errors, numbers)",
        generator: { random in ApplianceExchange.generate(operations: operations, random: &random) },
        body: { input in
            let exchange = ApplianceExchange(bytes: input)
            let multiVolume = exchange.options & 1 == 1
            let transport = ApplianceReplayTransport(
                exchange: exchange, mutator: jsonMutator, healthy: healthy(multiVolume: multiVolume))
            let driver = try ONTAPDriver(
                volumeName: "orcl", filer: "https://filer.fuzz", volumePrefix: "backup_",
                additionalSuffixes: multiVolume ? ["_2"] : [], svm: exchange.options & 2 == 0 ? "svm1" : nil,
                credential: FuzzCredentials.credential, transport: transport, timeout: .seconds(5),
                jobTimeout: .milliseconds(1),
                retryPolicy: HTTPRetryPolicy(maxAttempts: 2, initialBackoff: .zero, maxBackoff: .zero),
                volumeCreation: .init(aggregate: "aggr1", size: 1 << 30, junctionParent: "/backup"),
                logger: FuzzLogging.silent)
            do throws(StorageError) {
                try await exercise(driver, operation: exchange.operation % operations)
            } catch {
                try FuzzCredentials.check(error, vendor: ONTAPDriver.vendorName)
            }
        })

    static func exercise(_ driver: ONTAPDriver, operation: Int) async throws(StorageError) {
        switch operation {
        case 0: SnapshotConsumers.use(try await driver.listSnapshots())
        case 1: _ = try await driver.createSnapshot(named: "orcl_20240101T000000")
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
