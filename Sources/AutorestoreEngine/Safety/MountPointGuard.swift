import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The mount point of a clone (`autorestoremountpoint`, `restore --mount-dir`): the tool mounts its clone there and
/// unmounts only a mount of that clone. A system, temporary or home directory is never used, and a mount of anything
/// else found there (another filesystem, another export) is refused and left alone.
public enum MountPointGuard {
    /// Why a mount point is not used: its key, its path and the reason.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// The configuration key or option the mount point comes from.
        public var key: String
        /// The mount point as configured.
        public var path: String
        /// Why it is refused (a shared directory, an unreadable mount table, something else mounted there).
        public var reason: String
        public var description: String { "\(key) \(path): \(reason)" }
    }

    /// Checks `mountPoint` before the clone is mounted there.
    /// - Parameters:
    ///   - mountPoint: the directory the clone is to be mounted on.
    ///   - key: the configuration key or option named in a refusal.
    ///   - expectedSource: the driver's mount string of the clone that belongs there (`host:/export/path`, or a
    ///     local directory for the local drivers); `nil` when no mount there can be ours.
    ///   - mounts: the mount table (`MountInfo.current(path:)`); `nil` when it could not be read, which is refused.
    ///   - homeDirectories: extra home directories (the running user's, `$HOME`), besides those of `passwdFile`.
    ///   - passwdFile: the user database whose home directories are never used.
    /// - Returns: the mount of our clone found there (a leftover of an earlier run, to unmount), `nil` when nothing
    ///   is mounted there.
    /// - Throws: ``Refusal`` for a shared directory or a mount of something else.
    public static func inspect(
        _ mountPoint: String, key: String, expectedSource: String?, mounts: [MountInfoEntry]?,
        homeDirectories: [String] = [], passwdFile: String = "/etc/passwd"
    ) throws(Refusal) -> MountInfoEntry? {
        if let reason = SharedDirectories.reason(
            for: mountPoint, homeDirectories: homeDirectories, passwdFile: passwdFile)
        {
            throw Refusal(key: key, path: mountPoint, reason: "refusing to mount a clone there: \(reason)")
        }
        guard let mounts else {
            throw Refusal(
                key: key, path: mountPoint,
                reason: "\(MountInfo.standardPath) cannot be read, so what is mounted there cannot be checked")
        }
        guard let mounted = MountInfo.topMount(at: SharedDirectories.resolved(mountPoint), in: mounts) else {
            return nil
        }
        guard let expectedSource, isMount(mounted, of: expectedSource) else {
            let notOurs = expectedSource.map { ", not this database's clone \($0)" } ?? ""
            throw Refusal(
                key: key, path: mountPoint,
                reason:
                    "\(mounted.source) (\(mounted.filesystemType)) is mounted there\(notOurs); refusing to unmount it or to mount over it: unmount it yourself or choose another mount point"
            )
        }
        return mounted
    }

    /// True when `entry` mounts `source`: the same NFS export (`host:/path`, the host compared without case, trailing
    /// slashes ignored), or for a local directory the same directory (a bind mount of it).
    public static func isMount(_ entry: MountInfoEntry, of source: String) -> Bool {
        if source.hasPrefix("/") {
            var mounted = stat()
            var expected = stat()
            guard stat(entry.mountPoint, &mounted) == 0, stat(source, &expected) == 0 else { return false }
            return mounted.st_dev == expected.st_dev && mounted.st_ino == expected.st_ino
        }
        return normalizedRemote(entry.source) == normalizedRemote(source)
    }

    /// `host:/path` with the host in lower case, repeated slashes folded and a trailing slash dropped.
    static func normalizedRemote(_ source: String) -> String {
        guard let colon = source.firstIndex(of: ":") else { return source }
        let host = source[..<colon].lowercased()
        let path = source[source.index(after: colon)...].split(separator: "/").joined(separator: "/")
        return host + ":/" + path
    }
}
