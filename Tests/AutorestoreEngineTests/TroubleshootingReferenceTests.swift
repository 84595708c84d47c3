import Foundation
import Testing

/// Documentation/troubleshooting.md must explain every failure reason autorestore stores in the results catalog: a
/// reason added to `RestoreFailure.Reason` fails here until the page says what it means and what to do.
@Suite("troubleshooting.md covers every restore failure reason")
struct TroubleshootingReferenceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func everyReasonHasARow() throws {
        let source = try String(
            contentsOfFile: Self.repository + "/Sources/AutorestoreEngine/Restore/RestoreFailure.swift", encoding: .utf8)
        let reasons = source.matches(of: #/static let [A-Za-z]+ = Reason\("([a-z0-9-]+)"\)/#).map {
            String($0.output.1)
        }
        #expect(reasons.count >= 25, "found only \(reasons.count) reasons: has RestoreFailure's style changed?")
        let page = try String(contentsOfFile: Self.repository + "/Documentation/troubleshooting.md", encoding: .utf8)
        let rows = page.split(separator: "\n").filter { $0.hasPrefix("| `") }
        for reason in reasons {
            let row = rows.contains { $0.hasPrefix("| `\(reason)` |") }
            #expect(row, "troubleshooting.md has no row for the failure reason `\(reason)`")
        }
    }
}
