import Foundation
import Testing

@testable import AutorestoreEngine

/// `autorestoredestination` is a directory of our own: shared directories are refused, and in our own marked
/// directory only what the tool created is removed.
@Suite("Work directory safety")
struct WorkDirectorySafetyTests {
    static func scratch(mode: Int = 0o755) throws -> String {
        let path =
            (NSTemporaryDirectory() as NSString).resolvingSymlinksInPath + "/oib-workdir-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("world-writable and sticky directories are refused by key and reason, and keep their files")
    func sharedDirectoriesAreRefused() throws {
        for (mode, reason) in [(0o777, "world-writable"), (0o1755, "sticky"), (0o1777, "sticky")] {
            let directory = try Self.scratch(mode: mode)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            _ = FileManager.default.createFile(
                atPath: directory + "/" + WorkDirectory.markerFileName, contents: Data())
            _ = FileManager.default.createFile(atPath: directory + "/theirs.txt", contents: Data("x".utf8))
            do {
                try WorkDirectory.prepare(directory, homeDirectories: [])
                Issue.record("mode \(String(mode, radix: 8)) was accepted")
            } catch {
                #expect(error.description.contains("autorestoredestination \(directory)"), "\(error)")
                #expect(error.description.contains(reason), "\(error)")
            }
            #expect(FileManager.default.fileExists(atPath: directory + "/theirs.txt"))
        }
    }

    @Test("a file the tool did not create survives in a marked work directory")
    func foreignFileInMarkedDirectorySurvives() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/" + WorkDirectory.markerFileName, contents: Data())
        _ = FileManager.default.createFile(atPath: directory + "/other-job.dat", contents: Data("keep".utf8))
        try WorkDirectory.prepare(directory, homeDirectories: [])
        #expect(FileManager.default.contents(atPath: directory + "/other-job.dat") == Data("keep".utf8))
    }
}
