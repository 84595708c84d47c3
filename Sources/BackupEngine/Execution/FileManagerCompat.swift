import Foundation

enum FileManagerCompat {
    static func isExecutable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
