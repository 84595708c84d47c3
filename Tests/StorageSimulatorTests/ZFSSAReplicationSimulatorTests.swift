import Foundation
import Testing

@testable import StorageSimulator

/// A ZFSSA request on any path below `/api/storage/v2`.
private func api(_ method: String, _ path: String, _ object: [String: Any]? = nil) -> SimRequest {
    SimRequest(
        method: method, path: "/api/storage/v2" + path, headers: ["X-Auth-User": "admin", "X-Auth-Key": "secret"],
        body: object.map(body) ?? [])
}

private func names(_ response: SimResponse, _ key: String = "snapshots") -> [String] {
    (json(response)[key] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
}

/// A simulator with the share `orcl` in `pool1/demo-backup`, a local project `pool1/offsite` for clones at the
/// replica, a target and an action replicating `demo-backup`.
private struct ReplicationSetup {
    let engine: SimulatorEngine
    let action: String

    init(dataRoot: String? = nil, retainUserSnaps: Bool = false) async throws {
        var options = SimulatorOptions(
            vendor: .zfssa, projects: [("pool1", "demo-backup"), ("pool1", "offsite")], dataRoot: dataRoot)
        options.sessionTimeout = 900
        engine = SimulatorEngine(options: options)
        try await engine.seed(SimulatorSeed(shares: [.init(name: "orcl")]))
        let target = await engine.handle(
            api("POST", "/replication/targets", ["hostname": "127.0.0.1", "label": "offsite", "root_password": "x"]),
            fault: nil)
        #expect(target.status == 201)
        let created = await engine.handle(
            api(
                "POST", "/replication/actions",
                [
                    "pool": "pool1", "project": "demo-backup", "target": "offsite", "include_snaps": true,
                    "retain_user_snaps": retainUserSnaps,
                ]), fault: nil)
        #expect(created.status == 201)
        action = try #require((json(created)["action"] as? [String: Any])?["id"] as? String)
    }

    func send(_ request: SimRequest, fault: FaultRule? = nil) async -> SimResponse {
        await engine.handle(request, fault: fault)
    }

    func actionRecord() async -> [String: Any] {
        json(await send(api("GET", "/replication/actions/\(action)")))["action"] as? [String: Any] ?? [:]
    }

    /// Starts an update and lets the appliance's clock run past its transfer.
    func update(fault: FaultRule? = nil) async -> [String: Any] {
        let started = await send(api("PUT", "/replication/actions/\(action)/sendupdate"), fault: fault)
        #expect(started.status == 202)
        #expect(await actionRecord()["state"] as? String == "sending")
        await engine.advanceClock(by: 1)
        return await actionRecord()
    }

    func package() async throws -> String {
        let packages = json(await send(api("GET", "/replication/packages")))["packages"] as? [[String: Any]] ?? []
        #expect(packages.count == 1)
        return try #require(packages.first?["id"] as? String)
    }

    func replicaSnapshots(_ package: String) async -> [String] {
        names(
            await send(
                api("GET", "/replication/packages/\(package)/projects/demo-backup/filesystems/orcl/snapshots")))
    }

    func snapshot(_ name: String) async {
        #expect(await send(zfssaRequest("POST", "/filesystems/orcl/snapshots", ["name": name])).status == 201)
    }
}

@Suite("storage-sim ZFSSA replication: targets, actions, sendupdate, packages")
struct ZFSSAReplicationSimulatorTests {
    @Test("a full then an incremental update: state sending then idle, packages hold the snapshots")
    func fullThenIncremental() async throws {
        let setup = try await ReplicationSetup()
        let fresh = await setup.actionRecord()
        #expect(fresh["state"] as? String == "idle")
        #expect(fresh["project"] as? String == "demo-backup")
        #expect(fresh["include_snaps"] as? Bool == true)
        #expect(names(await setup.send(api("GET", "/replication/packages")), "packages").isEmpty)
        // The project's own listing of actions shows it too.
        let scoped = json(await setup.send(zfssaRequest("GET", "/replication/actions")))["actions"] as? [[String: Any]]
        #expect(scoped?.first?["id"] as? String == setup.action)

        await setup.snapshot("orcl-1")
        let first = await setup.update()
        #expect(first["state"] as? String == "idle")
        #expect(first["last_result"] as? String == "success")
        #expect((first["last_sync"] as? String)?.isEmpty == false)
        #expect((first["replica_data_timestamp"] as? String)?.isEmpty == false)
        let package = try await setup.package()
        let received = await setup.replicaSnapshots(package)
        #expect(received.count == 2)
        #expect(received.first == "orcl-1")
        #expect(received.last?.hasPrefix(".rr-") == true)
        // The source shows its replication snapshot as the appliance does.
        let source = names(await setup.send(zfssaRequest("GET", "/filesystems/orcl/snapshots")))
        #expect(source.count == 2 && source.last == received.last)

        await setup.snapshot("orcl-2")
        await setup.snapshot("orcl-3")
        let second = await setup.update()
        #expect(second["last_result"] as? String == "success")
        let after = await setup.replicaSnapshots(package)
        #expect(after.filter { !$0.hasPrefix(".rr-") } == ["orcl-1", "orcl-2", "orcl-3"])
        #expect(after.filter { $0.hasPrefix(".rr-") }.count == 1)
        #expect(after.last != received.last)
        let sourceAfter = names(await setup.send(zfssaRequest("GET", "/filesystems/orcl/snapshots")))
        #expect(sourceAfter.filter { $0.hasPrefix(".rr-") } == [after.last!])
        // The sources tree shows the same package.
        let viaSource = await setup.send(
            api(
                "GET",
                "/replication/sources/storage-sim/packages/\(package)/projects/demo-backup/filesystems/orcl/snapshots"))
        #expect(names(viaSource) == after)
    }

    @Test("an injected failure: last_result failed, the package unchanged; a second update while sending is refused")
    func failedUpdate() async throws {
        let setup = try await ReplicationSetup()
        await setup.snapshot("orcl-1")
        _ = await setup.update()
        let package = try await setup.package()
        let before = await setup.replicaSnapshots(package)
        await setup.snapshot("orcl-2")
        let failing = FaultRule(.failJob, pathContains: "sendupdate", message: "target unreachable")
        let started = await setup.send(api("PUT", "/replication/actions/\(setup.action)/sendupdate"), fault: failing)
        #expect(started.status == 202)
        let again = await setup.send(api("PUT", "/replication/actions/\(setup.action)/sendupdate"))
        #expect(again.status == 409)
        await setup.engine.advanceClock(by: 1)
        let failed = await setup.actionRecord()
        #expect(failed["state"] as? String == "idle")
        #expect(failed["last_result"] as? String == "failed")
        #expect(await setup.replicaSnapshots(package) == before)
        // The failed update's replication snapshot is gone; the previous one stays at the source.
        let source = names(await setup.send(zfssaRequest("GET", "/filesystems/orcl/snapshots")))
        #expect(source.filter { $0.hasPrefix(".rr-") } == before.filter { $0.hasPrefix(".rr-") })
        // The next update brings it.
        let next = await setup.update()
        #expect(next["last_result"] as? String == "success")
        #expect(await setup.replicaSnapshots(package).contains("orcl-2"))
    }

    @Test("a received snapshot clones into a local project (files copied); clones block its deletion")
    func cloneAndDelete() async throws {
        let scratch = try ScratchDirectory()
        let setup = try await ReplicationSetup(dataRoot: scratch.path)
        try scratch.write("v1", "export/demo-backup/orcl/data/file1.dbf")
        await setup.snapshot("orcl-1")
        try scratch.write("v2", "export/demo-backup/orcl/data/file1.dbf")
        await setup.snapshot("orcl-2")
        _ = await setup.update()
        let package = try await setup.package()
        let base = "/replication/packages/\(package)/projects/demo-backup/filesystems/orcl/snapshots"
        let clone = await setup.send(
            api("PUT", base + "/orcl-1/clone", ["pool": "pool1", "project": "offsite", "share": "restore1"]))
        #expect(clone.status == 201)
        let filesystem = json(clone)["filesystem"] as? [String: Any]
        #expect(filesystem?["mountpoint"] as? String == "/export/offsite/restore1")
        let origin = filesystem?["origin"] as? [String: Any]
        #expect(origin?["package"] as? String == package)
        #expect(origin?["share"] as? String == "orcl" && origin?["snapshot"] as? String == "orcl-1")
        #expect(scratch.read("export/offsite/restore1/data/file1.dbf") == "v1")
        let record = json(await setup.send(api("GET", base + "/orcl-1")))["snapshot"] as? [String: Any]
        #expect(record?["numclones"] as? Int == 1)
        #expect(await setup.send(api("DELETE", base + "/orcl-1")).status == 409)
        #expect(await setup.send(api("DELETE", "/replication/packages/\(package)")).status == 409)
        // The replication snapshot is never deleted on request.
        let marker = try #require(await setup.replicaSnapshots(package).last)
        #expect(await setup.send(api("DELETE", base + "/\(marker)")).status == 409)
        let dropped = await setup.send(
            SimRequest(
                method: "DELETE", path: "/api/storage/v2/pools/pool1/projects/offsite/filesystems/restore1",
                headers: ["X-Auth-User": "admin", "X-Auth-Key": "secret"]))
        #expect(dropped.status == 204)
        #expect(await setup.send(api("DELETE", base + "/orcl-1")).status == 204)
        #expect(await setup.replicaSnapshots(package).filter { !$0.hasPrefix(".rr-") } == ["orcl-2"])
        #expect(await setup.send(api("DELETE", "/replication/packages/\(package)")).status == 204)
        #expect(names(await setup.send(api("GET", "/replication/packages")), "packages").isEmpty)
    }

    @Test("a snapshot deleted at the source goes at the replica too, unless the action retains user snapshots")
    func deletionsFollowUnlessRetained() async throws {
        for retain in [false, true] {
            let setup = try await ReplicationSetup(retainUserSnaps: retain)
            await setup.snapshot("orcl-1")
            await setup.snapshot("orcl-2")
            _ = await setup.update()
            #expect(await setup.send(zfssaRequest("DELETE", "/filesystems/orcl/snapshots/orcl-1")).status == 204)
            _ = await setup.update()
            let package = try await setup.package()
            let kept = await setup.replicaSnapshots(package).filter { !$0.hasPrefix(".rr-") }
            #expect(kept == (retain ? ["orcl-1", "orcl-2"] : ["orcl-2"]), "retain_user_snaps \(retain)")
        }
    }
}
