import ArgumentParser
import BackupEngine
import CommandSupport
import Testing

@testable import BackupCommands

@Suite("backup: arguments")
struct BackupCommandTests {
    @Test(
        arguments: [
            (["orcl", "report", "--exclude", "cdb1"], "--exclude and --parallel go with --all"),
            (["orcl", "report", "--parallel", "2"], "--exclude and --parallel go with --all"),
            (["--all", "report", "--exclude"], "Missing value for '--exclude"),
            (["--all", "orcl", "report"], "--all takes exactly one database action"),
            (["--all"], "--all takes exactly one database action"),
            (["--all", "showconfig"], "--all takes exactly one database action"),
            (["--all", "SHOWCONFIG"], "--all takes exactly one database action"),
            (["--all", "checkconfig"], "--all takes exactly one database action"),
            (["--all", "report", "--parallel", "0"], "--parallel must be at least 1"),
            (["--all", "report", "--parallel", "many"], "--parallel"),
            ([], "unknown action or wrong number of arguments"),
            (["orcl"], "unknown action or wrong number of arguments: orcl"),
            (["orcl", "restoreall"], "unknown action or wrong number of arguments: orcl restoreall"),
            (["orcl", "report", "now"], "unknown action or wrong number of arguments: orcl report now"),
            (["../etc", "report"], "database argument '../etc' is not a valid database name"),
            (["1orcl", "imagecopywithsnap"], "database argument '1orcl' is not a valid database name"),
            (["orcl", "report", "--until", "2016-11-08 21:40:00"], "--until goes with generaterestore"),
            (["--all", "generaterestore", "--snapshot", "snap1"], "--snapshot goes with generaterestore"),
            (["orcl", "generaterestore", "--until", "2016-02-30 21:40:00"], "--until must be a time"),
            (["orcl", "generaterestore", "--until", "2016-11-08T21:40:00"], "--until must be a time"),
            (["orcl", "generaterestore", "--until", "2999-01-01 00:00:00"], "is in the future"),
            (["orcl", "generaterestore", "--snapshot", "../snap"], "--snapshot must be a snapshot ID"),
            (["orcl", "generaterestore", "--snapshot", ""], "--snapshot must be a snapshot ID"),
            (["--no-such-option", "orcl", "report"], "Unknown option '--no-such-option'"),
        ] as [([String], String)])
    func usageErrorsExit2(arguments: [String], message: String) async {
        await expectUsageError(BackupCommand.self, arguments, mentioning: message, usage: BackupCommand.usage)
    }

    @Test func oneDatabase() throws {
        let command = try BackupCommand.parse([
            "--config", "/etc/oib/backup.cfg", "--dry-run", "orcl", "imagecopywithsnap",
        ])
        #expect(command.config == "/etc/oib/backup.cfg")
        #expect(command.dryRun)
        #expect(!command.all)
        #expect(command.words == ["orcl", "imagecopywithsnap"])
        #expect(command.exclude == nil)
        #expect(command.parallel == 1)
        #expect(command.until == nil)
        #expect(command.snapshot == nil)
    }

    @Test func actionsAreCaseInsensitive() throws {
        #expect(try BackupCommand.parse(["ORCL", "Report"]).words == ["ORCL", "Report"])
        #expect(try BackupCommand.parse(["CheckConfig"]).words == ["CheckConfig"])
    }

    @Test func allDatabases() throws {
        let command = try BackupCommand.parse(["--all", "report", "--exclude", "cdb1,hr", "--parallel", "3"])
        #expect(command.all)
        #expect(command.words == ["report"])
        #expect(command.exclude == "cdb1,hr")
        #expect(command.parallel == 3)
        #expect(BackupFleet.excludedDatabases(command.exclude) == ["cdb1", "hr"])
        #expect(!command.dryRun)
        #expect(command.config == nil)
    }

    @Test func generateRestoreToATimeFromASnapshot() throws {
        let command = try BackupCommand.parse([
            "orcl", "generaterestore", "--until", "2016-11-08 21:40:00", "--snapshot", "orcl-20161108T215000",
        ])
        #expect(command.words == ["orcl", "generaterestore"])
        #expect(command.until == "2016-11-08 21:40:00")
        #expect(command.snapshot == "orcl-20161108T215000")
    }

    @Test func fileWideAction() throws {
        let command = try BackupCommand.parse(["--config", "b.cfg", "checkconfig"])
        #expect(command.words == ["checkconfig"])
        #expect(command.config == "b.cfg")
    }

    @Test func failureMessageGoesToStandardErrorOnlyWhenTheRunLogHasNotShownIt() {
        let shown = BackupFailure(.action, "report failed: x", exitCode: 1, logged: true).toolExit
        #expect(shown.code == 1)
        #expect(shown.message.isEmpty)
        let unshown = BackupFailure(.backupArea, "the backup area is missing", exitCode: 2).toolExit
        #expect(unshown.code == 2)
        #expect(unshown.message == "the backup area is missing")
        #expect(!unshown.toStandardOutput)
    }
}
