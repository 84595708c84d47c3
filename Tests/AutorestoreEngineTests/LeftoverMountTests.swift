import ConfigModel
import Foundation
import Logging
import OracleTools
import StorageKitTesting
import Testing
import ToolSupport

@testable import AutorestoreEngine

#if canImport(Glibc)
    import Glibc
#endif

/// R-14 leftover handling at the mount point: only a mount of this database's clone is unmounted (as root, with
/// real tmpfs mounts standing in for NFS mounts).
@Suite("Leftover mounts at autorestoremountpoint", .serialized)
struct LeftoverMountTests {
    func job(mountPoint: String, unmount: [String]) throws -> AutorestoreJob {
        let configuration = BackupConfiguration(text: "[autorestore]\n[orcl]\ndbid: 1\n", path: "/x/backup.cfg")
        var settings = try configuration.database("orcl", for: [])
        settings.autorestore.cloneName = "autorestore"
        return AutorestoreJob(
            settings: settings, storage: InMemoryStorageDriver(volumeName: "orcl", backend: InMemoryStorageBackend()),
            oracleHome: OracleHome(path: "/nonexistent", tnsAdmin: nil), baseEnvironment: [:], timeouts: .init(),
            templates: try ScriptTemplates(text: "[template]\nx: y\n", file: "t.cfg"), logger: Logger(label: "t"),
            logFile: "/dev/null", validate: false,
            mounting: .commands(mount: ["/bin/true"], unmount: unmount, mountPoint: mountPoint))
    }

    static func isMounted(_ path: String) -> Bool {
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").contains {
            let fields = $0.split(separator: " ")
            return fields.count > 4 && fields[4] == path
        }
    }

    /// The exit status of `program`, -1 when it cannot start.
    static func run(_ program: String, _ arguments: [String]) -> Int32 {
        (try? ChildCommand(executable: program, arguments: arguments).runBlocking())?.exitStatus ?? -1
    }

    /// A scratch mount point with a tmpfs named `source` mounted on it for the duration of `body`.
    static func withTmpfs(source: String, _ body: (String) async throws -> Void) async throws {
        let mountPoint =
            (NSTemporaryDirectory() as NSString).resolvingSymlinksInPath
            + "/oib-mnt-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", source, mountPoint]) == 0)
        defer {
            // Another test may hold a directory open under it for a moment (EBUSY): try again, then detach it, so
            // nothing stays mounted.
            var attempts = 0
            while isMounted(mountPoint), attempts < 50 {
                if run("/bin/umount", [mountPoint]) != 0 { usleep(100_000) }
                attempts += 1
            }
            if isMounted(mountPoint) { _ = run("/bin/umount", ["-l", mountPoint]) }
        }
        try await body(mountPoint)
    }

    func failure(_ body: () async throws -> Void) async -> RestoreFailure? {
        do {
            try await body()
            return nil
        } catch let failure as RestoreFailure {
            return failure
        } catch {
            return RestoreFailure(.configuration, "\(error)")
        }
    }

    @Test(
        "a tmpfs of someone else at the mount point is refused by name and stays mounted",
        .enabled(if: getuid() == 0, "mounting needs root"))
    func foreignMountIsNotUnmounted() async throws {
        try await Self.withTmpfs(source: "oib-foreign") { mountPoint in
            let job = try job(mountPoint: mountPoint, unmount: ["/bin/umount", mountPoint])
            let refused = await failure {
                try await SnapshotCloneStage(context: job.makeContext()).removeLeftoverClone()
            }
            #expect(Self.isMounted(mountPoint), "the foreign mount was unmounted")
            #expect(refused?.reason == .unsafeDestination)
            let detail = refused?.detail ?? ""
            #expect(detail.contains("autorestoremountpoint \(mountPoint)"), "\(detail)")
            #expect(detail.contains("oib-foreign (tmpfs) is mounted there"), "\(detail)")
            #expect(detail.contains("memory:/memory/autorestore"), "\(detail)")
        }
    }

    @Test(
        "a leftover mount of this database's clone is unmounted",
        .enabled(if: getuid() == 0, "mounting needs root"))
    func ownLeftoverMountIsUnmounted() async throws {
        try await Self.withTmpfs(source: "memory:/memory/autorestore/") { mountPoint in
            let job = try job(mountPoint: mountPoint, unmount: ["/bin/umount", mountPoint])
            let outcome = await failure {
                try await SnapshotCloneStage(context: job.makeContext()).removeLeftoverClone()
            }
            #expect(outcome == nil, "\(outcome.map(\.description) ?? "")")
            #expect(!Self.isMounted(mountPoint))
        }
    }

    @Test("/ and system directories as the mount point are refused before any command runs")
    func systemDirectoryIsRefused() async throws {
        let flag = NSTemporaryDirectory() + "oib-unmount-ran-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: flag) }
        for mountPoint in ["/", "/usr", "/etc", "/tmp", "/var"] {
            let job = try job(mountPoint: mountPoint, unmount: ["/usr/bin/touch", flag])
            let refused = await failure {
                try await SnapshotCloneStage(context: job.makeContext()).removeLeftoverClone()
            }
            #expect(!FileManager.default.fileExists(atPath: flag), "the unmount command ran for \(mountPoint)")
            #expect(refused?.reason == .unsafeDestination, "\(mountPoint)")
            #expect(refused?.detail.contains("autorestoremountpoint \(mountPoint)") == true, "\(refused?.detail ?? "")")
        }
    }
}
