import Foundation
import Testing

@testable import OracleSimulator

/// The simulator's own per-program costs (issue #22): dates without DateFormatter, tnsnames.ora without regular
/// expressions, and statements that write only the state they change.
@Suite("Simulator costs")
struct SimulatorCostTests {
    static func reference(_ pattern: String, _ zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }

    @Test(
        "dates print and parse as DateFormatter does, in zones with and without daylight saving",
        arguments: ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
    func datesLikeDateFormatter(zoneName: String) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        let iso = Self.reference("yyyy-MM-dd HH:mm:ss", zone)
        let banner = Self.reference("EEE MMM d HH:mm:ss yyyy", zone)
        let stamp = Self.reference("MM/dd/yyyy HH:mm:ss", zone)
        let compact = Self.reference("yyyyMMdd", zone)
        let fra = Self.reference("yyyy_MM_dd", zone)
        var generator = SystemRandomNumberGenerator()
        // Leap days, year and century ends, dates before 1970, and random instants from 1900 to 2100.
        var instants: [Double] = [
            0, -1, 86_399, 951_782_400, 951_868_800, 4_107_542_399, -2_208_988_800, 1_478_641_800, 1_711_846_800,
        ]
        for _ in 0..<2000 {
            instants.append(Double(Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator)))
        }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(OracleTime.isoSeconds(date, zone) == iso.string(from: date))
            #expect(OracleTime.banner(date, zone) == banner.string(from: date))
            #expect(OracleTime.rmanErrorStamp(date, zone) == stamp.string(from: date))
            #expect(OracleTime.compactDay(date, zone) == compact.string(from: date))
            #expect(OracleTime.fraDay(date, zone) == fra.string(from: date))
            let text = iso.string(from: date)
            #expect(OracleTime.parseISOSeconds(text, zone) == iso.date(from: text))
            let dashed = text.replacingOccurrences(of: ":", with: "-")
            #expect(OracleTime.parseISOSeconds(dashed, zone) == iso.date(from: text))
        }
    }

    @Test("the strict date scan refuses what is not a date; the formatter still decides those")
    func strictDateScan() {
        let utc = TimeZone(identifier: "UTC")!
        for text in [
            "2016-02-30 10:00:00", "2016-13-01 10:00:00", "2016-11-08 24:00:00", "2016-11-08", "x", "",
            "2016-11-08  21:50:00", "2016-11-08 21:50:00 UTC", "+2016-11-08 21:50:00",
        ] {
            #expect(OracleTime.parseFixed(text, timeSeparator: ":", utc) == nil, "\(text)")
        }
        #expect(OracleTime.parseFixed("2016-2-29 1:2:3", timeSeparator: ":", utc) != nil)
        #expect(OracleTime.parseISOSeconds(" 2016-11-08 21:50:00 ", utc) == Date(timeIntervalSince1970: 1_478_641_800))
        #expect(OracleTime.parseISOSeconds("2015-02-29 00:00:00", utc) == nil)
        // The hour a clock is set back and the hour it skips, as DateFormatter reads them.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        for text in ["2016-10-30 02:30:00", "2016-03-27 02:30:00", "2016-10-30 01:59:59", "2016-10-30 03:00:00"] {
            #expect(
                OracleTime.parseISOSeconds(text, berlin)
                    == Self.reference("yyyy-MM-dd HH:mm:ss", berlin).date(from: text),
                "\(text)")
        }
    }

    @Test("tnsnames values: any case and blanks, the whole key only, a value closed by its parenthesis")
    func tnsValues() {
        func value(_ key: String, _ text: String) -> String? { TNSNames.value(of: key, in: Array(text.utf8)) }
        #expect(value("HOST", "(address = ( host\t=  db1.example ) (port=1521))") == "db1.example")
        #expect(value("SID", "(CONNECT_DATA=(SIDX=a)(SID=b))") == "b")
        #expect(value("SERVICE_NAME", "(service_name=orcl.example)") == "orcl.example")
        #expect(value("HOST", "(HOST=a b)") == nil)
        #expect(value("HOST", "(HOST=)") == nil)
        #expect(value("HOST", "(HOST=abc") == nil)
        #expect(value("HOST", "HOST=abc)") == nil)
        let entries = TNSNames.parse(
            (1...100).map {
                "DB\($0) = (DESCRIPTION = (ADDRESS = (HOST = h\($0))) (CONNECT_DATA = (SERVICE_NAME = db\($0))))"
            }
            .joined(separator: "\n"))
        #expect(entries.count == 100)
        #expect(entries.last?.alias == "DB100")
        #expect(entries.last?.host == "h100")
        #expect(entries.last?.serviceName == "db100")
    }

    /// What the regular expression of a shape captures (the way `TextShape.match` worked before the scan).
    static func regexCaptures(_ text: String, _ shape: String) -> [String]? {
        let normalized = TextShape.normalize(text)
        guard let regex = TextShape.compiled(TextShape.regexPattern(for: shape)),
            let match = regex.firstMatch(in: normalized, range: NSRange(normalized.startIndex..., in: normalized))
        else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: normalized).map { String(normalized[$0]) } ?? ""
        }
    }

    @Test("statement shapes: the scan captures what the regular expression captured")
    func shapeScanLikeRegex() {
        let shapes = [
            "select user from dual", "alter system set {}={} scope=both", "alter system archive log current",
            "select 'MARKER VALUE: '||({}) from dual", "{} x {}", "a{}b{}c", "{}", "drop table {} purge",
            "select 'DATABASE IS REGISTERED IN RC' from rc_database where dbid = {}",
            "catalog start with '{}' noprompt",
            "recover copy of database with tag '{}' until time \"to_date('{}', 'yyyy-mm-dd hh24:mi:ss')\"",
        ]
        let texts = [
            "select user from dual", "SELECT  USER\n FROM dual;", "selectuser from dual", "select users from dual",
            "alter system set log_archive_dest_1='LOCATION=/x' scope=both", "alter system set a = b scope = both",
            "alter system set a=b=c scope=both scope=both", "alter system archive log current;",
            "select 'MARKER VALUE: '||(select 1 from dual) from dual", "1 x 2 x 3", "x", " x ", "abcbc", "ac", "abc",
            "drop table t.a purge", "DROP TABLE purge",
            "select 'DATABASE IS REGISTERED IN RC' from rc_database where dbid = 42",
            "catalog start with '/mnt/x' noprompt", "catalog start with '/mnt/x''y' noprompt",
            "recover copy of database with tag 'T1' until time \"to_date('2016-11-08 21:50:00', 'yyyy-mm-dd hh24:mi:ss')\"",
            "", "select", "a b c",
        ]
        for shape in shapes {
            for text in texts {
                let scanned = TextShape.scanMatch(TextShape.normalize(text), TextShape.normalize(shape))
                #expect(scanned != nil)
                #expect(scanned?.values == Self.regexCaptures(text, shape), "\(shape) / \(text)")
                #expect(TextShape.match(text, shape) == Self.regexCaptures(text, shape), "\(shape) / \(text)")
            }
        }
        // Non-ASCII text is left to the expression, which folds case beyond ASCII.
        #expect(TextShape.scanMatch("select ü from dual", "select {} from dual") == nil)
        #expect(TextShape.match("select ü from dual", "select {} from dual") == ["ü"])
    }

    @Test("connect strings: a trailing 'as sysdba' is found as the expression found it")
    func sysdbaSuffix() {
        func stripped(_ text: String) -> String? {
            ConnectionResolver.sysdbaSuffixStart(text).map { String(text[..<$0]) }
        }
        #expect(stripped("/@orcl as sysdba") == "/@orcl")
        #expect(stripped("sys/x@orcl  AS\tSYSDBA  ") == "sys/x@orcl")
        #expect(stripped("/ as sysdba") == "/")
        #expect(stripped("/@orcl") == nil)
        #expect(stripped("/@orclas sysdba") == nil)
        #expect(stripped("/@orcl assysdba") == nil)
        #expect(stripped("as sysdba") == nil)
        #expect(stripped("/@orcl as sysdbax") == nil)
    }

    @Test("archive destinations: LOCATION= is read as the expression read it")
    func archiveLocation() {
        #expect(DatabaseState.location(in: "LOCATION=/u01/arch") == "/u01/arch")
        #expect(
            DatabaseState.location(in: "location = USE_DB_RECOVERY_FILE_DEST valid_for=(x)")
                == "USE_DB_RECOVERY_FILE_DEST")
        #expect(DatabaseState.location(in: "'LOCATION=/a/b' MANDATORY") == "/a/b")
        #expect(DatabaseState.location(in: "SERVICE=stby") == nil)
        #expect(DatabaseState.location(in: "LOCATION='/x' LOCATION=/y") == "/y")
        #expect(DatabaseState.location(in: "LOCATION=") == nil)
    }

    @Test("decoded state is reused only for the file's exact bytes; a missing file is no state, not an error")
    func decodedStateFollowsTheBytes() throws {
        let root = NSTemporaryDirectory() + "oib-sim-cache-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = StateStore(root: URL(fileURLWithPath: root), environment: [:])
        var globals = SimulatorGlobals()
        globals.clockAdvanceSeconds = 60
        try store.saveGlobals(globals)
        #expect(try store.loadGlobals().clockAdvanceSeconds == 60)
        // Another program's version of the same size, written in place with the old file times restored (what a
        // reused inode and a coarse clock can make look alike): read anew, never the decode of the old bytes.
        let path = root + "/globals.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "60", with: "90")
        #expect(changed.utf8.count == text.utf8.count && changed != text)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data(changed.utf8))
        try handle.close()
        try FileManager.default.setAttributes(
            [.modificationDate: attributes[.modificationDate]!], ofItemAtPath: path)
        #expect(try store.loadGlobals().clockAdvanceSeconds == 90)
        #expect(try store.loadInstance("nosuchsid") == nil)
        #expect(try store.loadDatabase("nosuchdb") == nil)
    }

    @Test("a query leaves the state files as they are; a change writes the database's file")
    func queriesWriteNothing() async throws {
        let harness = try SimulatorHarness()
        #expect(try await harness.admin(["create-db", "--name", "orcl", "--dbid", "1433672784"]).exitCode == 0)
        let stateFile = harness.environment["ORACLE_SIM_STATE"]! + "/databases/orcl.json"
        let globalsFile = harness.environment["ORACLE_SIM_STATE"]! + "/globals.json"
        func identity(_ path: String) -> String? {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            return "\(attributes[.systemFileNumber] ?? "") \(attributes[.modificationDate] ?? "")"
        }
        let before = identity(stateFile)
        let globalsBefore = identity(globalsFile)
        #expect(before != nil)
        let query = try await harness.sqlplus(
            "connect /@orcl as sysdba\nselect user from dual;\nselect user from dual;\nexit\n")
        #expect(query.exitCode == 0)
        #expect(query.output.contains("SYS"))
        #expect(identity(stateFile) == before)
        #expect(identity(globalsFile) == globalsBefore)
        let change = try await harness.sqlplus("connect /@orcl as sysdba\nalter system archive log current;\nexit\n")
        #expect(change.exitCode == 0)
        #expect(identity(stateFile) != before)
    }
}
