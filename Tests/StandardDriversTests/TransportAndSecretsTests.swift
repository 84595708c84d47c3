import ConfigModel
import Foundation
import StandardDrivers
import Testing

/// Issue 14 item 4: plain HTTP to an appliance is refused unless allowed, and configuration errors never show a
/// secret. Checked by the storage modules through the standard registry.
@Suite("Standard drivers: transport security and secrets in messages")
struct TransportAndSecretsTests {
    static let secret = "Zq7-leak-canary-Pw"

    func zfssa(_ storage: String, database: String = "") -> BackupConfiguration {
        configuration(storage, module: "zfssa", database: database)
    }

    @Test func plainHTTPApplianceURLIsRefusedNamingFileSectionAndKey() throws {
        let found = problems(zfssa("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x"))
        let problem = try #require(found.first { $0.key == "url" }, "\(found)")
        #expect(problem.file == "/etc/oib/backup.cfg")
        #expect(problem.section == "zfssa")
        #expect(problem.line != nil)
        #expect(problem.message.contains("allowplainhttp: TRUE"), "\(problem)")
        #expect(!problem.description.contains("zfssa01"), "the value is not repeated: \(problem)")
        // Only runs that talk to the appliance care.
        #expect(problems(zfssa("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x"), for: []).isEmpty)
    }

    @Test func perDatabaseOverrideAndEveryApplianceEndpointAreChecked() throws {
        let override = problems(
            zfssa("[zfssa]\nurl: https://zfssa01:215\npool: p\nproject: x", database: "zfssaurl: HTTP://z2"))
        #expect(override.contains { $0.section == "orcl" && $0.key == "zfssaurl" }, "\(override)")
        let ontap = problems(configuration("[netapp]\nfiler: http://filer1\nvolumeprefix: bk_", module: "netapp"))
        #expect(ontap.contains { $0.section == "netapp" && $0.key == "filer" }, "\(ontap)")
        let softnas = problems(configuration("[softnas]\nserveraddress: http://nas\npool: p", module: "softnas"))
        #expect(softnas.contains { $0.key == "serveraddress" }, "\(softnas)")
        let huawei = problems(
            configuration(
                "[huaweidorado]\nurl: http://h\nvstore: v\nmounthost: m\nrestorenfsclient: c", module: "huawei"))
        #expect(huawei.contains { $0.key == "url" }, "\(huawei)")
        // A bare host name means HTTPS.
        #expect(problems(configuration("[netapp]\nfiler: filer1\nvolumeprefix: bk_", module: "netapp")).isEmpty)
    }

    @Test func allowPlainHTTPAcceptsItAndWarns() throws {
        let allowed = zfssa("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x\nallowplainhttp: TRUE")
        #expect(problems(allowed).isEmpty)
        let configured = try StandardDrivers.registry.configuredStorage(
            for: try allowed.database("orcl", for: [.storage]), in: allowed)
        #expect(
            configured.configuration.warnings == [
                "[zfssa] url is plain http:// (allowplainhttp: TRUE): the appliance credentials and all data travel unencrypted"
            ])
        let notAFlag = problems(zfssa("[zfssa]\nurl: http://zfssa01:215\npool: p\nproject: x\nallowplainhttp: yes"))
        #expect(notAFlag.contains { $0.key == "allowplainhttp" }, "\(notAFlag)")
    }

    @Test func aPasswordInTheApplianceURLIsRefusedWithoutShowingIt() throws {
        let found = problems(zfssa("[zfssa]\nurl: https://admin:\(Self.secret)@zfssa01:215\npool: p\nproject: x"))
        let problem = try #require(found.first { $0.key == "url" }, "\(found)")
        #expect(problem.message.contains("zfscredentials.cfg"), "\(problem)")
        #expect(!ConfigError(found).description.contains(Self.secret))
        // A user name alone is no secret.
        #expect(problems(zfssa("[zfssa]\nurl: https://admin@zfssa01:215\npool: p\nproject: x")).isEmpty)
    }

    @Test func aPlainHTTPFilerFromTheCredentialsFileIsNamedThere() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(
            atPath: directory + "/netappcredentials.cfg",
            contents: Data("[netappcredentials]\nuser: a\npassword: b\n[netapp]\nfiler: http://filer9\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let found = problems(
            configuration("[netapp]\nfiler: filer1\nvolumeprefix: bk_", module: "netapp", directory: directory))
        #expect(
            found.contains {
                $0.file == directory + "/netappcredentials.cfg" && $0.section == "netapp" && $0.key == "filer"
            }, "\(found)")
    }
}
