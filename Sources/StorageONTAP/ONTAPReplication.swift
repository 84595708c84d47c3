import ConfigModel
import Foundation
import Logging
import StorageKit

/// The SnapMirror keys of an ONTAP replica, read from `[replication]` (per database `replication<key>`).
///
/// ```ini
/// [replication]
/// driver: ontap
/// filer: dr-cluster.example.com     # the destination cluster
/// svm: svm_dr                       # the destination SVM
/// volumeprefix: dr_                 # the destination volume is <volumeprefix><db>
/// snapmirrortype: vault             # mirror (default) or vault, as the relationship's policy
/// snapmirrorlabel: oib_backup       # the label a vault rule selects (default oib_backup)
/// snapmirrorrelationship: <uuid>    # optional: else found by its destination path svm:volume
/// ```
public struct ONTAPSnapMirrorSettings: Sendable, Hashable {
    /// What the relationship's policy does with the source's snapshots.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `MirrorAllSnapshots` and the like: the destination holds what the source holds; ONTAP deletes there what
        /// the source deleted, and refuses deletions at the destination.
        case mirror
        /// A vault policy (`XDPDefault` or one of the admin's): the snapshots whose `snapmirror_label` a rule names
        /// are copied and kept by the destination's own retention.
        case vault
    }

    /// `snapmirrortype`: `mirror` (default) or `vault`; the driver checks it against the relationship's policy.
    public var kind: Kind
    /// `snapmirrorlabel`: the label the tool gives a snapshot before it is transferred (default `oib_backup`).
    public var label: String
    /// `snapmirrorrelationship`: the relationship's UUID; `nil` finds it by its destination path `svm:volume`.
    public var relationship: String?
    /// Set when the replica's retention keys are given for a mirror, whose snapshots ONTAP manages.
    public var retentionWarning: String?

    /// The default `snapmirrorlabel`.
    public static let defaultLabel = "oib_backup"

    /// Settings given directly.
    public init(kind: Kind = .mirror, label: String = defaultLabel, relationship: String? = nil) {
        self.kind = kind
        self.label = label
        self.relationship = relationship
    }

    /// Reads the keys; for a mirror with the replica's retention keys (`snap…`) set, ``retentionWarning`` says
    /// that ONTAP manages a mirror destination's snapshots itself.
    public init(section: ConfigSection) throws(ConfigError) {
        let problems = ProblemCollector()
        var kind = Kind.mirror
        if let text = problems.read(nil, { () throws(ConfigError) in try section.string("snapmirrortype") }) {
            if let value = Kind(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) {
                kind = value
            } else {
                problems.add(section.problem("snapmirrortype", "must be mirror or vault, not '\(text)'"))
            }
        }
        var label = Self.defaultLabel
        if let text = problems.read(nil, { () throws(ConfigError) in try section.string("snapmirrorlabel") }) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if !Self.isValidLabel(trimmed) {
                problems.add(
                    section.problem(
                        "snapmirrorlabel", "must be 1–31 letters, digits, _ or - (ONTAP's label), not '\(text)'"))
            } else {
                label = trimmed
            }
        }
        let relationship = problems.read(nil) { () throws(ConfigError) -> String? in
            guard let text = try section.string("snapmirrorrelationship")?.trimmingCharacters(in: .whitespaces)
            else { return nil }
            guard text.count == 36, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw section.error("snapmirrorrelationship", "must be a relationship UUID, not '\(text)'")
            }
            return text.lowercased()
        }
        var warning: String?
        if kind == .mirror {
            let retention = section.keys.filter { $0.hasPrefix("snap") && !$0.hasPrefix("snapmirror") }
            if !retention.isEmpty {
                warning =
                    "\(section.file ?? "configuration"): [\(section.name)] snapmirrortype is mirror: ONTAP manages the destination's snapshots (they follow the source's, and ONTAP refuses deletions there), so the replica's retention keys (\(retention.joined(separator: ", "))) delete nothing; the database's own retention decides. Use a vault relationship (snapmirrortype: vault) for a retention of its own"
            }
        }
        try problems.check()
        self.init(kind: kind, label: label, relationship: relationship)
        retentionWarning = warning
    }
}

extension ONTAPSnapMirrorSettings {
    /// The label new snapshots get when `replication` (the `[replication]` section as the database sees it) makes
    /// an ontap replica: its `snapmirrorlabel` (default `oib_backup`); `nil` when the database does not replicate,
    /// replicates elsewhere, or the label is not a valid one (checkconfig names that problem in `[replication]`).
    static func creationLabel(replication: ConfigSection) -> String? {
        guard !replication.keys.isEmpty, (try? replication.bool("enabled", default: true)) ?? true else { return nil }
        if let driver = (try? replication.string("driver")) ?? nil,
            !["netapp", "ontap"].contains(driver.trimmingCharacters(in: .whitespaces).lowercased())
        {
            return nil
        }
        guard let label = ((try? replication.string("snapmirrorlabel")) ?? nil)?.trimmingCharacters(in: .whitespaces)
        else { return defaultLabel }
        return isValidLabel(label) ? label : nil
    }

    /// Whether ONTAP accepts `label` as a `snapmirror_label`: 1–31 letters, digits, `_`, `-`.
    static func isValidLabel(_ label: String) -> Bool {
        !label.isEmpty && label.count <= 31
            && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

extension ONTAPDriver {
    /// Whether `name` is one of SnapMirror's own snapshots (`snapmirror.<uuid>_<n>.<time>`): ONTAP's, never ours.
    static func isSnapMirrorSnapshot(_ name: String) -> Bool { name.hasPrefix("snapmirror.") }

    /// `.notOwned` for one of SnapMirror's snapshots.
    func refuseSnapMirrorSnapshot(_ id: String, operation: String) throws(StorageError) {
        if Self.isSnapMirrorSnapshot(id) {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(id) is SnapMirror's own snapshot, not one of this tool's; refusing")
        }
    }
}

extension ONTAPDriver: SnapshotReplicating {
    /// The driver of this database's volume at the SnapMirror destination: the cluster (`filer`), `svm` and
    /// `volumeprefix` of `configuration` (an ``ONTAPConfiguration`` read from `[replication]`, with its TLS
    /// settings), reached with this driver's account; see ``replicaDriver(configuration:credential:logger:)`` for
    /// the cluster's own.
    public func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver
    {
        try replicaDriver(configuration: configuration, credential: nil, logger: logger)
    }

    /// The destination cluster's driver, signed in with `replicaCredential` (`netappcredentials.cfg`
    /// `[replication]`) or, when `nil`, with this driver's account; its TLS settings (`cacert`, `insecure`) and
    /// timeouts are `[replication]`'s.
    /// - Parameters:
    ///   - configuration: `[replication]` read as an ONTAP section.
    ///   - replicaCredential: The destination cluster's account, or `nil`.
    ///   - logger: Receives the replica driver's messages.
    public func replicaDriver(
        configuration: any StorageSectionConfiguration, credential replicaCredential: StorageCredential?,
        logger: Logger
    ) throws(StorageError) -> any StorageDriver {
        guard let typed = configuration as? ONTAPConfiguration else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicaDriver",
                message: "\(type(of: configuration)) is not a configuration of ontap")
        }
        guard additionalSuffixes.isEmpty else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicaDriver",
                message:
                    "SnapMirror replication covers single-volume databases only; \(volumeName) has additionalvolumesuffixes"
            )
        }
        let siteTransport: any HTTPTransport
        if let replicaTransport {
            siteTransport = try replicaTransport(typed.connection.transportOptions(vendor: vendor, logger: logger))
        } else {
            siteTransport = transport
        }
        let site = try ONTAPDriver(
            volumeName: volumeName, filer: typed.connection.endpoint, volumePrefix: typed.volumePrefix,
            svm: typed.svm, mountHost: typed.mountHost, credential: replicaCredential ?? credential,
            transport: siteTransport,
            timeout: typed.connection.timeout, jobTimeout: typed.jobTimeout, retryPolicy: typed.connection.retryPolicy,
            api: .rest, logger: logger)
        return ONTAPReplicaDriver(site: site, settings: typed.snapMirror ?? ONTAPSnapMirrorSettings())
    }

    /// Brings the SnapMirror destination up to date so that it holds `snapshot`: labels the snapshot for the
    /// vault rule (`snapmirrorlabel`), starts a transfer on the relationship (`POST
    /// /api/snapmirror/relationships/{uuid}/transfers`), polls it until it ends or `timeout` passes (then aborts
    /// it), and confirms that the destination lists the snapshot. ONTAP sends everything the policy selects since
    /// the last common snapshot; `base` is only reported. A snapshot the destination holds already is returned
    /// without a transfer.
    /// - Throws: `.notFound` for a snapshot that is not this volume's, `.invalidConfiguration` for a relationship
    ///   that does not fit (another source, a broken-off one, another policy type than `snapmirrortype`, a vault
    ///   policy without a rule for the label), `.jobFailed` naming the relationship and ONTAP's reason,
    ///   `.timeout`.
    public func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    ) async throws(StorageError) -> ReplicatedSnapshot {
        let operation = "replicate"
        guard let target = replica as? ONTAPReplicaDriver else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "the replica of an ontap volume must be an ontap SnapMirror destination")
        }
        guard !isMultiVolume else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "SnapMirror replication covers single-volume databases only")
        }
        if try await usesZAPI(operation: operation) {
            throw StorageError(
                .unsupported, vendor: vendor, operation: operation,
                message: "SnapMirror replication needs ONTAP's REST API (9.6+): set ontapapi: rest")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let volume = try await databaseVolumes(operation: operation)[0]
        guard let record = try await snapshotRecord(named: snapshot.id, of: volume, operation: operation),
            !Self.isSnapMirrorSnapshot(snapshot.id)
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id) of \(volume.name) does not exist")
        }
        if let held = try await target.held(snapshot.id) {
            return ReplicatedSnapshot(id: held.id, creation: snapshot.creation, base: base?.id, seconds: 0)
        }
        let relationship = try await target.relationship(operation: operation)
        try checkSource(of: relationship, volume: volume, target: target, operation: operation)
        let policy = try await target.checkedPolicy(of: relationship, operation: operation)
        if policy.isVault {
            try await label(record, of: volume, as: target.settings.label, operation: operation)
        }
        let transfer = try await target.transfer(relationship, timeout: timeout, operation: operation) {
            () throws(StorageError) -> Bool in try await target.held(snapshot.id) != nil
        }
        logger.info(
            "SnapMirror transfer \(transfer) of relationship \(relationship.uuid) (\(relationship.source?.path ?? "?") → \(relationship.destination?.path ?? "?")) succeeded"
        )
        guard let arrived = try await target.held(snapshot.id) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message:
                    "SnapMirror transfer \(transfer) of relationship \(relationship.uuid) succeeded, but \(target.site.mainVolumeName) does not hold \(snapshot.id)\(policy.isVault ? " (does a rule of policy \(policy.name ?? "?") select label \(target.settings.label)?)" : "")"
            )
        }
        let elapsed = clock.now - started
        return ReplicatedSnapshot(
            id: arrived.id, creation: arrived.creation, base: base?.id,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Refuses a relationship whose source is not this database's volume.
    func checkSource(
        of relationship: ONTAPWire.RelationshipRecord, volume: ONTAPWire.VolumeRecord, target: ONTAPReplicaDriver,
        operation: String
    ) throws(StorageError) {
        let path = relationship.source?.path ?? ""
        let parts = path.split(separator: ":", maxSplits: 1).map(String.init)
        let svmName = svm ?? volume.svm?.name
        guard parts.count == 2, parts[1] == volume.name, svmName == nil || parts[0] == svmName else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "SnapMirror relationship \(relationship.uuid) (destination \(relationship.destination?.path ?? "?")) copies \(path.isEmpty ? "an unknown source" : path), not \(svmName ?? "*"):\(volume.name); check [replication] svm, volumeprefix and snapmirrorrelationship"
            )
        }
    }

    /// Sets `snapmirror_label` of a snapshot copy (a vault rule selects snapshots by it).
    func label(
        _ record: ONTAPWire.SnapshotRecord, of volume: ONTAPWire.VolumeRecord, as label: String, operation: String
    )
        async throws(StorageError)
    {
        let body: JSONValue = ["snapmirror_label": .string(label)]
        let response = try await http.send(
            .patch, "storage/volumes/\(volume.uuid)/snapshots/\(record.uuid)", body: body.bytes,
            headers: authorization, operation: operation, retry: .idempotent)
        try await finish(
            response, operation: operation, what: "label \(label) of snapshot \(record.name)",
            conflict: .unexpectedResponse)
        logger.debug("Labelled snapshot \(record.name) of \(volume.name) snapmirror_label=\(label)")
    }
}

/// A database's volume at a SnapMirror destination (a DP volume, usually on another cluster): the snapshots that
/// arrived, FlexClones of them for restore tests (`autorestore --from-replica`), and, on a vault, the deletion of
/// snapshots for the replica's retention. SnapMirror's own `snapmirror.*` snapshots are never listed nor deleted;
/// a mirror's snapshots are never deleted (ONTAP manages them and refuses).
public struct ONTAPReplicaDriver: StorageDriver {
    /// The destination volume's driver (its cluster, SVM and volume prefix).
    let site: ONTAPDriver
    /// `snapmirrortype`, `snapmirrorlabel`, `snapmirrorrelationship`.
    public let settings: ONTAPSnapMirrorSettings

    /// The database.
    public var volumeName: String { site.volumeName }
    /// `ontap`.
    public var vendor: String { ONTAPDriver.vendorName }
    /// FlexClones, clone listing and space figures; snapshots only arrive by transfer.
    public var capabilities: StorageCapabilities { [.clone, .listClones, .spaceUsage] }
    /// The destination volume, `<volumeprefix><db>` of `[replication]`.
    public var destinationVolume: String { site.mainVolumeName }

    /// The destination path `svm:volume` (`*` for an SVM not configured).
    public var destinationPath: String { "\(site.svm ?? "*"):\(site.mainVolumeName)" }

    /// The snapshots at the destination (SnapMirror's own left out), as the source named and dated them. At a
    /// mirror every snapshot is listed as locked: ONTAP holds it (it follows the source's) and refuses deleting it,
    /// so the replica's retention keeps it.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let listed = try await site.listSnapshots()
        guard settings.kind == .mirror else { return listed }
        return listed.map {
            var held = $0
            held.isLocked = true
            return held
        }
    }

    /// Refused: a destination's snapshots arrive by SnapMirror transfers.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        throw StorageError(
            .unsupported, vendor: vendor, operation: "createSnapshot",
            message: "\(destinationPath) is a SnapMirror destination: snapshots arrive by transfer")
    }

    /// Deletes snapshot `id` at a vault destination; refused (`.unsupported`) at a mirror, whose snapshots ONTAP
    /// manages.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        try refuseOnMirror(id)
        try await site.deleteSnapshot(id: id)
    }

    /// As ``deleteSnapshot(id:)``, for a snapshot of this driver's listing.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        try refuseOnMirror(snapshot.id)
        try await site.deleteListedSnapshot(snapshot)
    }

    func refuseOnMirror(_ id: String) throws(StorageError) {
        guard settings.kind == .vault else {
            throw StorageError(
                .unsupported, vendor: vendor, operation: "deleteSnapshot",
                message:
                    "\(id) is on \(destinationPath), the destination of a SnapMirror mirror: ONTAP manages its snapshots (they follow the source's); nothing is deleted there"
            )
        }
    }

    /// A FlexClone of destination snapshot `id` (at junction `/<cloneName>` in the destination SVM).
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        try site.refuseSnapMirrorSnapshot(id, operation: "cloneSnapshot")
        return try await site.cloneSnapshot(id: id, cloneName: cloneName)
    }

    /// FlexClones of the destination volume.
    public func listClones() async throws(StorageError) -> [Clone] { try await site.listClones() }

    /// Clone `name` after the ownership checks.
    public func cloneInfo(name: String) async throws(StorageError) -> Clone { try await site.cloneInfo(name: name) }

    /// Drops FlexClone `name` of the destination volume after the ownership checks.
    public func dropClone(name: String) async throws(StorageError) { try await site.dropClone(name: name) }

    /// `<mounthost>:<junction>` of `[replication]`'s cluster.
    public func mountString(clone: Clone) -> String { site.mountString(clone: clone) }

    /// Refused: the destination volume is made by the admin with the relationship.
    public func createVolume() async throws(StorageError) -> Volume {
        throw StorageError(
            .unsupported, vendor: vendor, operation: "createVolume",
            message:
                "the SnapMirror destination volume is created with the relationship (volume create -type DP, snapmirror create)"
        )
    }

    /// The destination volume.
    public func volumeInfo() async throws(StorageError) -> Volume { try await site.volumeInfo() }

    /// Snapshot `id` as the destination lists it, `nil` when absent (or before the destination exists).
    func held(_ id: String) async throws(StorageError) -> Snapshot? {
        try await SnapshotReplication.listing(of: self).first { $0.id == id }
    }

    // MARK: Relationship

    static let relationshipFields =
        "uuid,source.path,destination.path,policy.name,policy.uuid,state,healthy,unhealthy_reason,lag_time,exported_snapshot,transfer.uuid,transfer.state"

    /// The relationship: by `snapmirrorrelationship`, else the one whose destination is this volume.
    func relationship(operation: String) async throws(StorageError) -> ONTAPWire.RelationshipRecord {
        if let uuid = settings.relationship {
            let response = try await site.http.send(
                .get, "snapmirror/relationships/\(uuid)?fields=\(Self.relationshipFields)",
                headers: site.authorization, operation: operation, retry: .idempotent)
            guard response.status == 200,
                let record = ONTAPWire.decode(ONTAPWire.RelationshipRecord.self, from: response.body)
            else {
                if response.status == 404 {
                    throw StorageError(
                        .invalidConfiguration, vendor: vendor, operation: operation, status: 404,
                        message:
                            "no SnapMirror relationship \(uuid) on the destination cluster ([replication] snapmirrorrelationship)"
                    )
                }
                throw site.failure(
                    response, .get, "snapmirror/relationships/\(uuid)", operation: operation,
                    conflict: .unexpectedResponse)
            }
            guard record.destination?.path?.hasSuffix(":\(destinationVolume)") == true else {
                throw StorageError(
                    .invalidConfiguration, vendor: vendor, operation: operation,
                    message:
                        "SnapMirror relationship \(uuid) copies to \(record.destination?.path ?? "an unknown destination"), not \(destinationPath)"
                )
            }
            return record
        }
        var query: [(String, String)] = [("fields", Self.relationshipFields)]
        if let svm = site.svm { query.append(("destination.path", "\(svm):\(destinationVolume)")) }
        let records = try await site.collect(
            ONTAPWire.RelationshipRecord.self,
            "snapmirror/relationships?\(ApplianceHTTPClient.encodeQuery(query))", operation: operation
        ).filter { $0.destination?.path?.hasSuffix(":\(destinationVolume)") == true }
        guard let first = records.first else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "no SnapMirror relationship has the destination \(destinationPath) on the cluster of [replication] filer; create it (snapmirror create) or set snapmirrorrelationship"
            )
        }
        guard records.count == 1 else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "several SnapMirror relationships end in \(destinationVolume) (\(records.compactMap { $0.destination?.path }.joined(separator: ", "))); set svm or snapmirrorrelationship in [replication]"
            )
        }
        return first
    }

    /// The relationship's policy after the checks: its type is `snapmirrortype`, a vault has a rule for the label,
    /// and a mirror copies every source snapshot (not only SnapMirror's newest).
    func checkedPolicy(of relationship: ONTAPWire.RelationshipRecord, operation: String) async throws(StorageError)
        -> ONTAPWire.PolicyRecord
    {
        if relationship.state == "broken_off" {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "SnapMirror relationship \(relationship.uuid) (\(relationship.source?.path ?? "?") → \(relationship.destination?.path ?? "?")) is broken off; resync it on the destination cluster (snapmirror resync) first"
            )
        }
        guard let name = relationship.policy?.name else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "SnapMirror relationship \(relationship.uuid) names no policy")
        }
        var query: [(String, String)] = [
            ("name", name),
            ("fields", "uuid,name,type,copy_all_source_snapshots,copy_latest_source_snapshot,retention"),
        ]
        if let uuid = relationship.policy?.uuid { query.append(("uuid", uuid)) }
        let policies = try await site.collect(
            ONTAPWire.PolicyRecord.self, "snapmirror/policies?\(ApplianceHTTPClient.encodeQuery(query))",
            operation: operation)
        guard let policy = policies.first(where: { $0.name == name }) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "SnapMirror policy \(name) of relationship \(relationship.uuid) is not listed")
        }
        if policy.copyLatestSourceSnapshot == true {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "SnapMirror policy \(name) of relationship \(relationship.uuid) copies only SnapMirror's newest snapshot, so the backups' snapshots never arrive; use MirrorAllSnapshots or a vault policy"
            )
        }
        let kind: ONTAPSnapMirrorSettings.Kind = policy.isVault ? .vault : .mirror
        guard kind == settings.kind else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "SnapMirror policy \(name) of relationship \(relationship.uuid) is a \(kind.rawValue), but [replication] snapmirrortype is \(settings.kind.rawValue)"
            )
        }
        if policy.isVault, !policy.labels.contains(settings.label) {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "SnapMirror vault policy \(name) has no rule for snapmirror_label \(settings.label) (its rules: \(policy.labels.isEmpty ? "none" : policy.labels.joined(separator: ", "))): add one (snapmirror policy add-rule -snapmirror-label \(settings.label)) or set snapmirrorlabel"
            )
        }
        return policy
    }

    /// The states of a transfer that is still under way.
    static let activeTransferStates: Set<String> = ["queued", "preparing", "transferring", "finalizing"]

    /// Brings the destination up to date, within `timeout`: a transfer already running on the relationship (ONTAP's
    /// own schedule, or an earlier run's) is waited for first, and when it brought what `arrived` asks for, no
    /// other is started; otherwise a transfer is started (never repeated: a second start is refused while the first
    /// runs) and polled to its end. A start refused because one began meanwhile follows that one. The transfer's
    /// UUID.
    func transfer(
        _ relationship: ONTAPWire.RelationshipRecord, timeout: Duration, operation: String,
        arrived: () async throws(StorageError) -> Bool
    ) async throws(StorageError) -> String {
        let name =
            "SnapMirror relationship \(relationship.uuid) (\(relationship.source?.path ?? "?") → \(relationship.destination?.path ?? "?"))"
        let path = "snapmirror/relationships/\(relationship.uuid)/transfers"
        let deadline = ContinuousClock.now + timeout
        // Waits for the transfer `record` names when it is still under way; its UUID when it brought the snapshot.
        func broughtByRunning(_ record: ONTAPWire.TransferState?, _ why: String) async throws(StorageError) -> String? {
            guard let record, let uuid = record.uuid, Self.activeTransferStates.contains(record.state ?? "") else {
                return nil
            }
            site.logger.info("\(name): \(why) transfer \(uuid) runs; waiting for it")
            _ = try await follow(
                uuid, path: path, name: name, timeout: timeout, deadline: deadline, operation: operation)
            return try await arrived() ? uuid : nil
        }
        if let uuid = try await broughtByRunning(relationship.transfer, "already running:") { return uuid }
        let response = try await site.http.send(
            .post, "\(path)?return_records=true", body: Array("{}".utf8), headers: site.authorization,
            operation: operation, retry: .once)
        guard [200, 201, 202].contains(response.status) else {
            let error = site.failure(response, .post, path, operation: operation, conflict: .jobFailed)
            // Refused because a transfer began in between (ONTAP's schedule): that one brings the snapshot too.
            if let now = try? await self.relationship(operation: operation),
                let uuid = try await broughtByRunning(now.transfer, "the start was refused while")
            {
                return uuid
            }
            throw StorageError(
                error.code, vendor: vendor, operation: operation, status: error.status,
                message: "\(name): the transfer could not start: \(error.message)")
        }
        var started = ONTAPWire.decode(ONTAPWire.Collection<ONTAPWire.TransferRecord>.self, from: response.body)?
            .records.first?.uuid
        if started == nil {
            // No transfer record came back: the relationship's current transfer, once it is not the one it named
            // before this start (that one has ended).
            let before = relationship.transfer?.uuid
            var pause = Duration.milliseconds(100)
            while started == nil {
                let now = try await self.relationship(operation: operation)
                if let uuid = now.transfer?.uuid, uuid != before {
                    started = uuid
                } else {
                    guard ContinuousClock.now + pause <= deadline else {
                        throw StorageError(
                            .timeout, vendor: vendor, operation: operation,
                            message: "\(name): the started transfer did not appear within \(timeout) (transfertimeout)")
                    }
                    try await pauseOrStop(pause, name: name, operation: operation)
                    pause = min(pause * 2, .seconds(5))
                }
            }
        }
        let uuid = started ?? "?"
        let outcome = try await follow(
            uuid, path: path, name: name, timeout: timeout, deadline: deadline, operation: operation)
        if let failure = outcome.failure {
            let reasons =
                (try? await self.relationship(operation: operation))?.unhealthyReason?.compactMap(\.text) ?? []
            let why = [failure.problem].compactMap { $0 } + reasons.filter { $0 != failure.problem }
            throw StorageError(
                .jobFailed, vendor: vendor, operation: operation,
                message:
                    "\(name): transfer \(uuid) \(failure.state): \(why.isEmpty ? "ONTAP gave no reason" : why.joined(separator: "; "))"
            )
        }
        return uuid
    }

    /// Polls transfer `uuid` until it ends; a transfer still running at `deadline` is aborted (the message says
    /// whether ONTAP took the abort) and throws `.timeout`. A failed transfer is returned, not thrown.
    func follow(
        _ uuid: String, path: String, name: String, timeout: Duration, deadline: ContinuousClock.Instant,
        operation: String
    ) async throws(StorageError) -> (state: String, failure: (state: String, problem: String?)?) {
        var pause = Duration.milliseconds(100)
        while true {
            let current = try await site.http.send(
                .get, "\(path)/\(uuid)?fields=uuid,state,error_info,bytes_transferred",
                headers: site.authorization, operation: operation, retry: .idempotent)
            guard current.status == 200,
                let record = ONTAPWire.decode(ONTAPWire.TransferRecord.self, from: current.body)
            else {
                throw site.failure(
                    current, .get, "\(path)/\(uuid)", operation: operation, conflict: .unexpectedResponse)
            }
            let state = record.state ?? ""
            switch state {
            case "success":
                return (state, nil)
            case "failed", "aborted", "hard_aborted":
                return (state, (state, record.errorInfo?.text))
            default:
                break
            }
            if ContinuousClock.now + pause > deadline {
                // Stop it, as the protocol asks of a transfer past its time; the next run starts anew.
                let abort = try? await site.http.send(
                    .patch, "\(path)/\(uuid)", body: (["state": "aborted"] as JSONValue).bytes,
                    headers: site.authorization, operation: operation, retry: .once)
                let aborted = abort.map { (200..<300).contains($0.status) } ?? false
                throw StorageError(
                    .timeout, vendor: vendor, operation: operation,
                    message:
                        "\(name): transfer \(uuid) still \(state.isEmpty ? "unknown" : state) after \(timeout) (transfertimeout); \(aborted ? "it was aborted" : "aborting it failed, it may still run")"
                )
            }
            try await pauseOrStop(pause, name: name, operation: operation)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Sleeps `pause`; a cancelled task ends the wait with `.timeout`.
    func pauseOrStop(_ pause: Duration, name: String, operation: String) async throws(StorageError) {
        do {
            try await Task.sleep(for: pause)
        } catch {
            throw StorageError(
                .timeout, vendor: vendor, operation: operation, message: "\(name): cancelled during the transfer")
        }
    }
}

extension ONTAPWire {
    /// A SnapMirror endpoint: `path` is `svm:volume`.
    struct Endpoint: Decodable {
        var path: String?
    }

    /// A `message`/`code` pair (`unhealthy_reason`, `error_info`).
    struct Reason: Decodable {
        var message: String?
        var code: LenientString?

        var text: String? {
            guard let message else { return code.map { "code \($0.value)" } }
            return code.map { "\(message) (code \($0.value))" } ?? message
        }
    }

    /// The transfer under way or last run, as a relationship reports it.
    struct TransferState: Decodable {
        var uuid: String?
        var state: String?
    }

    /// `/api/snapmirror/relationships` record.
    struct RelationshipRecord: Decodable {
        var uuid: String
        var source: Endpoint?
        var destination: Endpoint?
        var policy: Named?
        var state: String?
        var healthy: Bool?
        var unhealthyReason: [Reason]?
        var lagTime: String?
        var exportedSnapshot: String?
        var transfer: TransferState?

        enum CodingKeys: String, CodingKey {
            case uuid, source, destination, policy, state, healthy, transfer
            case unhealthyReason = "unhealthy_reason"
            case lagTime = "lag_time"
            case exportedSnapshot = "exported_snapshot"
        }
    }

    /// `/api/snapmirror/relationships/{uuid}/transfers` record.
    struct TransferRecord: Decodable {
        var uuid: String?
        var state: String?
        var errorInfo: Reason?

        enum CodingKeys: String, CodingKey {
            case uuid, state
            case errorInfo = "error_info"
        }
    }

    /// `/api/snapmirror/policies` record: a mirror copies all (or only SnapMirror's newest) source snapshots, a
    /// vault those whose label a `retention` rule names.
    struct PolicyRecord: Decodable {
        struct Rule: Decodable {
            var label: String?
        }

        var uuid: String?
        var name: String?
        var copyAllSourceSnapshots: Bool?
        var copyLatestSourceSnapshot: Bool?
        var retention: [Rule]?

        enum CodingKeys: String, CodingKey {
            case uuid, name, retention
            case copyAllSourceSnapshots = "copy_all_source_snapshots"
            case copyLatestSourceSnapshot = "copy_latest_source_snapshot"
        }

        var labels: [String] { (retention ?? []).compactMap(\.label) }
        /// Neither a copy of all nor of the latest snapshot, with label rules: a vault.
        var isVault: Bool { copyAllSourceSnapshots != true && copyLatestSourceSnapshot != true && !labels.isEmpty }
    }
}
