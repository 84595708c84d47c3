import AutorestoreCommands
import CommandSupport

/// The `autorestore` executable.
@main
struct AutorestoreTool {
    static func main() async {
        await ToolMain.runAndExit(AutorestoreCommand.self, usage: AutorestoreCommand.usage)
    }
}
