import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What happened to one target in a campaign.
public struct TargetReport: Sendable {
    public var target: String
    public var inputs: UInt64
    public var seconds: Double
    public var findings: [CampaignFinding]
}

/// A crash, hang or failed check, with everything needed to reproduce it.
public struct CampaignFinding: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case crash, hang, check }
    public var kind: Kind
    public var target: String
    public var seed: UInt64
    public var index: UInt64
    /// The saved input (`oib-fuzz reproduce --target T --file F`).
    public var inputFile: String
    /// The last lines the worker printed (the trap message of a crash, the failed check).
    public var detail: String

    public var description: String {
        "\(kind.rawValue) in \(target) at seed \(seed) index \(index) (input saved as \(inputFile))"
            + (detail.isEmpty ? "" : ":\n\(detail)")
    }
}

/// Runs targets in child processes (a Swift trap ends the process that hit it), watches their progress for hangs
/// and records findings; after a finding the target continues with the next input.
public struct Campaign: Sendable {
    /// The `oib-fuzz` executable started as worker (`oib-fuzz run …`).
    public var executable: String
    public var seed: UInt64
    public var timeLimit: Duration
    /// Where crashing and hanging inputs are saved.
    public var findingsDirectory: String
    /// A target stops after this many findings (a frequent crash would otherwise be found a million times).
    public var maximumFindingsPerTarget = 10

    public init(executable: String, seed: UInt64, timeLimit: Duration, findingsDirectory: String) {
        self.executable = executable
        self.seed = seed
        self.timeLimit = timeLimit
        self.findingsDirectory = findingsDirectory
    }

    /// Runs `count` inputs of `target` (indexes `0..<count`), reporting each finding as it happens.
    public func run(_ target: FuzzTarget, count: UInt64, onFinding: (CampaignFinding) -> Void) throws -> TargetReport {
        let started = ContinuousClock.now
        var findings: [CampaignFinding] = []
        var next: UInt64 = 0
        while next < count, findings.count < maximumFindingsPerTarget {
            let outcome = try runWorker(target, from: next, count: count - next)
            guard let outcome else { break }
            let (kind, index, detail) = outcome
            let file = try save(target, index: index, kind: kind)
            let finding = CampaignFinding(
                kind: kind, target: target.name, seed: seed, index: index, inputFile: file, detail: detail)
            findings.append(finding)
            onFinding(finding)
            next = index + 1
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return TargetReport(target: target.name, inputs: count, seconds: seconds, findings: findings)
    }

    /// One worker over `from..<from+count`: nil when it finished cleanly, else what ended it and where.
    func runWorker(_ target: FuzzTarget, from start: UInt64, count: UInt64) throws
        -> (CampaignFinding.Kind, UInt64, String)?
    {
        let work = NSTemporaryDirectory() + "oib-fuzz-campaign-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let progress = ProgressFile(path: work + "/\(target.name).progress")
        try progress.reset()
        let errorPath = work + "/\(target.name).stderr"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let child = try ChildCommand(
            executable: executable,
            arguments: [
                "run", "--target", target.name, "--seed", String(seed), "--start", String(start), "--count",
                String(count), "--progress", progress.path,
            ], standardOutputPath: "/dev/null", standardErrorPath: errorPath
        ).startBlocking()
        var lastIndex = UInt64.max
        var lastChange = ContinuousClock.now
        while child.isRunning {
            usleep(20_000)
            let index = progress.read()
            if index != lastIndex {
                lastIndex = index
                lastChange = .now
            } else if ContinuousClock.now - lastChange > timeLimit {
                child.signal(SIGKILL)
                _ = child.waitBlocking()
                return (.hang, index == .max ? start : index, "no progress for \(timeLimit)")
            }
        }
        let result = child.waitBlocking()
        let index = progress.read() == .max ? start : progress.read()
        let detail = Self.tail(of: errorPath)
        if result.exitStatus == 0 { return nil }
        if result.signal == nil, result.exitStatus == Worker.findingExitCode {
            return (.check, index, detail)
        }
        let how = result.signal.map { "signal \($0)" } ?? "exit code \(result.exitStatus)"
        return (.crash, index, "worker ended with \(how)\n\(detail)")
    }

    func save(_ target: FuzzTarget, index: UInt64, kind: CampaignFinding.Kind) throws -> String {
        try FileManager.default.createDirectory(atPath: findingsDirectory, withIntermediateDirectories: true)
        let path = findingsDirectory + "/\(kind.rawValue)-\(target.name)-seed\(seed)-index\(index).bin"
        try Data(target.input(seed: seed, index: index)).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func tail(of path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(12).joined(separator: "\n")
    }
}

/// The index of the input a worker is on, in a shared mapping: it survives the worker's crash and costs no system
/// call per input.
public final class ProgressFile: @unchecked Sendable {
    public let path: String
    private var mapping: UnsafeMutableRawPointer?

    public init(path: String) { self.path = path }

    deinit { if let mapping { munmap(mapping, 8) } }

    /// Creates the file with "no input started yet".
    func reset() throws {
        try Data(repeating: 0xFF, count: 8).write(to: URL(fileURLWithPath: path))
    }

    /// The index last written, or `UInt64.max` before the first input.
    public func read() -> UInt64 {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 8 else { return .max }
        return data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    /// Maps the file for ``write(_:)`` (the worker's side).
    public func open() throws {
        let descriptor = Glibc.open(path, O_RDWR)
        guard descriptor >= 0, ftruncate(descriptor, 8) == 0 else {
            throw FuzzFinding("cannot open progress file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let pointer = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let pointer, pointer != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw FuzzFinding("cannot map progress file \(path): \(String(cString: strerror(errno)))")
        }
        mapping = pointer
    }

    public func write(_ index: UInt64) { mapping?.storeBytes(of: index, as: UInt64.self) }
}

/// The worker side of a campaign: runs a range of one target and ends with a code the supervisor understands.
public enum Worker {
    /// A failed check (not a crash): the index is in the progress file, the message on standard error.
    public static let findingExitCode: Int32 = 3

    public static func run(_ target: FuzzTarget, seed: UInt64, start: UInt64, count: UInt64, progress: ProgressFile?)
        async -> Int32
    {
        if let finding = await FuzzRunner.run(
            target, seed: seed, start: start, count: count, progress: { progress?.write($0) })
        {
            FileHandle.standardError.write(
                Data("FINDING \(target.name) seed \(seed) index \(finding.index): \(finding.finding)\n".utf8))
            return findingExitCode
        }
        return 0
    }
}
