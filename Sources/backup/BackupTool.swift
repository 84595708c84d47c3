import ToolCommands

/// The `backup` executable: all logic lives in ToolCommands so it can be embedded and tested.
@main
struct BackupTool {
    static func main() async {
        await ToolMain.runAndExit(BackupCommand.self, usage: BackupCommand.usage)
    }
}
