import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the kernel reports about one subvolume, read without privileges.
struct SubvolumeInfo: Sendable, Equatable {
    /// The subvolume (tree) id; level-0 qgroups are keyed by it.
    var treeID: UInt64
    /// Lower-case, hyphenated, as `btrfs subvolume list -u` prints it.
    var uuid: String
    /// The UUID of the subvolume this one is a snapshot of; `nil` for a subvolume made with `subvolume create`.
    var parentUUID: String?
    /// When the subvolume or snapshot was created (`otime`).
    var creation: Date
    var readOnly: Bool
    /// The UUID of the sent subvolume this one was received from (`btrfs receive`); `nil` for one made here.
    var receivedUUID: String? = nil
}

/// Reads subvolume facts through `BTRFS_IOC_GET_SUBVOL_INFO`, which (unlike the tree search behind
/// `btrfs subvolume list` and `show`) needs no privileges (Linux 4.18 and later).
///
/// This is what lets an unprivileged restore user — autorestore refuses to run as root — list snapshots and
/// clones. The layout of `struct btrfs_ioctl_get_subvol_info_args` is part of the kernel's stable user-space API
/// (`linux/btrfs.h`); only the fields used are located here.
enum SubvolumeInspector {
    /// The inode number of every subvolume's root directory (`BTRFS_FIRST_FREE_OBJECTID`).
    static let subvolumeRootInode: UInt64 = 256

    enum Failure: Error, Equatable {
        /// The path is missing or cannot be opened; `errno` text attached.
        case cannotOpen(String)
        /// The file system refused the request: not btrfs, or a kernel older than 4.18.
        case unsupported(String)
    }

    private static let argumentsSize = 504
    private static let treeIDOffset = 0
    private static let flagsOffset = 288
    private static let uuidOffset = 296
    private static let parentUUIDOffset = 312
    private static let receivedUUIDOffset = 328
    private static let otimeOffset = 392
    private static let readOnlyFlag: UInt64 = 1  // BTRFS_ROOT_SUBVOL_RDONLY
    /// `_IOR(BTRFS_IOCTL_MAGIC 0x94, 60, struct btrfs_ioctl_get_subvol_info_args)`.
    private static let getSubvolumeInfo: UInt =
        (2 << 30) | (UInt(argumentsSize) << 16) | (0x94 << 8) | 60

    /// Whether `path` is, itself, a directory with a subvolume root's inode number (not a symbolic link, not a plain
    /// directory). On another file system a directory may have inode 256 too: ``info(_:)`` tells them apart.
    static func isSubvolume(_ path: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else { return false }
        return (status.st_mode & S_IFMT) == S_IFDIR && UInt64(status.st_ino) == subvolumeRootInode
    }

    /// Facts about the subvolume rooted at `path`; `nil` when `path` is not a btrfs subvolume root.
    static func info(_ path: String) throws(Failure) -> SubvolumeInfo? {
        guard isSubvolume(path) else { return nil }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen("\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: argumentsSize, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: argumentsSize)
        // Some kernels return 1, not 0, on success (a leftover tree-search result): only a negative value fails.
        guard ioctl(descriptor, getSubvolumeInfo, buffer) >= 0 else {
            let code = errno
            // Not btrfs (or a kernel without the request, before 4.18): not a subvolume we can use.
            if code == ENOTTY { return nil }
            throw .unsupported("\(path): \(String(cString: strerror(code)))")
        }
        func word(_ offset: Int) -> UInt64 { buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        func uuid(_ offset: Int) -> String? {
            let bytes = (0..<16).map { buffer.load(fromByteOffset: offset + $0, as: UInt8.self) }
            return format(uuid: bytes)
        }
        let seconds = Int64(bitPattern: word(otimeOffset))
        let nanoseconds = buffer.loadUnaligned(fromByteOffset: otimeOffset + 8, as: UInt32.self)
        guard let own = uuid(uuidOffset) else {
            throw .unsupported("\(path): the kernel reported no subvolume UUID")
        }
        return SubvolumeInfo(
            treeID: word(treeIDOffset), uuid: own, parentUUID: uuid(parentUUIDOffset),
            creation: Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(nanoseconds) / 1e9),
            readOnly: word(flagsOffset) & readOnlyFlag != 0, receivedUUID: uuid(receivedUUIDOffset))
    }

    /// `8-4-4-4-12` lower-case hex; `nil` for the all-zero UUID (btrfs prints `-`).
    static func format(uuid bytes: [UInt8]) -> String? {
        guard bytes.count == 16, bytes.contains(where: { $0 != 0 }) else { return nil }
        let hex = bytes.map { String(format: "%02x", $0) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }
            .joined(separator: "-")
    }
}
