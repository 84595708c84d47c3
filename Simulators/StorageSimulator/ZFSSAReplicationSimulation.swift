import Foundation

/// ZFSSA remote replication as the simulator plays it: replication targets, replication actions (`sendupdate`
/// and their status) on the source side, and on the replica side the packages holding what arrived (their project,
/// its shares and their snapshots, which can be listed, cloned into a local project and deleted).
///
/// The simulator is its own replication target: whatever address a target names, an update lands in a package of
/// this same simulator (`/replication/packages`), as a second appliance would list it. Tests use one simulator for
/// both sites, with a project of its own for the clones made at the replica.
///
/// An update (`PUT /replication/actions/<id>/sendupdate`) takes the replication snapshot `.rr-<action>-<n>` of
/// every share the action covers at once and answers `202`; the action's `state` is `sending` until the transfer
/// is over (after ``ZFSSAReplication/transferSeconds``, or a fault rule's `slowJob` seconds), then `idle` with
/// `last_result` `success` (or `failed`, when a `failJob` fault rule matched the `sendupdate`). A successful
/// update brings the user snapshots made since the previous update (every one at the first; with `include_snaps`),
/// their files copied in file-backed mode (a snapshot deleted at the replica meanwhile does not come back);
/// snapshots deleted at the source since are deleted in the package too, unless the action has
/// `retain_user_snaps` (or the snapshot has clones). The replication
/// snapshots `.rr-…` appear in the source's and the package's listings, as on an appliance. A failed update
/// changes nothing at the replica.
///
/// The per-snapshot clone (`…/packages/<pkg>/projects/<project>/filesystems/<share>/snapshots/<snap>/clone`) and
/// the `package` member of a clone's `origin` are this simulator's assumptions about the appliance.
struct ZFSSAReplication {
    /// A replication target (the simulator itself).
    struct Target {
        var id: String
        var label: String
        var hostname: String
    }

    /// A replication action of a project (or one share).
    struct Action {
        var id: String
        var target: String
        var pool: String
        var project: String
        var share: String?
        var enabled = true
        var includeSnaps = true
        var retainUserSnaps = false
        var state = "idle"
        var lastSync: Date?
        var lastTry: Date?
        var lastResult = "none"
        var replicaDataTimestamp: Date?
        var updates = 0
        var bytesSent: Int64 = 0
        var pending: Update?
        /// The package its updates land in, once the first one arrived.
        var package: String?
        /// Per share, the snapshots the last successful update found at the source: the next update sends only
        /// snapshots made since (one deleted at the replica meanwhile does not come back).
        var sent: [String: Set<String>] = [:]
    }

    /// An update under way.
    struct Update {
        var started: Date
        var finishes: Date
        var failure: String?
        /// The replication snapshot taken at the start.
        var marker: String
        /// Each share and its snapshots when the update started.
        var content: [(share: String, snapshots: [ZFSSASimulation.Snapshot])]
    }

    /// A share received in a package.
    struct PackageShare {
        var name: String
        var spaceData: Int64
        var snapshots: [ZFSSASimulation.Snapshot]
    }

    /// What arrived from one action.
    struct Package {
        var id: String
        var action: String
        var sourceName: String
        var pool: String
        var project: String
        var shares: [PackageShare]
        var dataTimestamp: Date?
        var lastSync: Date?
        var lastResult = "none"
    }

    /// How long a transfer takes unless a fault rule says otherwise.
    static let transferSeconds = 0.3
    /// The `source_name` packages report.
    static let sourceName = "storage-sim"
    static let markerPrefix = ".rr-"

    var targets: [Target] = []
    var actions: [Action] = []
    var packages: [Package] = []
}

extension ZFSSASimulation {
    // MARK: Progress

    /// Finishes every update whose transfer time has passed (called before each request is handled).
    mutating func advanceReplication(now: Date) {
        for index in replication.actions.indices {
            guard let update = replication.actions[index].pending, update.finishes <= now else { continue }
            finish(update, ofAction: index)
        }
    }

    private mutating func finish(_ update: Update, ofAction index: Int) {
        var action = replication.actions[index]
        action.pending = nil
        action.state = "idle"
        action.lastTry = update.started
        let shares = Set(update.content.map(\.share))
        if update.failure != nil {
            action.lastResult = "failed"
            // The failed update's replication snapshot goes; the previous one stays the base of the next.
            for key in order where key.pool == action.pool && key.project == action.project && shares.contains(key.name)
            {
                filesystems[key]?.snapshots.removeAll { $0.name == update.marker }
            }
            replication.actions[index] = action
            if let package = action.package, let at = replication.packages.firstIndex(where: { $0.id == package }) {
                replication.packages[at].lastResult = "failed"
            }
            return
        }
        // Success: the source keeps only the new replication snapshot of this action.
        let ownMarker = "\(ZFSSAReplication.markerPrefix)\(Self.markerStem(action.id))-"
        for key in order where key.pool == action.pool && key.project == action.project && shares.contains(key.name) {
            filesystems[key]?.snapshots.removeAll { $0.name.hasPrefix(ownMarker) && $0.name != update.marker }
        }
        var package: ZFSSAReplication.Package
        let packageIndex = action.package.flatMap { id in replication.packages.firstIndex { $0.id == id } }
        if let packageIndex {
            package = replication.packages[packageIndex]
        } else {
            package = ZFSSAReplication.Package(
                id: UUID().uuidString.lowercased(), action: action.id, sourceName: ZFSSAReplication.sourceName,
                pool: action.pool, project: action.project, shares: [])
        }
        for (share, snapshots) in update.content {
            var received =
                package.shares.first { $0.name == share }
                ?? ZFSSAReplication.PackageShare(name: share, spaceData: 0, snapshots: [])
            let wanted = snapshots.filter {
                $0.name == update.marker || (action.includeSnaps && !$0.name.hasPrefix(ZFSSAReplication.markerPrefix))
            }
            let wantedNames = Set(wanted.map(\.name))
            // Gone at the source: gone here too, unless retained by the action or held by a clone.
            received.snapshots.removeAll { snapshot in
                guard !wantedNames.contains(snapshot.name) else { return false }
                if snapshot.name.hasPrefix(ZFSSAReplication.markerPrefix) { return true }
                if action.retainUserSnaps { return false }
                return packageCloneCount(package: package.id, share: share, snapshot: snapshot.name) == 0
            }
            let alreadySent = packageIndex == nil ? [] : action.sent[share] ?? []
            for (position, snapshot) in wanted.enumerated()
            where !alreadySent.contains(snapshot.name)
                && !received.snapshots.contains(where: { $0.name == snapshot.name })
            {
                var copy = snapshot
                copy.retention = nil
                copy.properties = [:]
                if let data, let source = try? snapshotDirectory(sourceShare(action, share), snapshot.name),
                    let target = try? packageSnapshotDirectory(package.id, package.project, share, snapshot.name)
                {
                    try? data.clone(source, to: target)
                }
                let insertAt = min(position, received.snapshots.count)
                received.snapshots.insert(copy, at: insertAt)
            }
            received.snapshots.sort { $0.creation < $1.creation }
            received.spaceData =
                filesystems[Key(pool: action.pool, project: action.project, name: share)]?.spaceData
                ?? received.spaceData
            if let at = package.shares.firstIndex(where: { $0.name == share }) {
                package.shares[at] = received
            } else {
                package.shares.append(received)
            }
        }
        package.dataTimestamp = update.started
        package.lastSync = update.started
        package.lastResult = "success"
        if let packageIndex {
            replication.packages[packageIndex] = package
        } else {
            replication.packages.append(package)
        }
        action.package = package.id
        action.sent = Dictionary(
            update.content.map { ($0.share, Set($0.snapshots.map(\.name))) }, uniquingKeysWith: { first, _ in first })
        action.lastResult = "success"
        action.lastSync = update.started
        action.replicaDataTimestamp = update.started
        action.bytesSent += update.content.reduce(Int64(0)) { total, entry in
            total + (filesystems[Key(pool: action.pool, project: action.project, name: entry.share)]?.spaceData ?? 0)
        }
        replication.actions[index] = action
    }

    typealias Update = ZFSSAReplication.Update

    /// The share an action replicates, as a record for directory lookups (it may be gone by now).
    private func sourceShare(_ action: ZFSSAReplication.Action, _ share: String) -> Filesystem {
        filesystems[Key(pool: action.pool, project: action.project, name: share)]
            ?? Filesystem(
                pool: action.pool, project: action.project, name: share, creation: Date(), origin: nil, spaceData: 0,
                snapshots: [])
    }

    static func markerStem(_ id: String) -> String { String(id.replacingOccurrences(of: "-", with: "").prefix(12)) }

    /// Where a package snapshot's frozen tree lives in file-backed mode.
    func packageSnapshotDirectory(_ package: String, _ project: String, _ share: String, _ snapshot: String)
        throws(SimulatorDataError) -> String?
    {
        try data?.privateDirectory(["zfssa-replica", package, project, share, snapshot])
    }

    /// Local clones of a package snapshot.
    func packageCloneCount(package: String, share: String, snapshot: String) -> Int {
        filesystems.values.filter {
            $0.origin?.package == package && $0.origin?.share == share && $0.origin?.snapshot == snapshot
        }.count
    }

    // MARK: Requests

    /// `/replication/...` (after `/api/storage/vN`).
    mutating func handleReplication(_ parts: [String], request: SimRequest, version: Int, now: Date) -> SimResponse {
        guard parts.count >= 2 else { return fault(404, "ERR_NOT_FOUND", "no such resource") }
        switch parts[1] {
        case "targets": return handleTargets(Array(parts.dropFirst(2)), request: request)
        case "actions":
            return handleActions(Array(parts.dropFirst(2)), request: request, version: version, now: now, scope: nil)
        case "packages": return handlePackages(Array(parts.dropFirst(2)), request: request, version: version, now: now)
        case "sources":
            if parts.count == 2, request.method == "GET" {
                return .json(200, ["sources": sourcesJSON(version: version)])
            }
            guard parts.count >= 3, parts[2] == ZFSSAReplication.sourceName else {
                return fault(404, "ERR_NOT_FOUND", "no such replication source")
            }
            if parts.count == 3 {
                return .json(200, ["source": sourcesJSON(version: version).first ?? [:]])
            }
            guard parts[3] == "packages" else { return fault(404, "ERR_NOT_FOUND", "no such resource") }
            return handlePackages(Array(parts.dropFirst(4)), request: request, version: version, now: now)
        default:
            return fault(404, "ERR_NOT_FOUND", "no such resource")
        }
    }

    private func sourcesJSON(version: Int) -> [[String: Any]] {
        guard !replication.packages.isEmpty else { return [] }
        return [
            [
                "name": ZFSSAReplication.sourceName, "asn": "00000000-0000-0000-0000-000000000000",
                "href": "/api/storage/v\(version)/replication/sources/\(ZFSSAReplication.sourceName)",
                "packages": replication.packages.map { packageJSON($0, version: version) },
            ]
        ]
    }

    private mutating func handleTargets(_ parts: [String], request: SimRequest) -> SimResponse {
        switch (request.method, parts.count) {
        case ("GET", 0):
            return .json(200, ["targets": replication.targets.map { targetJSON($0) }])
        case ("POST", 0):
            let body = request.jsonObject
            guard let hostname = body["hostname"] as? String, !hostname.isEmpty else {
                return fault(400, "ERR_MISSING_ARG", "hostname is required")
            }
            let label = body["label"] as? String ?? hostname
            guard !replication.targets.contains(where: { $0.label == label }) else {
                return fault(409, "ERR_OBJECT_EXISTS", "target \(label) already exists")
            }
            let target = ZFSSAReplication.Target(
                id: UUID().uuidString.lowercased(), label: label, hostname: hostname)
            replication.targets.append(target)
            return .json(201, ["target": targetJSON(target)])
        case ("GET", 1):
            guard let target = replication.targets.first(where: { $0.id == parts[0] || $0.label == parts[0] }) else {
                return fault(404, "ERR_NOT_FOUND", "target \(parts[0]) does not exist")
            }
            return .json(200, ["target": targetJSON(target)])
        default:
            return fault(405, "ERR_NOT_IMPLEMENTED", "\(request.method) not supported here")
        }
    }

    private func targetJSON(_ target: ZFSSAReplication.Target) -> [String: Any] {
        [
            "id": target.id, "label": target.label, "hostname": target.hostname, "address": target.hostname,
            "asn": "00000000-0000-0000-0000-000000000000",
            "actions": replication.actions.filter {
                $0.target == target.id
            }.count,
        ]
    }

    /// The actions interface, flat (`scope` nil) or under a project (`scope` its pool and project).
    mutating func handleActions(
        _ parts: [String], request: SimRequest, version: Int, now: Date, scope: (pool: String, project: String)?
    ) -> SimResponse {
        switch (request.method, parts.count) {
        case ("GET", 0):
            let listed = replication.actions.filter {
                scope == nil || ($0.pool == scope?.pool && $0.project == scope?.project)
            }
            return .json(200, ["actions": listed.map { actionJSON($0, version: version) }])
        case ("POST", 0):
            return createAction(request.jsonObject, scope: scope, version: version)
        default:
            break
        }
        guard let index = replication.actions.firstIndex(where: { $0.id == parts[0] }),
            scope == nil
                || (replication.actions[index].pool == scope?.pool
                    && replication.actions[index].project == scope?.project)
        else {
            return fault(404, "ERR_NOT_FOUND", "replication action \(parts[0]) does not exist")
        }
        switch (request.method, parts.count) {
        case ("GET", 1):
            return .json(200, ["action": actionJSON(replication.actions[index], version: version)])
        case ("PUT", 1):
            let body = request.jsonObject
            if let value = body["include_snaps"] as? Bool { replication.actions[index].includeSnaps = value }
            if let value = body["retain_user_snaps"] as? Bool { replication.actions[index].retainUserSnaps = value }
            if let value = body["enabled"] as? Bool { replication.actions[index].enabled = value }
            return .json(202, ["action": actionJSON(replication.actions[index], version: version)])
        case ("DELETE", 1):
            guard replication.actions[index].pending == nil else {
                return fault(409, "ERR_STATE_CHANGED", "replication action \(parts[0]) is sending an update")
            }
            replication.actions.remove(at: index)
            return SimResponse(status: 204)
        case ("PUT", 2) where parts[1] == "sendupdate":
            return sendUpdate(index, request: request, now: now)
        case ("PUT", 2) where parts[1] == "cancelupdate":
            guard let update = replication.actions[index].pending else {
                return fault(409, "ERR_STATE_CHANGED", "replication action \(parts[0]) is not sending")
            }
            var cancelled = update
            cancelled.failure = "cancelled"
            cancelled.finishes = now
            replication.actions[index].pending = cancelled
            advanceReplication(now: now)
            return SimResponse(status: 202)
        default:
            return fault(405, "ERR_NOT_IMPLEMENTED", "\(request.method) not supported here")
        }
    }

    private mutating func createAction(_ body: [String: Any], scope: (pool: String, project: String)?, version: Int)
        -> SimResponse
    {
        let pool = scope?.pool ?? body["pool"] as? String
        let project = scope?.project ?? body["project"] as? String
        guard let pool, let project else { return fault(400, "ERR_MISSING_ARG", "pool and project are required") }
        guard projects.contains([pool, project]) else {
            return fault(404, "ERR_NOT_FOUND", "project \(pool)/\(project) does not exist")
        }
        guard let targetName = body["target"] as? String,
            let target = replication.targets.first(where: { $0.id == targetName || $0.label == targetName })
        else {
            return fault(400, "ERR_INVALID_ARG", "target must name an existing replication target")
        }
        let share = body["share"] as? String
        if let share, !filesystemExists(pool: pool, project: project, name: share) {
            return fault(404, "ERR_NOT_FOUND", "share \(pool)/\(project)/\(share) does not exist")
        }
        var action = ZFSSAReplication.Action(
            id: UUID().uuidString.lowercased(), target: target.id, pool: pool, project: project, share: share)
        action.includeSnaps = body["include_snaps"] as? Bool ?? true
        action.retainUserSnaps = body["retain_user_snaps"] as? Bool ?? false
        action.enabled = body["enabled"] as? Bool ?? true
        replication.actions.append(action)
        return .json(201, ["action": actionJSON(action, version: version)])
    }

    private mutating func sendUpdate(_ index: Int, request: SimRequest, now: Date) -> SimResponse {
        var action = replication.actions[index]
        guard action.enabled else {
            return fault(409, "ERR_STATE_CHANGED", "replication action \(action.id) is disabled")
        }
        guard action.pending == nil else {
            return fault(409, "ERR_STATE_CHANGED", "replication action \(action.id) is already sending an update")
        }
        action.updates += 1
        let marker = "\(ZFSSAReplication.markerPrefix)\(Self.markerStem(action.id))-\(action.updates)"
        var content: [(share: String, snapshots: [ZFSSASimulation.Snapshot])] = []
        for key in order where key.pool == action.pool && key.project == action.project {
            guard var filesystem = filesystems[key], filesystem.origin == nil || action.share != nil,
                action.share == nil || action.share == key.name
            else { continue }
            let stamp = ZFSSASimulation.Snapshot(
                name: marker, creation: now, spaceData: filesystem.spaceData, spaceUnique: 0, retention: nil)
            filesystem.snapshots.append(stamp)
            filesystems[key] = filesystem
            content.append((share: key.name, snapshots: filesystem.snapshots))
        }
        let seconds = pendingFault?.action == .slowJob ? pendingFault?.seconds ?? 2 : ZFSSAReplication.transferSeconds
        let failure =
            pendingFault?.action == .failJob ? pendingFault?.message ?? "replication update failed (simulated)" : nil
        action.pending = Update(
            started: now, finishes: now.addingTimeInterval(seconds), failure: failure, marker: marker, content: content)
        action.state = "sending"
        action.lastTry = now
        replication.actions[index] = action
        return SimResponse(status: 202)
    }

    private func actionJSON(_ action: ZFSSAReplication.Action, version: Int) -> [String: Any] {
        var record: [String: Any] = [
            "id": action.id, "target": action.target, "pool": action.pool, "project": action.project,
            "share": action.share ?? "", "enabled": action.enabled, "continuous": false,
            "include_snaps": action.includeSnaps, "retain_user_snaps": action.retainUserSnaps, "max_bandwidth": 0,
            "use_ssl": true, "state": action.state, "last_result": action.lastResult,
            "bytes_sent": action.bytesSent, "collection": "local",
            "href": hrefBase(version) + "/replication/actions/\(action.id)",
        ]
        if let target = replication.targets.first(where: { $0.id == action.target }) {
            record["target_label"] = target.label
        }
        record["last_sync"] = action.lastSync.map { formatTime($0, version: version) } ?? ""
        record["last_try"] = action.lastTry.map { formatTime($0, version: version) } ?? ""
        record["replica_data_timestamp"] = action.replicaDataTimestamp.map { formatTime($0, version: version) } ?? ""
        return record
    }

    // MARK: Packages

    private mutating func handlePackages(_ parts: [String], request: SimRequest, version: Int, now: Date)
        -> SimResponse
    {
        if parts.isEmpty {
            guard request.method == "GET" else { return fault(405, "ERR_NOT_IMPLEMENTED", "method not allowed") }
            return .json(200, ["packages": replication.packages.map { packageJSON($0, version: version) }])
        }
        guard let index = replication.packages.firstIndex(where: { $0.id == parts[0] }) else {
            return fault(404, "ERR_NOT_FOUND", "replication package \(parts[0]) does not exist")
        }
        let package = replication.packages[index]
        switch (request.method, parts.count) {
        case ("GET", 1):
            return .json(200, ["package": packageJSON(package, version: version)])
        case ("DELETE", 1):
            for share in package.shares {
                for snapshot in share.snapshots
                where packageCloneCount(package: package.id, share: share.name, snapshot: snapshot.name) > 0 {
                    return fault(
                        409, "ERR_STATE_CHANGED",
                        "snapshot \(share.name)@\(snapshot.name) of package \(package.id) has dependent clones")
                }
            }
            if let data, let directory = try? data.privateDirectory(["zfssa-replica", package.id]) {
                do { try data.remove(directory) } catch { return dataFault(error, "cannot destroy package") }
            }
            replication.packages.remove(at: index)
            for action in replication.actions.indices where replication.actions[action].package == package.id {
                replication.actions[action].package = nil
                replication.actions[action].sent = [:]
            }
            return SimResponse(status: 204)
        case ("GET", 2) where parts[1] == "projects":
            return .json(200, ["projects": [packageProjectJSON(package, version: version)]])
        default:
            break
        }
        guard parts.count >= 3, parts[1] == "projects", parts[2] == package.project else {
            return fault(404, "ERR_NOT_FOUND", "no such resource in package \(package.id)")
        }
        let rest = Array(parts.dropFirst(3))
        switch (request.method, rest.count) {
        case ("GET", 0):
            return .json(200, ["project": packageProjectJSON(package, version: version)])
        case ("GET", 1) where rest[0] == "filesystems":
            return .json(
                200, ["filesystems": package.shares.map { packageShareJSON(package, $0, version: version) }])
        case ("GET", 1) where rest[0] == "snapshots":
            let all = package.shares.flatMap { share in
                share.snapshots.map { packageSnapshotJSON(package, share, $0, version: version) }
            }
            return .json(200, ["snapshots": all])
        default:
            break
        }
        guard rest.count >= 2, rest[0] == "filesystems",
            let shareIndex = package.shares.firstIndex(where: { $0.name == rest[1] })
        else {
            return fault(404, "ERR_NOT_FOUND", "no such share in package \(package.id)")
        }
        let share = package.shares[shareIndex]
        let tail = Array(rest.dropFirst(2))
        switch (request.method, tail.count) {
        case ("GET", 0):
            return .json(200, ["filesystem": packageShareJSON(package, share, version: version)])
        case ("GET", 1) where tail[0] == "snapshots":
            return .json(
                200, ["snapshots": share.snapshots.map { packageSnapshotJSON(package, share, $0, version: version) }])
        default:
            break
        }
        guard tail.count >= 2, tail[0] == "snapshots",
            let snapshotIndex = share.snapshots.firstIndex(where: { $0.name == tail[1] })
        else {
            return fault(404, "ERR_NOT_FOUND", "snapshot \(tail.count >= 2 ? tail[1] : "") does not exist")
        }
        let snapshot = share.snapshots[snapshotIndex]
        switch (request.method, tail.count) {
        case ("GET", 2):
            return .json(200, ["snapshot": packageSnapshotJSON(package, share, snapshot, version: version)])
        case ("DELETE", 2):
            if snapshot.name.hasPrefix(ZFSSAReplication.markerPrefix) {
                return fault(
                    409, "ERR_STATE_CHANGED", "snapshot \(snapshot.name) is the package's replication snapshot")
            }
            let clones = packageCloneCount(package: package.id, share: share.name, snapshot: snapshot.name)
            if clones > 0 {
                return fault(409, "ERR_STATE_CHANGED", "snapshot \(snapshot.name) has \(clones) dependent clone(s)")
            }
            do {
                if let data,
                    let frozen = try packageSnapshotDirectory(package.id, package.project, share.name, snapshot.name)
                {
                    try data.remove(frozen)
                }
            } catch {
                return dataFault(error, "cannot destroy snapshot \(snapshot.name)")
            }
            replication.packages[index].shares[shareIndex].snapshots.remove(at: snapshotIndex)
            return SimResponse(status: 204)
        case ("PUT", 3) where tail[2] == "clone":
            return clonePackageSnapshot(package, share, snapshot, request: request, version: version, now: now)
        default:
            return fault(405, "ERR_NOT_IMPLEMENTED", "\(request.method) not supported here")
        }
    }

    private mutating func clonePackageSnapshot(
        _ package: ZFSSAReplication.Package, _ share: ZFSSAReplication.PackageShare,
        _ snapshot: ZFSSASimulation.Snapshot, request: SimRequest, version: Int, now: Date
    ) -> SimResponse {
        let body = request.jsonObject
        guard let targetProject = body["project"] as? String else {
            return fault(400, "ERR_MISSING_ARG", "project is required (a local project of this appliance)")
        }
        let targetPool = body["pool"] as? String ?? projects.first { $0[1] == targetProject }?[0] ?? package.pool
        guard let name = body["share"] as? String, !name.isEmpty else {
            return fault(400, "ERR_MISSING_ARG", "share is required")
        }
        guard projects.contains([targetPool, targetProject]) else {
            return fault(404, "ERR_NOT_FOUND", "project \(targetPool)/\(targetProject) does not exist")
        }
        guard !filesystemExists(pool: targetPool, project: targetProject, name: name) else {
            return fault(409, "ERR_OBJECT_EXISTS", "share \(name) already exists in \(targetProject)")
        }
        let clone = Filesystem(
            pool: targetPool, project: targetProject, name: name, creation: now,
            origin: Origin(
                pool: package.pool, project: package.project, share: share.name, snapshot: snapshot.name,
                package: package.id),
            spaceData: snapshot.spaceData, snapshots: [])
        do {
            if let data,
                let frozen = try packageSnapshotDirectory(package.id, package.project, share.name, snapshot.name),
                let target = try liveDirectory(clone)
            {
                try data.clone(frozen, to: target)
            }
        } catch {
            return dataFault(error, "cannot clone snapshot \(snapshot.name) as \(name)")
        }
        addFilesystem(clone)
        return .json(201, ["filesystem": filesystemRecord(clone, version: version)])
    }

    private func packageJSON(_ package: ZFSSAReplication.Package, version: Int) -> [String: Any] {
        var record: [String: Any] = [
            "id": package.id, "source_name": package.sourceName, "enabled": true, "state": "idle",
            "last_result": package.lastResult,
            "last_sync": package.lastSync.map { formatTime($0, version: version) } ?? "",
            "data_timestamp": package.dataTimestamp.map { formatTime($0, version: version) } ?? "",
            "href": hrefBase(version) + "/replication/packages/\(package.id)",
        ]
        if !options.zfssaPackagesOmitProjects { record["projects"] = [package.project] }
        return record
    }

    private func packageProjectJSON(_ package: ZFSSAReplication.Package, version: Int) -> [String: Any] {
        [
            "name": package.project, "pool": package.pool,
            "href": hrefBase(version) + "/replication/packages/\(package.id)/projects/\(package.project)",
        ]
    }

    private func packageShareJSON(
        _ package: ZFSSAReplication.Package, _ share: ZFSSAReplication.PackageShare, version: Int
    ) -> [String: Any] {
        [
            "name": share.name, "project": package.project, "pool": package.pool, "space_data": share.spaceData,
            "readonly": true, "collection": "replication",
            "canonical_name": "\(package.pool)/replication/\(package.id)/\(package.project)/\(share.name)",
            "href": hrefBase(version)
                + "/replication/packages/\(package.id)/projects/\(package.project)/filesystems/\(share.name)",
        ]
    }

    private func packageSnapshotJSON(
        _ package: ZFSSAReplication.Package, _ share: ZFSSAReplication.PackageShare,
        _ snapshot: ZFSSASimulation.Snapshot, version: Int
    ) -> [String: Any] {
        [
            "name": snapshot.name, "id": "\(share.name)@\(snapshot.name)", "project": package.project,
            "pool": package.pool, "collection": "replication", "isauto": false,
            "creation": formatTime(snapshot.creation, version: version),
            "numclones": packageCloneCount(package: package.id, share: share.name, snapshot: snapshot.name),
            "space_data": snapshot.spaceData, "space_unique": snapshot.spaceUnique, "retentionpolicy": "off",
            "type": "snapshot",
            "canonical_name":
                "\(package.pool)/replication/\(package.id)/\(package.project)/\(share.name)@\(snapshot.name)",
            "href": hrefBase(version)
                + "/replication/packages/\(package.id)/projects/\(package.project)/filesystems/\(share.name)/snapshots/\(snapshot.name)",
        ]
    }
}
