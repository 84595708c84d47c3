/// A stable least-significant-digit radix sort of creation times, for listings the storage did not return in order.
///
/// Sorting 100 000 `(time, index)` pairs with a comparison closure took about half of a plan; this sorts integer
/// keys that order exactly like the times (`-0.0` equal to `0.0`), in at most six passes of 11 bits, skipping the
/// passes whose digit is the same for every key (the sign, the exponent and, for whole seconds, the low bits of
/// the mantissa). Being stable, it keeps equal times in listing order, as the planner documents.
enum ChronologicalSort {
    private static let digitBits = 11
    private static let bucketCount = 1 << digitBits
    private static let passCount = (64 + digitBits - 1) / digitBits

    /// A key whose unsigned order is the order of `seconds` as a `Double` (`NaN` excluded: callers map it first).
    @inline(__always)
    static func key(_ seconds: Double) -> UInt64 {
        let bits = (seconds == 0 ? 0 : seconds).bitPattern
        return bits >> 63 == 0 ? bits | (1 << 63) : ~bits
    }

    /// Indices of `times` ordered by time, equal times in index order. `times` must hold no `NaN`.
    static func order(of times: [Double]) -> [Int] {
        let count = times.count
        var order = Array(0..<count)
        guard count > 1 else { return order }
        var keys = times.map(key)

        // One read of the keys counts the digits of every pass.
        var histogram = [Int](repeating: 0, count: passCount * bucketCount)
        keys.withUnsafeBufferPointer { keys in
            histogram.withUnsafeMutableBufferPointer { histogram in
                for key in keys {
                    for pass in 0..<passCount {
                        let digit = Int(truncatingIfNeeded: key >> UInt64(pass * digitBits)) & (bucketCount - 1)
                        histogram[pass * bucketCount + digit] += 1
                    }
                }
            }
        }

        let spareKeys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
        let spareOrder = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer {
            spareKeys.deallocate()
            spareOrder.deallocate()
        }
        keys.withUnsafeMutableBufferPointer { keys in
            order.withUnsafeMutableBufferPointer { order in
                var (sourceKeys, sourceOrder) = (keys, order)
                var (targetKeys, targetOrder) = (spareKeys, spareOrder)
                var offsets = [Int](repeating: 0, count: bucketCount)
                for pass in 0..<passCount {
                    let counts = histogram[(pass * bucketCount)..<((pass + 1) * bucketCount)]
                    if counts.contains(count) { continue }  // every key has this digit: the pass changes nothing
                    var start = 0
                    for (bucket, bucketTotal) in counts.enumerated() {
                        offsets[bucket] = start
                        start += bucketTotal
                    }
                    let shift = UInt64(pass * digitBits)
                    offsets.withUnsafeMutableBufferPointer { offsets in
                        for position in 0..<count {
                            let key = sourceKeys[position]
                            let digit = Int(truncatingIfNeeded: key >> shift) & (bucketCount - 1)
                            let target = offsets[digit]
                            offsets[digit] = target + 1
                            targetKeys[target] = key
                            targetOrder[target] = sourceOrder[position]
                        }
                    }
                    swap(&sourceKeys, &targetKeys)
                    swap(&sourceOrder, &targetOrder)
                }
                if sourceOrder.baseAddress != order.baseAddress {
                    _ = order.update(fromContentsOf: sourceOrder)
                }
            }
        }
        return order
    }
}
