import Foundation

/// The simulated appliance: its state, the scripted faults and the request log. Tests talk to it directly;
/// the server exposes the same controls under `/_sim/` (see ``SimulatorEngine/control(_:)``).
public actor SimulatorEngine {
    public let options: SimulatorOptions
    var zfssa: ZFSSASimulation
    var ontap: ONTAPSimulation
    var dorado: DoradoSimulation
    var softnas: SoftNASSimulation
    private var faults: [(rule: FaultRule, seen: Int, applied: Int)] = []
    private var log: [SimLogEntry] = []
    /// When the last request (of any kind) arrived; drives the idle timeout.
    public private(set) var lastActivity = Date()
    /// How far the appliance's clock is ahead of this host's (``advanceClock(by:)``): lock expiries, creation times
    /// and sessions are judged by it.
    public private(set) var clockOffset: TimeInterval = 0

    public init(options: SimulatorOptions) {
        self.options = options
        self.zfssa = ZFSSASimulation(options: options)
        self.ontap = ONTAPSimulation(options: options)
        self.dorado = DoradoSimulation(options: options)
        self.softnas = SoftNASSimulation(options: options)
    }

    // MARK: Controls

    /// Adds shares/volumes with their snapshot histories and clones. In file-backed mode every share/volume gets
    /// its directory (an existing one is kept with its contents); seeded snapshots have no data.
    /// - Throws: ``SimulatorDataError`` when a directory cannot be created (the metadata is seeded anyway).
    public func seed(_ seed: SimulatorSeed) throws(SimulatorDataError) {
        switch options.vendor {
        case .zfssa: try zfssa.seed(seed)
        case .ontap: try ontap.seed(seed)
        case .dorado: try dorado.seed(seed)
        case .softnas: try softnas.seed(seed)
        }
    }

    /// The backing directories in file-backed mode (``SimulatorOptions/dataRoot``), `nil` otherwise.
    public var dataStore: SimulatorDataStore? { options.dataRoot.map { SimulatorDataStore(root: $0) } }

    /// File-backed mode: the live directory of a share (ZFSSA, first project unless given) or volume (ONTAP).
    public func backingDirectory(ofShare name: String, pool: String? = nil, project: String? = nil) -> String? {
        switch options.vendor {
        case .zfssa:
            guard let filesystem = zfssa.filesystems[zfssaKey(name, pool: pool, project: project)] else { return nil }
            return try? zfssa.liveDirectory(filesystem)
        case .ontap:
            return ontap.volume(named: name).flatMap { try? ontap.volumeDirectory($0) }
        case .dorado:
            return dorado.filesystem(named: name, vstore: project).flatMap { try? dorado.liveDirectory($0) }
        case .softnas:
            return softnas.volume(named: name, pool: pool).flatMap { try? softnas.liveDirectory($0) }
        }
    }

    /// File-backed mode: where the frozen tree of a snapshot of a share/volume lives (whether or not it exists).
    public func snapshotDirectory(ofShare name: String, snapshot: String, pool: String? = nil, project: String? = nil)
        -> String?
    {
        switch options.vendor {
        case .zfssa:
            guard let filesystem = zfssa.filesystems[zfssaKey(name, pool: pool, project: project)] else { return nil }
            return try? zfssa.snapshotDirectory(filesystem, snapshot)
        case .ontap:
            return try? ontap.snapshotDirectory(volume: name, snapshot: snapshot)
        case .dorado:
            return dorado.filesystem(named: name, vstore: project).flatMap {
                try? dorado.snapshotDirectory($0, snapshot)
            }
        case .softnas:
            return softnas.volume(named: name, pool: pool).flatMap { try? softnas.snapshotDirectory($0, snapshot) }
        }
    }

    private func zfssaKey(_ name: String, pool: String?, project: String?) -> ZFSSASimulation.Key {
        let first = options.projects.first
        return ZFSSASimulation.Key(
            pool: pool ?? first?.pool ?? "pool1", project: project ?? first?.project ?? "demo-backup", name: name)
    }

    /// Appends a fault rule; rules are tried in order, the first match wins.
    public func addFault(_ rule: FaultRule) { faults.append((rule, 0, 0)) }

    public func clearFaults() { faults.removeAll() }

    /// Every request handled so far (controls excluded).
    public func requestLog() -> [SimLogEntry] { log }

    public func clearLog() { log.removeAll() }

    /// Moves the appliance's clock `seconds` ahead (tests of lock expiries: an ONTAP snapshot locked until a time
    /// before the new clock can be deleted).
    public func advanceClock(by seconds: TimeInterval) { clockOffset += seconds }

    /// The appliance's current time: this host's clock plus ``clockOffset``.
    public var applianceNow: Date { Date().addingTimeInterval(clockOffset) }

    /// Expires every ZFSSA and SoftNAS session now (the next session request gets 401, or `success: false`).
    public func expireSessions() {
        zfssa.expireSessions()
        dorado.expireSessions()
        softnas.expireSessions()
    }

    /// Creates a share/volume that is not a clone (a look-alike for ownership checks); in file-backed mode a
    /// directory that cannot be created is ignored.
    public func addPlainShare(named name: String, project: String? = nil) {
        try? seed(SimulatorSeed(shares: [.init(name: name, project: project)]))
    }

    /// Whether a share (ZFSSA, in the first project unless given) or volume (ONTAP) exists.
    public func shareExists(named name: String, pool: String? = nil, project: String? = nil) -> Bool {
        switch options.vendor {
        case .zfssa:
            let first = options.projects.first
            return zfssa.filesystemExists(
                pool: pool ?? first?.pool ?? "pool1", project: project ?? first?.project ?? "demo-backup", name: name)
        case .ontap:
            return ontap.volume(named: name) != nil
        case .dorado:
            return dorado.filesystem(named: name, vstore: project) != nil
        case .softnas:
            return softnas.volume(named: name, pool: pool) != nil
        }
    }

    /// Snapshot names of a share/volume, in creation order (empty when it does not exist).
    public func snapshotNames(of share: String) -> [String] {
        switch options.vendor {
        case .zfssa:
            let first = options.projects.first
            let key = ZFSSASimulation.Key(
                pool: first?.pool ?? "pool1", project: first?.project ?? "demo-backup", name: share)
            return zfssa.filesystems[key]?.snapshots.map(\.name) ?? []
        case .ontap:
            return ontap.volume(named: share)?.snapshots.map(\.name) ?? []
        case .dorado:
            return dorado.snapshotNames(of: share)
        case .softnas:
            return softnas.volume(named: share)?.snapshots.map(\.name) ?? []
        }
    }

    /// Dorado: requests that carried a token this array never issued (another array's, or a made-up one).
    public func doradoForeignTokenCount() -> Int { dorado.foreignTokenCount }

    /// Dorado: successful log-ins so far.
    public func doradoLoginCount() -> Int { dorado.loginCount }

    /// Dorado: a plain (non-clone) file system without a share, in the first vStore unless `vstore` is given.
    public func addDoradoPlainFilesystem(named name: String, vstore: String? = nil) {
        dorado.addPlainFilesystem(named: name, vstore: vstore)
    }

    /// Dorado: the NFS clients granted access to the share of file system `name` (first vStore), with their
    /// `ACCESSVAL`, `SYNC`, `ALLSQUASH` and `ROOTSQUASH` values.
    public func doradoClients(ofFilesystem name: String) -> [(name: String, fields: [String: String])] {
        guard let filesystem = dorado.filesystem(named: name) else { return [] }
        let shareIDs = Set(dorado.shares.filter { $0.filesystemID == filesystem.id }.map(\.id))
        return dorado.clients.filter { shareIDs.contains($0.shareID) }.map { ($0.name, $0.fields) }
    }

    /// Dorado: the share paths of file system `name` (first vStore).
    public func doradoSharePaths(ofFilesystem name: String) -> [String] {
        guard let filesystem = dorado.filesystem(named: name) else { return [] }
        return dorado.shares.filter { $0.filesystemID == filesystem.id }.map(\.path)
    }

    /// Number of ONTAP jobs not finished yet.
    public func unfinishedJobCount() -> Int {
        ontap.advanceJobs(now: applianceNow)
        return ontap.jobs.values.filter { $0.state == "running" || $0.state == "queued" }.count
    }

    // MARK: Request handling

    /// The first fault rule matching `request`, consumed; `nil` when none applies.
    func takeFault(for request: SimRequest) -> FaultRule? {
        lastActivity = Date()
        for index in faults.indices where faults[index].rule.matches(request) {
            faults[index].seen += 1
            let rule = faults[index].rule
            if faults[index].seen <= rule.skip { continue }
            if let times = rule.times, faults[index].applied >= times { continue }
            faults[index].applied += 1
            return rule
        }
        return nil
    }

    /// Handles an appliance request (after any delay), logging it.
    func handle(_ request: SimRequest, fault: FaultRule?) -> SimResponse {
        lastActivity = Date()
        let now = applianceNow
        var response: SimResponse
        if let fault, fault.action == .status {
            let status = fault.status ?? 503
            var message = fault.message ?? "simulated failure"
            if fault.echoRequest {
                let headers = request.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                message +=
                    "; request: \(request.method) \(request.target); headers: \(headers.joined(separator: ", "))"
                    + "; body: \(String(decoding: request.body, as: UTF8.self))"
            }
            switch options.vendor {
            case .zfssa:
                response = zfssa.fault(status, status == 503 ? "ERR_BUSY" : "ERR_INTERNAL", message)
            case .ontap:
                response = ontap.error(status, message, fault.code ?? "1")
            case .dorado:
                response = dorado.fault(status: status, code: fault.code, message: message)
            case .softnas:
                response = softnas.failure(status, message)
            }
        } else {
            switch options.vendor {
            case .zfssa:
                if fault?.action == .expireSession { zfssa.expireSessions() }
                response = zfssa.handle(request, fault: fault, now: now)
            case .ontap:
                response = ontap.handle(request, fault: fault, now: now)
            case .dorado:
                if fault?.action == .expireSession { dorado.expireSessions() }
                response = dorado.handle(request, now: now)
            case .softnas:
                if fault?.action == .expireSession { softnas.expireSessions() }
                response = softnas.handle(request, now: now)
            }
        }
        if let fault, fault.action == .lostReply {
            let status = fault.status ?? 502
            switch options.vendor {
            case .zfssa: response = zfssa.fault(status, "ERR_BUSY", fault.message ?? "reply lost (simulated)")
            case .ontap: response = ontap.error(status, fault.message ?? "reply lost (simulated)", fault.code ?? "1")
            case .dorado:
                response = dorado.fault(
                    status: status, code: fault.code, message: fault.message ?? "reply lost (simulated)")
            case .softnas: response = softnas.failure(status, fault.message ?? "reply lost (simulated)")
            }
        }
        if let fault, fault.action == .malformedBody {
            response.body = Array(response.body.prefix(response.body.count / 2)) + Array("<html><body>".utf8)
        }
        let authenticated =
            request.header("Authorization") != nil || request.header("X-Auth-Session") != nil
            || request.header("X-Auth-User") != nil || request.header("Cookie") != nil
            || request.header("iBaseToken") != nil
        log.append(
            SimLogEntry(
                method: request.method, target: request.target, status: response.status, authenticated: authenticated,
                errorCode: options.vendor == .dorado ? DoradoSimulation.errorCode(of: response) : nil))
        return response
    }

    /// `/_sim/` controls for a simulator in another process:
    /// - `POST /_sim/seed` with a ``SimulatorSeed`` (dates ISO-8601);
    /// - `POST /_sim/faults` with a ``FaultRule`` (or a list), `DELETE /_sim/faults`;
    /// - `GET /_sim/log` (JSON list of ``SimLogEntry``), `DELETE /_sim/log`;
    /// - `POST /_sim/expire-sessions`;
    /// - `POST /_sim/clock` with `{"advanceSeconds": N}` (``advanceClock(by:)``), `GET /_sim/clock`;
    /// - `GET /_sim/health`.
    func control(_ request: SimRequest) -> SimResponse {
        lastActivity = Date()
        let route = request.components.dropFirst().joined(separator: "/")
        switch (request.method, route) {
        case ("GET", "health"):
            return .json(200, ["vendor": options.vendor.rawValue, "status": "ok"])
        case ("POST", "seed"):
            do {
                try seed(try SimulatorSeed.decode(Data(request.body)))
                return .json(200, ["status": "seeded"])
            } catch let error as SimulatorDataError {
                return .json(500, ["error": "seeded, but a backing directory failed: \(error)"])
            } catch {
                return .json(400, ["error": "bad seed: \(error)"])
            }
        case ("POST", "faults"):
            let decoder = JSONDecoder()
            if let rules = try? decoder.decode([FaultRule].self, from: Data(request.body)) {
                rules.forEach { addFault($0) }
            } else {
                do {
                    addFault(try decoder.decode(FaultRule.self, from: Data(request.body)))
                } catch {
                    return .json(400, ["error": "bad fault rule: \(error)"])
                }
            }
            return .json(200, ["faults": faults.count])
        case ("DELETE", "faults"):
            clearFaults()
            return SimResponse(status: 204)
        case ("GET", "log"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return SimResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Array((try? encoder.encode(log)) ?? Data("[]".utf8)))
        case ("DELETE", "log"):
            clearLog()
            return SimResponse(status: 204)
        case ("POST", "clock"):
            guard let seconds = (request.jsonObject["advanceSeconds"] as? NSNumber)?.doubleValue else {
                return .json(400, ["error": "expected {\"advanceSeconds\": <number>}"])
            }
            advanceClock(by: seconds)
            return .json(200, ["offsetSeconds": clockOffset])
        case ("GET", "clock"):
            return .json(200, ["offsetSeconds": clockOffset])
        case ("POST", "expire-sessions"):
            expireSessions()
            return SimResponse(status: 204)
        default:
            return .json(404, ["error": "unknown control \(request.method) /_sim/\(route)"])
        }
    }
}
