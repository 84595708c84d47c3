import ConfigModel
import Foundation
import Testing

/// Issue 14 item 4: plain HTTP to an appliance is refused unless allowed, and configuration errors never show a
/// secret (a broken credentials file is reported by file and line only).
@Suite("Configuration: transport security and secrets in messages")
struct TransportAndSecretsTests {
    static let secret = "Zq7-leak-canary-Pw"

    /// `minimalBackup` on `module` with `storage` appended and `database` lines added to `[orcl]`.
    func configuration(_ storage: String, module: String = "zfssa", database: String = "") -> BackupConfiguration {
        BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: \(module)")
                .replacingOccurrences(of: "[orcl]\n", with: "[orcl]\n\(database)\n") + "\n\(storage)\n",
            path: "/etc/oib/backup.cfg", environment: [:])
    }

    func problems(_ configuration: BackupConfiguration, for purposes: ConfigPurpose = [.storage]) -> [ConfigProblem] {
        configuration.databaseCollectingProblems("orcl", for: purposes).1
    }

    @Test func plainHTTPApplianceURLIsRefusedNamingFileSectionAndKey() throws {
        let found = problems(configuration("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x"))
        let problem = try #require(found.first { $0.key == "url" }, "\(found)")
        #expect(problem.file == "/etc/oib/backup.cfg")
        #expect(problem.section == "zfssa")
        #expect(problem.line != nil)
        #expect(problem.message.contains("allowplainhttp: TRUE"), "\(problem)")
        #expect(!problem.description.contains("zfssa01"), "the value is not repeated: \(problem)")
        // Only runs that talk to the appliance care.
        #expect(problems(configuration("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x"), for: []).isEmpty)
    }

    @Test func perDatabaseOverrideAndEveryApplianceEndpointAreChecked() throws {
        let override = problems(
            configuration("[zfssa]\nurl: https://zfssa01:215\npool: p\nproject: x", database: "zfssaurl: HTTP://z2"))
        #expect(override.contains { $0.section == "orcl" && $0.key == "zfssaurl" }, "\(override)")
        let ontap = problems(configuration("[netapp]\nfiler: http://filer1\nvolumeprefix: bk_", module: "netapp"))
        #expect(ontap.contains { $0.section == "netapp" && $0.key == "filer" }, "\(ontap)")
        let softnas = problems(configuration("[softnas]\nserveraddress: http://nas\npool: p", module: "softnas"))
        #expect(softnas.contains { $0.key == "serveraddress" }, "\(softnas)")
        // A bare host name means HTTPS.
        #expect(problems(configuration("[netapp]\nfiler: filer1\nvolumeprefix: bk_", module: "netapp")).isEmpty)
    }

    @Test func allowPlainHTTPAcceptsItAndRecordsIt() throws {
        let settings = try configuration("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x\nallowplainhttp: TRUE")
            .database("orcl", for: [.storage])
        #expect(settings.storage.plainHTTPKey == "url")
        #expect(settings.storage.allowPlainHTTP)
        let https = try configuration("[zfssa]\nurl: https://zfssa01:215\npool: p\nproject: x")
            .database("orcl", for: [.storage])
        #expect(https.storage.plainHTTPKey == nil)
        let notAFlag = problems(
            configuration("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x\nallowplainhttp: yes"))
        #expect(notAFlag.contains { $0.key == "allowplainhttp" }, "\(notAFlag)")
    }

    @Test func aPasswordInTheApplianceURLIsRefusedWithoutShowingIt() throws {
        let found = problems(
            configuration("[zfssa]\nurl: https://admin:\(Self.secret)@zfssa01:215\npool: p\nproject: x"), for: [])
        let problem = try #require(found.first { $0.key == "url" }, "\(found)")
        #expect(problem.message.contains("zfscredentials.cfg"), "\(problem)")
        #expect(!ConfigError(found).description.contains(Self.secret))
        // A user name alone is no secret.
        #expect(problems(configuration("[zfssa]\nurl: https://admin@zfssa01:215\npool: p\nproject: x")).isEmpty)
    }

    @Test func aPlainHTTPFilerFromTheCredentialsFileIsNamedThere() throws {
        let directory = try makeTemporaryDirectory()
        _ = FileManager.default.createFile(
            atPath: directory.appendingPathComponent("netappcredentials.cfg"),
            contents: Data("[netappcredentials]\nuser: a\npassword: b\n[netapp]\nfiler: http://filer9\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let configuration = BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: netapp")
                + "\n[netapp]\nfiler: filer1\nvolumeprefix: bk_\n",
            path: directory.appendingPathComponent("backup.cfg"), environment: [:])
        let found = problems(configuration)
        #expect(
            found.contains {
                $0.file == directory.appendingPathComponent("netappcredentials.cfg") && $0.section == "netapp"
                    && $0.key == "filer"
            }, "\(found)")
    }

    /// Each broken file plants the secret where the parser would quote it; the message names file and line only.
    @Test(arguments: [
        ("[zfscredentials]\nzfsuser: backup\nzfspassword \(secret)\n", 3),
        ("\(secret)\n[zfscredentials]\nzfsuser: backup\nzfspassword: x\n", 1),
        ("[zfscredentials]\nzfsuser: backup\nzfspassword: 100%\(secret)\n", 3),
        ("[zfscredentials]\nzfsuser: backup\nzfspassword: %(\(secret))s\n", 3),
    ])
    func brokenCredentialsFileIsReportedByFileAndLineOnly(text: String, line: Int) throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent("zfscredentials.cfg")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let configuration = BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: zfssa"),
            path: directory.appendingPathComponent("backup.cfg"), environment: [:])
        let error = #expect(throws: ConfigError.self) { try configuration.loadCredentials(for: .zfssa) }
        let description = error?.description ?? ""
        #expect(description.hasPrefix("\(path):\(line): "), "\(description)")
        #expect(!description.contains(Self.secret), "\(description)")
    }
}
