import Foundation
import StorageKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an operation on the simulator's backing directories failed; the simulator turns it into the vendor's error.
public struct SimulatorDataError: Error, CustomStringConvertible, Sendable, Hashable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }

    /// A failed system call on `path`, with the C library's text for `code`.
    static func system(_ call: String, _ path: String, _ code: Int32) -> SimulatorDataError {
        SimulatorDataError("\(call) \(path): \(String(cString: strerror(code)))")
    }
}

/// Path checks and directory creation for the file-backed simulator; copies and removals are StorageKit's
/// ``FileTree``.
enum SimulatorFileTree {
    /// The `lstat` result for `path`, `nil` when it does not exist.
    static func status(_ path: String) throws(SimulatorDataError) -> stat? {
        var info = stat()
        if lstat(path, &info) == 0 { return info }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw .system("lstat", path, errno)
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }

    /// Creates `path` and missing parents (mode 0755 each); an existing directory is fine.
    static func makeDirectories(_ path: String) throws(SimulatorDataError) {
        if let info = try status(path) {
            guard isDirectory(info) else { throw SimulatorDataError("\(path) exists and is not a directory") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path, !parent.isEmpty { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw .system("mkdir", path, errno) }
    }

    /// Copies the directory `source` to `destination`, which must not exist, keeping modes (and owners as root);
    /// entries whose source path is in `excluding` are left out (ONTAP volumes junctioned below another volume).
    /// On failure the partial copy is removed.
    static func copyTree(from source: String, to destination: String, excluding: Set<String> = [])
        throws(SimulatorDataError)
    {
        guard let info = try status(source), isDirectory(info) else {
            throw SimulatorDataError("\(source) is not a directory")
        }
        guard try status(destination) == nil else { throw SimulatorDataError("\(destination) exists already") }
        do {
            _ = try FileTree.copyTree(from: source, to: destination, permissions: .preserved, excluding: excluding)
        } catch {
            try? FileTree.removeTree(destination)
            throw SimulatorDataError(error.description)
        }
    }

    /// Removes `path` (never following a symbolic link) and everything below it; a missing path is fine.
    static func removeTree(_ path: String) throws(SimulatorDataError) {
        do { try FileTree.removeTree(path) } catch { throw SimulatorDataError(error.description) }
    }

    /// The entries of `directory`, sorted, without `.` and `..`.
    static func names(in directory: String) throws(SimulatorDataError) -> [String] {
        do { return try FileTree.entries(of: directory) } catch { throw SimulatorDataError(error.description) }
    }

    /// `path` made absolute (from the current directory) with `.`, `..` and repeated slashes removed lexically;
    /// unlike `standardizingPath`, symbolic links are never resolved.
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The canonical path of an existing `path` (symbolic links resolved).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
