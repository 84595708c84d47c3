import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stand-in for `mount -t nfs host:/export/path <mountpoint>` against a file-backed simulator, for tests and the
/// demo only: it needs no root and no NFS client, and it is **not** a mount.
///
/// The empty mount-point directory is replaced by a symbolic link to the export's directory under the data root,
/// so every path below the mount point reaches the clone's files: programs that rewrite files in place and programs
/// that replace them by rename both work, and new files land in the clone. The original directory's mode, owner
/// and times are kept in a record file beside it (`.<name>.storage-sim-mount`); unmounting removes the link and the
/// record and recreates that directory, and refuses anything this type did not create. The mount point's parent
/// directory must be writable by the caller.
public enum SimulatedNFSMount {
    /// Suffix of the record file kept beside a simulated mount point.
    public static let recordSuffix = ".storage-sim-mount"

    struct Record: Codable, Hashable {
        var source: String
        var target: String
        var mode: UInt32
        var owner: UInt32
        var group: UInt32
        var accessed: Double
        var modified: Double
    }

    /// The record file of `mountPoint`: `<parent>/.<name>.storage-sim-mount`.
    public static func recordPath(for mountPoint: String) -> String {
        let absolute = absolutePath(mountPoint)
        let parent = (absolute as NSString).deletingLastPathComponent
        return parent + "/." + (absolute as NSString).lastPathComponent + recordSuffix
    }

    static func absolutePath(_ path: String) -> String {
        SimulatorFileTree.normalized(path)
    }

    /// The export directory that `source` (`host:/export/path`, or just `/export/path`) names in `data`.
    public static func exportDirectory(of source: String, in data: SimulatorDataStore) throws(SimulatorDataError)
        -> String
    {
        let path: Substring
        if let colon = source.firstIndex(of: ":") {
            guard colon != source.startIndex else {
                throw SimulatorDataError("source '\(source)' must be host:/export/path (the host is empty)")
            }
            path = source[source.index(after: colon)...]
        } else {
            path = source[...]
        }
        guard path.hasPrefix("/") else {
            throw SimulatorDataError("source '\(source)' must be host:/export/path")
        }
        let directory = try data.exportDirectory(for: String(path))
        try data.checkOwned(directory)
        guard data.directoryExists(directory) else {
            throw SimulatorDataError(
                "source '\(source)': no such export under the data root \(data.root) (\(directory) does not exist)")
        }
        return directory
    }

    /// Makes the files of export `source` visible at `mountPoint`, an existing empty directory (or an earlier
    /// simulated mount, which is replaced). Returns the export's directory.
    /// - Throws: ``SimulatorDataError`` naming the argument at fault; nothing is changed then.
    @discardableResult
    public static func mount(source: String, mountPoint: String, data: SimulatorDataStore)
        throws(SimulatorDataError) -> String
    {
        let target = try exportDirectory(of: source, in: data)
        let point = absolutePath(mountPoint)
        guard point != "/", !point.hasPrefix(data.root + "/"), point != data.root, !data.root.hasPrefix(point + "/")
        else {
            throw SimulatorDataError("mount point \(point) must lie outside the data root \(data.root)")
        }
        let recordFile = recordPath(for: point)
        guard let info = try SimulatorFileTree.status(point) else {
            throw SimulatorDataError("mount point \(point) does not exist")
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            // Our own earlier mount (a run that died before unmounting): mount over it, keeping the record.
            guard var record = try ownRecord(point, recordFile: recordFile) else {
                throw SimulatorDataError(
                    "mount point \(point) is a symbolic link that storage-sim mount did not create; refusing")
            }
            guard unlink(point) == 0 else { throw .system("unlink", point, errno) }
            guard symlink(target, point) == 0 else { throw .system("symlink", point, errno) }
            record.source = source
            record.target = target
            try write(record, to: recordFile)
        case S_IFDIR:
            guard try SimulatorFileTree.names(in: point).isEmpty else {
                throw SimulatorDataError("mount point \(point) is not empty; refusing to hide its files")
            }
            if try SimulatorFileTree.status(recordFile) != nil {
                throw SimulatorDataError("\(recordFile) exists already; remove it if no simulated mount is active")
            }
            #if canImport(Darwin)
                let times = (info.st_atimespec, info.st_mtimespec)
            #else
                let times = (info.st_atim, info.st_mtim)
            #endif
            let record = Record(
                source: source, target: target, mode: UInt32(info.st_mode & 0o7777), owner: info.st_uid,
                group: info.st_gid, accessed: Double(times.0.tv_sec) + Double(times.0.tv_nsec) / 1e9,
                modified: Double(times.1.tv_sec) + Double(times.1.tv_nsec) / 1e9)
            try write(record, to: recordFile)
            guard rmdir(point) == 0 else {
                let code = errno
                unlink(recordFile)
                throw .system("rmdir (mount point)", point, code)
            }
            guard symlink(target, point) == 0 else {
                let code = errno
                _ = mkdir(point, mode_t(record.mode))
                unlink(recordFile)
                throw .system("symlink (mount point)", point, code)
            }
        default:
            throw SimulatorDataError("mount point \(point) is not a directory")
        }
        return target
    }

    /// Undoes ``mount(source:mountPoint:data:)``: removes the link and the record, recreates the directory with its
    /// mode (and owner, as root) and times. Refuses a mount point it did not create or whose link leaves `data`.
    public static func unmount(mountPoint: String, data: SimulatorDataStore) throws(SimulatorDataError) {
        let point = absolutePath(mountPoint)
        let recordFile = recordPath(for: point)
        guard let info = try SimulatorFileTree.status(point) else {
            throw SimulatorDataError("mount point \(point) does not exist")
        }
        guard info.st_mode & S_IFMT == S_IFLNK, let record = try ownRecord(point, recordFile: recordFile) else {
            throw SimulatorDataError("\(point) is not mounted (no simulated mount made by storage-sim mount)")
        }
        guard record.target.hasPrefix(data.root + "/") else {
            throw SimulatorDataError(
                "\(point) points to \(record.target), outside the data root \(data.root); refusing to unmount")
        }
        guard unlink(point) == 0 else { throw .system("unlink", point, errno) }
        guard mkdir(point, mode_t(record.mode)) == 0 else { throw .system("mkdir (mount point)", point, errno) }
        if geteuid() == 0 { _ = lchown(point, record.owner, record.group) }
        _ = chmod(point, mode_t(record.mode))
        var times = [makeTimespec(record.accessed), makeTimespec(record.modified)]
        _ = utimensat(AT_FDCWD, point, &times, 0)
        guard unlink(recordFile) == 0 else { throw .system("unlink", recordFile, errno) }
    }

    /// Where the simulated mount at `mountPoint` leads, `nil` when there is none.
    public static func mountedExport(at mountPoint: String) -> String? {
        let point = absolutePath(mountPoint)
        return (try? ownRecord(point, recordFile: recordPath(for: point)))??.target
    }

    /// The record of `point` when the link there is the one it describes.
    static func ownRecord(_ point: String, recordFile: String) throws(SimulatorDataError) -> Record? {
        guard let data = FileManager.default.contents(atPath: recordFile),
            let record = try? JSONDecoder().decode(Record.self, from: data)
        else { return nil }
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: point), link == record.target
        else { return nil }
        return record
    }

    static func write(_ record: Record, to path: String) throws(SimulatorDataError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(record).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SimulatorDataError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func makeTimespec(_ seconds: Double) -> timespec {
        let whole = seconds.rounded(.down)
        var value = timespec()
        value.tv_sec = Int(whole)
        value.tv_nsec = Int((seconds - whole) * 1e9)
        return value
    }
}
