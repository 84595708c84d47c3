import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func scratchDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "oib-e2e-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("backup checkconfig / showconfig (built binary)")
struct BackupConfigCommandTests {
    @Test(arguments: ["backup.zfssa.cfg", "backup.netapp.cfg", "backup.softnas.cfg", "backup.huawei.cfg"])
    func sampleConfigsPassCheckconfigWithCredentials(file: String) async throws {
        // Copy the sample beside private credentials files, as a DBA would install it.
        let directory = try scratchDirectory()
        let config = directory + "/backup.cfg"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/configs/" + file, toPath: config)
        for (name, text) in [
            ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: u\nzfspassword: p\n"),
            ("netappcredentials.cfg", "[netappcredentials]\nuser: u\npassword: p\n"),
            ("softnascredentials.cfg", "[credentials]\nuser: u\npassword: p\n"),
            ("huaweidoradocredentials.cfg", "[credentials]\nuser: u\npassword: p\n"),
        ] {
            _ = FileManager.default.createFile(
                atPath: directory + "/" + name, contents: Data(text.utf8),
                attributes: [.posixPermissions: 0o600])
        }
        let result = try await BuiltProducts.run("backup", ["--config", config, "checkconfig"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Configuration file \(config) is valid:"))
    }

    @Test func checkconfigListsEveryProblemAndExits2() async throws {
        let directory = try scratchDirectory()
        let config = directory + "/backup.cfg"
        try """
        [generic]
        logretention: seven
        backupdest: /nfs/backup
        snappermodule: zfssa
        [orcl]
        dbid: 12x
        recoverywindow: 2
        parallel: 1
        snapexpirationdays: 3
        [orcl]
        dbid: 1
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await BuiltProducts.run("backup", ["--config", config, "checkconfig"])
        #expect(result.status == 2)
        for expected in [
            "\(config):2: [generic] logretention: 'seven' is not a whole number",
            "\(config):6: [orcl] dbid: '12x' is not a DBID",
            "\(config):10: [orcl]: section [orcl] is defined twice (first at line 5)",
            "[zfssa] url: required key is missing",
            "[generic] tnsadmin: required key is missing",
            "zfscredentials.cfg: credentials file not found",
        ] {
            #expect(result.stderr.contains(expected), "missing: \(expected)\n\(result.stderr)")
        }
    }

    /// A 0644 credentials file (as the original's documentation made them) passes checkconfig with a WARNING
    /// that says what to run; a file others can write is refused.
    @Test func readableCredentialsWarnAndWritableOnesFailCheckconfig() async throws {
        let directory = try scratchDirectory()
        try FileManager.default.copyItem(
            atPath: repositoryRoot + "/configs/backup.zfssa.cfg",
            toPath: directory + "/backup.cfg")
        let credentials = directory + "/zfscredentials.cfg"
        _ = FileManager.default.createFile(
            atPath: credentials, contents: Data("[zfscredentials]\nzfsuser: u\nzfspassword: p\n".utf8),
            attributes: [.posixPermissions: 0o644])
        let readable = try await BuiltProducts.run(
            "backup", ["checkconfig"], environment: ["BACKUPCONFIG": directory + "/backup.cfg"])
        #expect(readable.status == 0, "\(readable.stdout)\(readable.stderr)")
        #expect(
            readable.stderr.contains(
                "WARNING: \(credentials): credentials file is readable by group or others (mode 0644); it holds a storage password. Run: chmod 600 \(credentials)"
            ), "\(readable.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: credentials)
        let writable = try await BuiltProducts.run(
            "backup", ["checkconfig"], environment: ["BACKUPCONFIG": directory + "/backup.cfg"])
        #expect(writable.status == 2)
        #expect(writable.stderr.contains("can be changed by group or others (mode 0666)"), "\(writable.stderr)")
    }

    @Test func showconfigPrintsEffectiveSettingsWithSecretsMasked() async throws {
        let directory = try scratchDirectory()
        try FileManager.default.copyItem(
            atPath: repositoryRoot + "/configs/backup.zfssa.cfg",
            toPath: directory + "/backup.cfg")
        _ = FileManager.default.createFile(
            atPath: directory + "/zfscredentials.cfg",
            contents: Data("[zfscredentials]\nzfsuser: admin\nzfspassword: Sup3rS3cret\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let result = try await BuiltProducts.run(
            "backup", ["--config", directory + "/backup.cfg", "cdb1", "showconfig"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("Sup3rS3cret"))
        #expect(result.stdout.contains("credentials: admin/****"))
        #expect(result.stdout.contains("autorestorethread: 3"))
        #expect(result.stdout.contains("sga_size: 4G"))
        #expect(result.stdout.contains("backup area: /nfs/backup/cdb1"))
        #expect(result.stdout.contains("project: demo-backup\n"))
    }

    @Test func usageErrorsExit2WithTheUsageLine() async throws {
        for arguments in [[], ["orcl"], ["orcl", "nosuchaction"], ["a", "b", "c"], ["--bogus"]] {
            let result = try await BuiltProducts.run("backup", arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("Usage: backup"), "\(arguments)")
        }
    }

    @Test func missingConfigExits2NamingTheFile() async throws {
        let result = try await BuiltProducts.run("backup", ["--config", "/nonexistent/backup.cfg", "checkconfig"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/backup.cfg: configuration file not found"))
    }

    @Test func unknownDatabaseExits2() async throws {
        let result = try await BuiltProducts.run(
            "backup", ["--config", repositoryRoot + "/configs/backup.zfssa.cfg", "prod", "showconfig"])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("no section [prod] for this database (databases in this file: orcl, cdb1, olddb)"))
    }
}
