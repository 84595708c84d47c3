import Foundation
import Testing

/// Runs every case of ``FaultMatrix`` against the built tools and asserts, for each: the exit code, an error that
/// names the cause, no snapshot or backup file lost, no lock or process left, and a passing next normal run.
///
/// With `OIB_FAULT_MATRIX_REPORT=<file>` each result is appended to that file as one JSON line, from which
/// `Scripts/reliability.sh` writes Documentation/reliability.md.
@Suite("fault matrix (built tools, oracle-sim, storage-sim)")
struct FaultMatrixTests {
    @Test("fault matrix case", arguments: FaultMatrix.cases)
    func faultCase(_ fault: FaultCase) async throws {
        // OIB_FAULT_MATRIX_ONLY=ID,ID-prefix… runs just those cases (for working on one area).
        if let only = ProcessInfo.processInfo.environment["OIB_FAULT_MATRIX_ONLY"], !only.isEmpty,
            !only.split(separator: ",").contains(where: { fault.id.hasPrefix($0) })
        {
            return
        }
        await FaultMatrixGate.shared.enter()
        let result = await Result(catching: { try await FaultMatrixHarness.run(fault) })
        await FaultMatrixGate.shared.leave()
        let outcome = try result.get()
        var failures: [String] = []
        if outcome.status != fault.expectedStatus {
            failures.append("exit \(outcome.status), expected \(fault.expectedStatus)")
        }
        for text in fault.mentions where !outcome.said.contains(text) {
            failures.append("the output and log do not say “\(text)”")
        }
        for text in fault.neverSays where outcome.said.contains(text) || outcome.nextSaid.contains(text) {
            failures.append("the output or log shows “\(text)”")
        }
        failures += outcome.violations
        if outcome.nextStatus != 0 { failures.append("the next normal run exited \(outcome.nextStatus)") }
        for text in fault.nextMentions where !outcome.nextSaid.contains(text) {
            failures.append("the next run does not say “\(text)”")
        }
        FaultMatrixReport.record(fault, outcome: outcome, failures: failures)
        #expect(
            failures.isEmpty,
            "\(fault): \(failures.joined(separator: "; "))\n--- output and log ---\n\(outcome.said.prefix(3000))\n--- next run ---\n\(outcome.nextSaid.suffix(2000))"
        )
    }

    @Test("the matrix has at least 100 cases with unique identifiers")
    func matrixSize() {
        #expect(FaultMatrix.cases.count >= 100)
        #expect(Set(FaultMatrix.cases.map(\.id)).count == FaultMatrix.cases.count)
    }

    @Test("Documentation/reliability.md lists exactly the cases of the matrix")
    func documentationMatchesTheMatrix() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "Documentation/reliability.md"
            ).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let documented = FaultMatrixReport.documentedCases(in: text)
        let expected = FaultMatrix.cases.map {
            FaultMatrixReport.DocumentedCase(id: $0.id, fault: $0.fault, expectation: $0.expectation)
        }
        #expect(
            documented.sorted { $0.id < $1.id } == expected.sorted { $0.id < $1.id },
            "Documentation/reliability.md is out of date: run Scripts/reliability.sh")
    }
}

/// Lets a few cases run at once (`OIB_FAULT_MATRIX_JOBS`, default 2): Swift Testing would start every argument
/// together, and a hundred installations at once only measure the machine's load.
enum FaultMatrixGate {
    static let shared = AsyncGate(
        width: max(1, Int(ProcessInfo.processInfo.environment["OIB_FAULT_MATRIX_JOBS"] ?? "") ?? 2))
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Result lines for Scripts/reliability.sh, and reading the document back.
enum FaultMatrixReport {
    struct DocumentedCase: Equatable, CustomStringConvertible {
        var id: String
        var fault: String
        var expectation: String
        var description: String { "\(id) | \(fault) | \(expectation)" }
    }

    /// Appends one tab-separated line: id, area, fault, expectation, exit, next exit, seconds, PASS/FAIL, failures.
    static func record(_ fault: FaultCase, outcome: FaultOutcome, failures: [String]) {
        guard let path = ProcessInfo.processInfo.environment["OIB_FAULT_MATRIX_REPORT"] else { return }
        let fields = [
            fault.id, fault.area.rawValue, fault.fault, fault.expectation, String(outcome.status),
            String(outcome.nextStatus), String(format: "%.1f", outcome.seconds), failures.isEmpty ? "PASS" : "FAIL",
            failures.joined(separator: "; "),
        ].map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
        let data = Data((fields.joined(separator: "\t") + "\n").utf8)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data)
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: data)
        }
    }

    /// The rows of the generated table: `| ID | fault | expectation | result | seconds |`.
    static func documentedCases(in text: String) -> [DocumentedCase] {
        text.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 6, cells[1].range(of: #"^[A-Z]+-\d+$"#, options: .regularExpression) != nil
            else { return nil }
            return DocumentedCase(
                id: cells[1], fault: cells[2].replacingOccurrences(of: "\\|", with: "|"),
                expectation: cells[3].replacingOccurrences(of: "\\|", with: "|"))
        }
    }
}
