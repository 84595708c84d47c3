import Foundation
import Testing

@testable import RetentionPolicy

/// Pins the planner's complete output (decisions, reasons, their order and the plan-wide problems) so that work on
/// its speed cannot change a result: the same plan whatever order the storage lists snapshots in, fixed digests of
/// whole plans over a large history, and the UTC period, tie, duplicate and Unicode edges.
@Suite("Retention plans are stable under listing order and speed work")
struct PlanStabilityTests {
    static let now = TestDates.utc(2026, 11, 25, 10)

    static let reference = RetentionScheme.reference(try! ReferenceWindows(days: 14, months: 24))
    static let gfs = RetentionScheme.gfs(
        try! GFSRules(
            keepLast: 10, keepHourly: 48, keepDaily: 30, keepWeekly: 12, keepMonthly: 24, keepYearly: 10,
            keepWithin: CalendarSpan(days: 7)))
    static let safety = try! SafetyRules(minimumCount: 3, keepNewestVerified: true, complianceDays: 2)

    /// About 3.4 years of snapshots, mostly one an hour, with bursts a millisecond apart, fractional seconds,
    /// clones (some unknown), locks and snapshots exactly on UTC midnight. Listed oldest first, no two at the same
    /// time (equal times keep their listing order, see ``tiesKeepListingOrder()``).
    static let history: [SnapshotRecord] = {
        var random = SplitMix64(seed: 0x0DD5_EED5)
        var snapshots: [SnapshotRecord] = []
        var time = now.timeIntervalSince1970 - 31_000 * TestDates.hour
        for serial in 0..<30_000 {
            time += TestDates.hour + Double(random.int(-600...600))
            if serial % 500 == 0 { time = (time / TestDates.day).rounded(.up) * TestDates.day }  // exactly midnight
            if serial % 7 == 0 { time += Double(random.int(0...999)) / 1_000 }
            let burst = serial % 211 == 0 ? 3 : 1
            for copy in 0..<burst {
                snapshots.append(
                    SnapshotRecord(
                        id: "orcl-\(serial)-\(copy)",
                        createdAt: Date(timeIntervalSince1970: time + Double(copy) / 1_000),
                        cloneCount: serial % 97 == 0 ? 1 : serial % 389 == 0 ? nil : 0, isLocked: serial % 1_009 == 0,
                        totalBytes: Int64(serial) << 20, uniqueBytes: Int64(serial % 4_096) << 10))
            }
        }
        // Times only grow (the jitter is smaller than the step), so this listing is the sorted one.
        precondition(zip(snapshots, snapshots.dropFirst()).allSatisfy { $0.createdAt < $1.createdAt })
        precondition(snapshots.last!.createdAt < now)
        return snapshots
    }()

    static let verified: Set<String> = Set(
        history.suffix(300).enumerated().filter { $0.offset % 24 == 5 }.map(\.element.id))

    /// A reproducible permutation of `snapshots`.
    static func shuffled(_ snapshots: [SnapshotRecord], seed: UInt64) -> [SnapshotRecord] {
        var random = SplitMix64(seed: seed)
        var result = snapshots
        result.shuffle(using: &random)
        return result
    }

    static func plan(
        _ snapshots: [SnapshotRecord], _ scheme: RetentionScheme, verified: VerifiedSnapshots = .known(verified),
        takenByThisRun: String? = nil, now: Date = now
    ) -> RetentionPlan {
        RetentionPlanner.plan(
            listing: .complete(snapshots), verified: verified, scheme: scheme, safety: safety, now: now,
            takenByThisRun: takenByThisRun)
    }

    /// Every line a plan can show: one per decision (id, action, planned status, reason), then the plan's problems.
    static func lines(_ plan: RetentionPlan) -> [String] {
        plan.decisions.map { "\($0.snapshot.id) \($0.action) \($0.plannedStatus.rawValue) \($0.reasonText)" }
            + plan.blockingProblems
    }

    /// FNV-1a (64 bit) of `lines`, a digest that stays the same across runs and platforms.
    static func digest(_ lines: [String]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for line in lines {
            for byte in line.utf8 + [10] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        return String(hash, radix: 16)
    }

    static func expectSamePlan(
        _ one: RetentionPlan, _ other: RetentionPlan, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let sameDecisions = one.decisions == other.decisions
        #expect(sameDecisions, "\(what): decisions differ", sourceLocation: sourceLocation)
        #expect(one.listingProblem == other.listingProblem, "\(what)", sourceLocation: sourceLocation)
        #expect(one.clockSkew == other.clockSkew, "\(what)", sourceLocation: sourceLocation)
        #expect(one.verificationProblem == other.verificationProblem, "\(what)", sourceLocation: sourceLocation)
        let (oneLines, otherLines) = (lines(one), lines(other))
        if let first = zip(oneLines, otherLines).first(where: { $0 != $1 }) {
            Issue.record("\(what): first differing line '\(first.0)' vs '\(first.1)'", sourceLocation: sourceLocation)
        }
    }

    @Test("an unsorted or reversed listing gives exactly the plan of the sorted one", arguments: ["reference", "gfs"])
    func unsortedListingGivesTheSamePlan(schemeName: String) {
        let scheme = schemeName == "reference" ? Self.reference : Self.gfs
        let sorted = Self.plan(Self.history, scheme)
        let taken = Self.history[Self.history.count - 40].id
        let sortedTaken = Self.plan(Self.history, scheme, takenByThisRun: taken)
        let listings = [
            ("reversed", Array(Self.history.reversed())), ("shuffle 1", Self.shuffled(Self.history, seed: 1)),
            ("shuffle 2", Self.shuffled(Self.history, seed: 2)),
        ]
        for (name, listing) in listings {
            Self.expectSamePlan(sorted, Self.plan(listing, scheme), "\(schemeName), \(name)")
            Self.expectSamePlan(
                sortedTaken, Self.plan(listing, scheme, takenByThisRun: taken), "\(schemeName), \(name), taken")
        }
    }

    @Test("equal creation times keep their listing order, however the rest is listed")
    func tiesKeepListingOrder() {
        let time = TestDates.utc(2026, 10, 31, 23, 59, 59)
        let tied = ["c", "a", "b"].map { SnapshotRecord(id: $0, createdAt: time) }
        let others = [
            SnapshotRecord(id: "newer", createdAt: time.addingTimeInterval(0.25)),
            SnapshotRecord(id: "older", createdAt: time.addingTimeInterval(-0.25)),
        ]
        for listing in [others + tied, [tied[0], others[0], tied[1], others[1], tied[2]], tied + others] {
            for scheme in [Self.reference, Self.gfs] {
                #expect(
                    Self.plan(listing, scheme).decisions.map(\.snapshot.id) == ["older", "c", "a", "b", "newer"])
            }
        }
    }

    /// The figures are those of the planner before its speed work (merge sort of the times, a `Set<String>` for the
    /// duplicate check, period keys from the calendar for every snapshot); any change of a decision, a reason or
    /// their order changes the digest.
    @Test("whole plans over a large history are pinned", arguments: ["reference", "gfs"])
    func wholePlansArePinned(schemeName: String) {
        let scheme = schemeName == "reference" ? Self.reference : Self.gfs
        let plan = Self.plan(Self.shuffled(Self.history, seed: 3), scheme)
        let expected: [String: (keep: Int, drop: Int, digest: String)] = [
            "reference": (446, 29_840, "31a5533c2ee05d1a"),
            "gfs": (638, 29_648, "b2783a917f29ecf8"),
        ]
        let lines = Self.lines(plan)
        #expect(plan.keepCount == expected[schemeName]!.keep)
        #expect(plan.dropCount == expected[schemeName]!.drop)
        #expect(Self.digest(lines) == expected[schemeName]!.digest)
    }

    @Test("GFS periods are UTC calendar periods, exactly at their edges and before 1970, in any listing order")
    func gfsPeriodEdges() throws {
        let times: [(String, Date)] = [
            ("1969-12-31T23:59:59.5", TestDates.utc(1970, 1, 1).addingTimeInterval(-0.5)),
            ("1970-01-01T00:00:00", TestDates.utc(1970, 1, 1)),
            ("2024-02-28T23:59:59.999", TestDates.utc(2024, 2, 29).addingTimeInterval(-0.001)),
            ("2024-02-29T00:00:00", TestDates.utc(2024, 2, 29)),
            ("2024-02-29T23:59:59", TestDates.utc(2024, 2, 29, 23, 59, 59)),
            ("2024-03-01T00:00:00", TestDates.utc(2024, 3, 1)),
            ("2026-12-27T23:59:59", TestDates.utc(2026, 12, 27, 23, 59, 59)),  // Sunday of 2026-W52
            ("2026-12-28T00:00:00", TestDates.utc(2026, 12, 28)),  // Monday of 2026-W53
            ("2026-12-31T23:59:59.9", TestDates.utc(2027, 1, 1).addingTimeInterval(-0.1)),
            ("2027-01-01T00:00:00", TestDates.utc(2027, 1, 1)),
            ("2027-01-03T23:59:59", TestDates.utc(2027, 1, 3, 23, 59, 59)),  // last second of 2026-W53
            ("2027-01-04T00:00:00", TestDates.utc(2027, 1, 4)),
            ("2027-01-04T00:59:59.75", TestDates.utc(2027, 1, 4).addingTimeInterval(3_599.75)),
            ("2027-01-04T01:00:00", TestDates.utc(2027, 1, 4, 1)),
        ]
        let snapshots = times.map { SnapshotRecord(id: $0.0, createdAt: $0.1) }
        let planTime = TestDates.utc(2027, 1, 5)
        let noSafety = try SafetyRules(keepNewestVerified: false)
        func kept(_ rules: GFSRules, _ listing: [SnapshotRecord]) -> [String] {
            RetentionPlanner.plan(
                listing: .complete(listing), verified: .known([]), scheme: .gfs(rules), safety: noSafety, now: planTime
            ).decisions.map { "\($0.snapshot.id) \($0.reasonText)" }
        }
        let cases: [(GFSRules, [String])] = [
            (
                try GFSRules(keepHourly: 3),
                [
                    "1969-12-31T23:59:59.5 drop: matches no GFS rule",
                    "1970-01-01T00:00:00 drop: matches no GFS rule",
                    "2024-02-28T23:59:59.999 drop: matches no GFS rule",
                    "2024-02-29T00:00:00 drop: matches no GFS rule",
                    "2024-02-29T23:59:59 drop: matches no GFS rule",
                    "2024-03-01T00:00:00 drop: matches no GFS rule",
                    "2026-12-27T23:59:59 drop: matches no GFS rule",
                    "2026-12-28T00:00:00 drop: matches no GFS rule",
                    "2026-12-31T23:59:59.9 drop: matches no GFS rule",
                    "2027-01-01T00:00:00 drop: matches no GFS rule",
                    "2027-01-03T23:59:59 keep: GFS hourly #3 (2027-01-03 23:00)",
                    "2027-01-04T00:00:00 drop: matches no GFS rule",
                    "2027-01-04T00:59:59.75 keep: GFS hourly #2 (2027-01-04 00:00)",
                    "2027-01-04T01:00:00 keep: GFS hourly #1 (2027-01-04 01:00)",
                ]
            ),
            (
                try GFSRules(keepDaily: 8),
                [
                    "1969-12-31T23:59:59.5 drop: matches no GFS rule",
                    "1970-01-01T00:00:00 drop: matches no GFS rule",
                    "2024-02-28T23:59:59.999 drop: matches no GFS rule",
                    "2024-02-29T00:00:00 drop: matches no GFS rule",
                    "2024-02-29T23:59:59 keep: GFS daily #8 (2024-02-29)",
                    "2024-03-01T00:00:00 keep: GFS daily #7 (2024-03-01)",
                    "2026-12-27T23:59:59 keep: GFS daily #6 (2026-12-27)",
                    "2026-12-28T00:00:00 keep: GFS daily #5 (2026-12-28)",
                    "2026-12-31T23:59:59.9 keep: GFS daily #4 (2026-12-31)",
                    "2027-01-01T00:00:00 keep: GFS daily #3 (2027-01-01)",
                    "2027-01-03T23:59:59 keep: GFS daily #2 (2027-01-03)",
                    "2027-01-04T00:00:00 drop: matches no GFS rule",
                    "2027-01-04T00:59:59.75 drop: matches no GFS rule",
                    "2027-01-04T01:00:00 keep: GFS daily #1 (2027-01-04)",
                ]
            ),
            (
                try GFSRules(keepWeekly: 10),
                [
                    "1969-12-31T23:59:59.5 drop: matches no GFS rule",
                    "1970-01-01T00:00:00 keep: GFS weekly #5 (1970-W01)",
                    "2024-02-28T23:59:59.999 drop: matches no GFS rule",
                    "2024-02-29T00:00:00 drop: matches no GFS rule",
                    "2024-02-29T23:59:59 drop: matches no GFS rule",
                    "2024-03-01T00:00:00 keep: GFS weekly #4 (2024-W09)",
                    "2026-12-27T23:59:59 keep: GFS weekly #3 (2026-W52)",
                    "2026-12-28T00:00:00 drop: matches no GFS rule",
                    "2026-12-31T23:59:59.9 drop: matches no GFS rule",
                    "2027-01-01T00:00:00 drop: matches no GFS rule",
                    "2027-01-03T23:59:59 keep: GFS weekly #2 (2026-W53)",
                    "2027-01-04T00:00:00 drop: matches no GFS rule",
                    "2027-01-04T00:59:59.75 drop: matches no GFS rule",
                    "2027-01-04T01:00:00 keep: GFS weekly #1 (2027-W01)",
                ]
            ),
            (
                try GFSRules(keepMonthly: 10, keepYearly: 10),
                [
                    "1969-12-31T23:59:59.5 keep: GFS monthly #6 (1969-12), yearly #5 (1969)",
                    "1970-01-01T00:00:00 keep: GFS monthly #5 (1970-01), yearly #4 (1970)",
                    "2024-02-28T23:59:59.999 drop: matches no GFS rule",
                    "2024-02-29T00:00:00 drop: matches no GFS rule",
                    "2024-02-29T23:59:59 keep: GFS monthly #4 (2024-02)",
                    "2024-03-01T00:00:00 keep: GFS monthly #3 (2024-03), yearly #3 (2024)",
                    "2026-12-27T23:59:59 drop: matches no GFS rule",
                    "2026-12-28T00:00:00 drop: matches no GFS rule",
                    "2026-12-31T23:59:59.9 keep: GFS monthly #2 (2026-12), yearly #2 (2026)",
                    "2027-01-01T00:00:00 drop: matches no GFS rule",
                    "2027-01-03T23:59:59 drop: matches no GFS rule",
                    "2027-01-04T00:00:00 drop: matches no GFS rule",
                    "2027-01-04T00:59:59.75 drop: matches no GFS rule",
                    "2027-01-04T01:00:00 keep: GFS monthly #1 (2027-01), yearly #1 (2027)",
                ]
            ),
        ]
        for (rules, expected) in cases {
            let sorted = kept(rules, snapshots)
            #expect(sorted == expected)
            #expect(kept(rules, snapshots.reversed()) == sorted)
            #expect(kept(rules, Self.shuffled(snapshots, seed: 7)) == sorted)
        }
    }

    @Test("a repeated id is reported as the first id listed a second time, in listing order")
    func duplicateIDs() {
        let time = TestDates.utc(2026, 11, 1)
        func problem(_ ids: [String]) -> String? {
            let snapshots = ids.enumerated().map {
                SnapshotRecord(id: $0.element, createdAt: time.addingTimeInterval(Double(ids.count - $0.offset)))
            }
            let plan = Self.plan(snapshots, Self.reference)
            #expect(plan.dropCount == 0)
            return plan.listingProblem
        }
        #expect(problem(["a", "b", "c"]) == nil)
        #expect(problem(["a", "b", "b", "a"]) == "snapshot id 'b' is listed more than once")
        #expect(problem(["a", "b", "c", "a", "b"]) == "snapshot id 'a' is listed more than once")
        // Swift compares strings by canonical equivalence, and so does the check.
        #expect(problem(["caf\u{E9}", "x", "cafe\u{301}"]) == "snapshot id 'cafe\u{301}' is listed more than once")
        #expect(problem(["orclK", "orcl\u{212A}"]) == "snapshot id 'orcl\u{212A}' is listed more than once")
        #expect(problem(["orcl\u{212A}", "orclK"]) == "snapshot id 'orclK' is listed more than once")
        #expect(problem(["orcl-1", "orcl-1 "]) == nil)
    }

    @Test("verified ids and the run's own snapshot match by canonical equivalence too")
    func unicodeIDs() {
        let day = TestDates.day
        let snapshots = (0..<40).map { (index: Int) -> SnapshotRecord in
            let id: String = index == 5 ? "orclK-5" : index == 6 ? "caf\u{E9}-6" : "orcl-\(index)"
            let age: Double = Double(40 - index) * day
            return SnapshotRecord(id: id, createdAt: Self.now.addingTimeInterval(-age))
        }
        let scheme = Fixtures.reference(days: 3, months: 0)
        let plan = Self.plan(snapshots, scheme, verified: .known(["orcl\u{212A}-5"]), takenByThisRun: "cafe\u{301}-6")
        #expect(Fixtures.decision(plan, "orclK-5")?.protections == [.newestVerified])
        #expect(Fixtures.decision(plan, "caf\u{E9}-6")?.protections == [.takenByThisRun])
        #expect(plan.dropCount == 40 - 3 - 1 - 1)
    }

    @Test("non-finite creation times: listed first, the first in listing order is named, nothing is dropped")
    func nonFiniteTimes() {
        let history = Fixtures.daily(from: TestDates.utc(2026, 9, 1, 10), through: Self.now)
        let broken = [
            SnapshotRecord(id: "nan", createdAt: Date(timeIntervalSince1970: .nan)),
            SnapshotRecord(id: "minus-infinity", createdAt: Date(timeIntervalSince1970: -.infinity)),
            SnapshotRecord(id: "plus-infinity", createdAt: Date(timeIntervalSince1970: .infinity)),
        ]
        var listing = history
        listing.insert(contentsOf: [broken[2], broken[0]], at: 10)
        listing.append(broken[1])
        for scheme in [Self.reference, Self.gfs] {
            let plan = Self.plan(listing, scheme)
            #expect(plan.listingProblem == "snapshot 'plus-infinity' has no valid creation time")
            #expect(plan.dropCount == 0)
            #expect(plan.decisions.prefix(2).map(\.snapshot.id) == ["nan", "minus-infinity"])
            #expect(plan.decisions.last?.snapshot.id == "plus-infinity")
        }
    }

    @Test("clock skew names the latest snapshot beyond the allowance, the first listed of equal ones")
    func clockSkewTies() {
        let history = Fixtures.daily(from: TestDates.utc(2026, 11, 1, 10), through: Self.now)
        let ahead = Self.now.addingTimeInterval(2 * TestDates.day)
        let future = [
            SnapshotRecord(id: "ahead-b", createdAt: ahead), SnapshotRecord(id: "ahead-a", createdAt: ahead),
            SnapshotRecord(id: "less-ahead", createdAt: ahead.addingTimeInterval(-0.5)),
        ]
        #expect(Self.plan(history + future, Self.gfs).clockSkew?.snapshotID == "ahead-b")
        #expect(Self.plan(future.reversed() + history, Self.gfs).clockSkew?.snapshotID == "ahead-a")
        #expect(Self.plan([future[2]] + history, Self.reference).clockSkew?.snapshotID == "less-ahead")
    }
}
