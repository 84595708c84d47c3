/// Listing indices by snapshot id, built in one pass that also finds the first repeated id.
///
/// A `Set<String>` of 100 000 ids cost about a third of a plan (SipHash and a copy of every id). This table hashes
/// the UTF-8 bytes a word at a time and stores only indices. It is used only when every id is ASCII: Swift compares
/// strings by canonical equivalence, and two ASCII strings are equivalent exactly when their bytes are equal, so
/// hashing bytes finds the same duplicates and the same matches as `Set<String>` and `==`. For any other listing
/// (and for a non-ASCII id looked up) callers fall back to `String` hashing.
struct SnapshotIDTable {
    /// `(hash >> 32) << 32 | (index + 1)` per occupied slot, 0 for an empty one; linear probing.
    private var slots: [UInt64]
    private let mask: Int

    private init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// The table of `snapshots` and the listing index of the first snapshot whose id an earlier one already had;
    /// `nil` when an id is not ASCII (or its bytes are not contiguous). After a repeat the table is incomplete
    /// and `table` is `nil`.
    static func build(_ snapshots: [SnapshotRecord]) -> (table: SnapshotIDTable?, firstRepeat: Int?)? {
        guard snapshots.count < Int(UInt32.max) else { return nil }
        var table = SnapshotIDTable(capacity: snapshots.count)
        for index in snapshots.indices {
            guard let hash = asciiHash(snapshots[index].id) else { return nil }
            if table.insert(index, hash: hash, of: snapshots) == false { return (nil, index) }
        }
        return (table, nil)
    }

    /// Inserts `index`; `false` when a snapshot with an equal id is already in the table.
    @inline(__always)
    private mutating func insert(_ index: Int, hash: UInt64, of snapshots: [SnapshotRecord]) -> Bool {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 {
                slots[slot] = tag | UInt64(index + 1)
                return true
            }
            if entry & 0xFFFF_FFFF_0000_0000 == tag, snapshots[Int(entry & 0xFFFF_FFFF) - 1].id == snapshots[index].id {
                return false
            }
            slot = (slot + 1) & mask
        }
    }

    /// The listing index of the snapshot named `id`, `.notListed`, or `.unknown` when `id` is not ASCII (an ASCII
    /// id can be canonically equivalent to a non-ASCII one, e.g. `K` and the Kelvin sign).
    func lookUp(_ id: String, in snapshots: [SnapshotRecord]) -> Lookup {
        guard let hash = Self.asciiHash(id) else { return .unknown }
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return .notListed }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(entry & 0xFFFF_FFFF) - 1
                if snapshots[index].id == id { return .listed(index) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The answer of ``lookUp(_:in:)``.
    enum Lookup: Equatable {
        case listed(Int)
        case notListed
        case unknown
    }

    /// A 64-bit hash of the UTF-8 bytes of an ASCII string, or `nil` when a byte is not ASCII.
    @inline(__always)
    static func asciiHash(_ text: String) -> UInt64? {
        let hash = text.utf8.withContiguousStorageIfAvailable { bytes -> UInt64? in
            let raw = UnsafeRawBufferPointer(bytes)
            var hash: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(raw.count)
            var seen: UInt64 = 0
            var offset = 0
            while offset + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                seen |= word
                hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 29
                offset += 8
            }
            if offset < raw.count {
                var word: UInt64 = 0
                for byte in raw[offset...].reversed() { word = word << 8 | UInt64(byte) }
                seen |= word
                hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
            }
            guard seen & 0x8080_8080_8080_8080 == 0 else { return nil }
            hash ^= hash >> 32
            hash = hash &* 0xD6E8_FEB8_6659_FD93
            return hash ^ (hash >> 32)
        }
        return hash ?? nil
    }
}
