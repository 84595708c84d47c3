import ConfigModel
import RetentionPolicy

extension ConfigKeyReference {
    /// The retention keys read by `BackupConfiguration.retentionConfiguration(database:)` (database
    /// sections) that ConfigModel does not document itself (`snapexpirationdays` and `snapexpirationmonths` are its
    /// own, the original's). Documented in full in `Documentation/configuration/retention.md`.
    public static let retention: [ConfigKeyReference] = RetentionSettingKey.allCases.compactMap { key in
        let documented = retentionDocumentation(key)
        guard let documented else { return nil }
        return ConfigKeyReference(
            key.rawValue, section: databaseSection, defaultValue: documented.defaultValue,
            meaning: documented.meaning + " See [retention.md](configuration/retention.md#key-reference).",
            readBy: "backup, snapper", isNew: true)
    }

    /// The default and meaning of `key`; `nil` for the keys ConfigModel documents.
    static func retentionDocumentation(_ key: RetentionSettingKey) -> (defaultValue: String?, meaning: String)? {
        switch key {
        case .expirationDays, .expirationMonths: return nil
        case .scheme:
            return ("`reference`", "The retention scheme: `reference` (the original's windows) or `gfs`.")
        case .minimumCount: return ("1", "Safety: the newest this-many snapshots are never dropped (at least 1).")
        case .keepVerified:
            return (
                "`true`",
                "Safety: never drop the newest snapshot that passed an autorestore (reads the autorestore results catalog; nothing is deleted when it cannot be read)."
            )
        case .complianceDays:
            return ("`0` (off)", "Safety: nothing younger than this many days is ever deleted, not even by hand.")
        case .clockSkewAllowance:
            return (
                "300",
                "Safety: seconds a snapshot may be dated in the future; beyond it retention stops (nothing deleted, ERROR, exit 1)."
            )
        case .keepLast: return ("0", "GFS: keep the newest n snapshots.")
        case .keepHourly: return ("0", "GFS: keep the newest snapshot of each of the newest n UTC hours holding one.")
        case .keepDaily: return ("0", "GFS: keep the newest snapshot of each of the newest n UTC days holding one.")
        case .keepWeekly:
            return ("0", "GFS: keep the newest snapshot of each of the newest n ISO weeks holding one.")
        case .keepMonthly:
            return ("0", "GFS: keep the newest snapshot of each of the newest n UTC months holding one.")
        case .keepYearly: return ("0", "GFS: keep the newest snapshot of each of the newest n UTC years holding one.")
        case .keepWithin:
            return (
                nil, "GFS: keep every snapshot created less than this span (`36h`, `30d`, `1y6m`) before the newest."
            )
        }
    }
}
