import Foundation
import Testing

@testable import ConfigModel

/// `lasttimeutcoffset` beside `lasttime` and the `backuptimezone` setting (issue 15 item 7).
@Suite("autorestore.cfg: the UTC offset of lasttime")
struct LastTimeZoneTests {
    let afterRun = """
        [dbparams]
        db_block_size: 8192
        compatible: 12.1.0.2.0
        db_files: 200
        undo_tablespace: UNDOTBS1
        db_name: orcl
        """

    @Test func theLogSwitchRecordsTheOffsetOfTheDatabaseHostsZoneAtThatTime() throws {
        let directory = try makeTemporaryDirectory()
        try afterRun.write(toFile: directory + "/autorestore.cfg", atomically: true, encoding: .utf8)
        let tallinn = try #require(TimeZone(identifier: "Europe/Tallinn"))
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "1", time: "2016-07-08 22:39:45", bctFile: "", timeZone: tallinn)
        var parameters = try #require(try AutorestoreParameters.read(directory: directory))
        #expect(parameters.lastTime == "2016-07-08 22:39:45")  // unchanged, as the original wrote it
        #expect(parameters["lasttimeutcoffset"] == "+03:00")  // summer time
        #expect(try parameters.lastTimeUTCOffset(file: "f") == 3 * 3600)
        // The next run, in winter, replaces the offset with its own.
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "2", time: "2016-11-08 22:39:45", bctFile: "", timeZone: tallinn)
        parameters = try #require(try AutorestoreParameters.read(directory: directory))
        #expect(parameters["lasttimeutcoffset"] == "+02:00")
        let text = try String(contentsOfFile: directory + "/autorestore.cfg", encoding: .utf8)
        #expect(text.components(separatedBy: "lasttimeutcoffset:").count == 2)
        #expect(text.contains("lasttime: 2016-11-08 22:39:45\nlasttimeutcoffset: +02:00\n"))
    }

    @Test func aFileWithoutTheKeyHasNoOffset() throws {
        let parameters = try AutorestoreParameters(
            text: afterRun + "\nlasttime: 2016-11-08 22:39:45\n", file: "/mnt/autorestore.cfg")
        #expect(try parameters.lastTimeUTCOffset(file: "/mnt/autorestore.cfg") == nil)
    }

    @Test(arguments: [
        ("+02:00", 7200), ("-05:00", -18000), ("+05:30", 19800), ("+0545", 20700), ("-03", -10800),
        ("+00:00", 0), ("+14:00", 50400), (" +01:00 ", 3600),
    ])
    func offsetsAreParsed(text: String, seconds: Int) {
        #expect(AutorestoreParameters.parseUTCOffset(text) == seconds)
    }

    @Test(arguments: [
        "", "02:00", "+2:00", "+02:0", "+02:60", "+15:00", "UTC", "Europe/Tallinn", "+0a:00", "+02::0",
        "+020:0", "++02:00", "+02:00:00",
    ])
    func badOffsetsAreRejectedNamingFileSectionAndKey(text: String) throws {
        #expect(AutorestoreParameters.parseUTCOffset(text) == nil)
        let file = "/mnt/clone/autorestore.cfg"
        let parameters = try AutorestoreParameters(
            text: afterRun + "\nlasttime: 2016-11-08 22:39:45\nlasttimeutcoffset: \(text)\n", file: file)
        let error = #expect(throws: ConfigError.self) { try parameters.lastTimeUTCOffset(file: file) }
        let message = error?.description ?? ""
        #expect(message.contains(file), "\(message)")
        #expect(message.contains("dbparams"), "\(message)")
        #expect(message.contains("lasttimeutcoffset"), "\(message)")
    }

    @Test(arguments: [(7200, "+02:00"), (-18000, "-05:00"), (19800, "+05:30"), (0, "+00:00"), (-34200, "-09:30")])
    func offsetsAreFormatted(seconds: Int, text: String) {
        #expect(AutorestoreParameters.formatUTCOffset(seconds) == text)
    }

    @Test func backupTimeZoneIsReadPerDatabaseOrFromTheAutorestoreSection() throws {
        let shared = try config(minimalBackup + "\n[autorestore]\nbackuptimezone: Europe/Tallinn\n")
            .database("orcl", for: [.backup])
        #expect(shared.autorestore.backupTimeZone == "Europe/Tallinn")
        let perDatabase = try config(
            minimalBackup + "\nautorestorebackuptimezone: America/New_York\n[autorestore]\nbackuptimezone: UTC\n"
        ).database("orcl", for: [.backup])
        #expect(perDatabase.autorestore.backupTimeZone == "America/New_York")
        let unset = try config(minimalBackup).database("orcl", for: [.backup])
        #expect(unset.autorestore.backupTimeZone == nil)
    }

    @Test func anUnknownBackupTimeZoneIsAProblemNamingTheKey() {
        let problems = config(minimalBackup + "\n[autorestore]\nbackuptimezone: Europe/Atlantis\n")
            .databaseCollectingProblems("orcl", for: [.backup]).1
        let problem = problems.first { $0.description.contains("backuptimezone") }
        #expect(problem != nil, "\(problems)")
        #expect(problem?.description.contains("Europe/Atlantis") == true)
        #expect(problem?.description.contains("/etc/oib/backup.cfg") == true)
    }
}
