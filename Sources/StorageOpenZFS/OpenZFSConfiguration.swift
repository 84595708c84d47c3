import ConfigModel
import StorageKit

/// The settings of the `openzfs` driver, from `[openzfs]` as one database sees it.
public struct OpenZFSConfiguration: StorageSectionConfiguration, Hashable {
    /// `dataset`: the parent file system (e.g. `tank/backup`); the database's backup area is `<dataset>/<db>` and
    /// its clones are `<dataset>/<clone>`.
    public var dataset: String
    /// `zfs`: the command as words, e.g. `["zfs"]` (default) or `["sudo", "-n", "zfs"]`.
    public var command: [String]
    /// `timeout`: seconds allowed for each `zfs` command (default 300).
    public var timeout: Duration
    /// `mounthost`: NFS server name for mount strings (`<mounthost>:<mountpoint>`); `nil` means clones are used
    /// where they are mounted on this host.
    public var mountHost: String?
    /// `sharenfs`: the `sharenfs` property given to each new clone (e.g. `on` or `rw=@10.0.0.0/8`); `nil` leaves it
    /// inherited from `dataset`.
    public var shareNFS: String?

    /// Settings given directly.
    public init(
        dataset: String, command: [String] = ["zfs"], timeout: Duration = .seconds(300), mountHost: String? = nil,
        shareNFS: String? = nil
    ) {
        self.dataset = dataset
        self.command = command
        self.timeout = timeout
        self.mountHost = mountHost
        self.shareNFS = shareNFS
    }

    /// Reads `dataset` (required), `zfs`, `timeout`, `mounthost` and `sharenfs`.
    /// - Throws: every problem at once, each naming the section and key: no dataset, a dataset that is not a ZFS
    ///   file system name, an empty `zfs`, a timeout that is not a positive number of seconds.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let dataset = problems.read(nil) { () throws(ConfigError) in try section.string("dataset") }
        if dataset == nil, problems.isEmpty {
            problems.add(
                section.problem(
                    "dataset", "set dataset in [\(section.name)] (the parent file system, e.g. tank/backup)"))
        } else if let dataset, !Self.isDatasetName(dataset) {
            problems.add(
                section.problem(
                    "dataset",
                    "'\(dataset)' is not a ZFS file system name (pool/fs..., letters, digits and _ . : - only, no @ or #)"
                ))
        }
        let commandText = problems.read(nil) { () throws(ConfigError) in try section.string("zfs") }
        let command = commandText.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
        if let command, command.isEmpty {
            problems.add(section.problem("zfs", "zfs is empty; give the command, e.g. zfs or sudo -n zfs"))
        }
        let timeout = problems.read(nil) { () throws(ConfigError) in try section.seconds("timeout") }
        let mountHost = problems.read(nil) { () throws(ConfigError) in try section.string("mounthost") }
        let shareNFS = problems.read(nil) { () throws(ConfigError) in try section.string("sharenfs") }
        try problems.check()
        self.init(
            dataset: dataset ?? "", command: command ?? ["zfs"], timeout: timeout ?? .seconds(300),
            mountHost: mountHost, shareNFS: shareNFS)
    }

    /// Whether `name` is a file system name: `/`-separated non-empty components of `[A-Za-z0-9_.:-]`.
    public static func isDatasetName(_ name: String) -> Bool {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty
            && components.allSatisfy { component in
                !component.isEmpty && component != "." && component != ".."
                    && component.unicodeScalars.allSatisfy { scalar in
                        scalar.isASCII
                            && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                                || "_.:-".unicodeScalars.contains(scalar))
                    }
            }
    }
}
