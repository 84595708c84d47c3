import ConfigModel
import Foundation
import Logging
import StorageKit

/// Storage driver for Huawei OceanStor Dorado through the DeviceManager REST API (storage-apis §5, reference
/// §4.7).
///
/// The database's backup area is the file system `<db>` in the configured vStore, exported as `/<db>/`.
/// Snapshots are file-system snapshots named `<db>-<UTC YYYYmmddTHHMMSS>`; clones are clone file systems with an
/// NFS share `/<clone>/` and read-write access for `restorenfsclient`. Every name is matched exactly (the array's
/// `NAME::` filter, then again here), and only clone file systems whose parent is this database's file system are
/// ever dropped — the original could delete any file system in the vStore (R-08).
///
/// Settings: ``HuaweiDoradoConfiguration``, read from `[huaweidorado]`. Credentials: `DBBACKUPSUITE_HUAWEI_USER` /
/// `DBBACKUPSUITE_HUAWEI_PASSWORD`, then `~/.dbbackupsuite_storage.cfg` `[huaweicredentials]`, then
/// `huaweidoradocredentials.cfg` `[credentials]`.
public struct HuaweiDoradoDriver: StorageDriver {
    /// The driver's name in errors and logs: `huaweidorado` (module names `huawei` and `huaweidorado`).
    public static let vendorName = "huaweidorado"
    /// The longest file-system (clone, volume) name the driver sends (Huawei documents 1–255 characters;
    /// unverified).
    public static let maxFilesystemNameLength = 255
    /// Records asked for per page (`range=[start-end]`).
    static let pageSize = 100

    /// The database (configuration section) this instance serves: its file system is `<db>` in the vStore.
    public let volumeName: String
    /// `vstore`: the vStore holding the file systems.
    public let vstore: String
    /// `mounthost`: host part of mount strings.
    public let mountHost: String
    /// `restorenfsclient`: the NFS client granted access to new clones and volumes.
    public let restoreNFSClient: String
    /// `maxnamelength`: the longest snapshot name sent.
    public let maxNameLength: Int
    /// Receives the driver's messages and the HTTP requests (credentials and tokens redacted).
    public let logger: Logger
    /// The array's REST root (`url` with `/deviceManager/rest`): part of the listing identity, since internal ids
    /// mean other things on another array.
    let baseURL: String
    let connection: HuaweiDoradoConnection

    /// `huaweidorado`.
    public var vendor: String { Self.vendorName }
    /// Clones, clone listing and volume creation. No space figures (the API gives none for snapshots) and no locks
    /// (no API for secure snapshots is known).
    public var capabilities: StorageCapabilities { Self.descriptor.capabilities }

    /// - Parameters:
    ///   - url: the array's address, e.g. `https://dorado.example.com:8088` (`/deviceManager/rest` is appended
    ///     unless present).
    public init(
        volumeName: String, url: String, vstore: String, mountHost: String, restoreNFSClient: String,
        credential: StorageCredential, transport: any HTTPTransport, timeout: Duration = .seconds(300),
        retryPolicy: HTTPRetryPolicy = HTTPRetryPolicy(),
        maxNameLength: Int = HuaweiDoradoConfiguration.defaultMaxNameLength, logger: Logger
    ) throws(StorageError) {
        if let problem = Self.urlProblem(url) {
            throw StorageError(.invalidConfiguration, vendor: Self.vendorName, operation: "configure", message: problem)
        }
        var root = url
        while root.hasSuffix("/") { root.removeLast() }
        if !root.lowercased().hasSuffix("/devicemanager/rest") { root += "/deviceManager/rest" }
        self.volumeName = volumeName
        self.vstore = vstore
        self.mountHost = mountHost
        self.restoreNFSClient = restoreNFSClient
        self.maxNameLength = maxNameLength
        self.logger = logger
        self.baseURL = root
        let http = ApplianceHTTPClient(
            vendor: Self.vendorName, baseURL: root, transport: transport, logger: logger, timeout: timeout,
            retryPolicy: retryPolicy, secrets: [credential.password])
        connection = HuaweiDoradoConnection(http: http, credential: credential, sessions: HuaweiDoradoSessionStore())
    }

    /// How `huaweidorado` appears in `backup.cfg`: module `huawei` (the original's) or `huaweidorado`, class
    /// `HuaweiDorado`, section `[huaweidorado]`; credentials from the environment, the home file or
    /// `huaweidoradocredentials.cfg`. Capabilities: clones, clone listing and volume creation (no space figures, no
    /// locks).
    public static let descriptor = StorageDriverDescriptor(
        name: vendorName, moduleNames: ["huawei", "huaweidorado"], classNames: ["huaweidorado"],
        requiredKeys: ["url", "vstore", "mounthost", "restorenfsclient"],
        optionalKeys: [
            "cacert", "insecure", "timeout", "retries", "retrybackoff", "allowplainhttp", "maxnamelength",
        ],
        endpointKey: "url",
        credentials: StorageCredentialsLayout(
            file: "huaweidoradocredentials.cfg", section: "credentials",
            userVariable: "DBBACKUPSUITE_HUAWEI_USER", passwordVariable: "DBBACKUPSUITE_HUAWEI_PASSWORD",
            homeFile: ".dbbackupsuite_storage.cfg", homeFileSection: "huaweicredentials"),
        capabilities: [.clone, .listClones, .createVolume],
        keyReference: keyReference)

    /// The documentation of the `[huaweidorado]` keys (``descriptor``).
    static let keyReference: [ConfigKeyReference] = {
        func key(_ key: String, _ defaultValue: String? = nil, requiredFor: String? = nil, _ meaning: String)
            -> ConfigKeyReference
        {
            ConfigKeyReference(
                key, section: "huaweidorado", defaultValue: defaultValue, requiredFor: requiredFor, meaning: meaning,
                readBy: "driver huaweidorado")
        }
        return ApplianceConnectionSettings.keyReference(
            section: "huaweidorado", endpointKey: "url",
            endpointMeaning: "The array's address, e.g. `https://dorado01:8088` (`/deviceManager/rest` is appended).",
            readBy: "driver huaweidorado")
            + [
                key(
                    "vstore", requiredFor: "snapshots",
                    "The vStore holding one file system per database (matched exactly, case included)."),
                key(
                    "mounthost", requiredFor: "snapshots",
                    "The host part of mount strings (a logical port of the vStore)."),
                key(
                    "restorenfsclient", requiredFor: "snapshots",
                    "The NFS client (host name, IP address or `@netgroup`) granted read-write access to new clones and volumes."
                ),
                key(
                    "maxnamelength", "31",
                    "The longest snapshot name the array accepts (16–255), checked before anything is sent."),
            ]
    }()

    /// Builds the driver of `context.databaseName` from its configuration and credentials; does no I/O.
    public init(
        configuration: HuaweiDoradoConfiguration, context: StorageDriverContext,
        transport makeTransport: HTTPTransportFactory
    ) throws(StorageError) {
        let credential = try context.requiredCredentials(
            vendor: Self.vendorName, file: Self.descriptor.credentials?.file ?? "huaweidoradocredentials.cfg")
        let connection = configuration.connection
        let transport = try makeTransport(connection.transportOptions(vendor: Self.vendorName, logger: context.logger))
        try self.init(
            volumeName: context.databaseName, url: connection.endpoint, vstore: configuration.vstore,
            mountHost: configuration.mountHost, restoreNFSClient: configuration.restoreNFSClient,
            credential: credential, transport: transport, timeout: connection.timeout,
            retryPolicy: connection.retryPolicy, maxNameLength: configuration.maxNameLength, logger: context.logger)
    }

    /// Registers `huaweidorado` (modules `huawei`, `huaweidorado`) in `registry`, building transports with
    /// `transport` (e.g. `CurlTransport.factory` from StorageHTTP).
    public static func register(in registry: inout StorageDriverRegistry, transport: @escaping HTTPTransportFactory) {
        registry.register(descriptor, configuration: HuaweiDoradoConfiguration.self) {
            configuration, context throws(StorageError) in
            try HuaweiDoradoDriver(configuration: configuration, context: context, transport: transport)
        }
    }

    /// Why `url` cannot be the array's address, or `nil` when it can (`http[s]://host[:port][/]`).
    static func urlProblem(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["http", "https"].contains(scheme.lowercased()), let host = components.host, !host.isEmpty
        else {
            return "url must look like https://<array>:8088, not '\(SecretRedaction.maskingURLPassword(url))'"
        }
        return nil
    }

    /// The length of this driver's snapshot names for `database`: `<db>-YYYYmmddTHHMMSS`.
    static func snapshotNameLength(database: String) -> Int { database.count + 16 }

    /// Ends the array session (`DELETE sessions`), if one is open. The tools call it at the end of every run; a
    /// failed log-out is logged at debug level only (the session then ends by the array's own timeout).
    public func close() async {
        await connection.logout()
    }

    /// `<db>-<YYYYmmddTHHMMSS>` in **UTC** whatever `timeZone` says: the names must fit 31 characters and must not
    /// repeat when local clocks fall back an hour.
    public func snapshotName(for date: Date, timeZone: TimeZone) -> String {
        SnapshotNaming.snapshotName(volume: volumeName, date: date, timeZone: TimeZone(identifier: "UTC")!)
    }

    // MARK: Snapshots

    /// Snapshots of the file system, with `utcTimeStamp` as creation and the clone count from the vStore's clone
    /// file systems (the API gives no sizes). Throws `.notFound` when the vStore or file system is missing.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        let context = try await filesystemContext(operation: operation)
        let records = try await snapshotRecords(of: context, operation: operation)
        let clones = try await cloneRecords(of: context, operation: operation)
        return try records.map { record throws(StorageError) in
            try snapshot(from: record, context: context, clones: clones, operation: operation)
        }
    }

    /// Creates snapshot `name` of the file system. Throws `.invalidName` before sending anything when the name is
    /// longer than `maxnamelength` or has characters outside `A-Z a-z 0-9 . _ : -`, `.alreadyExists` when taken.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        try checkSnapshotName(name, operation: operation)
        let context = try await filesystemContext(operation: operation)
        let body: JSONValue = [
            "NAME": .string(name), "PARENTID": .string(context.filesystemID), "PARENTTYPE": "40",
            "vstoreId": .string(context.vstoreID),
        ]
        let reply = try await connection.send(.post, "FSSNAPSHOT", body: body, operation: operation, retry: .once)
        try expectSuccess(reply, operation: operation, subject: "snapshot \(name) of \(filesystemLabel)")
        logger.info("Created snapshot \(name) of \(filesystemLabel)")
        if let record = reply.record, record.name == name, HuaweiDoradoWire.creation(record) != nil {
            return try snapshot(from: record, context: context, clones: [], operation: operation)
        }
        guard let record = try await snapshotRecord(name, of: context, operation: operation) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "snapshot \(name) was created but is not listed for \(filesystemLabel)")
        }
        return try snapshot(from: record, context: context, clones: [], operation: operation)
    }

    /// Deletes snapshot `id` (its name) of the file system. Throws `.notFound` when there is none of that exact name
    /// (the original did nothing), `.hasClones` while a clone file system depends on it.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        let context = try await filesystemContext(operation: operation)
        guard let record = try await snapshotRecord(id, of: context, operation: operation), let snapshotID = record.id
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) of \(filesystemLabel) not found")
        }
        let clones = try await cloneRecords(of: context, operation: operation)
        let dependents = clones.filter { isClone($0, ofSnapshotID: snapshotID, name: id) }
        if !dependents.isEmpty {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message:
                    "snapshot \(id) of \(filesystemLabel) has \(dependents.count) clone(s) (\(dependents.compactMap(\.name).joined(separator: ", "))); drop them first"
            )
        }
        try await sendDelete(snapshotID: snapshotID, name: id, context: context, operation: operation)
    }

    /// Retention's delete: the listing's clone count and internal ids stand for fresh look-ups, so the snapshot
    /// costs one DELETE. A snapshot without a location takes ``deleteSnapshot(id:)``.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        guard let location = snapshot.location, let copy = location.copies.first, let snapshotID = copy.snapshotID,
            let filesystemID = copy.volumeID
        else { return try await deleteSnapshot(id: snapshot.id) }
        if let refusal = listedDeletionRefusal(snapshot, listedBy: listingIdentity) { throw refusal }
        let operation = "deleteSnapshot"
        let vstoreID = try await vstoreID(operation: operation)
        let context = FilesystemContext(vstoreID: vstoreID, filesystemID: filesystemID)
        try await sendDelete(snapshotID: snapshotID, name: snapshot.id, context: context, operation: operation)
    }

    /// `DELETE FSSNAPSHOT/<id>`. A refusal is checked against the clone list once more, to name a clone that
    /// appeared meanwhile.
    private func sendDelete(snapshotID: String, name: String, context: FilesystemContext, operation: String)
        async throws(StorageError)
    {
        let resource = "FSSNAPSHOT/\(encode(snapshotID))?\(query(context, []))"
        let reply = try await connection.send(.delete, resource, operation: operation, retry: .idempotentDelete)
        if reply.code == HuaweiDoradoWire.Code.success {
            logger.info("Deleted snapshot \(name) of \(filesystemLabel)")
            return
        }
        if reply.code == HuaweiDoradoWire.Code.snapshotNotFound {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message:
                    "snapshot \(name) of \(filesystemLabel) not found (error \(reply.code)): deleted meanwhile by someone else, or by an earlier attempt whose answer was lost"
            )
        }
        if let clones = try? await cloneRecords(of: context, operation: operation),
            clones.contains(where: { isClone($0, ofSnapshotID: snapshotID, name: name) })
        {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(name) has a clone: \(errorText(reply))")
        }
        try expectSuccess(reply, operation: operation, subject: "snapshot \(name)")
    }

    // MARK: Clones

    /// Clones snapshot `id` into file system `<cloneName>`, shares it as `/<cloneName>/` and grants
    /// `restorenfsclient` read-write access. When the share or the grant fails, what was made is removed again.
    /// Throws `.notFound` for an unknown snapshot, `.alreadyExists` when the name is taken.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try checkFilesystemName(cloneName, operation: operation)
        let context = try await filesystemContext(operation: operation)
        guard let snapshot = try await snapshotRecord(id, of: context, operation: operation),
            let snapshotID = snapshot.id
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) of \(filesystemLabel) not found")
        }
        if try await filesystemRecord(cloneName, vstoreID: context.vstoreID, operation: operation) != nil {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: operation,
                message: "a file system named \(cloneName) exists already in vStore \(vstore)")
        }
        let body: JSONValue = [
            "NAME": .string(cloneName), "ISCLONEFS": "true", "PARENTFILESYSTEMID": .string(context.filesystemID),
            "PARENTSNAPSHOTID": .string(snapshotID), "vstoreId": .string(context.vstoreID),
        ]
        let reply = try await connection.send(.post, "filesystem", body: body, operation: operation, retry: .once)
        try expectSuccess(reply, operation: operation, subject: "clone \(cloneName) of \(volumeName)@\(id)")
        let removal = Self.dropCloneCommand(database: volumeName, clone: cloneName)
        let cloneID: String
        do throws(StorageError) {
            cloneID = try await createdID(reply, clone: cloneName, vstoreID: context.vstoreID, operation: operation)
        } catch {
            logger.error("Creating clone \(cloneName) failed half-way (\(error)); removing what was made")
            await removeHalfMade(
                filesystemID: nil, name: cloneName, vstoreID: context.vstoreID, shareIDs: [],
                isOurs: { isOwnClone($0, context: context) }, removal: removal, operation: operation)
            throw error
        }
        let path = try await export(
            filesystemID: cloneID, name: cloneName, vstoreID: context.vstoreID, removal: removal,
            operation: operation)
        logger.info("Created clone \(cloneName) of \(volumeName)@\(id), exported as \(path)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: path)
    }

    /// Clone file systems of the vStore whose parent is this database's file system (by id, and by name where the
    /// array gives it), with their share paths.
    public func listClones() async throws(StorageError) -> [Clone] {
        let operation = "listClones"
        let context = try await filesystemContext(operation: operation)
        let snapshots = try await snapshotRecords(of: context, operation: operation)
        var clones: [Clone] = []
        for record in try await cloneRecords(of: context, operation: operation) {
            guard let name = record.name, let id = record.id else { continue }
            let path = try await shareRecords(filesystemID: id, vstoreID: context.vstoreID, operation: operation)
                .first?["SHAREPATH"]
            clones.append(
                Clone(
                    name: name, originVolume: volumeName, originSnapshot: originName(record, snapshots: snapshots),
                    mountPoint: path))
        }
        return clones
    }

    /// The clone `name` after the ownership checks: `.notFound`, `.notAClone` (not a clone file system) or
    /// `.notOwned` (a clone of another file system). The original's `filesystem_info` crashed (R-08).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        let operation = "cloneInfo"
        let owned = try await ownedClone(name, operation: operation)
        let path = try await shareRecords(
            filesystemID: owned.id, vstoreID: owned.context.vstoreID, operation: operation
        )
        .first?["SHAREPATH"]
        let snapshots = try await snapshotRecords(of: owned.context, operation: operation)
        return Clone(
            name: name, originVolume: volumeName, originSnapshot: originName(owned.record, snapshots: snapshots),
            mountPoint: path)
    }

    /// Drops the clone `name` after the checks of ``cloneInfo(name:)``: its NFS shares first, then the file system.
    /// Anything that is not a clone of this database's file system is refused; the original deleted any file system
    /// of that name in the vStore (R-08).
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        let owned = try await ownedClone(name, operation: operation)
        let vstoreID = owned.context.vstoreID
        for share in try await shareRecords(filesystemID: owned.id, vstoreID: vstoreID, operation: operation) {
            guard let shareID = share.id else { continue }
            let reply = try await connection.send(
                .delete, "NFSHARE/\(encode(shareID))?\(query(vstoreID: vstoreID, []))", operation: operation,
                retry: .idempotentDelete)
            try expectSuccess(
                reply, operation: operation, subject: "NFS share \(share["SHAREPATH"] ?? shareID) of \(name)")
        }
        let reply = try await connection.send(
            .delete, "filesystem/\(encode(owned.id))?\(query(vstoreID: vstoreID, []))", operation: operation,
            retry: .idempotentDelete)
        try expectSuccess(reply, operation: operation, subject: "clone \(name)")
        logger.info("Dropped clone \(name)")
    }

    /// `<mounthost>:<share path>`; `/<clone>/` when the share path is unknown.
    public func mountString(clone: Clone) -> String {
        "\(mountHost):\(clone.mountPoint ?? "/\(clone.name)/")"
    }

    /// The file system `name`, proven to be a clone of this database's file system.
    private func ownedClone(_ name: String, operation: String) async throws(StorageError)
        -> (id: String, record: HuaweiDoradoWire.Record, context: FilesystemContext)
    {
        let context = try await filesystemContext(operation: operation)
        guard let record = try await filesystemRecord(name, vstoreID: context.vstoreID, operation: operation),
            let id = record.id
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "file system \(name) not found in vStore \(vstore)")
        }
        guard record.isClone else {
            throw StorageError(
                .notAClone, vendor: vendor, operation: operation,
                message: "file system \(name) in vStore \(vstore) is not a clone; refusing")
        }
        guard isOwnClone(record, context: context) else {
            let parent = record["PARENTFILESYSTEMNAME"] ?? record["PARENTFILESYSTEMID"].map { "id \($0)" } ?? "?"
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(name) is a clone of file system \(parent), not of \(volumeName); refusing")
        }
        return (id, record, context)
    }

    /// Whether `record` is a clone whose parent is this database's file system: `ISCLONEFS` true, and the parent's
    /// id and name (each where given; at least one) equal to this file system's.
    private func isOwnClone(_ record: HuaweiDoradoWire.Record, context: FilesystemContext) -> Bool {
        guard record.isClone, record.id != context.filesystemID else { return false }
        let parentID = record["PARENTFILESYSTEMID"].flatMap { $0.isEmpty ? nil : $0 }
        let parentName = record["PARENTFILESYSTEMNAME"].flatMap { $0.isEmpty ? nil : $0 }
        guard parentID != nil || parentName != nil else { return false }
        if let parentID, parentID != context.filesystemID { return false }
        if let parentName, parentName != volumeName { return false }
        return true
    }

    private func isClone(_ record: HuaweiDoradoWire.Record, ofSnapshotID snapshotID: String, name: String) -> Bool {
        if let parent = record["PARENTSNAPSHOTID"], !parent.isEmpty { return parent == snapshotID }
        return record["PARENTSNAPSHOTNAME"] == name
    }

    /// The clone's origin snapshot name: from the snapshot listing by `PARENTSNAPSHOTID`, else
    /// `PARENTSNAPSHOTNAME`.
    private func originName(_ record: HuaweiDoradoWire.Record, snapshots: [HuaweiDoradoWire.Record]) -> String {
        if let parent = record["PARENTSNAPSHOTID"], let match = snapshots.first(where: { $0.id == parent }),
            let name = match.name
        {
            return name
        }
        return record["PARENTSNAPSHOTNAME"] ?? record["PARENTSNAPSHOTID"] ?? "?"
    }

    // MARK: Volume

    /// Creates the file system `<db>` with the original's settings, its share `/<db>/` and access for
    /// `restorenfsclient`; `.alreadyExists` when the name is taken.
    public func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        try checkFilesystemName(volumeName, operation: operation)
        let vstoreID = try await vstoreID(operation: operation)
        if try await filesystemRecord(volumeName, vstoreID: vstoreID, operation: operation) != nil {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: operation,
                message: "file system \(volumeName) exists already in vStore \(vstore)")
        }
        let body: JSONValue = [
            "NAME": .string(volumeName), "vstoreId": .string(vstoreID), "CAPACITY": 1_000_000_000, "SECTORSIZE": 8192,
            "ENABLECOMPRESSION": "true", "unixPermissions": "770", "ISSHOWSNAPDIR": "false", "PARENTID": "0",
            "AUTODELSNAPSHOTENABLE": "false", "ENABLEDEDUP": "true", "COMPRESSION": "1",
        ]
        let reply = try await connection.send(.post, "filesystem", body: body, operation: operation, retry: .once)
        try expectSuccess(reply, operation: operation, subject: "file system \(volumeName)")
        var createdID = reply.record?.id
        if createdID == nil {
            createdID = try await filesystemRecord(volumeName, vstoreID: vstoreID, operation: operation)?.id
        }
        guard let id = createdID else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "file system \(volumeName) was created but its id is unknown")
        }
        let path = try await export(
            filesystemID: id, name: volumeName, vstoreID: vstoreID,
            removal: "delete file system \(volumeName) and its NFS shares in vStore \(vstore) on the array",
            operation: operation)
        logger.info("Created file system \(filesystemLabel), exported as \(path)")
        return Volume(name: volumeName, mountPoint: path)
    }

    /// The file system and its share path; `.notFound` when it is missing.
    public func volumeInfo() async throws(StorageError) -> Volume {
        let operation = "volumeInfo"
        let context = try await filesystemContext(operation: operation)
        let path = try await shareRecords(
            filesystemID: context.filesystemID, vstoreID: context.vstoreID, operation: operation
        ).first?["SHAREPATH"]
        return Volume(name: volumeName, mountPoint: path)
    }

    /// Shares file system `filesystemID` as `/<name>/` and grants `restorenfsclient` read-write access
    /// (`ACCESSVAL` 1, `SYNC` 0, `ALLSQUASH` 1, `ROOTSQUASH` 1 as the original sent; see storage-apis §5.3). On a
    /// failure, whatever was made (shares, file system) is deleted again before the error is thrown
    /// (``removeHalfMade(filesystemID:name:vstoreID:shareIDs:isOurs:removal:operation:)``); `removal` says how to
    /// remove what a failed clean-up leaves.
    private func export(filesystemID: String, name: String, vstoreID: String, removal: String, operation: String)
        async throws(StorageError) -> String
    {
        let path = "/\(name)/"
        var shareID: String?
        do throws(StorageError) {
            let share: JSONValue = [
                "SHAREPATH": .string(path), "FSID": .string(filesystemID), "vstoreId": .string(vstoreID),
            ]
            let shared = try await connection.send(.post, "NFSHARE", body: share, operation: operation, retry: .once)
            try expectSuccess(shared, operation: operation, subject: "NFS share \(path)")
            var createdID = shared.record?.id
            if createdID == nil {
                createdID = try await shareRecords(filesystemID: filesystemID, vstoreID: vstoreID, operation: operation)
                    .first?.id
            }
            guard let id = createdID else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message: "NFS share \(path) was created but its id is unknown")
            }
            shareID = id
            let client: JSONValue = [
                "NAME": .string(restoreNFSClient), "PARENTID": .string(id), "vstoreId": .string(vstoreID),
                "ACCESSVAL": 1, "SYNC": 0, "ALLSQUASH": 1, "ROOTSQUASH": 1,
            ]
            let granted = try await connection.send(
                .post, "NFS_SHARE_AUTH_CLIENT", body: client, operation: operation, retry: .once)
            try expectSuccess(granted, operation: operation, subject: "access for \(restoreNFSClient) to \(path)")
            return path
        } catch {
            logger.error("Exporting \(name) failed (\(error)); removing what was made")
            await removeHalfMade(
                filesystemID: filesystemID, name: name, vstoreID: vstoreID, shareIDs: shareID.map { [$0] } ?? [],
                isOurs: { _ in true }, removal: removal, operation: operation)
            throw error
        }
    }

    /// The id of clone `clone` just created: from the POST's answer, else looked up by name; `.unexpectedResponse`
    /// when neither gives it.
    private func createdID(
        _ reply: HuaweiDoradoWire.Reply, clone: String, vstoreID: String, operation: String
    ) async throws(StorageError) -> String {
        if let id = reply.record?.id { return id }
        if let id = try await filesystemRecord(clone, vstoreID: vstoreID, operation: operation)?.id { return id }
        throw StorageError(
            .unexpectedResponse, vendor: vendor, operation: operation,
            message: "clone \(clone) was created but its id is unknown")
    }

    /// `snapper <db> dropclone <clone>`: what removes a clone a failed clean-up left behind.
    static func dropCloneCommand(database: String, clone: String) -> String {
        "snapper \(database) dropclone \(clone)"
    }

    /// Removes what a creation that failed half-way made: the NFS shares of the file system (those whose id is
    /// known, and those the array lists for its `FSID`, since a share whose answer was lost has no known id) first,
    /// then the file system (the array refuses to delete a file system with shares). When `filesystemID` is unknown,
    /// the file system is looked up by `name` and removed only when `isOurs` accepts it. Never throws: each step that
    /// fails is logged at error level, naming what remains and `removal`, the way to remove it.
    private func removeHalfMade(
        filesystemID knownID: String?, name: String, vstoreID: String, shareIDs: [String],
        isOurs: (HuaweiDoradoWire.Record) -> Bool, removal: String, operation: String
    ) async {
        let remains = "file system \(name) in vStore \(vstore) may remain; remove it with: \(removal)"
        var filesystemID = knownID
        if filesystemID == nil {
            do throws(StorageError) {
                guard let record = try await filesystemRecord(name, vstoreID: vstoreID, operation: operation) else {
                    logger.error("Clean-up: \(name) is not listed, nothing removed; if it exists, \(remains)")
                    return
                }
                guard isOurs(record), let id = record.id else {
                    logger.error("Clean-up: the listed \(name) is not the one just made; left alone")
                    return
                }
                filesystemID = id
            } catch {
                logger.error("Clean-up: looking \(name) up failed (\(error)); \(remains)")
                return
            }
        }
        guard let filesystemID else { return }
        var shares = shareIDs
        do throws(StorageError) {
            for share in try await shareRecords(filesystemID: filesystemID, vstoreID: vstoreID, operation: operation) {
                if let id = share.id, !shares.contains(id) { shares.append(id) }
            }
        } catch {
            logger.error("Clean-up: listing the NFS shares of \(name) failed (\(error)); trying the known ones")
        }
        for share in shares {
            if let failure = await cleanupDelete("NFSHARE/\(encode(share))?\(query(vstoreID: vstoreID, []))", operation)
            {
                logger.error(
                    "Clean-up: deleting NFS share \(share) of \(name) failed (\(failure)); the share and \(remains)")
                return
            }
        }
        if let failure = await cleanupDelete(
            "filesystem/\(encode(filesystemID))?\(query(vstoreID: vstoreID, []))", operation)
        {
            logger.error("Clean-up: deleting file system \(name) failed (\(failure)); \(remains)")
            return
        }
        logger.info("Clean-up: removed \(name) and its \(shares.count) NFS share(s) again")
    }

    /// A clean-up `DELETE`: `nil` when it succeeded (or the object is gone already), else why not.
    private func cleanupDelete(_ resource: String, _ operation: String) async -> String? {
        do {
            let reply = try await connection.send(.delete, resource, operation: operation, retry: .idempotentDelete)
            return reply.code == HuaweiDoradoWire.Code.success ? nil : errorText(reply)
        } catch {
            return "\(error)"
        }
    }

    // MARK: Look-ups

    /// The vStore and file-system ids every call needs.
    struct FilesystemContext: Sendable, Hashable {
        var vstoreID: String
        var filesystemID: String
    }

    /// The id of vStore `vstore`: its `NAME` must equal the setting exactly (case included); a name that differs
    /// only in case is named in the error. Cached per driver instance.
    func vstoreID(operation: String) async throws(StorageError) -> String {
        if let cached = await connection.sessions.cachedVStoreID() { return cached }
        let records = try await listAll("vstore", [], operation: operation, subject: "vStores")
        if let match = records.first(where: { $0.name == vstore }), let id = match.id {
            await connection.sessions.cache(vstoreID: id)
            return id
        }
        let nearly = records.compactMap(\.name).filter { $0.caseInsensitiveCompare(vstore) == .orderedSame }
        let hint =
            nearly.isEmpty ? "" : " (names are compared exactly; the array has \(nearly.joined(separator: ", ")))"
        throw StorageError(
            .notFound, vendor: vendor, operation: operation,
            message: "vStore \(vstore) not found\(hint); check vstore in [huaweidorado]")
    }

    /// The vStore id and this database's file-system id; `.notFound` when either is missing.
    func filesystemContext(operation: String) async throws(StorageError) -> FilesystemContext {
        let vstoreID = try await vstoreID(operation: operation)
        guard let record = try await filesystemRecord(volumeName, vstoreID: vstoreID, operation: operation),
            let id = record.id
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "file system \(volumeName) not found in vStore \(vstore)")
        }
        return FilesystemContext(vstoreID: vstoreID, filesystemID: id)
    }

    /// The file system named exactly `name` (`filter=NAME::`, re-checked here), or `nil` — never another one's
    /// id (the original returned the parent's id for a name it did not find, R-08).
    func filesystemRecord(_ name: String, vstoreID: String, operation: String) async throws(StorageError)
        -> HuaweiDoradoWire.Record?
    {
        let records = try await listAll(
            "filesystem", [("vstoreId", vstoreID), ("filter", "NAME::\(name)")], operation: operation,
            subject: "file system \(name)")
        let matches = records.filter { $0.name == name }
        guard matches.count <= 1 else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "vStore \(vstore) lists \(matches.count) file systems named \(name)")
        }
        return matches.first
    }

    /// The snapshots of the file system.
    private func snapshotRecords(of context: FilesystemContext, operation: String) async throws(StorageError)
        -> [HuaweiDoradoWire.Record]
    {
        try await listAll(
            "FSSNAPSHOT", [("vstoreId", context.vstoreID), ("PARENTID", context.filesystemID)], operation: operation,
            subject: "snapshots of \(filesystemLabel)"
        ).filter { ($0["PARENTID"] ?? context.filesystemID) == context.filesystemID }
    }

    /// The snapshot named exactly `name` of the file system, or `nil`.
    private func snapshotRecord(_ name: String, of context: FilesystemContext, operation: String)
        async throws(StorageError) -> HuaweiDoradoWire.Record?
    {
        try await listAll(
            "FSSNAPSHOT",
            [("vstoreId", context.vstoreID), ("PARENTID", context.filesystemID), ("filter", "NAME::\(name)")],
            operation: operation, subject: "snapshot \(name) of \(filesystemLabel)"
        ).first { $0.name == name && ($0["PARENTID"] ?? context.filesystemID) == context.filesystemID }
    }

    /// Every clone file system of the vStore whose parent is this database's file system (the array's
    /// `ISCLONEFS` filter is unreliable [ref], so the whole vStore is listed and filtered here).
    private func cloneRecords(of context: FilesystemContext, operation: String) async throws(StorageError)
        -> [HuaweiDoradoWire.Record]
    {
        try await listAll(
            "filesystem", [("vstoreId", context.vstoreID)], operation: operation, subject: "file systems"
        ).filter { isOwnClone($0, context: context) }
    }

    /// The NFS shares of file system `filesystemID` (`FSID` re-checked here: the filter may be fuzzy).
    private func shareRecords(filesystemID: String, vstoreID: String, operation: String) async throws(StorageError)
        -> [HuaweiDoradoWire.Record]
    {
        try await listAll(
            "NFSHARE", [("vstoreId", vstoreID), ("filter", "FSID::\(filesystemID)")], operation: operation,
            subject: "NFS shares"
        ).filter { $0["FSID"] == filesystemID }
    }

    /// Every record of `resource`, page by page (`range=[start-end]`): stops at a short page or one that brings no
    /// new id (arrays that count `end` inclusively repeat one record per page, which is dropped).
    private func listAll(_ resource: String, _ parameters: [(String, String)], operation: String, subject: String)
        async throws(StorageError) -> [HuaweiDoradoWire.Record]
    {
        var records: [HuaweiDoradoWire.Record] = []
        var seen: Set<String> = []
        var start = 0
        while true {
            let range = "[\(start)-\(start + Self.pageSize)]"
            let reply = try await connection.send(
                .get, "\(resource)?\(ApplianceHTTPClient.encodeQuery(parameters + [("range", range)]))",
                operation: operation, retry: .idempotent)
            try expectSuccess(reply, operation: operation, subject: subject)
            var added = 0
            for record in reply.records {
                if let id = record.id {
                    guard seen.insert(id).inserted else { continue }
                }
                records.append(record)
                added += 1
            }
            if reply.records.count < Self.pageSize || added == 0 { return records }
            start += Self.pageSize
        }
    }

    // MARK: Helpers

    var filesystemLabel: String { "\(vstore)/\(volumeName)" }

    /// How this driver names itself in ``SnapshotLocation/listedBy``: the array (its URL), the vStore and the file
    /// system it lists. A listing from another array (a replica with the same names) is refused: the snapshot ids in
    /// it are that array's.
    var listingIdentity: String { "\(vendor):\(baseURL)/\(filesystemLabel)" }

    private func encode(_ component: String) -> String { ApplianceHTTPClient.encodePathComponent(component) }

    private func query(_ context: FilesystemContext, _ more: [(String, String)]) -> String {
        query(vstoreID: context.vstoreID, more)
    }

    private func query(vstoreID: String, _ more: [(String, String)]) -> String {
        ApplianceHTTPClient.encodeQuery([("vstoreId", vstoreID)] + more)
    }

    private func snapshot(
        from record: HuaweiDoradoWire.Record, context: FilesystemContext, clones: [HuaweiDoradoWire.Record],
        operation: String
    ) throws(StorageError) -> Snapshot {
        guard let name = record.name, let id = record.id else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "a snapshot record of \(filesystemLabel) lacks NAME or ID")
        }
        guard let creation = HuaweiDoradoWire.creation(record) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "snapshot \(name) has an unreadable utcTimeStamp '\(record["utcTimeStamp"] ?? "")'")
        }
        let count = clones.filter { isClone($0, ofSnapshotID: id, name: name) }.count
        return Snapshot(
            id: name, creation: creation, spaceTotal: nil, spaceUnique: nil, cloneCount: count,
            location: SnapshotLocation(
                listedBy: listingIdentity,
                copies: [.init(volume: filesystemLabel, volumeID: context.filesystemID, snapshotID: id)]))
    }

    private func checkSnapshotName(_ name: String, operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "'\(name)' is not a valid snapshot name (letters, digits, . _ : - only)")
        }
        guard name.count <= maxNameLength else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message:
                    "snapshot name '\(name)' has \(name.count) characters; the array accepts at most \(maxNameLength) (maxnamelength in [huaweidorado]): use a database section name of at most \(maxNameLength - 16) characters"
            )
        }
    }

    private func checkFilesystemName(_ name: String, operation: String) throws(StorageError) {
        guard SnapshotNaming.isPortableName(name), name.count <= Self.maxFilesystemNameLength else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message:
                    "'\(name)' is not a valid file-system name (1-\(Self.maxFilesystemNameLength) letters, digits, . _ : -)"
            )
        }
    }

    /// `error.code` and description for messages.
    private func errorText(_ reply: HuaweiDoradoWire.Reply) -> String {
        reply.description.isEmpty ? "error \(reply.code)" : "error \(reply.code): \(reply.description)"
    }

    /// Throws unless `error.code` is 0, mapping the codes the driver knows.
    private func expectSuccess(_ reply: HuaweiDoradoWire.Reply, operation: String, subject: String)
        throws(StorageError)
    {
        guard reply.code != HuaweiDoradoWire.Code.success else { return }
        let code: StorageError.Code
        var what = subject
        switch reply.code {
        case HuaweiDoradoWire.Code.snapshotNotFound:
            code = .notFound
            what += " not found"
        case HuaweiDoradoWire.Code.wrongVStore:
            code = .notFound
            what += ": vStore \(vstore) not found"
        case HuaweiDoradoWire.Code.nameExists:
            code = .alreadyExists
            what += " exists already"
        case HuaweiDoradoWire.Code.nameLength, HuaweiDoradoWire.Code.nameCharacters: code = .invalidName
        case HuaweiDoradoWire.Code.systemBusy: code = .serverError
        case HuaweiDoradoWire.Code.unauthorized: code = .permissionDenied
        default:
            code =
                HuaweiDoradoWire.Code.wrongPassword.contains(reply.code)
                    || HuaweiDoradoWire.Code.accountLocked.contains(reply.code)
                ? .permissionDenied : .unexpectedResponse
        }
        logger.error("\(operation) of \(subject) failed: \(errorText(reply))")
        throw StorageError(code, vendor: vendor, operation: operation, message: "\(what) (\(errorText(reply)))")
    }
}
