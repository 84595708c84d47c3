/// What the database's off-site copy (`[replication]`) holds, so that retention keeps the snapshot its next
/// incremental copy is sent from. Dropping that snapshot does not lose a backup, but the next copy then goes out
/// in full (tens of terabytes over the replication link) or, on OpenZFS, is refused until an operator intervenes.
public enum OffsiteCopyBase: Sendable, Hashable {
    /// No off-site copy is configured: nothing is kept for it.
    case none
    /// The ids of the snapshots the replica holds: the newest listed snapshot among them (the newest snapshot both
    /// sites hold) is kept.
    case replicaHolds(Set<String>)
    /// The replica could not be listed (`reason` names it and why), so any snapshot could be the base of the next
    /// copy: the plan drops nothing. That is not a failed retention — the copy step reports the unreachable
    /// replica itself.
    case unknown(reason: String)
}
