import Foundation

/// The autorestore work directory is wiped at the start of every restore. It is only wiped when it is clearly
/// ours: never `/`, a home directory or a system directory, and never a non-empty directory without the
/// marker file the tool leaves in it.
public enum WorkDirectory {
    public static let markerFileName = ".oib-autorestore-workdir"

    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "refusing to use \(path) as the autorestore work directory: \(reason)" }
    }

    static let systemDirectories: Set<String> = [
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin",
        "/srv", "/sys", "/tmp", "/usr", "/var", "/u01", "/mnt", "/media",
    ]

    /// Checks `path` and empties it, keeping (or creating) the marker.
    /// - Parameter homeDirectories: home directories that must never be wiped (the user's own and `$HOME`).
    public static func prepare(_ path: String, homeDirectories: [String]) throws(Refusal) {
        let resolved = (path as NSString).resolvingSymlinksInPath
        let normalized = resolved.count > 1 && resolved.hasSuffix("/") ? String(resolved.dropLast()) : resolved
        if systemDirectories.contains(normalized) {
            throw Refusal(path: path, reason: "it is a system directory")
        }
        if homeDirectories.map({ ($0 as NSString).resolvingSymlinksInPath }).contains(normalized) {
            throw Refusal(path: path, reason: "it is a home directory")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: normalized, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw Refusal(path: path, reason: "it does not exist or is not a directory")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: normalized)
        } catch {
            throw Refusal(path: path, reason: "it cannot be read: \(error.localizedDescription)")
        }
        if !entries.isEmpty && !entries.contains(markerFileName) {
            throw Refusal(
                path: path,
                reason:
                    "it is not empty and has no \(markerFileName) marker, so it may not be ours; empty it or create the marker"
            )
        }
        for entry in entries where entry != markerFileName {
            do {
                try FileManager.default.removeItem(atPath: normalized + "/" + entry)
            } catch {
                throw Refusal(path: path, reason: "cannot remove \(entry): \(error.localizedDescription)")
            }
        }
        if !entries.contains(markerFileName) {
            guard
                FileManager.default.createFile(
                    atPath: normalized + "/" + markerFileName,
                    contents: Data("Work directory of autorestore; emptied at the start of every restore.\n".utf8))
            else { throw Refusal(path: path, reason: "cannot create the marker file (permissions?)") }
        }
    }
}
