import ConfigModel
import Foundation
import Logging
import StorageKit
import Synchronization

/// Storage driver for NetApp ONTAP over the REST API (ONTAP 9.6+; storage-apis §3, reference §4.5, R-10), or over
/// ZAPI (ONTAPI 1.1 XML, storage-apis §3.7) for clusters without REST, as `ontapapi` chooses (``API``).
///
/// The database's backup area is the volume `<volumeprefix><db>`, plus `<volumeprefix><db><suffix>` for each of
/// `additionalvolumesuffixes` (multi-volume databases, past the 100 TB volume limit). Snapshots are named
/// `<db>_<local YYYYmmddTHHMMSS>` and taken on every volume (not atomically across volumes). A single-volume clone is
/// a FlexClone `<clone>` at junction `/<clone>`; a multi-volume clone is a 1 GB namespace root `<clone>` at
/// `/<clone>` with FlexClones `<clone><i>` at `/<clone>/<clone><i>`. Clone relations come from the volumes'
/// `clone.parent_volume`/`clone.parent_snapshot` fields, never from a 'busy' flag; every listing is paged to the end.
///
/// Settings: ``ONTAPConfiguration``, read from `[netapp]` (and the `[netapp]` section of the credentials file).
/// Credentials: `netappcredentials.cfg`.
public struct ONTAPDriver: StorageDriver {
    /// The driver's name in errors and logs: `ontap` (configured as `netapp` or `ontap`).
    public static let vendorName = "ontap"

    /// The database (configuration section) this instance serves; its main volume is `<volumeprefix><db>`.
    public let volumeName: String
    /// `volumeprefix`: prepended to the database name to form its volume names; may be empty.
    public let volumePrefix: String
    /// Extra volume suffixes (multi-volume mode when not empty).
    public let additionalSuffixes: [String]
    /// `svm`: the storage VM holding the volumes; `nil` looks in every SVM (a name found in several is refused)
    /// and makes ``createVolume()`` refuse.
    public let svm: String?
    /// Host part of mount strings: `mounthost`, else the filer's host.
    public let mountHost: String
    /// `jobtimeout`: how long to wait for an asynchronous ONTAP job to finish (default 300 s).
    public let jobTimeout: Duration
    /// Settings for `createVolume`.
    public let volumeCreation: VolumeCreation
    /// Receives the driver's messages and the HTTP requests (credentials redacted).
    public let logger: Logger
    /// `ontapapi`: which API the driver speaks.
    public let api: API
    /// The `snapmirror_label` every new snapshot gets (`[replication]` `snapmirrorlabel` when the database
    /// replicates through SnapMirror); `nil`: none.
    public let snapMirrorLabel: String?
    let http: ApplianceHTTPClient
    let credential: StorageCredential
    /// The transport, kept for the driver of the replica's cluster when no ``replicaTransport`` is set.
    let transport: any HTTPTransport
    /// Builds the destination cluster's transport from `[replication]`'s TLS settings
    /// (``replicaDriver(configuration:credential:logger:)``); set when built from a configuration.
    var replicaTransport: HTTPTransportFactory?
    let zapi: ONTAPZAPI
    /// The API `auto` found (`nil` until the first operation asks).
    let detected: DetectedAPI

    /// `ontapapi`: `rest` (ONTAP 9.6+), `zapi` (ONTAPI 1.1 XML, which NetApp is retiring) or `auto` (the default):
    /// REST when the cluster answers `GET /api/cluster`, else ZAPI, so a configuration of the original keeps working
    /// against a cluster without REST.
    public enum API: String, Sendable, Hashable, CaseIterable {
        /// The REST API only.
        case rest
        /// ZAPI only.
        case zapi
        /// REST when the cluster offers it, else ZAPI; decided at the first operation of each driver instance.
        case auto
    }

    /// The outcome of `auto`'s probe, shared by the copies of one driver.
    final class DetectedAPI: Sendable {
        let value = Mutex<API?>(nil)
    }

    /// What `createVolume` needs (the reference asked for these interactively).
    public struct VolumeCreation: Sendable, Hashable {
        /// `aggregate`: where new volumes are placed; `nil` makes ``ONTAPDriver/createVolume()`` refuse.
        public var aggregate: String?
        /// `volumesize` in bytes (binary units: `500G`, `2T`); `nil` makes ``ONTAPDriver/createVolume()`` refuse.
        public var size: Int64?
        /// Parent junction, e.g. `/backup`; the volume is mounted at `<parent>/<db><suffix>`.
        public var junctionParent: String
        /// `exportpolicy`: the NFS export policy of new volumes (default `default`).
        public var exportPolicy: String

        /// Settings given directly; without `aggregate` and `size`, ``ONTAPDriver/createVolume()`` refuses.
        public init(
            aggregate: String? = nil, size: Int64? = nil, junctionParent: String = "", exportPolicy: String = "default"
        ) {
            self.aggregate = aggregate
            self.size = size
            self.junctionParent = junctionParent
            self.exportPolicy = exportPolicy
        }
    }

    /// `ontap`.
    public var vendor: String { Self.vendorName }
    /// FlexClones, clone listing, space figures, volume creation and locks (tamperproof snapshots with a SnapLock
    /// expiry) over REST; over ZAPI (`ontapapi: zapi`, or `auto` once it found no REST) everything but locks.
    public var capabilities: StorageCapabilities {
        var capabilities = Self.descriptor.capabilities
        if api == .zapi || detected.value.withLock({ $0 }) == .zapi {
            capabilities.remove(.lock)
            capabilities.remove(.replication)
        }
        return capabilities
    }

    /// Names of the database's volumes; the first is the main one.
    public var volumeNames: [String] {
        [volumePrefix + volumeName] + additionalSuffixes.map { volumePrefix + volumeName + $0 }
    }

    var isMultiVolume: Bool { !additionalSuffixes.isEmpty }
    var mainVolumeName: String { volumePrefix + volumeName }

    /// - Parameter filer: `host`, `host:port` or `https://host[:port]`.
    public init(
        volumeName: String, filer: String, volumePrefix: String = "", additionalSuffixes: [String] = [],
        svm: String? = nil, mountHost: String? = nil, credential: StorageCredential, transport: any HTTPTransport,
        timeout: Duration = .seconds(300), jobTimeout: Duration = .seconds(300),
        retryPolicy: HTTPRetryPolicy = HTTPRetryPolicy(), volumeCreation: VolumeCreation = VolumeCreation(),
        api: API = .auto, snapMirrorLabel: String? = nil, logger: Logger
    ) throws(StorageError) {
        if let problem = Self.filerProblem(filer) {
            throw StorageError(.invalidConfiguration, vendor: Self.vendorName, operation: "configure", message: problem)
        }
        let base = filer.contains("://") ? filer : "https://\(filer)"
        let host = URLComponents(string: base)?.host ?? filer
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.volumeName = volumeName
        self.volumePrefix = volumePrefix
        self.additionalSuffixes = additionalSuffixes
        self.svm = svm
        self.mountHost = mountHost ?? host
        self.jobTimeout = jobTimeout
        self.volumeCreation = volumeCreation
        self.logger = logger
        self.credential = credential
        self.transport = transport
        self.http = ApplianceHTTPClient(
            vendor: Self.vendorName, baseURL: "\(root)/api", transport: transport, logger: logger, timeout: timeout,
            retryPolicy: retryPolicy, secrets: [credential.password])
        self.api = api
        self.snapMirrorLabel = snapMirrorLabel
        self.detected = DetectedAPI()
        self.zapi = ONTAPZAPI(
            http: ApplianceHTTPClient(
                vendor: Self.vendorName, baseURL: root, transport: transport, logger: logger, timeout: timeout,
                retryPolicy: retryPolicy, secrets: [credential.password]),
            credential: credential, logger: logger, volumeName: volumeName, volumePrefix: volumePrefix,
            additionalSuffixes: additionalSuffixes, svm: svm, volumeCreation: volumeCreation)
    }

    /// Whether this operation goes over ZAPI: `ontapapi: zapi`, or `auto` when `GET /api/cluster` answers that there
    /// is no such API (404, 405, 501). 200 and 401/403 mean REST (a cluster that refuses the credentials stays on
    /// REST, to say so). Probed once per driver; a transport failure or any other answer (a 5xx of a sick cluster)
    /// is thrown, never taken for "no REST": a failing REST cluster must fail the run, not be talked to over ZAPI.
    func usesZAPI(operation: String) async throws(StorageError) -> Bool {
        switch api {
        case .rest: return false
        case .zapi: return true
        case .auto: break
        }
        if let known = detected.value.withLock({ $0 }) { return known == .zapi }
        let response = try await http.send(
            .get, "cluster?fields=version", headers: authorization, operation: operation, retry: .idempotent)
        let found: API
        switch response.status {
        case 200, 401, 403: found = .rest
        case 404, 405, 501: found = .zapi
        default:
            throw StorageError(
                response.status >= 500 ? .serverError : .unexpectedResponse, vendor: vendor, operation: operation,
                status: response.status,
                message:
                    "ontapapi auto: GET /api/cluster answered \(response.status), so whether the cluster speaks REST is unknown; set ontapapi: rest or zapi in [netapp] to choose"
            )
        }
        logger.debug(
            "ontapapi auto: GET /api/cluster answered \(response.status), speaking \(found == .rest ? "REST" : "ZAPI")")
        detected.value.withLock { $0 = found }
        return found == .zapi
    }

    /// How `ontap` appears in `backup.cfg`: modules `netapp` (the original's) and `ontap`, classes `netapp` and
    /// `ontap`, section `netapp`; its keys; the credentials in `netappcredentials.cfg` (`[netappcredentials]`
    /// `user`, `password`), whose `[netapp]` section may override the settings, as in the original.
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, moduleNames: ["netapp", vendorName], classNames: ["netapp", vendorName],
        sectionName: "netapp", requiredKeys: ["filer", "volumeprefix"],
        optionalKeys: [
            "mounthost", "cacert", "insecure", "timeout", "jobtimeout", "svm", "retries", "retrybackoff", "aggregate",
            "volumesize",
            "junctionparent", "exportpolicy", "allowplainhttp", "ontapapi",
        ],
        endpointKey: "filer",
        credentials: StorageCredentialsLayout(
            file: "netappcredentials.cfg", section: "netappcredentials", settingsSection: "netapp"),
        capabilities: [.clone, .listClones, .spaceUsage, .createVolume, .lock, .replication],
        keyReference: keyReference)

    /// The documentation of the `[netapp]` keys (``descriptor``).
    static let keyReference: [ConfigKeyReference] = {
        func key(_ key: String, _ defaultValue: String? = nil, requiredFor: String? = nil, _ meaning: String)
            -> ConfigKeyReference
        {
            ConfigKeyReference(
                key, section: "netapp", defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: "driver ontap")
        }
        return ApplianceConnectionSettings.keyReference(
            section: "netapp", endpointKey: "filer",
            endpointMeaning: "The cluster: `host`, `host:port` or `https://host[:port]` (a bare host means HTTPS).",
            readBy: "driver ontap")
            + [
                key(
                    "volumeprefix", requiredFor: "snapshots",
                    "The database's volume is `<volumeprefix><db>`; may be empty (but must be set)."),
                key("mounthost", "the filer's host", "The NFS server in mount strings."),
                key("svm", nil, "The storage VM, when the cluster has several."),
                key("jobtimeout", "300", "Seconds to wait for an asynchronous job."),
                key("ontapapi", "auto", "`rest`, `zapi` or `auto` (REST when the cluster answers it, else ZAPI)."),
                key(
                    "aggregate", nil,
                    "Where new volumes are placed (`backup config`); without it volumes are not created."),
                key(
                    "volumesize", nil,
                    "Size of new volumes in binary units (`500G`, `2T`); without it volumes are not created."),
                key(
                    "junctionparent", "empty",
                    "Parent junction of new volumes, e.g. `/backup`: a volume is mounted at `<parent>/<db><suffix>`."),
                key("exportpolicy", "default", "The NFS export policy of new volumes."),
            ]
    }()

    /// Builds the driver of `context.databaseName` from its configuration and credentials; does no I/O.
    public init(
        configuration: ONTAPConfiguration, context: StorageDriverContext,
        transport makeTransport: @escaping HTTPTransportFactory
    ) throws(StorageError) {
        let vendor = Self.vendorName
        let credential = try context.requiredCredentials(
            vendor: vendor, file: Self.descriptor.credentials?.file ?? "netappcredentials.cfg")
        let connection = configuration.connection
        let transport = try makeTransport(connection.transportOptions(vendor: vendor, logger: context.logger))
        try self.init(
            volumeName: context.databaseName, filer: connection.endpoint, volumePrefix: configuration.volumePrefix,
            additionalSuffixes: configuration.additionalSuffixes, svm: configuration.svm,
            mountHost: configuration.mountHost, credential: credential, transport: transport,
            timeout: connection.timeout, jobTimeout: configuration.jobTimeout, retryPolicy: connection.retryPolicy,
            volumeCreation: configuration.volumeCreation, api: configuration.api,
            snapMirrorLabel: configuration.snapMirrorLabel, logger: context.logger)
        self.replicaTransport = makeTransport
    }

    /// Registers `ontap` (modules `netapp` and `ontap`) in `registry`, building transports with `transport`
    /// (e.g. `CurlTransport.factory` from StorageHTTP).
    public static func register(in registry: inout StorageDriverRegistry, transport: @escaping HTTPTransportFactory) {
        registry.register(descriptor, configuration: ONTAPConfiguration.self) {
            configuration, context throws(StorageError) in
            try ONTAPDriver(configuration: configuration, context: context, transport: transport)
        }
    }

    /// Why `filer` cannot be a cluster address, or `nil` when it can (`host`, `host:port`, `https://host[:port]`).
    static func filerProblem(_ filer: String) -> String? {
        let base = filer.contains("://") ? filer : "https://\(filer)"
        guard let components = URLComponents(string: base), let host = components.host, !host.isEmpty,
            ["http", "https"].contains(components.scheme?.lowercased() ?? "")
        else {
            return
                "filer must be a host name or https://host[:port], not '\(SecretRedaction.maskingURLPassword(filer))'"
        }
        return nil
    }

    /// `<db>_<YYYYmmddTHHMMSS>` in `timeZone`: an underscore, as the original named ONTAP snapshots.
    public func snapshotName(for date: Date, timeZone: TimeZone) -> String {
        SnapshotNaming.snapshotName(volume: volumeName, date: date, timeZone: timeZone, separator: "_")
    }

    // MARK: Snapshots

    /// Snapshots of the database's volumes merged by name (creation: the earliest copy), in the main volume's order.
    /// `spaceUnique` is what deleting the snapshot frees (summed over volumes), `spaceTotal` that figure summed over it
    /// and every newer snapshot (the original's cumulative total); the clone count comes from FlexClones of the main
    /// volume. Throws `.notFound` when a volume is missing.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        if try await usesZAPI(operation: operation) { return try await zapi.listSnapshots() }
        let volumes = try await databaseVolumes(operation: operation)
        var merged: [String: (creation: Date, size: Int64?, order: Int, copies: [SnapshotLocation.Copy], lock: Date?)] =
            [:]
        var order = 0
        for volume in volumes {
            // SnapMirror's own snapshots (`snapmirror.*`) belong to ONTAP: never listed, so never deleted.
            for record in try await snapshotRecords(of: volume, operation: operation)
            where !Self.isSnapMirrorSnapshot(record.name) {
                guard let text = record.createTime, let creation = ONTAPWire.parseTime(text) else {
                    throw StorageError(
                        .unexpectedResponse, vendor: vendor, operation: operation,
                        message:
                            "snapshot \(record.name) of \(volume.name) has an unreadable create_time '\(record.createTime ?? "")'"
                    )
                }
                let copy = SnapshotLocation.Copy(volume: volume.name, volumeID: volume.uuid, snapshotID: record.uuid)
                if var existing = merged[record.name] {
                    existing.creation = min(existing.creation, creation)
                    if let size = record.size?.value { existing.size = (existing.size ?? 0) + size }
                    existing.copies.append(copy)
                    // A copy locked longer keeps the whole snapshot (its DELETE would fail there).
                    if let lock = record.lockExpiry { existing.lock = max(existing.lock ?? lock, lock) }
                    merged[record.name] = existing
                } else {
                    merged[record.name] = (creation, record.size?.value, order, [copy], record.lockExpiry)
                    order += 1
                }
            }
        }
        let cloneCounts = Dictionary(
            try await cloneRecords(of: volumes[0], operation: operation).compactMap { $0.clone?.parentSnapshot?.name }
                .map { ($0, 1) }, uniquingKeysWith: +)
        // `size` is what deleting the snapshot frees (the ZAPI `total`); the reference showed the cumulative figure
        // (this snapshot and all newer ones) as its total.
        let byCreation = merged.sorted { $0.value.creation > $1.value.creation }
        var cumulative: Int64 = 0
        var totals: [String: Int64] = [:]
        for (name, entry) in byCreation {
            cumulative += entry.size ?? 0
            totals[name] = cumulative
        }
        let now = Date()
        return merged.sorted { $0.value.order < $1.value.order }.map { name, entry in
            Snapshot(
                id: name, creation: entry.creation, spaceTotal: totals[name], spaceUnique: entry.size,
                cloneCount: cloneCounts[name] ?? 0, isLocked: entry.lock.map { $0 > now } ?? false,
                location: SnapshotLocation(listedBy: listingIdentity, copies: entry.copies), lockedUntil: entry.lock)
        }
    }

    /// How this driver names itself in ``SnapshotLocation/listedBy``: its SVM and main volume.
    var listingIdentity: String { "\(vendor):\(svm ?? "*")/\(mainVolumeName)" }

    /// Creates snapshot `name` on every volume of the database in turn (not atomically; an error names the volumes
    /// already done). Throws `.alreadyExists` when the name is taken.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await createSnapshot(named: name, lockedUntil: nil)
    }

    /// Creates snapshot `name` on every volume, each copy a tamperproof snapshot with `snaplock.expiry_time`
    /// `lockedUntil` when set (ONTAP 9.12.1+ with SnapLock, snapshot locking enabled on the volumes; the REST
    /// field needs 9.15.1): nobody deletes it before the cluster's compliance clock passes that time.
    ///
    /// With `lockedUntil`, every volume must have `snapshot_locking_enabled` before the first copy is made
    /// (`.invalidConfiguration` naming the volumes otherwise, so no run leaves tamperproof copies on some volumes
    /// only), and every copy must then show that expiry (within a second): `.unexpectedResponse` when the cluster
    /// did not keep it.
    public func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try checkName(name, operation: operation)
        if try await usesZAPI(operation: operation) {
            return try await zapi.createSnapshot(named: name, lockedUntil: lockedUntil)
        }
        let volumes = try await databaseVolumes(operation: operation)
        if lockedUntil != nil { try await checkSnapshotLocking(volumes, operation: operation) }
        var done: [String] = []
        var body: [String: JSONValue] = ["name": .string(name)]
        if let lockedUntil { body["snaplock.expiry_time"] = .string(StorageJSON.iso8601(lockedUntil)) }
        if let snapMirrorLabel { body["snapmirror_label"] = .string(snapMirrorLabel) }
        for volume in volumes {
            let path = "storage/volumes/\(volume.uuid)/snapshots"
            let response = try await http.send(
                .post, path, body: JSONValue.object(body).bytes, headers: authorization,
                operation: operation,
                retry: .once)
            do throws(StorageError) {
                try await finish(
                    response, operation: operation, what: "snapshot \(name) of \(volume.name)", conflict: .alreadyExists
                )
            } catch {
                if !done.isEmpty {
                    throw StorageError(
                        error.code, vendor: vendor, operation: operation, status: error.status,
                        message: "\(error.message); snapshot \(name) exists only on \(done.joined(separator: ", "))")
                }
                throw error
            }
            done.append(volume.name)
        }
        guard let record = try await snapshotRecord(named: name, of: volumes[0], operation: operation) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "snapshot \(name) of \(volumes[0].name) is missing after its creation job succeeded")
        }
        logger.info("Created snapshot \(name) on \(done.joined(separator: ", "))")
        if let lockedUntil {
            try await checkLockExpiry(name, lockedUntil, first: record, volumes: volumes, operation: operation)
        }
        let creation = record.createTime.flatMap(ONTAPWire.parseTime) ?? Date()
        let lock = record.lockExpiry
        return Snapshot(
            id: name, creation: creation, spaceTotal: record.size?.value, spaceUnique: record.size?.value,
            cloneCount: 0,
            isLocked: lock.map { $0 > Date() } ?? false, lockedUntil: lock)
    }

    /// Refuses a locked creation unless every volume reports `snapshot_locking_enabled` (one GET for all).
    func checkSnapshotLocking(_ volumes: [ONTAPWire.VolumeRecord], operation: String) async throws(StorageError) {
        let query = ApplianceHTTPClient.encodeQuery([
            ("uuid", volumes.map(\.uuid).joined(separator: "|")), ("fields", "snapshot_locking_enabled"),
        ])
        let records = try await collect(
            ONTAPWire.VolumeRecord.self, "storage/volumes?\(query)", operation: operation)
        let enabled = Set(records.filter { $0.snapshotLockingEnabled == true }.map(\.uuid))
        let missing = volumes.filter { !enabled.contains($0.uuid) }.map(\.name)
        guard missing.isEmpty else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "snapshot locking is not enabled on volume(s) \(missing.joined(separator: ", ")) (snapshot_locking_enabled; ONTAP 9.12.1+ with SnapLock and an initialised compliance clock): no snapshot was created; enable it (volume modify -volume <name> -snapshot-locking-enabled true) or set snaplockdays: 0"
            )
        }
    }

    /// Fails when a copy of the new snapshot `name` lacks the asked SnapLock expiry (within a second): the copies
    /// stay, NOT locked (the cluster ignored the field).
    func checkLockExpiry(
        _ name: String, _ until: Date, first: ONTAPWire.SnapshotRecord, volumes: [ONTAPWire.VolumeRecord],
        operation: String
    ) async throws(StorageError) {
        var unlocked: [String] = []
        for (index, volume) in volumes.enumerated() {
            let record = index == 0 ? first : try await snapshotRecord(named: name, of: volume, operation: operation)
            guard let expiry = record?.lockExpiry, abs(expiry.timeIntervalSince(until)) <= 1 else {
                unlocked.append("\(volume.name) (\(record?.lockExpiry.map(StorageJSON.iso8601) ?? "no expiry"))")
                continue
            }
        }
        guard unlocked.isEmpty else {
            logger.error("Snapshot \(name) was asked locked, but these copies show no such expiry: \(unlocked)")
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message:
                    "snapshot \(name) was created with snaplock.expiry_time \(StorageJSON.iso8601(until)), but the cluster did not keep it on \(unlocked.joined(separator: ", ")): those copies are NOT locked (the REST field needs ONTAP 9.15.1+)"
            )
        }
    }

    /// Locks snapshot `id` on every volume that has it until `until` (`PATCH snaplock.expiry_time`); the cluster
    /// refuses to shorten a SnapLock expiry.
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        let operation = "lockSnapshot"
        if try await usesZAPI(operation: operation) {
            throw StorageError(
                .unsupported, vendor: vendor, operation: operation,
                message: "snapshot locks need ONTAP's REST API (9.12.1+ with SnapLock): set ontapapi: rest")
        }
        let volumes = try await databaseVolumes(operation: operation)
        var found = false
        for volume in volumes {
            guard let record = try await snapshotRecord(named: id, of: volume, operation: operation) else { continue }
            found = true
            if let current = record.lockExpiry, current >= until { continue }
            let path = "storage/volumes/\(volume.uuid)/snapshots/\(record.uuid)"
            let body: JSONValue = ["snaplock.expiry_time": .string(StorageJSON.iso8601(until))]
            let response = try await http.send(
                .patch, path, body: body.bytes, headers: authorization, operation: operation, retry: .idempotent)
            try await finish(
                response, operation: operation, what: "lock of snapshot \(id) of \(volume.name)",
                conflict: .locked)
        }
        guard found else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) not found on volume \(volumes[0].name)")
        }
    }

    /// Nothing to release: an ONTAP lock ends by itself at its expiry. `.locked` while it holds.
    public func unlockSnapshot(id: String) async throws(StorageError) {
        let operation = "unlockSnapshot"
        // ZAPI never locks a snapshot, so there is nothing to wait for.
        if try await usesZAPI(operation: operation) { return }
        let volumes = try await databaseVolumes(operation: operation)
        for volume in volumes {
            if let until = try await snapshotRecord(named: id, of: volume, operation: operation)?.lockExpiry,
                until > Date()
            {
                throw lockedError(id, until: until, operation: operation)
            }
        }
    }

    /// `.locked` naming the expiry.
    func lockedError(_ id: String, until: Date, operation: String, status: Int? = nil, detail: String? = nil)
        -> StorageError
    {
        StorageError(
            .locked, vendor: vendor, operation: operation, status: status,
            message:
                "snapshot \(id) is locked until \(DisplayFormat.utcTimestamp(until)) UTC (snaplockdays)\(detail.map { ": \($0)" } ?? "")"
        )
    }

    /// Deletes snapshot `id` from every volume that has it (later volumes may lack older snapshots). Throws
    /// `.notFound` when the main volume lacks it and `.hasClones` while a FlexClone is based on it.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        try refuseSnapMirrorSnapshot(id, operation: operation)
        if try await usesZAPI(operation: operation) { return try await zapi.deleteSnapshot(id: id) }
        let volumes = try await databaseVolumes(operation: operation)
        guard try await snapshotRecord(named: id, of: volumes[0], operation: operation) != nil else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) not found on volume \(volumes[0].name)")
        }
        let clones = try await cloneRecords(of: volumes[0], operation: operation).filter {
            $0.clone?.parentSnapshot?.name == id
        }
        if !clones.isEmpty {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message:
                    "snapshot \(id) backs FlexClone(s) \(clones.map(\.name).joined(separator: ", ")); drop them first")
        }
        var copies: [SnapshotLocation.Copy] = []
        for volume in volumes {
            guard let snapshot = try await snapshotRecord(named: id, of: volume, operation: operation) else {
                // Volumes added later lack older snapshots (the reference checked only the first volume).
                logger.debug("Snapshot \(id) not present on \(volume.name); nothing to delete there")
                continue
            }
            if let until = snapshot.lockExpiry, until > Date() {
                throw lockedError(id, until: until, operation: operation)
            }
            copies.append(.init(volume: volume.name, volumeID: volume.uuid, snapshotID: snapshot.uuid))
        }
        try await deleteCopies(of: id, copies, operation: operation)
    }

    /// Retention's delete: the listing's clone count and snapshot UUIDs stand for fresh look-ups, so the snapshot
    /// costs one DELETE per volume (which waits for its job through `return_timeout`). A snapshot without a
    /// location (not from a listing) takes `deleteSnapshot(id:)`.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        guard let location = snapshot.location else { return try await deleteSnapshot(id: snapshot.id) }
        let operation = "deleteSnapshot"
        try refuseSnapMirrorSnapshot(snapshot.id, operation: operation)
        if let refusal = listedDeletionRefusal(snapshot, listedBy: listingIdentity) { throw refusal }
        guard !location.copies.isEmpty,
            location.copies.allSatisfy({
                volumeNames.contains($0.volume) && $0.volumeID != nil && $0.snapshotID != nil
            })
        else {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message:
                    "snapshot \(snapshot.id) was listed on \(location.copies.map(\.volume).joined(separator: ", ")), not only on \(volumeNames.joined(separator: ", ")); refusing"
            )
        }
        try await deleteCopies(of: snapshot.id, location.copies, operation: operation)
    }

    /// Deletes each copy of snapshot `id` (main volume first). A copy already gone on a later volume is skipped;
    /// a refusal is looked into once to name the FlexClones that hold the snapshot (`.hasClones`).
    private func deleteCopies(of id: String, _ copies: [SnapshotLocation.Copy], operation: String)
        async throws(StorageError)
    {
        // ONTAP waits this long for the job before answering 202 (at most 120 s); most deletes finish in one call.
        let returnTimeout = max(1, min(120, Int(jobTimeout.components.seconds)))
        for (index, copy) in copies.enumerated() {
            guard let volumeID = copy.volumeID, let snapshotID = copy.snapshotID else { continue }
            let path = "storage/volumes/\(volumeID)/snapshots/\(snapshotID)?return_timeout=\(returnTimeout)"
            let response = try await http.send(
                .delete, path, headers: authorization, operation: operation, retry: .idempotentDelete)
            do throws(StorageError) {
                try await finish(
                    response, operation: operation, what: "snapshot \(id) of \(copy.volume)", conflict: .hasClones)
            } catch {
                if error.code == .notFound, index > 0 { continue }
                if [.jobFailed, .hasClones, .unexpectedResponse].contains(error.code),
                    let record = try? await snapshotRecord(uuid: snapshotID, volumeID: volumeID, operation: operation),
                    let until = record.lockExpiry, until > Date()
                {
                    throw lockedError(
                        id, until: until, operation: operation, status: error.status, detail: error.message)
                }
                if [.jobFailed, .hasClones, .unexpectedResponse].contains(error.code),
                    let volume = try? await volumeRecord(named: copy.volume, operation: operation),
                    let held = try? await cloneRecords(of: volume, operation: operation).filter({
                        $0.clone?.parentSnapshot?.name == id
                    }), !held.isEmpty
                {
                    throw StorageError(
                        .hasClones, vendor: vendor, operation: operation, status: error.status,
                        message:
                            "snapshot \(id) backs FlexClone(s) \(held.map(\.name).joined(separator: ", ")): \(error.message)"
                    )
                }
                if index > 0 {
                    throw StorageError(
                        error.code, vendor: vendor, operation: operation, status: error.status,
                        message:
                            "\(error.message); snapshot \(id) was already deleted on \(copies[..<index].map(\.volume).joined(separator: ", "))"
                    )
                }
                throw error
            }
        }
        logger.info("Deleted snapshot \(id)")
    }

    // MARK: Clones

    /// Clones snapshot `id`: one FlexClone `<cloneName>` at junction `/<cloneName>`, or for a multi-volume database a
    /// 1 GB namespace root `<cloneName>` with FlexClones `<cloneName><i>` under it (removed again if a step fails).
    /// Throws `.notFound` for an unknown snapshot and `.alreadyExists` when the name is taken or is the database's own.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try checkName(cloneName, operation: operation)
        if cloneName == volumeName || volumeNames.contains(cloneName) {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: operation,
                message: "\(cloneName) is this database's own name; choose another clone name")
        }
        if try await usesZAPI(operation: operation) {
            return try await zapi.cloneSnapshot(id: id, cloneName: cloneName)
        }
        let volumes = try await databaseVolumes(operation: operation)
        guard try await snapshotRecord(named: id, of: volumes[0], operation: operation) != nil else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) not found on volume \(volumes[0].name)")
        }
        let svmName = svm ?? volumes[0].svm?.name
        guard isMultiVolume else {
            try await createFlexClone(
                name: cloneName, parent: volumes[0], snapshot: id, junction: "/\(cloneName)", svm: svmName,
                operation: operation)
            logger.info("Created FlexClone \(cloneName) of \(volumes[0].name) at snapshot \(id)")
            return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: "/\(cloneName)")
        }
        if try await volumeRecord(named: cloneName, operation: operation) != nil {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: operation,
                message: "a volume named \(cloneName) exists already")
        }
        var created: [ONTAPWire.VolumeRecord] = []
        do throws(StorageError) {
            var root: JSONValue = [
                "name": .string(cloneName), "size": .integer(1 << 30),
                "nas": ["path": .string("/\(cloneName)"), "unix_permissions": 770],
                "space": ["snapshot": ["reserve_percent": 0]],
            ]
            if case .object(var fields) = root {
                if let svmName { fields["svm"] = ["name": .string(svmName)] }
                if let aggregate = volumes[0].aggregates?.first?.name {
                    fields["aggregates"] = [["name": .string(aggregate)]]
                }
                if let policy = volumes[0].nas?.exportPolicy?.name {
                    fields["nas"] = [
                        "path": .string("/\(cloneName)"), "unix_permissions": 770,
                        "export_policy": ["name": .string(policy)],
                    ]
                }
                root = .object(fields)
            }
            let response = try await http.send(
                .post, "storage/volumes", body: root.bytes, headers: authorization, operation: operation, retry: .once)
            try await finish(
                response, operation: operation, what: "namespace root \(cloneName)", conflict: .alreadyExists)
            if let record = try await volumeRecord(named: cloneName, operation: operation) { created.append(record) }
            for (index, volume) in volumes.enumerated() {
                let memberName = "\(cloneName)\(index)"
                try await createFlexClone(
                    name: memberName, parent: volume, snapshot: id, junction: "/\(cloneName)/\(memberName)",
                    svm: svmName, operation: operation)
                if let record = try await volumeRecord(named: memberName, operation: operation) {
                    created.insert(record, at: 0)
                }
            }
        } catch {
            logger.error("Clone \(cloneName) failed (\(error)); removing the parts this call created")
            for record in created {
                try? await removeVolume(record, operation: operation)
            }
            throw error
        }
        logger.info(
            "Created multi-volume clone \(cloneName) of \(volumes.map(\.name).joined(separator: ", ")) at snapshot \(id)"
        )
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: "/\(cloneName)")
    }

    private func createFlexClone(
        name: String, parent: ONTAPWire.VolumeRecord, snapshot: String, junction: String, svm: String?,
        operation: String
    ) async throws(StorageError) {
        var body: [String: JSONValue] = [
            "name": .string(name),
            "clone": [
                "is_flexclone": true, "parent_volume": ["name": .string(parent.name)],
                "parent_snapshot": ["name": .string(snapshot)],
            ],
            "nas": ["path": .string(junction)],
        ]
        if let svm { body["svm"] = ["name": .string(svm)] }
        let response = try await http.send(
            .post, "storage/volumes", body: JSONValue.object(body).bytes, headers: authorization, operation: operation,
            retry: .once)
        try await finish(
            response, operation: operation, what: "FlexClone \(name) of \(parent.name)@\(snapshot)",
            conflict: .alreadyExists)
    }

    /// FlexClones whose parent is the main volume (every page); a multi-volume clone is reported once, by its base
    /// name.
    public func listClones() async throws(StorageError) -> [Clone] {
        let operation = "listClones"
        if try await usesZAPI(operation: operation) { return try await zapi.listClones() }
        let volumes = try await databaseVolumes(operation: operation)
        return try await cloneRecords(of: volumes[0], operation: operation).compactMap { record in
            guard let snapshot = record.clone?.parentSnapshot?.name else { return nil }
            return clone(from: record, snapshot: snapshot)
        }
    }

    /// A vol0 FlexClone as the caller sees it: multi-volume members `<clone>0` at `/<clone>/<clone>0` stand for `<clone>`.
    private func clone(from record: ONTAPWire.VolumeRecord, snapshot: String) -> Clone {
        if isMultiVolume, record.name.hasSuffix("0") {
            let base = String(record.name.dropLast())
            if record.nas?.path == "/\(base)/\(record.name)" {
                return Clone(name: base, originVolume: volumeName, originSnapshot: snapshot, mountPoint: "/\(base)")
            }
        }
        return Clone(
            name: record.name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.nas?.path)
    }

    /// The clone `name` after the ownership checks: `.notFound`, `.notAClone` (not a FlexClone) or `.notOwned` (a clone
    /// of another volume).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        if try await usesZAPI(operation: "cloneInfo") {
            return try await zapi.ownedClone(name, operation: "cloneInfo").clone
        }
        return try await ownedClone(name, operation: "cloneInfo").clone
    }

    /// Unmounts, takes offline and deletes each FlexClone of clone `name`, then its namespace root, after the same
    /// ownership checks as ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        if try await usesZAPI(operation: operation) { return try await zapi.dropClone(name: name) }
        let (_, members, root) = try await ownedClone(name, operation: operation)
        for member in members {
            try await removeVolume(member, operation: operation)
        }
        if let root {
            try await removeVolume(root, operation: operation)
        }
        logger.info("Dropped clone \(name)")
    }

    /// `<mounthost>:<junction path>` (`/<clone>` when the clone has no junction path recorded).
    public func mountString(clone: Clone) -> String {
        "\(mountHost):\(clone.mountPoint ?? "/\(clone.name)")"
    }

    /// The clone `name` after the ownership checks: its FlexClone member volumes and, for multi-volume clones, the
    /// namespace root. `.notFound`, `.notAClone` or `.notOwned` otherwise (storage-apis §1.16).
    private func ownedClone(_ name: String, operation: String) async throws(StorageError) -> (
        clone: Clone, members: [ONTAPWire.VolumeRecord], root: ONTAPWire.VolumeRecord?
    ) {
        let volumes = try await databaseVolumes(operation: operation)
        let firstMember = isMultiVolume ? try await volumeRecord(named: "\(name)0", operation: operation) : nil
        if let firstMember, let parent = firstMember.cloneParent, parent != volumes[0].name {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(name) is a clone of \(parent), not of \(volumes[0].name); refusing")
        }
        if let first = firstMember, first.cloneParent == volumes[0].name,
            first.nas?.path == "/\(name)/\(name)0" || first.nas?.path == nil
        {
            var members = [first]
            for (index, volume) in volumes.enumerated().dropFirst() {
                guard let member = try await volumeRecord(named: "\(name)\(index)", operation: operation) else {
                    continue
                }
                guard member.cloneParent == volume.name else {
                    throw StorageError(
                        .notOwned, vendor: vendor, operation: operation,
                        message: "\(member.name) is not a clone of \(volume.name); refusing to drop clone \(name)")
                }
                members.append(member)
            }
            var root: ONTAPWire.VolumeRecord?
            if let candidate = try await volumeRecord(named: name, operation: operation) {
                guard candidate.cloneParent == nil, candidate.nas?.path == "/\(name)" || candidate.nas?.path == nil
                else {
                    throw StorageError(
                        .notOwned, vendor: vendor, operation: operation,
                        message: "volume \(name) is not the namespace root of clone \(name); refusing")
                }
                root = candidate
            }
            let snapshot = first.clone?.parentSnapshot?.name ?? ""
            return (
                Clone(name: name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: "/\(name)"), members,
                root
            )
        }
        guard let record = try await volumeRecord(named: name, operation: operation) else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation, message: "no volume or clone named \(name)")
        }
        guard let parent = record.cloneParent else {
            throw StorageError(
                .notAClone, vendor: vendor, operation: operation, message: "volume \(name) is not a FlexClone; refusing"
            )
        }
        guard parent == volumes[0].name,
            record.clone?.parentSVM?.name == nil || svm == nil
                || record.clone?.parentSVM?.name == svm
        else {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(name) is a clone of \(parent), not of \(volumes[0].name); refusing")
        }
        let snapshot = record.clone?.parentSnapshot?.name ?? ""
        return (clone(from: record, snapshot: snapshot), [record], nil)
    }

    /// Unmount (`nas.path=""`), offline, delete; each step awaits its job (storage-apis §1.13).
    private func removeVolume(_ record: ONTAPWire.VolumeRecord, operation: String) async throws(StorageError) {
        let path = "storage/volumes/\(record.uuid)"
        if record.nas?.path != nil {
            let response = try await http.send(
                .patch, path, body: (["nas": ["path": ""]] as JSONValue).bytes, headers: authorization,
                operation: operation,
                retry: .idempotent)
            try await finish(
                response, operation: operation, what: "unmount of \(record.name)", conflict: .unexpectedResponse)
        }
        if record.state != "offline" {
            let response = try await http.send(
                .patch, path, body: (["state": "offline"] as JSONValue).bytes, headers: authorization,
                operation: operation,
                retry: .idempotent)
            try await finish(
                response, operation: operation, what: "offline of \(record.name)", conflict: .unexpectedResponse)
        }
        let response = try await http.send(
            .delete, path, headers: authorization, operation: operation, retry: .idempotentDelete)
        try await finish(
            response, operation: operation, what: "deletion of \(record.name)", conflict: .unexpectedResponse)
    }

    // MARK: Volume

    /// Creates each volume of the database in `svm` and `aggregate`, `volumesize` big, junction
    /// `<junctionparent>/<db><suffix>`, no snapshot policy, autosize `grow`. Throws `.invalidConfiguration` when `svm`,
    /// `aggregate` or `volumesize` is missing, `.alreadyExists` when a volume exists.
    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        guard let svmName = svm else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "set svm in [netapp] to create volumes")
        }
        guard let aggregate = volumeCreation.aggregate, let size = volumeCreation.size else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "set aggregate and volumesize in [netapp] to create volumes")
        }
        if try await usesZAPI(operation: operation) {
            for name in volumeNames { try checkName(name, operation: operation) }
            return try await zapi.createVolume()
        }
        let parent =
            volumeCreation.junctionParent.hasSuffix("/")
            ? String(volumeCreation.junctionParent.dropLast()) : volumeCreation.junctionParent
        var mainPath: String?
        for (index, name) in volumeNames.enumerated() {
            try checkName(name, operation: operation)
            let junction = "\(parent)/\(volumeName)\(index == 0 ? "" : additionalSuffixes[index - 1])"
            if index == 0 { mainPath = junction }
            let body: JSONValue = [
                "name": .string(name), "svm": ["name": .string(svmName)], "aggregates": [["name": .string(aggregate)]],
                "size": .integer(size),
                "nas": [
                    "path": .string(junction), "unix_permissions": 770,
                    "export_policy": ["name": .string(volumeCreation.exportPolicy)],
                ],
                "snapshot_policy": ["name": "none"], "autosize": ["mode": "grow"],
                "space": ["snapshot": ["reserve_percent": 0]],
            ]
            let response = try await http.send(
                .post, "storage/volumes", body: body.bytes, headers: authorization, operation: operation, retry: .once)
            try await finish(response, operation: operation, what: "volume \(name)", conflict: .alreadyExists)
            logger.info("Created volume \(name) at \(junction)")
        }
        return Volume(name: volumeName, mountPoint: mainPath, spaceUsed: nil)
    }

    /// The main volume's junction path and the bytes used by all the database's volumes (`nil` when one does not say).
    public func volumeInfo() async throws(StorageError) -> Volume {
        if try await usesZAPI(operation: "volumeInfo") { return try await zapi.volumeInfo() }
        let volumes = try await databaseVolumes(operation: "volumeInfo")
        let used = volumes.compactMap { $0.space?.used?.value }
        // A sum beyond the integer range (an appliance's nonsense, found by Scripts/fuzz.sh) is unknown, not a trap.
        var total: (partialValue: Int64, overflow: Bool)? = used.count == volumes.count ? (0, false) : nil
        for value in used where total?.overflow == false {
            total = total.map { Int64($0.partialValue).addingReportingOverflow(Int64(value)) }
        }
        return Volume(
            name: volumeName, mountPoint: volumes[0].nas?.path,
            spaceUsed: total.flatMap { $0.overflow ? nil : $0.partialValue })
    }

    // MARK: Lookups

    static let volumeFields =
        "uuid,name,svm.name,nas.path,nas.export_policy.name,clone,space.size,space.used,aggregates,state"

    /// The database's volumes, main first; `.notFound` when one is missing.
    func databaseVolumes(operation: String) async throws(StorageError) -> [ONTAPWire.VolumeRecord] {
        var records: [ONTAPWire.VolumeRecord] = []
        for name in volumeNames {
            guard let record = try await volumeRecord(named: name, operation: operation) else {
                throw StorageError(
                    .notFound, vendor: vendor, operation: operation,
                    message: "volume \(name) not found\(svm.map { " in SVM \($0)" } ?? "")")
            }
            records.append(record)
        }
        return records
    }

    func volumeRecord(named name: String, operation: String) async throws(StorageError) -> ONTAPWire.VolumeRecord? {
        var query: [(String, String)] = [("name", name), ("fields", Self.volumeFields)]
        if let svm { query.append(("svm.name", svm)) }
        let matches = try await collect(
            ONTAPWire.VolumeRecord.self, "storage/volumes?\(ApplianceHTTPClient.encodeQuery(query))",
            operation: operation
        ).filter { $0.name == name && (svm == nil || $0.svm?.name == nil || $0.svm?.name == svm) }
        if matches.count > 1 {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "volume \(name) exists in several SVMs (\(matches.compactMap { $0.svm?.name }.joined(separator: ", "))); set svm"
            )
        }
        return matches.first
    }

    /// FlexClones whose parent is `volume` (exact re-check after the server-side filter), every page.
    func cloneRecords(of volume: ONTAPWire.VolumeRecord, operation: String) async throws(StorageError)
        -> [ONTAPWire.VolumeRecord]
    {
        var query: [(String, String)] = [("clone.parent_volume.name", volume.name), ("fields", Self.volumeFields)]
        if let svm { query.append(("svm.name", svm)) }
        return try await collect(
            ONTAPWire.VolumeRecord.self, "storage/volumes?\(ApplianceHTTPClient.encodeQuery(query))",
            operation: operation
        ).filter {
            $0.cloneParent == volume.name && $0.uuid != volume.uuid
                && (volume.svm?.name == nil || $0.clone?.parentSVM?.name == nil
                    || $0.clone?.parentSVM?.name == volume.svm?.name)
        }
    }

    func snapshotRecords(of volume: ONTAPWire.VolumeRecord, operation: String) async throws(StorageError)
        -> [ONTAPWire.SnapshotRecord]
    {
        try await collect(
            ONTAPWire.SnapshotRecord.self,
            "storage/volumes/\(volume.uuid)/snapshots?fields=\(ONTAPWire.snapshotFields)",
            operation: operation)
    }

    /// One snapshot copy by its UUIDs (after a refused DELETE), `nil` when it is gone.
    func snapshotRecord(uuid: String, volumeID: String, operation: String) async throws(StorageError)
        -> ONTAPWire.SnapshotRecord?
    {
        let query = ApplianceHTTPClient.encodeQuery([("uuid", uuid), ("fields", ONTAPWire.snapshotFields)])
        return try await collect(
            ONTAPWire.SnapshotRecord.self, "storage/volumes/\(volumeID)/snapshots?\(query)", operation: operation
        ).first { $0.uuid == uuid }
    }

    func snapshotRecord(named name: String, of volume: ONTAPWire.VolumeRecord, operation: String)
        async throws(StorageError) -> ONTAPWire.SnapshotRecord?
    {
        let query = ApplianceHTTPClient.encodeQuery([("name", name), ("fields", ONTAPWire.snapshotFields)])
        return try await collect(
            ONTAPWire.SnapshotRecord.self, "storage/volumes/\(volume.uuid)/snapshots?\(query)", operation: operation
        ).first { $0.name == name }
    }

    /// Every record of a collection, following `_links.next`; any failed page fails the whole listing (R-10).
    func collect<Record: Decodable>(_ type: Record.Type, _ path: String, operation: String) async throws(StorageError)
        -> [Record]
    {
        var records: [Record] = []
        var next: String? = path
        var pages = 0
        while let current = next {
            pages += 1
            guard pages <= 10_000 else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message: "more than 10000 pages at \(path)")
            }
            let response = try await http.send(
                .get, current, headers: authorization, operation: operation, retry: .idempotent)
            guard response.status == 200 else {
                throw failure(response, .get, current, operation: operation, conflict: .unexpectedResponse)
            }
            guard let page = ONTAPWire.decode(ONTAPWire.Collection<Record>.self, from: response.body) else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
                    message: "GET \(current): expected a record collection, got: \(String(response.text.prefix(300)))")
            }
            records += page.records
            next = page.links?.next.map { relative($0.href) }
        }
        return records
    }

    // MARK: Jobs and errors

    var authorization: [HTTPHeader] { [HTTPHeader("Authorization", credential.basicAuthorization)] }

    /// `/api/cluster/jobs/x` → `cluster/jobs/x` (relative to the base).
    func relative(_ href: String) -> String {
        if href.hasPrefix("/api/") { return String(href.dropFirst(5)) }
        if href.hasPrefix("/") { return String(href.dropFirst()) }
        return href
    }

    /// Accepts 200/201/204, waits for the job of a 202, maps anything else to an error.
    func finish(_ response: HTTPResponse, operation: String, what: String, conflict: StorageError.Code)
        async throws(StorageError)
    {
        switch response.status {
        case 200, 201, 204:
            return
        case 202:
            guard let job = ONTAPWire.decode(ONTAPWire.JobEnvelope.self, from: response.body)?.job else { return }
            try await awaitJob(job, operation: operation, what: what)
        default:
            throw failure(response, nil, what, operation: operation, conflict: conflict)
        }
    }

    /// Polls `/api/cluster/jobs/<uuid>` until success, failure or `jobTimeout`.
    func awaitJob(_ job: ONTAPWire.JobReference, operation: String, what: String) async throws(StorageError) {
        let path = job.links?.selfLink.map { relative($0.href) } ?? "cluster/jobs/\(job.uuid)"
        let clock = ContinuousClock()
        let deadline = clock.now + jobTimeout
        var pause = Duration.milliseconds(100)
        while true {
            let response = try await http.send(
                .get, "\(path)?fields=uuid,state,message,code,description", headers: authorization,
                operation: operation, retry: .idempotent)
            guard response.status == 200, let record = ONTAPWire.decode(ONTAPWire.JobRecord.self, from: response.body)
            else {
                throw failure(response, .get, path, operation: operation, conflict: .unexpectedResponse)
            }
            switch record.state ?? "" {
            case "success":
                return
            case "failure":
                let code = record.code.map { " (code \($0.value))" } ?? ""
                throw StorageError(
                    .jobFailed, vendor: vendor, operation: operation, status: 202,
                    message:
                        "\(what): job \(job.uuid) failed: \(response.redacted(record.message ?? "no message"))\(code)")
            default:
                break
            }
            if clock.now + pause > deadline {
                throw StorageError(
                    .timeout, vendor: vendor, operation: operation, status: 202,
                    message:
                        "\(what): job \(job.uuid) still \(record.state ?? "unknown") after \(jobTimeout) (jobtimeout)")
            }
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw StorageError(
                    .timeout, vendor: vendor, operation: operation,
                    message: "\(what): cancelled while waiting for job \(job.uuid)")
            }
            pause = min(pause * 2, .seconds(2))
        }
    }

    func failure(
        _ response: HTTPResponse, _ method: HTTPMethod?, _ subject: String, operation: String,
        conflict: StorageError.Code
    ) -> StorageError {
        let code: StorageError.Code
        switch response.status {
        case 404: code = .notFound
        case 401, 403: code = .permissionDenied
        case 409: code = conflict
        case 500...599: code = .serverError
        default: code = .unexpectedResponse
        }
        let prefix = method.map { "\($0.rawValue) \(subject)" } ?? subject
        logger.log(level: response.status == 404 ? .debug : .error, "\(prefix) returned \(response.status)")
        return StorageError(
            code, vendor: vendor, operation: operation, status: response.status,
            message: "\(prefix) returned \(response.status): \(ONTAPWire.errorText(response))")
    }

    private func checkName(_ name: String, operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "'\(name)' is not a valid name (letters, digits, . _ : - only)")
        }
    }
}
