import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The autorestore work directory (`autorestoredestination`). It must be a directory of its own (R-32): never a
/// system, temporary or home directory, nothing everybody may write to, and never a non-empty directory without the
/// marker file the tool leaves in it. Inside it the tool removes only what it created: every name it creates there is
/// recorded in a manifest beside the marker *before* it is created, and the start of the next restore removes
/// exactly those names. Anything else (files of other jobs) is left alone.
public enum WorkDirectory {
    /// The marker file that makes a directory the tool's work directory; created when an empty directory is first used.
    public static let markerFileName = ".oib-autorestore-workdir"
    /// The manifest beside the marker: the names the tool created in the directory, each recorded before it is created.
    public static let manifestFileName = ".oib-autorestore-manifest"
    /// The configuration key the directory comes from, named in every refusal.
    public static let key = "autorestoredestination"
    /// What the tool writes (or has Oracle write) with the built-in templates. A marked directory without a
    /// manifest was emptied completely by versions before the manifest, so these names are taken over from it.
    static let namesBeforeManifest = ["init.ora", "restore.cf", "snapcf.f", "bct.bct", ".oib-instance"]

    /// Why the work directory is not used: its path and the reason.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// The work directory as configured.
        public var path: String
        /// Why it is refused (shared, world-writable, foreign content, unreadable, a name it did not create).
        public var reason: String
        public var description: String {
            "\(WorkDirectory.key) \(path): refusing to use it as the autorestore work directory: \(reason)"
        }
    }

    /// What ``prepare(_:homeDirectories:passwdFile:)`` did.
    public struct Preparation: Sendable, Equatable {
        /// Names removed (recorded by earlier runs).
        public var removed: [String] = []
        /// Names left alone because this tool did not create them.
        public var kept: [String] = []
        /// True when a marked directory had no manifest yet and the built-in names were taken over.
        public var adoptedWithoutManifest = false
    }

    /// Checks `path`, removes the entries earlier runs recorded in the manifest and keeps (or creates) the marker
    /// and the manifest.
    /// - Parameters:
    ///   - path: the work directory (`autorestoredestination`).
    ///   - homeDirectories: home directories that must never be used besides those of `passwdFile` (the running
    ///     user's and `$HOME`).
    ///   - passwdFile: the user database whose home directories are never used.
    /// - Returns: what was removed and what was left alone.
    /// - Throws: ``Refusal`` when the directory is not one of its own, not ours, or an entry cannot be removed.
    @discardableResult
    public static func prepare(_ path: String, homeDirectories: [String], passwdFile: String = "/etc/passwd")
        throws(Refusal) -> Preparation
    {
        let directory = try checkedDirectory(path, homeDirectories: homeDirectories, passwdFile: passwdFile)
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw Refusal(path: path, reason: "it cannot be read: \(error.localizedDescription)")
        }
        let marked = entries.contains(markerFileName)
        if !entries.isEmpty && !marked {
            throw Refusal(
                path: path,
                reason:
                    "it is not empty and has no \(markerFileName) marker, so it may not be ours; empty it or create the marker"
            )
        }
        var preparation = Preparation()
        var recorded: [String]
        if let manifest = try readManifest(directory, path: path) {
            recorded = manifest
        } else {
            recorded = marked ? namesBeforeManifest.filter(entries.contains) : []
            preparation.adoptedWithoutManifest = marked
        }
        for name in recorded where entries.contains(name) {
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            } catch {
                try writeManifest(recorded, in: directory, path: path)
                throw Refusal(path: path, reason: "cannot remove \(name): \(error.localizedDescription)")
            }
            preparation.removed.append(name)
        }
        recorded.removeAll()
        preparation.kept = entries.filter {
            $0 != markerFileName && $0 != manifestFileName && !preparation.removed.contains($0)
        }.sorted()
        if !marked {
            guard
                FileManager.default.createFile(
                    atPath: directory + "/" + markerFileName,
                    contents: Data(
                        "Work directory of autorestore. At the start of every restore it removes what it created here, as listed in \(manifestFileName); other files are left alone.\n"
                            .utf8))
            else { throw Refusal(path: path, reason: "cannot create the marker file (permissions?)") }
        }
        try writeManifest(recorded, in: directory, path: path)
        return preparation
    }

    /// Removes the entries the manifest records (what runs created here) and empties the manifest; the marker, the
    /// manifest and everything else stay. Used by the clean-up at the end of a run.
    /// - Returns: the names removed.
    /// - Throws: ``Refusal`` when the directory is no longer ours (no marker, not a directory of its own) or an entry
    ///   cannot be removed (the manifest then still lists what is left).
    @discardableResult
    public static func removeRecorded(
        in path: String, homeDirectories: [String] = [], passwdFile: String = "/etc/passwd"
    ) throws(Refusal) -> [String] {
        let directory = try checkedDirectory(path, homeDirectories: homeDirectories, passwdFile: passwdFile)
        guard FileManager.default.fileExists(atPath: directory + "/" + markerFileName) else {
            throw Refusal(path: path, reason: "it has no \(markerFileName) marker any more")
        }
        guard var recorded = try readManifest(directory, path: path) else { return [] }
        var removed: [String] = []
        for name in recorded {
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0 else { continue }
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            } catch {
                recorded.removeAll { removed.contains($0) }
                try writeManifest(recorded, in: directory, path: path)
                throw Refusal(path: path, reason: "cannot remove \(name): \(error.localizedDescription)")
            }
            removed.append(name)
        }
        try writeManifest([], in: directory, path: path)
        return removed
    }

    /// Records `names` (entries directly in the work directory) in the manifest before the tool creates them.
    /// - Throws: ``Refusal`` when a name exists already but was not recorded: it belongs to someone else and is
    ///   never overwritten.
    public static func claim(_ names: some Sequence<String>, in path: String) throws(Refusal) {
        let directory = SharedDirectories.resolved(path)
        var recorded = try readManifest(directory, path: path) ?? []
        var changed = false
        for name in names where !recorded.contains(name) {
            guard isEntryName(name) else {
                throw Refusal(path: path, reason: "'\(name)' is not a name directly inside the work directory")
            }
            var info = stat()
            if lstat(directory + "/" + name, &info) == 0 {
                throw Refusal(
                    path: path,
                    reason:
                        "\(name) exists there but autorestore did not create it (it is not in \(manifestFileName)); it is never overwritten: move it away"
                )
            }
            recorded.append(name)
            changed = true
        }
        if changed { try writeManifest(recorded, in: directory, path: path) }
    }

    /// True when `path` passes the checks of location and permissions and carries this tool's marker: only then is
    /// what an earlier run recorded in it (the SID of its instance) trusted.
    public static func isOurs(_ path: String, homeDirectories: [String], passwdFile: String = "/etc/passwd") -> Bool {
        guard let directory = try? checkedDirectory(path, homeDirectories: homeDirectories, passwdFile: passwdFile)
        else { return false }
        return FileManager.default.fileExists(atPath: directory + "/" + markerFileName)
    }

    /// The names the manifest records, `nil` when there is none.
    public static func recordedNames(in path: String) throws(Refusal) -> [String]? {
        try readManifest(SharedDirectories.resolved(path), path: path)
    }

    /// The path resolved, after the checks of location and permissions.
    static func checkedDirectory(_ path: String, homeDirectories: [String], passwdFile: String) throws(Refusal)
        -> String
    {
        if let reason = SharedDirectories.reason(for: path, homeDirectories: homeDirectories, passwdFile: passwdFile) {
            throw Refusal(path: path, reason: reason)
        }
        let directory = SharedDirectories.resolved(path)
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Refusal(path: path, reason: "it does not exist or is not a directory")
        }
        if info.st_mode & S_ISVTX != 0 {
            throw Refusal(
                path: path, reason: "it has the sticky bit, so it is a directory shared by several users")
        }
        if info.st_mode & S_IWOTH != 0 {
            throw Refusal(path: path, reason: "it is world-writable, so other users' files may be in it")
        }
        return directory
    }

    /// A single path component that is neither `.`, `..` nor one of the tool's own bookkeeping files.
    static func isEntryName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".." && name != markerFileName
            && name != manifestFileName && !name.contains("\n")
    }

    static func readManifest(_ directory: String, path: String) throws(Refusal) -> [String]? {
        let file = directory + "/" + manifestFileName
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Refusal(path: path, reason: "its \(manifestFileName) cannot be read")
        }
        var names: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line)
            if isEntryName(name), !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Writes the manifest through a temporary file and a rename, so it is never half written.
    static func writeManifest(_ names: [String], in directory: String, path: String) throws(Refusal) {
        let text =
            "# Created by autorestore in this directory; removed at the start of the next restore.\n"
            + names.map { $0 + "\n" }.joined()
        let file = directory + "/" + manifestFileName
        let temporary = file + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)),
            rename(temporary, file) == 0
        else {
            unlink(temporary)
            throw Refusal(path: path, reason: "cannot write \(manifestFileName) (permissions?)")
        }
    }
}
