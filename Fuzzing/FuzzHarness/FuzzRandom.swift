/// A small, fast, deterministic generator (SplitMix64): the same seed gives the same inputs on every machine, so
/// a finding is reproduced from its target, seed and index alone.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The generator of input `index` of `target` in a run seeded with `seed`.
    public init(seed: UInt64, target: String, index: UInt64) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the target name
        for byte in target.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        var mixer = FuzzRandom(seed: seed ^ hash)
        state = mixer.next() ^ (index &* 0x9e37_79b9_7f4a_7c15)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when `bound` is 0).
    public mutating func below(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next() % UInt64(bound))
    }

    /// True with probability `numerator`/`denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    /// A random element (the collection must not be empty).
    public mutating func pick<C: Collection>(_ items: C) -> C.Element where C.Index == Int {
        items[items.startIndex + below(items.count)]
    }

    /// A length that is usually small and now and then large: mutations need both.
    public mutating func length(upTo maximum: Int) -> Int {
        switch below(10) {
        case 0..<6: below(min(maximum, 16) + 1)
        case 6..<9: below(min(maximum, 512) + 1)
        default: below(maximum + 1)
        }
    }
}
