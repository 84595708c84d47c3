import ConfigModel
import Foundation
import StorageKit

/// The settings of the Huawei OceanStor Dorado driver, from `[huaweidorado]` as one database sees it
/// (`huaweidoradovstore` in `[orcl]` overrides `vstore` for that database).
public struct HuaweiDoradoConfiguration: StorageSectionConfiguration, Hashable {
    /// `url` (e.g. `https://dorado01:8088`; `/deviceManager/rest` is appended), `cacert`, `insecure`,
    /// `allowplainhttp`, `timeout` (seconds per request, default 300), `retries` and `retrybackoff`.
    public var connection: ApplianceConnectionSettings
    /// `vstore`: the vStore holding one file system per database (matched exactly, case included).
    public var vstore: String
    /// `mounthost`: the host part of mount strings (a logical port of the vStore).
    public var mountHost: String
    /// `restorenfsclient`: the NFS client (host name, IP address or `@netgroup`) granted read-write access to new
    /// clones and volumes.
    public var restoreNFSClient: String
    /// `maxnamelength`: the longest snapshot name the array accepts (default 31, the limit Huawei's API reports
    /// with error 1077949103; unverified for file-system snapshots), checked before anything is sent.
    public var maxNameLength: Int

    /// The default of `maxnamelength`.
    public static let defaultMaxNameLength = 31

    /// Settings given directly.
    public init(
        connection: ApplianceConnectionSettings, vstore: String, mountHost: String, restoreNFSClient: String,
        maxNameLength: Int = HuaweiDoradoConfiguration.defaultMaxNameLength
    ) {
        self.connection = connection
        self.vstore = vstore
        self.mountHost = mountHost
        self.restoreNFSClient = restoreNFSClient
        self.maxNameLength = maxNameLength
    }

    /// Reads the settings; every problem at once, each naming file, section and key. Refused besides the
    /// connection settings' own problems: a `url` that is not `http[s]://host[:port]`, a `restorenfsclient` or
    /// `mounthost` with blanks or commas, a `maxnamelength` outside 16…255, and a database whose snapshot names
    /// (`<db>-YYYYmmddTHHMMSS`) would be longer than `maxnamelength`.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let connection = problems.read(nil) { () throws(ConfigError) in
            try ApplianceConnectionSettings(
                section: section, endpointKey: "url", credentialsFile: HuaweiDoradoDriver.descriptor.credentials?.file)
        }
        if let address = (try? section.string("url")) ?? nil, let problem = HuaweiDoradoDriver.urlProblem(address) {
            problems.add(section.problem("url", problem))
        }
        let vstore = problems.read("") { () throws(ConfigError) in try section.requiredString("vstore") }
        let mountHost = problems.read("") { () throws(ConfigError) in try section.requiredString("mounthost") }
        let client = problems.read("") { () throws(ConfigError) in try section.requiredString("restorenfsclient") }
        for (key, value) in [("mounthost", mountHost), ("restorenfsclient", client)]
        where value.contains(where: { $0.isWhitespace || $0 == "," }) {
            problems.add(
                section.problem(key, "'\(value)' must be one host name, IP address or @netgroup (no blanks or commas)"))
        }
        let limit =
            problems.read(nil) { () throws(ConfigError) in try section.int("maxnamelength", in: 16...255) }
            ?? Self.defaultMaxNameLength
        let longest = HuaweiDoradoDriver.snapshotNameLength(database: database.name)
        if longest > limit {
            problems.add(
                section.problem(
                    "maxnamelength",
                    "database \(database.name) gives snapshot names of \(longest) characters (<db>-YYYYmmddTHHMMSS), "
                        + "more than the \(limit) the array accepts; use a database section name of at most "
                        + "\(limit - 16) characters, or raise maxnamelength if your array accepts longer snapshot names"
                ))
        }
        try problems.check()
        guard let connection else { throw ConfigError(problems.problems) }
        self.init(
            connection: connection, vstore: vstore, mountHost: mountHost, restoreNFSClient: client,
            maxNameLength: limit)
    }

    /// The WARNING of a plain-HTTP URL that was allowed.
    public var warnings: [String] { connection.warnings }
}
