import Foundation
import Synchronization
import Testing

@testable import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Child commands (the package's one way to start a process)")
struct ChildCommandTests {
    @Test("standard output and standard error are kept apart, and the exit code is reported")
    func separateStreams() async throws {
        let result = try await ChildCommand(
            executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"]
        ).run()
        #expect(result.outputText == "out\n")
        #expect(result.errorText == "err\n")
        #expect(result.exitStatus == 3)
        #expect(!result.succeeded && !result.timedOut && result.signal == nil && result.outputComplete)
    }

    @Test("merged streams arrive interleaved in the order written")
    func mergedStreams() async throws {
        var command = ChildCommand(executable: "/bin/sh", arguments: ["-c", "echo 1; echo 2 >&2; echo 3"])
        command.mergesErrorIntoOutput = true
        let result = try await command.run()
        #expect(result.outputText == "1\n2\n3\n")
        #expect(result.standardError.isEmpty)
    }

    @Test("standard input is fed and closed; without input the child reads /dev/null")
    func standardInput() async throws {
        let echoed = try await ChildCommand(executable: "/bin/cat", input: "line one\nline two\n").run()
        #expect(echoed.outputText == "line one\nline two\n")
        let empty = try await ChildCommand(executable: "/bin/cat").run()
        #expect(empty.outputText.isEmpty && empty.exitStatus == 0)
    }

    @Test("a bare name is looked up in the command's PATH; a missing program is a launch error naming it")
    func executableLookup() async throws {
        let found = try await ChildCommand(
            executable: "echo", arguments: ["hi"], environment: ["PATH": "/nonexistent:/bin:/usr/bin"]
        ).run()
        #expect(found.outputText == "hi\n")
        let error = await #expect(throws: ChildCommandLaunchError.self) {
            _ = try await ChildCommand(executable: "oib-no-such-tool", environment: ["PATH": "/nonexistent"]).run()
        }
        #expect(error?.description == "cannot run oib-no-such-tool: oib-no-such-tool not found in PATH (/nonexistent)")
        let notExecutable = await #expect(throws: ChildCommandLaunchError.self) {
            _ = try await ChildCommand(executable: "/etc/hostname").run()
        }
        // "not executable", or for root (who may run any file) the exec error.
        #expect(notExecutable?.description.hasPrefix("cannot run /etc/hostname: ") == true)
    }

    @Test("a relative program is made absolute where it was checked, before the child changes directory")
    func relativeProgram() async throws {
        let here = FileManager.default.currentDirectoryPath
        let directory = here + "/.oib-child-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "#!/bin/sh\necho relative\n".write(toFile: directory + "/tool", atomically: true, encoding: .utf8)
        chmod(directory + "/tool", 0o755)
        let relative = String(directory.dropFirst(here.count + 1)) + "/tool"
        #expect(ExecutableSearch.resolve(relative, searchPath: nil) == directory + "/tool")
        let result = try await ChildCommand(executable: relative, workingDirectory: "/").run()
        #expect(result.outputText == "relative\n")
    }

    @Test("a grandchild that keeps the output open does not hang the caller: the result says it may be cut short")
    func outputHeldOpen() async throws {
        // Long sleeps: a loaded machine may resume this test many seconds late, and the grandchild must still hold
        // the pipe then.
        let child = try await ChildCommand(executable: "/bin/sh", arguments: ["-c", "sleep 600 & echo started"]).start()
        defer { kill(-child.pid, SIGKILL) }
        let result = await child.wait()
        #expect(result.exitStatus == 0 && result.outputText == "started\n")
        #expect(!result.outputComplete)
    }

    @Test("the time limit stops the whole process group: SIGTERM, then SIGKILL for what ignores it")
    func timeoutKillsTheGroup() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oib-child-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A grandchild that ignores SIGTERM and would keep the pipes open for a minute.
        let script = "trap '' TERM; (trap '' TERM; sleep 60) & echo $! > \(directory)/grandchild; wait"
        let result = try await ChildCommand(
            executable: "/bin/sh", arguments: ["-c", script], timeout: .milliseconds(500),
            killGrace: .milliseconds(300)
        ).run()
        #expect(result.timedOut)
        #expect(result.signal == SIGKILL && result.exitStatus == 128 + SIGKILL)
        let grandchild = try #require(
            Int32(
                try String(contentsOfFile: directory + "/grandchild", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<100 where !gone {
            let state = try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8)
            gone = state == nil || state!.contains(") Z ")
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the grandchild \(grandchild) survived the time limit")
    }

    @Test("output can go to files; the owner variable marks the child unless turned off")
    func fileSinksAndOwner() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oib-child-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = "echo \"${\(ProcessTable.ownerVariable):-none}\"; echo problem >&2"
        let marked = try await ChildCommand(
            executable: "/bin/sh", arguments: ["-c", script], standardOutputPath: directory + "/out",
            standardErrorPath: directory + "/err"
        ).run()
        #expect(marked.standardOutput.isEmpty && marked.standardError.isEmpty)
        #expect(try String(contentsOfFile: directory + "/out", encoding: .utf8) == ProcessTable.ownerValue + "\n")
        #expect(try String(contentsOfFile: directory + "/err", encoding: .utf8) == "problem\n")
        var unmarked = ChildCommand(
            executable: "/bin/sh", arguments: ["-c", script],
            environment: ["PATH": "/bin:/usr/bin", ProcessTable.ownerVariable: "given"])
        unmarked.marksOwner = false
        #expect(try await unmarked.run().outputText == "given\n")
        let missing = await #expect(throws: ChildCommandLaunchError.self) {
            _ = try await ChildCommand(executable: "/bin/true", standardOutputPath: directory + "/no/such/out").run()
        }
        #expect(missing?.reason.hasPrefix(directory + "/no/such/out: ") == true)
    }

    @Test("the child starts in the working directory asked for and inherits no descriptor but 0, 1 and 2")
    func directoryAndDescriptors() async throws {
        // A descriptor of ours without close-on-exec must still not reach the child.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        let result = try ChildCommand(
            executable: "/bin/sh", arguments: ["-c", "pwd; ls /proc/self/fd | sort -n | tr '\\n' ' '"],
            workingDirectory: "/usr"
        ).runBlocking()
        let lines = result.outputText.split(separator: "\n")
        #expect(lines.first == "/usr")
        // 0, 1, 2, and the descriptor `ls` opened to read the directory.
        #expect(lines.last.map { $0.split(separator: " ").count } == 4, "\(result.outputText)")
    }

    @Test("hundreds of children start and finish while other threads open and close descriptors")
    func startsUnderDescriptorChurn() async throws {
        // Foundation's Process read /proc/self/fd past its buffer's end here and failed the start with EBADF or
        // crashed; every child below must start, run and report.
        let stop = Atomic<Bool>(false)
        let churners = (0..<4).map { _ in
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                while !stop.load(ordering: .relaxed) {
                    let descriptors = (0..<32).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }
                    descriptors.forEach { close($0) }
                }
                done.signal()
            }
            return done
        }
        defer {
            stop.store(true, ordering: .relaxed)
            churners.forEach { $0.wait() }
        }
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await ChildCommand(executable: "/bin/echo", arguments: ["\(index)"]).run().outputText
                }
            }
            var collected: [String] = []
            for try await output in group { collected.append(output) }
            return collected
        }
        #expect(Set(outputs) == Set((0..<200).map { "\($0)\n" }))
    }

    @Test("a running child can be signalled, and its output read while it runs")
    func signalWhileRunning() async throws {
        let child = try await ChildCommand(
            executable: "/bin/sh", arguments: ["-c", "echo ready; exec sleep 600"]
        ).start()
        defer { child.signal(SIGKILL) }
        #expect(await child.waitForOutput(containing: "ready", within: .seconds(20)))
        #expect(child.isRunning)
        child.signal(SIGTERM)
        let result = await child.wait()
        #expect(result.signal == SIGTERM && result.exitStatus == 128 + SIGTERM)
        #expect(!child.isRunning)
        #expect(result.outputText == "ready\n")
        // A child that ends without printing the text, and one that outlives the limit: false, without waiting
        // for the end.
        let quiet = try await ChildCommand(executable: "/bin/echo", arguments: ["other"]).start()
        #expect(await !quiet.waitForOutput(containing: "ready", within: .seconds(20)))
        let slow = try await ChildCommand(executable: "/bin/sleep", arguments: ["600"]).start()
        #expect(await !slow.waitForOutput(containing: "ready", within: .milliseconds(200)))
        #expect(slow.isRunning)  // false came from the limit, not from the end of the child
        slow.signal(SIGKILL)
        _ = await slow.wait()
    }
}

@Suite("No Foundation Process anywhere")
struct NoFoundationProcessTests {
    @Test("product, simulator, example and test sources start children through ChildCommand or ProcessRunner only")
    func noFoundationProcess() throws {
        // Foundation's Process.run() on Linux (Swift 6.3.1) can crash or fail with EBADF (see ChildSpawn).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var offenders: [String] = []
        for top in ["Sources", "Simulators", "Tests", "Benchmarks", "Fuzzing", "Examples"] {
            let base = root.appendingPathComponent(top).path
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let relative = walker.nextObject() as? String {
                guard relative.hasSuffix(".swift"), !relative.hasSuffix("/ChildCommandTests.swift") else { continue }
                let text = try String(contentsOfFile: base + "/" + relative, encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains("Process()") || line.contains("Process.run(")
                    || line.contains("Process.launchedProcess")
                {
                    if line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                    offenders.append("\(top)/\(relative):\(number + 1)")
                }
            }
        }
        #expect(offenders == [], "Foundation Process used at \(offenders)")
    }
}
