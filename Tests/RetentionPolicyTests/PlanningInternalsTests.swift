import Foundation
import Testing

@testable import RetentionPolicy

/// The planner's fast paths (radix sort of times, byte-hashed id table, period buckets) against the plain
/// computations they replace.
@Suite("Retention planning internals match their plain versions")
struct PlanningInternalsTests {
    @Test("the radix sort orders like a stable sort of the times, ties in index order")
    func radixSortMatchesStableSort() {
        var random = SplitMix64(seed: 0x50_47)
        let specials: [Double] = [
            0, -0.0, 1, -1, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1_795_000_000, 1_795_000_000.5, -978_307_200,
        ]
        for round in 0..<200 {
            let count = random.int(0...(round < 100 ? 40 : 3_000))
            let times: [Double] = (0..<count).map { _ in
                switch random.int(0...3) {
                case 0: specials[random.int(0...(specials.count - 1))]
                case 1: Double(random.int(-5...5))
                case 2: 1_700_000_000 + Double(random.int(0...1_000_000)) + Double(random.int(0...999)) / 1_000
                default: Double(bitPattern: random.next() & ~(0x7FF << 52) | (UInt64(random.int(0...0x7FE)) << 52))
                }
            }
            let expected = times.indices.sorted { times[$0] < times[$1] || (times[$0] == times[$1] && $0 < $1) }
            #expect(ChronologicalSort.order(of: times) == expected, "round \(round)")
        }
    }

    @Test("the id table finds the first repeated id and every listed id like Set<String> and ==")
    func idTableMatchesSet() throws {
        var random = SplitMix64(seed: 0x1D5)
        for round in 0..<300 {
            let count = random.int(0...200)
            let snapshots = (0..<count).map { _ in
                SnapshotRecord(
                    id: String(repeating: "x", count: random.int(0...20)) + "-\(random.int(0...(count * 3)))",
                    createdAt: Date(timeIntervalSince1970: 0))
            }
            let built = try #require(SnapshotIDTable.build(snapshots))
            var seen = Set<String>()
            let firstRepeat = snapshots.indices.first { !seen.insert(snapshots[$0].id).inserted }
            #expect(built.firstRepeat == firstRepeat, "round \(round)")
            #expect((built.table == nil) == (firstRepeat != nil))
            guard let table = built.table else { continue }
            for (index, snapshot) in snapshots.enumerated() {
                #expect(table.lookUp(snapshot.id, in: snapshots) == .listed(index))
            }
            #expect(table.lookUp("not-listed", in: snapshots) == .notListed)
            #expect(table.lookUp("x\u{212A}", in: snapshots) == .unknown)
        }
        let unicode = [SnapshotRecord(id: "caf\u{E9}", createdAt: Date(timeIntervalSince1970: 0))]
        #expect(SnapshotIDTable.build(unicode) == nil)
    }

    @Test("period buckets hold exactly the whole seconds of their period key", arguments: GFSPeriod.allCases)
    func periodBucketsMatchKeys(period: GFSPeriod) {
        var random = SplitMix64(seed: 0xB0C)
        let key = { (whole: Int) in GFSSchemeEvaluator.periodKey(period, seconds: Double(whole)) }
        // At the clamp of whole seconds (±1e13 s) only the key itself is compared: beyond it every time has one key.
        for whole in [10_000_000_000_000, -10_000_000_000_000, 9_999_999_999_999, -9_999_999_999_999] {
            #expect(UTCCalendar.bucket(period, wholeSeconds: whole).key == key(whole), "\(whole)")
        }
        var samples = [0, -1, 1, 86_399, 86_400, -86_400, -86_401, 951_782_400, 1_709_164_800]
        for _ in 0..<2_000 { samples.append(random.int(-200_000_000_000...200_000_000_000)) }
        for _ in 0..<2_000 { samples.append(random.int(-3_000_000_000...5_000_000_000)) }
        for whole in samples {
            let bucket = UTCCalendar.bucket(period, wholeSeconds: whole)
            #expect(bucket.contains(whole))
            #expect(bucket.key == key(whole), "\(whole)")
            #expect(key(bucket.start) == bucket.key && key(bucket.end - 1) == bucket.key, "\(whole)")
            #expect(key(bucket.start - 1) != bucket.key && key(bucket.end) != bucket.key, "\(whole)")
        }
    }
}
