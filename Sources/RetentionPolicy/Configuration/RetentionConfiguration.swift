/// A validated retention scheme plus safety rules, usually read from a database's configuration section.
public struct RetentionConfiguration: Sendable, Hashable {
    /// The retention scheme.
    public let scheme: RetentionScheme
    /// The safety rules.
    public let safety: SafetyRules

    /// Combines an already validated scheme and safety rules.
    public init(scheme: RetentionScheme, safety: SafetyRules) {
        self.scheme = scheme
        self.safety = safety
    }

    /// Reads and validates the retention keys (``RetentionSettingKey``).
    ///
    /// Values are trimmed; an empty value counts as missing, so it takes the key's default.
    ///
    /// - Parameter lookup: Returns the value of a key in the database's section (with the caller's override
    ///   rules already applied), or `nil` when it is not set.
    /// - Throws: ``RetentionConfigurationError`` naming the key and the bad value: an unknown `snapretention`,
    ///   a non-integer or negative number, `snapminimumcount` below 1, an empty GFS policy, a GFS key with the
    ///   reference scheme, or a missing `snapexpirationdays` for the reference scheme. A missing
    ///   `snapexpirationmonths` is the documented default 0.
    public init(settings lookup: (String) -> String?) throws(RetentionConfigurationError) {
        let settings = Settings(lookup: lookup)
        let safety = try SafetyRules(
            minimumCount: try settings.integer(
                .minimumCount, default: 1, minimum: 1, reason: "the newest snapshot is never deleted"),
            keepNewestVerified: try settings.boolean(.keepVerified, default: true),
            complianceDays: try settings.integer(.complianceDays, default: 0),
            clockSkewAllowanceSeconds: try settings.integer(
                .clockSkewAllowance, default: SafetyRules.defaultClockSkewAllowanceSeconds))

        switch settings.value(.scheme)?.lowercased() ?? "reference" {
        case "reference":
            for key in RetentionSettingKey.gfsKeys {
                if let value = settings.value(key) { throw .gfsKeyWithoutGFSScheme(key: key.rawValue, value: value) }
            }
            guard settings.value(.expirationDays) != nil else {
                throw .missingKey(
                    key: RetentionSettingKey.expirationDays.rawValue,
                    reason: "the reference retention scheme needs it (or choose snapretention: gfs)")
            }
            let windows = try ReferenceWindows(
                days: try settings.integer(.expirationDays, default: 0),
                months: try settings.integer(.expirationMonths, default: 0))
            self.init(scheme: .reference(windows), safety: safety)
        case "gfs":
            var within: CalendarSpan?
            if let text = settings.value(.keepWithin) {
                guard let span = CalendarSpan(parsing: text) else {
                    throw .notACalendarSpan(key: RetentionSettingKey.keepWithin.rawValue, value: text)
                }
                within = span
            }
            let rules = try GFSRules(
                keepLast: try settings.integer(.keepLast, default: 0),
                keepHourly: try settings.integer(.keepHourly, default: 0),
                keepDaily: try settings.integer(.keepDaily, default: 0),
                keepWeekly: try settings.integer(.keepWeekly, default: 0),
                keepMonthly: try settings.integer(.keepMonthly, default: 0),
                keepYearly: try settings.integer(.keepYearly, default: 0),
                keepWithin: within)
            self.init(scheme: .gfs(rules), safety: safety)
        case let other:
            throw .unknownScheme(value: settings.value(.scheme) ?? other)
        }
    }
}

/// Trimmed, typed access to the raw settings, read once per key.
private struct Settings {
    private let values: [RetentionSettingKey: String]

    init(lookup: (String) -> String?) {
        var values: [RetentionSettingKey: String] = [:]
        for key in RetentionSettingKey.allCases {
            guard let raw = lookup(key.rawValue) else { continue }
            let trimmed = String(raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            if !trimmed.isEmpty { values[key] = trimmed }
        }
        self.values = values
    }

    func value(_ key: RetentionSettingKey) -> String? { values[key] }

    func integer(
        _ key: RetentionSettingKey, default defaultValue: Int, minimum: Int = 0,
        reason: String = "negative values are not allowed"
    ) throws(RetentionConfigurationError) -> Int {
        guard let text = value(key) else { return defaultValue }
        guard let number = Int(text) else { throw .notAWholeNumber(key: key.rawValue, value: text) }
        guard number >= minimum else {
            throw .belowMinimum(key: key.rawValue, value: text, minimum: minimum, reason: reason)
        }
        return number
    }

    func boolean(_ key: RetentionSettingKey, default defaultValue: Bool) throws(RetentionConfigurationError) -> Bool {
        guard let text = value(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw .notABoolean(key: key.rawValue, value: text)
        }
    }
}
