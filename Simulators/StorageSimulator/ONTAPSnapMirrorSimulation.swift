import Foundation

extension SimulatorSeed {
    /// ONTAP: the SnapMirror relationship whose destination is the seeded volume (which becomes type DP).
    public struct SnapMirrorSeed: Sendable, Codable, Hashable {
        /// The source, `svm:volume`.
        public var source: String
        /// The relationship's policy: `MirrorAllSnapshots` (every source snapshot), `MirrorLatest` (only
        /// SnapMirror's own) or a vault policy (`XDPDefault`: labels `daily`, `weekly`; any other name: ``labels``).
        public var policy: String
        /// A vault policy's rule labels (default for `XDPDefault`: `daily`, `weekly`).
        public var labels: [String]?
        /// Seconds a transfer takes (default 0.2).
        public var transferSeconds: Double?

        /// A relationship from `source` (`svm:volume`) under `policy`.
        public init(source: String, policy: String, labels: [String]? = nil, transferSeconds: Double? = nil) {
            self.source = source
            self.policy = policy
            self.labels = labels
            self.transferSeconds = transferSeconds
        }
    }
}

/// A SnapMirror relationship of the simulated cluster (ONTAP REST `/api/snapmirror/relationships`).
struct SnapMirrorRelationship {
    var uuid: String
    var sourceSVM: String
    var sourceVolume: String
    var destinationSVM: String
    var destinationVolume: String
    var policy: SnapMirrorPolicy
    /// `uninitialized`, `snapmirrored`, `broken_off`.
    var state = "uninitialized"
    var healthy = true
    var unhealthyReason: (message: String, code: String)?
    /// The newest snapshot both sides hold after the last successful transfer (the next update's base).
    var exportedSnapshot: String?
    /// When the exported snapshot was taken at the source (for `lag_time`).
    var exportedCreation: Date?
    /// The transfer running or last run.
    var transferUUID: String?
    /// Numbers SnapMirror's own snapshots.
    var counter = 0
    var transferSeconds: Double
}

/// A SnapMirror policy: a mirror (all or only SnapMirror's newest snapshot) or a vault with rule labels.
struct SnapMirrorPolicy {
    var uuid: String
    var name: String
    var copyAllSourceSnapshots: Bool
    var copyLatestSourceSnapshot: Bool
    var labels: [String]

    var isMirror: Bool { copyAllSourceSnapshots || copyLatestSourceSnapshot }

    static func named(_ name: String, labels: [String]?) -> SnapMirrorPolicy {
        let uuid = ONTAPSimulation.newUUID()
        switch name {
        case "MirrorAllSnapshots":
            return .init(
                uuid: uuid, name: name, copyAllSourceSnapshots: true, copyLatestSourceSnapshot: false, labels: [])
        case "MirrorLatest", "DPDefault":
            return .init(
                uuid: uuid, name: name, copyAllSourceSnapshots: false, copyLatestSourceSnapshot: true, labels: [])
        default:
            return .init(
                uuid: uuid, name: name, copyAllSourceSnapshots: false, copyLatestSourceSnapshot: false,
                labels: labels ?? (name == "XDPDefault" ? ["daily", "weekly"] : []))
        }
    }
}

/// One transfer: `transferring` until `readyAt`, then `success` or `failed`.
struct SnapMirrorTransfer {
    var uuid: String
    var relationship: String
    var state = "transferring"
    var readyAt: Date
    var start: Date
    var end: Date?
    /// A failure scripted by a `failJob` fault.
    var forcedFailure: (message: String, code: String)?
    var error: (message: String, code: String)?
    /// SnapMirror's snapshot taken at the source when the transfer started.
    var snapshot: String
    var bytes: Int64 = 0
}

extension ONTAPSimulation {
    /// SnapMirror's own snapshots: `snapmirror.<relationship uuid>_<n>.<timestamp>`.
    static let snapMirrorPrefix = "snapmirror."

    /// The SVMs that exist: the simulator's own and every seeded volume's.
    var knownSVMs: Set<String> {
        Set([options.svm] + volumes.values.compactMap(\.svm))
    }

    func svmName(_ volume: Volume) -> String { volume.svm ?? options.svm }

    /// A stable made-up UUID per SVM name.
    func svmUUID(_ name: String) -> String {
        name == options.svm
            ? "00000000-0000-0000-0000-000000000001"
            : "00000000-0000-0000-0001-\(String(format: "%012x", abs(name.hashValue) % 0xffff_ffff_ffff))"
    }

    func volume(named name: String, svm: String) -> Volume? {
        order.compactMap { volumes[$0] }.first { $0.name == name && svmName($0) == svm }
    }

    /// The relationship whose destination is `volume`, if any.
    func relationship(destination volume: Volume) -> SnapMirrorRelationship? {
        relationships.values.first {
            $0.destinationVolume == volume.name && $0.destinationSVM == svmName(volume)
        }
    }

    mutating func seedRelationship(_ seed: SimulatorSeed.SnapMirrorSeed, destination: Volume) {
        let parts = seed.source.split(separator: ":", maxSplits: 1).map(String.init)
        let relationship = SnapMirrorRelationship(
            uuid: Self.newUUID(), sourceSVM: parts.count == 2 ? parts[0] : options.svm,
            sourceVolume: parts.last ?? seed.source, destinationSVM: svmName(destination),
            destinationVolume: destination.name, policy: .named(seed.policy, labels: seed.labels),
            transferSeconds: seed.transferSeconds ?? 0.2)
        relationships[relationship.uuid] = relationship
        relationshipOrder.append(relationship.uuid)
    }

    /// A client's change of a DP volume (ONTAP: the volume is read-only; code as the cluster's, unverified).
    func readOnlyRefusal(_ volume: Volume) -> SimResponse {
        error(
            409,
            "Volume \"\(volume.name)\" in SVM \"\(svmName(volume))\" is a data-protection (DP) volume and is read-only; only SnapMirror transfers change it.",
            "13107406")
    }

    /// Why deleting `snapshot` of `volume` is refused for SnapMirror's sake, `nil` when it is not: every snapshot
    /// of a mirror destination (the mirror holds what the source holds), and SnapMirror's own snapshot at the source
    /// while a relationship needs it.
    func snapMirrorDeletionRefusal(_ snapshot: Snapshot, of volume: Volume) -> SimResponse? {
        if volume.isDataProtection, let relationship = relationship(destination: volume), relationship.policy.isMirror,
            relationship.state != "broken_off"
        {
            return error(
                409,
                "Snapshot copy \"\(snapshot.name)\" of volume \"\(volume.name)\" cannot be deleted: the volume is the destination of a SnapMirror mirror relationship (policy \(relationship.policy.name)); snapshots on it are managed by SnapMirror.",
                "13107407")
        }
        if !volume.isDataProtection, snapshot.name.hasPrefix(Self.snapMirrorPrefix),
            relationships.values.contains(where: {
                $0.sourceVolume == volume.name && $0.sourceSVM == svmName(volume)
                    && $0.exportedSnapshot == snapshot.name
            })
        {
            return error(
                409,
                "Snapshot copy \"\(snapshot.name)\" of volume \"\(volume.name)\" is busy: owners: snapmirror.",
                "1638555")
        }
        return nil
    }

    // MARK: Dispatch

    /// `/api/snapmirror/…`: relationships (list, get, PATCH state), their transfers (start, list, get) and policies.
    mutating func handleSnapMirror(_ request: SimRequest, _ path: [String], fault: FaultRule?, now: Date)
        -> SimResponse
    {
        switch (request.method, path) {
        case ("GET", ["policies"]):
            var seen: Set<String> = []
            let records = relationshipOrder.compactMap { relationships[$0]?.policy }.filter {
                seen.insert($0.name).inserted
            }.map(policyJSON)
            return collection(records, request: request)
        case ("GET", ["relationships"]):
            return collection(
                relationshipOrder.compactMap { relationships[$0] }.map { relationshipJSON($0, now: now) },
                request: request)
        case ("GET", let p) where p.count == 2 && p[0] == "relationships":
            guard let relationship = relationships[p[1]] else { return error(404, "entry doesn't exist", "4") }
            return .json(
                200, fullUnlessSelected(relationshipJSON(relationship, now: now), request),
                contentType: "application/hal+json")
        case ("PATCH", let p) where p.count == 2 && p[0] == "relationships":
            return patchRelationship(p[1], request: request, now: now)
        case ("GET", let p) where p.count == 3 && p[0] == "relationships" && p[2] == "transfers":
            let records = transfers.values.filter { $0.relationship == p[1] }.sorted { $0.start < $1.start }
                .map(transferJSON)
            return collection(records, request: request)
        case ("GET", let p) where p.count == 4 && p[0] == "relationships" && p[2] == "transfers":
            guard let transfer = transfers[p[3]], transfer.relationship == p[1] else {
                return error(404, "entry doesn't exist", "4")
            }
            return .json(200, fullUnlessSelected(transferJSON(transfer), request), contentType: "application/hal+json")
        case ("PATCH", let p) where p.count == 4 && p[0] == "relationships" && p[2] == "transfers":
            guard var transfer = transfers[p[3]], transfer.relationship == p[1] else {
                return error(404, "entry doesn't exist", "4")
            }
            guard request.jsonObject["state"] as? String == "aborted" else {
                return error(400, "Only \"state\": \"aborted\" can be set on a transfer.", "2", target: "state")
            }
            if transfer.state == "transferring" {
                transfer.state = "aborted"
                transfer.error = ("Transfer aborted by the client.", "13303819")
                transfer.end = now
                transfers[transfer.uuid] = transfer
            }
            return .json(200, [:] as [String: Any], contentType: "application/hal+json")
        case ("POST", let p) where p.count == 3 && p[0] == "relationships" && p[2] == "transfers":
            return startTransfer(p[1], request: request, fault: fault, now: now)
        default:
            return error(404, "API not found", "3")
        }
    }

    /// A single record: every field without `fields=` (as ONTAP answers a GET of one record), else the selection.
    private func fullUnlessSelected(_ record: [String: Any], _ request: SimRequest) -> [String: Any] {
        guard let fields = request.queryValue("fields") else { return record }
        return select(record, fields: fields)
    }

    /// `PATCH state`: `broken_off` (break: the destination becomes writable) or `snapmirrored` (resync from the
    /// newest snapshot both sides hold).
    private mutating func patchRelationship(_ uuid: String, request: SimRequest, now: Date) -> SimResponse {
        guard var relationship = relationships[uuid] else { return error(404, "entry doesn't exist", "4") }
        guard let state = request.jsonObject["state"] as? String else {
            return error(400, "Field \"state\" is required.", "2", target: "state")
        }
        guard let destination = volume(named: relationship.destinationVolume, svm: relationship.destinationSVM),
            let source = volume(named: relationship.sourceVolume, svm: relationship.sourceSVM)
        else { return error(404, "The source or destination volume does not exist.", "13303812") }
        switch state {
        case "broken_off":
            relationship.state = "broken_off"
            var changed = destination
            changed.isDataProtection = false
            volumes[destination.uuid] = changed
        case "snapmirrored":
            let common = destination.snapshots.filter { snapshot in
                source.snapshots.contains { $0.name == snapshot.name }
            }.max { $0.createTime < $1.createTime }
            guard let common else {
                return error(
                    409,
                    "No common Snapshot copy found between \(relationship.sourceSVM):\(relationship.sourceVolume) and \(relationship.destinationSVM):\(relationship.destinationVolume); a resync is impossible.",
                    "13303869")
            }
            var changed = destination
            changed.isDataProtection = true
            changed.snapshots.removeAll { $0.createTime > common.createTime }
            volumes[destination.uuid] = changed
            relationship.state = "snapmirrored"
            relationship.exportedSnapshot = common.name
            relationship.exportedCreation = common.createTime
            relationship.healthy = true
            relationship.unhealthyReason = nil
        default:
            return error(400, "Invalid value for state: \(state)", "2", target: "state")
        }
        relationships[uuid] = relationship
        return startJob(
            "PATCH /api/snapmirror/relationships/\(uuid)", .none, request: request, fault: nil, now: now,
            created: false)
    }

    // MARK: Transfers

    /// Starts an update (or the baseline of an uninitialized relationship): SnapMirror's snapshot is taken at the
    /// source now; the copy ends after the relationship's transfer time (a `slowJob` fault's seconds), failing
    /// when a `failJob` fault says so.
    private mutating func startTransfer(_ uuid: String, request: SimRequest, fault: FaultRule?, now: Date)
        -> SimResponse
    {
        guard var relationship = relationships[uuid] else { return error(404, "entry doesn't exist", "4") }
        if relationship.state == "broken_off" {
            return error(
                409,
                "Transfer failed: the relationship with destination \(relationship.destinationSVM):\(relationship.destinationVolume) is broken-off; resync it first.",
                "13303808")
        }
        if let running = relationship.transferUUID, transfers[running]?.state == "transferring" {
            return error(
                409, "Another transfer is in progress on the relationship (transfer \(running)).", "13303813")
        }
        guard var source = volume(named: relationship.sourceVolume, svm: relationship.sourceSVM) else {
            return error(
                404, "Source volume \(relationship.sourceSVM):\(relationship.sourceVolume) does not exist.", "13303812")
        }
        relationship.counter += 1
        let stamp = Self.snapMirrorStamp(now)
        let name = "\(Self.snapMirrorPrefix)\(relationship.uuid)_\(2_147_483_648 + relationship.counter).\(stamp)"
        let snapshot = Snapshot(uuid: Self.newUUID(), name: name, createTime: now, size: 4096)
        if let problem = apply(.createSnapshot(volume: source.uuid, snapshot), now: now) {
            return error(500, "Cannot create the SnapMirror snapshot: \(problem.message)", String(problem.code))
        }
        source = volumes[source.uuid] ?? source
        var transfer = SnapMirrorTransfer(
            uuid: Self.newUUID(), relationship: uuid,
            readyAt: now.addingTimeInterval(relationship.transferSeconds), start: now, snapshot: name)
        if let fault, fault.action == .slowJob { transfer.readyAt = now.addingTimeInterval(fault.seconds ?? 2) }
        if let fault, fault.action == .failJob {
            transfer.forcedFailure = (
                fault.message ?? "Transfer failed: the source cluster is unreachable (simulated).",
                fault.code ?? "13303812"
            )
        }
        transfers[transfer.uuid] = transfer
        relationship.transferUUID = transfer.uuid
        relationships[uuid] = relationship
        var response = startJob(
            "SnapMirror transfer create", .none, request: request, fault: nil, now: now, created: true)
        if request.queryValue("return_records") == "true" {
            response = .json(
                response.status,
                ["num_records": 1, "records": [transferJSON(transfer)], "job": jobLink(of: response)],
                contentType: "application/hal+json")
        }
        return response
    }

    private func jobLink(of response: SimResponse) -> Any {
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            return [:] as [String: Any]
        }
        return object["job"] ?? [:] as [String: Any]
    }

    /// `20241105_101500` (UTC), as in SnapMirror's snapshot names.
    static func snapMirrorStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd_HHmmss"
        return formatter.string(from: date)
    }

    /// Ends every transfer whose time has come.
    mutating func advanceTransfers(now: Date) {
        for uuid in transfers.keys.sorted() {
            guard var transfer = transfers[uuid], transfer.state == "transferring", transfer.readyAt <= now,
                var relationship = relationships[transfer.relationship]
            else { continue }
            if let problem = transfer.forcedFailure ?? finishTransfer(&transfer, &relationship) {
                transfer.state = "failed"
                transfer.error = problem
                relationship.healthy = false
                relationship.unhealthyReason = problem
            } else {
                transfer.state = "success"
                relationship.healthy = true
                relationship.unhealthyReason = nil
            }
            transfer.end = now
            transfers[uuid] = transfer
            relationships[relationship.uuid] = relationship
        }
    }

    /// Copies what the policy selects from the source to the destination; the failure when it cannot.
    private mutating func finishTransfer(
        _ transfer: inout SnapMirrorTransfer, _ relationship: inout SnapMirrorRelationship
    ) -> (message: String, code: String)? {
        guard let source = volume(named: relationship.sourceVolume, svm: relationship.sourceSVM),
            var destination = volume(named: relationship.destinationVolume, svm: relationship.destinationSVM)
        else { return ("Transfer failed: the source or destination volume does not exist.", "13303812") }
        guard let newest = source.snapshots.first(where: { $0.name == transfer.snapshot }) else {
            return (
                "Transfer failed: SnapMirror's snapshot \(transfer.snapshot) was deleted at the source.", "13303841"
            )
        }
        var base: Snapshot?
        if relationship.state == "snapmirrored" {
            guard let exported = relationship.exportedSnapshot,
                let common = source.snapshots.first(where: { $0.name == exported }),
                destination.snapshots.contains(where: { $0.name == exported })
            else {
                return (
                    "Transfer failed: no common Snapshot copy between \(relationship.sourceSVM):\(relationship.sourceVolume) and \(relationship.destinationSVM):\(relationship.destinationVolume) (the last one, \(relationship.exportedSnapshot ?? "none"), was deleted); a resync is required.",
                    "13303869"
                )
            }
            base = common
        }
        let policy = relationship.policy
        let selected = source.snapshots.filter { snapshot in
            if let base, snapshot.createTime <= base.createTime { return false }
            if snapshot.createTime > newest.createTime { return false }
            if snapshot.name == newest.name { return true }
            if snapshot.name.hasPrefix(Self.snapMirrorPrefix) { return false }
            if policy.copyAllSourceSnapshots { return true }
            if policy.copyLatestSourceSnapshot { return false }
            return snapshot.snapmirrorLabel.map(policy.labels.contains) ?? false
        }.sorted { $0.createTime < $1.createTime }
        for snapshot in selected where !destination.snapshots.contains(where: { $0.name == snapshot.name }) {
            var copy = snapshot
            copy.uuid = Self.newUUID()
            copy.expiryTime = nil
            copy.snaplockExpiry = nil
            if let data, let from = try? snapshotDirectory(volume: source.name, snapshot: snapshot.name),
                let to = try? snapshotDirectory(volume: destination.name, snapshot: snapshot.name)
            {
                do {
                    try data.remove(to)
                    try data.clone(from, to: to)
                } catch {
                    return ("Transfer failed: Simulated storage data operation failed: \(error.message)", "13001")
                }
            }
            destination.snapshots.append(copy)
            transfer.bytes += snapshot.size
        }
        destination.snapshots.sort { $0.createTime < $1.createTime }
        // The destination's active file system is the transferred SnapMirror snapshot.
        if let data, let live = try? volumeDirectory(destination),
            let frozen = try? snapshotDirectory(volume: source.name, snapshot: newest.name)
        {
            do {
                try data.remove(live)
                try data.clone(frozen, to: live)
            } catch {
                return ("Transfer failed: Simulated storage data operation failed: \(error.message)", "13001")
            }
        }
        volumes[destination.uuid] = destination
        // SnapMirror keeps only its newest snapshot of the relationship on both sides.
        let own = "\(Self.snapMirrorPrefix)\(relationship.uuid)_"
        for volume in [source, destination] {
            guard let current = volumes[volume.uuid] else { continue }
            for old in current.snapshots where old.name.hasPrefix(own) && old.name != newest.name {
                _ = apply(.deleteSnapshot(volume: volume.uuid, snapshot: old.uuid), now: newest.createTime)
            }
        }
        relationship.state = "snapmirrored"
        relationship.exportedSnapshot = newest.name
        relationship.exportedCreation = newest.createTime
        return nil
    }

    // MARK: JSON

    func relationshipJSON(_ relationship: SnapMirrorRelationship, now: Date) -> [String: Any] {
        var record: [String: Any] = [
            "uuid": relationship.uuid,
            "source": [
                "path": "\(relationship.sourceSVM):\(relationship.sourceVolume)",
                "svm": ["name": relationship.sourceSVM, "uuid": svmUUID(relationship.sourceSVM)],
            ],
            "destination": [
                "path": "\(relationship.destinationSVM):\(relationship.destinationVolume)",
                "svm": ["name": relationship.destinationSVM, "uuid": svmUUID(relationship.destinationSVM)],
            ],
            "policy": ["name": relationship.policy.name, "uuid": relationship.policy.uuid, "type": "async"],
            "state": relationship.state, "healthy": relationship.healthy,
            "_links": ["self": ["href": "/api/snapmirror/relationships/\(relationship.uuid)"]],
        ]
        if let reason = relationship.unhealthyReason {
            record["unhealthy_reason"] = [["message": reason.message, "code": reason.code]]
        }
        if let exported = relationship.exportedSnapshot { record["exported_snapshot"] = exported }
        if let created = relationship.exportedCreation {
            record["lag_time"] = Self.isoDuration(max(0, now.timeIntervalSince(created)))
        }
        if let uuid = relationship.transferUUID, let transfer = transfers[uuid] {
            record["transfer"] = [
                "uuid": transfer.uuid, "state": transfer.state, "bytes_transferred": transfer.bytes,
            ]
        }
        return record
    }

    func transferJSON(_ transfer: SnapMirrorTransfer) -> [String: Any] {
        var record: [String: Any] = [
            "uuid": transfer.uuid, "state": transfer.state, "bytes_transferred": transfer.bytes,
            "snapshot": transfer.snapshot,
            "relationship": ["uuid": transfer.relationship],
            "_links": [
                "self": [
                    "href": "/api/snapmirror/relationships/\(transfer.relationship)/transfers/\(transfer.uuid)"
                ]
            ],
        ]
        if let end = transfer.end { record["end_time"] = format(end) }
        if let problem = transfer.error { record["error_info"] = ["message": problem.message, "code": problem.code] }
        return record
    }

    func policyJSON(_ policy: SnapMirrorPolicy) -> [String: Any] {
        [
            "uuid": policy.uuid, "name": policy.name, "type": "async",
            "copy_all_source_snapshots": policy.copyAllSourceSnapshots,
            "copy_latest_source_snapshot": policy.copyLatestSourceSnapshot,
            "retention": policy.labels.map { ["label": $0, "count": 7] },
            "_links": ["self": ["href": "/api/snapmirror/policies/\(policy.uuid)"]],
        ]
    }

    /// `PT1H2M3S`.
    static func isoDuration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds)
        return "PT\(total / 3600)H\(total % 3600 / 60)M\(total % 60)S"
    }
}
