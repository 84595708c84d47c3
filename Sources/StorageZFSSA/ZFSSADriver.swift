import ConfigModel
import Foundation
import Logging
import StorageKit

/// Storage driver for the Oracle ZFS Storage Appliance REST API (storage-apis §2, reference §4.4).
///
/// The database's backup area is the share `<db>` in `pools/<pool>/projects/<project>`; snapshots are named
/// `<db>-<local YYYYmmddTHHMMSS>`; clones are created in the same project (inheriting its NFS settings) and only
/// clones whose origin is this share are ever dropped (R-07). Mount strings are `<url host>:<mountpoint>`.
///
/// Settings: ``ZFSSAConfiguration``, read from `[zfssa]` (per-database `zfssa…` overrides applied). Credentials:
/// `zfscredentials.cfg`.
public struct ZFSSADriver: StorageDriver {
    /// The driver's name in `snappermodule`/`snapperclass` and in errors: `zfssa`.
    public static let vendorName = "zfssa"

    /// The database (configuration section) this instance serves: its share is `<db>` in the project.
    public let volumeName: String
    /// `pool` (or the database's `zfssapool`): the storage pool of the project.
    public let pool: String
    /// `project` (or the database's `zfssaproject`): the project holding one share per database, and the clones.
    public let project: String
    /// REST API version in paths (`1` or `2`).
    public let apiVersion: Int
    /// Host part of mount strings.
    public let mountHost: String
    /// Receives the driver's messages and the HTTP requests (credentials redacted).
    public let logger: Logger
    let connection: ZFSSAConnection
    /// The account, also used at the replica appliance (``replicaDriver(configuration:logger:)``).
    let credential: StorageCredential
    /// Builds the replica appliance's transport from its own TLS settings; `nil`: the replica shares this
    /// driver's transport.
    var replicaTransport: HTTPTransportFactory?

    /// `zfssa`.
    public var vendor: String { Self.vendorName }
    /// Clones, clone listing, space figures, volume (share) creation, locks (snapshot retention, OS8.8.39+) and
    /// replication (the appliance's replication actions, ``SnapshotReplicating``).
    public var capabilities: StorageCapabilities { Self.descriptor.capabilities }

    /// - Parameters:
    ///   - url: appliance address, e.g. `https://zfssa.example.com:215`.
    public init(
        volumeName: String, url: String, pool: String, project: String, apiVersion: Int = 1,
        authentication: ZFSSAAuthentication = .basic, credential: StorageCredential, transport: any HTTPTransport,
        timeout: Duration = .seconds(300), retryPolicy: HTTPRetryPolicy = HTTPRetryPolicy(),
        mountHost: String? = nil, logger: Logger
    ) throws(StorageError) {
        if let problem = Self.urlProblem(url) {
            throw StorageError(.invalidConfiguration, vendor: Self.vendorName, operation: "configure", message: problem)
        }
        let host = URLComponents(string: url)?.host ?? url
        guard apiVersion == 1 || apiVersion == 2 else {
            throw StorageError(
                .invalidConfiguration, vendor: Self.vendorName, operation: "configure",
                message: "apiversion must be 1 or 2, not \(apiVersion)")
        }
        let root = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.volumeName = volumeName
        self.pool = pool
        self.project = project
        self.apiVersion = apiVersion
        self.mountHost = mountHost ?? host
        self.logger = logger
        self.credential = credential
        let http = ApplianceHTTPClient(
            vendor: Self.vendorName, baseURL: "\(root)/api/storage/v\(apiVersion)", transport: transport,
            logger: logger, timeout: timeout, retryPolicy: retryPolicy, secrets: [credential.password])
        self.connection = ZFSSAConnection(
            http: http, accessURL: "\(root)/api/access/v1", credential: credential, authentication: authentication,
            sessions: ZFSSASessionStore())
    }

    /// How `zfssa` appears in `backup.cfg`: module, class and section `zfssa`; its keys; the credentials in
    /// `zfscredentials.cfg` (`[zfscredentials]` `zfsuser`, `zfspassword`).
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, requiredKeys: ["url", "pool", "project"],
        optionalKeys: [
            "cacert", "insecure", "apiversion", "timeout", "authentication", "retries", "retrybackoff", "mounthost",
            "allowplainhttp",
        ],
        endpointKey: "url",
        credentials: StorageCredentialsLayout(
            file: "zfscredentials.cfg", section: "zfscredentials", userKey: "zfsuser", passwordKey: "zfspassword"),
        capabilities: [.clone, .listClones, .spaceUsage, .createVolume, .lock, .replication],
        keyReference: keyReference)

    /// The documentation of the `[zfssa]` keys (``descriptor``).
    static let keyReference: [ConfigKeyReference] = {
        func key(_ key: String, _ defaultValue: String? = nil, requiredFor: String? = nil, _ meaning: String)
            -> ConfigKeyReference
        {
            ConfigKeyReference(
                key, section: vendorName, defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: "driver zfssa")
        }
        return ApplianceConnectionSettings.keyReference(
            section: vendorName, endpointKey: "url",
            endpointMeaning: "The appliance's REST address, e.g. `https://zfssa01:215`.", readBy: "driver zfssa")
            + [
                key("pool", requiredFor: "snapshots", "The storage pool of the project."),
                key(
                    "project", requiredFor: "snapshots",
                    "The project holding one share per database (the share is `<db>`), and its clones."),
                key("apiversion", "1", "The REST API version in paths: `1` (as the original) or `2`."),
                key("authentication", "basic", "`basic` (as the original) or `session`."),
                key("mounthost", "the URL's host", "The host part of mount strings (`<mounthost>:<mountpoint>`)."),
            ]
    }()

    /// Builds the driver of `context.databaseName` from its configuration and credentials; does no I/O.
    public init(
        configuration: ZFSSAConfiguration, context: StorageDriverContext,
        transport makeTransport: @escaping HTTPTransportFactory
    ) throws(StorageError) {
        let vendor = Self.vendorName
        let credential = try context.requiredCredentials(
            vendor: vendor, file: Self.descriptor.credentials?.file ?? "zfscredentials.cfg")
        let connection = configuration.connection
        let transport = try makeTransport(connection.transportOptions(vendor: vendor, logger: context.logger))
        try self.init(
            volumeName: context.databaseName, url: connection.endpoint, pool: configuration.pool,
            project: configuration.project, apiVersion: configuration.apiVersion,
            authentication: configuration.authentication, credential: credential, transport: transport,
            timeout: connection.timeout, retryPolicy: connection.retryPolicy, mountHost: configuration.mountHost,
            logger: context.logger)
        self.replicaTransport = makeTransport
    }

    /// Registers `zfssa` in `registry`, building transports with `transport`
    /// (e.g. `CurlTransport.factory` from StorageHTTP).
    public static func register(in registry: inout StorageDriverRegistry, transport: @escaping HTTPTransportFactory) {
        registry.register(descriptor, configuration: ZFSSAConfiguration.self) {
            configuration, context throws(StorageError) in
            try ZFSSADriver(configuration: configuration, context: context, transport: transport)
        }
    }

    /// Why `url` cannot be an appliance address, or `nil` when it can (`http[s]://host[:port][/]`).
    static func urlProblem(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["http", "https"].contains(scheme.lowercased()), let host = components.host, !host.isEmpty
        else {
            return "url must look like https://<appliance>:215, not '\(SecretRedaction.maskingURLPassword(url))'"
        }
        return nil
    }

    /// Ends the REST session when `authentication` is `session` (otherwise nothing to do).
    public func close() async {
        await connection.logout()
    }

    // MARK: Paths (relative to /api/storage/vN, components encoded)

    private func encode(_ component: String) -> String { ApplianceHTTPClient.encodePathComponent(component) }
    var projectPath: String { "pools/\(encode(pool))/projects/\(encode(project))" }
    func filesystemPath(_ name: String) -> String { "\(projectPath)/filesystems/\(encode(name))" }
    var snapshotsPath: String { "\(filesystemPath(volumeName))/snapshots" }
    func snapshotPath(_ id: String) -> String { "\(snapshotsPath)/\(encode(id))" }

    // MARK: Snapshots

    /// Snapshots of the share in the appliance's order: `space_data` as total and `space_unique` as unique bytes,
    /// `numclones`, and locked when a `retentionpolicy` holds them. Throws `.notFound` when the share is missing.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        let response = try await connection.send(.get, snapshotsPath, operation: operation, retry: .idempotent)
        try expect(response, [200], .get, snapshotsPath, operation: operation, notFound: "share \(shareName)")
        guard let list = ZFSSAWire.decode(ZFSSAWire.SnapshotList.self, from: response.body) else {
            throw unexpected(response, operation: operation, what: "a snapshot list")
        }
        var snapshots: [Snapshot] = []
        // The appliance's replication snapshots (`.rr-…`) are never this tool's.
        for record in list.snapshots where !record.name.hasPrefix(ZFSSAWire.replicationSnapshotPrefix) {
            snapshots.append(try snapshot(from: record, operation: operation))
        }
        return snapshots
    }

    /// Creates snapshot `name` of the share. Throws `.invalidName`, `.alreadyExists` or `.notFound` (no share).
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        try await createSnapshot(named: name, lockedUntil: nil)
    }

    /// Creates snapshot `name` of the share, retained (`retentionpolicy`) with `lockedUntil` recorded in the
    /// snapshot's ``ZFSSAWire/lockExpiryProperty`` when set: one POST. The appliance's retention has no duration;
    /// this tool releases it once the recorded expiry has passed (retention, `dropsnap`).
    ///
    /// With `lockedUntil`, the answer (or, when it disagrees, a fresh read) must show the retention and the
    /// recorded expiry within a second of `lockedUntil`. Otherwise the appliance kept a retention this tool could
    /// never tell from an admin's (the custom property missing from its schema, say), which would pin the pool for
    /// ever: the retention just set is released again and the call fails (`.unexpectedResponse`), leaving the
    /// snapshot unlocked.
    public func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try checkName(name, operation: operation)
        var body: [String: JSONValue] = ["name": .string(name)]
        if let lockedUntil { body.merge(ZFSSAWire.lockProperties(until: lockedUntil)) { _, new in new } }
        let response = try await connection.send(
            .post, snapshotsPath, body: .object(body), operation: operation, retry: .once)
        try expect(response, [201], .post, snapshotsPath, operation: operation, notFound: "share \(shareName)")
        var record: ZFSSAWire.SnapshotRecord
        if let answered = ZFSSAWire.decode(ZFSSAWire.SnapshotEnvelope.self, from: response.body)?.snapshot {
            record = answered
        } else {
            record = try await snapshotRecord(name, operation: operation)
        }
        if let lockedUntil, !Self.holds(record, lockedUntil) {
            // The answer to the POST may leave properties out: judge by a fresh read.
            record = try await snapshotRecord(name, operation: operation)
            if !Self.holds(record, lockedUntil) {
                throw await unrecordedLock(record, requested: lockedUntil, operation: operation)
            }
        }
        return try snapshot(from: record, operation: operation)
    }

    /// Whether `record` is retained with an expiry recorded within a second of `until`.
    static func holds(_ record: ZFSSAWire.SnapshotRecord, _ until: Date) -> Bool {
        guard record.isRetained, let recorded = record.lockedUntil else { return false }
        return abs(recorded.timeIntervalSince(until)) <= 1
    }

    /// The error of a locked creation whose lock the appliance did not keep as asked; first releases the retention
    /// this tool has just set, when there is one (it cannot be told from a foreign one later).
    private func unrecordedLock(_ record: ZFSSAWire.SnapshotRecord, requested: Date, operation: String) async
        -> StorageError
    {
        let asked = "\(ZFSSAWire.lockExpiryProperty)=\(StorageJSON.iso8601(requested))"
        let seen =
            "retentionpolicy=\(record.retentionpolicy ?? "?"), \(ZFSSAWire.lockExpiryProperty)=\(record.lockExpiry ?? "(missing)")"
        var outcome = "the snapshot exists but is NOT locked"
        if record.isRetained {
            do throws(StorageError) {
                try await setRetention(
                    record.name, ["retentionpolicy": .string(ZFSSAWire.retentionOff)], operation: operation)
                outcome =
                    "the retention this tool had just set was released again; the snapshot exists but is NOT locked"
            } catch {
                outcome =
                    "releasing the retention this tool had just set failed too (\(error.message)): a user holding releaseSnapRetention must release snapshot \(record.name), or it stays for ever"
            }
        }
        logger.error("Snapshot \(record.name) of share \(shareName) asked locked, but the appliance shows \(seen)")
        return StorageError(
            .unexpectedResponse, vendor: vendor, operation: operation,
            message:
                "snapshot \(record.name) of share \(shareName) was created with \(asked), but the appliance shows \(seen) (is \(ZFSSAWire.lockExpiryProperty) defined in the appliance's schema? see Documentation/storage/zfssa.md); \(outcome)"
        )
    }

    /// Deletes snapshot `id` of the share. Throws `.notFound`, `.hasClones` while it has clones and `.locked` while a
    /// retention policy holds it.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        let record = try await snapshotRecord(id, operation: operation)
        if let clones = record.numclones?.value, clones > 0 {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(id) of share \(shareName) has \(clones) clone(s); drop them first")
        }
        if record.isRetained {
            guard record.isOwnLock, record.lockExpiry != ZFSSAWire.indefiniteLock else {
                throw foreignOrIndefinite(record, operation: operation)
            }
            try await releaseExpiredRetention(
                id, lockedUntil: record.lockedUntil, policy: record.retentionpolicy, operation: operation)
        }
        try await sendDelete(id, operation: operation)
    }

    /// Retention's delete: the listing's `numclones` and `retentionpolicy` stand for a fresh look-up, so the
    /// snapshot costs one DELETE (two when a retention this tool set has expired: its release, then the DELETE).
    /// A snapshot without a location (not from a listing) takes `deleteSnapshot(id:)`.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        guard snapshot.location != nil else { return try await deleteSnapshot(id: snapshot.id) }
        var candidate = snapshot
        if snapshot.isLocked, let until = snapshot.lockedUntil, until <= Date() { candidate.isLocked = false }
        if let refusal = listedDeletionRefusal(candidate, listedBy: listingIdentity) { throw refusal }
        if snapshot.isLocked, !candidate.isLocked {
            try await releaseExpiredRetention(
                snapshot.id, lockedUntil: snapshot.lockedUntil, policy: nil, operation: "deleteSnapshot")
        }
        try await sendDelete(snapshot.id, operation: "deleteSnapshot")
    }

    /// Releases the retention of snapshot `id` (`retentionpolicy` off) when this tool recorded its expiry and that
    /// has passed; throws `.locked` naming the expiry before it, and for a retention without a recorded expiry
    /// (set on the appliance by someone else: this tool never releases it). When the appliance refuses the release
    /// for lack of authorisation (an account without `releaseSnapRetention`, the recommended set-up), throws
    /// `.lockReleaseRefused` naming the remedy: retention warns and keeps the snapshot.
    private func releaseExpiredRetention(_ id: String, lockedUntil: Date?, policy: String?, operation: String)
        async throws(StorageError)
    {
        guard let lockedUntil else {
            throw foreignRetention(id, policy: policy, operation: operation)
        }
        guard lockedUntil <= Date() else {
            throw StorageError(
                .locked, vendor: vendor, operation: operation,
                message:
                    "snapshot \(id) of share \(shareName) is locked until \(DisplayFormat.utcTimestamp(lockedUntil)) UTC (snaplockdays)"
            )
        }
        try await releaseRetention(id, expired: lockedUntil, operation: operation)
        logger.info(
            "Released the expired retention of snapshot \(id) (locked until \(DisplayFormat.utcTimestamp(lockedUntil)) UTC)"
        )
    }

    /// Sets the retention of snapshot `id` off; a 401/403 answer becomes `.lockReleaseRefused` (the lock ended at
    /// `expired`, or `nil` for this tool's indefinite lock).
    private func releaseRetention(_ id: String, expired: Date?, operation: String) async throws(StorageError) {
        let path = snapshotPath(id)
        let response = try await connection.send(
            .put, path, body: .object(["retentionpolicy": .string(ZFSSAWire.retentionOff)]), operation: operation,
            retry: .idempotent)
        if [401, 403].contains(response.status) {
            let ended = expired.map { "lock expired on \(DisplayFormat.utcTimestamp($0)) UTC" } ?? "lock ended"
            let user = connection.credential.user
            throw StorageError(
                .lockReleaseRefused, vendor: vendor, operation: operation, status: response.status,
                message:
                    "snapshot \(id) of share \(shareName) kept: \(ended); release it with a user holding releaseSnapRetention, or grant it to \(user) to let retention do it (\(ZFSSAWire.faultText(response)))"
            )
        }
        try expect(response, [200, 202, 204], .put, path, operation: operation, notFound: "snapshot \(id)")
    }

    /// `.locked` for a retention this tool did not set (no marker in ``ZFSSAWire/lockExpiryProperty``).
    private func foreignRetention(_ id: String, policy: String?, operation: String) -> StorageError {
        StorageError(
            .locked, vendor: vendor, operation: operation,
            message:
                "snapshot \(id) of share \(shareName) is retained (retentionpolicy=\(policy ?? "?")) on the appliance, not set by this tool (no expiry recorded in \(ZFSSAWire.lockExpiryProperty)): a foreign retention this tool never releases or changes; an appliance user with releaseSnapRetention must release it"
        )
    }

    /// `PUT …/snapshots/<id>` with retention properties.
    private func setRetention(_ id: String, _ properties: [String: JSONValue], operation: String)
        async throws(StorageError)
    {
        let path = snapshotPath(id)
        let response = try await connection.send(
            .put, path, body: .object(properties), operation: operation, retry: .idempotent)
        try expect(response, [200, 202, 204], .put, path, operation: operation, notFound: "snapshot \(id)")
    }

    /// `.locked` for a retained snapshot this tool may not release by itself: a foreign retention, or this tool's
    /// indefinite lock (released only by ``unlockSnapshot(id:)``).
    private func foreignOrIndefinite(_ record: ZFSSAWire.SnapshotRecord, operation: String) -> StorageError {
        guard record.isOwnLock else {
            return foreignRetention(record.name, policy: record.retentionpolicy, operation: operation)
        }
        return StorageError(
            .locked, vendor: vendor, operation: operation,
            message:
                "snapshot \(record.name) of share \(shareName) is locked by this tool without an expiry; unlock it first"
        )
    }

    // MARK: Locks

    /// Retains snapshot `id` until `until`: `retentionpolicy` on and the expiry recorded in the snapshot's
    /// ``ZFSSAWire/lockExpiryProperty``; an expiry already recorded later is kept (a lock is never shortened).
    /// Throws `.locked` for a retention this tool did not set (an admin's): recording an expiry would let retention
    /// release it later.
    public func lockSnapshot(id: String, until: Date) async throws(StorageError) {
        let operation = "lockSnapshot"
        let record = try await snapshotRecord(id, operation: operation)
        if record.isRetained, !record.isOwnLock {
            throw foreignRetention(id, policy: record.retentionpolicy, operation: operation)
        }
        let expiry = max(until, record.isRetained ? (record.lockedUntil ?? until) : until)
        try await setRetention(id, ZFSSAWire.lockProperties(until: expiry), operation: operation)
    }

    /// Retains snapshot `id` without an expiry (`retentionpolicy` on, ``ZFSSAWire/indefiniteLock`` recorded): only
    /// ``unlockSnapshot(id:)`` (or an appliance user) releases it. Throws `.locked` for a foreign retention.
    public func lockSnapshot(id: String) async throws(StorageError) {
        let operation = "lockSnapshot"
        let record = try await snapshotRecord(id, operation: operation)
        if record.isRetained, !record.isOwnLock {
            throw foreignRetention(id, policy: record.retentionpolicy, operation: operation)
        }
        if record.isRetained, record.lockedUntil != nil { return }
        try await setRetention(
            id,
            [
                "retentionpolicy": .string(ZFSSAWire.retentionOn),
                ZFSSAWire.lockExpiryProperty: .string(ZFSSAWire.indefiniteLock),
            ], operation: operation)
    }

    /// Releases a retention this tool set: its indefinite lock, or a lock whose recorded expiry has passed.
    /// `.locked` before that expiry and for a foreign retention (never released); `.lockReleaseRefused` when the
    /// appliance refuses the release for lack of authorisation.
    public func unlockSnapshot(id: String) async throws(StorageError) {
        let operation = "unlockSnapshot"
        let record = try await snapshotRecord(id, operation: operation)
        guard record.isRetained else { return }
        guard record.isOwnLock else { throw foreignRetention(id, policy: record.retentionpolicy, operation: operation) }
        if let until = record.lockedUntil, until > Date() {
            throw StorageError(
                .locked, vendor: vendor, operation: operation,
                message:
                    "snapshot \(id) of share \(shareName) is locked until \(DisplayFormat.utcTimestamp(until)) UTC (snaplockdays)"
            )
        }
        try await releaseRetention(id, expired: record.lockedUntil, operation: operation)
    }

    /// The DELETE itself. When the appliance refuses it, the snapshot is read once more to name the reason
    /// (a clone or a retention policy that appeared since it was checked; the fault code is unverified).
    private func sendDelete(_ id: String, operation: String) async throws(StorageError) {
        let path = snapshotPath(id)
        let response = try await connection.send(.delete, path, operation: operation, retry: .idempotentDelete)
        if [200, 202, 204].contains(response.status) { return }
        if response.status == 404 {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation, status: 404,
                message: "snapshot \(id) of share \(shareName) not found: \(ZFSSAWire.faultText(response))")
        }
        if let again = try? await snapshotRecord(id, operation: operation) {
            if let clones = again.numclones?.value, clones > 0 {
                throw StorageError(
                    .hasClones, vendor: vendor, operation: operation, status: response.status,
                    message: "snapshot \(id) has \(clones) clone(s): \(ZFSSAWire.faultText(response))")
            }
            if again.isRetained {
                let until = again.lockedUntil.map { " until \(DisplayFormat.utcTimestamp($0)) UTC" } ?? ""
                throw StorageError(
                    .locked, vendor: vendor, operation: operation, status: response.status,
                    message:
                        "snapshot \(id) is retained\(until) (retentionpolicy=\(again.retentionpolicy ?? "?")): \(ZFSSAWire.faultText(response))"
                )
            }
        }
        throw failure(response, .delete, path, operation: operation, notFound: "snapshot \(id)")
    }

    /// One snapshot record of this share; `.notFound` when missing.
    func snapshotRecord(_ id: String, operation: String) async throws(StorageError) -> ZFSSAWire.SnapshotRecord {
        let path = snapshotPath(id)
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try expect(response, [200], .get, path, operation: operation, notFound: "snapshot \(id) of share \(shareName)")
        guard let envelope = ZFSSAWire.decode(ZFSSAWire.SnapshotEnvelope.self, from: response.body) else {
            throw unexpected(response, operation: operation, what: "a snapshot")
        }
        return envelope.snapshot
    }

    // MARK: Clones

    /// Clones snapshot `id` into share `<cloneName>` of the same project (inheriting its NFS settings). Throws
    /// `.notFound` for an unknown snapshot and `.alreadyExists` when the name is taken.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try checkName(cloneName, operation: operation)
        let path = "\(snapshotPath(id))/clone"
        let body: JSONValue = ["project": .string(project), "share": .string(cloneName)]
        let response = try await connection.send(.put, path, body: body, operation: operation, retry: .once)
        try expect(
            response, [201, 200], .put, path, operation: operation, notFound: "snapshot \(id) of share \(shareName)")
        let record = ZFSSAWire.decode(ZFSSAWire.FilesystemEnvelope.self, from: response.body)?.filesystem
        logger.info("Created clone \(cloneName) of \(shareName)@\(id)")
        return Clone(
            name: cloneName, originVolume: volumeName, originSnapshot: record?.origin?.snapshot ?? id,
            mountPoint: record?.mountpoint)
    }

    /// Filesystems of the project whose origin is a snapshot of this share.
    public func listClones() async throws(StorageError) -> [Clone] {
        let operation = "listClones"
        let path = "\(projectPath)/filesystems"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try expect(response, [200], .get, path, operation: operation, notFound: "project \(pool)/\(project)")
        guard let list = ZFSSAWire.decode(ZFSSAWire.FilesystemList.self, from: response.body) else {
            throw unexpected(response, operation: operation, what: "a filesystem list")
        }
        return list.filesystems.compactMap { record in
            guard let origin = record.origin, isOwnOrigin(origin), let snapshot = origin.snapshot else { return nil }
            return Clone(
                name: record.name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.mountpoint)
        }
    }

    /// The filesystem `name` after the ownership checks: `.notFound`, `.notAClone` (no origin) or `.notOwned` (a clone
    /// of another share or project).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, operation: "cloneInfo")
    }

    /// Deletes the clone `name` after the same ownership checks as ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        _ = try await ownedClone(name, operation: operation)
        let path = filesystemPath(name)
        let response = try await connection.send(.delete, path, operation: operation, retry: .idempotentDelete)
        guard [200, 202, 204].contains(response.status) else {
            throw failure(response, .delete, path, operation: operation, notFound: "clone \(name)")
        }
        logger.info("Dropped clone \(name)")
    }

    /// `<mount host>:<mountpoint>`; `/export/<project>/<clone>` when the clone's mount point is unknown.
    public func mountString(clone: Clone) -> String {
        "\(mountHost):\(clone.mountPoint ?? "/export/\(project)/\(clone.name)")"
    }

    /// The filesystem `name`, checked to be a clone of this share (R-07): `.notAClone` or `.notOwned` otherwise.
    func ownedClone(_ name: String, operation: String) async throws(StorageError) -> Clone {
        let record = try await filesystemRecord(name, operation: operation)
        guard let origin = record.origin, let snapshot = origin.snapshot else {
            throw StorageError(
                .notAClone, vendor: vendor, operation: operation,
                message: "filesystem \(pool)/\(project)/\(name) is not a clone; refusing")
        }
        guard isOwnOrigin(origin) else {
            let originText = "\(origin.project ?? "?")/\(origin.share ?? "?")@\(snapshot)"
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(name) is a clone of \(originText), not of share \(shareName); refusing")
        }
        return Clone(
            name: record.name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.mountpoint)
    }

    private func isOwnOrigin(_ origin: ZFSSAWire.Origin) -> Bool {
        origin.share == volumeName && origin.project == project && (origin.pool == nil || origin.pool == pool)
    }

    func filesystemRecord(_ name: String, operation: String) async throws(StorageError) -> ZFSSAWire.FilesystemRecord {
        let path = filesystemPath(name)
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try expect(response, [200], .get, path, operation: operation, notFound: "filesystem \(pool)/\(project)/\(name)")
        guard let envelope = ZFSSAWire.decode(ZFSSAWire.FilesystemEnvelope.self, from: response.body) else {
            throw unexpected(response, operation: operation, what: "a filesystem")
        }
        return envelope.filesystem
    }

    // MARK: Volume

    /// Creates the share `<db>` in the project; `.alreadyExists` when it exists, `.notFound` without the project.
    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        try checkName(volumeName, operation: operation)
        let path = "\(projectPath)/filesystems"
        let response = try await connection.send(
            .post, path, body: ["name": .string(volumeName)], operation: operation, retry: .once)
        // The reference compared the status wrongly and always reported failure (R-07).
        try expect(response, [201], .post, path, operation: operation, notFound: "project \(pool)/\(project)")
        let record = ZFSSAWire.decode(ZFSSAWire.FilesystemEnvelope.self, from: response.body)?.filesystem
        logger.info("Created share \(shareName)")
        return Volume(name: volumeName, mountPoint: record?.mountpoint, spaceUsed: record?.spaceData?.value)
    }

    /// The share's mount point and its `space_data` in bytes; `.notFound` when the share is missing.
    public func volumeInfo() async throws(StorageError) -> Volume {
        let record = try await filesystemRecord(volumeName, operation: "volumeInfo")
        return Volume(name: volumeName, mountPoint: record.mountpoint, spaceUsed: record.spaceData?.value)
    }

    // MARK: Helpers

    var shareName: String { "\(pool)/\(project)/\(volumeName)" }

    private func checkName(_ name: String, operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "'\(name)' is not a valid name (letters, digits, . _ : - only)")
        }
    }

    private func snapshot(from record: ZFSSAWire.SnapshotRecord, operation: String) throws(StorageError) -> Snapshot {
        guard let text = record.creation, let creation = ZFSSAWire.parseCreation(text) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "snapshot \(record.name) has an unreadable creation time '\(record.creation ?? "")'")
        }
        var unique = record.spaceUnique?.value
        let total = record.spaceData?.value
        if let u = unique, let t = total, u > t { unique = t }
        return Snapshot(
            id: record.name, creation: creation, spaceTotal: total, spaceUnique: unique,
            cloneCount: record.numclones.map { Int(clamping: $0.value) }, isLocked: record.isRetained,
            location: SnapshotLocation(listedBy: listingIdentity, copies: [.init(volume: shareName)]),
            lockedUntil: record.isRetained ? record.lockedUntil : nil)
    }

    /// How this driver names itself in ``SnapshotLocation/listedBy``: the share it lists.
    var listingIdentity: String { "\(vendor):\(shareName)" }

    /// Throws the mapped error unless the status is one of `accepted`.
    func expect(
        _ response: HTTPResponse, _ accepted: Set<Int>, _ method: HTTPMethod, _ path: String, operation: String,
        notFound: String
    ) throws(StorageError) {
        guard !accepted.contains(response.status) else { return }
        throw failure(response, method, path, operation: operation, notFound: notFound)
    }

    /// A `StorageError` for a refused request: vendor, operation, status and the appliance's fault.
    func failure(
        _ response: HTTPResponse, _ method: HTTPMethod, _ path: String, operation: String, notFound: String
    ) -> StorageError {
        let fault = ZFSSAWire.faultText(response)
        let code: StorageError.Code
        var subject = ""
        switch response.status {
        case 404:
            code = .notFound
            subject = "\(notFound) not found; "
        case 401, 403: code = .permissionDenied
        case 409:
            let message = ZFSSAWire.faultMessage(response)
            code = message == "ERR_OBJECT_EXISTS" || message == nil ? .alreadyExists : .unexpectedResponse
        case 400: code = ZFSSAWire.faultMessage(response) == "ERR_INVALID_ARG" ? .invalidName : .unexpectedResponse
        case 500...599: code = .serverError
        default: code = .unexpectedResponse
        }
        logger.log(
            level: response.status == 404 ? .debug : .error, "\(method.rawValue) to \(path) returned \(response.status)"
        )
        return StorageError(
            code, vendor: vendor, operation: operation, status: response.status,
            message: "\(subject)\(method.rawValue) \(path) returned \(response.status): \(fault)")
    }

    func unexpected(_ response: HTTPResponse, operation: String, what: String) -> StorageError {
        StorageError(
            .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
            message: "expected \(what), got: \(String(response.text.prefix(300)))")
    }
}
