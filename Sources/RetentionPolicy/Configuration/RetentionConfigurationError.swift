/// A retention setting that cannot be used. Every case names the configuration key and the offending value.
public enum RetentionConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `snapretention` is neither `reference` nor `gfs`.
    case unknownScheme(value: String)
    /// A required key is missing or empty.
    case missingKey(key: String, reason: String)
    /// The value is not a whole number.
    case notAWholeNumber(key: String, value: String)
    /// The value is a whole number below the key's minimum.
    case belowMinimum(key: String, value: String, minimum: Int, reason: String)
    /// The value is not one of the accepted boolean spellings.
    case notABoolean(key: String, value: String)
    /// The value is not a calendar span such as `30d` or `1y6m`.
    case notACalendarSpan(key: String, value: String)
    /// `snapretention: gfs` with no rule that keeps anything.
    case emptyGFSPolicy
    /// A GFS key is set while the reference scheme is selected, which would silently ignore it.
    case gfsKeyWithoutGFSScheme(key: String, value: String)

    public var description: String {
        switch self {
        case .unknownScheme(let value):
            return "snapretention: unknown retention scheme '\(value)'; use 'reference' or 'gfs'"
        case .missingKey(let key, let reason):
            return "\(key): missing; \(reason)"
        case .notAWholeNumber(let key, let value):
            return "\(key): '\(value)' is not a whole number"
        case .belowMinimum(let key, let value, let minimum, let reason):
            return "\(key): '\(value)' is below the minimum \(minimum); \(reason)"
        case .notABoolean(let key, let value):
            return "\(key): '\(value)' is not a boolean; use true/false, yes/no or 1/0"
        case .notACalendarSpan(let key, let value):
            return
                "\(key): '\(value)' is not a calendar span; write whole numbers with units y, m, d, h, e.g. '30d' or '1y6m'"
        case .emptyGFSPolicy:
            return "snapretention: gfs needs at least one of snapkeeplast, snapkeephourly, snapkeepdaily, "
                + "snapkeepweekly, snapkeepmonthly, snapkeepyearly or snapkeepwithin; an empty policy would keep nothing"
        case .gfsKeyWithoutGFSScheme(let key, let value):
            return "\(key): set to '\(value)' but snapretention is 'reference', which ignores it; "
                + "set snapretention: gfs or remove \(key)"
        }
    }
}
