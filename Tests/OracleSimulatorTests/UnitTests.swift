import Foundation
import Testing

@testable import OracleSimulator

@Suite("Parsers and file formats")
struct UnitTests {
    @Test("statement shapes ignore case and whitespace but not content")
    func shapes() {
        let shape = "select 'DATABASE IS REGISTERED IN RC' from rc_database where dbid = {}"
        #expect(
            TextShape.match("SELECT 'DATABASE IS REGISTERED IN RC'\n  FROM rc_database WHERE dbid = 42;", shape) == [
                "42"
            ])
        #expect(TextShape.match("select 'DATABASE IS REGISTERED IN RC' from rc_site where dbid = 42", shape) == nil)
        #expect(TextShape.normalize("a \n\t b ;") == "a b")
    }

    @Test("catalog start with searches a directory that is a symbolic link (a simulated mount point)")
    func catalogPrefixThroughSymbolicLink() throws {
        let root = NSTemporaryDirectory() + "oib-link-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/clone/archivelog", withIntermediateDirectories: true)
        for name in ["data_D-ORCL_FNO-1", "archivelog/1_1.arc", "other"] {
            _ = FileManager.default.createFile(atPath: root + "/clone/" + name, contents: Data("x".utf8))
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/mnt", withDestinationPath: root + "/clone")
        #expect(Recovery.files(matching: root + "/mnt/data_") == [root + "/mnt/data_D-ORCL_FNO-1"])
        #expect(Recovery.files(matching: root + "/mnt/archivelog/") == [root + "/mnt/archivelog/1_1.arc"])
    }

    @Test("SQL*Plus input splits into commands, statements and blocks")
    func sqlplusReader() {
        let inputs = SQLPlusScriptReader.read(
            "set pages 0\nselect 1\nfrom dual;\ndeclare\nx number;\nbegin\nnull;\nend;\n/\nfoo bar\nselect 2 from dual\n"
        )
        #expect(inputs.count == 4)
        #expect(inputs[0] == .command("set pages 0"))
        #expect(inputs[1] == .sql(["select 1", "from dual;"]))
        if case .plsql(let lines) = inputs[2] { #expect(lines.last == "/") } else { Issue.record("expected a block") }
        #expect(inputs[3] == .unknown("foo bar"))
    }

    @Test("RMAN input: stand-alone commands, statements and run blocks")
    func rmanReader() {
        let inputs = RMANScriptReader.read(
            "SET ECHO ON\nCONNECT TARGET /@orcl\nrun {\nallocate channel c1 device type disk;\nrestore controlfile\nfrom '/x;y';\n}\nshow all;\nEXIT\n"
        )
        #expect(inputs.map(\.commands.count) == [1, 1, 2, 1, 1])
        #expect(inputs[2].isRunBlock)
        #expect(inputs[2].commands[1] == "restore controlfile from '/x;y'")
        #expect(inputs[2].lines.count == 5)
    }

    @Test("tnsnames entries spanning lines resolve to host and service")
    func tnsnames() {
        let entries = TNSNames.parse(
            "# comment\nA, B =\n (DESCRIPTION =\n  (ADDRESS = (PROTOCOL = TCP)(HOST = h1)(PORT = 1521))\n  (CONNECT_DATA = (SERVICE_NAME = svc)))\nC=(DESCRIPTION=(ADDRESS=(HOST=h2))(CONNECT_DATA=(SID=orcl)))\n"
        )
        #expect(entries.map(\.alias) == ["A", "B", "C"])
        #expect(entries[1].serviceName == "svc" && entries[1].host == "h1")
        #expect(entries[2].serviceName == "orcl")
    }

    @Test("a flipped byte makes exactly that block fail its checksum")
    func blockChecksums() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("df-\(UUID().uuidString).dbf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = DatafileHeader(
            dbid: 7, dbName: "X", fileNumber: 3, tablespace: "USERS", creationSCN: 10, checkpointSCN: 20,
            checkpointTime: Date(timeIntervalSince1970: 0), blockCount: 8, resetlogsId: 1, tag: nil)
        try DatafileImage.create(path: path, header: header)
        try DatafileImage.writeBlocks(
            path: path,
            blocks: [(2, DatafileImage.encodeBlock(number: 2, scn: 30, nonlogged: false, payload: "ROW|A.B|1|5"))])
        #expect(try DatafileImage.readBlocks(path: path).allSatisfy(\.checksumValid))
        try DatafileImage.corrupt(path: path, block: 6)
        let blocks = try DatafileImage.readBlocks(path: path)
        #expect(blocks.filter { !$0.checksumValid }.map(\.number) == [6])
        #expect(blocks[1].payload == "ROW|A.B|1|5" && blocks[1].scn == 30)
        #expect(try DatafileImage.readHeader(path: path) == header)
    }

    @Test("archived logs detect damage")
    func archivedLogChecksum() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).dbf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = ArchivedLogHeader(
            dbid: 1, dbName: "X", thread: 1, sequence: 9, resetlogsId: 2, firstSCN: 100, nextSCN: 110,
            firstTime: Date(timeIntervalSince1970: 0), nextTime: Date(timeIntervalSince1970: 60))
        let record = RedoRecord(
            scn: 105, time: Date(timeIntervalSince1970: 30), kind: .blockChange, fileNumber: 4, block: 3, payload: "p",
            tablespace: nil, blockCount: nil)
        try ArchivedLogFile.write(path: path, header: header, records: [record])
        #expect(try ArchivedLogFile.read(path: path).records == [record])
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"block\":3", with: "\"block\":4")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SimulatorError.self) { try ArchivedLogFile.read(path: path) }
    }

    @Test("SQL*Plus elapsed and RMAN dates use Oracle's layouts")
    func timeFormats() {
        #expect(OracleTime.elapsed(1) == "00:00:01.00")
        #expect(OracleTime.elapsed(3725.5) == "01:02:05.50")
        let zone = TimeZone(identifier: "UTC")!
        let date = OracleTime.parseISOSeconds("2016-11-08 21:53:24", zone)!
        #expect(OracleTime.banner(date, zone) == "Tue Nov 8 21:53:24 2016")
        #expect(OracleTime.rmanErrorStamp(date, zone) == "11/08/2016 21:53:24")
        #expect(OracleTime.parseISOSeconds("2016-11-08 22-48-51", zone) != nil)
    }
}
