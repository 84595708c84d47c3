import CommandSupport
import RestoreCommands

/// The `restore` executable (point-in-time copy).
@main
struct RestoreTool {
    static func main() async {
        await ToolMain.runAndExit(RestoreCommand.self, usage: RestoreCommand.usage)
    }
}
