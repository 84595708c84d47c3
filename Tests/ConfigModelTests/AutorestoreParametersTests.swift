import Foundation
import Testing

@testable import ConfigModel

@Suite("autorestore.cfg contract")
struct AutorestoreParametersTests {
    let afterRun = """
        [dbparams]
        db_block_size: 8192
        compatible: 12.1.0.2.0
        db_files: 200
        undo_tablespace: UNDOTBS1
        db_name: orcl
        enable_pluggable_database: FALSE
        backup-finished: 2016-11-08 21:53:58
        """

    @Test func logSwitchReplacesInsteadOfAppending() throws {
        let directory = try makeTemporaryDirectory()
        #expect(
            try AutorestoreParameters.recordLogSwitch(directory: directory, scn: "1", time: "t", bctFile: "") == false)
        #expect(!FileManager.default.fileExists(atPath: directory + "/autorestore.cfg"))  // first run: no file

        try afterRun.write(toFile: directory + "/autorestore.cfg", atomically: true, encoding: .utf8)
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "799175", time: "2016-11-08 21:53:35",
            bctFile: "/u01/bct.chg")
        // A failed run leaves its values; the next run replaces them.
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "799500", time: "2016-11-08 22:39:45",
            bctFile: "/u01/bct.chg")
        let text = try String(contentsOfFile: directory + "/autorestore.cfg", encoding: .utf8)
        #expect(text.components(separatedBy: "lasttime:").count == 2)
        let parameters = try #require(try AutorestoreParameters.read(directory: directory))
        #expect(parameters.lastTime == "2016-11-08 22:39:45")
        #expect(parameters["lastscn"] == "799500")
        #expect(parameters.missingForRestore.isEmpty)
        #expect(parameters.databaseName == "orcl")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["autorestore.cfg"])
    }

    @Test func markerIsRecordedWithTheLogSwitchAndNeverCarriedOver() throws {
        let directory = try makeTemporaryDirectory()
        try afterRun.write(toFile: directory + "/autorestore.cfg", atomically: true, encoding: .utf8)
        let marker = AutorestoreParameters.Marker(query: "select count(*) from app.orders", value: "42")
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "1", time: "2016-11-08 21:53:35", bctFile: "", marker: marker)
        #expect(try AutorestoreParameters.read(directory: directory)?.marker == marker)
        // The next backup's query failed: the old value must not describe the new snapshot.
        try AutorestoreParameters.recordLogSwitch(
            directory: directory, scn: "2", time: "2016-11-08 22:39:45", bctFile: "")
        let text = try String(contentsOfFile: directory + "/autorestore.cfg", encoding: .utf8)
        #expect(!text.contains("marker"))
        #expect(try AutorestoreParameters.read(directory: directory)?.marker == nil)
    }

    @Test func originalsDuplicateKeysStillReadLastWins() throws {
        let parameters = try AutorestoreParameters(
            text: afterRun + "\nlasttime: 2016-11-08 21:00:00\nlasttime: 2016-11-08 22:39:45\n", file: "a.cfg")
        #expect(parameters.lastTime == "2016-11-08 22:39:45")
    }

    @Test func incompleteFileIsNotRestorable() throws {
        let parameters = try AutorestoreParameters(text: "[dbparams]\n", file: "a.cfg")
        #expect(
            parameters.missingForRestore == [
                "db_name", "lasttime", "compatible", "db_block_size", "db_files",
                "undo_tablespace",
            ])
        #expect(throws: ConfigError.self) { try AutorestoreParameters(text: "garbage", file: "a.cfg") }
    }
}
