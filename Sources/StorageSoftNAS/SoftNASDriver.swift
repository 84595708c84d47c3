import ConfigModel
import Foundation
import Logging
import StorageKit

/// Storage driver for the SoftNAS (Buurst) web API (storage-apis §4, reference §4.6).
///
/// The database's backup area is the volume `<db>` in `pool`. Every operation is one session of its own, as the
/// original's: `POST login.php` (form `username`, `password`; the appliance sets a session cookie), the
/// `snserver/snserv.php` command(s) with that cookie, `GET logout.php`. A reply counts only when it says
/// `"success": true`, whatever the HTTP status.
///
/// The appliance chooses snapshot names itself: `createSnapshot(named:)` ignores the name it is given and reads
/// the real one from the reply's `msg` (`… '<pool>/<db>@<name>' …`); a reply that names no snapshot of this volume
/// is an error, never a guess. SoftNAS cannot create named clones, so this driver has no clone capability: the
/// clone calls throw `.unsupported`, `dropClone` included (the original's `dropclone` deleted any volume by
/// name, the backup volume itself too), and the tools refuse autorestore, restore and snapper's clone actions up
/// front.
///
/// Settings: ``SoftNASConfiguration``, read from `[softnas]`. Credentials: `softnascredentials.cfg`
/// (`[credentials]` `user`, `password`).
public struct SoftNASDriver: StorageDriver {
    /// The driver's name in `snappermodule`/`snapperclass` and in errors: `softnas`.
    public static let vendorName = "softnas"

    /// The database (configuration section) this instance serves: its volume is `<pool>/<db>`.
    public let volumeName: String
    /// `pool` (or the database's `softnaspool`): the storage pool holding the database volumes.
    public let pool: String
    /// `https://<serveraddress>/softnas`.
    public let baseURL: String
    /// Receives the driver's messages and the HTTP requests (credentials and session cookies never appear).
    public let logger: Logger
    let http: ApplianceHTTPClient
    let credential: StorageCredential

    /// `softnas`.
    public var vendor: String { Self.vendorName }
    /// Server-named snapshots, space figures (`refer` as total) and volume creation; no clones
    /// (``descriptor``'s capabilities).
    public var capabilities: StorageCapabilities { Self.descriptor.capabilities }

    /// - Parameters:
    ///   - serverAddress: the appliance, as `serveraddress` gives it: `host`, `host:port` or `https://host[:port]`.
    public init(
        volumeName: String, serverAddress: String, pool: String, credential: StorageCredential,
        transport: any HTTPTransport, timeout: Duration = .seconds(300),
        retryPolicy: HTTPRetryPolicy = HTTPRetryPolicy(),
        logger: Logger
    ) throws(StorageError) {
        if let problem = Self.serverAddressProblem(serverAddress) {
            throw StorageError(.invalidConfiguration, vendor: Self.vendorName, operation: "configure", message: problem)
        }
        if let problem = Self.poolProblem(pool) {
            throw StorageError(.invalidConfiguration, vendor: Self.vendorName, operation: "configure", message: problem)
        }
        self.volumeName = volumeName
        self.pool = pool
        self.baseURL = Self.baseURL(serverAddress: serverAddress)
        self.logger = logger
        self.credential = credential
        // The login form carries the password percent-encoded: both spellings are masked wherever text is shown.
        let encodedPassword = ApplianceHTTPClient.encodePathComponent(credential.password)
        self.http = ApplianceHTTPClient(
            vendor: Self.vendorName, baseURL: baseURL, transport: transport, logger: logger, timeout: timeout,
            retryPolicy: retryPolicy, secrets: [credential.password, encodedPassword])
    }

    /// How `softnas` appears in `backup.cfg`: module, class and section `softnas`; its keys; the credentials in
    /// `softnascredentials.cfg` (`[credentials]` `user`, `password`); its capabilities (no clones), declared here
    /// only.
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, requiredKeys: ["serveraddress", "pool"],
        optionalKeys: ["cacert", "insecure", "timeout", "retries", "retrybackoff", "allowplainhttp"],
        endpointKey: "serveraddress",
        credentials: StorageCredentialsLayout(file: "softnascredentials.cfg", section: "credentials"),
        capabilities: [.serverNamedSnapshots, .spaceUsage, .createVolume],
        keyReference: ApplianceConnectionSettings.keyReference(
            section: vendorName, endpointKey: "serveraddress",
            endpointMeaning: "The appliance: `host`, `host:port` or `https://host[:port]`.", readBy: "driver softnas")
            + [
                ConfigKeyReference(
                    "pool", section: vendorName, requiredFor: "snapshots",
                    meaning: "The storage pool holding one volume per database.", readBy: "driver softnas")
            ])

    /// Builds the driver of `context.databaseName` from its configuration and credentials; does no I/O.
    public init(
        configuration: SoftNASConfiguration, context: StorageDriverContext,
        transport makeTransport: HTTPTransportFactory
    ) throws(StorageError) {
        let vendor = Self.vendorName
        let credential = try context.requiredCredentials(
            vendor: vendor, file: Self.descriptor.credentials?.file ?? "softnascredentials.cfg")
        let connection = configuration.connection
        let transport = try makeTransport(connection.transportOptions(vendor: vendor, logger: context.logger))
        try self.init(
            volumeName: context.databaseName, serverAddress: connection.endpoint, pool: configuration.pool,
            credential: credential, transport: transport, timeout: connection.timeout,
            retryPolicy: connection.retryPolicy, logger: context.logger)
    }

    /// Registers `softnas` in `registry`, building transports with `transport`
    /// (e.g. `CurlTransport.factory` from StorageHTTP).
    public static func register(in registry: inout StorageDriverRegistry, transport: @escaping HTTPTransportFactory) {
        registry.register(descriptor, configuration: SoftNASConfiguration.self) {
            configuration, context throws(StorageError) in
            try SoftNASDriver(configuration: configuration, context: context, transport: transport)
        }
    }

    /// `https://<address>/softnas` for a bare `host[:port]`; `<address>/softnas` for an `http(s)://` URL.
    public static func baseURL(serverAddress: String) -> String {
        var root = serverAddress.trimmingCharacters(in: .whitespaces)
        while root.hasSuffix("/") { root.removeLast() }
        let lower = root.lowercased()
        if !lower.hasPrefix("https://") && !lower.hasPrefix("http://") { root = "https://" + root }
        return root + "/softnas"
    }

    /// Why `address` cannot be a `serveraddress`, or `nil` when it can: `host`, `host:port`, or
    /// `http[s]://host[:port][/]` (the driver adds `/softnas`). The value is repeated only when it holds no `@`.
    public static func serverAddressProblem(_ address: String) -> String? {
        let shown = address.contains("@") ? "(value not shown)" : "'\(address)'"
        let expected = "serveraddress must be the appliance's host, host:port or https://host[:port], not \(shown)"
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isWhitespace || $0 == "@" }) else { return expected }
        guard let components = URLComponents(string: baseURL(serverAddress: trimmed)),
            let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil,
            components.path == "/softnas"
        else { return expected }
        return nil
    }

    /// Why `pool` cannot be a SoftNAS pool name, or `nil`.
    static func poolProblem(_ pool: String) -> String? {
        SnapshotNaming.isPortableName(pool)
            ? nil : "pool must be a pool name (letters, digits, . _ : -), not '\(pool)'"
    }

    // MARK: Sessions

    /// One operation: log in, `body`, log out (also when `body` fails).
    func inSession<T>(_ operation: String, _ body: (inout SoftNASSession) async throws(StorageError) -> T)
        async throws(StorageError) -> T
    {
        var session = try await SoftNASSession.open(http: http, credential: credential, operation: operation)
        let result: Result<T, StorageError>
        do {
            result = .success(try await body(&session))
        } catch {
            result = .failure(error)
        }
        await session.close()
        return try result.get()
    }

    // MARK: Snapshots

    /// `<pool>/<db>`, the volume as the appliance names it.
    public var volumePath: String { "\(pool)/\(volumeName)" }

    /// Snapshots of the volume in the appliance's order: `creation` (epoch seconds), `refer` as total; unique bytes
    /// unknown; clone count 0 (SoftNAS has no named clones, and this tool makes none). Throws `.refused` when the
    /// appliance does not know the volume.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        return try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            try await snapshots(&session, operation: operation)
        }
    }

    func snapshots(_ session: inout SoftNASSession, operation: String) async throws(StorageError) -> [Snapshot] {
        try checkName(volumeName, operation: operation)
        let answer = try await session.command(
            "snapshotlist", .form([("pool_name", volumePath)]), retry: .idempotent)
        let records = try answer.records(
            SoftNASSnapshotRecord.self, vendor: vendor, operation: operation, opcode: "snapshotlist"
        ).records
        var result: [Snapshot] = []
        for record in records {
            // The listing was asked for this volume; a record that says otherwise is not ours.
            if let volume = record.volumeName, volume != volumeName { continue }
            if let recordPool = record.poolName, recordPool != pool { continue }
            guard let epoch = record.creation?.value else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message: "snapshot \(record.snapshotName) of \(volumePath) has no readable creation time")
            }
            result.append(
                Snapshot(
                    id: record.snapshotName, creation: Date(timeIntervalSince1970: TimeInterval(epoch)),
                    spaceTotal: record.refer.map { max(0, $0.value) }, spaceUnique: nil, cloneCount: 0,
                    location: SnapshotLocation(listedBy: listingIdentity, copies: [.init(volume: volumePath)])))
        }
        return result
    }

    /// Takes a snapshot of the volume. The appliance names it: `name` is ignored, and the real name is read from the
    /// reply's `msg` (the text between `<pool>/<db>@` and the next `'`), then looked up in a listing in the same
    /// session for its creation time and size.
    /// - Throws: `.unexpectedResponse` when the reply names no snapshot of this volume (the snapshot may exist: list
    ///   the snapshots to see), or names one the listing does not show; `.refused` when the appliance refuses.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        return try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            try checkName(volumeName, operation: operation)
            let answer = try await session.command(
                "snapcommand", .form([("command", "create"), ("pool_name", pool), ("volume_name", volumeName)]),
                retry: .once)
            let message = answer.response.redacted(answer.reply.msg ?? "")
            guard let created = Self.snapshotName(inMessage: message, volumePath: volumePath) else {
                logger.error("SoftNAS created a snapshot of \(volumePath) but its reply names none: '\(message)'")
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation, status: answer.response.status,
                    message:
                        "the appliance reported success but its message names no snapshot of \(volumePath) (expected '\(volumePath)@<name>'): '\(message)'; list the snapshots to see what was created"
                )
            }
            logger.info("Created snapshot \(created) of \(volumePath) (named by the appliance)")
            let listed: [Snapshot]
            do {
                listed = try await snapshots(&session, operation: operation)
            } catch {
                logger.warning(
                    "Snapshot \(created) was created, but listing it failed (\(error)); its creation time is this host's"
                )
                return Snapshot(
                    id: created, creation: Date(), cloneCount: 0,
                    location: SnapshotLocation(listedBy: listingIdentity, copies: [.init(volume: volumePath)]))
            }
            guard let snapshot = listed.first(where: { $0.id == created }) else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message:
                        "the appliance reported snapshot '\(created)' of \(volumePath), but its listing does not show it (message: '\(message)')"
                )
            }
            return snapshot
        }
    }

    /// The snapshot name in a `snapcommand create` message: the text between the first `@` and the next `'`,
    /// accepted only when the text before the `@` (back to the quote or blank that opens it) is `volumePath`
    /// (`<pool>/<db>`) or the bare volume name, and the name is a plain snapshot name. `nil` otherwise.
    public static func snapshotName(inMessage message: String, volumePath: String) -> String? {
        guard let at = message.firstIndex(of: "@") else { return nil }
        let after = message[message.index(after: at)...]
        guard let quote = after.firstIndex(of: "'") else { return nil }
        let name = String(after[..<quote])
        guard !name.isEmpty, SnapshotNaming.isPortableName(name) else { return nil }
        // What the name belongs to: the text before the `@`, back to the quote or blank that opens it.
        let before = message[..<at]
        let opening = before.lastIndex(where: { $0 == "'" || $0 == " " || $0 == "\"" }).map { before.index(after: $0) }
        let owner = String(before[(opening ?? before.startIndex)...])
        guard owner == volumePath || owner == volumePath.split(separator: "/").last.map(String.init) else { return nil }
        return name
    }

    /// Deletes snapshot `id` of the volume after finding it in the volume's listing (same session).
    /// Throws `.notFound` when the volume has no such snapshot, `.refused` when the appliance refuses.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            let listed = try await snapshots(&session, operation: operation)
            guard listed.contains(where: { $0.id == id }) else {
                throw StorageError(
                    .notFound, vendor: vendor, operation: operation,
                    message: "snapshot \(id) of volume \(volumePath) not found")
            }
            try await delete(id, in: &session, operation: operation)
        }
    }

    /// Retention's delete: the listing stands for a fresh look-up (one session with one command). A snapshot
    /// without a location (not from a listing) takes `deleteSnapshot(id:)`.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        guard snapshot.location != nil else { return try await deleteSnapshot(id: snapshot.id) }
        if let refusal = listedDeletionRefusal(snapshot, listedBy: listingIdentity) { throw refusal }
        let operation = "deleteSnapshot"
        try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            try await delete(snapshot.id, in: &session, operation: operation)
        }
    }

    private func delete(_ id: String, in session: inout SoftNASSession, operation: String) async throws(StorageError) {
        try checkName(id, operation: operation)
        let target: JSONValue = [
            ["snapshot_name": .string(id), "pool_name": .string(pool), "volume_name": .string(volumeName)]
        ]
        _ = try await session.command(
            "snapcommand",
            .form([("command", "delete"), ("snapshots", String(decoding: target.bytes, as: UTF8.self))]),
            retry: .once)
        logger.info("Deleted snapshot \(id) of \(volumePath)")
    }

    // MARK: Volume

    /// Creates the volume `<db>` in the pool: a thin filesystem volume exported over NFS, compression on (as the
    /// original). Throws `.alreadyExists` when the pool has it already.
    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        return try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            try checkName(volumeName, operation: operation)
            if try await volumeRecord(&session, operation: operation) != nil {
                throw StorageError(
                    .alreadyExists, vendor: vendor, operation: operation,
                    message: "volume \(volumePath) exists already")
            }
            let fields: [String: JSONValue] = [
                "vol_name": .string(volumeName), "pool": .string(pool), "vol_type": "filesystem",
                "provisioning": "thin", "exportNFS": "on", "compression": "on",
            ]
            _ = try await session.command("createvolume", .json(fields), retry: .once)
            logger.info("Created volume \(volumePath)")
            let record = try? await volumeRecord(&session, operation: operation)
            return Volume(name: volumeName, mountPoint: record?.path, spaceUsed: record?.used?.value)
        }
    }

    /// The volume's NFS path (`vol_path`) and used bytes; `.notFound` when the pool has no such volume.
    public func volumeInfo() async throws(StorageError) -> Volume {
        let operation = "volumeInfo"
        return try await inSession(operation) { (session: inout SoftNASSession) async throws(StorageError) in
            guard let record = try await volumeRecord(&session, operation: operation) else {
                throw StorageError(
                    .notFound, vendor: vendor, operation: operation, message: "volume \(volumePath) not found")
            }
            return Volume(name: volumeName, mountPoint: record.path, spaceUsed: record.used?.value)
        }
    }

    /// The record of this volume from `volumes` (paged by `start`/`limit`; exact name and pool), or `nil`.
    func volumeRecord(_ session: inout SoftNASSession, operation: String) async throws(StorageError)
        -> SoftNASVolumeRecord?
    {
        let limit = 10000
        var start = 0
        for _ in 0..<100 {
            let answer = try await session.command(
                "volumes", .form([("start", String(start)), ("limit", String(limit)), ("pool", pool)]),
                retry: .idempotent)
            let (records, total) = try answer.records(
                SoftNASVolumeRecord.self, vendor: vendor, operation: operation, opcode: "volumes")
            if let found = records.first(where: { $0.name == volumeName && ($0.pool == nil || $0.pool == pool) }) {
                return found
            }
            start += records.count
            guard !records.isEmpty, let total, Int64(start) < total else { return nil }
        }
        return nil
    }

    // MARK: Helpers

    /// How this driver names itself in ``SnapshotLocation/listedBy``: the appliance and the volume it lists.
    var listingIdentity: String { "\(vendor):\(baseURL)/\(volumePath)" }

    private func checkName(_ name: String, operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "'\(name)' is not a valid name (letters, digits, . _ : - only)")
        }
    }
}
