import Foundation

/// State and REST behaviour of a simulated ZFS Storage Appliance (storage-apis §2).
struct ZFSSASimulation {
    struct Snapshot {
        var name: String
        var creation: Date
        var spaceData: Int64
        var spaceUnique: Int64
        var retention: String?
        var omitsNumclones = false
        /// Custom (schema) properties, `custom:<name>` → value, as set at creation or by a PUT.
        var properties: [String: String] = [:]
    }

    struct Origin: Hashable {
        var pool: String
        var project: String
        var share: String
        var snapshot: String
        /// The replication package holding the snapshot, for a clone made at the replica from a received snapshot
        /// (``ZFSSAReplication``); `nil` for a clone of a local snapshot.
        var package: String? = nil
    }

    struct Filesystem {
        var pool: String
        var project: String
        var name: String
        var creation: Date
        var origin: Origin?
        var spaceData: Int64
        var snapshots: [Snapshot]
    }

    struct Key: Hashable {
        var pool: String
        var project: String
        var name: String
    }

    /// Which snapshot listing a cached answer belongs to: one share's, or (`share` nil) the whole project's.
    struct ListingKey: Hashable {
        var pool: String
        var project: String
        var share: String?
        var version: Int
    }

    let options: SimulatorOptions
    var projects: Set<[String]>
    /// Every change of a share (its snapshots, a clone that changes `numclones`, creation, deletion) is a change of
    /// this dictionary, so it also drops the cached listings.
    var filesystems: [Key: Filesystem] = [:] {
        didSet { listings.removeAll() }
    }
    /// Encoded snapshot records per listing, kept until `filesystems` changes (a listing of 400 snapshots is then
    /// a copy of bytes, as quick as an appliance's answer).
    private(set) var listings: [ListingKey: [[UInt8]]] = [:]
    /// Insertion order, so listings are stable.
    var order: [Key] = []
    var sessions: [String: Date] = [:]
    /// Remote replication: targets, actions and the packages received (``ZFSSAReplication``).
    var replication = ZFSSAReplication()
    /// The fault rule of the request being handled (`failJob`/`slowJob` shape a replication update).
    var pendingFault: FaultRule?
    /// Backing directories in file-backed mode.
    let data: SimulatorDataStore?

    init(options: SimulatorOptions) {
        self.options = options
        self.projects = Set(options.projects.map { [$0.pool, $0.project] })
        self.data = options.dataRoot.map { SimulatorDataStore(root: $0) }
    }

    // MARK: Seeding

    /// Adds the seed's shares; in file-backed mode each gets its (possibly existing) directory, seeded snapshots
    /// get none (a clone of one starts empty). Throws the first directory problem after seeding everything.
    mutating func seed(_ seed: SimulatorSeed) throws(SimulatorDataError) {
        var problem: SimulatorDataError?
        for share in seed.shares {
            let pool = share.pool ?? options.projects.first?.pool ?? "pool1"
            let project = share.project ?? options.projects.first?.project ?? "demo-backup"
            projects.insert([pool, project])
            var origin: Origin?
            if let originShare = share.originShare, let originSnapshot = share.originSnapshot {
                origin = Origin(pool: pool, project: project, share: originShare, snapshot: originSnapshot)
            }
            let snapshots = share.snapshots.map {
                Snapshot(
                    name: $0.name, creation: $0.creation, spaceData: $0.spaceTotal ?? 1 << 30,
                    spaceUnique: $0.spaceUnique ?? 1 << 20, retention: $0.retention,
                    omitsNumclones: $0.omitsNumclones ?? false,
                    properties: $0.lockExpiry.map { [Self.lockExpiryProperty: Self.isoText($0)] } ?? [:])
            }
            let filesystem = Filesystem(
                pool: pool, project: project, name: share.name, creation: Date(), origin: origin,
                spaceData: share.spaceUsed ?? 10 << 30, snapshots: snapshots)
            insert(filesystem)
            do {
                if let data, let directory = try liveDirectory(filesystem) {
                    try data.createDirectory(directory, adopt: true)
                }
            } catch {
                problem = problem ?? error
            }
        }
        if let problem { throw problem }
    }

    // MARK: Backing directories

    /// The share's mountpoint, e.g. `/export/demo-backup/orcl`.
    static func mountpoint(_ filesystem: Filesystem) -> String { "/export/\(filesystem.project)/\(filesystem.name)" }

    /// The share's live directory in file-backed mode (`nil` otherwise).
    func liveDirectory(_ filesystem: Filesystem) throws(SimulatorDataError) -> String? {
        try data?.exportDirectory(for: Self.mountpoint(filesystem))
    }

    /// Where a snapshot's frozen tree lives in file-backed mode (`nil` otherwise); no snapshot name: the share's
    /// directory of snapshots.
    func snapshotDirectory(_ filesystem: Filesystem, _ snapshot: String?) throws(SimulatorDataError) -> String? {
        try data?.privateDirectory(
            ["zfssa", filesystem.pool, filesystem.project, filesystem.name] + (snapshot.map { [$0] } ?? []))
    }

    /// A backing-directory failure as the appliance reports an internal error.
    func dataFault(_ error: SimulatorDataError, _ what: String) -> SimResponse {
        fault(500, "ERR_INTERNAL", "\(what): \(error.message)")
    }

    /// Adds a share (a clone made at the replica).
    mutating func addFilesystem(_ filesystem: Filesystem) { insert(filesystem) }

    private mutating func insert(_ filesystem: Filesystem) {
        let key = Key(pool: filesystem.pool, project: filesystem.project, name: filesystem.name)
        if filesystems[key] == nil { order.append(key) }
        filesystems[key] = filesystem
    }

    private mutating func remove(_ key: Key) {
        filesystems[key] = nil
        order.removeAll { $0 == key }
    }

    func filesystemExists(pool: String, project: String, name: String) -> Bool {
        filesystems[Key(pool: pool, project: project, name: name)] != nil
    }

    // MARK: Authentication

    mutating func expireSessions() { sessions.removeAll() }

    /// Whether the request carries valid credentials.
    mutating func isAuthorized(_ request: SimRequest, now: Date) -> Bool {
        if let token = request.header("X-Auth-Session") {
            guard let expiry = sessions[token], expiry > now else {
                sessions[token] = nil
                return false
            }
            sessions[token] = now.addingTimeInterval(options.sessionTimeout)
            return true
        }
        if let user = request.header("X-Auth-User"), let key = request.header("X-Auth-Key") {
            return user == options.user && key == options.password
        }
        if let authorization = request.header("Authorization"), authorization.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst(6))),
            let text = String(data: data, encoding: .utf8)
        {
            return text == "\(options.user):\(options.password)"
        }
        return false
    }

    // MARK: Dispatch

    mutating func handle(_ request: SimRequest, fault rule: FaultRule? = nil, now: Date) -> SimResponse {
        pendingFault = rule
        defer { pendingFault = nil }
        advanceReplication(now: now)
        let parts = request.components
        guard parts.count >= 3, parts[0] == "api" else {
            return fault(404, "ERR_NOT_FOUND", "no such resource: \(request.path)")
        }
        if parts[1] == "access" {
            return handleAccess(request, now: now)
        }
        guard parts[1] == "storage", parts[2] == "v1" || parts[2] == "v2" else {
            return fault(404, "ERR_NOT_FOUND", "no such service: \(request.path)")
        }
        guard isAuthorized(request, now: now) else {
            return fault(401, "ERR_UNAUTHORIZED", "authentication required or session expired")
        }
        let version = parts[2] == "v1" ? 1 : 2
        var response = route(Array(parts.dropFirst(3)), request: request, version: version, now: now)
        response.headers["X-Zfssa-Storage-Api"] = version == 1 ? "1.1" : "2.0"
        return response
    }

    private mutating func handleAccess(_ request: SimRequest, now: Date) -> SimResponse {
        switch request.method {
        case "POST":
            guard request.header("X-Auth-User") == options.user, request.header("X-Auth-Key") == options.password
            else {
                return fault(401, "ERR_UNAUTHORIZED", "invalid user name or password")
            }
            // Recognisable, so tests can prove a token never reaches a message.
            let token = "simsession" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            sessions[token] = now.addingTimeInterval(options.sessionTimeout)
            return .json(
                201, ["access": ["services": [["name": "storage", "version": "2.0"]]]],
                headers: ["X-Auth-Session": token, "X-Auth-Name": "simulator-session", "X-Zfssa-Access-Api": "1.0"])
        case "DELETE":
            if let token = request.header("X-Auth-Session"), sessions[token] != nil {
                sessions[token] = nil
                return SimResponse(status: 204)
            }
            return fault(401, "ERR_UNAUTHORIZED", "no session")
        default:
            return fault(405, "ERR_NOT_IMPLEMENTED", "method not allowed")
        }
    }

    private mutating func route(_ parts: [String], request: SimRequest, version: Int, now: Date) -> SimResponse {
        if parts.first == "replication" {
            return handleReplication(parts, request: request, version: version, now: now)
        }
        guard parts.count >= 4, parts[0] == "pools", parts[2] == "projects" else {
            return fault(404, "ERR_NOT_FOUND", "no such resource")
        }
        let pool = parts[1]
        let project = parts[3]
        guard projects.contains([pool, project]) else {
            return fault(404, "ERR_NOT_FOUND", "project \(pool)/\(project) does not exist")
        }
        let rest = Array(parts.dropFirst(4))
        if rest.count >= 2, rest[0] == "replication", rest[1] == "actions" {
            return handleActions(
                Array(rest.dropFirst(2)), request: request, version: version, now: now, scope: (pool, project))
        }
        switch (request.method, rest.count) {
        case ("GET", 0):
            return .json(200, ["project": ["name": project, "pool": pool, "mountpoint": "/export/\(project)"]])
        case ("GET", 1) where rest[0] == "snapshots":
            return snapshotListing(
                ListingKey(pool: pool, project: project, share: nil, version: version), request: request)
        case ("GET", 1) where rest[0] == "filesystems":
            let records = order.compactMap { filesystems[$0] }.filter { $0.pool == pool && $0.project == project }
                .map { filesystemJSON($0, version: version) }
            return .json(200, ["filesystems": page(records, request)])
        case ("POST", 1) where rest[0] == "filesystems":
            return createFilesystem(pool: pool, project: project, request: request, version: version, now: now)
        default:
            break
        }
        guard rest.count >= 2, rest[0] == "filesystems" else { return fault(404, "ERR_NOT_FOUND", "no such resource") }
        let key = Key(pool: pool, project: project, name: rest[1])
        guard var filesystem = filesystems[key] else {
            return fault(404, "ERR_NOT_FOUND", "filesystem \(pool)/\(project)/\(rest[1]) does not exist")
        }
        let tail = Array(rest.dropFirst(2))
        switch (request.method, tail.count) {
        case ("GET", 0):
            return .json(200, ["filesystem": filesystemJSON(filesystem, version: version)])
        case ("PUT", 0):
            return .json(202, ["filesystem": filesystemJSON(filesystem, version: version)])
        case ("DELETE", 0):
            if let held = filesystem.snapshots.first(where: { cloneCount(of: filesystem, snapshot: $0.name) > 0 }) {
                return fault(409, "ERR_STATE_CHANGED", "snapshot \(held.name) has dependent clones")
            }
            if let retained = filesystem.snapshots.first(where: { $0.retention != nil }) {
                return fault(409, "ERR_STATE_CHANGED", "snapshot \(retained.name) is retained")
            }
            do {
                if let data, let live = try liveDirectory(filesystem),
                    let snapshots = try snapshotDirectory(filesystem, nil)
                {
                    try data.remove(live)
                    try data.remove(snapshots)
                }
            } catch {
                return dataFault(error, "cannot destroy \(filesystem.name)")
            }
            remove(key)
            return SimResponse(status: 204)
        case ("GET", 1) where tail[0] == "snapshots":
            return snapshotListing(
                ListingKey(pool: pool, project: project, share: filesystem.name, version: version), request: request)
        case ("POST", 1) where tail[0] == "snapshots":
            guard let name = request.jsonObject["name"] as? String, isValidName(name) else {
                return fault(400, "ERR_INVALID_ARG", "a valid snapshot name is required")
            }
            guard !filesystem.snapshots.contains(where: { $0.name == name }) else {
                return fault(409, "ERR_OBJECT_EXISTS", "snapshot \(name) already exists")
            }
            var snapshot = Snapshot(
                name: name, creation: now, spaceData: filesystem.spaceData, spaceUnique: 0, retention: nil)
            if let problem = applyRetentionProperties(request.jsonObject, to: &snapshot) { return problem }
            do {
                if let data, let live = try liveDirectory(filesystem),
                    let frozen = try snapshotDirectory(filesystem, name)
                {
                    try data.snapshot(live, to: frozen)
                }
            } catch {
                return dataFault(error, "cannot create snapshot \(name)")
            }
            filesystem.snapshots.append(snapshot)
            filesystems[key] = filesystem
            return snapshotAnswer(201, snapshot, of: filesystem, version: version)
        default:
            break
        }
        guard tail.count >= 2, tail[0] == "snapshots" else { return fault(404, "ERR_NOT_FOUND", "no such resource") }
        guard let index = filesystem.snapshots.firstIndex(where: { $0.name == tail[1] }) else {
            return fault(404, "ERR_NOT_FOUND", "snapshot \(tail[1]) does not exist")
        }
        let snapshot = filesystem.snapshots[index]
        switch (request.method, tail.count) {
        case ("GET", 2):
            return snapshotAnswer(200, snapshot, of: filesystem, version: version)
        case ("PUT", 2):
            // Modify: `retentionpolicy` (an appliance user holding releaseSnapRetention may set it off) and
            // custom properties; other properties are accepted and ignored.
            var changed = snapshot
            if let problem = applyRetentionProperties(request.jsonObject, to: &changed) { return problem }
            if snapshot.retention != nil, changed.retention == nil, !options.zfssaMayReleaseRetention {
                // Only a user holding releaseSnapRetention may set a retention off (status and text unverified).
                return fault(
                    403, "ERR_UNAUTHORIZED",
                    "user \(options.user) lacks the authorization releaseSnapRetention needed to release the retention of snapshot \(snapshot.name)"
                )
            }
            filesystem.snapshots[index] = changed
            filesystems[key] = filesystem
            return snapshotAnswer(202, changed, of: filesystem, version: version)
        case ("DELETE", 2):
            let clones = cloneCount(of: filesystem, snapshot: snapshot.name)
            if clones > 0 {
                return fault(409, "ERR_STATE_CHANGED", "snapshot \(snapshot.name) has \(clones) dependent clone(s)")
            }
            if let retention = snapshot.retention {
                // The appliance keeps a retained snapshot until its retention is set off, whoever asks.
                return fault(
                    409, "ERR_STATE_CHANGED",
                    "snapshot \(snapshot.name) is retained (retentionpolicy \(retention)); release the retention first")
            }
            do {
                if let data, let frozen = try snapshotDirectory(filesystem, snapshot.name) { try data.remove(frozen) }
            } catch {
                return dataFault(error, "cannot destroy snapshot \(snapshot.name)")
            }
            filesystem.snapshots.remove(at: index)
            filesystems[key] = filesystem
            return SimResponse(status: 204)
        case ("GET", 3) where tail[2] == "dependents":
            let dependents = clones(of: filesystem, snapshot: snapshot.name).map {
                ["project": $0.project, "share": $0.name, "href": hrefBase(version) + filesystemPath($0)]
                    as [String: Any]
            }
            return .json(200, ["dependents": dependents])
        case ("PUT", 3) where tail[2] == "clone":
            let body = request.jsonObject
            let targetProject = body["project"] as? String ?? project
            let targetPool = body["pool"] as? String ?? pool
            guard let share = body["share"] as? String, isValidName(share) else {
                return fault(400, "ERR_MISSING_ARG", "share is required")
            }
            guard projects.contains([targetPool, targetProject]) else {
                return fault(404, "ERR_NOT_FOUND", "project \(targetPool)/\(targetProject) does not exist")
            }
            let cloneKey = Key(pool: targetPool, project: targetProject, name: share)
            guard filesystems[cloneKey] == nil else {
                return fault(409, "ERR_OBJECT_EXISTS", "share \(share) already exists in \(targetProject)")
            }
            let clone = Filesystem(
                pool: targetPool, project: targetProject, name: share, creation: now,
                origin: Origin(pool: pool, project: project, share: filesystem.name, snapshot: snapshot.name),
                spaceData: snapshot.spaceData, snapshots: [])
            do {
                if let data, let frozen = try snapshotDirectory(filesystem, snapshot.name),
                    let target = try liveDirectory(clone)
                {
                    try data.clone(frozen, to: target)
                }
            } catch {
                return dataFault(error, "cannot clone snapshot \(snapshot.name) as \(share)")
            }
            insert(clone)
            return .json(201, ["filesystem": filesystemJSON(clone, version: version)])
        default:
            return fault(405, "ERR_NOT_IMPLEMENTED", "\(request.method) not supported here")
        }
    }

    private mutating func createFilesystem(
        pool: String, project: String, request: SimRequest, version: Int, now: Date
    ) -> SimResponse {
        guard let name = request.jsonObject["name"] as? String, isValidName(name) else {
            return fault(400, "ERR_MISSING_ARG", "name is required")
        }
        let key = Key(pool: pool, project: project, name: name)
        guard filesystems[key] == nil else {
            return fault(409, "ERR_OBJECT_EXISTS", "share \(name) already exists")
        }
        let filesystem = Filesystem(
            pool: pool, project: project, name: name, creation: now, origin: nil, spaceData: 31744, snapshots: [])
        do {
            if let data, let directory = try liveDirectory(filesystem) { try data.createDirectory(directory) }
        } catch {
            return dataFault(error, "cannot create share \(name)")
        }
        insert(filesystem)
        return .json(201, ["filesystem": filesystemJSON(filesystem, version: version)])
    }

    // MARK: Retention

    /// The custom property in which the tool records a retention's expiry (the appliance itself gives a retention no
    /// duration and keeps it until it is set off).
    static let lockExpiryProperty = "custom:oiblockeduntil"

    static func isoText(_ date: Date) -> String {
        var json = SimulatorJSON(capacity: 24)
        json.dateString(SimulatorDateFields(date), dateSeparator: true, suffix: "Z")
        return String(decoding: json.bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Applies `retentionpolicy` (`off`/`unlocked`/empty release it; `locked`/`on`/`retained` retain) and string
    /// `custom:` properties of a create or modify body (dropped with ``SimulatorOptions/zfssaDropsCustomProperties``);
    /// an `ERR_INVALID_ARG` fault for other values.
    private func applyRetentionProperties(_ body: [String: Any], to snapshot: inout Snapshot) -> SimResponse? {
        if let value = body["retentionpolicy"] {
            guard let policy = (value as? String)?.lowercased() else {
                return fault(400, "ERR_INVALID_ARG", "retentionpolicy must be a string")
            }
            switch policy {
            case "off", "unlocked", "": snapshot.retention = nil
            case "locked", "on", "retained": snapshot.retention = "locked"
            default: return fault(400, "ERR_INVALID_ARG", "invalid retentionpolicy '\(policy)'")
            }
        }
        for (key, value) in body where key.hasPrefix("custom:") {
            guard let text = value as? String else {
                return fault(400, "ERR_INVALID_ARG", "\(key) must be a string")
            }
            if options.zfssaDropsCustomProperties { continue }
            snapshot.properties[key] = text.isEmpty ? nil : text
        }
        return nil
    }

    // MARK: Helpers

    private func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200
            && name.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._:-".unicodeScalars.contains($0)
            }
    }

    private func clones(of filesystem: Filesystem, snapshot: String) -> [Filesystem] {
        order.compactMap { filesystems[$0] }.filter {
            $0.origin
                == Origin(
                    pool: filesystem.pool, project: filesystem.project, share: filesystem.name, snapshot: snapshot)
        }
    }

    func cloneCount(of filesystem: Filesystem, snapshot: String) -> Int {
        clones(of: filesystem, snapshot: snapshot).count
    }

    /// `limit` and `start` (storage-apis §2.1).
    private func page<Record>(_ records: [Record], _ request: SimRequest) -> [Record] {
        let start = request.queryValue("start").flatMap(Int.init) ?? 0
        let limit = request.queryValue("limit").flatMap(Int.init) ?? records.count
        guard start < records.count else { return [] }
        return Array(records[start..<min(records.count, start + max(0, limit))])
    }

    func hrefBase(_ version: Int) -> String { "/api/storage/v\(version)" }

    private func filesystemPath(_ filesystem: Filesystem) -> String {
        "/pools/\(filesystem.pool)/projects/\(filesystem.project)/filesystems/\(filesystem.name)"
    }

    /// The appliance's time format: `20161017T07:39:14` in API v1, `2016-10-17T07:39:14Z` in v2 (UTC).
    func formatTime(_ date: Date, version: Int) -> String {
        var json = SimulatorJSON(capacity: 24)
        Self.appendTime(date, version: version, to: &json)
        return String(decoding: json.bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Appends ``formatTime(_:version:)`` as a JSON string.
    static func appendTime(_ date: Date, version: Int, to json: inout SimulatorJSON) {
        json.dateString(SimulatorDateFields(date), dateSeparator: version != 1, suffix: version == 1 ? "" : "Z")
    }

    /// How many clones each snapshot has (snapshots without clones are absent).
    private func cloneCounts() -> [Origin: Int] {
        var counts: [Origin: Int] = [:]
        for filesystem in filesystems.values {
            if let origin = filesystem.origin { counts[origin, default: 0] += 1 }
        }
        return counts
    }

    /// The `{"snapshots":[…]}` answer of a listing, paged by `limit`/`start`; the encoded records come from
    /// ``listings`` when nothing changed since the last listing of the same key.
    private mutating func snapshotListing(_ key: ListingKey, request: SimRequest) -> SimResponse {
        let records: [[UInt8]]
        if let cached = listings[key] {
            records = cached
        } else {
            let shares =
                key.share.map { [Key(pool: key.pool, project: key.project, name: $0)] }
                ?? order.filter { $0.pool == key.pool && $0.project == key.project }
            let clones = cloneCounts()
            records = shares.compactMap { filesystems[$0] }.flatMap { filesystem in
                filesystem.snapshots.map { snapshot in
                    let origin = Origin(
                        pool: filesystem.pool, project: filesystem.project, share: filesystem.name,
                        snapshot: snapshot.name)
                    var json = SimulatorJSON(capacity: 512)
                    snapshotJSON(snapshot, of: filesystem, version: key.version, clones: clones[origin] ?? 0, to: &json)
                    return json.bytes
                }
            }
            listings[key] = records
        }
        let selected = page(records, request)
        var json = SimulatorJSON(capacity: selected.reduce(16) { $0 + $1.count + 1 })
        json.raw("{\"snapshots\":[")
        for (index, record) in selected.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(record)
        }
        json.raw("]}")
        return .encodedJSON(200, json.bytes)
    }

    /// The `{"snapshot":{…}}` answer about one snapshot.
    private func snapshotAnswer(_ status: Int, _ snapshot: Snapshot, of filesystem: Filesystem, version: Int)
        -> SimResponse
    {
        var json = SimulatorJSON(capacity: 512)
        json.raw("{\"snapshot\":")
        snapshotJSON(
            snapshot, of: filesystem, version: version, clones: cloneCount(of: filesystem, snapshot: snapshot.name),
            to: &json)
        json.raw("}")
        return .encodedJSON(status, json.bytes)
    }

    /// A share's record as the appliance answers it.
    func filesystemRecord(_ filesystem: Filesystem, version: Int) -> [String: Any] {
        filesystemJSON(filesystem, version: version)
    }

    private func filesystemJSON(_ filesystem: Filesystem, version: Int) -> [String: Any] {
        var record: [String: Any] = [
            "name": filesystem.name, "project": filesystem.project, "pool": filesystem.pool,
            "href": hrefBase(version) + filesystemPath(filesystem),
            "canonical_name": "\(filesystem.pool)/local/\(filesystem.project)/\(filesystem.name)",
            "mountpoint": Self.mountpoint(filesystem),
            "creation": formatTime(filesystem.creation, version: version), "sharenfs": "on", "sharesmb": "off",
            "space_data": filesystem.spaceData, "space_available": Int64(1) << 40, "space_total": filesystem.spaceData,
            "quota": 0, "reservation": 0, "compression": "lz4", "readonly": false, "root_permissions": "770",
        ]
        if let origin = filesystem.origin {
            var described: [String: Any] = [
                "pool": origin.pool, "project": origin.project, "share": origin.share, "snapshot": origin.snapshot,
            ]
            if let package = origin.package { described["package"] = package }
            record["origin"] = described
        }
        return record
    }

    /// Appends a snapshot's record: keys in sorted order, as `SimResponse.json` writes them. `shadowsnap` only in
    /// API v1; no `numclones` when the seed says this appliance release omits it.
    private func snapshotJSON(
        _ snapshot: Snapshot, of filesystem: Filesystem, version: Int, clones: Int, to json: inout SimulatorJSON
    ) {
        json.raw("{\"canonical_name\":")
        json.string("\(filesystem.pool)/local/\(filesystem.project)/\(filesystem.name)@\(snapshot.name)")
        json.raw(",\"collection\":\"local\",\"creation\":")
        Self.appendTime(snapshot.creation, version: version, to: &json)
        for (key, value) in snapshot.properties.sorted(by: { $0.key < $1.key }) {
            json.raw(",")
            json.string(key)
            json.raw(":")
            json.string(value)
        }
        json.raw(",\"href\":")
        json.string(hrefBase(version) + filesystemPath(filesystem) + "/snapshots/\(snapshot.name)")
        json.raw(",\"id\":")
        json.string("\(filesystem.name)@\(snapshot.name)")
        json.raw(",\"isauto\":false,\"name\":")
        json.string(snapshot.name)
        if !snapshot.omitsNumclones {
            json.raw(",\"numclones\":")
            json.number(clones)
        }
        json.raw(",\"pool\":")
        json.string(filesystem.pool)
        json.raw(",\"project\":")
        json.string(filesystem.project)
        json.raw(",\"retentionpolicy\":")
        json.string(snapshot.retention ?? "off")
        if version == 1 { json.raw(",\"shadowsnap\":false") }
        json.raw(",\"space_data\":")
        json.number(snapshot.spaceData)
        json.raw(",\"space_unique\":")
        json.number(snapshot.spaceUnique)
        json.raw(",\"type\":\"snapshot\"}")
    }

    /// The appliance's error body (storage-apis §2.6).
    func fault(_ status: Int, _ message: String, _ details: String) -> SimResponse {
        .json(status, ["fault": ["message": message, "details": details, "code": status]])
    }
}
