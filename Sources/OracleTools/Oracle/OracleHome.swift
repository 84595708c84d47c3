/// An Oracle home and the environment every Oracle child process gets (reference §5.1).
public struct OracleHome: Sendable, Equatable {
    /// `ORACLE_HOME`: the `oraclehome` setting (per database `genericoraclehome`), else the environment's.
    public var path: String
    /// `TNS_ADMIN`: the directory with `tnsnames.ora` and `sqlnet.ora` (wallet).
    public var tnsAdmin: String?

    /// A home at `path`; a nil `tnsAdmin` removes `TNS_ADMIN` from the children's environment.
    public init(path: String, tnsAdmin: String?) {
        self.path = path
        self.tnsAdmin = tnsAdmin
    }

    /// `<path>/bin/rman`.
    public var rman: String { path + "/bin/rman" }
    /// `<path>/bin/sqlplus`.
    public var sqlplus: String { path + "/bin/sqlplus" }
    /// `<path>/bin/sqlldr` (SQL*Loader, used by the Oracle results catalog).
    public var sqlldr: String { path + "/bin/sqlldr" }
    /// `<path>/bin/adrci` (purges the temporary instance's diagnostic destination).
    public var adrci: String { path + "/bin/adrci" }
    /// `<path>/bin/srvctl` (Grid Infrastructure configuration dump, `gimanaged`).
    public var srvctl: String { path + "/bin/srvctl" }
    /// `<path>/OPatch/opatch` (inventory dump in the backup log).
    public var opatch: String { path + "/OPatch/opatch" }

    /// `base` plus ORACLE_HOME, TNS_ADMIN, `NLS_DATE_FORMAT='yyyy-mm-dd hh24:mi:ss'` and ORACLE_SID (set, or
    /// removed when `sid` is nil).
    public func environment(sid: String?, base: [String: String]) -> [String: String] {
        var environment = base
        environment["ORACLE_HOME"] = path
        environment["NLS_DATE_FORMAT"] = "yyyy-mm-dd hh24:mi:ss"
        if let tnsAdmin { environment["TNS_ADMIN"] = tnsAdmin } else { environment.removeValue(forKey: "TNS_ADMIN") }
        if let sid { environment["ORACLE_SID"] = sid } else { environment.removeValue(forKey: "ORACLE_SID") }
        return environment
    }
}

/// Time limits per kind of step, in seconds (config keys `timeout<step>` in `[generic]`, R-22).
public struct StepTimeouts: Sendable, Equatable {
    /// Seconds per step name (`rman`, `sqlplus`, `sqlldr`, `adrci`, `srvctl`, …, and `default`): ``defaults`` with
    /// the overrides applied.
    public var seconds: [String: Int]

    /// Defaults: generous for RMAN (large databases), short for helpers.
    public static let defaults: [String: Int] = [
        "rman": 86_400, "sqlplus": 3_600, "sqlldr": 900, "adrci": 900, "opatch": 600, "srvctl": 300,
        "mount": 300, "umount": 300, "default": 3_600,
    ]

    /// ``defaults`` with `overrides` (step name → seconds, from the `timeout<step>` keys) replacing single steps.
    public init(overrides: [String: Int] = [:]) {
        seconds = Self.defaults.merging(overrides) { _, new in new }
    }

    /// The limit of `step`; a step without an entry gets the `default` one (one hour if even that is missing).
    public func limit(for step: String) -> Duration {
        .seconds(seconds[step] ?? seconds["default"] ?? 3_600)
    }
}
