import Foundation

/// Which appliance API a simulator instance speaks.
public enum SimulatedVendor: String, Sendable, Codable, CaseIterable {
    case zfssa
    case ontap
    /// Huawei OceanStor Dorado (DeviceManager REST).
    case dorado
    /// SoftNAS (Buurst): `login.php` / `snserver/snserv.php` / `logout.php` with a session cookie.
    case softnas
}

/// A request as the simulator sees it.
public struct SimRequest: Sendable {
    public var method: String
    /// Path without query, percent-encoded as received.
    public var path: String
    /// Raw query string (without `?`), may be empty.
    public var query: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, b in b })
        self.body = body
    }

    /// Decoded path components.
    var components: [String] {
        path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Decoded query parameters (the last value wins).
    var queryItems: [(String, String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    func queryValue(_ name: String) -> String? { queryItems.last { $0.0 == name }?.1 }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var target: String { query.isEmpty ? path : "\(path)?\(query)" }

    /// The body as a JSON object (empty when absent or not an object).
    var jsonObject: [String: Any] {
        guard !body.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        else { return [:] }
        return object
    }
}

/// A response from the simulator.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// JSON response; `object` must be JSONSerialization-compatible.
    static func json(
        _ status: Int, _ object: Any, headers: [String: String] = [:], contentType: String = "application/json"
    )
        -> SimResponse
    {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var all = headers
        all["Content-Type"] = contentType
        return SimResponse(status: status, headers: all, body: Array(data))
    }
}

/// A scripted misbehaviour, matched against incoming requests in order.
public struct FaultRule: Sendable, Codable, Hashable {
    public enum Action: String, Sendable, Codable, Hashable {
        /// Answer `status` with the vendor's error body (`message` as its text) instead of handling the request.
        case status
        /// Wait `seconds`, then handle the request normally.
        case delay
        /// ZFSSA, SoftNAS: expire every session first, so a session-authenticated request gets 401 (ZFSSA) or
        /// `success: false` (SoftNAS).
        case expireSession
        /// ONTAP: the job this request starts fails with `message` (and `code`).
        case failJob
        /// ONTAP: the job this request starts finishes only after `seconds`.
        case slowJob
        /// Handle the request normally (the change happens), then answer `status` instead (a lost reply).
        case lostReply
        /// Handle the request normally, then answer with a malformed body: the first half of the JSON followed by
        /// an HTML fragment, as a proxy in between or a broken appliance might send (same status).
        case malformedBody
    }

    public var action: Action
    /// Only requests with this method (any when `nil`).
    public var method: String?
    /// Only requests whose path and query contain this text (any when `nil`).
    public var pathContains: String?
    /// Let this many matching requests through before the rule applies.
    public var skip: Int
    /// How many times the rule applies (`nil`: every time).
    public var times: Int?
    public var status: Int?
    public var seconds: Double?
    public var message: String?
    public var code: String?
    /// With `status`: the error text also echoes the request (method, target, every header with its value, body),
    /// as careless appliances and proxies do; for tests that secrets never reach messages.
    public var echoRequest: Bool

    public init(
        _ action: Action, method: String? = nil, pathContains: String? = nil, skip: Int = 0, times: Int? = 1,
        status: Int? = nil, seconds: Double? = nil, message: String? = nil, code: String? = nil,
        echoRequest: Bool = false
    ) {
        self.action = action
        self.method = method?.uppercased()
        self.pathContains = pathContains
        self.skip = skip
        self.times = times
        self.status = status
        self.seconds = seconds
        self.message = message
        self.code = code
        self.echoRequest = echoRequest
    }

    enum CodingKeys: String, CodingKey {
        case action, method, pathContains, skip, times, status, seconds, message, code, echoRequest
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        action = try container.decode(Action.self, forKey: .action)
        method = try container.decodeIfPresent(String.self, forKey: .method)?.uppercased()
        pathContains = try container.decodeIfPresent(String.self, forKey: .pathContains)
        skip = try container.decodeIfPresent(Int.self, forKey: .skip) ?? 0
        times = container.contains(.times) ? try container.decodeIfPresent(Int.self, forKey: .times) : 1
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        echoRequest = try container.decodeIfPresent(Bool.self, forKey: .echoRequest) ?? false
    }

    func matches(_ request: SimRequest) -> Bool {
        if let method, method != request.method { return false }
        if let pathContains, !request.target.contains(pathContains),
            !(request.target.removingPercentEncoding ?? "").contains(pathContains)
        {
            return false
        }
        return true
    }
}

/// One handled request, for tests and `GET /_sim/log`.
public struct SimLogEntry: Sendable, Codable, Hashable, CustomStringConvertible {
    public var method: String
    /// Path and query as received.
    public var target: String
    public var status: Int
    /// Whether credentials of any kind were presented (their values are never recorded).
    public var authenticated: Bool
    /// Dorado: the answer's `error.code` (its HTTP status is 200 whatever the outcome).
    public var errorCode: Int? = nil

    public var description: String { "\(method) \(target) -> \(status)" }
}

/// Initial content: shares (ZFSSA) and volumes (ONTAP) with snapshot histories and clones.
public struct SimulatorSeed: Sendable, Codable, Hashable {
    public struct SnapshotSeed: Sendable, Codable, Hashable {
        public var name: String
        /// ISO-8601 instant, e.g. `2016-11-08T20:53:36Z`.
        public var creation: Date
        public var spaceTotal: Int64?
        public var spaceUnique: Int64?
        /// ZFSSA `retentionpolicy` (e.g. `locked`); the snapshot then refuses deletion.
        public var retention: String?
        /// ZFSSA: `true` leaves `numclones` out of the snapshot's record, as some appliance releases do.
        public var omitsNumclones: Bool?
        /// A lock's expiry (may be in the past): ZFSSA records it in the snapshot's `custom:oiblockeduntil`
        /// (pair it with `retention`); ONTAP sets the snapshot's `snaplock.expiry_time`, refusing its deletion
        /// until the simulator's clock passes it.
        public var lockExpiry: Date?

        public init(
            name: String, creation: Date, spaceTotal: Int64? = nil, spaceUnique: Int64? = nil, retention: String? = nil,
            omitsNumclones: Bool? = nil, lockExpiry: Date? = nil
        ) {
            self.name = name
            self.creation = creation
            self.spaceTotal = spaceTotal
            self.spaceUnique = spaceUnique
            self.retention = retention
            self.omitsNumclones = omitsNumclones
            self.lockExpiry = lockExpiry
        }
    }

    /// A ZFSSA share or an ONTAP volume; a clone when `originShare`/`originSnapshot` are set.
    public struct ShareSeed: Sendable, Codable, Hashable {
        public var name: String
        /// ZFSSA pool and project (defaults: the simulator's first project). Ignored for ONTAP.
        public var pool: String?
        public var project: String?
        public var snapshots: [SnapshotSeed]
        public var originShare: String?
        public var originSnapshot: String?
        /// ONTAP junction path (default `/<name>`).
        public var junctionPath: String?
        public var spaceUsed: Int64?
        /// ONTAP: the volume's `snapshot_locking_enabled` (tamperproof snapshots, storage-apis §3.5). `nil` (the
        /// default) enables it, as on a cluster prepared for `snaplockdays`; `false` makes the cluster refuse
        /// snapshots with a SnapLock expiry on this volume.
        public var snapshotLocking: Bool?
        /// ONTAP: the SVM holding the volume (default: the simulator's `svm`); another name adds that SVM.
        public var svm: String?
        /// ONTAP: this volume is the destination (type DP) of a SnapMirror relationship from another volume.
        public var snapMirror: SnapMirrorSeed?

        public init(
            name: String, pool: String? = nil, project: String? = nil, snapshots: [SnapshotSeed] = [],
            originShare: String? = nil, originSnapshot: String? = nil, junctionPath: String? = nil,
            spaceUsed: Int64? = nil, snapshotLocking: Bool? = nil, svm: String? = nil,
            snapMirror: SnapMirrorSeed? = nil
        ) {
            self.name = name
            self.pool = pool
            self.project = project
            self.snapshots = snapshots
            self.originShare = originShare
            self.originSnapshot = originSnapshot
            self.junctionPath = junctionPath
            self.spaceUsed = spaceUsed
            self.snapshotLocking = snapshotLocking
            self.svm = svm
            self.snapMirror = snapMirror
        }

        enum CodingKeys: String, CodingKey {
            case name, pool, project, snapshots, originShare, originSnapshot, junctionPath, spaceUsed
            case snapshotLocking
            case svm, snapMirror
        }

        /// Only `name` is required in seed files.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            pool = try container.decodeIfPresent(String.self, forKey: .pool)
            project = try container.decodeIfPresent(String.self, forKey: .project)
            snapshots = try container.decodeIfPresent([SnapshotSeed].self, forKey: .snapshots) ?? []
            originShare = try container.decodeIfPresent(String.self, forKey: .originShare)
            originSnapshot = try container.decodeIfPresent(String.self, forKey: .originSnapshot)
            junctionPath = try container.decodeIfPresent(String.self, forKey: .junctionPath)
            spaceUsed = try container.decodeIfPresent(Int64.self, forKey: .spaceUsed)
            snapshotLocking = try container.decodeIfPresent(Bool.self, forKey: .snapshotLocking)
            svm = try container.decodeIfPresent(String.self, forKey: .svm)
            snapMirror = try container.decodeIfPresent(SnapMirrorSeed.self, forKey: .snapMirror)
        }
    }

    public var shares: [ShareSeed]

    public init(shares: [ShareSeed] = []) { self.shares = shares }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        shares = try container.decodeIfPresent([ShareSeed].self, forKey: .shares) ?? []
    }

    enum CodingKeys: String, CodingKey { case shares }

    /// A decoder for seed files: dates as ISO-8601.
    public static func decode(_ data: Data) throws -> SimulatorSeed {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(SimulatorSeed.self, from: data)
    }
}

/// Simulator settings.
public struct SimulatorOptions: Sendable {
    public var vendor: SimulatedVendor
    /// The account the simulator accepts.
    public var user: String
    public var password: String
    /// ZFSSA: `pool/project` pairs that exist.
    public var projects: [(pool: String, project: String)]
    /// ZFSSA: session lifetime.
    public var sessionTimeout: TimeInterval
    /// ONTAP: SVM and aggregate names.
    public var svm: String
    public var aggregate: String
    /// ONTAP: records per page when the client does not ask for fewer (`nil`: everything at once).
    public var pageSize: Int?
    /// ONTAP: time zone of `create_time` values (ONTAP prints the cluster's offset).
    public var timeZone: TimeZone
    /// ONTAP: volume deletion also requires the volume to be offline.
    public var requireOfflineForDelete: Bool
    /// File-backed mode: every share/volume is a directory under this root named after its export path, and
    /// snapshots and clones copy its files (see ``SimulatorDataStore``). `nil` (the default): metadata only.
    public var dataRoot: String?
    /// Dorado: the vStores that exist besides the system vStore (seeds without `project` go to the first).
    public var vstores: [String] = ["vstore1"]
    /// Dorado: `filter=NAME::x` matches like the fuzzy `NAME:x` (an array that ignores the exact filter), so that
    /// tests prove the client re-checks names.
    public var doradoFuzzyExactFilter = false
    /// ZFSSA: the appliance's schema lacks the tool's custom snapshot property (`custom:oiblockeduntil`): a create
    /// or modify accepts `custom:` properties and silently drops them, while `retentionpolicy` still takes effect
    /// (what a missing schema property could do; tests that a lock without its recorded expiry is caught).
    public var zfssaDropsCustomProperties = false
    /// ZFSSA: the replication package listing names no projects (as a release may answer), so a client reads
    /// `/replication/packages/<id>/projects` for each package.
    public var zfssaPackagesOmitProjects = false
    /// ZFSSA: whether the account holds the authorization `releaseSnapRetention`. `false`: setting a retained
    /// snapshot's `retentionpolicy` off is refused with 403 (the recommended set-up for `snaplockdays`).
    public var zfssaMayReleaseRetention = true
    /// ONTAP: snapshot creation accepts `snaplock.expiry_time` but sets no expiry (a cluster that ignores the
    /// field; tests that a missing expiry is caught).
    public var ontapIgnoresSnapLockExpiry = false
    /// ONTAP: the cluster has no REST API (`/api/...` answers 404, as before ONTAP 9.6), so clients must speak ZAPI;
    /// the ZAPI servlet always answers, with the same volumes, snapshots and clones as REST.
    public var ontapRESTUnavailable = false
    /// ONTAP ZAPI: report `total`/`cumulative-total` as 32-bit counters that wrap past 2^31 blocks, as older
    /// releases did (default: 64-bit figures).
    public var ontapZAPI32BitCounters = false

    public init(
        vendor: SimulatedVendor, user: String = "admin", password: String = "secret",
        projects: [(pool: String, project: String)] = [("pool1", "demo-backup")], sessionTimeout: TimeInterval = 900,
        svm: String = "svm1", aggregate: String = "aggr1", pageSize: Int? = nil,
        timeZone: TimeZone = TimeZone(secondsFromGMT: 3600)!, requireOfflineForDelete: Bool = false,
        dataRoot: String? = nil
    ) {
        self.vendor = vendor
        self.user = user
        self.password = password
        self.projects = projects
        self.sessionTimeout = sessionTimeout
        self.svm = svm
        self.aggregate = aggregate
        self.pageSize = pageSize
        self.timeZone = timeZone
        self.requireOfflineForDelete = requireOfflineForDelete
        self.dataRoot = dataRoot
    }
}
