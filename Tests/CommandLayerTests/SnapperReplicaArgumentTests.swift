import ArgumentParser
import CommandSupport
import SnapperCommands
import Testing

@Suite("snapper: replication arguments")
struct SnapperReplicaArgumentTests {
    @Test(
        arguments: [
            (["orcl", "create", "--replica"], "--replica goes with list, clean or checkage"),
            (["orcl", "replicate", "--replica"], "--replica goes with list, clean or checkage"),
            (["orcl", "replicate", "extra"], "unknown action or wrong number of arguments: orcl replicate extra"),
        ] as [([String], String)])
    func usageErrorsExit2(arguments: [String], message: String) async {
        await expectUsageError(SnapperCommand.self, arguments, mentioning: message, usage: SnapperCommand.usage)
    }

    @Test(arguments: [
        ["orcl", "replicate"], ["orcl", "list", "--replica"], ["orcl", "checkage", "--replica"],
        ["orcl", "clean", "--replica", "--dry-run"],
    ])
    func replicaActions(arguments: [String]) throws {
        let command = try SnapperCommand.parse(arguments)
        #expect(command.words == arguments.filter { !$0.hasPrefix("--") })
        #expect(command.replica == arguments.contains("--replica"))
    }
}
