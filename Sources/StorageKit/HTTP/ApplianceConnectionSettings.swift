import ConfigModel
import Foundation
import Logging

/// How to reach one storage appliance, read from its section: the address (`url`, `filer`, …), the TLS trust
/// (`cacert`, `insecure`), the plain-HTTP opt-in (`allowplainhttp`), the deadline per request (`timeout`), the
/// attempts for idempotent requests (`retries`) and the pause before the first retry (`retrybackoff`).
///
/// Each appliance driver's configuration holds one; the driver builds its transport from
/// ``transportOptions(vendor:logger:)`` and its HTTP client from ``timeout`` and ``retryPolicy``.
public struct ApplianceConnectionSettings: Sendable, Hashable {
    /// The section it was read from, for messages (e.g. `zfssa`).
    public var section: String
    /// The key holding the address (e.g. `url`, `filer`).
    public var endpointKey: String
    /// The appliance's address as configured.
    public var endpoint: String
    /// `cacert`, resolved: a PEM file of CA (or self-signed) certificates trusted besides the system store. A bare
    /// file name is looked for in `certs/` beside the configuration, as the original did.
    public var caFile: String?
    /// `insecure: TRUE`: certificates are not verified (a WARNING is logged whenever a transport is made).
    public var insecure: Bool
    /// `allowplainhttp: TRUE`: a plain `http://` address is accepted (a WARNING is logged every run).
    public var allowPlainHTTP: Bool
    /// `timeout`: the deadline of each request (default 300 s).
    public var timeout: Duration
    /// `retries`: attempts in total for idempotent requests, 1 to 10 (default 3).
    public var retries: Int
    /// `retrybackoff`: the pause before the first retry, doubled for each further one (default 0.5 s, at most
    /// 60 s). Short by default: a retention run that meets a busy appliance should not wait minutes per snapshot.
    public var retryBackoff: Duration

    /// Settings given directly.
    public init(
        endpoint: String, endpointKey: String = "url", section: String = "", caFile: String? = nil,
        insecure: Bool = false, allowPlainHTTP: Bool = false, timeout: Duration = .seconds(300), retries: Int = 3,
        retryBackoff: Duration = .milliseconds(500)
    ) {
        self.section = section
        self.endpointKey = endpointKey
        self.endpoint = endpoint
        self.caFile = caFile
        self.insecure = insecure
        self.allowPlainHTTP = allowPlainHTTP
        self.timeout = timeout
        self.retries = retries
        self.retryBackoff = retryBackoff
    }

    /// Reads the settings from `section`, with the address under `endpointKey`.
    ///
    /// Refused: a missing address, a password in it (`user:password@`; the value is never repeated), a plain
    /// `http://` address without `allowplainhttp: TRUE`, flags other than TRUE/FALSE, a timeout that is not a
    /// positive number of seconds, retries outside 1…10, a retry back-off that is not 0 < seconds ≤ 60.
    /// - Parameters:
    ///   - section: the appliance's section as the database sees it.
    ///   - endpointKey: the key holding the address (`url`, `filer`, `serveraddress`).
    ///   - credentialsFile: where the credentials belong, for the password-in-address message.
    ///   - defaultTimeout: the deadline per request when `timeout` is not set.
    /// - Throws: `ConfigError` with every problem, each naming file, section and key.
    public init(
        section: ConfigSection, endpointKey: String, credentialsFile: String? = nil,
        defaultTimeout: Duration = .seconds(300)
    ) throws(ConfigError) {
        let problems = ProblemCollector()
        let endpoint = problems.read("") { () throws(ConfigError) in try section.requiredString(endpointKey) }
        let allowPlainHTTP = problems.read(false) { () throws(ConfigError) in
            try section.bool("allowplainhttp", default: false)
        }
        // The value itself is never repeated in these messages: it may carry a password.
        if Self.hasPasswordInURL(endpoint) {
            problems.add(
                section.problem(
                    endpointKey,
                    "must not contain a password (user:password@); the appliance credentials belong in "
                        + "\(credentialsFile ?? "the credentials file") (value not shown)"))
        }
        if Self.isPlainHTTP(endpoint), !allowPlainHTTP {
            problems.add(
                section.problem(
                    endpointKey,
                    "plain http:// would send the appliance credentials unencrypted; use https://, or set "
                        + "allowplainhttp: TRUE in [\(section.name)] to accept it (a WARNING is then logged every run)"
                ))
        }
        self.init(
            endpoint: endpoint, endpointKey: endpointKey, section: section.name,
            caFile: problems.read(nil) { () throws(ConfigError) in try section.path("cacert", bareNamesIn: "certs") },
            insecure: problems.read(false) { () throws(ConfigError) in try section.bool("insecure", default: false) },
            allowPlainHTTP: allowPlainHTTP,
            timeout: problems.read(nil) { () throws(ConfigError) in try section.seconds("timeout") }
                ?? defaultTimeout,
            retries: problems.read(nil) { () throws(ConfigError) in try section.int("retries", in: 1...10) } ?? 3,
            retryBackoff: problems.read(nil) { () throws(ConfigError) in
                try section.seconds("retrybackoff", maximum: 60)
            } ?? .milliseconds(500))
        try problems.check()
    }

    /// The documentation of the keys this type reads from an appliance's section: the address under
    /// `endpointKey` (required) and `cacert`, `insecure`, `allowplainhttp`, `timeout`, `retries`, `retrybackoff`.
    /// - Parameters:
    ///   - section: the appliance's section, e.g. `zfssa`.
    ///   - endpointKey: the key holding the address.
    ///   - endpointMeaning: what the address is, in one Markdown line.
    ///   - readBy: who reads the section, e.g. `driver zfssa`.
    public static func keyReference(
        section: String, endpointKey: String, endpointMeaning: String, readBy: String
    ) -> [ConfigKeyReference] {
        func key(_ key: String, _ defaultValue: String?, _ meaning: String) -> ConfigKeyReference {
            ConfigKeyReference(
                key, section: section, defaultValue: defaultValue, meaning: meaning, readBy: readBy)
        }
        return [
            ConfigKeyReference(
                endpointKey, section: section, requiredFor: "snapshots",
                meaning: endpointMeaning
                    + " A password in it (`user:password@`) is refused; plain `http://` only with `allowplainhttp: TRUE`.",
                readBy: readBy),
            key(
                "cacert", nil,
                "PEM file of CA (or self-signed) certificates trusted besides the system store; a bare file name is looked for in `certs/` beside the configuration."
            ),
            key("insecure", "FALSE", "`TRUE`: certificates are not verified (a WARNING on every run)."),
            key(
                "allowplainhttp", "FALSE",
                "`TRUE`: accept a plain `http://` address (the credentials travel unencrypted; a WARNING on every run)."
            ),
            key("timeout", "300", "Seconds allowed for each request (at most a year)."),
            key("retries", "3", "Attempts in total for idempotent requests, 1–10."),
            key(
                "retrybackoff", "0.5",
                "Seconds before the first retry, doubled for each further one (at most 60)."),
        ]
    }

    /// True when the address is plain `http://`: the credentials travel unencrypted.
    public var isPlainHTTP: Bool { Self.isPlainHTTP(endpoint) }

    /// Bounded retries of idempotent requests: ``retries`` attempts in total, the first retry after
    /// ``retryBackoff``, each further one after twice the pause before it (at most 16 times ``retryBackoff``).
    public var retryPolicy: HTTPRetryPolicy {
        HTTPRetryPolicy(maxAttempts: retries, initialBackoff: retryBackoff, maxBackoff: retryBackoff * 16)
    }

    /// What the transport is built from; it connects within ``timeout`` or 30 s, whichever is shorter.
    public func transportOptions(vendor: String, logger: Logger) -> HTTPTransportOptions {
        HTTPTransportOptions(
            vendor: vendor, caFile: caFile, insecure: insecure, connectTimeout: min(timeout, .seconds(30)),
            logger: logger)
    }

    /// The WARNING for a plain-HTTP address that was allowed, to log every run.
    public var warnings: [String] {
        guard isPlainHTTP else { return [] }
        return [
            "[\(section)] \(endpointKey) is plain http:// (allowplainhttp: TRUE): the appliance credentials and all data travel unencrypted"
        ]
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

    /// Report lines (`ca file`, `tls verification`, `plain http`) for whatever of `section` can be read.
    static func report(section: ConfigSection, endpointKey: String) -> [(key: String, value: String?)] {
        var lines: [(key: String, value: String?)] = []
        if let caFile = (try? section.path("cacert", bareNamesIn: "certs")) ?? nil { lines.append(("ca file", caFile)) }
        let insecure = (try? section.bool("insecure", default: false)) ?? false
        lines.append(("tls verification", insecure ? "OFF (insecure: TRUE)" : "on"))
        if let endpoint = (try? section.string(endpointKey)) ?? nil, isPlainHTTP(endpoint) {
            let allowed = (try? section.bool("allowplainhttp", default: false)) ?? false
            lines.append(("plain http", allowed ? "ALLOWED for \(endpointKey) (allowplainhttp: TRUE)" : "REFUSED"))
        }
        return lines
    }
}
