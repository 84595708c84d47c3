/// Which storage driver a database uses, from `snappermodule`/`snapperclass` (reference §3.5).
public enum StorageDriverKind: String, Sendable, CaseIterable, Codable {
    case zfssa
    case ontap
    case softnas
    case huaweiDorado = "huaweidorado"
    case btrfs
    case localfs

    /// The original's module names (and our new ones) → driver; the value of `snappermodule`.
    static let modules: [String: StorageDriverKind] = [
        "zfssa": .zfssa, "netapp": .ontap, "ontap": .ontap, "softnas": .softnas, "huawei": .huaweiDorado,
        "huaweidorado": .huaweiDorado, "btrfs": .btrfs, "localfs": .localfs,
    ]

    /// The class names the original expected with each module (`snapperclass`); compared case-insensitively.
    var acceptedClassNames: Set<String> {
        switch self {
        case .zfssa: ["zfssa"]
        case .ontap: ["netapp", "ontap"]
        case .softnas: ["softnas"]
        case .huaweiDorado: ["huaweidorado"]
        case .btrfs: ["btrfs"]
        case .localfs: ["localfs"]
        }
    }

    /// The setting holding the appliance's address (`nil` for the local drivers).
    public var endpointKey: String? {
        switch self {
        case .zfssa, .huaweiDorado: "url"
        case .ontap: "filer"
        case .softnas: "serveraddress"
        case .btrfs, .localfs: nil
        }
    }

    /// The configuration section holding this driver's shared settings.
    public var sectionName: String {
        switch self {
        case .zfssa: "zfssa"
        case .ontap: "netapp"
        case .softnas: "softnas"
        case .huaweiDorado: "huaweidorado"
        case .btrfs: "btrfs"
        case .localfs: "localfs"
        }
    }
}

/// Credentials for an appliance, loaded from its credentials file (never from backup.cfg).
public struct StorageCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The appliance user.
    public var user: String
    /// The appliance password; never printed.
    public var password: String
    /// The file or source the credentials came from, for messages.
    public var source: String
    /// What is allowed but unwise about the source (a credentials file readable by group or others), to log as a
    /// WARNING; never contains the password.
    public var warnings: [String]

    /// Credentials read from `source`.
    public init(user: String, password: String, source: String, warnings: [String] = []) {
        self.user = user
        self.password = password
        self.source = source
        self.warnings = warnings
    }

    /// Never prints the password.
    public var description: String { "\(user)/**** (from \(source))" }
}

/// The storage settings of one database.
public struct StorageSettings: Sendable, Equatable {
    /// The driver named by the configuration; `nil` when none is set.
    public var driver: StorageDriverKind?
    /// Every setting of the driver's section as seen from the database (prefixed overrides applied), plus
    /// the credentials file's overrides for NetApp. Keys are lower-case, without prefix.
    public var values: [String: String]
    /// TLS: CA file for the appliance (resolved path), or nil for the system store.
    public var caFile: String?
    /// TLS verification is on unless `insecure: true` is set explicitly (a WARNING is logged every run).
    public var insecureTLS: Bool
    /// The endpoint key (``StorageDriverKind/endpointKey``) when its value is a plain `http://` URL, which would
    /// send the appliance credentials unencrypted.
    public var plainHTTPKey: String?
    /// `allowplainhttp: TRUE`: a plain `http://` endpoint is accepted (a WARNING is logged every run).
    public var allowPlainHTTP: Bool

    /// Storage settings; TLS verification on and plain HTTP refused by default.
    public init(
        driver: StorageDriverKind?, values: [String: String] = [:], caFile: String? = nil,
        insecureTLS: Bool = false, plainHTTPKey: String? = nil, allowPlainHTTP: Bool = false
    ) {
        self.driver = driver
        self.values = values
        self.caFile = caFile
        self.insecureTLS = insecureTLS
        self.plainHTTPKey = plainHTTPKey
        self.allowPlainHTTP = allowPlainHTTP
    }

    /// True when `endpoint` is an `http://` URL (any case): credentials would travel in clear text.
    public static func isPlainHTTP(_ endpoint: String) -> Bool {
        endpoint.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("http://")
    }

    /// True when the authority of the URL `endpoint` carries a password (`scheme://user:password@host`).
    public static func hasPasswordInURL(_ endpoint: String) -> Bool {
        guard let scheme = endpoint.range(of: "://") else { return false }
        let authority = endpoint[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// The keys of each driver's section (reference §3.5 plus our additions), and which are required.
    static func keys(for driver: StorageDriverKind) -> (required: [String], optional: [String]) {
        switch driver {
        case .zfssa:
            (
                ["url", "pool", "project"],
                ["cacert", "insecure", "apiversion", "timeout", "authentication", "retries", "mounthost"]
            )
        case .ontap:
            (
                ["filer", "volumeprefix"],
                [
                    "mounthost", "cacert", "insecure", "timeout", "jobtimeout", "svm", "retries", "aggregate",
                    "volumesize",
                    "junctionparent", "exportpolicy",
                ]
            )
        case .softnas: (["serveraddress", "pool"], ["cacert", "insecure", "timeout"])
        case .huaweiDorado: (["url", "vstore", "mounthost", "restorenfsclient"], ["cacert", "insecure", "timeout"])
        case .btrfs: ([], ["root", "mounthost", "timeout", "command"])
        case .localfs: ([], ["root", "mounthost"])
        }
    }
}
