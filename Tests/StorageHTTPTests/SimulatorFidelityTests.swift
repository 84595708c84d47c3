import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageSimulator
import Testing

/// The simulators' wire shapes and rules, checked over plain HTTP on 127.0.0.1.
@Suite("storage-sim wire behaviour")
struct SimulatorFidelityTests {
    static let quiet = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
    static let basic = [
        HTTPHeader("Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
    ]

    func client(_ server: RunningSimulator, base: String) -> ApplianceHTTPClient {
        ApplianceHTTPClient(
            vendor: "sim", baseURL: server.baseURL + base,
            transport: CurlTransport(options: HTTPTransportOptions(vendor: "sim", logger: Self.quiet)),
            logger: Self.quiet, timeout: .seconds(10), retryPolicy: HTTPRetryPolicy(maxAttempts: 1))
    }

    func json(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test("ZFSSA: v1/v2 formats, per-request user headers, dependents, limit/start, faults")
    func zfssa() async throws {
        let seed = SimulatorSeed(shares: [
            .init(
                name: "orcl",
                snapshots: (1...5).map {
                    .init(
                        name: "orcl-\($0)", creation: Date(timeIntervalSince1970: 1_478_638_416 + Double($0) * 86_400))
                })
        ])
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: seed) {
            server in
            let v1 = client(server, base: "/api/storage/v1")
            let v2 = client(server, base: "/api/storage/v2")
            let path = "pools/pool1/projects/demo-backup/filesystems/orcl/snapshots"
            let userHeaders = [HTTPHeader("X-Auth-User", "admin"), HTTPHeader("X-Auth-Key", "secret")]
            let old = try await v1.send(.get, path, headers: userHeaders, operation: "t", retry: .once)
            #expect(old.status == 200)
            #expect(old.header("X-Zfssa-Storage-Api") == "1.1")
            let oldFirst = try #require((try json(old)["snapshots"] as? [[String: Any]])?.first)
            #expect(oldFirst["creation"] as? String == "20161109T20:53:36")
            let page = try await v2.send(
                .get, "\(path)?start=1&limit=2", headers: Self.basic, operation: "t", retry: .once)
            let names = (try json(page)["snapshots"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["orcl-2", "orcl-3"])
            let newFirst = try await v2.send(.get, "\(path)/orcl-1", headers: Self.basic, operation: "t", retry: .once)
            #expect(
                (try json(newFirst)["snapshot"] as? [String: Any])?["creation"] as? String == "2016-11-09T20:53:36Z")

            let clone = try await v2.send(
                .put, "\(path)/orcl-1/clone", body: Array(#"{"project":"demo-backup","share":"c1"}"#.utf8),
                headers: Self.basic, operation: "t", retry: .once)
            #expect(clone.status == 201)
            let origin = (try json(clone)["filesystem"] as? [String: Any])?["origin"] as? [String: Any]
            #expect(origin?["share"] as? String == "orcl")
            #expect(origin?["snapshot"] as? String == "orcl-1")
            let dependents = try await v2.send(
                .get, "\(path)/orcl-1/dependents", headers: Self.basic, operation: "t", retry: .once)
            #expect((try json(dependents)["dependents"] as? [[String: Any]])?.first?["share"] as? String == "c1")
            let dropShare = try await v2.send(
                .delete, "pools/pool1/projects/demo-backup/filesystems/orcl", headers: Self.basic, operation: "t",
                retry: .once)
            #expect(dropShare.status == 409)

            let missing = try await v2.send(.get, "\(path)/nope", headers: Self.basic, operation: "t", retry: .once)
            #expect(missing.status == 404)
            let fault = try #require(try json(missing)["fault"] as? [String: Any])
            #expect(fault["message"] as? String == "ERR_NOT_FOUND")
            #expect(fault["code"] as? Int == 404)
            let anonymous = try await v2.send(.get, path, operation: "t", retry: .once)
            #expect(anonymous.status == 401)

            await server.engine.addFault(
                FaultRule(.status, method: "GET", pathContains: "orcl-2", skip: 1, status: 503))
            #expect(
                try await v2.send(.get, "\(path)/orcl-2", headers: Self.basic, operation: "t", retry: .once).status
                    == 200)
            let faulted = try await v2.send(.get, "\(path)/orcl-2", headers: Self.basic, operation: "t", retry: .once)
            #expect(faulted.status == 503)
            #expect(faulted.text.contains("ERR_BUSY"))
            #expect(
                try await v2.send(.get, "\(path)/orcl-2", headers: Self.basic, operation: "t", retry: .once).status
                    == 200)
        }
    }

    @Test("ONTAP: fields, filters, mounted volumes refuse deletion, jobs")
    func ontap() async throws {
        let seed = SimulatorSeed(shares: [
            .init(name: "vol_a", snapshots: [.init(name: "s1", creation: Date(timeIntervalSince1970: 1_700_000_000))]),
            .init(name: "vol_b"),
        ])
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .ontap), tls: nil, seed: seed) {
            server in
            let api = client(server, base: "/api")
            let bare = try await api.send(
                .get, "storage/volumes?name=vol_a", headers: Self.basic, operation: "t", retry: .once)
            let record = try #require((try json(bare)["records"] as? [[String: Any]])?.first)
            #expect(Set(record.keys) == ["uuid", "name", "_links"])
            let uuid = try #require(record["uuid"] as? String)
            let filtered = try await api.send(
                .get, "storage/volumes?name=vol_*&nas.path=/vol_b&fields=nas", headers: Self.basic, operation: "t",
                retry: .once)
            let only = try json(filtered)["records"] as? [[String: Any]]
            #expect(only?.map { $0["name"] as? String } == ["vol_b"])
            #expect((only?.first?["nas"] as? [String: Any])?["path"] as? String == "/vol_b")

            let snapshots = try await api.send(
                .get, "storage/volumes/\(uuid)/snapshots?fields=create_time,size", headers: Self.basic, operation: "t",
                retry: .once)
            let snapshot = try #require((try json(snapshots)["records"] as? [[String: Any]])?.first)
            #expect(snapshot["create_time"] as? String == "2023-11-14T23:13:20+01:00")

            let mounted = try await api.send(
                .delete, "storage/volumes/\(uuid)", headers: Self.basic, operation: "t", retry: .once)
            #expect(mounted.status == 409)
            let error = try #require(try json(mounted)["error"] as? [String: Any])
            #expect(error["code"] is String)
            #expect((error["message"] as? String)?.contains("unmounted") == true)

            let unmount = try await api.send(
                .patch, "storage/volumes/\(uuid)", body: Array(#"{"nas.path":""}"#.utf8), headers: Self.basic,
                operation: "t", retry: .once)
            #expect(unmount.status == 202)
            let jobPath = try #require(
                ((try json(unmount)["job"] as? [String: Any])?["uuid"] as? String).map { "cluster/jobs/\($0)" })
            try await Task.sleep(for: .milliseconds(20))
            let job = try await api.send(.get, jobPath, headers: Self.basic, operation: "t", retry: .once)
            #expect(try json(job)["state"] as? String == "success")
            let deleted = try await api.send(
                .delete, "storage/volumes/\(uuid)?return_timeout=10", headers: Self.basic, operation: "t", retry: .once)
            #expect(deleted.status == 200)
            #expect(!(await server.engine.shareExists(named: "vol_a")))
            let log = await server.engine.requestLog()
            #expect(log.allSatisfy { $0.authenticated })
            #expect(log.last?.description.hasPrefix("DELETE /api/storage/volumes/") == true)
        }
    }
}
