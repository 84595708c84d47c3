import Foundation
import Testing

extension StorageSimulatorProcess {
    /// One request the simulator handled (`GET /_sim/log`).
    struct LoggedRequest: Decodable, CustomStringConvertible {
        var method: String
        var target: String
        var status: Int
        var description: String { "\(method) \(target) -> \(status)" }
    }

    /// Every appliance request handled so far (controls excluded).
    func requestLog() async throws -> [LoggedRequest] {
        let result = try await BuiltProducts.runCommand(
            "/usr/bin/curl", ["-sS", "-f", url + "/_sim/log"] + (tls ? ["--cacert", caFile] : []))
        guard result.status == 0 else { throw SimulatorFailure(arguments: ["log"], output: result.stderr) }
        return try JSONDecoder().decode([LoggedRequest].self, from: Data(result.stdout.utf8))
    }

    /// Forgets the requests handled so far (`DELETE /_sim/log`).
    func clearRequestLog() async throws {
        let result = try await BuiltProducts.runCommand(
            "/usr/bin/curl", ["-sS", "-f", "-X", "DELETE", url + "/_sim/log"] + (tls ? ["--cacert", caFile] : []))
        guard result.status == 0 else { throw SimulatorFailure(arguments: ["clear log"], output: result.stderr) }
    }
}

/// Retention costs one listing and one DELETE per dropped snapshot: no look-up before each DELETE (issue 15 item 5).
@Suite("Retention round trips at storage-sim (ZFSSA, ONTAP)", .serialized)
struct RetentionRoundTripTests {
    static let snapshotCount = 40

    /// A share/volume `name` with `snapshotCount` daily snapshots from 2016 (all past `snapexpirationdays`).
    static func seed(volume: String, snapshotPrefix: String) -> String {
        let snapshots = (0..<snapshotCount).map { day in
            let date = Date(timeIntervalSince1970: 1_451_649_600 + Double(day) * 86_400)  // 2016-01-01T12:00:00Z
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss"
            let iso = ISO8601DateFormatter().string(from: date)
            return #"{"name": "\#(snapshotPrefix)\#(formatter.string(from: date))", "creation": "\#(iso)"}"#
        }
        return #"{"shares": [{"name": "\#(volume)", "snapshots": [\#(snapshots.joined(separator: ", "))]}]}"#
    }

    /// Runs `snapper orcl list` and then `snapper orcl clean`, each from a clean request log, and checks that
    /// clean sent exactly the requests of one listing plus one DELETE per dropped snapshot.
    func expectOneListingAndOneDeletePerDrop(simulator: StorageSimulatorProcess, config: String) async throws {
        func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
            try await BuiltProducts.run("snapper", ["--config", config] + arguments)
        }
        try await simulator.clearRequestLog()
        let list = try await snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stdout)\(list.stderr)")
        let before = list.stdout.split(separator: "\n").count
        #expect(before == Self.snapshotCount, "\(list.stdout)")
        let listing = try await simulator.requestLog()
        #expect(listing.allSatisfy { $0.method == "GET" }, "\(listing)")

        try await simulator.clearRequestLog()
        let clean = try await snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let requests = try await simulator.requestLog()

        let after = try await snapper(["orcl", "list"]).stdout.split(separator: "\n").count
        let dropped = before - after
        #expect(dropped > 0, "\(clean.stdout)")
        let deletes = requests.filter { $0.method == "DELETE" }
        let others = requests.filter { $0.method != "DELETE" }
        #expect(deletes.count == dropped, "\(requests.map(\.description).joined(separator: "\n"))")
        #expect(deletes.allSatisfy { (200...299).contains($0.status) }, "\(deletes)")
        // Exactly the listing's requests (same paths), once.
        #expect(
            others.map { "\($0.method) \($0.target)" } == listing.map { "\($0.method) \($0.target)" },
            "\(others.map(\.description).joined(separator: "\n"))")
        #expect(requests.count == listing.count + dropped)
        print(
            "retention round trips: \(requests.count) requests (\(listing.count) for the listing + \(deletes.count) DELETEs) for \(dropped) drops"
        )
    }

    @Test func zfssaCleanSendsOneListingAndOneDeletePerDrop() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa", seed: Self.seed(volume: "orcl", snapshotPrefix: "orcl-"),
            extra: ["--project", "pool1/demo-backup"])
        let config = try ApplianceSnapperTests().configuration(
            """
            snappermodule: zfssa
            [zfssa]
            url: https://127.0.0.1:\(simulator.port)
            pool: pool1
            project: demo-backup
            cacert: \(simulator.caFile)
            """, credentials: ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n"),
            directory: simulator.directory)
        try await expectOneListingAndOneDeletePerDrop(simulator: simulator, config: config)
    }

    @Test func ontapCleanSendsOneListingAndOneDeletePerDrop() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "ontap", seed: Self.seed(volume: "backup_orcl", snapshotPrefix: "orcl_"),
            extra: ["--svm", "svm1", "--aggregate", "aggr1"])
        let config = try ApplianceSnapperTests().configuration(
            """
            snappermodule: netapp
            [netapp]
            filer: https://127.0.0.1:\(simulator.port)
            volumeprefix: backup_
            cacert: \(simulator.caFile)
            svm: svm1
            """, credentials: ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: secret\n"),
            directory: simulator.directory)
        try await expectOneListingAndOneDeletePerDrop(simulator: simulator, config: config)
    }
}
