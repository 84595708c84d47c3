/// Text for `--dry-run` plans and for the per-snapshot log lines of an applied plan.
public enum RetentionPlanRenderer {
    /// The dry-run report: a header, then one line per snapshot, oldest first:
    /// `<snapshot line> <status> — <reason>`, where planned drops show `would drop`.
    public static func dryRun(_ plan: RetentionPlan) -> String {
        var lines = [header(for: plan)]
        if let problem = plan.listingProblem {
            lines.append("Snapshot listing incomplete (\(problem)): nothing will be dropped.")
        }
        for problem in plan.blockingProblems.dropFirst(plan.listingProblem == nil ? 0 : 1) {
            lines.append("Nothing will be dropped because \(problem).")
        }
        for decision in plan.decisions {
            let status = decision.action == .drop ? "would drop" : decision.plannedStatus.rawValue
            lines.append("\(SnapshotLineFormat.line(for: decision.snapshot)) \(status) — \(decision.reasonText)")
        }
        return lines.joined(separator: "\n")
    }

    /// One line per snapshot of an applied plan, oldest first: the original's
    /// `<snapshot line> <status>` followed by ` — <reason>` (and the error for a failed drop).
    public static func lines(for outcome: RetentionOutcome) -> [String] {
        var errors: [String: String] = [:]
        for failure in outcome.failures { errors[failure.snapshot.id] = String(describing: failure.error) }
        return outcome.results.map { result in
            var line =
                "\(SnapshotLineFormat.line(for: result.decision.snapshot)) \(result.status.rawValue) — "
                + result.decision.reasonText
            if result.status == .dropFailed, let error = errors[result.decision.snapshot.id] {
                line += " — error: \(error)"
            }
            return line
        }
    }

    /// `Retention plan: <scheme>; safety: <rules>; <n> snapshots: keep <k>, drop <d>`.
    public static func header(for plan: RetentionPlan) -> String {
        "Retention plan at \(SnapshotLineFormat.utcTimestamp(plan.plannedAt)) UTC: \(describe(plan.scheme)); "
            + "safety: \(describe(plan.safety)); \(plan.decisions.count) snapshots: keep \(plan.keepCount), "
            + "drop \(plan.dropCount)"
    }

    /// The scheme in configuration terms, e.g. `reference (snapexpirationdays 7, snapexpirationmonths 3)`.
    public static func describe(_ scheme: RetentionScheme) -> String {
        switch scheme {
        case .reference(let windows):
            return "reference (snapexpirationdays \(windows.days), snapexpirationmonths \(windows.months))"
        case .gfs(let rules):
            let counts = [
                ("last", rules.keepLast), ("hourly", rules.keepHourly), ("daily", rules.keepDaily),
                ("weekly", rules.keepWeekly), ("monthly", rules.keepMonthly), ("yearly", rules.keepYearly),
            ]
            var parts = counts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
            if let within = rules.keepWithin { parts.append("within \(within)") }
            return "gfs (" + parts.joined(separator: ", ") + ")"
        }
    }

    /// The safety rules in configuration terms.
    public static func describe(_ safety: SafetyRules) -> String {
        "snapminimumcount \(safety.minimumCount), snapkeepverified \(safety.keepNewestVerified), "
            + "snapcompliancedays \(safety.complianceDays), snapclockskewallowance \(safety.clockSkewAllowanceSeconds)"
    }
}
