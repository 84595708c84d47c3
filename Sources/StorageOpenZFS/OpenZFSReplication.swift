import ConfigModel
import Foundation
import Logging
import StorageKit

extension OpenZFSDriver: SnapshotReplicating {
    /// The replica of this volume: an OpenZFS driver for `<dataset>/<db>` under the `dataset` of `configuration`
    /// (an ``OpenZFSConfiguration`` read from `[replication]`), in another pool or on another host's pool reached
    /// through its `zfs` command (e.g. `ssh backup2 zfs`). Received snapshots keep their creation time, so the
    /// replica lists them like the primary does.
    public func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver
    {
        guard let typed = configuration as? OpenZFSConfiguration else {
            throw error(
                .invalidConfiguration, "replicaDriver", "\(type(of: configuration)) is not a configuration of openzfs")
        }
        let replica = try OpenZFSDriver(
            configuration: typed, context: StorageDriverContext(databaseName: volumeName, logger: logger))
        guard replica.area != area else {
            throw error(
                .invalidConfiguration, "replicaDriver",
                "the replica's dataset \(typed.dataset) is the database's own; give another file system")
        }
        return replica
    }

    /// `zfs send [-i <base>] <area>@<snapshot> | zfs receive -F <replica area>`.
    ///
    /// The receive rolls the replica back to its newest snapshot first (`-F`: a mounted replica changes, if only
    /// its access times); so an incremental copy is refused unless `base` is the replica's newest snapshot (a
    /// rollback past a newer one would destroy it), and a full copy unless the replica holds no snapshot. Throws
    /// `.notFound` for a snapshot that is not this volume's, `.alreadyExists` when the replica holds it already,
    /// `.timeout`, `.commandFailed` with both commands' error output.
    public func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    ) async throws(StorageError) -> ReplicatedSnapshot {
        let operation = "replicate"
        guard let target = replica as? OpenZFSDriver else {
            throw error(.invalidConfiguration, operation, "the replica of an OpenZFS volume must be an OpenZFS one")
        }
        try validate(snapshot.id, "snapshot", operation)
        if let base { try validate(base.id, "snapshot", operation) }
        let listed = try await snapshotRecords(operation).map { String($0.name.dropFirst(area.count + 1)) }
        guard listed.contains(snapshot.id) else {
            throw error(.notFound, operation, "snapshot \(snapshot.id) of \(area) does not exist")
        }
        if let base, !listed.contains(base.id) {
            throw error(.notFound, operation, "base snapshot \(base.id) of \(area) does not exist")
        }
        let targetExists =
            !(try await target.properties(
                target.area, ["type"], depth: nil, operation, missingIsEmpty: true
            )
            .isEmpty)
        let held = targetExists ? try await target.listSnapshots() : []
        if held.contains(where: { $0.id == snapshot.id }) {
            throw error(.alreadyExists, operation, "the replica \(target.area) holds \(snapshot.id) already")
        }
        if let base {
            guard let newest = held.last, newest.id == base.id else {
                throw error(
                    .commandFailed, operation,
                    "the replica's newest snapshot is \(held.last?.id ?? "none"), not the base \(base.id): receiving would roll it back; delete the replica's snapshots newer than \(base.id) or start the replica afresh"
                )
            }
        } else if !held.isEmpty {
            throw error(
                .commandFailed, operation,
                "the replica \(target.area) holds snapshots but none of \(area)'s: a full copy would replace them; start the replica afresh"
            )
        }
        var sender = [Self.resolve(command[0])] + command.dropFirst() + ["send"]
        if let base { sender += ["-i", snapshotName(base.id)] }
        sender.append(snapshotName(snapshot.id))
        let receiver = [Self.resolve(target.command[0])] + target.command.dropFirst() + ["receive", "-F", target.area]
        logger.trace("Running \(sender.joined(separator: " ")) | \(receiver.joined(separator: " "))")
        let result = try await StreamPipeline.run(
            sender: sender, receiver: receiver, environment: ["LC_ALL": "C", "TZ": "UTC"], timeout: timeout,
            vendor: vendor, operation: operation)
        guard result.succeeded else {
            if result.sender.timedOut || result.receiver.timedOut {
                throw error(.timeout, operation, "sending \(snapshot.id) did not finish within \(timeout)")
            }
            throw error(
                .commandFailed, operation,
                "\(sender.joined(separator: " ")) | \(receiver.joined(separator: " ")) failed: send exited with \(result.sender.exitStatus) (\(Self.lastLines(result.sender.standardError))), receive with \(result.receiver.exitStatus) (\(Self.lastLines(result.receiver.standardError)))"
            )
        }
        guard try await target.listSnapshots().contains(where: { $0.id == snapshot.id }) else {
            throw error(
                .unexpectedResponse, operation, "\(snapshot.id) was received but \(target.area) does not list it")
        }
        let duration = result.receiver.duration.components
        return ReplicatedSnapshot(
            id: snapshot.id, creation: snapshot.creation, base: base?.id,
            seconds: Double(duration.seconds) + Double(duration.attoseconds) / 1e18)
    }

    static func lastLines(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(3).joined(separator: "; ")
    }
}
