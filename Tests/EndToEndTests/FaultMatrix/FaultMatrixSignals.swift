import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Finding a running Oracle tool of an installation, to signal its parent at the right moment.
enum FaultMatrixSignals {
    /// Whether a process named `name` (`rman`, `sqlplus`: the link oracle-sim runs as) of the installation has been
    /// running for at least `seconds`.
    static func isRunning(_ name: String, environment: OracleEnvironment, forAtLeast seconds: Double) -> Bool {
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let uptime =
            Double(
                ((try? String(contentsOfFile: "/proc/uptime", encoding: .utf8)) ?? "0").split(separator: " ").first
                    ?? "0") ?? 0
        for entry in FaultMatrixInvariants.processes(of: environment) {
            let parts = entry.split(separator: " ")
            guard parts.count > 1, parts[1].hasSuffix("/" + name), let pid = Int32(parts[0]) else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // Fields after the command: state is field 3; start time is field 22.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19, let start = Double(fields[19]) else { continue }
            if uptime - start / ticksPerSecond >= seconds { return true }
        }
        return false
    }
}

extension BuiltProducts {
    /// Runs a built tool, sends `signal` once `when` holds (polled every 100 ms, for at most 60 s), and waits for
    /// the tool to end. Standard output and error are captured.
    static func runSignalled(
        _ name: String, _ arguments: [String], environment: [String: String], signal: Int32,
        unprivileged: Bool = false, when ready: @escaping @Sendable () -> Bool
    ) async throws -> Result {
        // The polling and waiting below block; they run on a thread of their own, not on the task pool.
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try runSignalledBlocking(
                            name, arguments, environment: environment, signal: signal, unprivileged: unprivileged,
                            when: ready)
                    })
            }
        }
    }

    private static func runSignalledBlocking(
        _ name: String, _ arguments: [String], environment: [String: String], signal: Int32,
        unprivileged: Bool, when ready: () -> Bool
    ) throws -> Result {
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        let executable: String
        let commandArguments: [String]
        if unprivileged && getuid() == 0 {
            // setpriv keeps the tool as the process we signal (runuser would stay in between).
            env["HOME"] = "/nonexistent"
            executable = "/usr/bin/setpriv"
            commandArguments =
                ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "/usr/bin/env", "-i"]
                + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [path(name)] + arguments
        } else {
            executable = path(name)
            commandArguments = arguments
        }
        let directory = NSTemporaryDirectory() + "oib-signal-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Files, not pipes: a SIGKILLed tool's children may keep a pipe open long after it died.
        let child = try ChildCommand(
            executable: executable, arguments: commandArguments, environment: env,
            standardOutputPath: directory + "/out", standardErrorPath: directory + "/err"
        ).startBlocking()
        let deadline = Date().addingTimeInterval(60)
        while child.isRunning, Date() < deadline, !ready() { usleep(100_000) }
        if child.isRunning { child.signal(signal) }
        let status = child.waitBlocking().exitStatus
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
    }
}
