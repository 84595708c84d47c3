import ConfigModel
import Foundation
import Logging
import ToolSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A driver that can copy its volume's snapshots to a second storage of the same kind (the off-site copy).
///
/// The replica site is presented as an ordinary ``StorageDriver`` bound to the same volume name
/// (``replicaDriver(configuration:logger:)``): it lists the snapshots that arrived, clones one for a restore
/// test, drops clones and deletes snapshots (replica retention), with the same ownership and safety rules as the
/// primary. It takes no snapshots of its own: snapshots only arrive through ``replicate(_:incrementalFrom:to:timeout:)``.
///
/// Conforming drivers: btrfs (`btrfs send | btrfs receive`), OpenZFS (`zfs send | zfs receive`), ZFSSA (replication
/// actions) and ONTAP (SnapMirror transfers). Whether a driver can replicate is its conformance:
/// `driver as? any SnapshotReplicating`.
public protocol SnapshotReplicating: StorageDriver {
    /// The driver of this volume at the replica site, from this vendor's configuration read out of the
    /// replication section (e.g. `[replication]` `root` for btrfs, `dataset` for OpenZFS); no I/O.
    /// - Throws: `.invalidConfiguration` when `configuration` is not one of this vendor's.
    func replicaDriver(configuration: any StorageSectionConfiguration, logger: Logger) throws(StorageError)
        -> any StorageDriver

    /// ``replicaDriver(configuration:logger:)`` with the replica appliance's own account (`[replication]` in the
    /// driver's credentials file); `nil` reaches it with this driver's account. Drivers without credentials need not
    /// implement it.
    /// - Parameters:
    ///   - configuration: The replica's settings, read from `[replication]` by this vendor's configuration type.
    ///   - credential: The replica appliance's account, or `nil` for this driver's own.
    ///   - logger: Receives the replica driver's messages.
    func replicaDriver(
        configuration: any StorageSectionConfiguration, credential: StorageCredential?, logger: Logger
    ) throws(StorageError) -> any StorageDriver

    /// Copies snapshot `snapshot` of this volume to `replica` (a driver made by ``replicaDriver(configuration:logger:)``),
    /// as the changes since `base` when given (a snapshot both sides hold), else in full. A copy that fails part-way
    /// leaves nothing behind that the replica would list.
    /// - Parameters:
    ///   - snapshot: the snapshot to copy.
    ///   - base: a snapshot both sides hold, to send only the changes since it; `nil` sends in full.
    ///   - replica: the replica site's driver.
    ///   - timeout: the time allowed for the whole transfer; both ends are stopped when it passes.
    /// - Returns: the snapshot as the replica now lists it.
    func replicate(
        _ snapshot: Snapshot, incrementalFrom base: Snapshot?, to replica: any StorageDriver, timeout: Duration
    )
        async throws(StorageError) -> ReplicatedSnapshot
}

extension SnapshotReplicating {
    /// Drivers without appliance credentials: the account is ignored.
    public func replicaDriver(
        configuration: any StorageSectionConfiguration, credential: StorageCredential?, logger: Logger
    ) throws(StorageError) -> any StorageDriver {
        try replicaDriver(configuration: configuration, logger: logger)
    }
}

/// One snapshot copied to the replica.
public struct ReplicatedSnapshot: Sendable, Hashable, Codable {
    /// The snapshot's id, the same on both sides.
    public var id: String
    /// When the snapshot was taken at the source (the replica reports the same instant).
    public var creation: Date
    /// The snapshot the copy was incremental from; `nil` for a full copy.
    public var base: String?
    /// How long the transfer took, in seconds.
    public var seconds: Double

    /// A copied snapshot.
    public init(id: String, creation: Date, base: String?, seconds: Double) {
        self.id = id
        self.creation = creation
        self.base = base
        self.seconds = seconds
    }
}

/// How far the replica is behind its source.
public struct ReplicationLag: Sendable, Hashable, Codable {
    /// The newest snapshot at the source; `nil` when it has none.
    public var newestSource: String?
    /// When it was taken.
    public var newestSourceCreation: Date?
    /// The newest snapshot at the replica; `nil` when nothing was replicated yet.
    public var newestReplica: String?
    /// When it was taken (at the source).
    public var newestReplicaCreation: Date?
    /// Source snapshots newer than the replica's newest: what the next replication sends.
    public var snapshotsBehind: Int
    /// Seconds between the source's newest snapshot and the replica's (0 when in step); `nil` when the replica
    /// holds nothing.
    public var seconds: Double?

    /// The lag of `replica` behind `source` (listings as the drivers return them, any order).
    public init(source: [Snapshot], replica: [Snapshot]) {
        let newestSource = source.max { $0.creation < $1.creation }
        let newestReplica = replica.max { $0.creation < $1.creation }
        self.newestSource = newestSource?.id
        self.newestSourceCreation = newestSource?.creation
        self.newestReplica = newestReplica?.id
        self.newestReplicaCreation = newestReplica?.creation
        snapshotsBehind = ReplicationPlan(source: source, replica: replica).pending
        if let newestReplica {
            seconds = max(
                0, (newestSource?.creation ?? newestReplica.creation).timeIntervalSince(newestReplica.creation))
        } else {
            seconds = nil
        }
    }

    /// `in step`, `1 snapshot (3.0 h) behind`, `nothing replicated yet`.
    public var summary: String {
        guard let seconds else { return "nothing replicated yet" }
        if snapshotsBehind == 0 { return "in step" }
        let hours = String(format: "%.1f", seconds / 3600)
        return "\(snapshotsBehind) snapshot\(snapshotsBehind == 1 ? "" : "s") (\(hours) h) behind"
    }
}

/// What one replication run is to send: the snapshots the replica lacks, oldest first, each incremental from the
/// one before it; the first from ``base``.
public struct ReplicationPlan: Sendable, Hashable {
    /// The newest snapshot both sides hold (the first incremental's base); `nil` when there is none and the first
    /// copy is full.
    public var base: Snapshot?
    /// The snapshots to send, oldest first.
    public var toSend: [Snapshot]

    /// Plans from the two listings: every source snapshot newer than the newest common one, oldest first; with no
    /// common snapshot, only the source's newest, in full (the first replication copies one snapshot, not the
    /// history).
    /// Snapshots taken within the same second (ZFS dates them to the second) keep the source's order.
    public init(source: [Snapshot], replica: [Snapshot]) {
        let ordered = source.sortedByCreation()
        let replicated = Set(replica.map(\.id))
        if let index = ordered.lastIndex(where: { replicated.contains($0.id) }) {
            base = ordered[index]
            toSend = ordered[(index + 1)...].filter { !replicated.contains($0.id) }
            pending = toSend.count
        } else {
            base = nil
            toSend = ordered.last.map { [$0] } ?? []
            pending = ordered.count
        }
    }

    /// Source snapshots the replica lacks that are newer than the newest both hold (all of them when none is
    /// common): how far behind the replica is, in snapshots.
    public var pending: Int
}

/// The result of one replication run.
public struct ReplicationOutcome: Sendable {
    /// The snapshots copied, in order.
    public var replicated: [ReplicatedSnapshot]
    /// Why the run stopped early (the snapshot it failed on is named); `nil` when everything was sent.
    public var failure: StorageError?
    /// The lag after the run.
    public var lag: ReplicationLag?

    /// An outcome.
    public init(replicated: [ReplicatedSnapshot], failure: StorageError?, lag: ReplicationLag?) {
        self.replicated = replicated
        self.failure = failure
        self.lag = lag
    }

    /// True when every planned snapshot arrived.
    public var succeeded: Bool { failure == nil }
}

/// Replication runs: plan from both listings, send oldest first, stop at the first failure.
public enum SnapshotReplication {
    /// Sends every snapshot of `source` the replica lacks (``ReplicationPlan``), each incremental from the
    /// previous one (the first copy of all in full); stops at the first failure, so the replica never holds a gap
    /// that a later incremental would need. Each snapshot gets `timeout`. Logs each copy at INFO.
    public static func run(
        source: any SnapshotReplicating, replica: any StorageDriver, timeout: Duration, logger: Logger
    ) async -> ReplicationOutcome {
        let sourceSnapshots: [Snapshot]
        var replicaSnapshots: [Snapshot]
        do {
            sourceSnapshots = try await source.listSnapshots()
            replicaSnapshots = try await listing(of: replica)
        } catch {
            return ReplicationOutcome(replicated: [], failure: error, lag: nil)
        }
        let plan = ReplicationPlan(source: sourceSnapshots, replica: replicaSnapshots)
        if plan.toSend.isEmpty { logger.debug("Replica of \(source.volumeName) is in step; nothing to send") }
        var base = plan.base
        var done: [ReplicatedSnapshot] = []
        var failure: StorageError?
        for snapshot in plan.toSend {
            do {
                let copied = try await source.replicate(snapshot, incrementalFrom: base, to: replica, timeout: timeout)
                logger.info(
                    "Replicated \(snapshot.id) \(base.map { "(incremental from \($0.id))" } ?? "(full)") in \(String(format: "%.1f", copied.seconds)) s"
                )
                done.append(copied)
                base = snapshot
            } catch {
                failure = StorageError(
                    error.code, vendor: error.vendor, operation: "replicate", status: error.status,
                    message: "snapshot \(snapshot.id): \(error.message)")
                break
            }
        }
        if let after = try? await listing(of: replica) { replicaSnapshots = after }
        return ReplicationOutcome(
            replicated: done, failure: failure, lag: ReplicationLag(source: sourceSnapshots, replica: replicaSnapshots))
    }
}

extension SnapshotReplication {
    /// The replica's snapshots; none (not an error) before the first copy created its volume (`.notFound`).
    public static func listing(of replica: any StorageDriver) async throws(StorageError) -> [Snapshot] {
        do {
            return try await replica.listSnapshots()
        } catch  where error.code == .notFound {
            return []
        }
    }
}

/// Two commands joined by a named pipe (`sender > fifo`, `receiver < fifo`), the way a driver streams `send` into
/// `receive` without a shell pipeline: each end opens the pipe itself (through `sh -c 'exec … > "$0"'`), so this
/// process never blocks on it; when one end fails the other is stopped. The pipe lives in a private directory
/// that is removed afterwards.
public enum StreamPipeline {
    /// The outcome of both ends.
    public struct Result: Sendable {
        /// The sending command's result.
        public var sender: DriverCommandResult
        /// The receiving command's result.
        public var receiver: DriverCommandResult
        /// Both exited 0 within the time allowed.
        public var succeeded: Bool {
            sender.exitStatus == 0 && receiver.exitStatus == 0 && !sender.timedOut && !receiver.timedOut
        }
    }

    /// Runs `sender` (its standard output into the pipe) and `receiver` (its standard input from the pipe), both
    /// with `environment` over ours and `timeout`; returns when both have ended.
    /// - Throws: `.ioFailure` when the pipe cannot be made, `.commandFailed` when a command cannot be started.
    public static func run(
        sender: [String], receiver: [String], environment: [String: String] = [:], timeout: Duration, vendor: String,
        operation: String
    ) async throws(StorageError) -> Result {
        var template = Array("/tmp/oib-replicate.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StorageError(
                .ioFailure, vendor: vendor, operation: operation, message: "cannot make a directory for the pipe")
        }
        let directory = String(cString: made)
        let fifo = directory + "/stream"
        defer {
            unlink(fifo)
            rmdir(directory)
        }
        guard mkfifo(fifo, 0o600) == 0 else {
            throw StorageError(
                .ioFailure, vendor: vendor, operation: operation,
                message: "cannot make \(fifo): \(String(cString: strerror(errno)))")
        }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        func command(_ words: [String], redirect: String) -> ChildCommand {
            ChildCommand(
                executable: "/bin/sh", arguments: ["-c", "exec \"$@\" \(redirect) \"$0\"", fifo] + words,
                environment: merged, workingDirectory: "/", timeout: timeout)
        }
        let receiving: RunningChild
        let sending: RunningChild
        do {
            receiving = try await command(receiver, redirect: "<").start()
        } catch {
            throw StorageError(.commandFailed, vendor: vendor, operation: operation, message: "\(error)")
        }
        do {
            sending = try await command(sender, redirect: ">").start()
        } catch {
            receiving.signalGroup(SIGKILL)
            _ = await receiving.wait()
            throw StorageError(.commandFailed, vendor: vendor, operation: operation, message: "\(error)")
        }
        // Whichever ends first with a failure stops the other (a receiver that refused the stream would otherwise
        // leave the sender blocked on a full pipe until the timeout, and a dead sender the receiver on an open one).
        async let sent = finish(sending, stopping: receiving)
        async let received = finish(receiving, stopping: sending)
        let (sendResult, receiveResult) = await (sent, received)
        return Result(sender: sendResult, receiver: receiveResult)
    }

    static func finish(_ child: RunningChild, stopping other: RunningChild) async -> DriverCommandResult {
        let result = await child.wait()
        if !result.succeeded, other.isRunning { other.signalGroup(SIGTERM) }
        return DriverCommandResult(
            exitStatus: result.exitStatus, standardOutput: result.outputText, standardError: result.errorText,
            timedOut: result.timedOut, duration: result.duration)
    }
}
