import Foundation

/// Directories that belong to the system or to everybody, which the tool must never take over as a work directory
/// or a mount point: system directories, temporary directories and home directories.
public enum SharedDirectories {
    /// System and shared directories refused themselves (their sub-directories may be used).
    static let systemDirectories: Set<String> = [
        "/", "/home", "/root", "/opt", "/mnt", "/media", "/srv", "/run", "/u01", "/lost+found", "/var", "/var/lib",
        "/var/log", "/var/spool", "/var/cache", "/var/mail", "/var/opt", "/var/run", "/var/lock", "/var/backups",
        "/var/local", "/var/www",
    ]
    /// System trees refused with everything below them.
    static let systemTrees: [String] = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr",
    ]
    /// Temporary directories every user writes to.
    static let temporaryDirectories: Set<String> = ["/tmp", "/var/tmp", "/dev/shm", "/run/shm"]

    /// `path` made absolute with symbolic links resolved and without a trailing slash.
    public static func resolved(_ path: String) -> String {
        let resolved = (path as NSString).resolvingSymlinksInPath
        return resolved.count > 1 && resolved.hasSuffix("/") ? String(resolved.dropLast()) : resolved
    }

    /// The home directories of every user in `passwdFile` (`/etc/passwd` format, sixth field), resolved.
    public static func homeDirectories(passwdFile: String = "/etc/passwd") -> [String] {
        guard let text = try? String(contentsOfFile: passwdFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 6, fields[5].hasPrefix("/") else { return nil }
            return resolved(String(fields[5]))
        }
    }

    /// Why `path` is a shared directory, `nil` when it is not one. Only the location is judged, not permissions.
    /// - Parameters:
    ///   - path: the directory to judge (symbolic links resolved).
    ///   - homeDirectories: extra home directories (the running user's, `$HOME`), besides those of `passwdFile`.
    ///   - passwdFile: the user database whose home directories count as shared.
    public static func reason(for path: String, homeDirectories: [String], passwdFile: String = "/etc/passwd")
        -> String?
    {
        let normalized = resolved(path)
        if temporaryDirectories.contains(normalized) {
            return "it is a temporary directory shared by all users"
        }
        if let tree = systemTrees.first(where: { normalized == $0 || normalized.hasPrefix($0 + "/") }) {
            return normalized == tree ? "it is a system directory" : "it lies in the system directory \(tree)"
        }
        if systemDirectories.contains(normalized) {
            return "it is a system directory"
        }
        let homes = homeDirectories.map(resolved) + Self.homeDirectories(passwdFile: passwdFile)
        if let home = homes.first(where: { $0 == normalized }) {
            return "it is a home directory (\(home))"
        }
        if let home = homes.first(where: { $0.hasPrefix(normalized + "/") }) {
            return "it holds the home directory \(home)"
        }
        return nil
    }
}
