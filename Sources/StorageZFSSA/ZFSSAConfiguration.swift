import ConfigModel
import Foundation
import StorageKit

/// The settings of the ZFSSA driver, from `[zfssa]` as one database sees it (`zfssapool` in `[orcl]` overrides
/// `pool` for that database).
public struct ZFSSAConfiguration: StorageSectionConfiguration, Hashable {
    /// `url` (e.g. `https://zfssa01:215`), `cacert`, `insecure`, `allowplainhttp`, `timeout` (seconds per request,
    /// default 300) and `retries` (attempts for idempotent calls, 1–10, default 3).
    public var connection: ApplianceConnectionSettings
    /// `pool`: the storage pool of the project.
    public var pool: String
    /// `project`: the project holding one share per database.
    public var project: String
    /// `apiversion`: the REST API version in paths, `1` (the original's, default) or `2`; `v2` is accepted too.
    public var apiVersion: Int
    /// `authentication`: `basic` (default, as the original) or `session`.
    public var authentication: ZFSSAAuthentication
    /// `mounthost`: the host part of mount strings; default: the URL's host.
    public var mountHost: String?
    /// Read from `[replication]` only: the replication action and the package at the replica
    /// (``ZFSSAReplicationSettings``); `nil` for `[zfssa]`.
    public var replication: ZFSSAReplicationSettings?

    /// Settings given directly.
    public init(
        connection: ApplianceConnectionSettings, pool: String, project: String, apiVersion: Int = 1,
        authentication: ZFSSAAuthentication = .basic, mountHost: String? = nil
    ) {
        self.connection = connection
        self.pool = pool
        self.project = project
        self.apiVersion = apiVersion
        self.authentication = authentication
        self.mountHost = mountHost
    }

    /// Reads the settings; every problem at once, each naming file, section and key.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let connection = problems.read(nil) { () throws(ConfigError) in
            try ApplianceConnectionSettings(
                section: section, endpointKey: "url", credentialsFile: ZFSSADriver.descriptor.credentials?.file)
        }
        if let address = (try? section.string("url")) ?? nil, let problem = ZFSSADriver.urlProblem(address) {
            problems.add(section.problem("url", problem))
        }
        let pool = problems.read("") { () throws(ConfigError) in try section.requiredString("pool") }
        let project = problems.read("") { () throws(ConfigError) in try section.requiredString("project") }
        var apiVersion = 1
        if let text = problems.read(nil, { () throws(ConfigError) in try section.string("apiversion") }) {
            if let parsed = Int(text.trimmingCharacters(in: .init(charactersIn: "vV "))), parsed == 1 || parsed == 2 {
                apiVersion = parsed
            } else {
                problems.add(section.problem("apiversion", "must be 1 or 2, not '\(text)'"))
            }
        }
        var authentication = ZFSSAAuthentication.basic
        if let text = problems.read(nil, { () throws(ConfigError) in try section.string("authentication") }) {
            if let parsed = ZFSSAAuthentication(rawValue: text.lowercased()) {
                authentication = parsed
            } else {
                problems.add(section.problem("authentication", "must be basic or session, not '\(text)'"))
            }
        }
        let mountHost = problems.read(nil) { () throws(ConfigError) in try section.string("mounthost") }
        var replication: ZFSSAReplicationSettings?
        if section.name == ZFSSAReplicationSettings.sectionName {
            replication = problems.read(nil) { () throws(ConfigError) in
                try ZFSSAReplicationSettings(section: section)
            }
        }
        try problems.check()
        guard let connection else { throw ConfigError(problems.problems) }
        self.init(
            connection: connection, pool: pool, project: project, apiVersion: apiVersion,
            authentication: authentication, mountHost: mountHost)
        self.replication = replication
    }

    /// The WARNING of a plain-HTTP URL that was allowed.
    public var warnings: [String] { connection.warnings }
}

/// The ZFSSA keys of `[replication]` (per database `replication<key>`): which replication action of the primary
/// appliance brings the replica up to date, and where its package is at the replica appliance. The replica
/// appliance itself is `[replication]`'s `url` (with `cacert`, `insecure`, …, as in `[zfssa]`); its `pool` and
/// `project` are the local project at the replica where clones of replicated snapshots are made.
public struct ZFSSAReplicationSettings: Sendable, Hashable {
    /// `replication`.
    public static let sectionName = "replication"

    /// `action`: the id of the replication action (on the primary appliance) that replicates the database's project
    /// or share; required.
    public var action: String
    /// `package`: the id of the replication package at the replica appliance; default: the replica's only package
    /// holding a project named like the primary's (narrowed by ``sourceName``).
    public var package: String?
    /// `sourcename`: the replication source (the primary appliance's name) the package comes from, when the
    /// replica receives from several appliances.
    public var sourceName: String?

    /// Settings given directly.
    public init(action: String, package: String? = nil, sourceName: String? = nil) {
        self.action = action
        self.package = package
        self.sourceName = sourceName
    }

    /// Reads `action`, `package` and `sourcename`; every problem at once, each naming file, section and key.
    public init(section: ConfigSection) throws(ConfigError) {
        let problems = ProblemCollector()
        func identifier(_ key: String, required: Bool) -> String? {
            problems.read(nil) { () throws(ConfigError) -> String? in
                guard let text = try section.string(key)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                    if required {
                        throw section.error(
                            key,
                            "required for driver zfssa: the id of the replication action on the primary appliance (Configuration > Services > Remote Replication, or GET /api/storage/v1/replication/actions)"
                        )
                    }
                    return nil
                }
                guard text.count <= 200, !text.contains("/"), !text.contains(where: \.isWhitespace) else {
                    throw section.error(key, "'\(text)' is not an appliance id (no '/', no blanks)")
                }
                return text
            }
        }
        let action = identifier("action", required: true)
        let package = identifier("package", required: false)
        let sourceName = identifier("sourcename", required: false)
        try problems.check()
        self.init(action: action ?? "", package: package, sourceName: sourceName)
    }
}
