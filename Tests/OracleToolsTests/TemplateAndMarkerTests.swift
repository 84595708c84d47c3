import Foundation
import Testing

@testable import OracleTools

@Suite("Script templates")
struct ScriptTemplateTests {
    let text = """
        [template]
        header: SET ECHO ON
          CONNECT TARGET /@${configname}
        config: CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '${backupdest}/%%U';
          CONFIGURE SNAPSHOT CONTROLFILE NAME TO '${backupdest}/snapcf_${configname}.f';
        query: select name from v$$database where x like 'A%%';
        fullrestore: run {
          # Spfile
          restore spfile;
          }
        both: %(header)s
          EXIT
        broken: ${unterminated
        """

    @Test func twoStageExpansion() throws {
        let templates = try ScriptTemplates(text: text, file: "rmantemplate.cfg")
        #expect(try templates.render("header", ["configname": "orcl"]) == "SET ECHO ON\nCONNECT TARGET /@orcl")
        #expect(
            try templates.render("config", ["configname": "orcl", "backupdest": "/nfs/backup/orcl"])
                == "CONFIGURE CHANNEL DEVICE TYPE DISK FORMAT '/nfs/backup/orcl/%U';\nCONFIGURE SNAPSHOT CONTROLFILE NAME TO '/nfs/backup/orcl/snapcf_orcl.f';"
        )
        #expect(try templates.render("query", [:]) == "select name from v$database where x like 'A%';")
        #expect(try templates.render("fullrestore", [:]) == "run {\n# Spfile\nrestore spfile;\n}")
        #expect(try templates.render("both", ["configname": "x"]) == "SET ECHO ON\nCONNECT TARGET /@x\nEXIT")
    }

    @Test func unknownSubstitutionNamesTemplateAndKey() throws {
        let templates = try ScriptTemplates(text: text, file: "rmantemplate.cfg")
        let error = #expect(throws: TemplateError.self) { try templates.render("header", [:]) }
        #expect(
            error?.description
                == "rmantemplate.cfg: template 'header': unknown substitution '${configname}' (no value named 'configname' in this run)"
        )
        #expect(throws: TemplateError.self) { try templates.render("broken", [:]) }
        let missing = #expect(throws: TemplateError.self) { try templates.render("nosuch", [:]) }
        #expect(missing?.description == "rmantemplate.cfg: template 'nosuch': no such template in [template]")
    }

    @Test func overrideDirectoryWins() throws {
        let builtIn = NSTemporaryDirectory() + "oib-tpl-\(UUID().uuidString)"
        let override = builtIn + "-override"
        for directory in [builtIn, override] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "[template]\nfooter: EXIT\n".write(toFile: builtIn + "/rmantemplate.cfg", atomically: true, encoding: .utf8)
        #expect(
            try ScriptTemplates.load(name: "rmantemplate.cfg", overrideDirectory: override, builtInDirectory: builtIn)
                .render("footer", [:]) == "EXIT")
        try "[template]\nfooter: EXIT;\n".write(
            toFile: override + "/rmantemplate.cfg", atomically: true, encoding: .utf8)
        #expect(
            try ScriptTemplates.load(name: "rmantemplate.cfg", overrideDirectory: override, builtInDirectory: builtIn)
                .render("footer", [:]) == "EXIT;")
        #expect(throws: TemplateError.self) {
            try ScriptTemplates.load(name: "nosuch.cfg", overrideDirectory: nil, builtInDirectory: builtIn)
        }
    }

    @Test func fileWithoutTemplateSectionIsRefused() {
        #expect(throws: TemplateError.self) { try ScriptTemplates(text: "[other]\na: 1\n", file: "x.cfg") }
    }
}

@Suite("Output markers")
struct OutputMarkerTests {
    /// Lines as they appear in the reference transcript of imagecopywithsnap.
    let switchOutput = """
        SYS

        1 row selected.

        CURRENT DATABASE TIME: 2016-11-08 21:53:35
        CURRENT DATABASE SCN: 799175
        BCT FILE: /u01/app/oracle/oradata/ORCL/changetracking/o1_mf_cn8pwrjs_.chg

        3 rows selected.
        """

    @Test func logSwitchState() {
        #expect(
            OutputMarkers.logSwitchState(switchOutput)
                == .init(
                    time: "2016-11-08 21:53:35", scn: "799175",
                    bctFile: "/u01/app/oracle/oradata/ORCL/changetracking/o1_mf_cn8pwrjs_.chg"))
        #expect(
            OutputMarkers.logSwitchState("CURRENT DATABASE TIME: x\nCURRENT DATABASE SCN: 1\nBCT FILE:\n")?.bctFile
                == "")
        #expect(OutputMarkers.logSwitchState("ORA-01034: ORACLE not available") == nil)
    }

    @Test func databaseParameters() {
        let output =
            "dbconfig-db_name: orcl\ndbconfig-compatible: 12.1.0.2.0\nnoise\ndbconfig-backup-finished: 2016-11-08 21:53:58\n"
        let parameters = OutputMarkers.databaseParameters(output)
        #expect(parameters.map(\.0) == ["db_name", "compatible", "backup-finished"])
        #expect(parameters.last?.1 == "2016-11-08 21:53:58")
    }

    @Test func rmanCommandMarkers() {
        #expect(
            OutputMarkers.missingArchivelogCommands("x\nBACKUP force as copy archivelog sequence 12 thread 1;\n")
                == ["BACKUP force as copy archivelog sequence 12 thread 1;"])
        #expect(
            OutputMarkers.deleteCopyCommands("DELETECOPY: delete noprompt datafilecopy '/a/b';\n")
                == ["delete noprompt datafilecopy '/a/b';"])
        #expect(
            OutputMarkers.switchScript(
                "RENAMEDF-run {\nRENAMEDF-restore datafile 5;\nRENAMEDF-}\nRENAMEDF-switch database to copy;\n")
                == ["run {", "restore datafile 5;", "}", "switch database to copy;"])
    }

    @Test(.timeLimit(.minutes(1)))
    func aMarkerLineWithAMillionTrailingBlanksIsTrimmed() {
        // Found by Scripts/fuzz.sh: trimming was quadratic in the blanks (a 30 kB line: 40 s; a million: hours).
        let line = "CDB-DETECT: C##" + String(repeating: " ", count: 1_000_000) + "\n"
        #expect(OutputMarkers.commonUserPrefix(line) == "C##")
    }

    @Test func otherMarkers() {
        #expect(OutputMarkers.commonUserPrefix("CDB-DETECT: C##\n") == "C##")
        #expect(OutputMarkers.commonUserPrefix("CDB-DETECT: NO\n") == "")
        #expect(OutputMarkers.commonUserPrefix("ORA-00942\n") == "")
        #expect(OutputMarkers.isRegisteredInCatalog("DATABASE IS REGISTERED IN RC\n"))
        #expect(!OutputMarkers.isRegisteredInCatalog("no rows selected\n"))
        #expect(
            OutputMarkers.verificationTime("CUSTOM VERIFICATION TIME: 2016-11-08 22:39:35\n") == "2016-11-08 22:39:35")
        #expect(
            OutputMarkers.adrHomes("ADR base = \"/x\"\nADR Homes:\ndiag/rdbms/orcl/orcl\ndiag/tnslsnr/h/l\n")
                == ["diag/rdbms/orcl/orcl", "diag/tnslsnr/h/l"])
    }
}

@Suite("Built-in template files")
struct BuiltInTemplateTests {
    @Test(arguments: [BuiltInTemplates.backup, BuiltInTemplates.restore, BuiltInTemplates.report])
    func loadAndEveryKeyParses(name: String) throws {
        let templates = try BuiltInTemplates.load(name, overrideDirectory: nil)
        #expect(!templates.keys.isEmpty)
    }

    @Test func backupTemplatesHaveTheOriginalsKeys() throws {
        let templates = try BuiltInTemplates.load(BuiltInTemplates.backup, overrideDirectory: nil)
        for key in [
            "header", "headercatalog", "footer", "backupimagecopy", "backupfooter", "registerdatabase",
            "resynccatalog", "config", "configdelalnodg", "configdelaldg", "report", "validatebackup",
            "headerrestore", "fullrestore", "restorefooter", "allocatearchlogchannel", "createuser",
            "dropschedule", "createschedule", "cdbdetect", "sqlplusheader", "sqlplusfooter",
            "archivecurrentlogs", "archivelogmissing", "deletedatafilecopy", "configfromsqlplus",
            "isdbregisteredincatalog", "autorestoreparameters",
        ] {
            #expect(templates.has(key), "missing template \(key)")
        }
    }
}
