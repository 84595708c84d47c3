import ArgumentParser
import CommandSupport
import Testing

/// A command that ends as asked, for the exit-code mapping of ``ToolMain``.
struct EndingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ending")

    struct Unexpected: Error {}

    @Option(help: "End with ToolExit and this code.")
    var exit: Int32?

    @Flag(help: "Print the ToolExit message on standard output (a Nagios line).")
    var nagios = false

    @Flag(help: "Throw an error that is not a ToolExit.")
    var unexpected = false

    func validate() throws {
        if let exit, exit < 0 { throw ValidationError("--exit must not be negative") }
    }

    func run() async throws {
        if let exit { throw nagios ? ToolExit.nagios(exit, "UNKNOWN: test") : ToolExit(exit) }
        if unexpected { throw Unexpected() }
    }
}

@Suite("ToolMain: exit codes of the tools")
struct ToolMainTests {
    @Test(
        arguments: [
            ([], 0),
            (["--exit", "0"], 0),
            (["--exit", "3"], 3),
            (["--exit", "143", "--nagios"], 143),
            (["--unexpected"], 1),
            (["--exit=-1"], 2),
            (["--no-such-option"], 2),
            (["surplus"], 2),
            (["--help"], 0),
            (["-h"], 0),
        ] as [([String], Int32)])
    func exitCode(arguments: [String], expected: Int32) async {
        #expect(await ToolMain.run(EndingCommand.self, arguments: arguments, usage: "Usage: ending") == expected)
    }

    @Test(arguments: Tool.allCases, [["--help"], ["-h"]])
    func helpOfEveryToolExits0(tool: Tool, arguments: [String]) async {
        #expect(await tool.run(arguments) == 0)
    }

    @Test func usageAndFailureExitsUseTheOriginalsCodes() {
        #expect(ToolExit.usage("x").code == 2)
        #expect(ToolExit.failure("x").code == 1)
        let nagios = ToolExit.nagios(3, "UNKNOWN: x")
        #expect(nagios.code == 3)
        #expect(nagios.toStandardOutput)
        #expect(!ToolExit.usage("x").toStandardOutput)
    }

    @Test(arguments: ["orcl", "ORCL_1$#", "a", String(repeating: "d", count: 30)])
    func validDatabaseArgument(name: String) throws {
        try DatabaseArgument.validate(name)
    }

    @Test(arguments: [
        "", "1orcl", "_orcl", "../etc", "orcl/x", "or cl", "orcl-1", "ÖRCL", String(repeating: "d", count: 31),
    ])
    func invalidDatabaseArgument(name: String) {
        let error = #expect(throws: ValidationError.self) { try DatabaseArgument.validate(name) }
        #expect(error?.message.contains("database argument '\(name)' is not a valid database name") == true)
    }
}
