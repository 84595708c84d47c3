import Foundation
import Testing

/// The README's first command, `Scripts/demo.sh`: the main job end to end on the embedded default. It must pass,
/// print the facts each step proved, and leave nothing behind (as root it runs on a loop-mounted btrfs); with
/// `--keep` it keeps only its area and says how to remove it.
@Suite("Scripts/demo.sh (the README's main job)", .serialized)
struct DemoScriptTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func runDemo(root: String, _ arguments: [String] = []) async throws -> BuiltProducts.Result {
        try await BuiltProducts.runCommand(
            "/bin/bash", [repository + "/Scripts/demo.sh"] + arguments,
            environment: [
                "OIB_DEMO_BIN": BuiltProducts.directory, "OIB_DEMO_ROOT": root, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            ])
    }

    /// What below `root` is still in use: mounts, loop devices backed by a file there, processes running there.
    static func leftovers(below root: String) -> [String] {
        var found: [String] = []
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        found += mounts.split(separator: "\n").filter { $0.contains(root) }.map { "mount: \($0)" }
        let blocks = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        for device in blocks where device.hasPrefix("loop") {
            if let file = try? String(contentsOfFile: "/sys/block/\(device)/loop/backing_file", encoding: .utf8),
                file.contains(root)
            {
                found.append("loop device \(device): \(file)")
            }
        }
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
            if command.contains(root) || directory.hasPrefix(root) {
                found.append("process \(pid): \(command.replacingOccurrences(of: "\0", with: " "))")
            }
        }
        return found
    }

    static func demoScratch() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("oib-demo") })
    }

    @Test func theDemoPrintsWhatEachStepProvedAndLeavesNothingBehind() async throws {
        let root = NSTemporaryDirectory() + "oib-demo-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = Self.demoScratch()
        let run = try await Self.runDemo(root: root)
        let out = run.stdout
        #expect(run.status == 0, "\(out.suffix(3000))\(run.stderr.suffix(2000))")
        #expect(out.contains("=== Done"), "\(out.suffix(2000))")
        // The facts: snapshot names and times, retention's reasons, the restore test and its catalog row with
        // column names, the point-in-time restore's target and verified time, the report table.
        #expect(out.contains(#/snapshot taken BEFORE the refresh: orcl-\d{8}T\d{6}/#), "\(out)")
        #expect(out.contains(#/orcl-\d{8}T\d{6} \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\]/#), "\(out)")
        #expect(out.contains(#/restores to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/#))
        #expect(out.contains("— keep: younger than 31 days (snapexpirationdays)"))
        #expect(out.contains("retention succeeded: 0 dropped, 3 kept"))
        #expect(out.contains("Restore successful"))
        #expect(out.contains("Block validation found no corruption"))
        for column in [
            "db_unique_name = orcl", "success = 1", "validated = 1", "corrupt_blocks = 0", "verified_time = ",
        ] {
            #expect(out.contains(column), "catalog row: \(column)")
        }
        #expect(out.contains(#/Requested target time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/#))
        #expect(out.contains(#/Verified restored database time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/#))
        #expect(out.contains("DATABASE  STATUS  SNAPS"))
        #expect(out.contains(#/orcl +OK +3 /#), "report table")
        if getuid() == 0 { #expect(!out.contains("total=unknown"), "space figures as root (btrfs qgroups)") }
        // Nothing left: not the area, no mount, loop device or process, no other scratch directory.
        #expect(!FileManager.default.fileExists(atPath: root), "the demo area \(root) is still there")
        #expect(Self.leftovers(below: root).isEmpty, "\(Self.leftovers(below: root))")
        #expect(Self.demoScratch().subtracting(before).isEmpty, "\(Self.demoScratch().subtracting(before))")
    }

    @Test func keepKeepsOnlyTheAreaAndSaysHowToRemoveIt() async throws {
        let root = NSTemporaryDirectory() + "oib-demo-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try await Self.runDemo(root: root, ["--keep"])
        #expect(run.status == 0, "\(run.stdout.suffix(3000))\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("Kept (--keep): \(root) ("), "\(run.stdout.suffix(2000))")
        #expect(run.stdout.contains("To remove it: rm -rf \(root)"))
        #expect(run.stdout.contains("No instance runs, no clone, mount or process is left."))
        #expect(FileManager.default.fileExists(atPath: root + "/backup.cfg"))
        #expect(FileManager.default.fileExists(atPath: root + "/autorestore/results.sqlite"))
        let instances = (try? FileManager.default.contentsOfDirectory(atPath: root + "/sim-state/instances")) ?? []
        #expect(instances.isEmpty, "instances left: \(instances)")
        #expect(Self.leftovers(below: root).isEmpty, "\(Self.leftovers(below: root))")
        if getuid() == 0, FileManager.default.fileExists(atPath: root + "/btrfs.img") {
            #expect(run.stdout.contains("mount -o loop \(root)/btrfs.img \(root)/backup"))
        }
    }

    @Test func aNonEmptyAreaIsRefusedAndLeftAlone() async throws {
        let root = NSTemporaryDirectory() + "oib-demo-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "mine".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        let run = try await Self.runDemo(root: root)
        #expect(run.status == 2)
        #expect(run.stderr.contains("is not empty"))
        #expect((try? String(contentsOfFile: root + "/file", encoding: .utf8)) == "mine")
    }
}
