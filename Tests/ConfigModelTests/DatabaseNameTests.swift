import Testing

@testable import ConfigModel

@Suite("Database names (db_unique_name)")
struct DatabaseNameTests {
    @Test("Oracle's rule: 1 to 30 ASCII letters, digits, _, $, #, starting with a letter")
    func rule() {
        for valid in ["orcl", "ORCL", "orcl_dr", "db$1", "db#2", "a", String(repeating: "a", count: 30), "Sales_DB1"] {
            #expect(DatabaseName.isValid(valid), "\(valid)")
        }
        for invalid in [
            "", "../x", "../../x", "a/b", "a.b", "a-b", "a b", "1orcl", "_orcl", "$db", "#db", "é", "orclé",
            String(repeating: "a", count: 31), ".", "..", "orcl\n", "orcl/",
        ] {
            #expect(!DatabaseName.isValid(invalid), "\(invalid)")
        }
    }

    @Test("a database section with an invalid name is a problem of the whole file, naming the section and line")
    func sectionNameIsAProblem() throws {
        let configuration = BackupConfiguration(
            text: "[generic]\nbackupdest: /b\n[orcl]\ndbid: 1\n[../../x]\ndbid: 2\n[not-a-db]\nkey: v\n",
            path: "/etc/oib/backup.cfg")
        let problem = try #require(configuration.parseProblems.first)
        #expect(configuration.parseProblems.count == 1)
        #expect(problem.section == "../../x")
        #expect(problem.line == 5)
        #expect(
            problem.description
                == "/etc/oib/backup.cfg:5: [../../x]: '../../x' is not a valid database name (\(DatabaseName.rule))")
        // Every database of the file reports it, and checkconfig lists it.
        #expect(throws: ConfigError.self) { try configuration.database("orcl", for: []) }
        #expect(configuration.validateAll().contains(problem))
        // Sections without a dbid are not databases: their names are not checked.
        let shared = BackupConfiguration(
            text: "[generic]\nbackupdest: /b\n[zfssa]\nurl: x\n[my-notes]\nk: v\n[orcl]\ndbid: 1\n", path: "/c")
        #expect(shared.parseProblems.isEmpty)
    }
}
