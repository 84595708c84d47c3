import ArgumentParser
import CommandSupport
import Testing

/// Expects `arguments` to fail `command`'s parsing or validation with a message containing `text`, and
/// ``ToolMain`` to turn that into exit 2. The command itself never runs: `ToolMain` is only called once parsing has
/// been seen to fail, so a case that wrongly passes validation is reported instead of run.
func expectUsageError<Command: AsyncParsableCommand>(
    _ command: Command.Type, _ arguments: [String], mentioning text: String, usage: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    let message: String
    do {
        _ = try command.parse(arguments)
        Issue.record("\(arguments) passed validation", sourceLocation: sourceLocation)
        return
    } catch {
        message = command.message(for: error)
    }
    #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
    #expect(await ToolMain.run(command, arguments: arguments, usage: usage) == 2, sourceLocation: sourceLocation)
}
