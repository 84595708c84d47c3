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

/// Where libxml2 lives on this host (the files dlopen would find), for hiding it from a tool.
let installedLibXML2 = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64"]
    .flatMap { directory in ["libxml2.so.2", "libxml2.so"].map { directory + "/" + $0 } }
    .filter { FileManager.default.fileExists(atPath: $0) }

extension ApplianceSnapperTests {
    @Test(
        "libxml2 is loaded at the first ZAPI document: without it the tools start and REST works, ZAPI names the package",
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
                && !installedLibXML2.isEmpty,
            "hiding libxml2 from a tool needs root, unshare and an installed libxml2"))
    func withoutLibXML2() async throws {
        // The tool runs in a private mount namespace in which every libxml2 file reads as /dev/null.
        func withoutLibXML2(_ arguments: [String]) async throws -> BuiltProducts.Result {
            let hide = installedLibXML2.map { "mount --bind /dev/null '\($0)'" }.joined(separator: " && ")
            return try await BuiltProducts.runCommand(
                "/usr/bin/unshare",
                ["-m", "/bin/sh", "-c", "\(hide) && exec \"$0\" \"$@\"", BuiltProducts.path("snapper")] + arguments)
        }
        let help = try await withoutLibXML2(["--help"])
        #expect(help.status == 0, "\(help.stdout)\(help.stderr)")
        for rest in [true, false] {
            let simulator = try StorageSimulatorProcess(
                vendor: "ontap", seed: #"{"shares": [{"name": "backup_orcl"}]}"#,
                extra: ["--svm", "svm1"] + (rest ? [] : ["--ontap-no-rest"]))
            let config = try configuration(
                """
                snappermodule: netapp
                [netapp]
                filer: https://127.0.0.1:\(simulator.port)
                volumeprefix: backup_
                cacert: \(simulator.caFile)
                svm: svm1
                """,
                credentials: ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: secret\n"),
                directory: simulator.directory)
            let list = try await withoutLibXML2(["--config", config, "orcl", "list"])
            let output = list.stdout + list.stderr
            if rest {
                #expect(list.status == 0, "REST needs no libxml2: \(output)")
            } else {
                #expect(list.status == 1, "\(output)")
                #expect(output.contains("libxml2 (libxml2.so.2) is not installed"), "\(output)")
                #expect(!output.contains("secret"))
                let visible = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
                #expect(visible.status == 0, "\(visible.stdout)\(visible.stderr)")
            }
        }
    }
}
