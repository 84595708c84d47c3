import Foundation
import Testing

/// [Compatibility]: an installation made exactly as the original's documentation describes it — only the
/// original's keys in backup.cfg, a 0644 `zfscredentials.cfg`, a ZFSSA (storage-sim, REST v1) whose backup share is
/// mounted on a file system other than `/`, `mount`/`umount` of an fstab `user` entry found through PATH, and the
/// original's Oracle results catalog (in oracle-sim) — runs every action with the original's exit codes.
@Suite("An installation made from the original's documentation runs unchanged", .serialized)
struct OriginalInstallationTests {
    /// The one addition to the original's keys: the appliance's CA (`cacert`). The original did not check the
    /// ZFSSA certificate at all; these tools do (R-30) and say so when it is missing (asserted below).
    static func originalConfiguration(
        root: String, oracleHome: String, backupRoot: String, url: String, caLine: String
    ) -> String {
        """
        [generic]
        # Root directory for backups, backups will be placed under $backupdest/db_unique_name
        backupdest: \(backupRoot)
        logretention: 30
        tnsadmin: tns
        osuser: oracle
        oraclehome: \(oracleHome)
        maxlockwait: 1
        snappermodule: zfssa
        snapperclass: ZFSSA
        warningsnapage: 26
        criticalsnapage: 50

        [rman]
        catalog: /@rman

        [zfssa]
        url: \(url)
        pool: pool1
        project: demo-backup
        \(caLine)

        [autorestore]
        autorestoredestination: \(root)/autorestore/dest
        autorestoreclonename: autorestore
        autorestoremountpoint: \(root)/autorestore/mnt
        autorestoresnapage: 0
        autorestorelogdir: \(root)/autorestore/log
        autorestoremaxtoleranceminutes: 5
        autorestorecatalog: /@autorestore
        autorestorevalidatechance: 0
        autorestoremodulus: 0

        [orcl]
        dbid: 1433672784
        recoverywindow: 2
        parallel: 2
        snapexpirationdays: 31
        snapexpirationmonths: 6
        customverifydate: select max(createtime) from appdata.txlog

        """
    }

    /// `mount <mountpoint>` / `umount <mountpoint>` as mount(8) runs them for an fstab `user` entry: the source is
    /// looked up in the fstab beside the scripts; storage-sim stands in for the NFS mount.
    static func installMountCommands(in directory: String, dataRoot: String) throws {
        let storageSim = BuiltProducts.path("storage-sim")
        let scripts = [
            "mount": """
            #!/bin/sh
            [ $# -eq 1 ] || { echo "mount: only 'mount <mountpoint>' of an fstab user entry is supported here" >&2; exit 1; }
            source=$(awk -v mp="$1" '$2 == mp && $4 ~ /(^|,)user(,|$)/ { print $1 }' "$(dirname "$0")/fstab")
            [ -n "$source" ] || { echo "mount: $1: mount point not found in fstab (or not a user entry)" >&2; exit 1; }
            echo "$1" >> "$(dirname "$0")/mount.calls"
            exec \(storageSim) mount --data-root \(dataRoot) "$source" "$1"

            """,
            "umount": """
            #!/bin/sh
            [ $# -eq 1 ] || { echo "umount: only 'umount <mountpoint>' is supported here" >&2; exit 1; }
            echo "$1" >> "$(dirname "$0")/umount.calls"
            exec \(storageSim) umount --data-root \(dataRoot) "$1"

            """,
        ]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in scripts {
            _ = FileManager.default.createFile(
                atPath: directory + "/" + name, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        }
    }

    /// The restoreaction rows of the results schema in the catalog database (`oracle-sim inspect catdb`).
    static func restoreActions(_ environment: OracleEnvironment) async throws -> [[String: Any]] {
        let state = try await environment.sim(["inspect", "catdb"]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any]
        let catalog = try #require(object?["autorestoreCatalog"] as? [String: Any], "no results schema in catdb")
        return catalog["actions"] as? [[String: Any]] ?? []
    }

    @Test func everyActionRunsWithTheOriginalsExitCodes() async throws {
        // The backup share lives on a tmpfs, a file system other than /, as the NFS mount of the original's docs.
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa", seed: #"{"shares": [{"name": "orcl"}]}"#, extra: ["--project", "pool1/demo-backup"],
            fileBacked: true, tls: true, under: "/dev/shm")
        let dataRoot = try #require(simulator.dataRoot)
        let backupRoot = dataRoot + "/export/demo-backup"
        let environment = try OracleEnvironment(driver: "zfssa", backupRoot: backupRoot)
        let root = environment.root
        // Exactly the original's keys (the file OracleEnvironment wrote is replaced).
        let configuration = Self.originalConfiguration(
            root: root, oracleHome: environment.oracleHome, backupRoot: backupRoot, url: simulator.url,
            caLine: "cacert: \(simulator.caFile)")
        try configuration.write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        // The original's credentials file, as its README created it: mode 0644.
        let credentials = root + "/zfscredentials.cfg"
        _ = FileManager.default.createFile(
            atPath: credentials, contents: Data("[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n".utf8),
            attributes: [.posixPermissions: 0o644])
        // fstab-style mount commands on PATH.
        let bin = root + "/bin"
        try Self.installMountCommands(in: bin, dataRoot: dataRoot)
        try
            "127.0.0.1:/export/demo-backup/autorestore \(root)/autorestore/mnt nfs rw,fg,soft,nointr,tcp,vers=3,timeo=600,noauto,user 0 0\n"
            .write(toFile: bin + "/fstab", atomically: true, encoding: .utf8)
        let path = bin + ":/usr/bin:/bin"

        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])

        // backup orcl config: exit 0; the 0644 credentials file is a WARNING with the exact chmod.
        let configured = try await environment.backup(["orcl", "config"])
        #expect(configured.status == 0, "\(configured.stdout)\(configured.stderr)")
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let backupLog = environment.latestLog("imagecopywithsnap")
        #expect(backupLog.contains("chmod 600 \(credentials)"), "the credentials WARNING is missing from the log")
        #expect(backupLog.contains("Created snapshot: orcl-"), "\(backupLog)")
        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        // REST v1, as the original spoke it.
        let storageRequests = try await simulator.requestLog().filter { $0.target.hasPrefix("/api/storage/") }
        #expect(!storageRequests.isEmpty)
        #expect(storageRequests.allSatisfy { $0.target.hasPrefix("/api/storage/v1/") }, "\(storageRequests)")
        let snapshots = list.stdout.split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        .filter { $0.hasPrefix("orcl-") }
        #expect(snapshots.count == 2, "\(list.stdout)")

        let missing = try await environment.backup(["orcl", "missingarchlog"])
        #expect(missing.status == 0, "\(missing.stdout)\(missing.stderr)")
        let scheduled = try await environment.backup(
            ["orcl", "setschedule"], extraEnvironment: ["OSPASSWORD": "os-Password-1"])
        #expect(scheduled.status == 0, "\(scheduled.stdout)\(scheduled.stderr)")
        let recipe = try await environment.backup(["orcl", "generaterestore"])
        #expect(recipe.status == 0, "\(recipe.stdout)\(recipe.stderr)")

        // snapper: clone a snapshot, see it, drop it; checkage OK on stdout; clean keeps what the rules keep.
        let newest = try #require(snapshots.last)
        let clone = try await environment.snapper(["orcl", "clone", newest])
        #expect(clone.status == 0, "\(clone.stdout)\(clone.stderr)")
        #expect(clone.stdout.contains("Clone created."))
        let cloneName = try #require(
            clone.stdout.split(separator: "\n").first { $0.hasPrefix("Clone name: ") }.map {
                String($0.dropFirst("Clone name: ".count))
            })
        let clones = try await environment.snapper(["orcl", "listclones"])
        #expect(clones.status == 0 && clones.stdout.contains(cloneName), "\(clones.stdout)\(clones.stderr)")
        let dropped = try await environment.snapper(["orcl", "dropclone", cloneName])
        #expect(dropped.status == 0, "\(dropped.stdout)\(dropped.stderr)")
        #expect(dropped.stdout.contains("Clone dropped."))
        let age = try await environment.snapper(["orcl", "checkage"])
        #expect(age.status == 0, "\(age.stdout)\(age.stderr)")
        #expect(age.stdout.hasPrefix("OK: The latest snapshot age "), "\(age.stdout)")
        let clean = try await environment.snapper(["orcl", "clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        for snapshot in snapshots { #expect(clean.stdout.contains(snapshot + " "), "\(clean.stdout)") }

        // autorestore on an isolated host, as the original's user: the Oracle catalog created once, the clone
        // mounted with `mount <mountpoint>` from PATH, the result row in restoreaction.
        try environment.isolateFromProduction()
        for path in [root, dataRoot, simulator.caFile] { try await BuiltProducts.grantUnprivilegedAccess(to: path) }
        var autorestoreEnvironment = environment.environment
        autorestoreEnvironment["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        autorestoreEnvironment["PATH"] = path
        let created = try await BuiltProducts.runUnprivileged(
            "autorestore", [environment.configPath, "--createcatalog"], environment: autorestoreEnvironment)
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        #expect(created.stdout.contains("Exitstatus is 0"))
        let restored = try await BuiltProducts.runUnprivileged(
            "autorestore", [environment.configPath, "orcl"], environment: autorestoreEnvironment)
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        #expect(restored.stdout.contains("Restore successful, elapsed time: "))
        #expect(restored.stdout.contains("Exitstatus is 0"))
        let mountPoint = root + "/autorestore/mnt"
        #expect(environment.text(bin + "/mount.calls") == mountPoint + "\n")
        #expect(environment.text(bin + "/umount.calls").hasPrefix(mountPoint + "\n"))
        #expect(environment.contents(mountPoint).isEmpty, "the clone is still mounted")

        let rows = try await Self.restoreActions(environment)
        #expect(rows.count == 1, "\(rows)")
        let row = try #require(rows.first)
        #expect(row["dbUniqueName"] as? String == "orcl")
        #expect(row["success"] as? Int == 1)
        #expect(row["validatedCorruption"] as? Int == 0)
        #expect(row["snapId"] as? String == newest, "restored \(row["snapId"] ?? "nil"), newest \(newest)")
        let difference = try #require(row["verificationTimeDiffSeconds"] as? Int)
        #expect(abs(difference) <= 5 * 60)
        // The log column names the run's own log, and its contents were loaded (restorelob → logfilecontents).
        let logFile = try #require(row["logfile"] as? String)
        #expect(logFile.hasPrefix(root + "/autorestore/log/") && logFile.hasSuffix("-orcl.log"), "\(logFile)")
        #expect(FileManager.default.fileExists(atPath: logFile))
        #expect((row["logfileContents"] as? String)?.contains("Restore successful") == true)
    }

    /// Without `cacert`, a self-signed appliance is refused (the original never checked) with a message that
    /// says which line to add: TLS checking stays on by default.
    @Test func aSelfSignedApplianceWithoutCacertSaysWhatToAdd() async throws {
        let simulator = try StorageSimulatorProcess(
            vendor: "zfssa", seed: #"{"shares": [{"name": "orcl"}]}"#, extra: ["--project", "pool1/demo-backup"],
            fileBacked: true, tls: true, under: "/dev/shm")
        let dataRoot = try #require(simulator.dataRoot)
        let environment = try OracleEnvironment(driver: "zfssa", backupRoot: dataRoot + "/export/demo-backup")
        try Self.originalConfiguration(
            root: environment.root, oracleHome: environment.oracleHome, backupRoot: dataRoot + "/export/demo-backup",
            url: simulator.url, caLine: ""
        ).write(toFile: environment.configPath, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(
            atPath: environment.root + "/zfscredentials.cfg",
            contents: Data("[zfscredentials]\nzfsuser: admin\nzfspassword: secret\n".utf8),
            attributes: [.posixPermissions: 0o644])
        let list = try await environment.snapper(["orcl", "list"])
        #expect(list.status == 1, "\(list.stdout)\(list.stderr)")
        #expect(list.stderr.contains("set cacert:"), "\(list.stderr)")
        #expect(list.stderr.contains("insecure: TRUE"))
        #expect(!list.stderr.contains("secret"))
    }
}
