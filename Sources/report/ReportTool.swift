import CommandSupport
import ReportCommands

/// The `report` executable (the original's report.py).
@main
struct ReportTool {
    static func main() async {
        await ToolMain.runAndExit(ReportCommand.self, usage: ReportCommand.usage)
    }
}
