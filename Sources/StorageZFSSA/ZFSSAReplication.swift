import ConfigModel
import Foundation
import Logging
import StorageKit

extension ZFSSADriver: SnapshotReplicating {
    /// The database's share as the replica appliance received it: a ``ZFSSAReplicaDriver`` for the replication
    /// package of `[replication]` (an ``ZFSSAConfiguration`` read from it, with its ``ZFSSAReplicationSettings``):
    /// `url` is the replica appliance, `pool`/`project` its local project where clones of received snapshots are
    /// made. The replica appliance is reached with this driver's account (`zfscredentials.cfg`); see
    /// ``replicaDriver(configuration:credential:logger:)`` for its own.
    public func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver
    {
        try replicaDriver(configuration: configuration, credential: nil, logger: logger)
    }

    /// The replica appliance's driver, signed in with `replicaCredential` (`zfscredentials.cfg` `[replication]`)
    /// or, when `nil`, with this driver's account.
    /// - Parameters:
    ///   - configuration: `[replication]` read as a ZFSSA section.
    ///   - replicaCredential: The replica appliance's account, or `nil`.
    ///   - logger: Receives the replica driver's messages.
    public func replicaDriver(
        configuration: any StorageSectionConfiguration, credential replicaCredential: StorageCredential?,
        logger: Logger
    ) throws(StorageError) -> any StorageDriver {
        let operation = "replicaDriver"
        guard let typed = configuration as? ZFSSAConfiguration else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "\(type(of: configuration)) is not a configuration of zfssa")
        }
        guard let settings = typed.replication else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "set action in [replication]: the replication action of the primary appliance")
        }
        let transport: any HTTPTransport
        if let replicaTransport {
            transport = try replicaTransport(typed.connection.transportOptions(vendor: vendor, logger: logger))
        } else {
            transport = connection.http.transport
        }
        let appliance = try ZFSSADriver(
            volumeName: volumeName, url: typed.connection.endpoint, pool: typed.pool, project: typed.project,
            apiVersion: typed.apiVersion, authentication: typed.authentication,
            credential: replicaCredential ?? credential,
            transport: transport, timeout: typed.connection.timeout, retryPolicy: typed.connection.retryPolicy,
            mountHost: typed.mountHost, logger: logger)
        if appliance.connection.http.baseURL == connection.http.baseURL, typed.pool == pool, typed.project == project {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "the replica's project \(typed.pool)/\(typed.project) is the database's own on the same appliance; give the replica appliance's local project for clones"
            )
        }
        return ZFSSAReplicaDriver(
            volumeName: volumeName, sourcePool: pool, sourceProject: project, settings: settings, appliance: appliance)
    }

    /// Brings the replica up to date through the appliance's replication action (`[replication]` `action`):
    /// `PUT /replication/actions/<id>/sendupdate`, then the action's status is read until the update is over
    /// (`state` no longer `sending`), at most `timeout`; a `last_result` other than `success` is an error naming the
    /// action, the appliance and the result. Then the replica must list `snapshot`.
    ///
    /// The appliance sends everything that changed since its last update, every user snapshot made since included
    /// (`include_snaps`), whatever `base` says: one update can bring several snapshots. A snapshot the replica
    /// lists already is not sent again. The action must replicate this database's project (or its share).
    /// Throws `.notFound` for a snapshot or an action that does not exist, `.invalidConfiguration` for an action of
    /// another project or without `include_snaps`, `.timeout`, `.commandFailed` for a failed update.
    public func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    ) async throws(StorageError) -> ReplicatedSnapshot {
        let operation = "replicate"
        guard let target = replica as? ZFSSAReplicaDriver else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "the replica of a ZFSSA share must be a ZFSSA replication package")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: timeout)
        guard try await listSnapshots().contains(where: { $0.id == snapshot.id }) else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(snapshot.id) of share \(shareName) does not exist")
        }
        if try await SnapshotReplication.listing(of: target).contains(where: { $0.id == snapshot.id }) {
            logger.debug("The replica lists \(snapshot.id) already (sent by an earlier update)")
            return ReplicatedSnapshot(id: snapshot.id, creation: snapshot.creation, base: base?.id, seconds: 0)
        }
        let actionID = target.settings.action
        var action = try await replicationAction(actionID, operation: operation)
        try checkAction(action)
        guard let state = action.state?.lowercased(), !state.isEmpty else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message:
                    "replication action \(actionID) on \(appliance) reports no state; cannot tell whether it is busy")
        }
        if state != "idle" {
            logger.info("Replication action \(actionID) is \(action.state ?? "busy"); waiting for it to finish first")
            action = try await waitForUpdate(actionID, sawBusy: true, deadline: deadline, timeout: timeout)
            // That update (the appliance's schedule, an earlier run) may have brought the snapshot.
            if try await SnapshotReplication.listing(of: target).contains(where: { $0.id == snapshot.id }) {
                logger.info("The update that was running brought \(snapshot.id)")
                return ReplicatedSnapshot(id: snapshot.id, creation: snapshot.creation, base: base?.id, seconds: 0)
            }
        }
        let path = "replication/actions/\(encodeComponent(actionID))/sendupdate"
        let response = try await connection.send(.put, path, body: nil, operation: operation, retry: .once)
        try expect(
            response, [200, 201, 202, 204], .put, path, operation: operation,
            notFound: "replication action \(actionID)")
        logger.info("Started an update of replication action \(actionID) for \(snapshot.id)")
        let finished = try await waitForUpdate(
            actionID, sawBusy: false, previous: action, deadline: deadline, timeout: timeout, startedHere: true
        ) { () async throws(StorageError) -> Bool in
            try await target.listSnapshots().contains(where: { $0.id == snapshot.id })
        }
        let result = finished.lastResult ?? "unknown"
        guard result.lowercased() == "success" else {
            throw StorageError(
                .commandFailed, vendor: vendor, operation: operation,
                message:
                    "the update of replication action \(actionID) on \(appliance) ended with last_result '\(result)' (last_try \(finished.lastTry ?? "?"), last_sync \(finished.lastSync ?? "never")); see the appliance's replication log"
            )
        }
        guard try await target.listSnapshots().contains(where: { $0.id == snapshot.id }) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message:
                    "the update of replication action \(actionID) succeeded, but the replica's package does not list \(snapshot.id)"
            )
        }
        let elapsed = (clock.now - started).components
        return ReplicatedSnapshot(
            id: snapshot.id, creation: snapshot.creation, base: base?.id,
            seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    /// The appliance as messages name it (its URL without the API path).
    var appliance: String {
        let base = connection.http.baseURL
        return base.range(of: "/api/storage/").map { String(base[..<$0.lowerBound]) } ?? base
    }

    func encodeComponent(_ component: String) -> String { ApplianceHTTPClient.encodePathComponent(component) }

    func replicationAction(_ id: String, operation: String) async throws(StorageError) -> ZFSSAWire.ActionRecord {
        let path = "replication/actions/\(encodeComponent(id))"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try expect(
            response, [200], .get, path, operation: operation,
            notFound: "replication action \(id) on \(appliance) ([replication] action)")
        guard let envelope = ZFSSAWire.decode(ZFSSAWire.ActionEnvelope.self, from: response.body) else {
            throw unexpected(response, operation: operation, what: "a replication action")
        }
        return envelope.action
    }

    /// Refuses an action that does not replicate this share with its snapshots.
    func checkAction(_ action: ZFSSAWire.ActionRecord) throws(StorageError) {
        let share = action.share ?? ""
        guard action.project == project, action.pool == nil || action.pool == pool,
            share.isEmpty || share == volumeName
        else {
            let what = "\(action.pool ?? "?")/\(action.project ?? "?")\(share.isEmpty ? "" : "/\(share)")"
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicate",
                message:
                    "replication action \(action.id) replicates \(what), not the database's share \(shareName) ([replication] action)"
            )
        }
        if action.includeSnaps == false {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicate",
                message:
                    "replication action \(action.id) does not include snapshots (include_snaps false): the backups' snapshots would never reach the replica"
            )
        }
        if action.enabled == false {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: "replicate",
                message: "replication action \(action.id) is disabled on \(appliance)")
        }
        if action.retainUserSnaps == false {
            logger.warning(
                "Replication action \(action.id) does not retain user snapshots on the target: a snapshot deleted here is deleted at the replica by the next update, whatever the replica's own retention says"
            )
        }
    }

    /// Reads the action's status until no update is running, at most until `deadline`. An update counts as over
    /// once the action was seen busy (or `last_try` moved past `previous`'s, or `arrived` holds — an update that
    /// ended before the first read, within `last_try`'s one-second resolution) and is `idle` again. Past the
    /// deadline an update this run started (`startedHere`) is cancelled (`cancelupdate`), as the protocol asks.
    func waitForUpdate(
        _ id: String, sawBusy: Bool, previous: ZFSSAWire.ActionRecord? = nil, deadline: ContinuousClock.Instant,
        timeout: Duration, startedHere: Bool = false,
        arrived: (() async throws(StorageError) -> Bool)? = nil
    ) async throws(StorageError) -> ZFSSAWire.ActionRecord {
        let operation = "replicate"
        var busySeen = sawBusy
        var pause = Duration.milliseconds(100)
        while true {
            let action = try await replicationAction(id, operation: operation)
            let state = action.state?.lowercased() ?? "unknown"
            if state != "idle" {
                busySeen = true
            } else if busySeen || (previous != nil && action.lastTry != previous?.lastTry) {
                return action
            } else if let arrived, try await arrived() {
                return action
            }
            if ContinuousClock.now >= deadline {
                var fate = "it goes on on the appliance"
                if startedHere {
                    let path = "replication/actions/\(encodeComponent(id))/cancelupdate"
                    let cancel = try? await connection.send(.put, path, body: nil, operation: operation, retry: .once)
                    fate =
                        cancel.map { (200..<300).contains($0.status) } == true
                        ? "it was cancelled (cancelupdate)" : "cancelling it failed: it may go on on the appliance"
                }
                throw StorageError(
                    .timeout, vendor: vendor, operation: operation,
                    message:
                        "the update of replication action \(id) on \(appliance) did not finish within \(timeout) (state \(action.state ?? "?")); \(fate)"
                )
            }
            do {
                try await Task.sleep(for: min(pause, deadline - ContinuousClock.now))
            } catch {
                throw StorageError(
                    .timeout, vendor: vendor, operation: operation,
                    message: "cancelled while waiting for replication action \(id)")
            }
            pause = min(pause * 2, .seconds(5))
        }
    }
}

/// The database's share as a ZFSSA replica appliance received it: the share `<db>` of the primary's project in a
/// replication package (`/api/storage/vN/replication/packages/<package>/projects/<project>/filesystems/<db>`).
///
/// It lists the snapshots that arrived (never the appliance's replication snapshots `.rr-…`), clones one into the
/// replica appliance's local project (`[replication]` `pool`/`project`) for a restore test, drops such clones (only
/// clones of this package's share) and deletes received snapshots (replica retention); it takes no snapshots.
public struct ZFSSAReplicaDriver: StorageDriver {
    /// The database: its share's name in the package.
    public let volumeName: String
    /// The primary's pool (the replicated project's pool at the source).
    public let sourcePool: String
    /// The replicated project (the primary's `project`), as the package holds it.
    public let sourceProject: String
    /// The replication action and the package (`[replication]`).
    public let settings: ZFSSAReplicationSettings
    /// The replica appliance, bound to its local project for clones.
    let appliance: ZFSSADriver

    /// `zfssa`.
    public var vendor: String { ZFSSADriver.vendorName }
    /// Clones and their listing.
    public var capabilities: StorageCapabilities { [.clone, .listClones] }

    /// A replica driver.
    public init(
        volumeName: String, sourcePool: String, sourceProject: String, settings: ZFSSAReplicationSettings,
        appliance: ZFSSADriver
    ) {
        self.volumeName = volumeName
        self.sourcePool = sourcePool
        self.sourceProject = sourceProject
        self.settings = settings
        self.appliance = appliance
    }

    var connection: ZFSSAConnection { appliance.connection }
    var logger: Logger { appliance.logger }
    private func encode(_ component: String) -> String { ApplianceHTTPClient.encodePathComponent(component) }

    /// How this driver names itself in ``SnapshotLocation/listedBy``.
    func listingIdentity(_ package: String) -> String {
        "\(vendor):replica:\(package)/\(sourceProject)/\(volumeName)"
    }

    /// The package id: `[replication]` `package`, else the replica's only package holding a project named like the
    /// primary's (from `sourcename` when set). `.notFound` when there is none (nothing arrived yet); an error when a
    /// package's projects cannot be read (it is never skipped) or several packages qualify.
    func packageID(operation: String) async throws(StorageError) -> String {
        if let package = settings.package { return package }
        let path = "replication/packages"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try appliance.expect(response, [200], .get, path, operation: operation, notFound: "replication packages")
        guard let list = ZFSSAWire.decode(ZFSSAWire.PackageList.self, from: response.body) else {
            throw appliance.unexpected(response, operation: operation, what: "a package list")
        }
        var found: [String] = []
        for package in list.packages
        where settings.sourceName == nil || package.sourceName == settings.sourceName {
            var projects = package.projects
            if projects == nil {
                let projectsPath = "replication/packages/\(encode(package.id))/projects"
                let answer = try await connection.send(.get, projectsPath, operation: operation, retry: .idempotent)
                // A package that cannot be read is never skipped: it could be the one that also holds the project,
                // and choosing the other would list (and let retention delete in) another source's copy.
                guard answer.status == 200 else {
                    // Not `.notFound` even for a 404 (a package gone meanwhile): that would read as "nothing
                    // replicated yet", and the database's retention would stop keeping the copy's base.
                    let failure = appliance.failure(
                        answer, .get, projectsPath, operation: operation,
                        notFound: "projects of replication package \(package.id)")
                    throw StorageError(
                        failure.code == .notFound ? .unexpectedResponse : failure.code, vendor: vendor,
                        operation: operation, message: failure.message)
                }
                guard let listed = ZFSSAWire.decode(ZFSSAWire.ProjectList.self, from: answer.body) else {
                    throw appliance.unexpected(
                        answer, operation: operation, what: "the project list of replication package \(package.id)")
                }
                projects = listed.projects.map(\.name)
            }
            if projects?.contains(sourceProject) == true { found.append(package.id) }
        }
        guard found.count <= 1 else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "\(found.count) replication packages at \(appliance.appliance) hold project \(sourceProject) (\(found.joined(separator: ", "))); set package in [replication]"
            )
        }
        guard let package = found.first else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message:
                    "no replication package at \(appliance.appliance) holds project \(sourceProject)\(settings.sourceName.map { " from \($0)" } ?? "") (nothing replicated yet?)"
            )
        }
        return package
    }

    func sharePath(_ package: String) -> String {
        "replication/packages/\(encode(package))/projects/\(encode(sourceProject))/filesystems/\(encode(volumeName))"
    }

    /// The share's received snapshots, oldest first, without the replication snapshots (`.rr-…`). `.notFound` while
    /// nothing arrived.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        let package = try await packageID(operation: operation)
        let path = sharePath(package) + "/snapshots"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try appliance.expect(
            response, [200], .get, path, operation: operation,
            notFound: "share \(volumeName) of project \(sourceProject) in replication package \(package)")
        guard let list = ZFSSAWire.decode(ZFSSAWire.SnapshotList.self, from: response.body) else {
            throw appliance.unexpected(response, operation: operation, what: "a snapshot list")
        }
        var snapshots: [Snapshot] = []
        for record in list.snapshots where !record.name.hasPrefix(ZFSSAWire.replicationSnapshotPrefix) {
            guard let text = record.creation, let creation = ZFSSAWire.parseCreation(text) else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message: "snapshot \(record.name) has an unreadable creation time '\(record.creation ?? "")'")
            }
            var unique = record.spaceUnique?.value
            let total = record.spaceData?.value
            if let u = unique, let t = total, u > t { unique = t }
            snapshots.append(
                Snapshot(
                    id: record.name, creation: creation, spaceTotal: total, spaceUnique: unique,
                    cloneCount: record.numclones.map { Int(clamping: $0.value) }, isLocked: record.isRetained,
                    location: SnapshotLocation(
                        listedBy: listingIdentity(package),
                        copies: [.init(volume: "\(package)/\(sourceProject)/\(volumeName)")]),
                    lockedUntil: nil))
        }
        return snapshots.sortedByCreation()
    }

    /// Snapshots arrive only through replication.
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        throw StorageError(
            .unsupported, vendor: vendor, operation: "createSnapshot",
            message: "snapshots of a replication package arrive through replication only")
    }

    /// Deletes the received snapshot `id`: `.notOwned` for a replication snapshot (`.rr-…`), `.hasClones` while it
    /// has clones (or an unknown count), `.locked` while retained.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        guard !id.hasPrefix(ZFSSAWire.replicationSnapshotPrefix) else {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(id) is the appliance's replication snapshot; refusing")
        }
        let package = try await packageID(operation: operation)
        let path = sharePath(package) + "/snapshots/\(encode(id))"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try appliance.expect(response, [200], .get, path, operation: operation, notFound: "snapshot \(id)")
        guard let record = ZFSSAWire.decode(ZFSSAWire.SnapshotEnvelope.self, from: response.body)?.snapshot else {
            throw appliance.unexpected(response, operation: operation, what: "a snapshot")
        }
        guard let clones = record.numclones?.value else {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(id): clone count unknown; not deleted")
        }
        if clones > 0 {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message: "snapshot \(id) of the replica has \(clones) clone(s); drop them first")
        }
        if record.isRetained {
            throw StorageError(
                .locked, vendor: vendor, operation: operation,
                message: "snapshot \(id) of the replica is retained (retentionpolicy=\(record.retentionpolicy ?? "?"))")
        }
        let deleted = try await connection.send(.delete, path, operation: operation, retry: .idempotentDelete)
        guard [200, 202, 204].contains(deleted.status) else {
            throw appliance.failure(deleted, .delete, path, operation: operation, notFound: "snapshot \(id)")
        }
        logger.info("Deleted snapshot \(id) of the replica (package \(package))")
    }

    /// Refuses what the listing forbids (another listing's snapshot, clones, a lock), then ``deleteSnapshot(id:)``.
    public func deleteListedSnapshot(_ snapshot: Snapshot) async throws(StorageError) {
        let package = try await packageID(operation: "deleteSnapshot")
        if let refusal = listedDeletionRefusal(snapshot, listedBy: listingIdentity(package)) { throw refusal }
        try await deleteSnapshot(id: snapshot.id)
    }

    /// Clones received snapshot `id` into share `cloneName` of the replica's local project.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        guard SnapshotNaming.isPortableName(cloneName) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "'\(cloneName)' is not a valid name (letters, digits, . _ : - only)")
        }
        let package = try await packageID(operation: operation)
        let path = sharePath(package) + "/snapshots/\(encode(id))/clone"
        let body: JSONValue = [
            "pool": .string(appliance.pool), "project": .string(appliance.project), "share": .string(cloneName),
        ]
        let response = try await connection.send(.put, path, body: body, operation: operation, retry: .once)
        try appliance.expect(
            response, [201, 200], .put, path, operation: operation,
            notFound: "snapshot \(id) of the replica (package \(package))")
        let record = ZFSSAWire.decode(ZFSSAWire.FilesystemEnvelope.self, from: response.body)?.filesystem
        logger.info("Created clone \(cloneName) of the replica's \(volumeName)@\(id) in \(appliance.projectName)")
        return Clone(
            name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: record?.mountpoint)
    }

    /// Shares of the local project that are clones of this package's share.
    public func listClones() async throws(StorageError) -> [Clone] {
        let operation = "listClones"
        let package = try await packageID(operation: operation)
        let path = "\(appliance.projectPath)/filesystems"
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try appliance.expect(
            response, [200], .get, path, operation: operation, notFound: "project \(appliance.projectName)")
        guard let list = ZFSSAWire.decode(ZFSSAWire.FilesystemList.self, from: response.body) else {
            throw appliance.unexpected(response, operation: operation, what: "a filesystem list")
        }
        return list.filesystems.compactMap { record in
            guard let origin = record.origin, isOwn(origin, package: package), let snapshot = origin.snapshot else {
                return nil
            }
            return Clone(
                name: record.name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.mountpoint)
        }
    }

    /// The share `name` of the local project, checked to be a clone of this package's share.
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, operation: "cloneInfo")
    }

    /// Deletes the clone `name` after the checks of ``cloneInfo(name:)``.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        _ = try await ownedClone(name, operation: operation)
        let path = appliance.filesystemPath(name)
        let response = try await connection.send(.delete, path, operation: operation, retry: .idempotentDelete)
        guard [200, 202, 204].contains(response.status) else {
            throw appliance.failure(response, .delete, path, operation: operation, notFound: "clone \(name)")
        }
        logger.info("Dropped clone \(name) at the replica")
    }

    /// `<mount host>:<mountpoint>` of the replica appliance.
    public func mountString(clone: Clone) -> String { appliance.mountString(clone: clone) }

    /// The share in the package: its `space_data`.
    public func volumeInfo() async throws(StorageError) -> Volume {
        let operation = "volumeInfo"
        let package = try await packageID(operation: operation)
        let path = sharePath(package)
        let response = try await connection.send(.get, path, operation: operation, retry: .idempotent)
        try appliance.expect(response, [200], .get, path, operation: operation, notFound: "share \(volumeName)")
        let record = ZFSSAWire.decode(ZFSSAWire.FilesystemEnvelope.self, from: response.body)?.filesystem
        return Volume(name: volumeName, mountPoint: nil, spaceUsed: record?.spaceData?.value)
    }

    /// Ends the replica appliance's session.
    public func close() async { await appliance.close() }

    private func isOwn(_ origin: ZFSSAWire.Origin, package: String) -> Bool {
        origin.package == package && origin.project == sourceProject && origin.share == volumeName
    }

    private func ownedClone(_ name: String, operation: String) async throws(StorageError) -> Clone {
        let record = try await appliance.filesystemRecord(name, operation: operation)
        guard let origin = record.origin, let snapshot = origin.snapshot else {
            throw StorageError(
                .notAClone, vendor: vendor, operation: operation,
                message: "filesystem \(appliance.projectName)/\(name) is not a clone; refusing")
        }
        let package = try await packageID(operation: operation)
        guard isOwn(origin, package: package) else {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message:
                    "\(name) is a clone of \(origin.project ?? "?")/\(origin.share ?? "?")@\(snapshot)\(origin.package.map { " (package \($0))" } ?? ""), not of the replica of \(volumeName) in package \(package); refusing"
            )
        }
        return Clone(
            name: record.name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: record.mountpoint)
    }
}

extension ZFSSADriver {
    /// `pool/project` of this driver.
    var projectName: String { "\(pool)/\(project)" }
}
