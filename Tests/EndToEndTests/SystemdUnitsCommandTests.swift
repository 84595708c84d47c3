import Foundation
import Testing

/// `backup <db> systemd-units` through the built tool: the printed units name the built tools and the
/// configuration file, and `systemd-analyze verify` accepts them where it is installed.
@Suite("backup systemd-units (built binary)")
struct SystemdUnitsCommandTests {
    static let analyzer = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test func printsUnitsThatSystemdAnalyzeVerifies() async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/backup.cfg"
        try """
        [generic]
        logretention: 7
        backupdest: \(directory)/backup
        tnsadmin: \(directory)
        osuser: dbbackup
        [orcl]
        dbid: 1433672784
        recoverywindow: 2
        parallel: 1
        schedulebackup: FREQ=DAILY;BYHOUR=22;BYMINUTE=15
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await BuiltProducts.run(
            "backup", ["--config", config, "orcl", "systemd-units", "--prefix", BuiltProducts.directory])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text.contains("ExecStart=\(BuiltProducts.directory)/backup --config \(config) orcl imagecopywithsnap"))
        #expect(text.contains("ExecStart=\(BuiltProducts.directory)/autorestore --config \(config) orcl"))
        #expect(text.contains("\nUser=dbbackup\n"), "osuser is the default user")
        #expect(text.contains("\nOnCalendar=*-*-* 22:15:00\n"))
        #expect(text.contains("\nOnCalendar=*-*-* 00/6:00:00\n"))

        // Split as the printed install recipe does, then verify.
        let units = directory + "/units"
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        let split = try await BuiltProducts.runCommand(
            "/bin/sh", ["-c", "cd \"$1\" && awk '/^# === /{f=$3} f{print > f}'", "split", units], input: text)
        #expect(split.status == 0, "\(split.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: units).sorted()
        #expect(names.count == 6, "\(names)")
        if let analyzer = Self.analyzer {
            let verify = try await BuiltProducts.runCommand(
                analyzer,
                ["verify"] + names.filter { $0.hasSuffix(".timer") }.map { units + "/" + $0 }
                    + names.filter { $0.hasSuffix(".service") }.map { units + "/" + $0 },
                environment: ["SYSTEMD_LOG_LEVEL": "warning"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(!verify.stderr.contains(units), "systemd-analyze complained: \(verify.stderr)")
        }

        let user = try await BuiltProducts.run(
            "backup", ["--config", config, "orcl", "systemd-units", "--user", "oracle", "--prefix", "/opt/oib/bin"])
        #expect(user.stdout.contains("\nUser=oracle\n"))
        #expect(user.stdout.contains("ExecStart=/opt/oib/bin/backup "))
        let misplaced = try await BuiltProducts.run("backup", ["--config", config, "orcl", "config", "--user", "x"])
        #expect(misplaced.status == 2)
        let relative = try await BuiltProducts.run(
            "backup", ["--config", config, "orcl", "systemd-units", "--prefix", "bin"])
        #expect(relative.status == 2)
        let help = try await BuiltProducts.run("backup", ["--help"])
        #expect(help.stdout.contains("systemd-units"))
    }
}
