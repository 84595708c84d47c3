import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The backing directories of a file-backed simulator (``SimulatorOptions/dataRoot``).
///
/// Layout under the data root:
/// - every ZFSSA share and every mounted ONTAP volume is the directory named after its export path: share
///   mountpoint `/export/orcl` is `<root>/export/orcl`, junction path `/backup/orcl` is `<root>/backup/orcl`;
/// - an ONTAP volume without a junction path lives in `<root>/.storage-sim/ontap/unmounted/<volume>`;
/// - snapshots are frozen copies in `<root>/.storage-sim/zfssa/<pool>/<project>/<share>/<snapshot>` and
///   `<root>/.storage-sim/ontap/snapshots/<volume>/<snapshot>`.
///
/// Snapshot and clone creation copy whole trees (sharing blocks by reflink where the file system can). Removal
/// happens only for directories inside the data root, reached without symbolic links, at the path the simulator
/// computed for the object: nothing else is ever deleted.
public struct SimulatorDataStore: Sendable, Hashable {
    /// Absolute, standardized data root.
    public let root: String

    /// Name of the simulator's private directory inside the data root (snapshots, unmounted volumes).
    public static let privateDirectoryName = ".storage-sim"

    /// - Parameter root: the data root; relative paths are taken from the current directory.
    public init(root: String) {
        self.root = SimulatorFileTree.normalized(root)
    }

    /// Creates the data root when missing and checks that it is a writable directory.
    /// - Throws: ``SimulatorDataError`` naming `--data-root` when it cannot be used.
    public func prepare() throws(SimulatorDataError) {
        guard root != "/" else { throw SimulatorDataError("--data-root must not be /") }
        do {
            try SimulatorFileTree.makeDirectories(root)
            try SimulatorFileTree.makeDirectories(root + "/" + Self.privateDirectoryName)
        } catch {
            throw SimulatorDataError("--data-root \(root) cannot be used: \(error)")
        }
        guard access(root, W_OK | X_OK) == 0 else {
            throw SimulatorDataError("--data-root \(root) is not writable by this user")
        }
    }

    // MARK: Paths

    /// The directory behind an export path (ZFSSA mountpoint, ONTAP junction path), e.g. `/export/orcl`.
    public func exportDirectory(for exportPath: String) throws(SimulatorDataError) -> String {
        let parts = exportPath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard exportPath.hasPrefix("/"), !parts.isEmpty else {
            throw SimulatorDataError("export path '\(exportPath)' must be absolute, e.g. /export/orcl")
        }
        for part in parts { try Self.checkComponent(part, what: "export path '\(exportPath)'") }
        guard parts[0] != Self.privateDirectoryName else {
            throw SimulatorDataError("export path '\(exportPath)' is reserved for the simulator's own data")
        }
        return root + "/" + parts.joined(separator: "/")
    }

    /// A directory in the simulator's private area, e.g. `["zfssa", pool, project, share, snapshot]`.
    public func privateDirectory(_ components: [String]) throws(SimulatorDataError) -> String {
        for part in components { try Self.checkComponent(part, what: "name '\(part)'") }
        return ([root, Self.privateDirectoryName] + components).joined(separator: "/")
    }

    static func checkComponent(_ part: String, what: String) throws(SimulatorDataError) {
        guard !part.isEmpty, part != ".", part != "..", !part.contains("/"), !part.contains("\0") else {
            throw SimulatorDataError("\(what) cannot name a directory (empty, '.', '..' or containing '/')")
        }
    }

    // MARK: Safety

    /// Throws unless `path` is strictly inside the data root, is reached without symbolic links (its parent
    /// resolves to itself) and, when it exists, is a real directory rather than a link.
    public func checkOwned(_ path: String) throws(SimulatorDataError) {
        guard SimulatorFileTree.normalized(path) == path, path.hasPrefix(root + "/"), path != root else {
            throw SimulatorDataError("refusing to touch \(path): it is not inside the simulator's data root \(root)")
        }
        let relative = path.dropFirst(root.count + 1).split(separator: "/").map(String.init)
        for part in relative { try Self.checkComponent(part, what: "path \(path)") }
        guard let realRoot = SimulatorFileTree.realPath(root) else {
            throw SimulatorDataError("the data root \(root) does not exist")
        }
        // Walk down from the root: no existing component may be a symbolic link (it could lead outside).
        var current = root
        for part in relative {
            current += "/" + part
            guard let info = try SimulatorFileTree.status(current) else { break }
            if info.st_mode & S_IFMT == S_IFLNK {
                throw SimulatorDataError(
                    "refusing to touch \(path): \(current) is a symbolic link, not the simulator's own directory")
            }
            if current != path, !SimulatorFileTree.isDirectory(info) {
                throw SimulatorDataError("refusing to touch \(path): \(current) is not a directory")
            }
        }
        if let resolved = SimulatorFileTree.realPath(path), !resolved.hasPrefix(realRoot + "/") {
            throw SimulatorDataError("refusing to touch \(path): it resolves to \(resolved), outside the data root")
        }
    }

    // MARK: Operations

    /// Whether `path` exists as a directory.
    public func directoryExists(_ path: String) -> Bool {
        guard let info = try? SimulatorFileTree.status(path) else { return false }
        return SimulatorFileTree.isDirectory(info)
    }

    /// Creates the empty directory of a new share/volume; it must not exist yet unless `adopt` (seeding, so a demo
    /// can seed shares over directories it prepared) is set.
    public func createDirectory(_ path: String, adopt: Bool = false) throws(SimulatorDataError) {
        try checkOwned(path)
        if let info = try SimulatorFileTree.status(path) {
            guard adopt, SimulatorFileTree.isDirectory(info) else {
                throw SimulatorDataError("the backing directory \(path) exists already")
            }
            return
        }
        try SimulatorFileTree.makeDirectories(path)
    }

    /// Freezes the tree at `live` into `snapshot` (which must not exist); paths in `excluding` are left out.
    public func snapshot(_ live: String, to snapshot: String, excluding: Set<String> = [])
        throws(SimulatorDataError)
    {
        try checkOwned(live)
        try checkOwned(snapshot)
        guard directoryExists(live) else {
            throw SimulatorDataError("the backing directory \(live) is missing; cannot take a snapshot")
        }
        try SimulatorFileTree.makeDirectories((snapshot as NSString).deletingLastPathComponent)
        try SimulatorFileTree.copyTree(from: live, to: snapshot, excluding: excluding)
    }

    /// Makes the writable clone directory `clone` (which must not exist) from `snapshot`; a snapshot without data
    /// (seeded) gives an empty clone.
    public func clone(_ snapshot: String, to clone: String) throws(SimulatorDataError) {
        try checkOwned(snapshot)
        try checkOwned(clone)
        if try SimulatorFileTree.status(clone) != nil {
            throw SimulatorDataError("the backing directory \(clone) exists already")
        }
        try SimulatorFileTree.makeDirectories((clone as NSString).deletingLastPathComponent)
        guard directoryExists(snapshot) else {
            try SimulatorFileTree.makeDirectories(clone)
            return
        }
        try SimulatorFileTree.copyTree(from: snapshot, to: clone)
    }

    /// Removes the simulator's own directory `path` and everything below it (nothing when it does not exist).
    public func remove(_ path: String) throws(SimulatorDataError) {
        try checkOwned(path)
        guard let info = try SimulatorFileTree.status(path) else { return }
        guard SimulatorFileTree.isDirectory(info) else {
            throw SimulatorDataError("refusing to remove \(path): it is not a directory")
        }
        try SimulatorFileTree.removeTree(path)
    }

    /// Moves a volume's directory (ONTAP junction path changes); a missing source gives an empty destination.
    public func move(_ source: String, to destination: String) throws(SimulatorDataError) {
        guard source != destination else { return }
        try checkOwned(source)
        try checkOwned(destination)
        if try SimulatorFileTree.status(destination) != nil {
            throw SimulatorDataError("the backing directory \(destination) exists already")
        }
        try SimulatorFileTree.makeDirectories((destination as NSString).deletingLastPathComponent)
        guard directoryExists(source) else {
            try SimulatorFileTree.makeDirectories(destination)
            return
        }
        guard rename(source, destination) == 0 else { throw .system("rename", source, errno) }
    }
}
