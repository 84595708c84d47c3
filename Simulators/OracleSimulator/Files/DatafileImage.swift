import Foundation

/// The header of a simulated datafile, image copy or restored datafile.
public struct DatafileHeader: Codable, Sendable, Equatable {
    public var dbid: Int64
    public var dbName: String
    public var fileNumber: Int
    public var tablespace: String
    public var creationSCN: Int64
    public var checkpointSCN: Int64
    public var checkpointTime: Date
    public var blockCount: Int
    public var resetlogsId: Int64
    /// Set on image copies (RMAN keeps the tag in the copy's header, so `catalog` recovers it).
    public var tag: String?
}

/// One block as read from disk.
public struct DataBlock: Sendable, Equatable {
    public var number: Int
    public var scn: Int64
    /// Marked unrecoverable by recovery of a NOLOGGING change.
    public var nonlogged: Bool
    public var payload: String
    public var checksumValid: Bool
}

/// Real on-disk datafile format: a 1 KiB header (magic + JSON) followed by 512-byte blocks.
///
/// Block layout: bytes 0–7 block number, 8–15 SCN of the last change, 16 flags (bit 0 = nonlogged),
/// 20–23 payload length, 24–507 payload (UTF-8), 508–511 FNV-1a checksum of bytes 0–507.
/// Flipping any byte of a block without fixing the checksum makes `backup validate` report it.
public enum DatafileImage {
    public static let magic = "ORASIMDF"
    public static let headerSize = 1024
    public static let blockSize = 512
    static let payloadCapacity = 484

    public static func create(path: String, header: DatafileHeader) throws {
        var data = try encodeHeader(header)
        for number in 1...max(1, header.blockCount) {
            data.append(encodeBlock(number: number, scn: header.creationSCN, nonlogged: false, payload: ""))
        }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func isDatafile(_ data: Data) -> Bool {
        data.count >= headerSize && data.prefix(magic.utf8.count) == Data(magic.utf8)
    }

    public static func readHeader(path: String) throws -> DatafileHeader {
        try decodeHeader(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func decodeHeader(_ data: Data) throws -> DatafileHeader {
        guard isDatafile(data) else { throw SimulatorError("not a datafile") }
        let lengthBytes = data.subdata(in: 8..<12)
        let length = Int(lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        guard length > 0, 12 + length <= headerSize else { throw SimulatorError("corrupt datafile header") }
        return try JSONCoding.decoder.decode(DatafileHeader.self, from: data.subdata(in: 12..<(12 + length)))
    }

    static func encodeHeader(_ header: DatafileHeader) throws -> Data {
        let json = try JSONCoding.encoderCompact.encode(header)
        guard json.count + 12 <= headerSize else { throw SimulatorError("datafile header too large") }
        var data = Data(magic.utf8)
        var length = UInt32(json.count)
        data.append(Data(bytes: &length, count: 4))
        data.append(json)
        data.append(Data(count: headerSize - data.count))
        return data
    }

    public static func writeHeader(path: String, header: DatafileHeader) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.replaceSubrange(0..<headerSize, with: try encodeHeader(header))
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func encodeBlock(number: Int, scn: Int64, nonlogged: Bool, payload: String) -> Data {
        var block = Data(count: blockSize)
        var number64 = UInt64(number)
        var scn64 = scn
        block.replaceSubrange(0..<8, with: Data(bytes: &number64, count: 8))
        block.replaceSubrange(8..<16, with: Data(bytes: &scn64, count: 8))
        block[16] = nonlogged ? 1 : 0
        let bytes = Data(payload.utf8.prefix(payloadCapacity))
        var length = UInt32(bytes.count)
        block.replaceSubrange(20..<24, with: Data(bytes: &length, count: 4))
        block.replaceSubrange(24..<(24 + bytes.count), with: bytes)
        var checksum = Checksum.fnv1a(block.prefix(508))
        block.replaceSubrange(508..<512, with: Data(bytes: &checksum, count: 4))
        return block
    }

    static func decodeBlock(_ block: Data, expectedNumber: Int) -> DataBlock {
        let bytes = [UInt8](block)
        func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            bytes[offset..<(offset + MemoryLayout<T>.size)].withUnsafeBytes { $0.loadUnaligned(as: T.self) }
        }
        let stored = load(508, UInt32.self)
        let computed = Checksum.fnv1a(Data(bytes[0..<508]))
        let length = min(Int(load(20, UInt32.self)), payloadCapacity)
        let payload = String(decoding: bytes[24..<(24 + length)], as: UTF8.self)
        let number = Int(load(0, UInt64.self))
        return DataBlock(
            number: expectedNumber, scn: load(8, Int64.self), nonlogged: bytes[16] & 1 == 1, payload: payload,
            checksumValid: stored == computed && number == expectedNumber)
    }

    /// Reads every block (with checksum verdicts).
    public static func readBlocks(path: String) throws -> [DataBlock] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = try decodeHeader(data)
        var blocks: [DataBlock] = []
        for number in 1...max(1, header.blockCount) {
            let start = headerSize + (number - 1) * blockSize
            guard start + blockSize <= data.count else { break }
            blocks.append(decodeBlock(data.subdata(in: start..<(start + blockSize)), expectedNumber: number))
        }
        return blocks
    }

    /// Raw bytes of one block (for incremental backups).
    public static func rawBlock(path: String, number: Int) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = headerSize + (number - 1) * blockSize
        guard start + blockSize <= data.count else { throw SimulatorError("block \(number) beyond end of file") }
        return data.subdata(in: start..<(start + blockSize))
    }

    /// Writes blocks (already encoded or newly encoded) in one pass.
    public static func writeBlocks(path: String, blocks: [(number: Int, bytes: Data)]) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (number, bytes) in blocks {
            let start = headerSize + (number - 1) * blockSize
            if start + blockSize > data.count { data.append(Data(count: start + blockSize - data.count)) }
            data.replaceSubrange(start..<(start + blockSize), with: bytes)
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Flips one byte inside a block's payload area without fixing its checksum.
    public static func corrupt(path: String, block: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let offset = headerSize + (block - 1) * blockSize + 100
        guard offset < data.count else { throw SimulatorError("block \(block) beyond end of \(path)") }
        data[offset] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// FNV-1a, 32 bit: the simulator's block and file checksum.
public enum Checksum {
    public static func fnv1a<D: DataProtocol>(_ bytes: D) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}

extension JSONCoding {
    static var encoderCompact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }
}
