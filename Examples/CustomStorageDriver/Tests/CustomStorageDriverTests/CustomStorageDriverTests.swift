import Foundation
import Logging
import PlainDirectoryDriver
import StorageKit
import StorageKitTesting
import Testing
import ToolSupport

/// What the conformance suite needs from a driver's own test: drivers for several databases on one storage (a
/// private root directory per check), and a way to plant a directory that looks like a clone but is not one.
struct PlainDirectoryHarness: StorageConformanceHarness {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("plaindir-\(UUID().uuidString)").path
    /// The drivers log here instead of to the test output.
    let logger = RecordingLogHandler.makeLogger(label: "plaindir-test").0

    func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = PlainDirectoryDriver(volumeName: database, root: root, logger: logger)
        _ = try await driver.createVolume()
        try Data("image copy".utf8).write(to: URL(fileURLWithPath: "\(root)/\(database)/datafile"))
        return driver
    }

    func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        try FileManager.default.createDirectory(atPath: "\(root)/.clones/\(name)", withIntermediateDirectories: true)
        return true
    }

    func lookAlikeExists(named name: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: "\(root)/.clones/\(name)")
    }

    /// Removes the root, read-only snapshot directories included.
    func removeAll() {
        let files = FileManager.default
        for item in files.subpaths(atPath: root) ?? []
        where (try? files.attributesOfItem(atPath: "\(root)/\(item)")[.type] as? FileAttributeType) == .typeDirectory {
            try? files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(root)/\(item)")
        }
        try? files.removeItem(atPath: root)
    }
}

@Suite("Example: custom storage driver")
struct CustomStorageDriverTests {
    @Test("the plain-directory driver passes the conformance suite", arguments: StorageConformanceSuite.Check.allCases)
    func conformance(_ check: StorageConformanceSuite.Check) async throws {
        let harness = PlainDirectoryHarness()
        defer { harness.removeAll() }
        try await StorageConformanceSuite(harness: harness).run(check)
    }

    @Test("a snapshot is a read-only copy of the live area, a clone a writable copy of the snapshot")
    func copies() async throws {
        let harness = PlainDirectoryHarness()
        defer { harness.removeAll() }
        let driver = try await harness.makeDriver(database: "orcl")
        let snapshot = try await driver.createSnapshot(named: "orcl-1")
        // The next incremental merge rewrites the image copy in place; the snapshot must not change with it.
        try Data("merged".utf8).write(to: URL(fileURLWithPath: "\(harness.root)/orcl/datafile"))
        let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: "orcl-1-clone")
        let snapshotDirectory = "\(harness.root)/.snapshots/orcl/orcl-1"
        #expect(try String(contentsOfFile: "\(snapshotDirectory)/datafile", encoding: .utf8) == "image copy")
        #expect(try mode(snapshotDirectory) == 0o555 && mode("\(snapshotDirectory)/datafile") == 0o444)
        let cloneFile = try #require(clone.mountPoint) + "/datafile"
        #expect(try String(contentsOfFile: cloneFile, encoding: .utf8) == "image copy")
        #expect(try mode(cloneFile) == 0o644)
        try await driver.dropClone(name: clone.name)
        try await driver.deleteSnapshot(id: snapshot.id)
        #expect(!FileManager.default.fileExists(atPath: snapshotDirectory))
    }

    func mode(_ path: String) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    @Test("the registry builds it from its settings and refuses a configuration without root")
    func registration() throws {
        var registry = StorageDriverRegistry()
        PlainDirectoryDriver.register(in: &registry)
        #expect(registry.names == ["plaindir"])
        let logger = RecordingLogHandler.makeLogger(label: "plaindir-test").0
        let driver = try registry.makeDriver(
            named: "PlainDir", configuration: .init(databaseName: "orcl", settings: ["ROOT": "/backup"], logger: logger)
        )
        #expect(driver.volumeName == "orcl" && driver.vendor == "plaindir")
        let missing = #expect(throws: StorageError.self) {
            try registry.makeDriver(named: "plaindir", configuration: .init(databaseName: "orcl", logger: logger))
        }
        #expect(missing?.code == .invalidConfiguration)
    }

    @Test("the example program snapshots, clones, drops the clone and cleans up")
    func exampleProgram() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plaindir-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try await runBuiltExample(arguments: [root.path])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(lines.first == "drivers: plaindir")
        #expect(lines.contains("driver: plaindir, volume orcl, capabilities clone, listClones, createVolume"))
        let snapshot = try #require(lines.first { $0.hasPrefix("created snapshot orcl-") }?.split(separator: " ").last)
        #expect(lines.contains { $0.hasPrefix("snapshot: \(snapshot) [") && $0.hasSuffix("clones=0") })
        let clone = "\(snapshot)_clone_"
        #expect(lines.contains { $0.hasPrefix("created clone \(clone)") && $0.contains(root.path + "/.clones/") })
        #expect(lines.contains { $0.hasPrefix("clone: \(clone)") })
        #expect(lines.contains("refused while cloned: has clones"))
        #expect(lines.contains { $0.hasPrefix("dropped clone \(clone)") && $0.hasSuffix("clones left: 0") })
        #expect(lines.last == "deleted snapshot \(snapshot); snapshots left: 0")
        // The live area stays; the snapshot and the clone are gone from the disk too.
        let files = FileManager.default
        #expect(files.fileExists(atPath: root.path + "/orcl/data_D-ORCL_I-1_TS-SYSTEM_FNO-1"))
        #expect(try files.contentsOfDirectory(atPath: root.path + "/.snapshots/orcl").isEmpty)
        #expect(try files.contentsOfDirectory(atPath: root.path + "/.clones").isEmpty)
        #expect(result.stderr.contains("Dropped clone"), "the driver logs to standard error")
    }

    @Test("without a root the example works in a temporary directory and removes it")
    func exampleProgramCleansUp() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plaindir-tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try await runBuiltExample(arguments: [], environment: ["TMPDIR": scratch.path])
        #expect(result.status == 0, "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }
}

/// Runs the built `example-custom-driver` (beside the test bundle, or in `OIB_PRODUCTS_DIR` when Scripts/test.sh
/// staged the products elsewhere) and collects its output. The wait happens off Swift's task pool.
func runBuiltExample(arguments: [String], environment: [String: String] = [:]) async throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let name = "example-custom-driver"
    var directories = [ProcessInfo.processInfo.environment["OIB_PRODUCTS_DIR"] ?? ""]
    var bundle = URL(fileURLWithPath: Bundle.main.bundlePath)
    for _ in 0..<3 {
        directories.append(bundle.path)
        bundle.deleteLastPathComponent()
    }
    let found = directories.filter { !$0.isEmpty }.map { "\($0)/\(name)" }
    let executable = try #require(
        found.first { FileManager.default.isExecutableFile(atPath: $0) }, "\(name) not built; looked in \(found)")
    // ToolSupport's ChildCommand, not Foundation's Process (whose start on Linux can crash or fail with EBADF).
    let result = try await ChildCommand(
        executable: executable, arguments: arguments,
        environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    ).run()
    return (result.exitStatus, result.outputText, result.errorText)
}
