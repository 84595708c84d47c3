import ConfigModel
import Foundation
import StorageKit

/// The settings of the SoftNAS driver, from `[softnas]` as one database sees it (`softnaspool` in `[orcl]` overrides
/// `pool` for that database). The keys are the original's (`serveraddress`, `pool`), plus the TLS, timeout and
/// retry keys every appliance section has.
public struct SoftNASConfiguration: StorageSectionConfiguration, Hashable {
    /// `serveraddress` (the appliance's host, `host:port`, or `https://host[:port]`), `cacert`, `insecure`,
    /// `allowplainhttp`, `timeout` (seconds per request, default 300), `retries` and `retrybackoff`.
    public var connection: ApplianceConnectionSettings
    /// `pool`: the storage pool holding one volume per database.
    public var pool: String

    /// Settings given directly.
    public init(connection: ApplianceConnectionSettings, pool: String) {
        self.connection = connection
        self.pool = pool
    }

    /// Reads the settings; every problem at once, each naming file, section and key.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let connection = problems.read(nil) { () throws(ConfigError) in
            try ApplianceConnectionSettings(
                section: section, endpointKey: "serveraddress",
                credentialsFile: SoftNASDriver.descriptor.credentials?.file)
        }
        if let address = (try? section.string("serveraddress")) ?? nil,
            !ApplianceConnectionSettings.hasPasswordInURL(address),
            let problem = SoftNASDriver.serverAddressProblem(address)
        {
            problems.add(section.problem("serveraddress", problem))
        }
        let pool = problems.read("") { () throws(ConfigError) in try section.requiredString("pool") }
        if !pool.isEmpty, let problem = SoftNASDriver.poolProblem(pool) {
            problems.add(section.problem("pool", problem))
        }
        try problems.check()
        guard let connection else { throw ConfigError(problems.problems) }
        self.init(connection: connection, pool: pool)
    }

    /// `https://<serveraddress>/softnas`: where `login.php`, `snserver/snserv.php` and `logout.php` are.
    public var baseURL: String { SoftNASDriver.baseURL(serverAddress: connection.endpoint) }

    /// The WARNING of a plain-HTTP address that was allowed.
    public var warnings: [String] { connection.warnings }
}
