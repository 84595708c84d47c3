import BackupEngine
import ConfigModel
import StandardDrivers
import Testing

/// `backup checkconfig` on an ONTAP database's `[replication]` (SnapMirror): the SnapMirror keys are checked, naming
/// file, section and key, and the replica's retention keys on a mirror relationship are a warning.
@Suite("checkconfig and ONTAP SnapMirror [replication]")
struct ONTAPReplicationCheckConfigTests {
    static func check(_ replication: String) -> ConfigurationCheck.Result {
        let text = """
            [generic]
            snappermodule: netapp
            backupdest: /backup
            logretention: 7
            tnsadmin: /tns
            oraclehome: /u01/home
            maxlockwait: 5
            [netapp]
            filer: cluster1.example.com
            volumeprefix: backup_
            svm: svm1
            [orcl]
            dbid: 1234
            recoverywindow: 2
            snapexpirationdays: 7
            [replication]
            filer: dr.example.com
            volumeprefix: dr_
            svm: svm_dr

            """ + replication
        let configuration = BackupConfiguration(
            text: text, path: "/etc/oib/backup.cfg", environment: [:], storageModules: StandardDrivers.registry)
        return ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run()
    }

    static func problems(_ replication: String) -> [String] {
        check(replication).problems.map(\.description).filter { $0.contains("replication") }
    }

    @Test("a vault with the replica's retention is accepted; a mirror's retention keys are a warning: ONTAP manages it")
    func valid() {
        let vault = Self.check("snapmirrortype: vault\nsnapexpirationdays: 30\nsnapminimumcount: 2")
        #expect(vault.problems.map(\.description).filter { $0.contains("replication") } == [])
        #expect(!vault.warnings.contains { $0.contains("snapmirrortype") })
        let mirror = Self.check("snapmirrorlabel: daily\nsnapexpirationdays: 30")
        #expect(mirror.problems.map(\.description).filter { $0.contains("replication") } == [])
        let warning = mirror.warnings.first { $0.contains("snapmirrortype is mirror") }
        #expect(warning?.contains("ONTAP manages the destination's snapshots") == true, "\(mirror.warnings)")
        #expect(warning?.contains("/etc/oib/backup.cfg: [replication]") == true, "\(mirror.warnings)")
        #expect(warning?.contains("snapexpirationdays") == true, "\(mirror.warnings)")
    }

    @Test(
        "each bad SnapMirror setting is named by file, section and key",
        arguments: [
            ("snapexpirationdays: 7\nsnapmirrortype: sync", "must be mirror or vault"),
            ("snapexpirationdays: 7\nsnapmirrorlabel: no way", "snapmirrorlabel"),
            ("snapexpirationdays: 7\nsnapmirrorrelationship: rel1", "must be a relationship UUID"),
            ("snapexpirationdays: 7\nontapapi: zapi", "SnapMirror replication needs ONTAP's REST API"),
        ])
    func refused(replication: String, expected: String) {
        let found = Self.problems(replication)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
        #expect(found.allSatisfy { $0.contains("/etc/oib/backup.cfg") && $0.contains("[replication]") }, "\(found)")
    }
}
