import Foundation

/// One mount as the kernel lists it in `/proc/<pid>/mountinfo` (see proc(5)).
public struct MountInfoEntry: Sendable, Equatable {
    /// The mount's id, unique while it is mounted (may be reused after unmounting).
    public var mountID: Int
    /// The id of the mount this one sits on (its own id for the root of the tree).
    public var parentID: Int
    /// `major:minor` of the mounted filesystem.
    public var device: String
    /// The directory of the filesystem that is mounted (`/` unless it is a bind mount of a sub-directory).
    public var root: String
    /// Where it is mounted, as an absolute path without symbolic links.
    public var mountPoint: String
    /// Per-mount options, comma-separated (`rw,nosuid,relatime`, …).
    public var mountOptions: String
    /// The file system type (`nfs`, `nfs4`, `btrfs`, `zfs`, `ext4`, …).
    public var filesystemType: String
    /// What is mounted: `host:/export/path` for NFS, a device, or a free-form name (`tmpfs`, `none`, …).
    public var source: String
    /// Per-file-system (super block) options, comma-separated; for NFS the server address, version, …
    public var superOptions: String

    /// An entry from its fields, already unescaped.
    public init(
        mountID: Int, parentID: Int, device: String, root: String, mountPoint: String, mountOptions: String,
        filesystemType: String, source: String, superOptions: String
    ) {
        self.mountID = mountID
        self.parentID = parentID
        self.device = device
        self.root = root
        self.mountPoint = mountPoint
        self.mountOptions = mountOptions
        self.filesystemType = filesystemType
        self.source = source
        self.superOptions = superOptions
    }
}

/// Reads the mount table of this process.
public enum MountInfo {
    /// This process's mount table, `/proc/self/mountinfo`.
    public static let standardPath = "/proc/self/mountinfo"

    /// The mounts of this process, in the kernel's order; `nil` when the table cannot be read.
    public static func current(path: String = standardPath) -> [MountInfoEntry]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// Parses mountinfo text. A line that does not have the kernel's shape (ten or more fields with the `-`
    /// separator after the optional fields) is skipped: it describes no mount.
    public static func parse(_ text: String) -> [MountInfoEntry] {
        text.split(separator: "\n").compactMap(parseLine)
    }

    static func parseLine(_ line: Substring) -> MountInfoEntry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        // 0 id, 1 parent, 2 major:minor, 3 root, 4 mount point, 5 options, optional fields…, "-", type, source, super.
        guard fields.count >= 10, let separator = fields[6...].firstIndex(of: "-"), separator + 3 < fields.count,
            let mountID = Int(fields[0]), let parentID = Int(fields[1])
        else { return nil }
        return MountInfoEntry(
            mountID: mountID, parentID: parentID, device: String(fields[2]), root: unescape(fields[3]),
            mountPoint: unescape(fields[4]), mountOptions: String(fields[5]),
            filesystemType: unescape(fields[separator + 1]), source: unescape(fields[separator + 2]),
            superOptions: unescape(fields[separator + 3]))
    }

    /// Undoes the kernel's escaping of a field: a backslash and three octal digits stand for that byte (`\040` is a
    /// space, `\011` a tab, `\012` a newline, `\134` a backslash). Other bytes, including UTF-8, pass unchanged.
    public static func unescape(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        func octalDigit(_ byte: UInt8) -> UInt8? { (0x30...0x37).contains(byte) ? byte - 0x30 : nil }
        while index < bytes.count {
            if bytes[index] == 0x5C, index + 3 < bytes.count,
                let high = octalDigit(bytes[index + 1]), let middle = octalDigit(bytes[index + 2]),
                let low = octalDigit(bytes[index + 3]), high <= 3
            {
                decoded.append(high << 6 | middle << 3 | low)
                index += 4
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The mount that is visible at `path` (an absolute path without symbolic links), `nil` when nothing is mounted
    /// there. With several mounts stacked on one point the top one wins: the one no other mount there sits on.
    public static func topMount(at path: String, in entries: [MountInfoEntry]) -> MountInfoEntry? {
        let stacked = entries.filter { $0.mountPoint == path }
        let parents = Set(stacked.map(\.parentID))
        return stacked.last { !parents.contains($0.mountID) } ?? stacked.last
    }
}
