import ConfigModel
import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageKitTesting
import StorageZFSSA
import Testing

@testable import StorageSimulator

/// The ZFSSA driver's replication against storage-sim over HTTPS on 127.0.0.1: the simulator is both the primary
/// appliance (project `demo-backup`) and the replica (its package, clones in the local project `offsite`).
@Suite("ZFSSA replication through replication actions", .serialized, .enabled(if: opensslAvailable, opensslReason))
struct ZFSSAReplicationTests {
    static func projects(_ options: inout SimulatorOptions) {
        options.projects = [("pool1", "demo-backup"), ("pool1", "offsite")]
    }

    /// Creates a target and an action on the simulator (as an administrator would); returns the action's id.
    static func makeAction(_ engine: SimulatorEngine, includeSnaps: Bool = true, project: String = "demo-backup")
        async throws -> String
    {
        func request(_ path: String, _ object: [String: Any]) -> SimRequest {
            SimRequest(
                method: "POST", path: "/api/storage/v2" + path,
                headers: ["X-Auth-User": "admin", "X-Auth-Key": "secret"],
                body: Array(try! JSONSerialization.data(withJSONObject: object)))
        }
        _ = await engine.handle(request("/replication/targets", ["hostname": "127.0.0.1", "label": "dr"]), fault: nil)
        let created = await engine.handle(
            request(
                "/replication/actions",
                ["pool": "pool1", "project": project, "target": "dr", "include_snaps": includeSnaps]),
            fault: nil)
        let object = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]
        return try #require((object?["action"] as? [String: Any])?["id"] as? String)
    }

    /// The primary driver and the replica driver made from a `[replication]` configuration.
    static func drivers(_ fixture: ZFSSAFixture, action: String, logger: Logger? = nil) throws -> (
        ZFSSADriver, any StorageDriver
    ) {
        let primary = try fixture.driver("orcl", logger: logger)
        let section = BackupConfiguration(
            text: """
                [replication]
                driver: zfssa
                url: \(fixture.server.baseURL)
                cacert: \(fixture.certificates.caFile)
                pool: pool1
                project: offsite
                apiversion: 2
                action: \(action)
                """, path: "/etc/oib/backup.cfg"
        ).section("replication", database: "orcl")
        let configuration = try ZFSSAConfiguration(section: section, database: StorageDatabase(name: "orcl"))
        let replica = try primary.replicaDriver(
            configuration: configuration, logger: logger ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return (primary, replica)
    }

    func snapshot(_ driver: ZFSSADriver, _ name: String) async throws -> Snapshot {
        try await driver.createSnapshot(named: name)
    }

    @Test("a package whose projects cannot be read is never skipped: the listing fails, it is not read as empty")
    func unreadablePackageIsNotSkipped() async throws {
        let configure: (inout SimulatorOptions) -> Void = { options in
            Self.projects(&options)
            options.zfssaPackagesOmitProjects = true
        }
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: configure) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let (primary, replica) = try Self.drivers(fixture, action: action)
            let first = try await snapshot(primary, "orcl-20250101T010000")
            _ = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            // The package's projects are read one by one: the copy is found.
            #expect(try await SnapshotReplication.listing(of: replica).map(\.id) == ["orcl-20250101T010000"])
            for status in [500, 404] {
                await fixture.engine.addFault(
                    FaultRule(.status, method: "GET", pathContains: "/projects", times: 10, status: status))
                do throws(StorageError) {
                    let listed = try await SnapshotReplication.listing(of: replica)
                    Issue.record("a package that could not be read was skipped (\(status)): \(listed.map(\.id))")
                } catch {
                    // Not `.notFound`, which SnapshotReplication.listing reads as "nothing replicated yet".
                    #expect(error.code != .notFound, "\(error)")
                }
                await fixture.engine.clearFaults()
            }
        }
    }

    @Test("the replica appliance's own account: zfscredentials.cfg [replication]; without it the database's")
    func replicaAccountFromTheCredentialsFile() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let primary = try fixture.driver("orcl")
            var registry = StorageDriverRegistry()
            ZFSSADriver.register(in: &registry, transport: CurlTransport.factory)
            let directory = NSTemporaryDirectory() + "oib-zfssa-replica-account-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let configuration = BackupConfiguration(
                text: """
                    [generic]
                    snappermodule: zfssa
                    [replication]
                    url: \(fixture.server.baseURL)
                    cacert: \(fixture.certificates.caFile)
                    pool: pool1
                    project: offsite
                    apiversion: 2
                    action: \(action)
                    [orcl]
                    dbid: 1
                    """, path: directory + "/backup.cfg")
            func replicaListing(credentials: String) async throws -> Result<[Snapshot], StorageError> {
                _ = FileManager.default.createFile(
                    atPath: directory + "/zfscredentials.cfg", contents: Data(credentials.utf8),
                    attributes: [.posixPermissions: 0o600])
                let replica = try #require(
                    try registry.replica(
                        of: primary, database: "orcl", in: configuration, databaseModule: "zfssa",
                        logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
                do {
                    return .success(try await SnapshotReplication.listing(of: replica.driver))
                } catch {
                    return .failure(error)
                }
            }
            let own = "[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n"
            // No [replication] in the file: the database's account (right here) is used.
            #expect((try? await replicaListing(credentials: own).get()) != nil)
            // The replica's own account is used: a wrong password there is refused, a right one works.
            let wrong = try await replicaListing(
                credentials: own + "[replication]\nzfsuser: admin\nzfspassword: not-the-password\n")
            guard case .failure(let refused) = wrong else {
                Issue.record("the replica was listed with the database's account, not [replication]'s")
                return
            }
            #expect(!refused.description.contains("not-the-password"))
            #expect(
                (try? await replicaListing(credentials: own + "[replication]\nzfsuser: admin\nzfspassword: secret\n")
                    .get()) != nil)
            // An incomplete [replication] section is a configuration error naming the file, section and key.
            do {
                _ = try await replicaListing(credentials: own + "[replication]\nzfsuser: admin\n")
                Issue.record("an incomplete [replication] account was accepted")
            } catch let error as ConfigError {
                #expect(error.description.contains("zfscredentials.cfg"))
                #expect(error.description.contains("[replication]") && error.description.contains("zfspassword"))
            }
        }
    }

    @Test("a full then an incremental update; several snapshots in one update; replication snapshots never listed")
    func fullThenIncremental() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let (primary, replica) = try Self.drivers(fixture, action: action)
            #expect(try await SnapshotReplication.listing(of: replica).isEmpty)
            let first = try await snapshot(primary, "orcl-20250101T010000")
            let copied = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            #expect(copied.id == first.id && copied.base == nil)
            let listed = try await replica.listSnapshots()
            #expect(listed.map(\.id) == [first.id])
            #expect(abs(listed[0].creation.timeIntervalSince(first.creation)) < 1)
            // The appliance's replication snapshots exist on both sides but are never listed as the tool's.
            #expect(await fixture.engine.snapshotNames(of: "orcl").contains { $0.hasPrefix(".rr-") })
            #expect(try await primary.listSnapshots().map(\.id) == [first.id])

            try await Task.sleep(for: .milliseconds(1100))
            let second = try await snapshot(primary, "orcl-20250102T010000")
            try await Task.sleep(for: .milliseconds(1100))
            let third = try await snapshot(primary, "orcl-20250103T010000")
            let outcome = await SnapshotReplication.run(
                source: primary, replica: replica, timeout: .seconds(30), logger: Logger(label: "test"))
            #expect(outcome.succeeded, "\(String(describing: outcome.failure))")
            #expect(outcome.replicated.map(\.id) == [second.id, third.id])
            #expect(outcome.replicated.first?.base == first.id)
            #expect(outcome.lag?.snapshotsBehind == 0)
            #expect(try await replica.listSnapshots().map(\.id) == [first.id, second.id, third.id])
            // One update brought both: the second snapshot needed no update of its own.
            let updates = await fixture.requests(containing: "/sendupdate")
            #expect(updates.count == 2, "\(updates)")
            #expect(try await primary.listSnapshots().map(\.id) == [first.id, second.id, third.id])
        }
    }

    @Test("a failed update names the action and the appliance's last_result; nothing is listed at the replica")
    func failedUpdate() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let (primary, replica) = try Self.drivers(fixture, action: action)
            let first = try await snapshot(primary, "orcl-20250101T010000")
            await fixture.engine.addFault(FaultRule(.failJob, pathContains: "sendupdate", message: "link down"))
            let error = await storageError { () async throws(StorageError) in
                _ = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            }
            #expect(error?.code == .commandFailed)
            #expect(error?.message.contains(action) == true)
            #expect(error?.message.contains("last_result 'failed'") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(fixture.server.baseURL) == true)
            #expect(try await SnapshotReplication.listing(of: replica).isEmpty)
            // The next try succeeds.
            let copied = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            #expect(copied.id == first.id)
        }
    }

    @Test("an update slower than the timeout is a timeout naming the action")
    func slowUpdate() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let (primary, replica) = try Self.drivers(fixture, action: action)
            let first = try await snapshot(primary, "orcl-20250101T010000")
            await fixture.engine.addFault(FaultRule(.slowJob, pathContains: "sendupdate", seconds: 30))
            let error = await storageError { () async throws(StorageError) in
                _ = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(1))
            }
            #expect(error?.code == .timeout)
            #expect(error?.message.contains(action) == true)
            // The update this run started is stopped, as the protocol asks of a transfer past its time.
            #expect(error?.message.contains("it was cancelled (cancelupdate)") == true, "\(String(describing: error))")
            let cancels = await fixture.engine.requestLog().filter {
                $0.method == "PUT" && $0.target.contains("/cancelupdate")
            }
            #expect(cancels.count == 1)
        }
    }

    @Test("an action of another project, one without snapshots, or an unknown one is refused clearly")
    func wrongActions() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let other = try await Self.makeAction(fixture.engine, project: "offsite")
            let noSnaps = try await Self.makeAction(fixture.engine, includeSnaps: false)
            for (action, expected) in [
                (other, "not the database's share"), (noSnaps, "does not include snapshots"),
                ("no-such-action", "not found"),
            ] {
                let (primary, replica) = try Self.drivers(fixture, action: action)
                let first = try await primary.createSnapshot(named: "orcl-\(UUID().uuidString.prefix(6))")
                let error = await storageError { () async throws(StorageError) in
                    _ = try await primary.replicate(first, incrementalFrom: nil, to: replica, timeout: .seconds(10))
                }
                #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
                #expect(error?.message.contains(action) == true)
            }
            #expect(await fixture.requests(containing: "/sendupdate").isEmpty)
        }
    }

    @Test("the replica clones a received snapshot into its local project; clones and the newest copy hold")
    func replicaClonesAndDeletes() async throws {
        try await withZFSSA(seed: SimulatorSeed(shares: [.init(name: "orcl")]), configure: Self.projects) { fixture in
            let action = try await Self.makeAction(fixture.engine)
            let (primary, replica) = try Self.drivers(fixture, action: action)
            let first = try await snapshot(primary, "orcl-20250101T010000")
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await snapshot(primary, "orcl-20250102T010000")
            _ = try await primary.replicate(second, incrementalFrom: nil, to: replica, timeout: .seconds(30))
            let listed = try await replica.listSnapshots()
            #expect(listed.map(\.id) == [first.id, second.id])
            let clone = try await replica.cloneSnapshot(id: first.id, cloneName: "autorestore")
            #expect(clone.mountPoint == "/export/offsite/autorestore")
            #expect(replica.mountString(clone: clone) == "127.0.0.1:/export/offsite/autorestore")
            #expect(try await replica.listClones().map(\.name) == ["autorestore"])
            #expect(try await replica.cloneInfo(name: "autorestore").originSnapshot == first.id)
            // Nothing was cloned on the primary.
            #expect(try await primary.listClones().isEmpty)
            // A cloned snapshot is not deleted, neither by id nor from the listing.
            let held = try #require(try await replica.listSnapshots().first { $0.id == first.id })
            #expect(held.cloneCount == 1)
            let refused = await storageError { () async throws(StorageError) in
                try await replica.deleteListedSnapshot(held)
            }
            #expect(refused?.code == .hasClones)
            let byID = await storageError { () async throws(StorageError) in
                try await replica.deleteSnapshot(id: first.id)
            }
            #expect(byID?.code == .hasClones)
            // A share of the local project that is not a clone of the replica is never dropped.
            _ = try await primary.cloneSnapshot(id: second.id, cloneName: "primary-clone")
            let foreign = await storageError { () async throws(StorageError) in
                try await replica.dropClone(name: "primary-clone")
            }
            #expect(foreign?.code == .notFound || foreign?.code == .notOwned)
            try await primary.dropClone(name: "primary-clone")
            try await replica.dropClone(name: "autorestore")
            #expect(try await replica.listClones().isEmpty)
            let unheld = try #require(try await replica.listSnapshots().first { $0.id == first.id })
            try await replica.deleteListedSnapshot(unheld)
            #expect(try await replica.listSnapshots().map(\.id) == [second.id])
            // The appliance's replication snapshot is never deleted on request.
            let marker = try #require(
                await fixture.engine.snapshotNames(of: "orcl").first { $0.hasPrefix(".rr-") })
            let rr = await storageError { () async throws(StorageError) in
                try await replica.deleteSnapshot(id: marker)
            }
            #expect(rr?.code == .notOwned)
            // The replica takes no snapshots.
            let created = await storageError { () async throws(StorageError) in
                _ = try await replica.createSnapshot(named: "orcl-x")
            }
            #expect(created?.code == .unsupported)
        }
    }

    @Test("configuration: action is required in [replication], ids are checked, [zfssa] needs none")
    func configuration() throws {
        func read(_ text: String, section: String = "replication") -> Result<ZFSSAConfiguration, ConfigError> {
            let configuration = BackupConfiguration(text: text, path: "/etc/oib/backup.cfg")
            do {
                return .success(
                    try ZFSSAConfiguration(
                        section: configuration.section(section, database: "orcl"),
                        database: StorageDatabase(name: "orcl")))
            } catch {
                return .failure(error)
            }
        }
        let base = "url: https://zfssa-dr:215\npool: pool1\nproject: offsite\n"
        guard case .failure(let missing) = read("[replication]\n" + base) else {
            Issue.record("a [replication] without action was accepted")
            return
        }
        #expect(missing.description.contains("action"))
        #expect(missing.description.contains("[replication]"))
        guard case .failure(let bad) = read("[replication]\n" + base + "action: a/b\n") else {
            Issue.record("an action with a slash was accepted")
            return
        }
        #expect(bad.description.contains("action"))
        let good = try read("[replication]\n" + base + "action: abc-123\npackage: p-1\nsourcename: zfssa01\n").get()
        #expect(good.replication == ZFSSAReplicationSettings(action: "abc-123", package: "p-1", sourceName: "zfssa01"))
        let plain = try read("[zfssa]\n" + base, section: "zfssa").get()
        #expect(plain.replication == nil)
        #expect(ZFSSADriver.descriptor.capabilities.contains(.replication))
    }
}
