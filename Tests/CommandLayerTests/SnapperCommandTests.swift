import ArgumentParser
import CommandSupport
import SnapperCommands
import Testing

@Suite("snapper: arguments")
struct SnapperCommandTests {
    @Test(
        arguments: [
            (["orcl", "list", "--dry-run"], "--dry-run goes with clean"),
            (["orcl", "dropsnap", "snap1", "--dry-run"], "--dry-run goes with clean"),
            (["orcl", "clone"], "unknown action or wrong number of arguments: orcl clone"),
            (["orcl", "list", "extra"], "unknown action or wrong number of arguments: orcl list extra"),
            (["orcl", "snapshots"], "unknown action or wrong number of arguments: orcl snapshots"),
            (["orcl"], "unknown action or wrong number of arguments: orcl"),
            ([], "unknown action or wrong number of arguments"),
            (["orcl", "volume"], "unknown action or wrong number of arguments: orcl volume"),
            (["orcl", "volume", "delete"], "volume takes one action: create"),
            (["bad/db", "list"], "database argument 'bad/db' is not a valid database name"),
            (["orcl" + String(repeating: "$", count: 27), "list"], "is not a valid database name"),
            (["--json", "--no-such-option", "orcl", "list"], "Unknown option '--no-such-option'"),
        ] as [([String], String)])
    func usageErrorsExit2(arguments: [String], message: String) async {
        await expectUsageError(SnapperCommand.self, arguments, mentioning: message, usage: SnapperCommand.usage)
    }

    @Test func cleanDryRun() throws {
        let command = try SnapperCommand.parse(["orcl", "clean", "--dry-run"])
        #expect(command.dryRun)
        #expect(!command.json)
        #expect(command.words == ["orcl", "clean"])
        #expect(command.config == nil)
    }

    @Test func cloneOfASnapshotAsJSON() throws {
        let command = try SnapperCommand.parse([
            "--json", "--config", "/etc/oib/backup.cfg", "orcl", "clone", "orcl-20161108T215000",
        ])
        #expect(command.json)
        #expect(!command.dryRun)
        #expect(command.config == "/etc/oib/backup.cfg")
        #expect(command.words == ["orcl", "clone", "orcl-20161108T215000"])
    }

    @Test(arguments: [
        ["orcl", "list"], ["orcl", "create"], ["orcl", "checkage"], ["orcl", "listclones"], ["orcl", "autoclone"],
        ["orcl", "dropautoclone"], ["orcl", "dropclone", "c1"], ["orcl", "dropsnap", "s1"],
        ["orcl", "volume", "create"],
        ["ORCL", "CheckAge"],
    ])
    func everyActionWithItsArity(arguments: [String]) throws {
        #expect(try SnapperCommand.parse(arguments).words == arguments)
    }
}
