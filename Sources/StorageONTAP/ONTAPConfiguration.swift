import ConfigModel
import Foundation
import StorageKit

/// The settings of the ONTAP driver, from `[netapp]` as one database sees it; the `[netapp]` section of
/// `netappcredentials.cfg` wins over `backup.cfg`, as in the original.
public struct ONTAPConfiguration: StorageSectionConfiguration, Hashable {
    /// `filer` (`host`, `host:port` or `https://host[:port]`; a bare host means HTTPS), `cacert`, `insecure`,
    /// `allowplainhttp`, `timeout` (seconds per request, default 300) and `retries` (1–10, default 3).
    public var connection: ApplianceConnectionSettings
    /// `volumeprefix`: the database's volume is `<volumeprefix><db>`; may be empty.
    public var volumePrefix: String
    /// The database's `additionalvolumesuffixes`: further volumes `<volumeprefix><db><suffix>`.
    public var additionalSuffixes: [String]
    /// `svm`: the storage VM, when the cluster has several.
    public var svm: String?
    /// `mounthost`: the NFS server in mount strings; default: the filer's host.
    public var mountHost: String?
    /// `jobtimeout`: seconds to wait for an asynchronous job (default 300).
    public var jobTimeout: Duration
    /// `aggregate`, `volumesize`, `junctionparent`, `exportpolicy`: what `createVolume` needs.
    public var volumeCreation: ONTAPDriver.VolumeCreation
    /// `ontapapi`: `rest`, `zapi` or `auto` (the default: REST when the cluster answers it, else ZAPI).
    public var api: ONTAPDriver.API
    /// The SnapMirror keys (`snapmirrorrelationship`, `snapmirrorlabel`, `snapmirrortype`): read only when the
    /// section is `[replication]` (the replica's settings), `nil` otherwise.
    public var snapMirror: ONTAPSnapMirrorSettings?
    /// The `snapmirror_label` new snapshots get: `snapmirrorlabel` of `[replication]` when the database replicates
    /// through SnapMirror (so that even a transfer ONTAP schedules itself finds them labelled); `nil` otherwise.
    public var snapMirrorLabel: String?

    /// Settings given directly.
    public init(
        connection: ApplianceConnectionSettings, volumePrefix: String = "", additionalSuffixes: [String] = [],
        svm: String? = nil, mountHost: String? = nil, jobTimeout: Duration = .seconds(300),
        volumeCreation: ONTAPDriver.VolumeCreation = ONTAPDriver.VolumeCreation(), api: ONTAPDriver.API = .auto
    ) {
        self.connection = connection
        self.volumePrefix = volumePrefix
        self.additionalSuffixes = additionalSuffixes
        self.svm = svm
        self.mountHost = mountHost
        self.jobTimeout = jobTimeout
        self.volumeCreation = volumeCreation
        self.api = api
    }

    /// Reads the settings; every problem at once, each naming file, section and key.
    public init(section: ConfigSection, database: StorageDatabase) throws(ConfigError) {
        let problems = ProblemCollector()
        let connection = problems.read(nil) { () throws(ConfigError) in
            try ApplianceConnectionSettings(
                section: section, endpointKey: "filer", credentialsFile: ONTAPDriver.descriptor.credentials?.file)
        }
        if let address = (try? section.string("filer")) ?? nil, let problem = ONTAPDriver.filerProblem(address) {
            problems.add(section.problem("filer", problem))
        }
        let volumePrefix = problems.read("") { () throws(ConfigError) in
            try section.requiredString("volumeprefix", allowingEmpty: true)
        }
        func string(_ key: String) -> String? {
            problems.read(nil) { () throws(ConfigError) in try section.string(key) }
        }
        var size: Int64?
        if let text = string("volumesize") {
            size = ONTAPWire.parseSize(text)
            if size == nil {
                problems.add(section.problem("volumesize", "must be a size such as 500G or 2T, not '\(text)'"))
            }
        }
        let creation = ONTAPDriver.VolumeCreation(
            aggregate: string("aggregate"), size: size, junctionParent: string("junctionparent") ?? "",
            exportPolicy: string("exportpolicy") ?? "default")
        let svm = string("svm")
        let mountHost = string("mounthost")
        let jobTimeout = problems.read(nil) { () throws(ConfigError) in try section.seconds("jobtimeout") }
        var api = ONTAPDriver.API.auto
        if let text = string("ontapapi") {
            if let value = ONTAPDriver.API(rawValue: text.lowercased()) {
                api = value
            } else {
                problems.add(section.problem("ontapapi", "must be rest, zapi or auto, not '\(text)'"))
            }
        }
        if api == .zapi, database.snapshotLockDays > 0 {
            problems.add(
                section.problem(
                    "ontapapi",
                    "zapi cannot lock snapshots, but snaplockdays is \(database.snapshotLockDays) for \(database.name) (locks need ONTAP's REST API, 9.12.1+ with SnapLock): set ontapapi: rest, or snaplockdays: 0"
                ))
        }
        var snapMirror: ONTAPSnapMirrorSettings?
        var label: String?
        if section.name.lowercased() != "replication" {
            label = ONTAPSnapMirrorSettings.creationLabel(replication: section.sibling("replication"))
        } else {
            snapMirror = problems.read(nil) { () throws(ConfigError) -> ONTAPSnapMirrorSettings? in
                try ONTAPSnapMirrorSettings(section: section)
            }
            if api == .zapi {
                problems.add(
                    section.problem("ontapapi", "SnapMirror replication needs ONTAP's REST API: set ontapapi: rest"))
            }
        }
        try problems.check()
        guard let connection else { throw ConfigError(problems.problems) }
        self.init(
            connection: connection, volumePrefix: volumePrefix, additionalSuffixes: database.additionalVolumeSuffixes,
            svm: svm, mountHost: mountHost, jobTimeout: jobTimeout ?? .seconds(300), volumeCreation: creation, api: api)
        self.snapMirror = snapMirror
        self.snapMirrorLabel = label
    }

    /// The WARNING of a plain-HTTP filer that was allowed; in `[replication]`, that of retention keys for a mirror.
    public var warnings: [String] { connection.warnings + (snapMirror?.retentionWarning.map { [$0] } ?? []) }
}
