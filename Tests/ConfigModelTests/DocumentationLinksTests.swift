import Foundation
import Testing

/// The README lists every page under Documentation/, and every relative link in the README and the pages reaches a
/// file that exists and, when it names an anchor, a heading of that file: a page added, renamed or retitled fails
/// here until the links follow it.
@Suite("documentation links")
struct DocumentationLinksTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Every Markdown page under Documentation/, as paths relative to the repository (`Documentation/x.md`).
    static func pages() throws -> [String] {
        let root = repository + "/Documentation"
        return try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".md") }.map {
            "Documentation/" + $0
        }.sorted()
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOfFile: repository + "/" + relativePath, encoding: .utf8)
    }

    /// The text outside fenced code blocks (links and headings inside them are examples, not links).
    static func prose(_ text: String) -> String {
        var inFence = false
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            if !inFence { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    /// GitHub's anchor for a heading: lower case, only letters, digits, `-`, `_` and spaces kept, spaces as `-`.
    static func anchor(_ heading: String) -> String {
        String(
            heading.trimmingCharacters(in: .whitespaces).lowercased().unicodeScalars.filter {
                CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" || $0 == " "
            }
        ).replacingOccurrences(of: " ", with: "-")
    }

    static func anchors(of text: String) -> Set<String> {
        Set(
            prose(text).split(separator: "\n").compactMap { line in
                line.firstMatch(of: #/^#{1,6} (.+)$/#).map { anchor(String($0.output.1)) }
            })
    }

    @Test func readmeListsEveryPage() throws {
        let readme = try Self.text("README.md")
        let pages = try Self.pages()
        #expect(pages.count >= 20, "found only \(pages.count) pages under Documentation/")
        for page in pages {
            let linked = readme.contains("](\(page))")
            #expect(linked, "README.md does not link \(page) (its Documentation section)")
        }
    }

    @Test func relativeLinksReachFilesAndHeadings() throws {
        let link = #/\]\(([^)\s]+)\)/#
        for page in ["README.md"] + (try Self.pages()) {
            let directory = (page as NSString).deletingLastPathComponent
            for match in Self.prose(try Self.text(page)).matches(of: link) {
                let target = String(match.output.1)
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let path = String(parts[0])
                // Absolute, so that standardizingPath also resolves `..`.
                let resolved =
                    path.isEmpty
                    ? Self.repository + "/" + page
                    : (Self.repository + "/" + (directory.isEmpty ? path : directory + "/" + path) as NSString)
                        .standardizingPath
                guard FileManager.default.fileExists(atPath: resolved) else {
                    Issue.record("\(page): the link \(target) names a file that does not exist (\(resolved))")
                    continue
                }
                if parts.count == 2, resolved.hasSuffix(".md") {
                    let anchors = Self.anchors(of: try String(contentsOfFile: resolved, encoding: .utf8))
                    let found = anchors.contains(String(parts[1]))
                    #expect(found, "\(page): the link \(target) names no heading of \(resolved)")
                }
            }
        }
    }
}
