import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed POSIX call on a path.
package struct FileSystemFailure: Error, CustomStringConvertible {
    package var call: String
    package var path: String
    package var errorNumber: Int32

    package init(call: String, path: String, errorNumber: Int32) {
        self.call = call
        self.path = path
        self.errorNumber = errorNumber
    }

    package var description: String { "\(call) \(path): \(String(cString: strerror(errorNumber)))" }
}

/// How a tree copy went: whether files were shared by reflink or copied byte by byte.
package struct TreeCopyOutcome: Sendable, Equatable {
    package var files = 0
    package var bytes: Int64 = 0
    package var reflinkedFiles = 0
    package var copiedFiles = 0
    /// Why reflink failed for the first copied file (e.g. "Operation not supported").
    package var reflinkFailure: String?

    package init() {}
}

/// Permissions the copy gets.
package enum CopyPermissions: Sendable {
    /// Write bits removed from files and directories (a snapshot).
    case readOnly
    /// Owner write bit added (a clone).
    case ownerWritable
    /// The source's modes, unchanged.
    case preserved
}

/// Recursive copy, removal and sizing of directory trees with POSIX calls, for the local drivers and the storage
/// simulator. Regular files are shared with the FICLONE ioctl (btrfs, XFS with reflink, bcachefs …) when the file
/// system supports it, else copied. Copies keep access and modification times, and owners when running as root.
package enum FileTree {
    /// `FICLONE` = `_IOW(0x94, 9, int)`.
    static let ficloneRequest: UInt = 0x4004_9409

    package static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    package static func exists(_ path: String) -> Bool { fileType(path) != nil }

    package static func isDirectory(_ path: String) -> Bool { fileType(path) == S_IFDIR }

    package static func entries(of directory: String) throws(FileSystemFailure) -> [String] {
        guard let stream = opendir(directory) else {
            throw FileSystemFailure(call: "opendir", path: directory, errorNumber: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package static func makeDirectories(_ path: String) throws(FileSystemFailure) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemFailure(call: "mkdir -p", path: path, errorNumber: errno == 0 ? EIO : errno)
        }
    }

    /// Copies `source` (a directory) to `destination` (must not exist); entries whose source path is in
    /// `excluding` are left out. `reflink: false` forces byte copies (tests of the fallback path). A failed copy
    /// leaves a partial tree: the caller copies to a staging name and removes it on failure.
    package static func copyTree(
        from source: String, to destination: String, permissions: CopyPermissions, excluding: Set<String> = [],
        reflink: Bool = true
    ) throws(FileSystemFailure) -> TreeCopyOutcome {
        var outcome = TreeCopyOutcome()
        if !reflink { outcome.reflinkFailure = "reflink disabled" }
        try copyEntry(
            from: source, to: destination, permissions: permissions, excluding: excluding, reflink: reflink,
            outcome: &outcome)
        return outcome
    }

    private static func adjusted(_ mode: mode_t, _ permissions: CopyPermissions) -> mode_t {
        let bits = mode & 0o7777
        switch permissions {
        case .readOnly: return bits & ~mode_t(0o222)
        case .ownerWritable: return bits | 0o200
        case .preserved: return bits
        }
    }

    private static func copyEntry(
        from source: String, to destination: String, permissions: CopyPermissions, excluding: Set<String>,
        reflink: Bool, outcome: inout TreeCopyOutcome
    ) throws(FileSystemFailure) {
        var info = stat()
        guard lstat(source, &info) == 0 else {
            throw FileSystemFailure(call: "lstat", path: source, errorNumber: errno)
        }
        let keepOwner = geteuid() == 0
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, 0o700) == 0 else {
                throw FileSystemFailure(call: "mkdir", path: destination, errorNumber: errno)
            }
            for name in try entries(of: source) where !excluding.contains(source + "/" + name) {
                try copyEntry(
                    from: source + "/" + name, to: destination + "/" + name, permissions: permissions,
                    excluding: excluding, reflink: reflink, outcome: &outcome)
            }
            if keepOwner { _ = lchown(destination, info.st_uid, info.st_gid) }
            guard chmod(destination, adjusted(info.st_mode, permissions)) == 0 else {
                throw FileSystemFailure(call: "chmod", path: destination, errorNumber: errno)
            }
        case S_IFREG:
            try copyFile(
                from: source, to: destination, info: info, permissions: permissions, reflink: reflink,
                outcome: &outcome)
            if keepOwner { _ = lchown(destination, info.st_uid, info.st_gid) }
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(source, &buffer, buffer.count - 1)
            guard length >= 0 else { throw FileSystemFailure(call: "readlink", path: source, errorNumber: errno) }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard symlink(target, destination) == 0 else {
                throw FileSystemFailure(call: "symlink", path: destination, errorNumber: errno)
            }
            if keepOwner { _ = lchown(destination, info.st_uid, info.st_gid) }
        default:
            // Sockets, FIFOs and devices do not belong in a backup area; they are left out.
            return
        }
        // Times last: creating the children changed the directory's.
        #if canImport(Darwin)
            var times = [info.st_atimespec, info.st_mtimespec]
        #else
            var times = [info.st_atim, info.st_mtim]
        #endif
        _ = utimensat(AT_FDCWD, destination, &times, AT_SYMLINK_NOFOLLOW)
    }

    private static func copyFile(
        from source: String, to destination: String, info: stat, permissions: CopyPermissions, reflink: Bool,
        outcome: inout TreeCopyOutcome
    ) throws(FileSystemFailure) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemFailure(call: "open", path: source, errorNumber: errno) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSystemFailure(call: "open", path: destination, errorNumber: errno) }
        defer { close(output) }

        var reflinked = false
        #if os(Linux)
            if !reflink {
                // Byte copy requested.
            } else if ioctl(output, ficloneRequest, input) == 0 {
                reflinked = true
            } else if outcome.reflinkFailure == nil {
                outcome.reflinkFailure = String(cString: strerror(errno))
            }
        #else
            if outcome.reflinkFailure == nil { outcome.reflinkFailure = "reflink is implemented for Linux only" }
        #endif
        if !reflinked {
            try copyBytes(from: input, to: output, path: destination)
        }
        guard fchmod(output, adjusted(info.st_mode, permissions)) == 0 else {
            throw FileSystemFailure(call: "fchmod", path: destination, errorNumber: errno)
        }
        outcome.files += 1
        outcome.bytes += Int64(info.st_size)
        if reflinked { outcome.reflinkedFiles += 1 } else { outcome.copiedFiles += 1 }
    }

    private static func copyBytes(from input: Int32, to output: Int32, path: String) throws(FileSystemFailure) {
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input, buffer, size)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemFailure(call: "read", path: path, errorNumber: errno)
            }
            var written = 0
            while written < count {
                let result = write(output, buffer + written, count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemFailure(call: "write", path: path, errorNumber: errno)
                }
                written += result
            }
        }
    }

    /// Sum of regular-file sizes below `path`.
    package static func byteCount(_ path: String) throws(FileSystemFailure) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw FileSystemFailure(call: "lstat", path: path, errorNumber: errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return Int64(info.st_size)
        case S_IFDIR:
            var total: Int64 = 0
            for name in try entries(of: path) { total += try byteCount(path + "/" + name) }
            return total
        default: return 0
        }
    }

    /// Removes `path` and everything below it, first restoring owner write permission on directories.
    package static func removeTree(_ path: String) throws(FileSystemFailure) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw FileSystemFailure(call: "lstat", path: path, errorNumber: errno)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            _ = chmod(path, (info.st_mode & 0o7777) | 0o700)
            for name in try entries(of: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw FileSystemFailure(call: "rmdir", path: path, errorNumber: errno) }
        } else {
            guard unlink(path) == 0 else { throw FileSystemFailure(call: "unlink", path: path, errorNumber: errno) }
        }
    }

    /// Writes `data` to `path` atomically (temporary file in the same directory, fsync, rename).
    package static func writeAtomically(_ data: Data, to path: String) throws(FileSystemFailure) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemFailure(call: "open", path: temporary, errorNumber: errno) }
        let written = data.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress, buffer.count) }
        let failure = written != data.count ? errno : 0
        _ = fsync(descriptor)
        close(descriptor)
        guard failure == 0 else {
            unlink(temporary)
            throw FileSystemFailure(call: "write", path: temporary, errorNumber: failure)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileSystemFailure(call: "rename", path: path, errorNumber: code)
        }
    }

    package static func move(_ source: String, to destination: String) throws(FileSystemFailure) {
        guard rename(source, destination) == 0 else {
            throw FileSystemFailure(call: "rename", path: source, errorNumber: errno)
        }
    }
}
