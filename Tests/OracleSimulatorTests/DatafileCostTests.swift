import Foundation
import Testing

@testable import OracleSimulator

/// oracle-sim keeps Oracle's cost shape: header reads and writes, block writes and table scans touch only their
/// bytes, so a restore's switch, recovery and open do not grow with the datafiles. The checks count bytes and
/// blocks, never time.
@Suite("Datafile access costs what Oracle's does")
struct DatafileCostTests {
    /// A scratch directory, removed by `body`'s caller.
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "oib-dfcost-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func allocatedBytes(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return -1 }
        return Int(info.st_blocks) * 512
    }

    static func header(blocks: Int) -> DatafileHeader {
        DatafileHeader(
            dbid: 7, dbName: "X", fileNumber: 4, tablespace: "USERS", creationSCN: 10, checkpointSCN: 20,
            checkpointTime: Date(timeIntervalSince1970: 0), blockCount: blocks, resetlogsId: 1, tag: nil)
    }

    @Test("header and block updates of a sparse 1 GiB datafile allocate only the bytes they write")
    func sparseFileStaysSparse() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/big.dbf"
        let blocks = 2_097_152  // 1 GiB of blocks
        var header = Self.header(blocks: blocks)
        // The header and a hole for the blocks: what reading or rewriting the whole file would fill in.
        #expect(FileManager.default.createFile(atPath: path, contents: try DatafileImage.encodeHeader(header)))
        #expect(truncate(path, off_t(DatafileImage.headerSize + blocks * DatafileImage.blockSize)) == 0)
        let size = DatafileImage.headerSize + blocks * DatafileImage.blockSize

        header.checkpointSCN = 99
        try DatafileImage.writeHeader(path: path, header: header)
        #expect(try DatafileImage.readHeader(path: path) == header)
        let block = DatafileImage.encodeBlock(number: 1000, scn: 99, nonlogged: false, payload: "ROW|A.B|1|5")
        try DatafileImage.writeBlocks(path: path, blocks: [(1000, block)])
        #expect(try DatafileImage.rawBlock(path: path, number: 1000) == block)
        try DatafileImage.corrupt(path: path, block: 1000)
        let scanned = try DatafileImage.readBlocks(path: path, range: 999...1001)
        #expect(scanned.map(\.number) == [999, 1000, 1001])
        #expect(scanned[1].checksumValid == false)

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.size] as? Int) == size, "no write extended or truncated the file")
        #expect(Self.allocatedBytes(path) < 1_048_576, "only the header and one block were written")
    }

    @Test("a block write changes that block only; one beyond the end extends the file with zeros")
    func blockWritesKeepTheOtherBlocks() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/small.dbf"
        try DatafileImage.create(path: path, header: Self.header(blocks: 8))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let writes = [2, 3, 7].map {
            ($0, DatafileImage.encodeBlock(number: $0, scn: 40, nonlogged: false, payload: "ROW|A.B|\($0)|5"))
        }
        try DatafileImage.writeBlocks(path: path, blocks: writes)
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after.count == before.count)
        for number in 1...8 {
            let range = DatafileImage.offset(ofBlock: number)..<(DatafileImage.offset(ofBlock: number) + 512)
            if [2, 3, 7].contains(number) {
                #expect(after.subdata(in: range) == writes.first { $0.0 == number }!.1)
            } else {
                #expect(after.subdata(in: range) == before.subdata(in: range), "block \(number) kept")
            }
        }
        #expect(after.prefix(DatafileImage.headerSize) == before.prefix(DatafileImage.headerSize))

        let far = DatafileImage.encodeBlock(number: 10, scn: 41, nonlogged: false, payload: "ROW|A.B|10|5")
        try DatafileImage.writeBlocks(path: path, blocks: [(10, far)])
        let extended = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(extended.count == DatafileImage.offset(ofBlock: 11))
        #expect(extended.prefix(after.count) == after)
        #expect(
            extended.subdata(in: DatafileImage.offset(ofBlock: 9)..<DatafileImage.offset(ofBlock: 10))
                == Data(count: 512))
    }

    /// A database with 4000-block SYSTEM/SYSAUX and an 8000-block USERS (segments of 1024 blocks).
    static func database(_ directory: String, changeTracking: Bool = false) throws -> DatabaseState {
        var options = DatabaseCreationOptions(
            dbUniqueName: "orcl", dbName: "orcl", dbid: 1_433_672_784, oradataDirectory: directory + "/oradata",
            recoveryAreaDirectory: directory + "/fra")
        options.blocksPerDatafile = 4000
        options.blockChangeTracking = changeTracking
        return try DatabaseEngine.create(options, now: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test("a table scan reads its segment: a corrupt block outside it is found by validate, not by the scan")
    func scansReadTheSegmentOnly() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var state = try Self.database(directory)
        for second in 0..<5 {
            try DatabaseEngine.commitTransaction(
                &state, now: Date(timeIntervalSince1970: 1_700_000_100 + Double(second)))
        }
        let users = try #require(state.datafiles.first { $0.tablespace == "USERS" })
        #expect(DatabaseEngine.segment(of: users) == 1...1024)
        #expect(try DatabaseEngine.rowCount(of: DatabaseEngine.workloadTable, in: state) == 5)

        // Block 3000: in the first three quarters, outside the segment.
        try DatafileImage.corrupt(path: users.path, block: 3000)
        #expect(try DatabaseEngine.rowCount(of: DatabaseEngine.workloadTable, in: state) == 5)
        let validated = try #require(try Recovery.validate(state).first { $0.fileNumber == users.fileNumber })
        #expect(validated.corrupt == [3000])
        #expect(validated.examined == 8000)

        // A low block (as the tests' injections use) is inside the segment: the scan hits it.
        try DatafileImage.corrupt(path: users.path, block: 5)
        let error = #expect(throws: DatabaseEngine.ScanError.self) {
            try DatabaseEngine.rowCount(of: DatabaseEngine.workloadTable, in: state)
        }
        guard case .corruptBlock(let file, let block) = error else {
            Issue.record("expected a corrupt block, got \(String(describing: error))")
            return
        }
        #expect(file == users.fileNumber && block == 5)
    }

    @Test("the NOLOGGING-loaded table's scan reads its load range too; other tables' scans do not")
    func nologgingRangeIsScannedForItsTable() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var state = try Self.database(directory)
        try DatabaseEngine.nologgingLoad(&state, now: Date(timeIntervalSince1970: 1_700_000_200), blocks: 4)
        let users = try #require(state.datafiles.first { $0.tablespace == "USERS" })
        let bulk = try #require(state.tables.first { $0.name == "BULKLOAD" })
        #expect(DatabaseEngine.nologgingRange(of: users).lowerBound == 6001)
        #expect(try DatabaseEngine.rowCount(of: bulk, in: state) == 4)
        try DatafileImage.corrupt(path: users.path, block: 6002)
        #expect(throws: DatabaseEngine.ScanError.self) { try DatabaseEngine.rowCount(of: bulk, in: state) }
        #expect(try DatabaseEngine.rowCount(of: DatabaseEngine.workloadTable, in: state) == 0)
    }

    @Test("block change tracking records the changed blocks an incremental backup reads")
    func changeTrackingListsChangedBlocks() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var state = try Self.database(directory, changeTracking: true)
        let users = try #require(state.datafiles.first { $0.tablespace == "USERS" })
        let start = state.currentSCN
        #expect(DatabaseEngine.trackedChanges(state, fileNumber: users.fileNumber, after: start) == [])
        for second in 0..<3 {
            try DatabaseEngine.commitTransaction(
                &state, now: Date(timeIntervalSince1970: 1_700_000_100 + Double(second)))
        }
        let middle = state.currentSCN
        try DatabaseEngine.nologgingLoad(&state, now: Date(timeIntervalSince1970: 1_700_000_200), blocks: 2)
        // Rows 1–3 went to blocks 2–4 of the segment; the load to the first blocks of the last quarter.
        #expect(
            DatabaseEngine.trackedChanges(state, fileNumber: users.fileNumber, after: start) == [2, 3, 4, 6001, 6002])
        #expect(DatabaseEngine.trackedChanges(state, fileNumber: users.fileNumber, after: middle) == [6001, 6002])
        // Tracking that began after the parent's checkpoint cannot say what changed: the whole file is read.
        #expect(DatabaseEngine.trackedChanges(state, fileNumber: users.fileNumber, after: start - 1) == nil)
        state.blockChangeTrackingFile = nil
        #expect(DatabaseEngine.trackedChanges(state, fileNumber: users.fileNumber, after: start) == nil)
    }
}
