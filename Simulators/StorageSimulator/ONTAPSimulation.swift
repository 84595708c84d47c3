import Foundation
import StorageKit
import ToolSupport

/// State and REST behaviour of a simulated NetApp ONTAP cluster (storage-apis §3): volumes, snapshots, FlexClones,
/// asynchronous jobs, `fields=`, query filters and `max_records` paging with `_links.next`.
struct ONTAPSimulation {
    struct Snapshot {
        var uuid: String
        var name: String
        var createTime: Date
        var size: Int64
        /// `expiry_time`: not deletable before it (storage-apis §3.5).
        var expiryTime: Date? = nil
        /// `snaplock.expiry_time` (tamperproof snapshot): not deletable before the compliance clock passes it.
        var snaplockExpiry: Date? = nil
        /// `snapmirror_label`: which vault rule selects the snapshot for a SnapMirror transfer.
        var snapmirrorLabel: String? = nil

        /// The latest expiry still ahead of `now`, when the snapshot is locked at `now`.
        func lockedUntil(at now: Date) -> Date? {
            [expiryTime, snaplockExpiry].compactMap { $0 }.filter { $0 > now }.max()
        }
    }

    struct Volume {
        var uuid: String
        var name: String
        var size: Int64
        var used: Int64
        var path: String?
        var exportPolicy: String
        var state: String
        var parentVolume: String?
        var parentSnapshot: String?
        var createTime: Date
        var snapshots: [Snapshot]
        /// `snapshot_locking_enabled`: snapshots with a SnapLock expiry are accepted only then (storage-apis §3.5).
        /// Seeded and created volumes have it unless the seed (`snapshotLocking: false`) or the creation body says
        /// otherwise: the simulator plays a cluster prepared for `snaplockdays` (a real one starts without it).
        var snapshotLockingEnabled = true
        /// The SVM holding the volume; `nil`: the simulator's own (`options.svm`).
        var svm: String? = nil
        /// `type: dp`: a SnapMirror destination, read-only to clients; only transfers change it.
        var isDataProtection = false
    }

    enum Change {
        case createVolume(Volume)
        case patchVolume(uuid: String, path: String??, state: String?)
        case deleteVolume(uuid: String)
        case createSnapshot(volume: String, Snapshot)
        case deleteSnapshot(volume: String, snapshot: String)
        /// Nothing to apply when the job ends (a SnapMirror transfer runs on its own record).
        case none
    }

    struct Job {
        var uuid: String
        var description: String
        var state: String
        var message: String
        var code: Int
        var readyAt: Date
        var change: Change
        var forcedFailure: (message: String, code: String)?
        var start: Date
        var end: Date?
    }

    /// Which snapshot listing a cached answer belongs to: a volume's, with the fields asked for.
    struct ListingKey: Hashable {
        var volume: String
        var fields: String?
    }

    let options: SimulatorOptions
    /// Every change of a volume (its snapshots, a FlexClone that changes a snapshot's `owners`, creation, deletion)
    /// is a change of this dictionary, so it also drops the cached listings.
    var volumes: [String: Volume] = [:] {
        didSet { listings.removeAll() }
    }
    /// Encoded snapshot records per unfiltered listing, kept until `volumes` changes.
    private(set) var listings: [ListingKey: [[UInt8]]] = [:]
    var order: [String] = []
    var jobs: [String: Job] = [:]
    /// SnapMirror relationships by UUID, in creation order (ONTAPSnapMirrorSimulation.swift).
    var relationships: [String: SnapMirrorRelationship] = [:]
    var relationshipOrder: [String] = []
    /// SnapMirror transfers by UUID.
    var transfers: [String: SnapMirrorTransfer] = [:]
    /// Backing directories in file-backed mode.
    let data: SimulatorDataStore?

    init(options: SimulatorOptions) {
        self.options = options
        self.data = options.dataRoot.map { SimulatorDataStore(root: $0) }
    }

    static func newUUID() -> String { UUID().uuidString.lowercased() }

    // MARK: Seeding

    /// Adds the seed's volumes; in file-backed mode each gets its (possibly existing) directory, seeded snapshots
    /// get none (a clone of one starts empty). Throws the first directory problem after seeding everything.
    mutating func seed(_ seed: SimulatorSeed) throws(SimulatorDataError) {
        var problem: SimulatorDataError?
        for share in seed.shares {
            var volume = Volume(
                uuid: Self.newUUID(), name: share.name, size: 100 << 30, used: share.spaceUsed ?? 10 << 30,
                path: share.junctionPath ?? "/\(share.name)", exportPolicy: "default", state: "online",
                parentVolume: share.originShare, parentSnapshot: share.originSnapshot, createTime: Date(),
                snapshots: [], snapshotLockingEnabled: share.snapshotLocking ?? true)
            volume.svm = share.svm
            volume.isDataProtection = share.snapMirror != nil
            volume.snapshots = share.snapshots.map {
                Snapshot(
                    uuid: Self.newUUID(), name: $0.name, createTime: $0.creation, size: $0.spaceUnique ?? 1 << 20,
                    snaplockExpiry: $0.lockExpiry)
            }
            insert(volume)
            if let mirror = share.snapMirror { seedRelationship(mirror, destination: volume) }
            do {
                if let data, let directory = try volumeDirectory(volume) {
                    try data.createDirectory(directory, adopt: true)
                }
            } catch {
                problem = problem ?? error
            }
        }
        if let problem { throw problem }
    }

    // MARK: Backing directories

    /// The volume's directory in file-backed mode (`nil` otherwise): its junction path under the data root, or a
    /// private place while it is not mounted in the namespace.
    func volumeDirectory(_ volume: Volume) throws(SimulatorDataError) -> String? {
        guard let data else { return nil }
        if let path = volume.path { return try data.exportDirectory(for: path) }
        return try data.privateDirectory(["ontap", "unmounted", volume.name])
    }

    /// Where a snapshot's frozen tree lives (`nil` when not file-backed); no snapshot name: the volume's directory
    /// of snapshots.
    func snapshotDirectory(volume: String, snapshot: String?) throws(SimulatorDataError) -> String? {
        try data?.privateDirectory(["ontap", "snapshots", volume] + (snapshot.map { [$0] } ?? []))
    }

    /// Directories of other volumes junctioned below `directory`.
    func nestedDirectories(below directory: String, except uuid: String) -> Set<String> {
        Set(
            volumes.values.filter { $0.uuid != uuid && $0.path != nil }
                .compactMap { try? volumeDirectory($0) }
                .filter { $0.hasPrefix(directory + "/") })
    }

    /// Applies the file-system side of `change`; a failure fails the job (the metadata stays unchanged).
    private func applyData(_ change: Change) throws(SimulatorDataError) {
        guard let data else { return }
        switch change {
        case .createVolume(let created):
            guard let directory = try volumeDirectory(created) else { return }
            if let parent = created.parentVolume, let snapshot = created.parentSnapshot,
                let frozen = try snapshotDirectory(volume: parent, snapshot: snapshot)
            {
                try data.clone(frozen, to: directory)
            } else {
                try data.createDirectory(directory)
            }
        case .patchVolume(let uuid, let path, _):
            guard let path, var volume = volumes[uuid], let old = try volumeDirectory(volume) else { return }
            if !nestedDirectories(below: old, except: uuid).isEmpty {
                throw SimulatorDataError(
                    "volume \(volume.name) has other volumes junctioned beneath \(volume.path ?? "it")")
            }
            volume.path = path
            guard let new = try volumeDirectory(volume) else { return }
            try data.move(old, to: new)
        case .deleteVolume(let uuid):
            guard let volume = volumes[uuid], let directory = try volumeDirectory(volume),
                let snapshots = try snapshotDirectory(volume: volume.name, snapshot: nil)
            else { return }
            try data.remove(directory)
            try data.remove(snapshots)
        case .createSnapshot(let uuid, let snapshot):
            guard let volume = volumes[uuid], let live = try volumeDirectory(volume),
                let frozen = try snapshotDirectory(volume: volume.name, snapshot: snapshot.name)
            else { return }
            try data.snapshot(live, to: frozen, excluding: nestedDirectories(below: live, except: uuid))
        case .deleteSnapshot(let uuid, let snapshotUUID):
            guard let volume = volumes[uuid], let snapshot = volume.snapshots.first(where: { $0.uuid == snapshotUUID }),
                let frozen = try snapshotDirectory(volume: volume.name, snapshot: snapshot.name)
            else { return }
            try data.remove(frozen)
        case .none:
            return
        }
    }

    private mutating func insert(_ volume: Volume) {
        if volumes[volume.uuid] == nil { order.append(volume.uuid) }
        volumes[volume.uuid] = volume
    }

    func volume(named name: String) -> Volume? {
        order.compactMap { volumes[$0] }.first { $0.name == name }
    }

    // MARK: Authentication

    func isAuthorized(_ request: SimRequest) -> Bool {
        guard let authorization = request.header("Authorization"), authorization.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst(6))),
            let text = String(data: data, encoding: .utf8)
        else { return false }
        return text == "\(options.user):\(options.password)"
    }

    // MARK: Jobs

    /// Finishes every job whose time has come (applying its change, or failing).
    mutating func advanceJobs(now: Date) {
        for uuid in jobs.keys.sorted() {
            guard var job = jobs[uuid], job.state == "running" || job.state == "queued", job.readyAt <= now else {
                continue
            }
            if let failure = job.forcedFailure {
                job.state = "failure"
                job.message = failure.message
                job.code = Int(failure.code) ?? 1
            } else if let problem = apply(job.change, now: now) {
                job.state = "failure"
                job.message = problem.message
                job.code = problem.code
            } else {
                job.state = "success"
                job.message = "success"
                job.code = 0
            }
            job.end = now
            jobs[uuid] = job
        }
        advanceTransfers(now: now)
    }

    /// Applies a change; returns the job failure when it cannot be applied.
    mutating func apply(_ change: Change, now: Date) -> (message: String, code: Int)? {
        switch change {
        case .createVolume(var created):
            if volume(named: created.name) != nil {
                return ("Duplicate volume name \(created.name).", 917_536)
            }
            created.createTime = now
            if let problem = dataProblem(change) { return problem }
            insert(created)
        case .patchVolume(let uuid, let path, let state):
            guard var volume = volumes[uuid] else { return ("Volume not found.", 917_927) }
            if let problem = dataProblem(change) { return problem }
            if let path { volume.path = path }
            if let state { volume.state = state }
            volumes[uuid] = volume
        case .deleteVolume(let uuid):
            guard let volume = volumes[uuid] else { return ("Volume not found.", 917_927) }
            if volumes.values.contains(where: { $0.parentVolume == volume.name }) {
                return ("Volume \"\(volume.name)\" cannot be deleted because it has FlexClone volumes.", 917_534)
            }
            if let problem = dataProblem(change) { return problem }
            volumes[uuid] = nil
            order.removeAll { $0 == uuid }
        case .createSnapshot(let volumeUUID, var snapshot):
            guard var volume = volumes[volumeUUID] else { return ("Volume not found.", 917_927) }
            if volume.snapshots.contains(where: { $0.name == snapshot.name }) {
                return ("Snapshot copy \"\(snapshot.name)\" already exists.", 1_638_600)
            }
            snapshot.createTime = now
            if let problem = dataProblem(change) { return problem }
            volume.snapshots.append(snapshot)
            volumes[volumeUUID] = volume
        case .deleteSnapshot(let volumeUUID, let snapshotUUID):
            guard var volume = volumes[volumeUUID],
                let index = volume.snapshots.firstIndex(where: { $0.uuid == snapshotUUID })
            else { return ("Snapshot copy not found.", 1_638_402) }
            let name = volume.snapshots[index].name
            if cloneNames(parent: volume.name, snapshot: name).first != nil {
                return (
                    "Snapshot copy \"\(name)\" of volume \"\(volume.name)\" is busy: it backs FlexClone volume(s) \(cloneNames(parent: volume.name, snapshot: name).joined(separator: ", ")).",
                    1_638_555
                )
            }
            if let problem = dataProblem(change) { return problem }
            volume.snapshots.remove(at: index)
            volumes[volumeUUID] = volume
        case .none:
            break
        }
        return nil
    }

    /// The job failure for a backing-directory problem of `change`, `nil` when there is none.
    private func dataProblem(_ change: Change) -> (message: String, code: Int)? {
        do {
            try applyData(change)
            return nil
        } catch {
            return ("Simulated storage data operation failed: \(error.message)", 13_001)
        }
    }

    private func cloneNames(parent: String, snapshot: String) -> [String] {
        order.compactMap { volumes[$0] }.filter { $0.parentVolume == parent && $0.parentSnapshot == snapshot }
            .map(\.name)
    }

    /// Starts a job for `change`; answers 202 with the job link, or waits for it when `return_timeout` allows.
    mutating func startJob(
        _ description: String, _ change: Change, request: SimRequest, fault: FaultRule?, now: Date, created: Bool
    ) -> SimResponse {
        let uuid = Self.newUUID()
        var job = Job(
            uuid: uuid, description: description, state: "running", message: "", code: 0, readyAt: now,
            change: change, forcedFailure: nil, start: now, end: nil)
        if let fault, fault.action == .slowJob { job.readyAt = now.addingTimeInterval(fault.seconds ?? 2) }
        if let fault, fault.action == .failJob {
            job.forcedFailure = (fault.message ?? "Job failed (simulated).", fault.code ?? "460770")
        }
        jobs[uuid] = job
        let link: [String: Any] = ["uuid": uuid, "_links": ["self": ["href": "/api/cluster/jobs/\(uuid)"]]]
        let returnTimeout = request.queryValue("return_timeout").flatMap(Double.init) ?? 0
        if returnTimeout > 0, job.readyAt.timeIntervalSince(now) <= returnTimeout {
            advanceJobs(now: job.readyAt)
            let finished = jobs[uuid]!
            if finished.state == "failure" {
                return error(400, finished.message, String(finished.code))
            }
            return .json(created ? 201 : 200, ["job": link], contentType: "application/hal+json")
        }
        return .json(202, ["job": link], contentType: "application/hal+json")
    }

    // MARK: Dispatch

    mutating func handle(_ request: SimRequest, fault: FaultRule?, now: Date) -> SimResponse {
        advanceJobs(now: now)
        guard isAuthorized(request) else {
            return error(401, "not authorized for that command", "6")
        }
        let parts = request.components
        if parts == ["servlets", "netapp.servlets.admin.XMLrequest_filer"] {
            guard request.method == "POST" else { return error(405, "method not allowed", "3") }
            // FoundationXML is libxml2, whose per-thread state dies with the task pool's threads: the simulated ZAPI
            // runs on one thread of its own, on a copy of the state that then replaces this one.
            let before = self
            let (after, response) = Self.xmlThread.runBlocking {
                var simulation = before
                let response = simulation.handleZAPI(request, now: now)
                return (simulation, response)
            }
            self = after
            return response
        }
        if options.ontapRESTUnavailable {
            return SimResponse(
                status: 404, headers: ["Content-Type": "text/html"], body: Array("<html>Not Found</html>".utf8))
        }
        guard parts.count >= 2, parts[0] == "api" else { return error(404, "API not found", "3") }
        let rest = Array(parts.dropFirst(1))
        switch (request.method, rest) {
        case ("GET", ["cluster"]):
            return .json(
                200,
                [
                    "name": "sim-cluster",
                    "version": ["full": "NetApp Release 9.14.1 (simulated)", "generation": 9, "major": 14, "minor": 1],
                ])
        case ("GET", let p) where p.count == 3 && p[0] == "cluster" && p[1] == "jobs":
            guard let job = jobs[p[2]] else { return error(404, "entry doesn't exist", "4") }
            var record: [String: Any] = [
                "uuid": job.uuid, "description": job.description, "state": job.state, "message": job.message,
                "code": job.code, "start_time": format(job.start),
                "_links": ["self": ["href": "/api/cluster/jobs/\(job.uuid)"]],
            ]
            if let end = job.end { record["end_time"] = format(end) }
            return .json(200, record, contentType: "application/hal+json")
        case ("GET", ["storage", "volumes"]):
            let records = order.compactMap { volumes[$0] }.map(volumeJSON)
            return collection(records, request: request)
        case ("POST", ["storage", "volumes"]):
            return createVolume(request, fault: fault, now: now)
        case (_, let p) where p.first == "snapmirror":
            return handleSnapMirror(request, Array(p.dropFirst()), fault: fault, now: now)
        default:
            break
        }
        guard rest.count >= 3, rest[0] == "storage", rest[1] == "volumes" else {
            return error(404, "API not found", "3")
        }
        guard var volume = volumes[rest[2]] else { return error(404, "entry doesn't exist", "4", target: "uuid") }
        let tail = Array(rest.dropFirst(3))
        switch (request.method, tail.count) {
        case ("GET", 0):
            return .json(
                200, select(volumeJSON(volume), fields: request.queryValue("fields")),
                contentType: "application/hal+json")
        case ("PATCH", 0):
            let body = Self.expandDottedKeys(request.jsonObject)
            var path: String?? = nil
            if let nas = body["nas"] as? [String: Any], let newPath = nas["path"] as? String {
                path = .some(newPath.isEmpty ? nil : newPath)
            }
            let state = body["state"] as? String
            if let state, !["online", "offline", "restricted"].contains(state) {
                return error(400, "Invalid value for state: \(state)", "2", target: "state")
            }
            return startJob(
                "PATCH /api/storage/volumes/\(volume.uuid)", .patchVolume(uuid: volume.uuid, path: path, state: state),
                request: request, fault: fault, now: now, created: false)
        case ("DELETE", 0):
            if volume.path != nil {
                return error(
                    409,
                    "Volume \"\(volume.name)\" in SVM \"\(svmName(volume))\" must be unmounted before it can be deleted.",
                    "917536")
            }
            if let locked = volume.snapshots.first(where: { $0.lockedUntil(at: now) != nil }) {
                return error(
                    409,
                    "Volume \"\(volume.name)\" cannot be deleted because it has unexpired locked Snapshot copies (\(locked.name)).",
                    "1638625")
            }
            if options.requireOfflineForDelete, volume.state != "offline" {
                return error(409, "Volume \"\(volume.name)\" must be offline before it can be deleted.", "917537")
            }
            return startJob(
                "DELETE /api/storage/volumes/\(volume.uuid)", .deleteVolume(uuid: volume.uuid), request: request,
                fault: fault, now: now, created: false)
        case ("GET", 1) where tail[0] == "snapshots":
            if request.queryItems.allSatisfy({ Self.reservedQueryKeys.contains($0.0) }) {
                return snapshotListing(of: volume, request: request)
            }
            let records = volume.snapshots.map { snapshotJSON($0, of: volume) }
            return collection(records, request: request)
        case ("POST", 1) where tail[0] == "snapshots":
            guard let name = request.jsonObject["name"] as? String, !name.isEmpty else {
                return error(400, "Field \"name\" is required.", "2", target: "name")
            }
            if volume.snapshots.contains(where: { $0.name == name }) {
                return error(
                    409, "Snapshot copy \"\(name)\" of volume \"\(volume.name)\" already exists.", "1638600",
                    target: "name")
            }
            if volume.isDataProtection { return readOnlyRefusal(volume) }
            var snapshot = Snapshot(uuid: Self.newUUID(), name: name, createTime: now, size: 1 << 20)
            snapshot.snapmirrorLabel = request.jsonObject["snapmirror_label"] as? String
            switch Self.expiries(in: request.jsonObject) {
            case .failure(let refusal): return refusal.response
            case .success(let (expiry, snaplock)):
                if snaplock != nil, let refusal = lockingRefusal(volume) { return refusal }
                snapshot.expiryTime = expiry
                snapshot.snaplockExpiry = options.ontapIgnoresSnapLockExpiry ? nil : snaplock
            }
            volume.used += 4096
            volumes[volume.uuid] = volume
            return startJob(
                "POST /api/storage/volumes/\(volume.uuid)/snapshots", .createSnapshot(volume: volume.uuid, snapshot),
                request: request, fault: fault, now: now, created: true)
        default:
            break
        }
        guard tail.count == 2, tail[0] == "snapshots" else { return error(404, "API not found", "3") }
        guard let snapshot = volume.snapshots.first(where: { $0.uuid == tail[1] }) else {
            return error(404, "entry doesn't exist", "4", target: "uuid")
        }
        switch request.method {
        case "GET":
            return .json(
                200, select(snapshotJSON(snapshot, of: volume), fields: request.queryValue("fields")),
                contentType: "application/hal+json")
        case "PATCH":
            return patchSnapshot(snapshot, of: volume, request: request, now: now)
        case "DELETE":
            if let until = snapshot.lockedUntil(at: now) {
                // Whoever asks: the cluster refuses until its clock passes the expiry (code unverified).
                return error(
                    409,
                    "Snapshot copy \"\(snapshot.name)\" of volume \"\(volume.name)\" is locked until \(format(until)) and cannot be deleted.",
                    "1638621")
            }
            if let refusal = snapMirrorDeletionRefusal(snapshot, of: volume) { return refusal }
            return startJob(
                "DELETE /api/storage/volumes/\(volume.uuid)/snapshots/\(snapshot.uuid)",
                .deleteSnapshot(volume: volume.uuid, snapshot: snapshot.uuid), request: request, fault: fault, now: now,
                created: false)
        default:
            return error(405, "method not allowed", "3")
        }
    }

    // MARK: Snapshot locks

    /// A failure answer, as a `Result` failure.
    struct Refusal: Error {
        var response: SimResponse
    }

    /// `expiry_time` and `snaplock.expiry_time` (also the older `snaplock_expiry_time`) of a request body.
    static func expiries(in object: [String: Any]) -> Result<(Date?, Date?), Refusal> {
        let body = expandDottedKeys(object)
        func date(_ value: Any?, _ field: String) -> Result<Date?, Refusal> {
            guard let value else { return .success(nil) }
            guard let text = value as? String, let parsed = WireTimestamp.parse(text) else {
                return .failure(
                    Refusal(
                        response: errorResponse(
                            400, "Invalid value for field \"\(field)\": an ISO-8601 date-time is expected.", "2",
                            target: field)))
            }
            return .success(parsed)
        }
        let expiry = date(body["expiry_time"], "expiry_time")
        let snaplock = date(
            (body["snaplock"] as? [String: Any])?["expiry_time"] ?? body["snaplock_expiry_time"], "snaplock.expiry_time"
        )
        switch (expiry, snaplock) {
        case (.failure(let refusal), _), (_, .failure(let refusal)): return .failure(refusal)
        case (.success(let expiry), .success(let snaplock)): return .success((expiry, snaplock))
        }
    }

    /// The cluster's refusal of a SnapLock expiry on a volume without `snapshot_locking_enabled` (text and code
    /// unverified), `nil` when the volume has it.
    func lockingRefusal(_ volume: Volume) -> SimResponse? {
        guard !volume.snapshotLockingEnabled else { return nil }
        return error(
            400,
            "Snapshot locking is not enabled on volume \"\(volume.name)\"; a SnapLock expiry time cannot be set.",
            "1638630", target: "snaplock.expiry_time")
    }

    /// `PATCH …/snapshots/<uuid>`: sets or extends the expiries; a lock is never shortened while it holds.
    private mutating func patchSnapshot(_ snapshot: Snapshot, of volume: Volume, request: SimRequest, now: Date)
        -> SimResponse
    {
        var changed = snapshot
        if let label = request.jsonObject["snapmirror_label"] as? String {
            if volume.isDataProtection { return readOnlyRefusal(volume) }
            changed.snapmirrorLabel = label.isEmpty ? nil : label
        }
        switch Self.expiries(in: request.jsonObject) {
        case .failure(let refusal): return refusal.response
        case .success(let (expiry, snaplock)):
            if let snaplock {
                if let refusal = lockingRefusal(volume) { return refusal }
                if let current = snapshot.snaplockExpiry, current > now, snaplock < current {
                    return error(
                        409,
                        "The SnapLock expiry time of Snapshot copy \"\(snapshot.name)\" cannot be shortened (it is \(format(current))).",
                        "1638622", target: "snaplock.expiry_time")
                }
                changed.snaplockExpiry = snaplock
            }
            if let expiry { changed.expiryTime = expiry }
        }
        guard var current = volumes[volume.uuid],
            let index = current.snapshots.firstIndex(where: { $0.uuid == snapshot.uuid })
        else { return error(404, "entry doesn't exist", "4", target: "uuid") }
        current.snapshots[index] = changed
        volumes[volume.uuid] = current
        return .json(200, [:] as [String: Any], contentType: "application/hal+json")
    }

    private mutating func createVolume(_ request: SimRequest, fault: FaultRule?, now: Date) -> SimResponse {
        let body = Self.expandDottedKeys(request.jsonObject)
        guard let name = body["name"] as? String, !name.isEmpty else {
            return error(400, "Field \"name\" is required.", "2", target: "name")
        }
        let svm = (body["svm"] as? [String: Any])?["name"] as? String
        if volume(named: name, svm: svm ?? options.svm) != nil {
            return error(409, "Duplicate volume name \(name).", "917536", target: "name")
        }
        if let svm, !knownSVMs.contains(svm) {
            return error(404, "SVM \"\(svm)\" does not exist.", "2621462", target: "svm.name")
        }
        let nas = body["nas"] as? [String: Any] ?? [:]
        var volume = Volume(
            uuid: Self.newUUID(), name: name, size: (body["size"] as? NSNumber)?.int64Value ?? 1 << 30, used: 1 << 20,
            path: (nas["path"] as? String).flatMap { $0.isEmpty ? nil : $0 },
            exportPolicy: ((nas["export_policy"] as? [String: Any])?["name"] as? String) ?? "default", state: "online",
            parentVolume: nil, parentSnapshot: nil, createTime: now, snapshots: [])
        volume.snapshotLockingEnabled = (body["snapshot_locking_enabled"] as? Bool) ?? true
        volume.svm = svm == options.svm ? nil : svm
        if let clone = body["clone"] as? [String: Any] {
            guard let parentName = (clone["parent_volume"] as? [String: Any])?["name"] as? String,
                let parent = self.volume(named: parentName, svm: svm ?? options.svm) ?? self.volume(named: parentName)
            else {
                return error(404, "Parent volume does not exist.", "917927", target: "clone.parent_volume.name")
            }
            guard (clone["is_flexclone"] as? Bool) == true else {
                return error(
                    400, "clone.is_flexclone must be true to create a FlexClone volume.", "2",
                    target: "clone.is_flexclone")
            }
            guard let snapshotName = (clone["parent_snapshot"] as? [String: Any])?["name"] as? String,
                let parentSnapshot = parent.snapshots.first(where: { $0.name == snapshotName })
            else {
                return error(
                    404, "Snapshot copy does not exist on volume \"\(parentName)\".", "917888",
                    target: "clone.parent_snapshot.name")
            }
            volume.parentVolume = parent.name
            volume.parentSnapshot = parentSnapshot.name
            volume.size = parent.size
            volume.used = parent.used
            if nas["export_policy"] == nil { volume.exportPolicy = parent.exportPolicy }
        }
        return startJob(
            "POST /api/storage/volumes", .createVolume(volume), request: request, fault: fault, now: now, created: true)
    }

    // MARK: Collections

    /// Query parameters that are not filters.
    static let reservedQueryKeys: Set<String> = [
        "fields", "max_records", "return_records", "return_timeout", "order_by", "start.index",
    ]

    /// `fields=`, query filters, `max_records` and `_links.next` (the next page is `start.index=<n>`).
    func collection(_ all: [[String: Any]], request: SimRequest) -> SimResponse {
        var records = all
        for (key, value) in request.queryItems where !Self.reservedQueryKeys.contains(key) {
            records = records.filter { record in
                guard let actual = Self.value(at: key, in: record) else { return false }
                return value.split(separator: "|").contains { Self.matches(String($0), actual) }
            }
        }
        let (page, next) = window(records, request: request)
        let selected = page.map { select($0, fields: request.queryValue("fields")) }
        var links: [String: Any] = ["self": ["href": Self.selfLink(request)]]
        if let next { links["next"] = ["href": next] }
        return .json(
            200, ["records": selected, "num_records": selected.count, "_links": links],
            contentType: "application/hal+json")
    }

    /// The page of `records` that `start.index` and `max_records` (capped by the page size) ask for, and the link to
    /// the next page when there is one.
    private func window<Record>(_ records: [Record], request: SimRequest) -> (page: [Record], next: String?) {
        let start = request.queryValue("start.index").flatMap(Int.init) ?? 0
        var limit = request.queryValue("max_records").flatMap(Int.init) ?? Int.max
        if let pageSize = options.pageSize { limit = min(limit, pageSize) }
        let end = limit == Int.max ? records.count : min(records.count, start + max(1, limit))
        let page = start < records.count ? Array(records[start..<end]) : []
        guard end < records.count else { return (page, nil) }
        let kept = request.query.split(separator: "&").filter { !$0.hasPrefix("start.index=") }.joined(separator: "&")
        return (page, "\(request.path)?\(kept.isEmpty ? "" : kept + "&")start.index=\(end)")
    }

    private static func selfLink(_ request: SimRequest) -> String {
        "\(request.path)\(request.query.isEmpty ? "" : "?\(request.query)")"
    }

    /// An unfiltered snapshot listing, the same answer as ``collection(_:request:)`` gives, from records encoded
    /// once per volume and `fields` (kept in ``listings`` until a volume changes).
    private mutating func snapshotListing(of volume: Volume, request: SimRequest) -> SimResponse {
        let fields = request.queryValue("fields")
        let key = ListingKey(volume: volume.uuid, fields: fields)
        let records: [[UInt8]]
        if let cached = listings[key] {
            records = cached
        } else {
            let selection = FieldSelection(fields)
            let cloned = Set(
                volumes.values.compactMap { clone in
                    clone.parentVolume == volume.name ? clone.parentSnapshot : nil
                })
            records = volume.snapshots.map { snapshot in
                var json = SimulatorJSON(capacity: 384)
                snapshotJSON(snapshot, of: volume, hasClones: cloned.contains(snapshot.name), selection, to: &json)
                return json.bytes
            }
            listings[key] = records
        }
        let (page, next) = window(records, request: request)
        var json = SimulatorJSON(capacity: page.reduce(256) { $0 + $1.count + 1 })
        json.raw("{\"_links\":{")
        if let next {
            json.raw("\"next\":{\"href\":")
            json.string(next)
            json.raw("},")
        }
        json.raw("\"self\":{\"href\":")
        json.string(Self.selfLink(request))
        json.raw("}},\"num_records\":")
        json.number(page.count)
        json.raw(",\"records\":[")
        for (index, record) in page.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(record)
        }
        json.raw("]}")
        return .encodedJSON(200, json.bytes, contentType: "application/hal+json")
    }

    private static func matches(_ pattern: String, _ actual: Any) -> Bool {
        let text: String
        if let bool = actual as? Bool { text = bool ? "true" : "false" } else { text = "\(actual)" }
        if pattern.hasSuffix("*") { return text.hasPrefix(String(pattern.dropLast())) }
        return text == pattern
    }

    static func value(at dottedPath: String, in record: [String: Any]) -> Any? {
        var current: Any? = record
        for key in dottedPath.split(separator: ".") {
            current = (current as? [String: Any])?[String(key)]
        }
        return current
    }

    /// The top-level keys of a record that `fields=` keeps: `uuid`, `name`, `_links` and the groups it names (all
    /// for `*`/`**`).
    struct FieldSelection {
        var all = false
        var wanted: Set<String> = ["uuid", "name", "_links"]

        init(_ fields: String?) {
            guard let fields, !fields.isEmpty else { return }
            all = fields == "*" || fields == "**"
            wanted.formUnion(fields.split(separator: ",").map { String($0.split(separator: ".").first ?? "") })
        }

        func includes(_ key: String) -> Bool { all || wanted.contains(key) }
    }

    /// Keeps `uuid`, `name`, `_links` and the top-level groups named in `fields` (all for `*`/`**`).
    func select(_ record: [String: Any], fields: String?) -> [String: Any] {
        let selection = FieldSelection(fields)
        return selection.all ? record : record.filter { selection.includes($0.key) }
    }

    /// `{"nas.path": "/x"}` → `{"nas": {"path": "/x"}}`, as ONTAP accepts both.
    static func expandDottedKeys(_ object: [String: Any]) -> [String: Any] {
        var result: [String: Any] = [:]
        for (key, value) in object {
            let expandedValue = (value as? [String: Any]).map(expandDottedKeys) ?? value
            let parts = key.split(separator: ".").map(String.init)
            insert(expandedValue, at: parts[...], into: &result)
        }
        return result
    }

    private static func insert(_ value: Any, at path: ArraySlice<String>, into object: inout [String: Any]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            if let existing = object[first] as? [String: Any], let new = value as? [String: Any] {
                object[first] = existing.merging(new) { _, b in b }
            } else {
                object[first] = value
            }
            return
        }
        var child = object[first] as? [String: Any] ?? [:]
        insert(value, at: path.dropFirst(), into: &child)
        object[first] = child
    }

    // MARK: JSON

    /// An internet date-time in the cluster's time zone, e.g. `2023-11-14T23:13:20+01:00` (`Z` for UTC).
    func format(_ date: Date) -> String {
        var json = SimulatorJSON(capacity: 32)
        appendTime(date, to: &json)
        return String(decoding: json.bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Appends ``format(_:)`` as a JSON string.
    func appendTime(_ date: Date, to json: inout SimulatorJSON) {
        let offset = options.timeZone.secondsFromGMT(for: date)
        json.dateString(
            SimulatorDateFields(date, offset: offset), dateSeparator: true, suffix: SimulatorJSON.offsetSuffix(offset))
    }

    private func volumeJSON(_ volume: Volume) -> [String: Any] {
        var nas: [String: Any] = [
            "export_policy": ["name": volume.exportPolicy], "unix_permissions": 770, "security_style": "unix",
        ]
        if let path = volume.path { nas["path"] = path }
        var clone: [String: Any] = ["is_flexclone": volume.parentVolume != nil]
        if let parent = volume.parentVolume, let snapshot = volume.parentSnapshot {
            let parentUUID = self.volume(named: parent)?.uuid ?? ""
            let snapshotUUID = self.volume(named: parent)?.snapshots.first { $0.name == snapshot }?.uuid ?? ""
            clone["parent_volume"] = ["name": parent, "uuid": parentUUID]
            clone["parent_snapshot"] = ["name": snapshot, "uuid": snapshotUUID]
            clone["parent_svm"] = ["name": self.volume(named: parent).map(svmName) ?? options.svm]
        }
        return [
            "uuid": volume.uuid, "name": volume.name, "state": volume.state,
            "type": volume.isDataProtection ? "dp" : "rw", "style": "flexvol",
            "size": volume.size, "svm": ["name": svmName(volume), "uuid": svmUUID(svmName(volume))],
            "aggregates": [["name": options.aggregate]], "nas": nas, "clone": clone,
            "space": ["size": volume.size, "used": volume.used, "available": volume.size - volume.used],
            "create_time": format(volume.createTime), "snapshot_policy": ["name": "none"],
            "snapshot_locking_enabled": volume.snapshotLockingEnabled,
            "_links": ["self": ["href": "/api/storage/volumes/\(volume.uuid)"]],
        ]
    }

    private func snapshotJSON(_ snapshot: Snapshot, of volume: Volume) -> [String: Any] {
        var owners: [String] = []
        if cloneNames(parent: volume.name, snapshot: snapshot.name).first != nil { owners.append("volume_clone") }
        var record: [String: Any] = [
            "uuid": snapshot.uuid, "name": snapshot.name, "create_time": format(snapshot.createTime),
            "size": snapshot.size, "state": "valid", "owners": owners,
            "volume": ["name": volume.name, "uuid": volume.uuid], "svm": ["name": svmName(volume)],
            "_links": ["self": ["href": "/api/storage/volumes/\(volume.uuid)/snapshots/\(snapshot.uuid)"]],
        ]
        if let label = snapshot.snapmirrorLabel { record["snapmirror_label"] = label }
        if let expiry = snapshot.expiryTime { record["expiry_time"] = format(expiry) }
        if let snaplock = snapshot.snaplockExpiry { record["snaplock"] = ["expiry_time": format(snaplock)] }
        return record
    }

    /// Appends a snapshot's record with the keys `selection` keeps, in sorted order as `SimResponse.json` writes
    /// them; the same content as ``snapshotJSON(_:of:)``.
    private func snapshotJSON(
        _ snapshot: Snapshot, of volume: Volume, hasClones: Bool, _ selection: FieldSelection,
        to json: inout SimulatorJSON
    ) {
        var empty = true
        func key(_ name: StaticString) {
            json.raw(empty ? "{" : ",")
            json.raw(name)
            empty = false
        }
        if selection.includes("_links") {
            key("\"_links\":{\"self\":{\"href\":")
            json.string("/api/storage/volumes/\(volume.uuid)/snapshots/\(snapshot.uuid)")
            json.raw("}}")
        }
        if selection.includes("create_time") {
            key("\"create_time\":")
            appendTime(snapshot.createTime, to: &json)
        }
        if selection.includes("expiry_time"), let expiry = snapshot.expiryTime {
            key("\"expiry_time\":")
            appendTime(expiry, to: &json)
        }
        if selection.includes("name") {
            key("\"name\":")
            json.string(snapshot.name)
        }
        if selection.includes("owners") {
            key("\"owners\":")
            json.raw(hasClones ? "[\"volume_clone\"]" : "[]")
        }
        if selection.includes("size") {
            key("\"size\":")
            json.number(snapshot.size)
        }
        if selection.includes("snaplock"), let snaplock = snapshot.snaplockExpiry {
            key("\"snaplock\":{\"expiry_time\":")
            appendTime(snaplock, to: &json)
            json.raw("}")
        }
        if selection.includes("snapmirror_label"), let label = snapshot.snapmirrorLabel {
            key("\"snapmirror_label\":")
            json.string(label)
        }
        if selection.includes("state") { key("\"state\":\"valid\"") }
        if selection.includes("svm") {
            key("\"svm\":{\"name\":")
            json.string(svmName(volume))
            json.raw("}")
        }
        if selection.includes("uuid") {
            key("\"uuid\":")
            json.string(snapshot.uuid)
        }
        if selection.includes("volume") {
            key("\"volume\":{\"name\":")
            json.string(volume.name)
            json.raw(",\"uuid\":")
            json.string(volume.uuid)
            json.raw("}")
        }
        json.raw(empty ? "{}" : "}")
    }

    /// ``error(_:_:_:target:)`` without an instance.
    static func errorResponse(_ status: Int, _ message: String, _ code: String, target: String? = nil) -> SimResponse {
        var body: [String: Any] = ["message": message, "code": code]
        if let target { body["target"] = target }
        return .json(status, ["error": body], contentType: "application/hal+json")
    }

    /// ONTAP's error body (storage-apis §3.2): `code` is a string.
    func error(_ status: Int, _ message: String, _ code: String, target: String? = nil) -> SimResponse {
        var body: [String: Any] = ["message": message, "code": code]
        if let target { body["target"] = target }
        return .json(status, ["error": body], contentType: "application/hal+json")
    }
}
