import ConfigModel
import Foundation
import Logging
import RetentionPolicy
import StorageHTTP
import StorageKit
import StorageONTAP
import StorageRetention
import Testing

@testable import StorageSimulator

/// SnapMirror through the driver against storage-sim over HTTPS on 127.0.0.1: the primary `nfs_orcl` on `svm1`,
/// its destination `dr_orcl` (type DP) on `svm_dr`.
@Suite("ONTAP SnapMirror replication (storage-sim over HTTPS)", .enabled(if: opensslAvailable, opensslReason))
struct ONTAPReplicationTests {
    static let logger = Logger(label: "ontap-replication-test") { _ in SwiftLogNoOpLogHandler() }

    static func seed(policy: String, labels: [String]? = nil, transferSeconds: Double = 0.2) -> SimulatorSeed {
        SimulatorSeed(shares: [
            .init(name: "nfs_orcl"),
            .init(
                name: "dr_orcl", svm: "svm_dr",
                snapMirror: .init(
                    source: "svm1:nfs_orcl", policy: policy, labels: labels, transferSeconds: transferSeconds)),
        ])
    }

    func replica(_ fixture: ONTAPFixture, _ primary: ONTAPDriver, kind: String, extra: [String: String] = [:])
        throws -> any StorageDriver
    {
        var values = [
            "filer": fixture.server.baseURL, "volumeprefix": "dr_", "svm": "svm_dr", "snapmirrortype": kind,
        ]
        values.merge(extra) { _, new in new }
        let configuration = try ONTAPConfiguration(
            section: ConfigSection(name: "replication", database: "orcl", values: values),
            database: StorageDatabase(name: "orcl"))
        return try primary.replicaDriver(configuration: configuration, logger: Self.logger)
    }

    func snapshot(_ primary: ONTAPDriver, _ name: String) async throws -> Snapshot {
        let made = try await primary.createSnapshot(named: name)
        try await Task.sleep(for: .milliseconds(1050))
        return made
    }

    @Test("the destination cluster: its own account, and [replication]'s TLS settings, never [netapp]'s")
    func destinationAccountAndTLS() async throws {
        try await withONTAP(seed: Self.seed(policy: "MirrorAllSnapshots")) { fixture in
            func section(_ name: String, _ values: [String: String]) throws -> ONTAPConfiguration {
                try ONTAPConfiguration(
                    section: ConfigSection(name: name, database: "orcl", values: values),
                    database: StorageDatabase(name: "orcl"))
            }
            // Built from its configuration, as the tools build it.
            let primary = try ONTAPDriver(
                configuration: try section(
                    "netapp",
                    [
                        "filer": fixture.server.baseURL, "volumeprefix": "nfs_", "svm": "svm1",
                        "cacert": fixture.certificates.caFile,
                    ]),
                context: StorageDriverContext(
                    databaseName: "orcl", credentials: StorageCredential(user: "admin", password: "secret"),
                    logger: Self.logger),
                transport: CurlTransport.factory)
            let destination = ["filer": fixture.server.baseURL, "volumeprefix": "dr_", "svm": "svm_dr"]
            let trusted = try section(
                "replication", destination.merging(["cacert": fixture.certificates.caFile]) { $1 })
            let right = try primary.replicaDriver(
                configuration: trusted, credential: StorageCredential(user: "admin", password: "secret"),
                logger: Self.logger)
            _ = try await right.listSnapshots()
            let wrong = try primary.replicaDriver(
                configuration: trusted, credential: StorageCredential(user: "admin", password: "not-the-password"),
                logger: Self.logger)
            do throws(StorageError) {
                _ = try await wrong.listSnapshots()
                Issue.record("the destination was listed with the primary's account, not its own")
            } catch {
                #expect(!error.description.contains("not-the-password"))
            }
            // No cacert in [replication]: the simulator's private CA is not trusted, although [netapp] trusts it.
            let untrusted = try primary.replicaDriver(
                configuration: try section("replication", destination), credential: nil, logger: Self.logger)
            do throws(StorageError) {
                _ = try await untrusted.listSnapshots()
                Issue.record("[netapp]'s cacert was used for the destination cluster")
            } catch {
                #expect(error.description.contains("TLS"), "\(error)")
            }
        }
    }

    @Test("a mirror: the baseline, then an incremental transfer; SnapMirror's snapshots are never ours")
    func mirrorBaselineThenIncremental() async throws {
        try await withONTAP(seed: Self.seed(policy: "MirrorAllSnapshots")) { fixture in
            let primary = try fixture.driver("orcl")
            let replica = try replica(fixture, primary, kind: "mirror")
            _ = try await snapshot(primary, "orcl_20241101T010000")
            let first = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
            #expect(first.succeeded, "\(String(describing: first.failure))")
            #expect(first.replicated.map(\.id) == ["orcl_20241101T010000"])
            #expect(first.replicated.first?.base == nil)
            #expect(try await replica.listSnapshots().map(\.id) == ["orcl_20241101T010000"])
            // ONTAP holds a mirror's snapshots: listed as locked, so no retention plans them.
            #expect(try await replica.listSnapshots().allSatisfy(\.isLocked))

            _ = try await snapshot(primary, "orcl_20241102T010000")
            let second = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
            #expect(second.succeeded, "\(String(describing: second.failure))")
            #expect(second.replicated.map(\.id) == ["orcl_20241102T010000"])
            #expect(second.replicated.first?.base == "orcl_20241101T010000")
            #expect(second.lag?.snapshotsBehind == 0)
            let held = try await replica.listSnapshots()
            #expect(held.map(\.id) == ["orcl_20241101T010000", "orcl_20241102T010000"])
            let source = try await primary.listSnapshots()
            #expect(held.map(\.creation) == source.map(\.creation))

            // SnapMirror's own snapshots exist on both volumes, but neither side lists nor deletes them.
            let names = await fixture.engine.snapshotNames(of: "nfs_orcl")
            let own = try #require(names.first { $0.hasPrefix("snapmirror.") })
            #expect(await fixture.engine.snapshotNames(of: "dr_orcl").contains(own))
            #expect(!source.contains { $0.id.hasPrefix("snapmirror.") })
            await #expect(throws: StorageError.self) { try await primary.deleteSnapshot(id: own) }
            await #expect(throws: StorageError.self) { try await replica.deleteSnapshot(id: own) }
            // At a mirror, ONTAP manages the snapshots: the replica driver refuses to delete.
            do throws(StorageError) {
                try await replica.deleteSnapshot(id: "orcl_20241101T010000")
                Issue.record("a mirror destination's snapshot was deleted")
            } catch {
                #expect(error.code == .unsupported)
                #expect(error.message.contains("ONTAP manages"))
            }
            // The destination's snapshot is FlexCloned in the destination SVM, never on the primary.
            let clone = try await replica.cloneSnapshot(id: "orcl_20241102T010000", cloneName: "offsite_test")
            #expect(replica.mountString(clone: clone).hasSuffix(":/offsite_test"))
            #expect(try await replica.listClones().map(\.name) == ["offsite_test"])
            #expect(try await primary.listClones().isEmpty)
            try await replica.dropClone(name: "offsite_test")
            #expect(try await replica.listClones().isEmpty)
        }
    }

    @Test("a transfer already running (ONTAP's own schedule) is waited for; no second one is started")
    func runningTransferIsWaitedFor() async throws {
        try await withONTAP(seed: Self.seed(policy: "MirrorAllSnapshots", transferSeconds: 2)) { fixture in
            let primary = try fixture.driver("orcl")
            let replica = try replica(fixture, primary, kind: "mirror")
            let made = try await snapshot(primary, "orcl_20241101T010000")
            // ONTAP's schedule starts a transfer just before the backup's copy step.
            let authorization = ["Authorization": "Basic " + Data("admin:secret".utf8).base64EncodedString()]
            let listed = await fixture.engine.handle(
                SimRequest(
                    method: "GET", path: "/api/snapmirror/relationships",
                    query: "destination.path=svm_dr:dr_orcl&fields=uuid", headers: authorization),
                fault: nil)
            let records =
                (try JSONSerialization.jsonObject(with: Data(listed.body)) as? [String: Any])?["records"]
                as? [[String: Any]]
            let uuid = try #require(records?.first?["uuid"] as? String)
            let scheduled = await fixture.engine.handle(
                SimRequest(
                    method: "POST", path: "/api/snapmirror/relationships/\(uuid)/transfers", headers: authorization,
                    body: Array("{}".utf8)), fault: nil)
            #expect(scheduled.status == 202)
            let copied = try await primary.replicate(made, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            #expect(copied.id == made.id)
            let starts = await fixture.engine.requestLog().filter {
                $0.method == "POST" && $0.target.contains("/transfers")
            }
            #expect(starts.count == 1, "\(starts.map(\.target))")
        }
    }

    @Test("a failed transfer is reported with the relationship and ONTAP's reason; the next run succeeds")
    func failedTransfer() async throws {
        try await withONTAP(seed: Self.seed(policy: "MirrorAllSnapshots")) { fixture in
            let primary = try fixture.driver("orcl")
            let replica = try replica(fixture, primary, kind: "mirror")
            _ = try await snapshot(primary, "orcl_20241101T010000")
            await fixture.engine.addFault(
                FaultRule(
                    .failJob, method: "POST", pathContains: "/transfers",
                    message: "Transfer failed: the destination aggregate is full (simulated).", code: "13303844"))
            let failed = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
            let failure = try #require(failed.failure)
            #expect(failure.code == .jobFailed)
            #expect(failure.message.contains("svm1:nfs_orcl → svm_dr:dr_orcl"), "\(failure.message)")
            #expect(failure.message.contains("the destination aggregate is full"), "\(failure.message)")
            #expect(failure.message.contains("orcl_20241101T010000"), "\(failure.message)")
            #expect(try await replica.listSnapshots().isEmpty)
            let retried = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
            #expect(retried.succeeded, "\(String(describing: retried.failure))")
            #expect(try await replica.listSnapshots().map(\.id) == ["orcl_20241101T010000"])
        }
    }

    @Test("a transfer past transfertimeout is a timeout naming the relationship")
    func slowTransfer() async throws {
        try await withONTAP(seed: Self.seed(policy: "MirrorAllSnapshots")) { fixture in
            let primary = try fixture.driver("orcl")
            let replica = try replica(fixture, primary, kind: "mirror")
            let made = try await snapshot(primary, "orcl_20241101T010000")
            await fixture.engine.addFault(FaultRule(.slowJob, method: "POST", pathContains: "/transfers", seconds: 30))
            do throws(StorageError) {
                _ = try await primary.replicate(made, incrementalFrom: nil, to: replica, timeout: .seconds(1))
                Issue.record("no timeout")
            } catch {
                #expect(error.code == .timeout)
                #expect(error.message.contains("svm_dr:dr_orcl"), "\(error.message)")
            }
        }
    }

    @Test("a vault: snapshots are labelled for its rule; replica retention keeps the newest and a cloned one")
    func vaultRetention() async throws {
        try await withONTAP(seed: Self.seed(policy: "oib_vault", labels: ["oib_backup"])) { fixture in
            let primary = try fixture.driver("orcl")
            let replica = try replica(fixture, primary, kind: "vault")
            let names = [
                "orcl_20241101T010000", "orcl_20241102T010000", "orcl_20241103T010000", "orcl_20241104T010000",
            ]
            for name in names {
                _ = try await snapshot(primary, name)
                let outcome = await SnapshotReplication.run(
                    source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
                #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
            }
            #expect(try await replica.listSnapshots().map(\.id) == names)
            // A snapshot without the label (taken outside the tool) never arrives at a vault by itself.
            let clone = try await replica.cloneSnapshot(id: names[1], cloneName: "offsite_test")
            let rules = try RetentionConfiguration { key in
                ["snapexpirationdays": "1", "snapminimumcount": "1", "snapkeepverified": "false"][key]
            }
            let now = Date().addingTimeInterval(40 * 86_400)
            let outcome = await ReplicaRetention.apply(
                replica: replica, configuration: rules, verified: .known([]), now: now, logger: Self.logger)
            #expect(outcome.succeeded)
            let kept = try await replica.listSnapshots().map(\.id)
            #expect(kept.contains(names[3]), "the newest replicated snapshot was deleted: \(kept)")
            #expect(kept.contains(names[1]), "a cloned snapshot was deleted: \(kept)")
            #expect(!kept.contains(names[0]), "\(kept)")
            // The source keeps everything; the next copy stays incremental.
            #expect(try await primary.listSnapshots().map(\.id) == names)
            try await replica.dropClone(name: clone.name)
            _ = try await snapshot(primary, "orcl_20241105T010000")
            let next = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(20), logger: Self.logger)
            #expect(next.succeeded, "\(String(describing: next.failure))")
            #expect(next.replicated.first?.base == names[3])
        }
    }

    @Test("a relationship that does not fit is refused before any transfer, naming the key")
    func misfits() async throws {
        try await withONTAP(seed: Self.seed(policy: "oib_vault", labels: ["daily"])) { fixture in
            let primary = try fixture.driver("orcl")
            let made = try await snapshot(primary, "orcl_20241101T010000")
            for (kind, extra, expected) in [
                ("mirror", [:], "snapmirrortype is mirror"),
                ("vault", [:], "has no rule for snapmirror_label oib_backup"),
                ("vault", ["volumeprefix": "nope_"], "no SnapMirror relationship has the destination svm_dr:nope_orcl"),
            ] as [(String, [String: String], String)] {
                let replica = try replica(fixture, primary, kind: kind, extra: extra)
                do throws(StorageError) {
                    _ = try await primary.replicate(made, incrementalFrom: nil, to: replica, timeout: .seconds(5))
                    Issue.record("replicated with \(kind) \(extra)")
                } catch {
                    #expect(error.code == .invalidConfiguration)
                    #expect(error.message.contains(expected), "\(error.message)")
                }
            }
            let labelled = try replica(fixture, primary, kind: "vault", extra: ["snapmirrorlabel": "daily"])
            let copied = try await primary.replicate(made, incrementalFrom: nil, to: labelled, timeout: .seconds(20))
            #expect(copied.id == made.id)
            #expect(await fixture.requests(containing: "/transfers").count >= 1)
        }
    }

    @Test("SnapMirror's snapshots on a primary are never listed nor deleted, over REST and over ZAPI")
    func snapMirrorSnapshotsAreNeverOurs() async throws {
        let own = "snapmirror.8c4e2f6a-0279-11e9-b566-0050568e9909_2147483651.2024-11-02_010000"
        let base = Date(timeIntervalSince1970: 1_730_000_000)
        let seed = SimulatorSeed(shares: [
            .init(
                name: "nfs_orcl",
                snapshots: [
                    .init(name: "orcl_20241101T010000", creation: base),
                    .init(name: own, creation: base.addingTimeInterval(3600)),
                ])
        ])
        try await withONTAP(seed: seed) { fixture in
            for api in [ONTAPDriver.API.rest, .zapi] {
                let primary = try fixture.driver("orcl", api: api)
                #expect(try await primary.listSnapshots().map(\.id) == ["orcl_20241101T010000"], "\(api)")
                do throws(StorageError) {
                    try await primary.deleteSnapshot(id: own)
                    Issue.record("deleted SnapMirror's snapshot over \(api)")
                } catch {
                    #expect(error.code == .notOwned, "\(api)")
                }
            }
            #expect(await fixture.engine.snapshotNames(of: "nfs_orcl").contains(own))
        }
    }

    @Test("new snapshots carry [replication]'s snapmirrorlabel when the database replicates through SnapMirror")
    func creationLabel() throws {
        func label(_ replication: String, database: String = "") throws -> String? {
            let configuration = BackupConfiguration(
                text: """
                    [netapp]
                    filer: cluster1.example.com
                    volumeprefix: backup_
                    [orcl]
                    dbid: 1
                    \(database)
                    """ + (replication.isEmpty ? "" : "\n[replication]\n" + replication),
                path: "/etc/oib/backup.cfg")
            return try ONTAPConfiguration(
                section: configuration.section("netapp", database: "orcl"), database: StorageDatabase(name: "orcl")
            ).snapMirrorLabel
        }
        #expect(try label("") == nil)
        #expect(try label("filer: dr.example.com\nvolumeprefix: dr_") == "oib_backup")
        #expect(try label("filer: dr.example.com\nvolumeprefix: dr_\nsnapmirrorlabel: daily") == "daily")
        #expect(try label("filer: dr\nvolumeprefix: dr_", database: "replicationsnapmirrorlabel: weekly") == "weekly")
        #expect(try label("filer: dr\nvolumeprefix: dr_", database: "replicationenabled: FALSE") == nil)
        #expect(try label("driver: btrfs\nroot: /offsite") == nil)
    }

    @Test("[replication] keys: a mirror warns of the replica's retention keys; bad values are named")
    func configuration() throws {
        func read(_ values: [String: String]) throws(ConfigError) -> ONTAPConfiguration {
            try ONTAPConfiguration(
                section: ConfigSection(
                    name: "replication", database: "orcl",
                    values: ["filer": "dr.example.com", "volumeprefix": "dr_"].merging(values) { _, new in new },
                    file: "/etc/oib/backup.cfg"),
                database: StorageDatabase(name: "orcl"))
        }
        let plain = try read([:])
        #expect(plain.snapMirror == ONTAPSnapMirrorSettings(kind: .mirror, label: "oib_backup", relationship: nil))
        let vault = try read([
            "snapmirrortype": "vault", "snapmirrorlabel": "daily", "snapexpirationdays": "30",
            "snapmirrorrelationship": "E4E7E130-0279-11E9-B566-0050568E9909",
        ])
        #expect(vault.snapMirror?.kind == .vault)
        #expect(vault.warnings.isEmpty)
        // At a mirror the replica's retention keys delete nothing: a warning, not a problem.
        let mirror = try read(["snapexpirationdays": "30"])
        #expect(
            mirror.warnings.contains { $0.contains("ONTAP manages the destination's snapshots") }, "\(mirror.warnings)")
        #expect(vault.snapMirror?.relationship == "e4e7e130-0279-11e9-b566-0050568e9909")
        for (values, key, text) in [
            (["snapmirrortype": "both"], "snapmirrortype", "must be mirror or vault"),
            (["snapmirrorlabel": "two words"], "snapmirrorlabel", "letters, digits"),
            (["snapmirrorrelationship": "42"], "snapmirrorrelationship", "must be a relationship UUID"),
            (["ontapapi": "zapi"], "ontapapi", "REST API"),
        ] {
            do {
                _ = try read(values)
                Issue.record("accepted \(values)")
            } catch {
                #expect(error.description.contains(key) && error.description.contains(text), "\(error.description)")
                #expect(error.description.contains("/etc/oib/backup.cfg"), "\(error.description)")
            }
        }
        // In [netapp] the SnapMirror keys are not read at all.
        let netapp = try ONTAPConfiguration(
            section: ConfigSection(
                name: "netapp", database: "orcl", values: ["filer": "a.example.com", "volumeprefix": "x_"]),
            database: StorageDatabase(name: "orcl"))
        #expect(netapp.snapMirror == nil)
    }
}
