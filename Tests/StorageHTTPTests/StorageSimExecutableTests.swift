import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageSimulator
import Testing
import ToolSupport

/// The built `storage-sim` executable (beside the test bundle).
enum StorageSimBinary {
    static let path: String = {
        var candidate = URL(fileURLWithPath: Bundle.main.bundlePath)
        for _ in 0..<3 {
            let binary = candidate.appendingPathComponent("storage-sim").path
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
            candidate.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/storage-sim").path
    }()

    static var exists: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// A storage-sim child process; its exit is observed without blocking a cooperative thread.
final class SimProcess: Sendable {
    let child: RunningChild

    init(_ arguments: [String]) throws {
        child = try ChildCommand(
            executable: StorageSimBinary.path, arguments: arguments, standardOutputPath: "/dev/null",
            standardErrorPath: "/dev/null"
        ).startBlocking()
    }

    /// The exit status, or `nil` if still running after `limit`.
    func waitForExit(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while child.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await child.wait().exitStatus
    }

    func terminate() {
        if child.isRunning { child.signal(SIGTERM) }
    }
}

func waitForFile(_ path: String, within limit: Duration) async -> String? {
    let deadline = ContinuousClock.now + limit
    while true {
        // Looked at once more after the deadline: a test resumed late by a busy machine still sees the file.
        let expired = ContinuousClock.now >= deadline
        if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if expired { return nil }
        try? await Task.sleep(for: .milliseconds(100))
    }
}

@Suite(
    "storage-sim executable", .enabled(if: StorageSimBinary.exists, "storage-sim is not built"),
    .enabled(if: TestCertificates.opensslPath != nil, "the openssl command is needed for --generate-certs"))
struct StorageSimExecutableTests {
    @Test("serves HTTPS with generated certificates, takes controls, stops on SIGTERM")
    func servesAndStops() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let portFile = "\(directory)-port"
        defer { try? FileManager.default.removeItem(atPath: portFile) }
        let sim = try SimProcess([
            "--vendor", "ontap", "--generate-certs", directory, "--port-file", portFile, "--idle-timeout", "60",
            "--parent-pid", String(getpid()), "--page-size", "1",
        ])
        defer { sim.terminate() }
        let port = try #require(await waitForFile(portFile, within: .seconds(30)))
        let base = "https://127.0.0.1:\(port)"
        let transport = CurlTransport(
            options: HTTPTransportOptions(vendor: "ontap", caFile: "\(directory)/ca.pem", logger: Logger(label: "t")))
        let seed =
            #"{"shares":[{"name":"vol_a","snapshots":[{"name":"s1","creation":"2020-01-01T00:00:00Z"}]},{"name":"vol_b","snapshots":[]}]}"#
        let seeded = try await transport.send(
            HTTPRequest(method: .post, url: "\(base)/_sim/seed", body: Array(seed.utf8)))
        #expect(seeded.status == 200)
        let auth = [
            HTTPHeader("Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)
        ]
        let page = try await transport.send(
            HTTPRequest(method: .get, url: "\(base)/api/storage/volumes?fields=name", headers: auth))
        #expect(page.status == 200)
        #expect(page.text.contains("start.index=1"))
        let denied = try await transport.send(HTTPRequest(method: .get, url: "\(base)/api/storage/volumes"))
        #expect(denied.status == 401)
        let log = try await transport.send(HTTPRequest(method: .get, url: "\(base)/_sim/log"))
        #expect(log.text.contains(#""target":"/api/storage/volumes?fields=name""#))
        #expect(!log.text.contains("secret"))
        sim.terminate()
        #expect(await sim.waitForExit(within: .seconds(20)) == 0)
    }

    @Test("stops by itself when idle")
    func idleTimeout() async throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)-port")
            .path
        defer { try? FileManager.default.removeItem(atPath: portFile) }
        let sim = try SimProcess(["--vendor", "zfssa", "--port-file", portFile, "--idle-timeout", "5"])
        defer { sim.terminate() }
        #expect(await waitForFile(portFile, within: .seconds(30)) != nil)
        #expect(await sim.waitForExit(within: .seconds(20)) == 0)
    }

    @Test(
        "stops by itself when its parent process dies",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat"), "needs /proc to watch the process"))
    func parentDeath() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shell = ChildCommand(
            executable: "/bin/sh",
            arguments: [
                "-c",
                // The shell names itself as the parent: the simulator may take longer to start than the shell lives.
                "'\(StorageSimBinary.path)' --vendor zfssa --port-file '\(directory)/port' --idle-timeout 120 --parent-pid $$ >/dev/null 2>&1 & echo $! > '\(directory)/pid'; sleep 1",
            ])
        _ = try shell.startBlocking()
        let pidText = try #require(await waitForFile("\(directory)/pid", within: .seconds(20)))
        let pid = try #require(pid_t(pidText))
        defer { kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(30)
        var gone = false
        while ContinuousClock.now < deadline {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ")
            if state == nil || state?[2] == "Z" {
                gone = true
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(gone, "storage-sim \(pid) still runs after its parent exited")
    }

    @Test("refuses to bind anything but loopback")
    func loopbackOnly() async throws {
        let sim = try SimProcess(["--vendor", "zfssa", "--host", "0.0.0.0"])
        defer { sim.terminate() }
        let status = await sim.waitForExit(within: .seconds(20))
        #expect(status != nil && status != 0)
    }
}
