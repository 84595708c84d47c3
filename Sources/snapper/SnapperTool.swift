import CommandSupport
import SnapperCommands

/// The `snapper` executable (the original's zsnapper and zvolume).
@main
struct SnapperTool {
    static func main() async {
        await ToolMain.runAndExit(SnapperCommand.self, usage: SnapperCommand.usage)
    }
}
