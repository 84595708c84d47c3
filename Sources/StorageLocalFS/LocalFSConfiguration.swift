import ConfigModel
import StorageKit

/// The settings of the `localfs` driver, from `[localfs]` as one database sees it.
public struct LocalFSConfiguration: StorageSectionConfiguration, Hashable {
    /// `root`, resolved: the directory holding the live areas, `.snapshots` and `.clones`. Default: the directory
    /// holding the database's backup area (`backupdest`).
    public var root: String
    /// `mounthost`: NFS server name for mount strings; `nil` means clones are used as local directories.
    public var mountHost: String?

    /// Settings given directly.
    public init(root: String, mountHost: String? = nil) {
        self.root = root
        self.mountHost = mountHost
    }

    /// Reads `root` (default: the database's backup root) and `mounthost`.
    /// - Throws: when neither `root` nor `backupdest` is set, or a value cannot be read.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let root = problems.read(nil) { () throws(ConfigError) in try section.path("root") } ?? database.backupRoot
        let mountHost = problems.read(nil) { () throws(ConfigError) in try section.string("mounthost") }
        if root == nil, problems.isEmpty {
            problems.add(
                section.problem("root", "set root in [\(section.name)] (or backupdest) for database \(database.name)"))
        }
        try problems.check()
        self.init(root: root ?? "", mountHost: mountHost)
    }
}
