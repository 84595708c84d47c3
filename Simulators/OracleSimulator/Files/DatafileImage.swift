import Foundation

/// The header of a simulated datafile, image copy or restored datafile.
public struct DatafileHeader: Codable, Sendable, Equatable {
    /// The database's DBID.
    public var dbid: Int64
    /// The database name, upper case.
    public var dbName: String
    /// The datafile's number (`file#`).
    public var fileNumber: Int
    /// The tablespace the file belongs to.
    public var tablespace: String
    /// The SCN at which the file was created.
    public var creationSCN: Int64
    /// The SCN the file is consistent with (recovery starts after it).
    public var checkpointSCN: Int64
    /// The time of the checkpoint SCN.
    public var checkpointTime: Date
    /// Blocks after the header.
    public var blockCount: Int
    /// The incarnation's resetlogs id.
    public var resetlogsId: Int64
    /// Set on image copies (RMAN keeps the tag in the copy's header, so `catalog` recovers it).
    public var tag: String?
}

/// One block as read from disk.
public struct DataBlock: Sendable, Equatable {
    /// The block's number (1-based), as expected from its position.
    public var number: Int
    /// SCN of the block's last change.
    public var scn: Int64
    /// Marked unrecoverable by recovery of a NOLOGGING change.
    public var nonlogged: Bool
    /// The block's contents (`ROW|<table>|<row id>|<epoch>` for a row, empty for an empty block).
    public var payload: String
    /// The stored checksum and block number match the block's bytes and position.
    public var checksumValid: Bool
}

/// Real on-disk datafile format: a 1 KiB header (magic + JSON) followed by 512-byte blocks.
///
/// Block layout: bytes 0–7 block number, 8–15 SCN of the last change, 16 flags (bit 0 = nonlogged),
/// 20–23 payload length, 24–507 payload (UTF-8), 508–511 FNV-1a checksum of bytes 0–507.
/// Flipping any byte of a block without fixing the checksum makes `backup validate` report it.
///
/// Costs follow Oracle's: a header read or write touches the 1 KiB header only, a block write touches its block
/// (the file grows only when a block lies beyond its end), and a scan reads the blocks it is given. Only
/// ``create(path:header:)`` and a whole-file ``readBlocks(path:)`` depend on the file's size.
public enum DatafileImage {
    /// The first bytes of every datafile.
    public static let magic = "ORASIMDF"
    /// Bytes of the header before block 1.
    public static let headerSize = 1024
    /// Bytes of one block.
    public static let blockSize = 512
    static let payloadCapacity = 484
    /// Blocks read or written per system call by creation and scans (4 MiB).
    static let chunkBlocks = 8192

    /// Byte offset of block `number` (1-based).
    static func offset(ofBlock number: Int) -> Int { headerSize + (number - 1) * blockSize }

    /// Creates the file with `header` and `header.blockCount` empty blocks, written in chunks.
    public static func create(path: String, header: DatafileHeader) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ioError("cannot create", path) }
        defer { close(descriptor) }
        try writeAll(descriptor, try encodeHeader(header), at: 0, path: path)
        let total = max(1, header.blockCount)
        var chunk = Data(count: min(total, chunkBlocks) * blockSize)
        var first = 1
        while first <= total {
            let count = min(chunkBlocks, total - first + 1)
            chunk.withUnsafeMutableBytes { buffer in
                for index in 0..<count {
                    let slot = UnsafeMutableRawBufferPointer(
                        rebasing: buffer[(index * blockSize)..<((index + 1) * blockSize)])
                    encodeBlock(
                        into: slot, number: first + index, scn: header.creationSCN, nonlogged: false, payload: [])
                }
            }
            try writeAll(descriptor, chunk.prefix(count * blockSize), at: offset(ofBlock: first), path: path)
            first += count
        }
    }

    /// Whether `data` (at least the first 1 KiB of a file) starts like a datafile.
    public static func isDatafile(_ data: Data) -> Bool {
        data.count >= headerSize && data.prefix(magic.utf8.count) == Data(magic.utf8)
    }

    /// Reads the 1 KiB header only.
    public static func readHeader(path: String) throws -> DatafileHeader {
        try withDescriptor(path, writable: false) { descriptor in
            try decodeHeader(try readUpTo(descriptor, count: headerSize, at: 0, path: path))
        }
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

    /// Rewrites the 1 KiB header in place; the blocks are neither read nor written.
    public static func writeHeader(path: String, header: DatafileHeader) throws {
        let bytes = try encodeHeader(header)
        try withDescriptor(path, writable: true) { descriptor in
            try writeAll(descriptor, bytes, at: 0, path: path)
        }
    }

    static func encodeBlock(number: Int, scn: Int64, nonlogged: Bool, payload: String) -> Data {
        var block = Data(count: blockSize)
        block.withUnsafeMutableBytes { buffer in
            encodeBlock(into: buffer, number: number, scn: scn, nonlogged: nonlogged, payload: Array(payload.utf8))
        }
        return block
    }

    /// Encodes one block into `buffer` (`blockSize` bytes).
    static func encodeBlock(
        into buffer: UnsafeMutableRawBufferPointer, number: Int, scn: Int64, nonlogged: Bool, payload: [UInt8]
    ) {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.storeBytes(of: UInt64(number), toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: scn, toByteOffset: 8, as: Int64.self)
        buffer[16] = nonlogged ? 1 : 0
        let length = min(payload.count, payloadCapacity)
        buffer.storeBytes(of: UInt32(length), toByteOffset: 20, as: UInt32.self)
        for index in 0..<length { buffer[24 + index] = payload[index] }
        let checksum = Checksum.fnv1a(UnsafeRawBufferPointer(rebasing: buffer[0..<508]))
        buffer.storeBytes(of: checksum, toByteOffset: 508, as: UInt32.self)
    }

    static func decodeBlock(_ block: Data, expectedNumber: Int) -> DataBlock {
        block.withUnsafeBytes { decodeBlock($0, expectedNumber: expectedNumber) }
    }

    static func decodeBlock(_ bytes: UnsafeRawBufferPointer, expectedNumber: Int) -> DataBlock {
        let stored = bytes.loadUnaligned(fromByteOffset: 508, as: UInt32.self)
        let computed = Checksum.fnv1a(UnsafeRawBufferPointer(rebasing: bytes[0..<508]))
        let length = min(Int(bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)), payloadCapacity)
        let payload = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[24..<(24 + length)]), as: UTF8.self)
        let number = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        return DataBlock(
            number: expectedNumber, scn: bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self),
            nonlogged: bytes[16] & 1 == 1, payload: payload,
            checksumValid: stored == computed && number == expectedNumber)
    }

    /// Reads every block (with checksum verdicts): a full scan, proportional to the file's size.
    public static func readBlocks(path: String) throws -> [DataBlock] {
        var blocks: [DataBlock] = []
        try forEachBlock(path: path, in: nil) { blocks.append($0) }
        return blocks
    }

    /// Reads the blocks of `range` (1-based block numbers; clipped to the header's block count and the file's end).
    public static func readBlocks(path: String, range: ClosedRange<Int>) throws -> [DataBlock] {
        var blocks: [DataBlock] = []
        try forEachBlock(path: path, in: range) { blocks.append($0) }
        return blocks
    }

    /// Calls `body` for every block of `range` (all blocks when nil), reading the file in 4 MiB chunks.
    /// A block cut short by the file's end ends the scan, as a truncated file does in Oracle's.
    public static func forEachBlock(
        path: String, in range: ClosedRange<Int>?, _ body: (DataBlock) throws -> Void
    ) throws {
        try withDescriptor(path, writable: false) { descriptor in
            let header = try decodeHeader(try readUpTo(descriptor, count: headerSize, at: 0, path: path))
            let last = min(range?.upperBound ?? Int.max, max(1, header.blockCount))
            var first = max(1, range?.lowerBound ?? 1)
            while first <= last {
                let count = min(chunkBlocks, last - first + 1)
                let chunk = try readUpTo(descriptor, count: count * blockSize, at: offset(ofBlock: first), path: path)
                let complete = chunk.count / blockSize
                try chunk.withUnsafeBytes { buffer in
                    for index in 0..<complete {
                        try body(
                            decodeBlock(
                                UnsafeRawBufferPointer(
                                    rebasing: buffer[(index * blockSize)..<((index + 1) * blockSize)]),
                                expectedNumber: first + index))
                    }
                }
                if complete < count { return }
                first += count
            }
        }
    }

    /// Raw bytes of one block (for incremental backups): one 512-byte read.
    public static func rawBlock(path: String, number: Int) throws -> Data {
        try withDescriptor(path, writable: false) { descriptor in
            let data = try readUpTo(descriptor, count: blockSize, at: offset(ofBlock: number), path: path)
            guard data.count == blockSize else { throw SimulatorError("block \(number) beyond end of file") }
            return data
        }
    }

    /// Writes blocks (already encoded or newly encoded) in place, each at its offset; runs of adjacent blocks go in
    /// one write. The file grows (with zeros between) only for a block beyond its end.
    public static func writeBlocks(path: String, blocks: [(number: Int, bytes: Data)]) throws {
        guard !blocks.isEmpty else { return }
        // The last write of a block number wins, as in a rewrite of the whole file.
        var latest: [Int: Data] = [:]
        for (number, bytes) in blocks { latest[number] = bytes }
        let numbers = latest.keys.sorted()
        try withDescriptor(path, writable: true) { descriptor in
            var index = 0
            while index < numbers.count {
                var run = Data(latest[numbers[index]]!.prefix(blockSize))
                var end = index + 1
                while end < numbers.count, numbers[end] == numbers[end - 1] + 1 {
                    run.append(latest[numbers[end]]!.prefix(blockSize))
                    end += 1
                }
                try writeAll(descriptor, run, at: offset(ofBlock: numbers[index]), path: path)
                index = end
            }
        }
    }

    /// Flips one byte inside a block's payload area without fixing its checksum (reads and writes that byte).
    public static func corrupt(path: String, block: Int) throws {
        let offset = offset(ofBlock: block) + 100
        try withDescriptor(path, writable: true) { descriptor in
            let byte = try readUpTo(descriptor, count: 1, at: offset, path: path)
            guard let value = byte.first else { throw SimulatorError("block \(block) beyond end of \(path)") }
            try writeAll(descriptor, Data([value ^ 0xFF]), at: offset, path: path)
        }
    }

    // MARK: File access

    static func ioError(_ what: String, _ path: String) -> SimulatorError {
        SimulatorError("\(what) \(path): \(String(cString: strerror(errno)))")
    }

    static func withDescriptor<T>(_ path: String, writable: Bool, _ body: (Int32) throws -> T) throws -> T {
        let descriptor = open(path, writable ? O_RDWR : O_RDONLY)
        guard descriptor >= 0 else { throw ioError("cannot open", path) }
        defer { close(descriptor) }
        return try body(descriptor)
    }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file.
    static func readUpTo(_ descriptor: Int32, count: Int, at offset: Int, path: String) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { buffer in
            while done < count {
                let read = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if read < 0 {
                    if errno == EINTR { continue }
                    throw ioError("cannot read", path)
                }
                if read == 0 { break }
                done += read
            }
        }
        return data.prefix(done)
    }

    static func writeAll(_ descriptor: Int32, _ data: Data, at offset: Int, path: String) throws {
        var done = 0
        try data.withUnsafeBytes { buffer in
            while done < buffer.count {
                let written = pwrite(
                    descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ioError("cannot write", path)
                }
                done += written
            }
        }
    }
}

/// FNV-1a, 32 bit: the simulator's block and file checksum.
public enum Checksum {
    /// The checksum of `bytes`.
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
