import ArgumentParser
import AutorestoreCommands
import BackupCommands
import CommandSupport
import RestoreCommands
import SnapperCommands
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

/// The root commands of the four tools, for tests that treat them alike.
enum Tool: String, CaseIterable, Sendable {
    case backup, snapper, autorestore, restore

    /// Runs the tool's command through ``ToolMain`` as its executable does; returns the exit code.
    func run(_ arguments: [String]) async -> Int32 {
        switch self {
        case .backup: await ToolMain.run(BackupCommand.self, arguments: arguments, usage: BackupCommand.usage)
        case .snapper: await ToolMain.run(SnapperCommand.self, arguments: arguments, usage: SnapperCommand.usage)
        case .autorestore:
            await ToolMain.run(AutorestoreCommand.self, arguments: arguments, usage: AutorestoreCommand.usage)
        case .restore: await ToolMain.run(RestoreCommand.self, arguments: arguments, usage: RestoreCommand.usage)
        }
    }
}
