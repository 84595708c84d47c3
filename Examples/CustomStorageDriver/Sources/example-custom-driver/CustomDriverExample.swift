import Foundation
import Logging
import PlainDirectoryDriver
import StorageKit

/// Registers the example driver under its own name, then walks one database through the storage calls a backup
/// and a restore test make: snapshot, list, clone, list clones, drop the clone, delete the snapshot.
///
/// Usage: `example-custom-driver [ROOT]`. Without ROOT the program works in a new temporary directory and removes
/// it at the end. Results go to standard output, the driver's log to standard error.
@main
struct CustomDriverExample {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let arguments = CommandLine.arguments.dropFirst()
        let temporary = arguments.isEmpty
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString)")
        let root = arguments.first ?? scratch.path
        var status: Int32 = 0
        do {
            try await run(root: root)
        } catch {
            print("failed: \(error)")
            status = 1
        }
        if temporary { try? removeTree(root) }
        exit(status)
    }

    static func run(root: String) async throws(StorageError) {
        // 1. An executable fills the registry once; the engines only ever see `any StorageDriver`.
        var registry = StorageDriverRegistry()
        PlainDirectoryDriver.register(in: &registry)
        print("drivers: \(registry.names.joined(separator: ", "))")

        // 2. The configuration a `[plaindir]` section and a `[orcl]` database section would give.
        let configuration = StorageDriverConfiguration(
            databaseName: "orcl", settings: ["root": root], logger: Logger(label: "example.plaindir"))
        let driver = try registry.makeDriver(named: "plaindir", configuration: configuration)
        let capabilities = driver.capabilities.names.joined(separator: ", ")
        print("driver: \(driver.vendor), volume \(driver.volumeName), capabilities \(capabilities)")

        // 3. The backup area, with a stand-in for an RMAN image copy.
        let volume = try await driver.createVolume()
        let datafile = "\(volume.mountPoint ?? root)/data_D-ORCL_I-1_TS-SYSTEM_FNO-1"
        guard FileManager.default.createFile(atPath: datafile, contents: Data("image copy".utf8)) else {
            throw StorageError(.ioFailure, vendor: "example", operation: "write", message: "cannot write \(datafile)")
        }

        // 4. What `backup` does after the incremental merge, and what `snapper list` shows.
        let snapshot = try await driver.createSnapshot(named: driver.snapshotName(for: Date(), timeZone: .current))
        print("created snapshot \(snapshot.id)")
        for listed in try await driver.listSnapshots() { print("snapshot: \(DisplayFormat.snapshotLine(listed))") }

        // 5. What a restore test does: clone the snapshot, mount it, recover, validate, drop the clone.
        guard driver.capabilities.contains(.clone) else { return }
        let clone = try await driver.cloneSnapshot(
            id: snapshot.id, cloneName: SnapshotNaming.cloneName(snapshot: snapshot.id, date: Date()))
        print("created clone \(clone.name), mount \(driver.mountString(clone: clone))")
        for listed in try await driver.listClones() { print("clone: \(DisplayFormat.cloneLine(listed))") }
        do {
            try await driver.deleteSnapshot(id: snapshot.id)
        } catch {
            print("refused while cloned: \(error.code)")
        }
        try await driver.dropClone(name: clone.name)
        let clonesLeft = try await driver.listClones().count
        print("dropped clone \(clone.name); clones left: \(clonesLeft)")

        // 6. What retention does once the snapshot is no longer needed.
        try await driver.deleteSnapshot(id: snapshot.id)
        let snapshotsLeft = try await driver.listSnapshots().count
        print("deleted snapshot \(snapshot.id); snapshots left: \(snapshotsLeft)")
    }

    /// Removes the scratch tree, read-only snapshot directories (left by a failed run) included.
    static func removeTree(_ path: String) throws {
        let files = FileManager.default
        for item in files.subpaths(atPath: path) ?? [] {
            let full = "\(path)/\(item)"
            // Directories only: chmod follows symbolic links, which may point anywhere.
            if (try? files.attributesOfItem(atPath: full)[.type] as? FileAttributeType) == .typeDirectory {
                try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full)
            }
        }
        try files.removeItem(atPath: path)
    }
}
