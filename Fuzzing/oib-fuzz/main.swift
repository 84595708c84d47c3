import Foundation
import FuzzHarness

#if canImport(Glibc)
    import Glibc
#endif

/// `oib-fuzz`: generator-based fuzzing of the parsers (see Scripts/fuzz.sh and Documentation/reliability.md).
let usage = """
    usage: oib-fuzz list
           oib-fuzz campaign [--seed S] [--per-target N | --total N] [--targets a,b] [--time-limit SECONDS]
                             [--findings DIR] [--report FILE]
           oib-fuzz run --target T [--seed S] [--start I] [--count N] [--progress FILE]
           oib-fuzz reproduce --target T (--file F | --seed S --index I)
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("oib-fuzz: \(message)\n\(usage)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else { fail("no mode given") }
arguments.removeFirst()
var options: [String: String] = [:]
while let name = arguments.first {
    guard name.hasPrefix("--"), arguments.count >= 2 else { fail("unexpected argument '\(name)'") }
    options[String(name.dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
@MainActor func number(_ name: String, default value: UInt64) -> UInt64 {
    guard let text = options[name] else { return value }
    guard let parsed = UInt64(text.replacingOccurrences(of: "_", with: "")) else { fail("--\(name) takes a number") }
    return parsed
}
@MainActor func target() -> FuzzTarget {
    guard let name = options["target"] else { fail("--target is required") }
    guard let found = FuzzTargets.named(name) else {
        fail("unknown target '\(name)'; known: \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
    }
    return found
}
let seed = number("seed", default: 20_240_601)
func oneDecimal(_ value: Double) -> String { String(format: "%.1f", value) }

switch mode {
case "list":
    for target in FuzzTargets.all { print("\(target.name)\t\(target.summary)") }

case "run":
    let progress = options["progress"].map(ProgressFile.init(path:))
    do { try progress?.open() } catch { fail("\(error)") }
    exit(
        await Worker.run(
            target(), seed: seed, start: number("start", default: 0), count: number("count", default: 1000),
            progress: progress))

case "reproduce":
    let chosen = target()
    let input: [UInt8]
    if let file = options["file"] {
        guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
        input = Array(data)
    } else {
        input = chosen.input(seed: seed, index: number("index", default: 0))
    }
    do {
        try await chosen.run(input)
        print("\(chosen.name): input of \(input.count) bytes ran without a finding")
    } catch {
        print("\(chosen.name): FINDING: \(error)")
        exit(Worker.findingExitCode)
    }

case "campaign":
    let names = options["targets"].map { $0.split(separator: ",").map(String.init) } ?? FuzzTargets.all.map(\.name)
    var targets: [FuzzTarget] = []
    for name in names {
        guard let found = FuzzTargets.named(name) else { fail("unknown target '\(name)'") }
        targets.append(found)
    }
    let perTarget =
        options["total"].map { _ in (number("total", default: 0) + UInt64(targets.count) - 1) / UInt64(targets.count) }
        ?? number("per-target", default: 100_000)
    guard let seconds = Double(options["time-limit"] ?? "10"), seconds > 0, seconds < 86_400 else {
        fail("--time-limit takes seconds")
    }
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let campaign = Campaign(
        executable: executable, seed: seed, timeLimit: .milliseconds(Int64(seconds * 1000)),
        findingsDirectory: options["findings"] ?? "fuzz-findings")
    print(
        "oib-fuzz: seed \(seed), \(perTarget) inputs per target, \(targets.count) targets, time limit \(seconds) s per input"
    )
    var reports: [TargetReport] = []
    let started = Date()
    for target in targets {
        do {
            let report = try campaign.run(target, count: perTarget) { finding in print("FINDING: \(finding)") }
            reports.append(report)
            print(
                "\(target.name): \(report.inputs) inputs, \(report.findings.count) findings, \(oneDecimal(report.seconds)) s"
            )
        } catch {
            fail("cannot run \(target.name): \(error)")
        }
    }
    let total = reports.reduce(UInt64(0)) { $0 + $1.inputs }
    let findings = reports.reduce(0) { $0 + $1.findings.count }
    let duration = Date().timeIntervalSince(started)
    print("oib-fuzz: \(total) inputs in total, \(findings) findings, seed \(seed), \(Int(duration)) s")
    if let report = options["report"] {
        var lines = [
            "| Target | What it exercises | Inputs | Findings | Seconds |", "|---|---|---:|---:|---:|",
        ]
        for (target, entry) in zip(targets, reports) {
            lines.append(
                "| `\(target.name)` | \(target.summary) | \(entry.inputs) | \(entry.findings.count) | \(oneDecimal(entry.seconds)) |"
            )
        }
        lines.append(
            "| **total** | seed \(seed), time limit \(oneDecimal(seconds)) s per input | \(total) | \(findings) | \(Int(duration)) |"
        )
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: report, atomically: true, encoding: .utf8)
        } catch {
            fail("cannot write \(report): \(error)")
        }
    }
    exit(findings == 0 ? 0 : 1)

default:
    fail("unknown mode '\(mode)'")
}
