import Foundation
import Testing

@testable import StorageSimulator

/// The simulated cluster's SnapMirror: relationships, transfers (baseline, incremental, failed), the policies'
/// snapshot selection, deletions at a mirror or vault destination and a broken incremental base.
@Suite("storage-sim ONTAP SnapMirror")
struct ONTAPSnapMirrorSimulatorTests {
    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    func engine(policy: String) async throws -> SimulatorEngine {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .ontap))
        try await engine.seed(
            SimulatorSeed(shares: [
                .init(name: "oib_db1"),
                .init(
                    name: "dr_db1", svm: "svm_dr",
                    snapMirror: .init(source: "svm1:oib_db1", policy: policy, transferSeconds: 0)),
            ]))
        return engine
    }

    func send(_ engine: SimulatorEngine, _ request: SimRequest, fault: FaultRule? = nil) async -> SimResponse {
        await engine.handle(request, fault: fault)
    }

    func volumeUUID(_ engine: SimulatorEngine, _ name: String) async throws -> String {
        let response = await send(engine, ontapRequest("GET", "/storage/volumes", query: "name=\(name)"))
        let records = try #require(json(response)["records"] as? [[String: Any]])
        return try #require(records.first?["uuid"] as? String)
    }

    func snapshots(_ engine: SimulatorEngine, _ volume: String) async throws -> [[String: Any]] {
        let uuid = try await volumeUUID(engine, volume)
        let response = await send(
            engine, ontapRequest("GET", "/storage/volumes/\(uuid)/snapshots", query: "fields=name,snapmirror_label"))
        return try #require(json(response)["records"] as? [[String: Any]])
    }

    func names(_ engine: SimulatorEngine, _ volume: String) async throws -> [String] {
        try await snapshots(engine, volume).compactMap { $0["name"] as? String }
    }

    func createSnapshot(_ engine: SimulatorEngine, _ name: String, label: String? = nil) async throws {
        let uuid = try await volumeUUID(engine, "oib_db1")
        var body: [String: Any] = ["name": name]
        if let label { body["snapmirror_label"] = label }
        let response = await send(engine, ontapRequest("POST", "/storage/volumes/\(uuid)/snapshots", body))
        #expect(response.status == 202)
        await engine.advanceClock(by: 1)
    }

    func relationship(_ engine: SimulatorEngine) async throws -> [String: Any] {
        let response = await send(
            engine,
            ontapRequest("GET", "/snapmirror/relationships", query: "destination.path=svm_dr:dr_db1&fields=*"))
        let records = try #require(json(response)["records"] as? [[String: Any]])
        try #require(records.count == 1)
        return records[0]
    }

    /// Starts a transfer and reads it back once it ended; its record.
    func transfer(_ engine: SimulatorEngine, fault: FaultRule? = nil) async throws -> [String: Any] {
        let uuid = try #require(try await relationship(engine)["uuid"] as? String)
        let started = await send(
            engine,
            ontapRequest("POST", "/snapmirror/relationships/\(uuid)/transfers", query: "return_records=true", [:]),
            fault: fault)
        #expect(started.status == 202)
        let record = try #require((json(started)["records"] as? [[String: Any]])?.first)
        #expect(record["state"] as? String == "transferring")
        let transferUUID = try #require(record["uuid"] as? String)
        await engine.advanceClock(by: 1)
        let done = await send(
            engine, ontapRequest("GET", "/snapmirror/relationships/\(uuid)/transfers/\(transferUUID)"))
        #expect(done.status == 200)
        return json(done)
    }

    @Test("A mirror: baseline, then incremental, every source snapshot and SnapMirror's newest on both sides")
    func mirror() async throws {
        let engine = try await engine(policy: "MirrorAllSnapshots")
        try await createSnapshot(engine, "db1_20241101T010000")
        #expect(try await relationship(engine)["state"] as? String == "uninitialized")
        #expect(try await transfer(engine)["state"] as? String == "success")
        let first = try await names(engine, "dr_db1")
        #expect(first.count == 2)
        #expect(first.first == "db1_20241101T010000")
        #expect(first.last?.hasPrefix("snapmirror.") == true)
        let relationship = try await relationship(engine)
        #expect(relationship["state"] as? String == "snapmirrored")
        #expect(relationship["healthy"] as? Bool == true)
        #expect(relationship["exported_snapshot"] as? String == first.last)
        #expect((relationship["policy"] as? [String: Any])?["name"] as? String == "MirrorAllSnapshots")
        #expect((relationship["lag_time"] as? String)?.hasPrefix("PT") == true)

        try await createSnapshot(engine, "db1_20241102T010000")
        #expect(try await transfer(engine)["state"] as? String == "success")
        let second = try await names(engine, "dr_db1")
        #expect(second.filter { !$0.hasPrefix("snapmirror.") } == ["db1_20241101T010000", "db1_20241102T010000"])
        #expect(second.filter { $0.hasPrefix("snapmirror.") }.count == 1)
        #expect(second.last != first.last)
        #expect(try await names(engine, "oib_db1").filter { $0.hasPrefix("snapmirror.") } == [second.last!])

        // A mirror destination refuses deletions and new snapshots; its volume is type DP.
        let destination = try await volumeUUID(engine, "dr_db1")
        let listed = try await snapshots(engine, "dr_db1")
        let snapshotUUID = try await {
            let response = await send(
                engine,
                ontapRequest("GET", "/storage/volumes/\(destination)/snapshots", query: "name=db1_20241101T010000"))
            return try #require((json(response)["records"] as? [[String: Any]])?.first?["uuid"] as? String)
        }()
        #expect(listed.count == 3)
        let refused = await send(
            engine, ontapRequest("DELETE", "/storage/volumes/\(destination)/snapshots/\(snapshotUUID)"))
        #expect(refused.status == 409)
        let created = await send(
            engine, ontapRequest("POST", "/storage/volumes/\(destination)/snapshots", ["name": "x"]))
        #expect(created.status == 409)
        let volume = await send(engine, ontapRequest("GET", "/storage/volumes/\(destination)", query: "fields=*"))
        #expect(json(volume)["type"] as? String == "dp")
        #expect((json(volume)["svm"] as? [String: Any])?["name"] as? String == "svm_dr")

        // A FlexClone of a destination snapshot, in the destination's SVM.
        let clone = await send(
            engine,
            ontapRequest(
                "POST", "/storage/volumes",
                [
                    "name": "restoretest", "svm": ["name": "svm_dr"],
                    "clone": [
                        "is_flexclone": true, "parent_volume": ["name": "dr_db1"],
                        "parent_snapshot": ["name": "db1_20241101T010000"],
                    ],
                    "nas": ["path": "/restoretest"],
                ]))
        #expect(clone.status == 202)
        await engine.advanceClock(by: 1)
        let clones = await send(
            engine, ontapRequest("GET", "/storage/volumes", query: "clone.parent_volume.name=dr_db1&fields=*"))
        let cloneRecord = try #require((json(clones)["records"] as? [[String: Any]])?.first)
        #expect((cloneRecord["svm"] as? [String: Any])?["name"] as? String == "svm_dr")
    }

    @Test("A failed transfer: the transfer and the relationship say why; the next one succeeds")
    func failedTransfer() async throws {
        let engine = try await engine(policy: "MirrorAllSnapshots")
        try await createSnapshot(engine, "db1_20241101T010000")
        let failed = try await transfer(
            engine, fault: FaultRule(.failJob, message: "Transfer failed: network unreachable", code: "13303812"))
        #expect(failed["state"] as? String == "failed")
        #expect(
            (failed["error_info"] as? [String: Any])?["message"] as? String == "Transfer failed: network unreachable")
        let unhealthy = try await relationship(engine)
        #expect(unhealthy["healthy"] as? Bool == false)
        let reasons = try #require(unhealthy["unhealthy_reason"] as? [[String: Any]])
        #expect(reasons.first?["code"] as? String == "13303812")
        #expect(try await names(engine, "dr_db1").isEmpty)
        #expect(try await transfer(engine)["state"] as? String == "success")
        #expect(try await relationship(engine)["healthy"] as? Bool == true)
    }

    @Test("A vault: only labelled snapshots arrive; deletions allowed; a deleted common snapshot breaks updates")
    func vault() async throws {
        let engine = try await engine(policy: "XDPDefault")
        try await createSnapshot(engine, "db1_a", label: "daily")
        try await createSnapshot(engine, "db1_b")
        #expect(try await transfer(engine)["state"] as? String == "success")
        let arrived = try await names(engine, "dr_db1")
        #expect(arrived.filter { !$0.hasPrefix("snapmirror.") } == ["db1_a"])
        let labels = try await snapshots(engine, "dr_db1").compactMap { $0["snapmirror_label"] as? String }
        #expect(labels == ["daily"])
        let policies = await send(
            engine, ontapRequest("GET", "/snapmirror/policies", query: "name=XDPDefault&fields=*"))
        let policy = try #require((json(policies)["records"] as? [[String: Any]])?.first)
        #expect(policy["copy_all_source_snapshots"] as? Bool == false)
        #expect(
            (policy["retention"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["daily", "weekly"])

        // Deleting the newest common snapshot (SnapMirror's) at the vault: allowed, and the next update fails.
        let destination = try await volumeUUID(engine, "dr_db1")
        let records = await send(
            engine, ontapRequest("GET", "/storage/volumes/\(destination)/snapshots", query: "name=snapmirror.*"))
        let common = try #require((json(records)["records"] as? [[String: Any]])?.first?["uuid"] as? String)
        let deleted = await send(engine, ontapRequest("DELETE", "/storage/volumes/\(destination)/snapshots/\(common)"))
        #expect(deleted.status == 202)
        await engine.advanceClock(by: 1)
        try await createSnapshot(engine, "db1_c", label: "daily")
        let broken = try await transfer(engine)
        #expect(broken["state"] as? String == "failed")
        #expect(((broken["error_info"] as? [String: Any])?["message"] as? String)?.contains("no common") == true)

        // A resync from the newest snapshot both hold (db1_a) repairs it.
        let uuid = try #require(try await relationship(engine)["uuid"] as? String)
        let resync = await send(
            engine, ontapRequest("PATCH", "/snapmirror/relationships/\(uuid)", ["state": "snapmirrored"]))
        #expect(resync.status == 202)
        #expect(try await transfer(engine)["state"] as? String == "success")
        #expect(try await names(engine, "dr_db1").filter { !$0.hasPrefix("snapmirror.") } == ["db1_a", "db1_c"])
    }
}
