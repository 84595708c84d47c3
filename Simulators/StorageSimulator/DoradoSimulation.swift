import Foundation

/// State and REST behaviour of a simulated Huawei OceanStor Dorado (DeviceManager REST, storage-apis §5).
///
/// Every answer is HTTP 200 with `{"data": …, "error": {"code": n, "description": …}}`; sessions are an
/// `iBaseToken` plus a session cookie that expire after ``SimulatorOptions/sessionTimeout`` (or at
/// ``expireSessions()``) and are then answered with code -401. Objects live in vStores: file systems (clones carry
/// `ISCLONEFS` and the `PARENT…` fields), `FSSNAPSHOT`s, `NFSHARE`s and `NFS_SHARE_AUTH_CLIENT`s. Queries honour
/// `vstoreId` (exactly that casing: `vstoreid` scopes nothing, like an unknown parameter), `filter=FIELD::v` (exact)
/// and `filter=FIELD:v` (fuzzy: contains, any case), `PARENTID=` for snapshots and `range=[start-end]` paging
/// (`end` exclusive).
///
/// Codes that the spec's table does not give are this simulator's placeholders (``Code``).
struct DoradoSimulation {
    /// Error codes: from storage-apis §5.1 where it lists them, placeholders otherwise.
    enum Code {
        static let unauthorized = -401
        static let wrongPassword = 1_077_987_870
        static let systemBusy = 1_077_949_006
        static let nameLength = 1_077_949_103
        static let nameCharacters = 1_077_949_106
        static let wrongVStore = 1_077_951_226
        static let snapshotNotFound = 1_073_754_118
        /// Cinder's `OBJECT_NAME_ALREADY_EXIST` (unverified for Dorado).
        static let nameExists = 1_077_948_993
        /// Placeholder: object (file system, share, client) not found.
        static let objectNotFound = 1_077_948_996
        /// Placeholder: the snapshot still has clone file systems.
        static let snapshotHasClones = 1_077_955_001
        /// Placeholder: the file system still has NFS shares (delete them first).
        static let filesystemHasShares = 1_077_955_002
        /// Placeholder: the file system has snapshots with clones.
        static let filesystemHasClones = 1_077_955_003
        /// Placeholder: a required parameter is missing or invalid.
        static let invalidParameter = 50_331_651
    }

    struct Filesystem {
        var id: String
        var name: String
        var vstoreID: String
        var isClone: Bool
        var parentFilesystemID: String?
        var parentSnapshotID: String?
        var capacity: Int64
    }

    struct Snapshot {
        var id: String
        var name: String
        var filesystemID: String
        var vstoreID: String
        var creation: Date
    }

    struct Share {
        var id: String
        var path: String
        var filesystemID: String
        var vstoreID: String
    }

    struct Client {
        var id: String
        var name: String
        var shareID: String
        var vstoreID: String
        var fields: [String: String]
    }

    struct Session {
        var cookie: String
        var expiry: Date
    }

    let options: SimulatorOptions
    /// The array's device id, part of every path after the log-in.
    let deviceID = "2102351234DORADO"
    /// vStores: id → name; `0` is the system vStore.
    private(set) var vstores: [(id: String, name: String)] = []
    private(set) var filesystems: [Filesystem] = []
    private(set) var snapshots: [Snapshot] = []
    private(set) var shares: [Share] = []
    private(set) var clients: [Client] = []
    private var sessions: [String: Session] = [:]
    private var nextID = 1
    /// Requests that carried a token this simulator never issued (or one of another array).
    private(set) var foreignTokenCount = 0
    /// How many log-ins succeeded.
    private(set) var loginCount = 0
    /// Backing directories in file-backed mode.
    let data: SimulatorDataStore?

    init(options: SimulatorOptions) {
        self.options = options
        self.data = options.dataRoot.map { SimulatorDataStore(root: $0) }
        vstores.append(("0", "System_vStore"))
        for name in options.vstores { _ = vstoreID(creating: name) }
    }

    // MARK: Seeding and controls

    /// Adds the seed's shares as file systems (with a share `/<name>/`) in the vStore named by their `project`
    /// (default: the first of ``SimulatorOptions/vstores``); a clone seed (`originShare`, `originSnapshot`) becomes
    /// a clone file system of that snapshot. In file-backed mode each gets its directory.
    mutating func seed(_ seed: SimulatorSeed) throws(SimulatorDataError) {
        var problem: SimulatorDataError?
        for share in seed.shares {
            let vstore = vstoreID(creating: share.project ?? options.vstores.first ?? "vstore1")
            var filesystem = Filesystem(
                id: newID(), name: share.name, vstoreID: vstore, isClone: false, parentFilesystemID: nil,
                parentSnapshotID: nil, capacity: share.spaceUsed ?? 1_000_000_000)
            if let originName = share.originShare, let originSnapshot = share.originSnapshot,
                let origin = filesystems.first(where: { $0.name == originName && $0.vstoreID == vstore }),
                let snapshot = snapshots.first(where: { $0.filesystemID == origin.id && $0.name == originSnapshot })
            {
                filesystem.isClone = true
                filesystem.parentFilesystemID = origin.id
                filesystem.parentSnapshotID = snapshot.id
            }
            filesystems.append(filesystem)
            shares.append(Share(id: newID(), path: "/\(share.name)/", filesystemID: filesystem.id, vstoreID: vstore))
            for seeded in share.snapshots {
                snapshots.append(
                    Snapshot(
                        id: newID(), name: seeded.name, filesystemID: filesystem.id, vstoreID: vstore,
                        creation: seeded.creation))
            }
            do {
                if let data { try data.createDirectory(try liveDirectory(filesystem), adopt: true) }
            } catch {
                problem = problem ?? error
            }
        }
        if let problem { throw problem }
    }

    /// Adds a plain (non-clone) file system without a share (a look-alike for ownership checks).
    mutating func addPlainFilesystem(named name: String, vstore: String?) {
        let vstoreID = vstoreID(creating: vstore ?? options.vstores.first ?? "vstore1")
        filesystems.append(
            Filesystem(
                id: newID(), name: name, vstoreID: vstoreID, isClone: false, parentFilesystemID: nil,
                parentSnapshotID: nil, capacity: 1_000_000_000))
    }

    /// Ends every session: the next request gets -401.
    mutating func expireSessions() { sessions.removeAll() }

    func filesystem(named name: String, vstore: String? = nil) -> Filesystem? {
        let vstoreID = vstores.first { $0.name == (vstore ?? options.vstores.first ?? "vstore1") }?.id
        return filesystems.first { $0.name == name && $0.vstoreID == vstoreID }
    }

    /// Snapshot names of a file system, in creation order.
    func snapshotNames(of name: String) -> [String] {
        guard let filesystem = filesystem(named: name) else { return [] }
        return snapshots.filter { $0.filesystemID == filesystem.id }.map(\.name)
    }

    private mutating func vstoreID(creating name: String) -> String {
        if let existing = vstores.first(where: { $0.name == name }) { return existing.id }
        let id = String(vstores.count)
        vstores.append((id, name))
        return id
    }

    private mutating func newID() -> String {
        defer { nextID += 1 }
        return String(nextID)
    }

    // MARK: Backing directories

    /// File-backed mode: a file system's directory is `<data root>/<name>`, the path of its share `/<name>/`.
    func liveDirectory(_ filesystem: Filesystem) throws(SimulatorDataError) -> String {
        guard let data else { throw SimulatorDataError("not file-backed") }
        return try data.exportDirectory(for: "/\(filesystem.name)")
    }

    /// File-backed mode: `<data root>/.storage-sim/dorado/<vStore>/<file system>[/<snapshot>]`.
    func snapshotDirectory(_ filesystem: Filesystem, _ snapshot: String?) throws(SimulatorDataError) -> String? {
        let vstore = vstores.first { $0.id == filesystem.vstoreID }?.name ?? filesystem.vstoreID
        return try data?.privateDirectory(["dorado", vstore, filesystem.name] + (snapshot.map { [$0] } ?? []))
    }

    // MARK: Dispatch

    mutating func handle(_ request: SimRequest, now: Date) -> SimResponse {
        let parts = request.components
        guard parts.count >= 4, parts[0] == "deviceManager", parts[1] == "rest" else {
            return SimResponse(status: 404)
        }
        let device = parts[2]
        let resource = Array(parts.dropFirst(3))
        if device == "xxxxx", resource == ["sessions"], request.method == "POST" {
            return login(request, now: now)
        }
        guard device == deviceID else { return SimResponse(status: 404) }
        guard authorize(request, now: now) else {
            return error(Code.unauthorized, "unauthorized: the session is invalid or has expired")
        }
        switch (request.method, resource.first?.lowercased() ?? "", resource.count) {
        case ("DELETE", "sessions", 1):
            if let token = request.header("iBaseToken") { sessions[token] = nil }
            return success([:])
        case ("GET", "vstore", 1):
            let records = vstores.map { ["ID": $0.id, "NAME": $0.name] as [String: Any] }
            return success(page(filter(records, request), request))
        case (_, "filesystem", _):
            return filesystemRoute(request, resource, now: now)
        case (_, "fssnapshot", _):
            return snapshotRoute(request, resource, now: now)
        case (_, "nfshare", _):
            return shareRoute(request, resource)
        case (_, "nfs_share_auth_client", _):
            return clientRoute(request, resource)
        default:
            return SimResponse(status: 404)
        }
    }

    private mutating func login(_ request: SimRequest, now: Date) -> SimResponse {
        let body = request.jsonObject
        guard body["username"] as? String == options.user, body["password"] as? String == options.password else {
            return error(Code.wrongPassword, "The user name or password is incorrect.")
        }
        // Recognisable, so tests can prove a token never reaches a message.
        let token = "simtoken" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let cookie = "session=sim" + UUID().uuidString.prefix(8).lowercased()
        sessions[token] = Session(cookie: cookie, expiry: now.addingTimeInterval(options.sessionTimeout))
        loginCount += 1
        issued.insert(token)
        var response = success([
            "iBaseToken": token, "deviceid": deviceID, "accountstate": 1, "level": 2, "pwdchangetime": 0,
            "username": options.user,
        ])
        response.headers["Set-Cookie"] = "\(cookie); Path=/; Secure; HttpOnly"
        return response
    }

    /// A known, unexpired token with its own session cookie.
    private mutating func authorize(_ request: SimRequest, now: Date) -> Bool {
        guard let token = request.header("iBaseToken") else { return false }
        guard let session = sessions[token] else {
            if !issued.contains(token) { foreignTokenCount += 1 }
            return false
        }
        guard session.expiry > now else {
            sessions[token] = nil
            return false
        }
        let cookies = (request.header("Cookie") ?? "").split(separator: ";").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard cookies.contains(session.cookie) else { return false }
        sessions[token]?.expiry = now.addingTimeInterval(options.sessionTimeout)
        return true
    }

    /// Every token issued (expired or not), to tell an expired token from a foreign one.
    private var issued: Set<String> = []

    // MARK: Resources

    private mutating func filesystemRoute(_ request: SimRequest, _ resource: [String], now: Date) -> SimResponse {
        let scope = vstoreScope(request)
        switch (request.method, resource.count) {
        case ("GET", 1):
            let records = filesystems.filter { $0.vstoreID == scope }.map(filesystemJSON)
            return success(page(filter(records, request), request))
        case ("GET", 2) where resource[1] == "count":
            return success([
                "COUNT": String(filter(filesystems.filter { $0.vstoreID == scope }.map(filesystemJSON), request).count)
            ])
        case ("GET", 2):
            guard let found = filesystems.first(where: { $0.id == resource[1] && $0.vstoreID == scope }) else {
                return error(Code.objectNotFound, "The file system does not exist.")
            }
            return success(filesystemJSON(found))
        case ("POST", 1):
            return createFilesystem(request.jsonObject, now: now)
        case ("DELETE", 2):
            return deleteFilesystem(resource[1], scope: scope)
        default:
            return error(Code.invalidParameter, "\(request.method) not supported on \(resource.joined(separator: "/"))")
        }
    }

    private mutating func createFilesystem(_ body: [String: Any], now: Date) -> SimResponse {
        guard let name = body["NAME"] as? String else { return error(Code.invalidParameter, "NAME is required") }
        if let problem = nameProblem(name, limit: 255) { return problem }
        let scope = text(body["vstoreId"]) ?? "0"
        guard vstores.contains(where: { $0.id == scope }) else {
            return error(Code.wrongVStore, "The vStore does not exist.")
        }
        guard !filesystems.contains(where: { $0.name == name && $0.vstoreID == scope }) else {
            return error(Code.nameExists, "The name already exists.")
        }
        var filesystem = Filesystem(
            id: newID(), name: name, vstoreID: scope, isClone: false, parentFilesystemID: nil, parentSnapshotID: nil,
            capacity: Int64(text(body["CAPACITY"]) ?? "") ?? 1_000_000_000)
        if text(body["ISCLONEFS"])?.lowercased() == "true" {
            guard let parentID = text(body["PARENTFILESYSTEMID"]), let snapshotID = text(body["PARENTSNAPSHOTID"]),
                let parent = filesystems.first(where: { $0.id == parentID && $0.vstoreID == scope })
            else {
                return error(Code.objectNotFound, "The parent file system does not exist in this vStore.")
            }
            guard let snapshot = snapshots.first(where: { $0.id == snapshotID && $0.filesystemID == parentID }) else {
                return error(Code.snapshotNotFound, "The file system snapshot does not exist.")
            }
            filesystem.isClone = true
            filesystem.parentFilesystemID = parentID
            filesystem.parentSnapshotID = snapshotID
            filesystem.capacity = parent.capacity
            do {
                if let data, let frozen = try snapshotDirectory(parent, snapshot.name) {
                    try data.clone(frozen, to: try liveDirectory(filesystem))
                }
            } catch {
                return self.error(Code.systemBusy, "cannot clone: \(error.message)")
            }
        } else {
            do {
                if let data { try data.createDirectory(try liveDirectory(filesystem)) }
            } catch {
                return self.error(Code.systemBusy, "cannot create the file system: \(error.message)")
            }
        }
        filesystems.append(filesystem)
        return success(filesystemJSON(filesystem))
    }

    private mutating func deleteFilesystem(_ id: String, scope: String) -> SimResponse {
        guard let index = filesystems.firstIndex(where: { $0.id == id && $0.vstoreID == scope }) else {
            return error(Code.objectNotFound, "The file system does not exist.")
        }
        let filesystem = filesystems[index]
        if shares.contains(where: { $0.filesystemID == id }) {
            return error(Code.filesystemHasShares, "The file system has NFS shares; delete them first.")
        }
        let own = Set(snapshots.filter { $0.filesystemID == id }.map(\.id))
        if filesystems.contains(where: { $0.parentSnapshotID.map(own.contains) ?? false }) {
            return error(Code.filesystemHasClones, "Snapshots of the file system have clones.")
        }
        do {
            if let data {
                try data.remove(try liveDirectory(filesystem))
                if let directory = try snapshotDirectory(filesystem, nil) { try data.remove(directory) }
            }
        } catch {
            return self.error(Code.systemBusy, "cannot delete the file system: \(error.message)")
        }
        snapshots.removeAll { $0.filesystemID == id }
        filesystems.remove(at: index)
        return success([:])
    }

    private mutating func snapshotRoute(_ request: SimRequest, _ resource: [String], now: Date) -> SimResponse {
        let scope = vstoreScope(request)
        switch (request.method, resource.count) {
        case ("GET", 1):
            var selected = snapshots.filter { $0.vstoreID == scope }
            if let parent = request.queryValue("PARENTID") { selected = selected.filter { $0.filesystemID == parent } }
            return success(page(filter(selected.map(snapshotJSON), request), request))
        case ("POST", 1):
            let body = request.jsonObject
            guard let name = body["NAME"] as? String, let parentID = text(body["PARENTID"]) else {
                return error(Code.invalidParameter, "NAME and PARENTID are required")
            }
            if let problem = nameProblem(name, limit: 31) { return problem }
            let bodyScope = text(body["vstoreId"]) ?? "0"
            guard let parent = filesystems.first(where: { $0.id == parentID && $0.vstoreID == bodyScope }) else {
                return error(Code.objectNotFound, "The file system does not exist in this vStore.")
            }
            guard !snapshots.contains(where: { $0.filesystemID == parentID && $0.name == name }) else {
                return error(Code.nameExists, "The name already exists.")
            }
            let snapshot = Snapshot(
                id: newID(), name: name, filesystemID: parentID, vstoreID: bodyScope, creation: now)
            do {
                if let data, let frozen = try snapshotDirectory(parent, name) {
                    try data.snapshot(try liveDirectory(parent), to: frozen)
                }
            } catch {
                return self.error(Code.systemBusy, "cannot create the snapshot: \(error.message)")
            }
            snapshots.append(snapshot)
            return success(snapshotJSON(snapshot))
        case ("DELETE", 2):
            guard let index = snapshots.firstIndex(where: { $0.id == resource[1] && $0.vstoreID == scope }) else {
                return error(Code.snapshotNotFound, "The file system snapshot does not exist.")
            }
            let snapshot = snapshots[index]
            if filesystems.contains(where: { $0.parentSnapshotID == snapshot.id }) {
                return error(Code.snapshotHasClones, "The snapshot has clone file systems.")
            }
            do {
                if let data, let filesystem = filesystems.first(where: { $0.id == snapshot.filesystemID }),
                    let frozen = try snapshotDirectory(filesystem, snapshot.name)
                {
                    try data.remove(frozen)
                }
            } catch {
                return self.error(Code.systemBusy, "cannot delete the snapshot: \(error.message)")
            }
            snapshots.remove(at: index)
            return success([:])
        default:
            return error(Code.invalidParameter, "\(request.method) not supported on \(resource.joined(separator: "/"))")
        }
    }

    private mutating func shareRoute(_ request: SimRequest, _ resource: [String]) -> SimResponse {
        let scope = vstoreScope(request)
        switch (request.method, resource.count) {
        case ("GET", 1):
            return success(page(filter(shares.filter { $0.vstoreID == scope }.map(shareJSON), request), request))
        case ("POST", 1):
            let body = request.jsonObject
            let bodyScope = text(body["vstoreId"]) ?? "0"
            guard let path = body["SHAREPATH"] as? String, let fsID = text(body["FSID"]) else {
                return error(Code.invalidParameter, "SHAREPATH and FSID are required")
            }
            guard let filesystem = filesystems.first(where: { $0.id == fsID && $0.vstoreID == bodyScope }) else {
                return error(Code.objectNotFound, "The file system does not exist in this vStore.")
            }
            guard path == "/\(filesystem.name)/" || path == "/\(filesystem.name)" else {
                return error(Code.invalidParameter, "The share path must be /<file system name>/.")
            }
            guard !shares.contains(where: { $0.path == path && $0.vstoreID == bodyScope }) else {
                return error(Code.nameExists, "The share path already exists.")
            }
            let share = Share(id: newID(), path: path, filesystemID: fsID, vstoreID: bodyScope)
            shares.append(share)
            return success(shareJSON(share))
        case ("DELETE", 2):
            guard let index = shares.firstIndex(where: { $0.id == resource[1] && $0.vstoreID == scope }) else {
                return error(Code.objectNotFound, "The NFS share does not exist.")
            }
            clients.removeAll { $0.shareID == shares[index].id }
            shares.remove(at: index)
            return success([:])
        default:
            return error(Code.invalidParameter, "\(request.method) not supported on \(resource.joined(separator: "/"))")
        }
    }

    private mutating func clientRoute(_ request: SimRequest, _ resource: [String]) -> SimResponse {
        let scope = vstoreScope(request)
        switch (request.method, resource.count) {
        case ("GET", 1):
            return success(page(filter(clients.filter { $0.vstoreID == scope }.map(clientJSON), request), request))
        case ("POST", 1):
            let body = request.jsonObject
            let bodyScope = text(body["vstoreId"]) ?? "0"
            guard let name = body["NAME"] as? String, !name.isEmpty, let shareID = text(body["PARENTID"]) else {
                return error(Code.invalidParameter, "NAME and PARENTID are required")
            }
            guard shares.contains(where: { $0.id == shareID && $0.vstoreID == bodyScope }) else {
                return error(Code.objectNotFound, "The NFS share does not exist in this vStore.")
            }
            var fields: [String: String] = [:]
            for key in ["ACCESSVAL", "SYNC", "ALLSQUASH", "ROOTSQUASH"] { fields[key] = text(body[key]) ?? "" }
            let client = Client(id: newID(), name: name, shareID: shareID, vstoreID: bodyScope, fields: fields)
            clients.append(client)
            return success(clientJSON(client))
        case ("DELETE", 2):
            guard let index = clients.firstIndex(where: { $0.id == resource[1] && $0.vstoreID == scope }) else {
                return error(Code.objectNotFound, "The client does not exist.")
            }
            clients.remove(at: index)
            return success([:])
        default:
            return error(Code.invalidParameter, "\(request.method) not supported on \(resource.joined(separator: "/"))")
        }
    }

    // MARK: Records

    private func filesystemJSON(_ filesystem: Filesystem) -> [String: Any] {
        var record: [String: Any] = [
            "ID": filesystem.id, "NAME": filesystem.name, "vstoreId": filesystem.vstoreID,
            "ISCLONEFS": filesystem.isClone ? "true" : "false", "CAPACITY": String(filesystem.capacity),
            "TYPE": "40", "HEALTHSTATUS": "1", "RUNNINGSTATUS": "27",
        ]
        if filesystem.isClone, let parentID = filesystem.parentFilesystemID {
            let parent = filesystems.first { $0.id == parentID }
            let snapshot = snapshots.first { $0.id == filesystem.parentSnapshotID }
            record["PARENTFILESYSTEMID"] = parentID
            record["PARENTFILESYSTEMNAME"] = parent?.name ?? ""
            record["PARENTSNAPSHOTID"] = filesystem.parentSnapshotID ?? ""
            record["PARENTSNAPSHOTNAME"] = snapshot?.name ?? ""
        }
        return record
    }

    /// `utcTimeStamp` alternates between a string and a number, as releases differ.
    private func snapshotJSON(_ snapshot: Snapshot) -> [String: Any] {
        let seconds = Int64(snapshot.creation.timeIntervalSince1970.rounded(.down))
        let numeric = (Int(snapshot.id) ?? 0) % 2 == 0
        return [
            "ID": snapshot.id, "NAME": snapshot.name, "PARENTID": snapshot.filesystemID, "PARENTTYPE": "40",
            "TYPE": "48", "vstoreId": snapshot.vstoreID,
            "utcTimeStamp": numeric ? seconds as Any : String(seconds) as Any,
        ]
    }

    private func shareJSON(_ share: Share) -> [String: Any] {
        [
            "ID": share.id, "SHAREPATH": share.path, "FSID": share.filesystemID, "vstoreId": share.vstoreID,
            "TYPE": "16401",
        ]
    }

    private func clientJSON(_ client: Client) -> [String: Any] {
        var record: [String: Any] = [
            "ID": client.id, "NAME": client.name, "PARENTID": client.shareID, "vstoreId": client.vstoreID,
            "TYPE": "16409",
        ]
        for (key, value) in client.fields { record[key] = value }
        return record
    }

    // MARK: Helpers

    /// The vStore a query addresses: `vstoreId` (this casing only), else the system vStore.
    private func vstoreScope(_ request: SimRequest) -> String { request.queryValue("vstoreId") ?? "0" }

    /// `filter=FIELD::value` keeps exact matches, `filter=FIELD:value` case-insensitive substring matches (with
    /// ``SimulatorOptions/doradoFuzzyExactFilter`` `::` behaves like `:`, as an array that ignores it might).
    private func filter(_ records: [[String: Any]], _ request: SimRequest) -> [[String: Any]] {
        guard let expression = request.queryValue("filter"), let colon = expression.firstIndex(of: ":") else {
            return records
        }
        let field = String(expression[..<colon])
        let rest = expression[expression.index(after: colon)...]
        let exact = rest.hasPrefix(":") && !options.doradoFuzzyExactFilter
        let value = rest.hasPrefix(":") ? String(rest.dropFirst()) : String(rest)
        return records.filter { record in
            guard let actual = text(record[field]) else { return false }
            return exact ? actual == value : value.isEmpty || actual.lowercased().contains(value.lowercased())
        }
    }

    /// `range=[start-end]`, `end` exclusive; without it at most 100 records (the array's default page, unverified).
    private func page(_ records: [[String: Any]], _ request: SimRequest) -> [[String: Any]] {
        var start = 0
        var end = min(records.count, 100)
        if let range = request.queryValue("range") {
            let numbers = range.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: "-")
                .compactMap { Int($0) }
            if numbers.count == 2 {
                start = numbers[0]
                end = numbers[1]
            }
        }
        guard start < records.count, end > start else { return [] }
        return Array(records[start..<min(records.count, end)])
    }

    private func nameProblem(_ name: String, limit: Int) -> SimResponse? {
        guard !name.isEmpty, name.count <= limit else {
            return error(Code.nameLength, "The name must contain 1 to \(limit) characters.")
        }
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "._-:".unicodeScalars.contains($0)
        }
        return allowed ? nil : error(Code.nameCharacters, "The name contains invalid characters.")
    }

    private func text(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    private func success(_ data: Any) -> SimResponse {
        .json(200, ["data": data, "error": ["code": 0, "description": "0"]])
    }

    /// A scripted failure: HTTP 200 with `code` (default: system busy) when `status` is 200, else that HTTP
    /// status with a plain-text body (a proxy or web server in front of the API).
    func fault(status: Int, code: String?, message: String) -> SimResponse {
        guard status == 200 else {
            return SimResponse(status: status, headers: ["Content-Type": "text/plain"], body: Array(message.utf8))
        }
        return error(code.flatMap { Int($0) } ?? Code.systemBusy, message)
    }

    /// `error.code` of an answer, for the request log.
    static func errorCode(of response: SimResponse) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return (error["code"] as? NSNumber)?.intValue
    }

    /// The array's error answer: HTTP 200 with `error.code`.
    func error(_ code: Int, _ description: String) -> SimResponse {
        .json(200, ["data": [:] as [String: Any], "error": ["code": code, "description": description]])
    }
}
