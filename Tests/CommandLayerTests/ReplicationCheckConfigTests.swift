import BackupEngine
import ConfigModel
import StandardDrivers
import Testing

/// `backup checkconfig` checks the off-site copy's section like every other: its own keys, its driver and the
/// driver's keys, and the replica's retention keys.
@Suite("checkconfig and [replication]")
struct ReplicationCheckConfigTests {
    static func problems(module: String, replication: String?) -> [String] {
        let text = """
            [generic]
            snappermodule: \(module)
            backupdest: /backup
            logretention: 7
            tnsadmin: /tns
            oraclehome: /u01/home
            maxlockwait: 5
            [btrfs]
            root: /backup
            [localfs]
            [orcl]
            dbid: 1234
            recoverywindow: 2
            snapexpirationdays: 7
            """ + (replication.map { "\n[replication]\n" + $0 } ?? "")
        let configuration = BackupConfiguration(
            text: text, path: "/etc/oib/backup.cfg", environment: [:], storageModules: StandardDrivers.registry)
        return ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run().problems
            .map(\.description)
    }

    static func replicationProblems(module: String, replication: String?) -> [String] {
        problems(module: module, replication: replication).filter { $0.contains("replication") }
    }

    @Test("a database without [replication], and a valid one, give no replication problem")
    func valid() {
        #expect(Self.replicationProblems(module: "btrfs", replication: nil) == [])
        #expect(
            Self.replicationProblems(
                module: "btrfs", replication: "root: /offsite\ntransfertimeout: 3600\nsnapexpirationdays: 30") == [])
    }

    @Test("a key another driver reads is a warning naming it, not silently nothing")
    func anotherDriversKeyWarns() {
        let text = """
            [generic]
            snappermodule: btrfs
            backupdest: /backup
            logretention: 7
            tnsadmin: /tns
            oraclehome: /u01/home
            maxlockwait: 5
            [btrfs]
            root: /backup
            [orcl]
            dbid: 1234
            recoverywindow: 2
            snapexpirationdays: 7
            [replication]
            root: /offsite
            snapexpirationdays: 30
            action: 1f2e3d
            snapmirrortype: vault
            """
        let configuration = BackupConfiguration(
            text: text, path: "/etc/oib/backup.cfg", environment: [:], storageModules: StandardDrivers.registry)
        let report = ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run()
        #expect(report.problems.filter { $0.description.contains("replication") }.isEmpty)
        let warnings = report.warnings.filter { $0.contains("[replication]") }
        #expect(warnings.contains { $0.contains("action is read by the zfssa driver only") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("snapmirrortype is read by the ontap driver only") }, "\(warnings)")
        #expect(warnings.allSatisfy { $0.contains("/etc/oib/backup.cfg") && $0.contains("btrfs") })
    }

    @Test(
        "each bad [replication] is named by section and key",
        arguments: [
            ("btrfs", "driver: nosuch\nroot: /offsite", "unknown storage driver 'nosuch'"),
            ("btrfs", "driver: openzfs\ndataset: tank/offsite", "is not the database's ('btrfs')"),
            ("localfs", "root: /offsite", "cannot replicate snapshots"),
            ("btrfs", "root: /offsite\ntransfertimeout: soon", "transfertimeout"),
            ("btrfs", "root: /offsite\nwarningsnapage: 50\ncriticalsnapage: 10", "exceeds criticalsnapage"),
            ("btrfs", "root: /offsite\nsnapexpirationdays: -3", "snapexpirationdays"),
        ])
    func refused(module: String, replication: String, expected: String) {
        let found = Self.replicationProblems(module: module, replication: replication)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
        #expect(found.allSatisfy { $0.contains("/etc/oib/backup.cfg") }, "\(found)")
    }
}
