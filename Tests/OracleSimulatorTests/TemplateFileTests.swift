import ConfigModel
import Foundation
import Testing

/// The template files are valid in the project's INI dialect and carry every key the tools use.
@Suite("Template files")
struct TemplateFileTests {
    static let requiredKeys: [String: [String]] = [
        "rmantemplate.cfg": [
            "header", "headercatalog", "footer", "backupimagecopy", "backupfooter", "registerdatabase", "resynccatalog",
            "config", "configdelalnodg", "configdelaldg", "report", "validatebackup", "headerrestore", "fullrestore",
            "restorefooter", "allocatearchlogchannel", "createuser", "dropschedule", "createschedule", "cdbdetect",
            "sqlplusheader", "sqlplusfooter", "archivecurrentlogs", "archivelogmissing", "deletedatafilecopy",
            "configfromsqlplus", "isdbregisteredincatalog", "autorestoreparameters", "markervalue",
        ],
        "restoretemplate.cfg": [
            "autoinitora", "cdbinitora", "sqlplusheader", "sqlplusfooter", "startupnomount", "rmanheader", "rmanfooter",
            "rmanmount", "clearlogs", "rmancatalog", "disablebct", "switchdatafiles", "recoverdatafiles",
            "openandverify", "blockcounts", "blockcounts11", "markercheck",
            "validateblocks", "showcorruptblocks", "shutdownabort", "shutdown", "createcatalog", "sqlldrlog",
            "insertlog", "insertlogdetail", "catalogobjects", "createcatalogheader", "createcatalogfooter",
            "catalogddl_restoreaction_seq", "catalogddl_restoreaction", "catalogddl_restorelob",
            "catalogddl_log_retention",
            "catalogddl_restoreaction_detail", "catalogddl_backupaction_seq", "catalogddl_backupaction",
            "catalogddl_backupaction_retention", "insertbackup", "listrestores", "listrestoresoriginal", "listbackups",
            "verifiedsnapshots", "instantinitora", "instantopen", "instantdatafiles", "movedatafile",
            "instantfilelocations",
        ],
        "reporttemplate.cfg": [
            "sqlplusheader", "sqlplusautorestoreheader", "sqlplusfooter", "jobstatus", "autorestorestatus",
        ],
    ]

    @Test(
        "each template file parses with the project's INI parser and agrees with the test renderer",
        arguments: ["rmantemplate.cfg", "restoretemplate.cfg", "reporttemplate.cfg"])
    func parses(file: String) throws {
        let url = TemplateFile.templatesDirectory().appendingPathComponent(file)
        let document = try INIParser.parse(try String(contentsOf: url, encoding: .utf8), file: url.path)
        #expect(document.sectionNames == ["template"])
        let local = try TemplateFile(named: file)
        for key in Self.requiredKeys[file] ?? [] {
            let value = try document.value(section: "template", key: key)
            #expect(value != nil, "\(file) lacks \(key)")
            #expect(value == local.entries[key], "\(file) \(key) differs between parsers")
        }
    }

    @Test("the marker strings of the reference are unchanged")
    func referenceMarkers() throws {
        let backup = try TemplateFile(named: "rmantemplate.cfg")
        let restore = try TemplateFile(named: "restoretemplate.cfg")
        let all = (Array(backup.entries.values) + Array(restore.entries.values)).joined(separator: "\n")
        for marker in [
            "'DATABASE IS REGISTERED IN RC'", "'BACKUP force as copy archivelog sequence '", "'DELETECOPY: ",
            "'CURRENT DATABASE TIME: '", "'CURRENT DATABASE SCN: '", "'BCT FILE: '", "'dbconfig-", "'CDB-DETECT: ",
            "'RENAMEDF-", "'CUSTOM VERIFICATION TIME: '", "'LOG MESSAGE ID: '",
        ] {
            #expect(all.contains(marker), "missing marker \(marker)")
        }
    }
}
