import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Locates and runs the built executables (`swift build` puts them beside the test bundle).
enum BuiltProducts {
    static let directory: String = {
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
    static func runUnprivileged(_ name: String, _ arguments: [String], environment: [String: String] = [:])
        throws -> Result
    {
        guard getuid() == 0 else { return try run(name, arguments, environment: environment) }
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        env.merge(environment) { _, new in new }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", "/usr/bin/env", "-i"] + assignments + [path(name)] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Hands a scratch tree to the unprivileged user (a no-op when not root).
    static func grantUnprivilegedAccess(to path: String) throws {
        guard getuid() == 0 else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/chown")
        process.arguments = ["-R", "nobody:nogroup", path]
        try process.run()
        process.waitUntilExit()
    }

    /// Runs a built tool with arguments and an environment (PATH is added), capturing both streams.
    static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, input: String? = nil
    ) throws -> Result {
        try runCommand(
            path(name), arguments, environment: environment, currentDirectory: currentDirectory, input: input)
    }

    /// Runs any program like ``run(_:_:environment:currentDirectory:input:)``.
    static func runCommand(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil, input: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
