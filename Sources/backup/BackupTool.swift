import BackupCommands
import CommandSupport

/// The `backup` executable: all logic lives in BackupCommands so it can be embedded and tested.
@main
struct BackupTool {
    static func main() async {
        await ToolMain.runAndExit(BackupCommand.self, usage: BackupCommand.usage)
    }
}
