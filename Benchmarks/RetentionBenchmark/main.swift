// Benchmark: plan retention for a large snapshot history. Not a test; run it with Scripts/bench.sh.
//
// usage: retention-bench [--snapshots N] [--iterations N] [--only TEXT] [--markdown]
// With --markdown it prints one table row per scenario: | scenario | snapshots | median ms | min ms | max ms |

import Foundation
import RetentionPolicy

struct Options {
    var snapshots = 100_000
    var iterations = 30
    var markdown = false
    /// Run only the scenarios whose name contains this text (for profiling one of them).
    var only: String?

    init(arguments: [String]) {
        var remaining = arguments.dropFirst()
        while let argument = remaining.popFirst() {
            switch argument {
            case "--snapshots": snapshots = remaining.popFirst().flatMap(Int.init) ?? snapshots
            case "--iterations": iterations = remaining.popFirst().flatMap(Int.init) ?? iterations
            case "--only": only = remaining.popFirst()
            case "--markdown": markdown = true
            default:
                print("usage: retention-bench [--snapshots N] [--iterations N] [--only TEXT] [--markdown]")
                exit(2)
            }
        }
    }
}

/// A deterministic history: one snapshot an hour back from `now`, every 97th with a clone, every 1 009th locked.
func makeHistory(count: Int, now: Date) -> [SnapshotRecord] {
    (0..<count).reversed().map { (age: Int) -> SnapshotRecord in
        let secondsBeforeNow: Double = Double(age) * 3_600 + Double(age % 7) * 60
        return SnapshotRecord(
            id: "orcl-\(age)", createdAt: now.addingTimeInterval(-secondsBeforeNow),
            cloneCount: age % 97 == 0 ? 1 : 0, isLocked: age % 1_009 == 0, totalBytes: Int64(age) << 20,
            uniqueBytes: Int64(age % 4_096) << 10)
    }
}

/// A fixed permutation (linear congruential shuffle) so the "unsorted listing" scenario is reproducible.
func scrambled(_ snapshots: [SnapshotRecord]) -> [SnapshotRecord] {
    var result = snapshots
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    for index in result.indices.reversed() where index > 0 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        result.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
    }
    return result
}

let options = Options(arguments: CommandLine.arguments)
let now = Date(timeIntervalSince1970: 1_795_000_000)
let sorted = makeHistory(count: options.snapshots, now: now)
let unsorted = scrambled(sorted)
let verified = Set(sorted.suffix(200).enumerated().filter { $0.offset % 24 == 0 }.map(\.element.id))
let reference = RetentionScheme.reference(try! ReferenceWindows(days: 14, months: 24))
let gfs = RetentionScheme.gfs(
    try! GFSRules(
        keepLast: 10, keepHourly: 48, keepDaily: 30, keepWeekly: 12, keepMonthly: 24, keepYearly: 10,
        keepWithin: CalendarSpan(days: 7)))
let safety = try! SafetyRules(minimumCount: 3, keepNewestVerified: true, complianceDays: 2)

let scenarios: [(name: String, snapshots: [SnapshotRecord], scheme: RetentionScheme)] = [
    ("reference, listing sorted", sorted, reference),
    ("reference, listing unsorted", unsorted, reference),
    ("gfs, listing sorted", sorted, gfs),
    ("gfs, listing unsorted", unsorted, gfs),
]

let clock = ContinuousClock()
var checksum = 0
for scenario in scenarios where options.only.map({ scenario.name.contains($0) }) ?? true {
    let listing = SnapshotListing.complete(scenario.snapshots)
    var milliseconds: [Double] = []
    for iteration in 0..<(options.iterations + 3) {
        var plan: RetentionPlan?
        let elapsed = clock.measure {
            plan = RetentionPlanner.plan(
                listing: listing, verifiedSnapshotIDs: verified, scheme: scenario.scheme, safety: safety, now: now)
        }
        checksum &+= plan?.dropCount ?? 0
        if iteration >= 3 {  // warm-up runs are not counted
            let parts = elapsed.components
            milliseconds.append(Double(parts.seconds) * 1_000 + Double(parts.attoseconds) / 1e15)
        }
    }
    milliseconds.sort()
    let median = milliseconds[milliseconds.count / 2]
    let format = { (value: Double) in String((value * 10).rounded() / 10) }
    if options.markdown {
        print(
            "| \(scenario.name) | \(options.snapshots) | \(format(median)) | \(format(milliseconds.first!)) | \(format(milliseconds.last!)) |"
        )
    } else {
        print(
            "\(scenario.name): \(options.snapshots) snapshots, median \(format(median)) ms, min \(format(milliseconds.first!)) ms, max \(format(milliseconds.last!)) ms"
        )
    }
}
if !options.markdown { print("checksum \(checksum)") }
