import ArgumentParser
import AutorestoreCommands
import CommandSupport
import RestoreCommands
import Testing

@Suite("autorestore: arguments")
struct AutorestoreCommandTests {
    @Test(
        arguments: [
            (["--parallel", "0"], "--parallel must be at least 1"),
            (["--parallel=-2", "orcl"], "--parallel must be at least 1"),
            (["orcl", "cdb1"], "too many arguments: orcl cdb1"),
            (["a.cfg", "b.cfg"], "too many arguments: a.cfg b.cfg"),
            (["a.cfg", "orcl", "!cdb1"], "too many arguments"),
            (["--createcatalog", "orcl"], "--createcatalog takes no database"),
            (["--listvalidationdates", "!orcl"], "--listvalidationdates takes no database"),
            (["!bad/db"], "database argument 'bad/db' is not a valid database name"),
            (["../x"], "database argument '../x' is not a valid database name"),
            (["!"], "database argument '' is not a valid database name"),
        ] as [([String], String)])
    func usageErrorsExit2(arguments: [String], message: String) async {
        await expectUsageError(
            AutorestoreCommand.self, arguments, mentioning: message, usage: AutorestoreCommand.usage)
    }

    @Test func originalFormWithAnExclusion() throws {
        let command = try AutorestoreCommand.parse(["/etc/oib/backup.cfg", "!orcl", "--parallel", "2"])
        #expect(command.words == ["/etc/oib/backup.cfg", "!orcl"])
        #expect(command.parallel == 2)
        #expect(command.config == nil)
        #expect(!command.createcatalog)
        #expect(!command.listvalidationdates)
    }

    @Test func defaultsRestoreEveryDatabaseOneAtATime() throws {
        let command = try AutorestoreCommand.parse([])
        #expect(command.words.isEmpty)
        #expect(command.parallel == 1)
        #expect(command.config == nil)
    }

    @Test func createCatalogAndListValidationDatesTakeAConfigFile() throws {
        let create = try AutorestoreCommand.parse(["--createcatalog", "--config", "/etc/oib/backup.cfg"])
        #expect(create.createcatalog)
        #expect(create.config == "/etc/oib/backup.cfg")
        let list = try AutorestoreCommand.parse(["--listvalidationdates", "backup.cfg"])
        #expect(list.listvalidationdates)
        #expect(list.words == ["backup.cfg"])
    }
}

@Suite("restore: arguments")
struct RestoreCommandTests {
    @Test(
        arguments: [
            (["--sid", "toolongsid1", "orcl"], "--sid must be 1 to 8 letters or digits"),
            (["--sid", "ab_c", "orcl"], "--sid must be 1 to 8 letters or digits"),
            (["--sid", "", "orcl"], "--sid must be 1 to 8 letters or digits"),
            ([], "missing the database"),
            (["orcl", "cdb1"], "too many arguments: orcl cdb1"),
            (["x.cfg", "orcl", "more"], "too many arguments: x.cfg orcl more"),
            (["--target-time", "yesterday", "orcl"], "--target-time must be 'YYYY-MM-DD HH:MM:SS'"),
            (["--target-time", "2016-11-08", "orcl"], "--target-time must be 'YYYY-MM-DD HH:MM:SS'"),
            (["bad/db"], "database argument 'bad/db' is not a valid database name"),
            (["x.cfg", "1orcl"], "database argument '1orcl' is not a valid database name"),
            (["--move-to", "/u02/oradata", "orcl"], "--move-to and --resume belong to --instant"),
            (["--resume", "orcl"], "--move-to and --resume belong to --instant"),
            (["--instant", "orcl"], "--instant needs --move-to DIR"),
        ] as [([String], String)])
    func usageErrorsExit2(arguments: [String], message: String) async {
        await expectUsageError(RestoreCommand.self, arguments, mentioning: message, usage: RestoreCommand.usage)
    }

    @Test func unattendedRestore() throws {
        let command = try RestoreCommand.parse([
            "/etc/oib/backup.cfg", "orcl", "--sid", "TEST1", "--target-time", "2016-11-08 21:40:00", "--utc",
            "--snapshot", "orcl-20161108T215000", "--mount-dir", "/mnt/restore", "--yes",
        ])
        #expect(command.database == "orcl")
        #expect(command.words == ["/etc/oib/backup.cfg", "orcl"])
        #expect(command.config == nil)
        #expect(command.sid == "TEST1")
        #expect(command.targetTime == "2016-11-08 21:40:00")
        #expect(command.utc)
        #expect(command.snapshot == "orcl-20161108T215000")
        #expect(command.mountDir == "/mnt/restore")
        #expect(command.yes)
        #expect(!command.listSnapshots)
    }

    @Test func configurationFileAsOptionOrAsTheOriginalsFirstWord() throws {
        let option = try RestoreCommand.parse(["--config", "/a/b.cfg", "orcl"])
        #expect(option.config == "/a/b.cfg")
        #expect(option.database == "orcl")
        let original = try RestoreCommand.parse(["/c/d.cfg", "orcl"])
        #expect(original.config == nil)
        #expect(original.words == ["/c/d.cfg", "orcl"])
        #expect(original.database == "orcl")
    }

    @Test func interactiveByDefault() throws {
        let command = try RestoreCommand.parse(["orcl", "--list-snapshots"])
        #expect(command.listSnapshots)
        #expect(!command.yes)
        #expect(command.sid == nil)
        #expect(command.targetTime == nil)
        #expect(!command.utc)
    }
}
