/// CPython 2's string hash on 64-bit Linux with hash randomisation off, bit for bit (reference §8.3, R-34).
///
/// The original chose each database's block-validation day from `hash(name) % modulus`; reproducing the hash keeps
/// existing installations validating on the same days.
public enum Python2Hash {
    /// The hash of `text`'s UTF-8 bytes (the original hashed configuration values as byte strings).
    public static func hash(_ text: String) -> Int64 { hash(bytes: Array(text.utf8)) }

    /// The hash of `bytes`: 0 for none, never -1 (CPython's error value becomes -2).
    public static func hash(bytes: [UInt8]) -> Int64 {
        guard let first = bytes.first else { return 0 }
        var x = UInt64(first) << 7
        for byte in bytes { x = (x &* 1_000_003) ^ UInt64(byte) }
        x ^= UInt64(bytes.count)
        let result = Int64(bitPattern: x)
        return result == -1 ? -2 : result
    }

    /// Python's `%`: the result has the sign of the divisor (floor modulo), so it is in `[0, m)` for `m > 0`.
    public static func floorModulo(_ value: Int64, _ modulus: Int64) -> Int64 {
        let remainder = value % modulus
        return remainder != 0 && (remainder < 0) != (modulus < 0) ? remainder + modulus : remainder
    }
}
