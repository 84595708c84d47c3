/// Grammar-aware mutations of valid samples: the usual byte-level edits plus the shapes that break parsers in
/// practice — tokens of the format in the wrong place, very long lines, deep nesting, invalid UTF-8 and huge or
/// malformed numbers.
public struct Mutator: Sendable {
    /// Tokens of the input format (`[`, `: `, `%(`, `{"`, …), inserted and swapped by the grammar-aware mutations.
    public var dictionary: [[UInt8]]
    /// Opening and closing tokens for deep nesting (`[`/`]`, `{"a":`/`}`); none for flat formats.
    public var nesting: [(open: [UInt8], close: [UInt8])]
    /// Inputs are cut to this many bytes so that one input stays cheap.
    public var maximumSize: Int

    public init(
        dictionary: [String], nesting: [(open: String, close: String)] = [], maximumSize: Int = 1 << 20
    ) {
        self.dictionary = (dictionary + Self.commonTokens).map { Array($0.utf8) }
        self.nesting = nesting.map { (open: Array($0.open.utf8), close: Array($0.close.utf8)) }
        self.maximumSize = maximumSize
    }

    static let commonTokens = ["\n", "\r\n", "\r", " ", "\t", "\0", "", "\u{FEFF}", "\u{202E}", "é", "😀"]

    /// Numbers at and beyond the limits of the types parsers convert to.
    static let hugeNumbers = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e308", "1e309", "-1e309", "1e-400", "9.2e18", "9.3e18", "-9.3e18", "NaN", "nan",
        "Infinity", "-inf", "-0", "0x7fffffffffffffff", "1" + String(repeating: "0", count: 400), "4294967296",
        "2147483648", "-1", "0", "0.0000001", "1e300", "3.4e38",
    ]

    /// Byte sequences that are not valid UTF-8: stray continuation bytes, overlong forms, surrogates, truncation.
    static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF], [0xFE, 0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3],
    ]

    /// `sample` with one to eight stacked mutations.
    public func mutate(_ sample: [UInt8], splicing others: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var data = sample
        for _ in 0..<(1 + random.below(8)) {
            mutateOnce(&data, splicing: others, random: &random)
        }
        if data.count > maximumSize { data.removeLast(data.count - maximumSize) }
        return data
    }

    func mutateOnce(_ data: inout [UInt8], splicing others: [[UInt8]], random: inout FuzzRandom) {
        let position = random.below(data.count + 1)
        guard !data.isEmpty else {
            data = random.pick(dictionary) + random.pick(Self.invalidUTF8 + [Array("[a]\nb: c".utf8)])
            return
        }
        switch random.below(16) {
        case 0:  // flip a bit
            data[random.below(data.count)] ^= UInt8(1 << random.below(8))
        case 1:  // replace a byte by an interesting one
            data[random.below(data.count)] = random.pick([
                0, 0x7F, 0x80, 0xFF, 0x0A, 0x0D, 0x20, 0x3A, 0x3D, 0x25, 0x22,
            ])
        case 2, 3:  // insert a token of the format
            data.insert(contentsOf: random.pick(dictionary), at: position)
        case 4:  // delete a range
            let start = random.below(data.count)
            data.removeSubrange(start..<min(data.count, start + 1 + random.length(upTo: 64)))
        case 5:  // duplicate a range
            let start = random.below(data.count)
            let chunk = Array(data[start..<min(data.count, start + 1 + random.length(upTo: 256))])
            for _ in 0..<(1 + random.below(4)) { data.insert(contentsOf: chunk, at: min(position, data.count)) }
        case 6:  // splice in part of another sample
            guard let other = others.isEmpty ? nil : random.pick(others), !other.isEmpty else { return }
            let start = random.below(other.count)
            data.insert(contentsOf: other[start..<min(other.count, start + 1 + random.length(upTo: 512))], at: position)
        case 7:  // a very long line
            let unit = random.chance(1, in: 2) ? [random.pick(Array("ax0 :=%[".utf8))] : random.pick(dictionary)
            let count = random.chance(1, in: 8) ? 20_000 + random.below(60_000) : 256 + random.below(4096)
            data.insert(
                contentsOf: Array(repeating: unit, count: max(1, count / max(1, unit.count))).joined(), at: position)
        case 8:  // deep nesting
            guard let pair = nesting.isEmpty ? nil : random.pick(nesting) else {
                data.insert(contentsOf: Array(repeating: random.pick(dictionary), count: 500).joined(), at: position)
                return
            }
            let depth = random.chance(1, in: 4) ? 1000 + random.below(100_000) : 1 + random.below(600)
            var nested = Array(Array(repeating: pair.open, count: depth).joined())
            nested += data[position...]
            nested += Array(
                Array(repeating: pair.close, count: random.chance(1, in: 4) ? random.below(depth) : depth).joined())
            data = Array(data[..<position]) + nested
        case 9:  // invalid UTF-8
            data.insert(contentsOf: random.pick(Self.invalidUTF8), at: position)
        case 10, 11:  // a huge or malformed number in place of a number
            replaceNumber(&data, random: &random)
        case 12:  // duplicate, drop or swap lines
            editLines(&data, random: &random)
        case 13:  // truncate
            data.removeSubrange(position..<data.count)
        case 14:  // swap one token of the format for another
            swapToken(&data, random: &random)
        default:  // random bytes
            data.insert(
                contentsOf: (0..<(1 + random.length(upTo: 64))).map { _ in UInt8(truncatingIfNeeded: random.next()) },
                at: position)
        }
    }

    func replaceNumber(_ data: inout [UInt8], random: inout FuzzRandom) {
        let digits = data.indices.filter { data[$0] >= 0x30 && data[$0] <= 0x39 }
        let number = Array(random.pick(Self.hugeNumbers).utf8)
        guard !digits.isEmpty else {
            data.insert(contentsOf: number, at: random.below(data.count + 1))
            return
        }
        var start = random.pick(digits)
        while start > 0, data[start - 1] >= 0x30, data[start - 1] <= 0x39 || data[start - 1] == 0x2E { start -= 1 }
        var end = start
        while end < data.count, (data[end] >= 0x30 && data[end] <= 0x39) || data[end] == 0x2E { end += 1 }
        data.replaceSubrange(start..<end, with: number)
    }

    func editLines(_ data: inout [UInt8], random: inout FuzzRandom) {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        guard !lines.isEmpty else { return }
        let index = random.below(lines.count)
        switch random.below(4) {
        case 0: lines.insert(lines[index], at: random.below(lines.count + 1))
        case 1: lines.remove(at: index)
        case 2: lines.swapAt(index, random.below(lines.count))
        default: lines[index] = random.pick([[0x20], [0x09], [0x23], [0x3B]]) + lines[index]  // indent or comment
        }
        data = Array(lines.joined(separator: [0x0A]))
    }

    func swapToken(_ data: inout [UInt8], random: inout FuzzRandom) {
        let token = random.pick(dictionary)
        guard !token.isEmpty, data.count >= token.count else { return }
        let starts = (0...(data.count - token.count)).filter { data[$0..<($0 + token.count)].elementsEqual(token) }
        guard !starts.isEmpty else { return }
        let start = random.pick(starts)
        data.replaceSubrange(start..<(start + token.count), with: random.pick(dictionary))
    }
}
