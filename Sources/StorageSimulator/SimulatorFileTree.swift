import Foundation

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

/// What a tree copy did: how many regular files were shared by reflink and how many were copied byte by byte.
public struct SimulatorCopyStatistics: Sendable, Hashable {
    public var files = 0
    public var bytes: Int64 = 0
    public var reflinkedFiles = 0
    public var copiedFiles = 0

    public init() {}
}

/// Recursive copy and removal of directory trees for the file-backed simulator. Regular files are cloned with the
/// Linux `FICLONE` ioctl where the file system supports reflinks, otherwise copied; modes, ownership (when running as
/// root) and access/modification times are kept, for directories and symbolic links too.
enum SimulatorFileTree {
    /// `_IOW(0x94, 9, int)`.
    static let ficlone: UInt = 0x4004_9409

    /// The `lstat` result for `path`, `nil` when it does not exist.
    static func status(_ path: String) throws(SimulatorDataError) -> stat? {
        var info = stat()
        if lstat(path, &info) == 0 { return info }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw .system("lstat", path, errno)
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }

    static func names(in directory: String) throws(SimulatorDataError) -> [String] {
        guard let stream = opendir(directory) else { throw .system("opendir", directory, errno) }
        defer { closedir(stream) }
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result.sorted()
    }

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

    /// Copies the directory `source` to `destination`, which must not exist. Entries whose source path is in
    /// `excluding` are left out (ONTAP volumes junctioned below another volume). On failure the partial copy is
    /// removed.
    static func copyTree(from source: String, to destination: String, excluding: Set<String> = [])
        throws(SimulatorDataError) -> SimulatorCopyStatistics
    {
        guard let info = try status(source), isDirectory(info) else {
            throw SimulatorDataError("\(source) is not a directory")
        }
        guard try status(destination) == nil else { throw SimulatorDataError("\(destination) exists already") }
        var statistics = SimulatorCopyStatistics()
        var reflink = true
        do {
            try copy(
                source, to: destination, info: info, excluding: excluding, reflink: &reflink, statistics: &statistics)
        } catch {
            try? removeTree(destination)
            throw error
        }
        return statistics
    }

    private static func copy(
        _ source: String, to destination: String, info: stat, excluding: Set<String>, reflink: inout Bool,
        statistics: inout SimulatorCopyStatistics
    ) throws(SimulatorDataError) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, 0o700) == 0 else { throw .system("mkdir", destination, errno) }
            for name in try names(in: source) {
                let child = source + "/" + name
                if excluding.contains(child) { continue }
                guard let childInfo = try status(child) else { continue }
                try copy(
                    child, to: destination + "/" + name, info: childInfo, excluding: excluding, reflink: &reflink,
                    statistics: &statistics)
            }
        case S_IFREG:
            try copyFile(source, to: destination, info: info, reflink: &reflink, statistics: &statistics)
        case S_IFLNK:
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = buffer.withUnsafeMutableBufferPointer { pointer in
                pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                    readlink(source, $0, pointer.count - 1)
                }
            }
            guard length >= 0 else { throw .system("readlink", source, errno) }
            let target = String(decoding: buffer[0..<length], as: UTF8.self)
            guard symlink(target, destination) == 0 else { throw .system("symlink", destination, errno) }
        default:
            // Devices, sockets and FIFOs have no place in a backup area: not copied.
            return
        }
        try applyAttributes(of: info, to: destination)
    }

    private static func copyFile(
        _ source: String, to destination: String, info: stat, reflink: inout Bool,
        statistics: inout SimulatorCopyStatistics
    ) throws(SimulatorDataError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .system("open", source, errno) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .system("open", destination, errno) }
        defer { close(output) }
        var shared = false
        #if os(Linux)
            if reflink {
                if ioctl(output, ficlone, input) == 0 {
                    shared = true
                } else {
                    // Not supported here (ext4, tmpfs, across file systems): stop trying for this copy.
                    reflink = false
                }
            }
        #else
            reflink = false
        #endif
        if !shared {
            let size = 1 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = read(input, buffer, size)
                if count == 0 { break }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw .system("read", source, errno)
                }
                var written = 0
                while written < count {
                    let result = write(output, buffer + written, count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw .system("write", destination, errno)
                    }
                    written += result
                }
            }
        }
        statistics.files += 1
        statistics.bytes += Int64(info.st_size)
        if shared { statistics.reflinkedFiles += 1 } else { statistics.copiedFiles += 1 }
    }

    /// Owner (as root only), mode (not for links) and times of `info`, on `path`.
    static func applyAttributes(of info: stat, to path: String) throws(SimulatorDataError) {
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        if geteuid() == 0, lchown(path, info.st_uid, info.st_gid) != 0 { throw .system("lchown", path, errno) }
        if !isLink, chmod(path, info.st_mode & 0o7777) != 0 { throw .system("chmod", path, errno) }
        #if canImport(Darwin)
            var times = [info.st_atimespec, info.st_mtimespec]
        #else
            var times = [info.st_atim, info.st_mtim]
        #endif
        if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw .system("utimensat", path, errno) }
    }

    /// Removes `path` (never following a symbolic link) and everything below it; a missing path is fine.
    static func removeTree(_ path: String) throws(SimulatorDataError) {
        guard let info = try status(path) else { return }
        if isDirectory(info) {
            if info.st_mode & 0o700 != 0o700 { _ = chmod(path, (info.st_mode & 0o7777) | 0o700) }
            for name in try names(in: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw .system("rmdir", path, errno) }
        } else {
            guard unlink(path) == 0 else { throw .system("unlink", path, errno) }
        }
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
