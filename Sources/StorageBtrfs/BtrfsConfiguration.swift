import ConfigModel
import StorageKit

/// The settings of the `btrfs` driver, from `[btrfs]` as one database sees it.
public struct BtrfsConfiguration: StorageSectionConfiguration, Hashable {
    /// `root`, resolved: the directory (on btrfs) holding the live subvolumes, `.snapshots` and `.clones`.
    /// Default: the directory holding the database's backup area (`backupdest`).
    public var root: String
    /// `command`: the `btrfs` executable (default `btrfs` from `PATH`).
    public var command: String
    /// `timeout`: seconds allowed for each `btrfs` command (default 300).
    public var timeout: Duration
    /// `mounthost`: NFS server name for mount strings; `nil` means clones are used as local directories.
    public var mountHost: String?

    /// Settings given directly.
    public init(root: String, command: String = "btrfs", timeout: Duration = .seconds(300), mountHost: String? = nil) {
        self.root = root
        self.command = command
        self.timeout = timeout
        self.mountHost = mountHost
    }

    /// Reads `root` (default: the database's backup root), `command`, `timeout` and `mounthost`.
    /// - Throws: every problem at once: no root, a timeout that is not a positive number of seconds, a broken
    ///   value.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let root = problems.read(nil) { () throws(ConfigError) in try section.path("root") } ?? database.backupRoot
        if root == nil, problems.isEmpty {
            problems.add(
                section.problem("root", "set root in [\(section.name)] (or backupdest) for database \(database.name)"))
        }
        let command = problems.read(nil) { () throws(ConfigError) in try section.string("command") }
        let timeout = problems.read(nil) { () throws(ConfigError) in try section.seconds("timeout") }
        let mountHost = problems.read(nil) { () throws(ConfigError) in try section.string("mounthost") }
        try problems.check()
        self.init(
            root: root ?? "", command: command ?? "btrfs", timeout: timeout ?? .seconds(300), mountHost: mountHost)
    }
}
