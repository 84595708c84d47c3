import Foundation
import Synchronization
import Testing

@testable import OracleTools

final class Lines: Sendable {
    let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}

let shell = "/bin/sh"
let environment = ["PATH": "/usr/bin:/bin"]

@Suite("Process runner with real child processes")
struct ProcessRunnerTests {
    let runner = ProcessRunner(killGracePeriod: .milliseconds(500))

    @Test func scriptOnStdinOutputStreamedAndCaptured() async throws {
        let lines = Lines()
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, environment: environment,
                standardInput: "echo one\necho two >&2\necho three\nexit 3\n"),
            onLine: { lines.append($0) })
        #expect(outcome.termination == .exited(3))
        #expect(!outcome.succeeded)
        #expect(outcome.output == "one\ntwo\nthree\n")
        #expect(lines.all == ["one", "two", "three"])
    }

    @Test func environmentIsExactlyTheRequested() async throws {
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, arguments: ["-c", "echo \"$ORACLE_SID|$NLS_DATE_FORMAT|${HOME:-unset}\""],
                environment: ["ORACLE_SID": "orcl", "NLS_DATE_FORMAT": "yyyy-mm-dd hh24:mi:ss"]))
        #expect(outcome.output == "orcl|yyyy-mm-dd hh24:mi:ss|unset\n")
        #expect(outcome.succeeded)
    }

    /// A bare program name (the original's `mount <mountpoint>`) is found through the request's PATH, in order;
    /// a missing one is named with the PATH searched.
    @Test func bareProgramNamesAreFoundThroughPath() async throws {
        let first = NSTemporaryDirectory() + "oib-path-\(UUID().uuidString)"
        let second = first + "-second"
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        for (directory, word) in [(first, "first"), (second, "second")] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(
                atPath: directory + "/oib-mount-probe", contents: Data("#!/bin/sh\necho \(word) \"$@\"\n".utf8),
                attributes: [.posixPermissions: 0o755])
        }
        // A directory or a non-executable file of that name is skipped, as a shell does.
        try FileManager.default.createDirectory(
            atPath: NSTemporaryDirectory() + "oib-path-dir/oib-mount-probe", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "oib-path-dir") }
        let outcome = try await runner.run(
            ProcessRequest(
                executable: "oib-mount-probe", arguments: ["/mnt/ar"],
                environment: ["PATH": "/nonexistent:\(NSTemporaryDirectory())oib-path-dir:\(first):\(second)"]))
        #expect(outcome.output == "first /mnt/ar\n")
        #expect(
            ExecutableSearch.resolve("oib-mount-probe", searchPath: second + ":" + first) == second + "/oib-mount-probe"
        )
        #expect(ExecutableSearch.resolve("oib-mount-probe", searchPath: "/nonexistent") == nil)
        let missing = await #expect(throws: ProcessLaunchError.self) {
            try await runner.run(
                ProcessRequest(executable: "oib-no-such-program", environment: ["PATH": "/nonexistent:" + first]))
        }
        #expect(missing?.reason == "oib-no-such-program not found in PATH (/nonexistent:\(first))")
    }

    @Test func hangIsKilledWithItsWholeProcessGroup() async throws {
        let directory = NSTemporaryDirectory() + "oib-hang-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The child starts a grandchild that would write a file after 8 s unless the group is killed. (The time
        // limit leaves a busy machine time to start the shell and print.)
        let script = "(sleep 8; touch \(directory)/grandchild-survived) &\necho started\nsleep 30\n"
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, environment: environment, standardInput: script,
                timeout: .seconds(3)))
        #expect(outcome.timedOut)
        #expect(!outcome.succeeded)
        #expect(outcome.termination == .signalled(SIGTERM))
        #expect(outcome.output.contains("started"))
        #expect(outcome.duration < .seconds(25))  // far below the 30 s sleep; the suite shares two cores
        try await Task.sleep(for: .seconds(7))
        #expect(!FileManager.default.fileExists(atPath: directory + "/grandchild-survived"))
    }

    @Test func termIgnoringChildGetsKilled() async throws {
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, arguments: ["-c", "trap '' TERM; sleep 30"], environment: environment,
                timeout: .milliseconds(200)))
        #expect(outcome.timedOut)
        #expect(outcome.termination == .signalled(SIGKILL))
    }

    @Test func secretsAreMaskedInStreamedLines() async throws {
        let lines = Lines()
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, arguments: ["-c", "echo password is Tiger123"], environment: environment,
                secrets: ["Tiger123"]),
            onLine: { lines.append($0) })
        #expect(lines.all == ["password is ****"])
        #expect(outcome.output.contains("Tiger123"))  // the captured text is for parsing, not for logging
    }

    @Test func missingProgramIsALaunchError() async throws {
        let error = await #expect(throws: ProcessLaunchError.self) {
            _ = try await runner.run(ProcessRequest(executable: "/nonexistent/rman", environment: [:]))
        }
        #expect(error?.description == "cannot run /nonexistent/rman: /nonexistent/rman not found")
    }

    @Test func childThatIgnoresStdinDoesNotBlock() async throws {
        let big = String(repeating: "x", count: 1_000_000)
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, arguments: ["-c", "echo done"], environment: environment,
                standardInput: big, timeout: .seconds(20)))
        #expect(outcome.output == "done\n")
        #expect(!outcome.timedOut)
    }

    @Test func workingDirectory() async throws {
        let outcome = try await runner.run(
            ProcessRequest(
                executable: shell, arguments: ["-c", "pwd"], environment: environment,
                workingDirectory: "/usr"))
        #expect(outcome.output == "/usr\n")
    }
}
