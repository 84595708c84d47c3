import Foundation
import Testing

/// The README's first command, `Scripts/demo.sh`: the main job end to end on the embedded default. It must pass and
/// leave nothing mounted (as root it runs on a loop-mounted btrfs).
@Suite("Scripts/demo.sh (the README's main job)")
struct DemoScriptTests {
    @Test func theDemoRunsToTheEndAndLeavesNothingMounted() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let root = NSTemporaryDirectory() + "oib-demo-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try await BuiltProducts.runCommand(
            "/bin/bash", [repository + "/Scripts/demo.sh"],
            environment: [
                "OIB_DEMO_BIN": BuiltProducts.directory, "OIB_DEMO_ROOT": root, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            ])
        #expect(run.status == 0, "\(run.stdout.suffix(3000))\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("=== Done"), "\(run.stdout.suffix(2000))")
        #expect(run.stdout.contains("Restore successful") || run.stdout.contains("restored on a throw-away instance"))
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(root), "the demo left a mount below \(root)")
    }
}
