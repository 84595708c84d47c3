import Foundation
import Synchronization
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Locates and runs the built executables (`swift build` puts them beside the test bundle).
enum BuiltProducts {
    static let directory: String = {
        // Scripts/test.sh may name a copy the unprivileged user can reach (a checkout in a private home directory).
        if let staged = ProcessInfo.processInfo.environment["OIB_PRODUCTS_DIR"], !staged.isEmpty { return staged }
        // The test bundle lives in .build/<triple>/debug; so do the executables.
        let bundle = Bundle.main.bundlePath
        var candidate = URL(fileURLWithPath: bundle)
        for _ in 0..<3 {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("backup").path) {
                return candidate.path
            }
            candidate.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug").path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a built tool as an unprivileged user when the tests run as root (autorestore refuses root), through
    /// `runuser -u nobody`; the caller makes the files it needs accessible (``grantUnprivilegedAccess(to:)``).
    /// `currentDirectory`: where the tool starts (by default the test's own, which may be a directory the
    /// unprivileged user cannot enter, as when the checkout is in root's home).
    static func runUnprivileged(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil
    ) async throws -> Result {
        guard getuid() == 0 else {
            return try await run(name, arguments, environment: environment, currentDirectory: currentDirectory)
        }
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        env.merge(environment) { _, new in new }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try await ToolRun.run(
            executable: "/usr/sbin/runuser",
            arguments: ["-u", "nobody", "--", "/usr/bin/env", "-i"] + assignments + [path(name)] + arguments,
            environment: nil, currentDirectory: currentDirectory, input: nil)
    }

    /// Hands a scratch tree to the unprivileged user (a no-op when not root). Credentials files stay root's,
    /// readable by the unprivileged user's group (0640): the tools refuse a credentials file that another non-root
    /// user owns, and both root (backup, snapper) and the unprivileged user (autorestore) use them.
    static func grantUnprivilegedAccess(to path: String) async throws {
        guard getuid() == 0 else { return }
        _ = try await ToolRun.run(
            executable: "/bin/chown", arguments: ["-R", "nobody:nogroup", path], environment: nil,
            currentDirectory: nil, input: nil)
        _ = try await ToolRun.run(
            executable: "/usr/bin/find",
            arguments: [
                path, "-name", "*credentials.cfg", "-type", "f", "-exec", "chown", "root:nogroup", "{}", "+",
                "-exec", "chmod", "0640", "{}", "+",
            ], environment: nil, currentDirectory: nil, input: nil)
    }

    /// Runs a built tool with arguments and an environment (PATH is added), capturing both streams.
    static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, input: String? = nil
    ) async throws -> Result {
        try await runCommand(
            path(name), arguments, environment: environment, currentDirectory: currentDirectory, input: input)
    }

    /// Runs any program like ``run(_:_:environment:currentDirectory:input:)``.
    static func runCommand(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, input: String? = nil
    ) async throws -> Result {
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        return try await ToolRun.run(
            executable: executable, arguments: arguments, environment: env, currentDirectory: currentDirectory,
            input: input ?? "")
    }
}

/// Runs a program without blocking a thread of Swift's task pool: Swift Testing runs tests on that pool (two
/// threads on two cores), and a test blocked in `waitUntilExit` stalls every other test, whose own timeouts then
/// measure the stall. Reading the two streams and waiting happen on dedicated threads. At most
/// `OIB_TOOL_RUNS` (default 3) programs run at once, so parallel tests do not overload the machine.
enum ToolRun {
    static let gate = AsyncGate(
        width: max(1, Int(ProcessInfo.processInfo.environment["OIB_TOOL_RUNS"] ?? "") ?? 3))

    static func run(
        executable: String, arguments: [String], environment: [String: String]?, currentDirectory: String?,
        input: String?
    ) async throws -> BuiltProducts.Result {
        await gate.enter()
        do {
            let result = try await launchAndWait(
                executable: executable, arguments: arguments, environment: environment,
                currentDirectory: currentDirectory, input: input)
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }

    private static func launchAndWait(
        executable: String, arguments: [String], environment: [String: String]?, currentDirectory: String?,
        input: String?
    ) async throws -> BuiltProducts.Result {
        // ToolSupport's spawner, not Foundation's Process (whose start on Linux can crash or fail with EBADF).
        let command = ChildCommand(
            executable: executable, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            standardInput: input.map { Array($0.utf8) }, workingDirectory: currentDirectory)
        let result = try await command.run()
        return BuiltProducts.Result(status: result.exitStatus, stdout: result.outputText, stderr: result.errorText)
    }
}

/// Lets at most `width` callers in at once; the others wait without blocking a thread.
actor AsyncGate {
    private let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func enter() async {
        if running < width {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
