import Foundation

/// State and web-API behaviour of a simulated SoftNAS (Buurst) appliance (storage-apis §4).
///
/// Everything lives under `/softnas`: `POST login.php` (form `username`, `password`) opens a session and sets the
/// `PHPSESSID` cookie; `POST snserver/snserv.php` (form fields, or one JSON object) runs an `opcode` for a caller
/// with a valid session cookie; `GET logout.php` ends the session. Every answer of `snserv.php` is
/// `{"success": …, "records": […], "msg": "…"}`, with HTTP 200 whether or not it worked, as the appliance's PHP does.
/// The appliance names snapshots itself and says the name only in `msg` (`… 'pool/volume@name' …`). It has no
/// named clones.
struct SoftNASSimulation {
    struct Snapshot {
        var name: String
        var creation: Date
        var refer: Int64
    }

    struct Volume {
        var pool: String
        var name: String
        var used: Int64
        var snapshots: [Snapshot]
    }

    struct Key: Hashable {
        var pool: String
        var name: String
    }

    /// The session cookie's name.
    static let cookieName = "PHPSESSID"

    let options: SimulatorOptions
    /// Pools that exist: the pools of `--project` and of the seed.
    var pools: Set<String>
    var volumes: [Key: Volume] = [:]
    /// Insertion order, so listings are stable.
    var order: [Key] = []
    var sessions: [String: Date] = [:]
    /// Makes server-chosen snapshot names unique within one second.
    var snapshotCounter = 0
    /// Backing directories in file-backed mode.
    let data: SimulatorDataStore?

    init(options: SimulatorOptions) {
        self.options = options
        self.pools = Set(options.projects.map(\.pool))
        self.data = options.dataRoot.map { SimulatorDataStore(root: $0) }
    }

    /// The pool a seed or test means when it names none: the first `--project`'s pool.
    var defaultPool: String { options.projects.first?.pool ?? "pool1" }

    // MARK: Seeding

    /// Adds the seed's volumes (clone origins are ignored: SoftNAS has no named clones); in file-backed mode each
    /// gets its (possibly existing) directory. Throws the first directory problem after seeding everything.
    mutating func seed(_ seed: SimulatorSeed) throws(SimulatorDataError) {
        var problem: SimulatorDataError?
        for share in seed.shares {
            let pool = share.pool ?? defaultPool
            pools.insert(pool)
            let volume = Volume(
                pool: pool, name: share.name, used: share.spaceUsed ?? 10 << 30,
                snapshots: share.snapshots.map {
                    Snapshot(name: $0.name, creation: $0.creation, refer: $0.spaceTotal ?? 1 << 30)
                })
            insert(volume)
            do {
                if let data, let directory = try liveDirectory(volume) {
                    try data.createDirectory(directory, adopt: true)
                }
            } catch {
                problem = problem ?? error
            }
        }
        if let problem { throw problem }
    }

    private mutating func insert(_ volume: Volume) {
        let key = Key(pool: volume.pool, name: volume.name)
        if volumes[key] == nil { order.append(key) }
        volumes[key] = volume
    }

    /// The volume `name` in `pool` (default: the first pool).
    func volume(named name: String, pool: String? = nil) -> Volume? {
        volumes[Key(pool: pool ?? defaultPool, name: name)]
    }

    // MARK: Backing directories

    /// The volume's NFS export path, `/<pool>/<volume>`.
    static func volumePath(_ volume: Volume) -> String { "/\(volume.pool)/\(volume.name)" }

    /// The volume's live directory in file-backed mode (`nil` otherwise).
    func liveDirectory(_ volume: Volume) throws(SimulatorDataError) -> String? {
        try data?.exportDirectory(for: Self.volumePath(volume))
    }

    /// Where a snapshot's frozen tree lives in file-backed mode (`nil` otherwise); no snapshot name: the volume's
    /// directory of snapshots.
    func snapshotDirectory(_ volume: Volume, _ snapshot: String?) throws(SimulatorDataError) -> String? {
        try data?.privateDirectory(["softnas", volume.pool, volume.name] + (snapshot.map { [$0] } ?? []))
    }

    // MARK: Sessions

    mutating func expireSessions() { sessions.removeAll() }

    /// The session named by the request's `PHPSESSID` cookie, if it is valid (and then extended).
    private mutating func session(of request: SimRequest, now: Date) -> String? {
        guard let cookies = request.header("Cookie") else { return nil }
        for part in cookies.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0] == Self.cookieName else { continue }
            guard let expiry = sessions[pair[1]], expiry > now else {
                sessions[pair[1]] = nil
                return nil
            }
            sessions[pair[1]] = now.addingTimeInterval(options.sessionTimeout)
            return pair[1]
        }
        return nil
    }

    // MARK: Dispatch

    mutating func handle(_ request: SimRequest, now: Date) -> SimResponse {
        let parts = request.components
        guard parts.first == "softnas" else { return failure(404, "no such page: \(request.path)") }
        switch (request.method, parts.dropFirst().joined(separator: "/")) {
        case ("POST", "login.php"):
            let form = Self.fields(of: request)
            guard form["username"] == options.user, form["password"] == options.password else {
                // The appliance's login page answers 200 and says no in the body.
                return failure(200, "Invalid username or password")
            }
            let token = "simsoftnas" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            sessions[token] = now.addingTimeInterval(options.sessionTimeout)
            var response = answer(true, msg: "Login successful")
            response.headers["Set-Cookie"] = "\(Self.cookieName)=\(token); path=/; secure; HttpOnly"
            return response
        case ("GET", "logout.php"), ("POST", "logout.php"):
            if let token = session(of: request, now: now) { sessions[token] = nil }
            return answer(true, msg: "Logged out")
        case ("POST", "snserver/snserv.php"):
            guard session(of: request, now: now) != nil else {
                return failure(200, "Session expired or not logged in. Please log in again.")
            }
            return command(Self.fields(of: request), now: now)
        default:
            return failure(404, "no such page: \(request.method) \(request.path)")
        }
    }

    private mutating func command(_ form: [String: String], now: Date) -> SimResponse {
        switch form["opcode"] ?? "" {
        case "snapcommand":
            switch form["command"] ?? "" {
            case "create": return createSnapshot(form, now: now)
            case "delete": return deleteSnapshots(form)
            default: return failure(200, "snapcommand: unknown command '\(form["command"] ?? "")'")
            }
        case "snapshotlist": return listSnapshots(form)
        case "volumes": return listVolumes(form)
        case "createvolume": return createVolume(form)
        case "deletevolume": return deleteVolume(form)
        case "": return failure(200, "opcode is required")
        default: return failure(200, "unknown opcode '\(form["opcode"] ?? "")'")
        }
    }

    private mutating func createSnapshot(_ form: [String: String], now: Date) -> SimResponse {
        guard let pool = form["pool_name"], let name = form["volume_name"],
            var volume = volumes[Key(pool: pool, name: name)]
        else {
            return failure(200, "Volume \(form["pool_name"] ?? "?")/\(form["volume_name"] ?? "?") does not exist")
        }
        snapshotCounter += 1
        let snapshotName = "manual-\(Self.nameStamp(now))-\(snapshotCounter)"
        do {
            if let data, let live = try liveDirectory(volume), let frozen = try snapshotDirectory(volume, snapshotName)
            {
                try data.snapshot(live, to: frozen)
            }
        } catch {
            return failure(200, "cannot create snapshot: \(error.message)")
        }
        volume.snapshots.append(Snapshot(name: snapshotName, creation: now, refer: volume.used))
        volumes[Key(pool: pool, name: name)] = volume
        return answer(true, msg: "Snapshot '\(pool)/\(name)@\(snapshotName)' created successfully")
    }

    private mutating func deleteSnapshots(_ form: [String: String]) -> SimResponse {
        guard let text = form["snapshots"],
            let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], !list.isEmpty
        else {
            return failure(200, "snapshots must be a JSON list of {snapshot_name, pool_name, volume_name}")
        }
        // All or nothing: every snapshot is checked before any is deleted.
        var targets: [(Key, String)] = []
        for item in list {
            guard let snapshot = item["snapshot_name"] as? String, let pool = item["pool_name"] as? String,
                let name = item["volume_name"] as? String
            else { return failure(200, "each snapshot needs snapshot_name, pool_name and volume_name") }
            let key = Key(pool: pool, name: name)
            guard let volume = volumes[key], volume.snapshots.contains(where: { $0.name == snapshot }) else {
                return failure(200, "Snapshot '\(pool)/\(name)@\(snapshot)' does not exist")
            }
            targets.append((key, snapshot))
        }
        for (key, snapshot) in targets {
            guard var volume = volumes[key] else { continue }
            do {
                if let data, let frozen = try snapshotDirectory(volume, snapshot) { try data.remove(frozen) }
            } catch {
                return failure(200, "cannot delete snapshot \(snapshot): \(error.message)")
            }
            volume.snapshots.removeAll { $0.name == snapshot }
            volumes[key] = volume
        }
        return answer(true, msg: "\(targets.count) snapshot(s) deleted")
    }

    private func listSnapshots(_ form: [String: String]) -> SimResponse {
        let path = form["pool_name"] ?? ""
        let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let volume = volumes[Key(pool: parts[0], name: parts[1])] else {
            return failure(200, "Volume '\(path)' does not exist")
        }
        let records: [[String: Any]] = volume.snapshots.map {
            [
                "snapshot_name": $0.name, "name": "\(volume.pool)/\(volume.name)@\($0.name)",
                "creation": Int64($0.creation.timeIntervalSince1970), "refer": $0.refer, "pool_name": volume.pool,
                "volume_name": volume.name,
            ]
        }
        return answer(true, records: records, msg: "\(records.count) snapshot(s)")
    }

    private func listVolumes(_ form: [String: String]) -> SimResponse {
        let pool = form["pool"]
        let all = order.compactMap { volumes[$0] }.filter { pool == nil || pool == "" || $0.pool == pool }
        let start = max(0, Int(form["start"] ?? "") ?? 0)
        let limit = max(0, Int(form["limit"] ?? "") ?? 25)
        let page = start < all.count ? Array(all[start..<min(all.count, start + limit)]) : []
        let records: [[String: Any]] = page.map {
            [
                "vol_name": $0.name, "vol_path": Self.volumePath($0), "pool": $0.pool, "vol_type": "filesystem",
                "used_numeric": $0.used, "nfs_export": "on",
            ]
        }
        var response = answer(true, records: records, msg: "\(records.count) volume(s)")
        if var object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            object["total"] = all.count
            response = .json(200, object)
        }
        return response
    }

    private mutating func createVolume(_ form: [String: String]) -> SimResponse {
        guard let name = form["vol_name"], Self.isValidName(name), let pool = form["pool"] else {
            return failure(200, "vol_name (letters, digits, . _ -) and pool are required")
        }
        guard pools.contains(pool) else { return failure(200, "Pool '\(pool)' does not exist") }
        guard volumes[Key(pool: pool, name: name)] == nil else {
            return failure(200, "Volume '\(pool)/\(name)' already exists")
        }
        let volume = Volume(pool: pool, name: name, used: 31744, snapshots: [])
        do {
            if let data, let directory = try liveDirectory(volume) { try data.createDirectory(directory) }
        } catch {
            return failure(200, "cannot create volume: \(error.message)")
        }
        insert(volume)
        return answer(true, msg: "Volume '\(pool)/\(name)' created")
    }

    private mutating func deleteVolume(_ form: [String: String]) -> SimResponse {
        guard let name = form["vol_name"], let pool = form["pool"], let volume = volumes[Key(pool: pool, name: name)]
        else {
            return failure(200, "Volume '\(form["pool"] ?? "?")/\(form["vol_name"] ?? "?")' does not exist")
        }
        guard volume.snapshots.isEmpty else {
            return failure(200, "Volume '\(pool)/\(name)' has \(volume.snapshots.count) snapshot(s); delete them first")
        }
        do {
            if let data, let live = try liveDirectory(volume), let snapshots = try snapshotDirectory(volume, nil) {
                try data.remove(live)
                try data.remove(snapshots)
            }
        } catch {
            return failure(200, "cannot delete volume: \(error.message)")
        }
        let key = Key(pool: pool, name: name)
        volumes[key] = nil
        order.removeAll { $0 == key }
        return answer(true, msg: "Volume '\(pool)/\(name)' deleted")
    }

    // MARK: Helpers

    /// The request's parameters: the form fields, or the members of a JSON object body (strings as they are, other
    /// values as their JSON text).
    static func fields(of request: SimRequest) -> [String: String] {
        let text = String(decoding: request.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") {
            var fields: [String: String] = [:]
            for (key, value) in request.jsonObject {
                if let string = value as? String {
                    fields[key] = string
                } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
                    fields[key] = String(decoding: data, as: UTF8.self)
                }
            }
            return fields
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    /// `YYYYmmdd-HHMMSS` in UTC.
    static func nameStamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(c.year ?? 0)\(two(c.month))\(two(c.day))-\(two(c.hour))\(two(c.minute))\(two(c.second))"
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200
            && name.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0)
            }
    }

    /// `{"success": …, "records": […], "msg": "…"}` with HTTP 200.
    func answer(_ success: Bool, records: [[String: Any]] = [], msg: String) -> SimResponse {
        .json(200, ["success": success, "records": records, "msg": msg])
    }

    /// A refusal: `{"success": false, "records": [], "msg": message}` with HTTP `status`.
    func failure(_ status: Int, _ message: String) -> SimResponse {
        .json(status, ["success": false, "records": [], "msg": message])
    }
}
