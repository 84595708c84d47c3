import BackupEngine
import ConfigModel
import StandardDrivers
import Testing

/// `backup checkconfig` on a ZFSSA database's `[replication]` (a replication action): `action` is required, the ids
/// are checked, the replica appliance's own keys are those of `[zfssa]`; each problem names file, section and key.
@Suite("checkconfig and ZFSSA replication [replication]")
struct ZFSSAReplicationCheckConfigTests {
    static func problems(_ replication: String) -> [String] {
        let text = """
            [generic]
            snappermodule: zfssa
            backupdest: /backup
            logretention: 7
            tnsadmin: /tns
            oraclehome: /u01/home
            maxlockwait: 5
            [zfssa]
            url: https://zfssa01:215
            pool: pool1
            project: oracle-backup
            [orcl]
            dbid: 1234
            recoverywindow: 2
            snapexpirationdays: 7
            [replication]

            """ + replication
        let configuration = BackupConfiguration(
            text: text, path: "/etc/oib/backup.cfg", environment: [:], storageModules: StandardDrivers.registry)
        return ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run().problems
            .map(\.description).filter { $0.contains("replication") }
    }

    static let replica = "url: https://zfssa02:215\npool: pool1\nproject: offsite\n"

    @Test("an action with the replica appliance's keys and its own retention is accepted")
    func valid() {
        #expect(Self.problems(Self.replica + "action: 8373d331-de60\nsnapexpirationdays: 60") == [])
        #expect(
            Self.problems(
                Self.replica + "action: 8373d331-de60\npackage: 2b6e\nsourcename: zfssa01\nsnapexpirationdays: 30")
                == [])
    }

    @Test(
        "each bad [replication] is named by section and key",
        arguments: [
            ("", "action"),
            ("action: a/b", "action"),
            ("action: abc\npackage: has blank", "package"),
            ("action: abc\nsourcename: x/y", "sourcename"),
        ])
    func refused(extra: String, key: String) {
        let found = Self.problems(Self.replica + extra)
        #expect(found.contains { $0.contains("[replication]") && $0.contains(key) }, "\(found)")
        #expect(found.allSatisfy { $0.contains("/etc/oib/backup.cfg") }, "\(found)")
    }

    @Test("the replica appliance's keys are checked as [zfssa]'s")
    func replicaKeys() {
        let found = Self.problems("action: abc\nurl: ftp://zfssa02\nproject: offsite")
        #expect(found.contains { $0.contains("url") }, "\(found)")
        #expect(found.contains { $0.contains("pool") }, "\(found)")
    }
}
