import Foundation
import Testing

extension ApplianceSnapperTests {
    /// An unchanged `[netapp]` section of the original (no `ontapapi`) against a cluster without REST: the built
    /// `snapper` finds no `/api`, speaks ZAPI, and every action works; `ontapapi: rest` then fails, naming the API.
    @Test func ontapWithoutRESTSpeaksZAPI() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "ontap",
            seed: #"{"shares": [{"name": "backup_orcl"}, {"name": "plain-filesystem"}]}"#,
            extra: ["--svm", "svm1", "--aggregate", "aggr1", "--ontap-no-rest"])
        let section = """
            snappermodule: netapp
            snapperclass: Netapp
            [netapp]
            filer: https://127.0.0.1:\(simulator.port)
            volumeprefix: backup_
            cacert: \(simulator.caFile)
            svm: svm1
            """
        let credentials = ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: secret\n")
        let config = try configuration(section, credentials: credentials, directory: simulator.directory)
        try await exercise(config: config, snapshotPrefix: "orcl_")

        _ = try configuration(
            section + "\nontapapi: rest", credentials: credentials, directory: simulator.directory)
        let rest = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
        #expect(rest.status == 1, "\(rest.stdout)\(rest.stderr)")
        #expect(rest.stderr.contains("404"), "\(rest.stderr)")
        #expect(!rest.stderr.contains("secret"))
    }
}
