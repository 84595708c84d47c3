import ConfigModel
import RetentionPolicy

extension BackupConfiguration {
    /// The retention keys of `database` (with the original's lookup rules), parsed by RetentionPolicy.
    /// - Throws: ``RetentionConfigurationError`` naming the key and the bad value.
    public func retentionConfiguration(database: String) throws(RetentionConfigurationError) -> RetentionConfiguration {
        let lookup = lookup(defaultSection: database)
        return try RetentionConfiguration { key in (try? lookup.value(key))?.value }
    }

    /// True when `snapkeepverified` is set for `database` (in its section or `[generic]`), false when it takes the
    /// default.
    public func keepVerifiedIsExplicit(database: String) -> Bool {
        let lookup = lookup(defaultSection: database)
        return ((try? lookup.value(RetentionSettingKey.keepVerified.rawValue))?.value).map { !$0.isEmpty } ?? false
    }
}
