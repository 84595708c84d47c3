#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The retention decisions for one backup area, oldest snapshot first.
///
/// Only ``RetentionPlanner`` creates plans, so every planned drop has passed the safety rules.
public struct RetentionPlan: Sendable, Hashable {
    /// One decision per listed snapshot, oldest first.
    public let decisions: [RetentionDecision]
    /// The scheme that was applied.
    public let scheme: RetentionScheme
    /// The safety rules that were applied.
    public let safety: SafetyRules
    /// The planning time.
    public let plannedAt: Date
    /// Why the listing could not be trusted (incomplete, duplicate id, bad time), or `nil`. When set, the plan
    /// drops nothing and a run that applies it fails.
    public let listingProblem: String?
    /// A snapshot dated beyond `snapclockskewallowance` after the planning time, or `nil`. When set, the plan
    /// drops nothing and a run that applies it fails.
    public let clockSkew: ClockSkew?
    /// Why the verified snapshots are unknown (the autorestore results could not be read), or `nil`. When set
    /// (only with `snapkeepverified` on), the plan drops nothing and a run that applies it fails.
    public let verificationProblem: String?
    /// Why the off-site copy's snapshots are unknown (the replica could not be listed), or `nil`. When set, the
    /// plan drops nothing (any snapshot could be the base of the next incremental copy), but that alone does not
    /// fail the run: the copy step reports the replica.
    public let offsiteCopyProblem: String?

    init(
        decisions: [RetentionDecision], scheme: RetentionScheme, safety: SafetyRules, plannedAt: Date,
        listingProblem: String?, clockSkew: ClockSkew?, verificationProblem: String?, offsiteCopyProblem: String? = nil
    ) {
        self.decisions = decisions
        self.scheme = scheme
        self.safety = safety
        self.plannedAt = plannedAt
        self.listingProblem = listingProblem
        self.clockSkew = clockSkew
        self.verificationProblem = verificationProblem
        self.offsiteCopyProblem = offsiteCopyProblem
    }

    /// `true` when the plan was made from a complete, consistent listing.
    public var isListingComplete: Bool { listingProblem == nil }

    /// Every reason why this plan drops nothing at all, as sentences for logs; empty for a normal plan.
    public var blockingProblems: [String] {
        var problems: [String] = []
        if let listingProblem { problems.append("the snapshot listing is incomplete: \(listingProblem)") }
        if let clockSkew { problems.append("\(clockSkew)") }
        if let verificationProblem {
            problems.append(
                "the autorestore results cannot be read, so any snapshot could be the newest verified one "
                    + "(snapkeepverified): \(verificationProblem)")
        }
        return problems
    }

    /// The decisions that drop a snapshot, oldest first.
    public var drops: [RetentionDecision] { decisions.filter { $0.action == .drop } }

    /// The number of snapshots kept.
    public var keepCount: Int { decisions.count - dropCount }

    /// The number of snapshots dropped.
    public var dropCount: Int { decisions.reduce(0) { $0 + ($1.action == .drop ? 1 : 0) } }
}
