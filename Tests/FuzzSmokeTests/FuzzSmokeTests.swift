import FuzzHarness
import Testing

/// A bounded, fixed-seed run of every fuzz target inside the test suite; the full budget runs in Scripts/fuzz.sh.
/// A crash ends the test process (and so fails the run); a failed check is reported with its seed and index.
@Suite("Fuzzing smoke run (fixed seed, bounded)", .serialized)
struct FuzzSmokeTests {
    static let seed: UInt64 = 14

    @Test(arguments: FuzzTargets.all.map(\.name))
    func target(_ name: String) async throws {
        let target = try #require(FuzzTargets.named(name))
        let found = await FuzzRunner.run(target, seed: Self.seed, count: 250)
        #expect(
            found == nil, "\(name): seed \(Self.seed) index \(found?.index ?? 0): \(found?.finding.description ?? "")")
    }

    @Test func inputsAreDeterministicPerSeedAndIndex() throws {
        for target in FuzzTargets.all {
            #expect(target.input(seed: 7, index: 3) == target.input(seed: 7, index: 3))
            let distinct = Set((0..<20).map { target.input(seed: 7, index: UInt64($0)) })
            #expect(distinct.count > 10, "\(target.name): \(distinct.count) distinct inputs of 20")
        }
    }
}
