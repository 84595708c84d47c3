import Foundation
import RetentionPolicy
import Testing

/// One random retention scenario: a snapshot history with gaps, bursts, clones (some unknown), locks, verified
/// marks (sometimes unreadable), clock skew and the snapshot of the current run, plus random policies,
/// reproducible from its seed.
struct RandomHistory {
    let seed: UInt64
    let listing: SnapshotListing
    let verified: Set<String>
    /// What the planner is told: `verified`, or (sometimes) that the results cannot be read.
    let verifiedSnapshots: VerifiedSnapshots
    let takenByThisRun: String?
    /// What the off-site copy holds: usually nothing configured, sometimes a random subset of the snapshots (plus
    /// ids the source no longer lists), rarely unknown.
    let offsiteCopyBase: OffsiteCopyBase
    let now: Date
    let referenceWindows: ReferenceWindows
    let gfsRules: GFSRules
    let gfsOracleRules: GFSOracle.Rules
    let safety: SafetyRules

    var snapshots: [SnapshotRecord] { listing.snapshots }

    init(seed: UInt64) {
        self.seed = seed
        var random = SplitMix64(seed: seed)
        let now = TestDates.utc(2026, 11, 25, 10).addingTimeInterval(
            Double(random.int(-1_100...1_100)) * TestDates.day
                + Double(random.int(0...86_399)))
        self.now = now

        let count = random.chance(0.04) ? 0 : random.int(1...45)
        var times: [Date] = []
        var cursor = now
        switch random.int(0...3) {
        case 0:  // a daily schedule with jitter; sometimes stopped a while ago
            cursor = cursor.addingTimeInterval(-Double(random.chance(0.3) ? random.int(0...400) : 0) * TestDates.day)
            for _ in 0..<count {
                times.append(cursor.addingTimeInterval(Double(random.int(-7_200...7_200))))
                cursor = cursor.addingTimeInterval(-TestDates.day)
            }
        case 1:  // random gaps from minutes to months
            for _ in 0..<count {
                let gaps: [TimeInterval] = [60, TestDates.hour, TestDates.day, 7 * TestDates.day, 31 * TestDates.day]
                cursor = cursor.addingTimeInterval(-gaps[random.int(0...4)] * Double(random.int(0...3)))
                cursor = cursor.addingTimeInterval(-Double(random.int(0...3_600)))
                times.append(cursor)
            }
        case 2:  // a long outage: the newest snapshot is months or years old
            cursor = cursor.addingTimeInterval(-Double(random.int(20...900)) * TestDates.day)
            for _ in 0..<count {
                times.append(cursor)
                cursor = cursor.addingTimeInterval(
                    -Double(random.int(1...20)) * TestDates.day - Double(random.int(0...9_999)))
            }
        default:  // bursts of identical timestamps around month ends
            for _ in 0..<count {
                if random.chance(0.6) {
                    let monthStart = TestDates.utcCalendar.dateInterval(of: .month, for: cursor)!.start
                    cursor = monthStart.addingTimeInterval(Double(random.int(-3...0)) * TestDates.day)
                    cursor = cursor.addingTimeInterval(-Double(random.int(0...40)) * TestDates.day)
                }
                let burst = random.int(1...3)
                for _ in 0..<burst where times.count < count { times.append(cursor) }
                if times.count >= count { break }
            }
        }
        // clock skew: snapshots stamped after `now`, or shifted against the storage order
        if random.chance(0.15) {
            for _ in 0..<random.int(1...3) where !times.isEmpty {
                let index = random.int(0...(times.count - 1))
                times[index] = now.addingTimeInterval(Double(random.int(1...259_200)))
            }
        }
        if random.chance(0.1) {
            for index in times.indices where random.chance(0.2) {
                times[index] = times[index].addingTimeInterval(Double(random.int(-20_000...20_000)))
            }
        }
        if random.chance(0.3) {
            times = times.map { $0.addingTimeInterval(Double(random.int(0...999)) / 1_000) }
        }

        var snapshots = times.enumerated().map { index, time in
            SnapshotRecord(
                id: "snap-\(seed % 1_000)-\(index)", createdAt: time,
                cloneCount: random.chance(0.08) ? random.int(1...3) : 0, isLocked: random.chance(0.05),
                totalBytes: random.chance(0.2) ? nil : Int64(random.int(0...(1 << 45))),
                uniqueBytes: Int64(random.int(-1...(1 << 35))))
        }
        if random.chance(0.5) { snapshots.shuffle(using: &random) } else { snapshots.reverse() }

        var verified = Set(snapshots.filter { _ in random.chance(0.15) }.map(\.id))
        if random.chance(0.2) { verified.insert("deleted-long-ago") }
        self.verified = verified

        let listingIsIncomplete = random.chance(0.05)

        referenceWindows = try! ReferenceWindows(
            days: random.chance(0.2) ? 0 : random.int(1...45), months: random.chance(0.25) ? 0 : random.int(1...26))

        var oracle = GFSOracle.Rules()
        repeat {
            oracle.last = random.chance(0.4) ? random.int(1...6) : 0
            oracle.hourly = random.chance(0.3) ? random.int(1...12) : 0
            oracle.daily = random.chance(0.5) ? random.int(1...10) : 0
            oracle.weekly = random.chance(0.4) ? random.int(1...6) : 0
            oracle.monthly = random.chance(0.4) ? random.int(1...12) : 0
            oracle.yearly = random.chance(0.3) ? random.int(1...3) : 0
            oracle.within =
                random.chance(0.3)
                ? (random.int(0...1), random.int(0...13), random.int(0...40), random.int(0...30)) : nil
            if let within = oracle.within, within == (0, 0, 0, 0) { oracle.within = nil }
        } while oracle.last + oracle.hourly + oracle.daily + oracle.weekly + oracle.monthly + oracle.yearly == 0
            && oracle.within == nil
        gfsOracleRules = oracle
        gfsRules = try! GFSRules(
            keepLast: oracle.last, keepHourly: oracle.hourly, keepDaily: oracle.daily, keepWeekly: oracle.weekly,
            keepMonthly: oracle.monthly, keepYearly: oracle.yearly,
            keepWithin: oracle.within.map {
                CalendarSpan(years: $0.years, months: $0.months, days: $0.days, hours: $0.hours)
            })

        let minimumCount = random.int(1...5)
        let keepNewestVerified = random.chance(0.8)
        let complianceDays = random.chance(0.3) ? random.int(1...20) : 0
        // Often large enough for every stamp above (at most three days ahead), so the schemes still get to decide
        // on histories with snapshots stamped after now.
        let allowance = random.chance(0.4) ? 300 : random.chance(0.5) ? 259_200 : random.int(0...259_200)
        safety = try! SafetyRules(
            minimumCount: minimumCount, keepNewestVerified: keepNewestVerified, complianceDays: complianceDays,
            clockSkewAllowanceSeconds: allowance)

        // Drawn last, so the histories above stay those of the seeds before these were added.
        for index in snapshots.indices where random.chance(0.03) { snapshots[index].cloneCount = nil }
        verifiedSnapshots =
            random.chance(0.05) ? .unreadable(reason: "results catalog unreachable") : .known(verified)
        takenByThisRun =
            !snapshots.isEmpty && random.chance(0.3) ? snapshots[random.int(0...(snapshots.count - 1))].id : nil
        if !snapshots.isEmpty, random.chance(0.2) {
            var held: Set<String> = ["dropped-at-the-source"]
            for snapshot in snapshots where random.chance(0.3) { held.insert(snapshot.id) }
            offsiteCopyBase = .replicaHolds(held)
        } else {
            offsiteCopyBase = random.chance(0.03) ? .unknown(reason: "replica appliance unreachable") : .none
        }
        listing =
            listingIsIncomplete
            ? .incomplete(snapshots, reason: "page 2 of the listing timed out")
            : .complete(snapshots)
    }

    /// Indices of the snapshots ordered oldest first, ties in listing order (the documented order).
    var chronologicalIndices: [Int] {
        snapshots.indices.sorted { (snapshots[$0].createdAt, $0) < (snapshots[$1].createdAt, $1) }
    }
}

/// Runs `property` over `count` random histories and records a failure, with the seed to replay, for each of
/// the first few histories that violate it. `RETENTION_PROPERTY_SEED=<seed>` replays a single history.
@discardableResult
func checkProperty(
    _ name: String, count: Int = 10_000, sourceLocation: SourceLocation = #_sourceLocation,
    _ property: (RandomHistory) async -> [String]
) async -> Int {
    let seeds: [UInt64]
    if let replay = ProcessInfo.processInfo.environment["RETENTION_PROPERTY_SEED"], let seed = UInt64(replay) {
        seeds = [seed]
    } else {
        var master = SplitMix64(seed: 0x5EED_0000 &+ UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF))
        seeds = (0..<count).map { _ in master.next() }
    }
    var failing = 0
    for seed in seeds {
        let violations = await property(RandomHistory(seed: seed))
        guard !violations.isEmpty else { continue }
        failing += 1
        if failing <= 5 {
            let message: String =
                "\(name): history seed \(seed) (replay with RETENTION_PROPERTY_SEED=\(seed)): "
                + violations.prefix(5).joined(separator: "; ")
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
    return seeds.count
}
