/// What the autorestore results say about which snapshots passed a restore test (`snapkeepverified`).
public enum VerifiedSnapshots: Sendable, Hashable {
    /// The ids of the snapshots whose latest autorestore succeeded; ids not on the storage are ignored.
    case known(Set<String>)
    /// The results could not be read, so any snapshot could be the newest verified one. With
    /// `snapkeepverified` on, a plan then drops nothing and a run that applies it fails. `reason` names the
    /// catalog and what went wrong.
    case unreadable(reason: String)
}
