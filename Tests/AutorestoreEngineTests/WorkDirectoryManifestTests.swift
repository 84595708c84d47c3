import Foundation
import Testing
import ToolSupport

@testable import AutorestoreEngine

/// The manifest of the work directory and the shared-directory rules, on their own.
@Suite("Work directory manifest and shared directories")
struct WorkDirectoryManifestTests {
    func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test("only names claimed before they were created are removed by the next prepare")
    func removesOnlyClaimedNames() throws {
        let directory = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try WorkDirectory.prepare(directory, homeDirectories: [])
        #expect(first == WorkDirectory.Preparation())
        #expect(try names(directory) == [WorkDirectory.manifestFileName, WorkDirectory.markerFileName])

        try WorkDirectory.claim(["init.ora", "restore.cf", "scratch"], in: directory)
        _ = FileManager.default.createFile(atPath: directory + "/init.ora", contents: Data("ours".utf8))
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: directory + "/scratch/deep", contents: Data())
        _ = FileManager.default.createFile(atPath: directory + "/other-job.dat", contents: Data("theirs".utf8))
        #expect(try WorkDirectory.recordedNames(in: directory) == ["init.ora", "restore.cf", "scratch"])

        let second = try WorkDirectory.prepare(directory, homeDirectories: [])
        #expect(second.removed == ["init.ora", "scratch"])
        #expect(second.kept == ["other-job.dat"])
        #expect(!second.adoptedWithoutManifest)
        #expect(
            try names(directory) == [WorkDirectory.manifestFileName, WorkDirectory.markerFileName, "other-job.dat"])
        #expect(try WorkDirectory.recordedNames(in: directory) == [])
    }

    @Test("a file that exists but was never claimed is not claimed, so it is never overwritten or removed")
    func foreignNameCannotBeClaimed() throws {
        let directory = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try WorkDirectory.prepare(directory, homeDirectories: [])
        _ = FileManager.default.createFile(atPath: directory + "/init.ora", contents: Data("theirs".utf8))
        let refusal = #expect(throws: WorkDirectory.Refusal.self) {
            try WorkDirectory.claim(["init.ora"], in: directory)
        }
        #expect(refusal?.description.contains("autorestoredestination \(directory)") == true)
        #expect(refusal?.description.contains("init.ora exists there") == true, "\(refusal?.description ?? "")")
        try WorkDirectory.prepare(directory, homeDirectories: [])
        #expect(FileManager.default.contents(atPath: directory + "/init.ora") == Data("theirs".utf8))
        // Claiming what is already recorded is fine even when it exists (this run's own file).
        try WorkDirectory.claim(["bct.bct"], in: directory)
        _ = FileManager.default.createFile(atPath: directory + "/bct.bct", contents: Data())
        try WorkDirectory.claim(["bct.bct"], in: directory)
        for bad in ["../x", "a/b", ".", "..", "", WorkDirectory.markerFileName, WorkDirectory.manifestFileName] {
            #expect(throws: WorkDirectory.Refusal.self, "\(bad)") { try WorkDirectory.claim([bad], in: directory) }
        }
    }

    @Test("a marked directory from before the manifest: the built-in names are removed, others kept")
    func markedDirectoryWithoutManifest() throws {
        let directory = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in [WorkDirectory.markerFileName, "init.ora", "restore.cf", "snapcf.f", "notes.txt"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data())
        }
        let prepared = try WorkDirectory.prepare(directory, homeDirectories: [])
        #expect(prepared.adoptedWithoutManifest)
        #expect(prepared.removed == ["init.ora", "restore.cf", "snapcf.f"])
        #expect(prepared.kept == ["notes.txt"])
        #expect(try names(directory) == [WorkDirectory.manifestFileName, WorkDirectory.markerFileName, "notes.txt"])
    }

    @Test("a non-empty directory without the marker is refused and untouched")
    func unmarkedDirectoryIsRefused() throws {
        let directory = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/init.ora", contents: Data())
        #expect(throws: WorkDirectory.Refusal.self) { try WorkDirectory.prepare(directory, homeDirectories: []) }
        #expect(try names(directory) == ["init.ora"])
    }

    @Test("system, temporary and home directories are refused with the reason")
    func sharedLocations() throws {
        let home = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let passwd = try WorkDirectorySafetyTests.scratch() + "/passwd"
        defer { try? FileManager.default.removeItem(atPath: (passwd as NSString).deletingLastPathComponent) }
        try "root:x:0:0:root:/root:/bin/bash\nora:x:54321:54321::\(home)/oracle:/bin/bash\nbroken line\n".write(
            toFile: passwd, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: home + "/oracle", withIntermediateDirectories: true)
        let cases: [(String, String)] = [
            ("/", "system directory"), ("/etc", "system directory"),
            ("/usr/lib/x", "lies in the system directory /usr"),
            ("/proc/self", "system directory /proc"), ("/var", "system directory"), ("/opt", "system directory"),
            ("/tmp", "temporary directory"), ("/var/tmp", "temporary directory"), ("/dev/shm", "temporary directory"),
            ("/home", "system directory"), ("/root", "system directory"),
            (home + "/oracle", "home directory"), (home, "holds the home directory \(home)/oracle"),
        ]
        for (path, reason) in cases {
            let found = SharedDirectories.reason(for: path, homeDirectories: [], passwdFile: passwd)
            #expect(found?.contains(reason) == true, "\(path): \(found ?? "accepted")")
            #expect(throws: WorkDirectory.Refusal.self, "\(path)") {
                try WorkDirectory.prepare(path, homeDirectories: [], passwdFile: passwd)
            }
        }
        #expect(
            SharedDirectories.reason(for: home + "/oracle/autorestore", homeDirectories: [], passwdFile: passwd) == nil)
        #expect(SharedDirectories.reason(for: "/u02/autorestore/dest", homeDirectories: [], passwdFile: passwd) == nil)
        #expect(
            SharedDirectories.reason(for: home, homeDirectories: [home], passwdFile: "/nonexistent")?.contains("home")
                == true)
        #expect(SharedDirectories.homeDirectories(passwdFile: passwd) == ["/root", home + "/oracle"])
        #expect(SharedDirectories.homeDirectories().contains("/root"))
    }

    @Test("a mount is ours when its source is the clone's export or, for local clones, the clone's directory")
    func mountOwnership() throws {
        func entry(_ source: String, at mountPoint: String = "/mnt/x") -> MountInfoEntry {
            MountInfoEntry(
                mountID: 1, parentID: 0, device: "0:1", root: "/", mountPoint: mountPoint, mountOptions: "rw",
                filesystemType: "nfs", source: source, superOptions: "rw")
        }
        let clone = "zfssa01:/export/demo-backup/autorestore"
        #expect(MountPointGuard.isMount(entry(clone), of: clone))
        #expect(MountPointGuard.isMount(entry("ZFSSA01:/export//demo-backup/autorestore/"), of: clone))
        #expect(!MountPointGuard.isMount(entry("zfssa01:/export/demo-backup/orcl"), of: clone))
        #expect(!MountPointGuard.isMount(entry("zfssa02:/export/demo-backup/autorestore"), of: clone))
        #expect(!MountPointGuard.isMount(entry("tmpfs"), of: clone))
        // Local clone: the mount shows the clone's directory (a bind mount), whatever the device name says.
        let directory = try WorkDirectorySafetyTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(MountPointGuard.isMount(entry("/dev/sda1", at: directory), of: directory))
        #expect(!MountPointGuard.isMount(entry("/dev/sda1", at: "/"), of: directory))

        let mounts = [entry("tmpfs", at: directory)]
        #expect(throws: MountPointGuard.Refusal.self) {
            try MountPointGuard.inspect(directory, key: "--mount-dir", expectedSource: nil, mounts: mounts)
        }
        #expect(try MountPointGuard.inspect(directory, key: "k", expectedSource: clone, mounts: []) == nil)
        #expect(throws: MountPointGuard.Refusal.self) {
            try MountPointGuard.inspect(directory, key: "k", expectedSource: clone, mounts: nil)
        }
    }
}
