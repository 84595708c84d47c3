/// Refusals of work a driver's declared capabilities cannot carry, made before anything starts (no instance, no
/// storage call): the tools check these up front instead of failing half-way, e.g. after an instance was started
/// on a clone that could not be made.
extension StorageDriver {
    /// Why `purpose` (e.g. `autorestore`, `snapper clone`) cannot run on this driver because it lacks a capability
    /// of `required`, or `nil` when it has them all. The message names the storage module and the reason, e.g.
    /// `snappermodule softnas cannot create named clones, so autorestore cannot run on it`.
    public func refusal(lacking required: StorageCapabilities, for purpose: String) -> String? {
        let missing = required.subtracting(capabilities)
        guard !missing.isEmpty else { return nil }
        let reasons = Self.reasons.filter { missing.contains($0.capability) }.map(\.reason)
        let reason =
            reasons.isEmpty ? "lacks \(missing.names.joined(separator: ", "))" : reasons.joined(separator: " and ")
        return "snappermodule \(vendor) \(reason), so \(purpose) cannot run on it"
    }

    /// What lacking each capability means, in the words of ``refusal(lacking:for:)``.
    static var reasons: [(capability: StorageCapabilities, reason: String)] {
        [
            (.clone, "cannot create named clones"), (.listClones, "cannot list clones"),
            (.createVolume, "cannot create volumes"), (.lock, "cannot lock snapshots"),
        ]
    }
}
