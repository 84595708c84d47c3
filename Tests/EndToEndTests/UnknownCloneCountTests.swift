import Foundation
import Testing

/// A ZFSSA listing without `numclones` says nothing about clones: unknown, never 0.
@Suite("Unknown clone counts (snapper against storage-sim ZFSSA)", .serialized)
struct UnknownCloneCountTests {
    @Test func aSnapshotWithoutNumclonesIsKeptWithAReasonAndShownAsUnknown() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa",
            seed: """
                {"shares": [{"name": "orcl", "snapshots": [
                  {"name": "orcl-20160101T000000", "creation": "2016-01-01T00:00:00Z", "omitsNumclones": true},
                  {"name": "orcl-20160102T000000", "creation": "2016-01-02T00:00:00Z"},
                  {"name": "orcl-20160103T000000", "creation": "2016-01-03T00:00:00Z"}]}]}
                """,
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
        func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
            try await BuiltProducts.run("snapper", ["--config", config] + arguments)
        }
        func listed() async throws -> [String] {
            try await snapper(["orcl", "list"]).stdout.split(separator: "\n").map(String.init)
        }

        let lines = try await listed()
        #expect(lines.first?.hasSuffix(" clones=unknown") == true, "\(lines)")
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(" clones=0") }, "\(lines)")
        let json = try await snapper(["--json", "orcl", "list"]).stdout
        #expect(json.contains(#""cloneCount" : null"#), "\(json)")

        let refused = try await snapper(["orcl", "dropsnap", "orcl-20160101T000000"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("clone count unknown"), "\(refused.stderr)")

        let clean = try await snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let kept = clean.stdout.split(separator: "\n").first { $0.hasPrefix("orcl-20160101T000000") } ?? ""
        #expect(kept.contains("clones=unknown valid — keep: clone count unknown"), "\(clean.stdout)")
        #expect(try await listed().map { String($0.prefix(20)) } == ["orcl-20160101T000000", "orcl-20160103T000000"])
    }
}
