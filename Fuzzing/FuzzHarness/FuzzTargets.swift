/// Every fuzz target, in the order runs and reports use.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        ConfigurationTargets.ini, ConfigurationTargets.configuration, ConfigurationTargets.credentials,
        AutorestoreParametersTarget.target, OutputTargets.markers, OutputTargets.lockFile, OutputTargets.btrfsQgroups,
        ZFSSATarget.target, ONTAPTarget.target, ApplianceSettingsTarget.target,
    ]

    /// The target called `name`.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
