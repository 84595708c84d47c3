import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an external command printed and how it ended.
struct CommandResult: Sendable, Equatable {
    var exitStatus: Int32
    var standardOutput: String
    var standardError: String
    var timedOut: Bool
}

/// Runs one external command with a deadline; on timeout it sends SIGTERM, then SIGKILL after a grace period.
/// Small and private to this driver; the general runner lives elsewhere.
enum CommandRunner {
    static func run(
        executable: String, arguments: [String], environment: [String: String] = [:], timeout: Duration,
        killGrace: Duration = .seconds(2)
    ) async throws -> CommandResult {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice

        let box = ProcessBox(process)
        return try await withCheckedThrowingContinuation { continuation in
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let group = DispatchGroup()
            let collected = CollectedOutput()
            group.enter()
            DispatchQueue.global().async {
                collected.setOutput(output.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
            group.enter()
            DispatchQueue.global().async {
                collected.setError(errors.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.dispatchInterval) {
                guard !collected.isFinished, box.process.isRunning else { return }
                collected.markTimedOut()
                box.process.terminate()
                let pid = box.process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + killGrace.dispatchInterval) {
                    if !collected.isFinished { kill(pid, SIGKILL) }
                }
            }
            group.enter()
            DispatchQueue.global().async {
                box.process.waitUntilExit()
                collected.markFinished()
                group.leave()
            }
            group.notify(queue: .global()) {
                let (out, err, timedOut) = collected.snapshot()
                continuation.resume(
                    returning: CommandResult(
                        exitStatus: box.process.terminationStatus,
                        standardOutput: String(decoding: out, as: UTF8.self),
                        standardError: String(decoding: err, as: UTF8.self), timedOut: timedOut))
            }
        }
    }
}

/// `Process` is not Sendable; it is only touched from the dispatch blocks above.
private final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}

private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var output = Data()
    private var error = Data()
    private var timedOut = false
    private var finished = false

    func setOutput(_ data: Data) { lock.withLock { output = data } }
    func setError(_ data: Data) { lock.withLock { error = data } }
    func markTimedOut() { lock.withLock { timedOut = true } }
    func markFinished() { lock.withLock { finished = true } }
    var isFinished: Bool { lock.withLock { finished } }
    func snapshot() -> (Data, Data, Bool) { lock.withLock { (output, error, timedOut) } }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
