import AutorestoreEngine
import ConfigModel
import Foundation
import Testing

/// Which databases an autorestore run takes, and `--listvalidationdates`: configuration only, no restore.
@Suite("AutorestoreEngine database selection and validation dates")
struct DatabaseSelectionTests {
    /// 2016-11-08 12:00 UTC: UTC day 17113 (the worked example of ValidationScheduleTests).
    static let noon = Date(timeIntervalSince1970: 17_113 * 86_400 + 12 * 3_600)

    /// An engine over a file with `orcl`, `cdb1`, `sales` (validation key `orcl`), `olddb` (autorestore off) and a
    /// section that is no database; it must never reach storage or a catalog.
    static func engine(autorestore: String = "autorestoremodulus: 30") -> AutorestoreEngine {
        let text = """
            [generic]
            backupdest: /nfs/backup
            [autorestore]
            \(autorestore)
            [orcl]
            dbid: 1
            [cdb1]
            dbid: 2
            [olddb]
            dbid: 3
            autorestoreenabled: 0
            [sales]
            dbid: 4
            stringforvalidationmod: orcl
            [shared]
            note: no dbid, so no database
            """
        return AutorestoreEngine(
            configuration: BackupConfiguration(text: text, path: "/etc/oib/backup.cfg"), environment: [:],
            makeDriver: { _, _ in throw AutorestoreSetupError("this test needs no storage") },
            openCatalog: { _, _ in throw AutorestoreSetupError("this test needs no catalog") },
            screen: { _ in }, clock: { noon })
    }

    @Test(
        arguments: [
            (nil, ["orcl", "cdb1", "sales"]),
            ("!orcl", ["cdb1", "sales"]),
            ("!olddb", ["orcl", "cdb1", "sales"]),
            ("!nosuchdb", ["orcl", "cdb1", "sales"]),
            ("cdb1", ["cdb1"]),
            // Named explicitly, a database runs even with autorestoreenabled: 0.
            ("olddb", ["olddb"]),
            ("nosuchdb", []),
            ("shared", []),
        ] as [(String?, [String])])
    func selection(selector: String?, expected: [String]) {
        #expect(Self.engine().databases(selector: selector) == expected)
    }

    @Test(arguments: ["nosuchdb", "shared"])
    func namingADatabaseTheFileLacksStopsTheRun(selector: String) async {
        let error = await #expect(throws: AutorestoreSetupError.self) {
            _ = try await Self.engine().run(selector: selector)
        }
        #expect(error?.message == "/etc/oib/backup.cfg: no database section [\(selector)] (a section with a dbid)")
    }

    @Test func modulusListsTheNextValidationDateOfEveryEnabledDatabase() {
        // orcl's hash is 6 mod 30 and cdb1's 26; day 17113 is 13 mod 30. sales validates with orcl's key.
        #expect(
            Self.engine().validationDateLines() == [
                "orcl: 2016-12-01 (in 23 days)", "cdb1: 2016-11-21 (in 13 days)", "sales: 2016-12-01 (in 23 days)",
            ])
    }

    @Test func chanceAndNeverGiveOneLine() {
        #expect(
            Self.engine(autorestore: "autorestorevalidatechance: 5").validationDateLines() == [
                "Validation is based on chance, probability 1/5"
            ])
        #expect(Self.engine(autorestore: "").validationDateLines() == ["Database validation is not turned on"])
    }
}
