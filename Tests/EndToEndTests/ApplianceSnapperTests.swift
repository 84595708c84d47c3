import Foundation
import Testing
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A `storage-sim` process serving one vendor's API over HTTPS on 127.0.0.1 with a throw-away CA (or over plain
/// HTTP when `tls` is false).
final class StorageSimulatorProcess {
    let child: RunningChild
    let directory: String
    let port: Int
    let tls: Bool
    /// The data root when started file-backed (`--data-root`), else `nil`.
    let dataRoot: String?
    var caFile: String { directory + "/ca.pem" }

    /// `under`: the directory to create the simulator's files in (its data root is the appliance's storage).
    init(
        vendor: String, seed: String, extra: [String] = [], fileBacked: Bool = false, tls: Bool = true,
        password: String = "secret", under base: String = NSTemporaryDirectory()
    ) throws {
        self.tls = tls
        directory = (base.hasSuffix("/") ? base : base + "/") + "oib-sim-\(UUID().uuidString.prefix(8))"
        dataRoot = fileBacked ? directory + "/nas" : nil
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try seed.write(toFile: directory + "/seed.json", atomically: true, encoding: .utf8)
        let arguments =
            [
                "--vendor", vendor, "--port", "0", "--user", "admin", "--password", password, "--seed",
                directory + "/seed.json", "--port-file", directory + "/port", "--parent-pid", String(getpid()),
                "--idle-timeout", "300",
            ] + (tls ? ["--generate-certs", directory] : []) + (dataRoot.map { ["--data-root", $0] } ?? []) + extra
        child = try ChildCommand(
            executable: BuiltProducts.path("storage-sim"), arguments: arguments, standardOutputPath: "/dev/null",
            standardErrorPath: "/dev/null"
        ).startBlocking()
        var found: Int?
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8),
                let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0
            {
                found = value
                break
            }
            usleep(100_000)
        }
        guard let found else {
            child.signal(SIGTERM)
            throw SimulatorFailure(arguments: arguments, output: "storage-sim wrote no port")
        }
        port = found
    }

    /// The simulator's base URL.
    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    /// Adds a fault rule (`POST /_sim/faults`; see Documentation/storage/zfssa.md).
    func addFault(_ json: String) async throws {
        let result = try await BuiltProducts.runCommand(
            "/usr/bin/curl",
            ["-sS", "-f", "-X", "POST", url + "/_sim/faults", "-d", json] + (tls ? ["--cacert", caFile] : []))
        guard result.status == 0 else { throw SimulatorFailure(arguments: ["fault", json], output: result.stderr) }
    }

    deinit {
        if child.isRunning { child.signal(SIGTERM) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// `snapper` from the command line against storage-sim for ZFSSA and ONTAP (issue: Appliance drivers I).
@Suite("snapper against storage-sim (ZFSSA, ONTAP)", .serialized)
struct ApplianceSnapperTests {
    func configuration(_ section: String, credentials: (String, String), directory: String) throws -> String {
        let path = directory + "/backup.cfg"
        try """
        [generic]
        logretention: 7
        backupdest: \(directory)/backup
        tnsadmin: tns
        oraclehome: /u01/db
        maxlockwait: 1
        warningsnapage: 26
        criticalsnapage: 50
        \(section)
        [autorestore]
        autorestoredestination: \(directory)/dest
        autorestoreclonename: autorestore
        autorestoremountpoint: \(directory)/mnt
        autorestoresnapage: 0
        autorestorelogdir: \(directory)/log
        autorestoremaxtoleranceminutes: 5
        [orcl]
        dbid: 1433672784
        recoverywindow: 2
        parallel: 2
        snapexpirationdays: 31
        """.write(toFile: path, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(
            atPath: directory + "/" + credentials.0, contents: Data(credentials.1.utf8),
            attributes: [.posixPermissions: 0o600])
        return path
    }

    func exercise(config: String, snapshotPrefix: String) async throws {
        func snapper(_ arguments: [String]) async throws -> BuiltProducts.Result {
            try await BuiltProducts.run("snapper", ["--config", config] + arguments)
        }
        var names: [String] = []
        for _ in 0..<2 {
            let created = try await snapper(["orcl", "create"])
            #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
            #expect(created.stdout.hasPrefix("Snapshot created: \(snapshotPrefix)"))
            names.append(
                String(created.stdout.dropFirst("Snapshot created: ".count)).trimmingCharacters(
                    in: .whitespacesAndNewlines))
            try await Task.sleep(for: .milliseconds(1100))
        }
        let list = try await snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.split(separator: "\n").count == 2, "\(list.stdout)")
        #expect(list.stdout.contains(" UTC] total="))
        #expect(try await snapper(["--json", "orcl", "list"]).stdout.hasPrefix("["))
        let age = try await snapper(["orcl", "checkage"])
        #expect(age.status == 0, "\(age.stdout)\(age.stderr)")

        let clone = try await snapper(["orcl", "clone", names[0]])
        #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
        #expect(clone.stdout.contains("Clone created."))
        #expect(
            clone.stdout.contains("mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 "))
        let cloneName = String(clone.stdout.split(separator: "\n")[1].dropFirst("Clone name: ".count))
        #expect(try await snapper(["orcl", "listclones"]).stdout.contains(cloneName))
        let held = try await snapper(["orcl", "dropsnap", names[0]])
        #expect(held.status == 1, "a snapshot with a clone must not be dropped: \(held.stdout)")
        let foreign = try await snapper(["orcl", "dropclone", "plain-filesystem"])
        #expect(foreign.status == 1, "a filesystem that is not our clone must never be dropped")
        #expect(try await snapper(["orcl", "dropclone", cloneName]).status == 0)

        #expect(try await snapper(["orcl", "autoclone"]).status == 0)
        #expect(try await snapper(["orcl", "listclones"]).stdout.contains("autorestore"))
        #expect(try await snapper(["orcl", "dropautoclone"]).status == 0)

        let plan = try await snapper(["orcl", "clean", "--dry-run"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let clean = try await snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(try await snapper(["orcl", "dropsnap", names[1]]).status == 0)
        #expect(try await snapper(["orcl", "list"]).stdout.split(separator: "\n").count == 1)
    }

    @Test func zfssa() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa",
            seed: #"{"shares": [{"name": "orcl"}, {"name": "plain-filesystem"}]}"#,
            extra: ["--project", "pool1/demo-backup"])
        let directory = simulator.directory
        let config = try configuration(
            """
            snappermodule: zfssa
            snapperclass: ZFSSA
            [zfssa]
            url: https://127.0.0.1:\(simulator.port)
            pool: pool1
            project: demo-backup
            cacert: \(simulator.caFile)
            """, credentials: ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n"),
            directory: directory)
        try await exercise(config: config, snapshotPrefix: "orcl-")
        // Verification stays on: without the CA the appliance is not trusted.
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "cacert: \(simulator.caFile)\n", with: "")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let untrusted = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
        #expect(untrusted.status == 1)
    }

    @Test func ontap() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "ontap",
            seed: #"{"shares": [{"name": "backup_orcl"}, {"name": "plain-filesystem"}]}"#,
            extra: ["--svm", "svm1", "--aggregate", "aggr1"])
        let config = try configuration(
            """
            snappermodule: netapp
            snapperclass: Netapp
            [netapp]
            filer: https://127.0.0.1:\(simulator.port)
            volumeprefix: backup_
            cacert: \(simulator.caFile)
            svm: svm1
            """, credentials: ("netappcredentials.cfg", "[netappcredentials]\nuser: admin\npassword: secret\n"),
            directory: simulator.directory)
        try await exercise(config: config, snapshotPrefix: "orcl_")
    }
}

/// Where libcurl lives on this host (the files dlopen would find), for hiding it from a tool.
let installedLibCurl = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64"]
    .flatMap { directory in ["libcurl.so.4", "libcurl.so", "libcurl-gnutls.so.4"].map { directory + "/" + $0 } }
    .filter { FileManager.default.fileExists(atPath: $0) }

extension ApplianceSnapperTests {
    @Test(
        "libcurl is loaded at the first request: without it the tools start, and an appliance action names the package",
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
                && !installedLibCurl.isEmpty,
            "hiding libcurl from a tool needs root, unshare and an installed libcurl"))
    func withoutLibCurl() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa", seed: #"{"shares": [{"name": "orcl"}]}"#, extra: ["--project", "pool1/demo-backup"])
        let config = try configuration(
            """
            snappermodule: zfssa
            [zfssa]
            url: https://127.0.0.1:\(simulator.port)
            pool: pool1
            project: demo-backup
            cacert: \(simulator.caFile)
            """, credentials: ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n"),
            directory: simulator.directory)
        // The tool runs in a private mount namespace in which every libcurl file reads as /dev/null.
        func withoutLibCurl(_ arguments: [String]) async throws -> BuiltProducts.Result {
            let hide = installedLibCurl.map { "mount --bind /dev/null '\($0)'" }.joined(separator: " && ")
            return try await BuiltProducts.runCommand(
                "/usr/bin/unshare",
                ["-m", "/bin/sh", "-c", "\(hide) && exec \"$0\" \"$@\"", BuiltProducts.path("snapper")] + arguments)
        }
        let help = try await withoutLibCurl(["--help"])
        #expect(help.status == 0, "\(help.stdout)\(help.stderr)")
        let list = try await withoutLibCurl(["--config", config, "orcl", "list"])
        #expect(list.status == 1, "\(list.stdout)\(list.stderr)")
        let output = list.stdout + list.stderr
        #expect(output.contains("libcurl (libcurl.so.4) is not installed"), "\(output)")
        #expect(output.contains("install libcurl4 (Debian/Ubuntu) or libcurl (RHEL"), "\(output)")
        #expect(!output.contains("secret"))
        // The same command with libcurl visible reaches the appliance.
        let visible = try await BuiltProducts.run("snapper", ["--config", config, "orcl", "list"])
        #expect(visible.status == 0, "\(visible.stdout)\(visible.stderr)")
    }
}
