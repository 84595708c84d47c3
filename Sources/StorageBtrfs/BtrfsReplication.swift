import ConfigModel
import Foundation
import Logging
import StorageKit

extension BtrfsDriver: SnapshotReplicating {
    /// The replica of this volume under the `root` of `configuration` (a ``BtrfsConfiguration`` read from
    /// `[replication]`), usually another btrfs mounted from the off-site host.
    public func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver
    {
        guard let typed = configuration as? BtrfsConfiguration else {
            throw error(
                .invalidConfiguration, "replicaDriver", "\(type(of: configuration)) is not a configuration of btrfs")
        }
        return BtrfsReplicaDriver(
            volumeName: volumeName, root: typed.root, command: typed.command, timeout: typed.timeout,
            mountHost: typed.mountHost, logger: logger)
    }

    /// `btrfs send [-p <base>] <snapshot> | btrfs receive <replica>/.snapshots/<db>`, then records the snapshot's
    /// creation time beside the replica (a received subvolume's own creation time is the time it arrived). A
    /// receive that fails part-way leaves a writable subvolume without a received UUID, which is deleted. Throws
    /// `.notFound` for a snapshot that is not this volume's, `.alreadyExists` when the replica holds it already,
    /// `.timeout`, `.commandFailed` with both commands' error output.
    public func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    ) async throws(StorageError) -> ReplicatedSnapshot {
        let operation = "replicate"
        guard let target = replica as? BtrfsReplicaDriver else {
            throw error(.invalidConfiguration, operation, "the replica of a btrfs volume must be a btrfs replica")
        }
        try validate(snapshot.id, "snapshot", operation)
        if let base { try validate(base.id, "snapshot", operation) }
        let listed = try await scan(operation, withSpace: false).snapshots.map(\.snapshot.id)
        guard listed.contains(snapshot.id) else {
            throw error(.notFound, operation, "snapshot \(snapshot.id) of \(volumeName) does not exist")
        }
        if let base, !listed.contains(base.id) {
            throw error(.notFound, operation, "base snapshot \(base.id) of \(volumeName) does not exist")
        }
        let arrived = target.site.snapshotPath(snapshot.id)
        if exists(arrived) {
            if try await target.scan(operation).snapshots.contains(where: { $0.snapshot.id == snapshot.id }) {
                throw error(.alreadyExists, operation, "the replica holds \(snapshot.id) already")
            }
            // A transfer that died part-way: writable, never finished; nothing lists it.
            logger.warning("Removing the unfinished copy \(arrived) of an earlier replication")
            try await target.site.deleteSubvolume(arrived, operation)
        }
        try target.site.makeDirectories(target.site.snapshotDirectory, operation)
        var sender = [command, "send"]
        if let base { sender += ["-p", snapshotPath(base.id)] }
        sender.append(snapshotPath(snapshot.id))
        let receiver = [target.command, "receive", target.site.snapshotDirectory]
        logger.trace("Running \(sender.joined(separator: " ")) | \(receiver.joined(separator: " "))")
        let result = try await StreamPipeline.run(
            sender: sender, receiver: receiver, environment: ["LC_ALL": "C", "TZ": "UTC"], timeout: timeout,
            vendor: vendor, operation: operation)
        guard result.succeeded else {
            // Nothing was at that path before this transfer (see above): whatever is there now is its remains.
            if exists(arrived) { try? await target.site.deleteSubvolume(arrived, operation) }
            if result.sender.timedOut || result.receiver.timedOut {
                throw error(.timeout, operation, "sending \(snapshot.id) did not finish within \(timeout)")
            }
            throw error(
                .commandFailed, operation,
                "\(sender.joined(separator: " ")) | \(receiver.joined(separator: " ")) failed: send exited with \(result.sender.exitStatus) (\(Self.lastLines(result.sender.standardError))), receive with \(result.receiver.exitStatus) (\(Self.lastLines(result.receiver.standardError)))"
            )
        }
        try target.recordCreation(snapshot.id, snapshot.creation, operation)
        guard try await target.scan(operation).snapshots.contains(where: { $0.snapshot.id == snapshot.id }) else {
            throw error(.unexpectedResponse, operation, "\(snapshot.id) was received but the replica does not list it")
        }
        return ReplicatedSnapshot(
            id: snapshot.id, creation: snapshot.creation, base: base?.id,
            seconds: Double(result.sender.duration.components.seconds)
                + Double(result.sender.duration.components.attoseconds) / 1e18)
    }

    static func lastLines(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(3).joined(separator: "; ")
    }
}

/// A database's volume at the replica site of a btrfs replication: the snapshots that arrived through
/// `btrfs receive` in `<root>/.snapshots/<db>` (read-only subvolumes with a received UUID), clones of them in
/// `<root>/.clones` for restore tests, and `<root>/.replication/<db>/<snapshot>` files holding each snapshot's
/// creation time at the source.
///
/// It takes no snapshots (they only arrive) and has no live volume; listing, cloning, dropping clones and
/// deleting snapshots follow the primary driver's rules (a snapshot with clones is kept, only this volume's
/// clones are dropped).
public struct BtrfsReplicaDriver: StorageDriver {
    /// The same layout as the primary's, used for its paths and commands.
    let site: BtrfsDriver

    /// The database this replica belongs to.
    public var volumeName: String { site.volumeName }
    /// `btrfs`.
    public var vendor: String { BtrfsDriver.vendorName }
    /// Clones, clone listing, local clones.
    public var capabilities: StorageCapabilities { [.clone, .listClones, .localClones] }
    /// The directory on btrfs holding `.snapshots`, `.clones` and `.replication`.
    public var root: String { site.root }
    /// The `btrfs` executable at the replica site.
    public var command: String { site.command }

    /// The replica of `volumeName` under `root`; does no I/O.
    public init(
        volumeName: String, root: String, command: String = "btrfs", timeout: Duration = .seconds(300),
        mountHost: String? = nil, logger: Logger
    ) {
        site = BtrfsDriver(
            volumeName: volumeName, root: root, command: command, timeout: timeout, mountHost: mountHost,
            logger: logger)
    }

    var journalDirectory: String { "\(site.root)/.replication/\(volumeName)" }

    struct Scan {
        var snapshots: [BtrfsDriver.ListedSnapshot]
        var clones: [String: SubvolumeInfo]
    }

    /// The received snapshots, oldest first (by their creation at the source), with clone counts.
    func scan(_ operation: String) async throws(StorageError) -> Scan {
        let cloneEntries = try site.subvolumes(in: site.cloneDirectory, operation).filter { $0.info.parentUUID != nil }
        var clonesPerParent: [String: Int] = [:]
        for entry in cloneEntries { clonesPerParent[entry.info.parentUUID!, default: 0] += 1 }
        var snapshots: [BtrfsDriver.ListedSnapshot] = []
        for (name, info) in try site.subvolumes(in: site.snapshotDirectory, operation)
        where info.readOnly && info.receivedUUID != nil {
            snapshots.append(
                BtrfsDriver.ListedSnapshot(
                    snapshot: Snapshot(
                        id: name, creation: recordedCreation(name) ?? info.creation,
                        cloneCount: clonesPerParent[info.uuid, default: 0]),
                    uuid: info.uuid))
        }
        snapshots.sort { $0.snapshot.creation < $1.snapshot.creation }
        var clones: [String: SubvolumeInfo] = [:]
        for entry in cloneEntries { clones[entry.name] = entry.info }
        return Scan(snapshots: snapshots, clones: clones)
    }

    /// The creation time recorded for `id` at its arrival.
    func recordedCreation(_ id: String) -> Date? {
        guard let text = try? String(contentsOfFile: "\(journalDirectory)/\(id)", encoding: .utf8),
            let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    func recordCreation(_ id: String, _ creation: Date, _ operation: String) throws(StorageError) {
        try site.makeDirectories(journalDirectory, operation)
        do {
            try String(format: "%.3f\n", creation.timeIntervalSince1970).write(
                toFile: "\(journalDirectory)/\(id)", atomically: true, encoding: .utf8)
        } catch {
            throw site.error(.ioFailure, operation, "cannot record the creation time of \(id): \(error)")
        }
    }

    /// The received snapshots, oldest first, dated by their creation at the source.
    public func listSnapshots() async throws(StorageError) -> [Snapshot] {
        try await scan("listSnapshots").snapshots.map(\.snapshot)
    }

    /// Refused: a replica's snapshots arrive from the source (``SnapshotReplicating``).
    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        throw site.error(.unsupported, "createSnapshot", "a replica takes no snapshots; they arrive by replication")
    }

    /// Deletes received snapshot `id` (and its recorded creation time). Throws `.notFound`, `.hasClones`.
    public func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        try site.validate(id, "snapshot", operation)
        guard let found = try await scan(operation).snapshots.first(where: { $0.snapshot.id == id }) else {
            throw site.error(.notFound, operation, "the replica of \(volumeName) holds no snapshot \(id)")
        }
        guard found.snapshot.cloneCount == 0 else {
            throw site.error(
                .hasClones, operation, "snapshot \(id) has \(DisplayFormat.count(found.snapshot.cloneCount)) clone(s)")
        }
        try await site.deleteSubvolume(site.snapshotPath(id), operation)
        try? FileManager.default.removeItem(atPath: "\(journalDirectory)/\(id)")
        site.logger.debug("Deleted replica snapshot: \(id)")
    }

    /// A writable snapshot `.clones/<cloneName>` of received snapshot `id`.
    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        try site.validate(cloneName, "clone", operation)
        guard try await scan(operation).snapshots.contains(where: { $0.snapshot.id == id }) else {
            throw site.error(.notFound, operation, "the replica of \(volumeName) holds no snapshot \(id)")
        }
        guard !site.exists(site.clonePath(cloneName)) else {
            throw site.error(.alreadyExists, operation, "\(cloneName) exists already")
        }
        try site.makeDirectories(site.cloneDirectory, operation)
        _ = try await site.btrfs(
            ["subvolume", "snapshot", site.snapshotPath(id), site.clonePath(cloneName)], operation)
        return Clone(
            name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: site.clonePath(cloneName))
    }

    /// Clones of this replica's snapshots, by name.
    public func listClones() async throws(StorageError) -> [Clone] {
        let scan = try await scan("listClones")
        return scan.clones.compactMap { name, entry in
            guard let origin = scan.snapshots.first(where: { $0.uuid == entry.parentUUID }) else { return nil }
            return Clone(
                name: name, originVolume: volumeName, originSnapshot: origin.snapshot.id,
                mountPoint: site.clonePath(name))
        }.sorted { $0.name < $1.name }
    }

    /// Clone `name` after the ownership checks (`.notFound`, `.notAClone`, `.notOwned`).
    public func cloneInfo(name: String) async throws(StorageError) -> Clone {
        try await ownedClone(name, "cloneInfo")
    }

    /// Drops clone `name` after the ownership checks.
    public func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        _ = try await ownedClone(name, operation)
        try await site.deleteSubvolume(site.clonePath(name), operation)
    }

    /// As the primary's: `<mounthost>:<directory>`, or the directory.
    public func mountString(clone: Clone) -> String { site.mountString(clone: clone) }

    /// Creates the directory snapshots arrive in.
    public func createVolume() async throws(StorageError) -> Volume {
        try site.makeDirectories(site.snapshotDirectory, "createVolume")
        return Volume(name: volumeName, mountPoint: site.snapshotDirectory)
    }

    /// The directory snapshots arrive in; `.notFound` before the first replication.
    public func volumeInfo() async throws(StorageError) -> Volume {
        guard site.exists(site.snapshotDirectory) else {
            throw site.error(.notFound, "volumeInfo", "the replica of \(volumeName) holds nothing yet")
        }
        return Volume(name: volumeName, mountPoint: site.snapshotDirectory)
    }

    func ownedClone(_ name: String, _ operation: String) async throws(StorageError) -> Clone {
        guard SnapshotNaming.isPortableName(name) else {
            throw site.error(.notFound, operation, "no clone named '\(name)'")
        }
        let scan = try await scan(operation)
        guard let entry = scan.clones[name] else {
            if site.exists(site.clonePath(name)) {
                throw site.error(.notAClone, operation, "\(name) is not a clone (not a snapshot subvolume)")
            }
            throw site.error(.notFound, operation, "clone \(name) does not exist")
        }
        guard let origin = scan.snapshots.first(where: { $0.uuid == entry.parentUUID }) else {
            throw site.error(
                .notOwned, operation, "\(name) is not a clone of a replicated snapshot of \(volumeName); refusing")
        }
        return Clone(
            name: name, originVolume: volumeName, originSnapshot: origin.snapshot.id, mountPoint: site.clonePath(name))
    }
}
