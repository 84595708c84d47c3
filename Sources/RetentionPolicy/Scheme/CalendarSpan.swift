/// A span of calendar time written like restic's `--keep-within`: whole numbers with units `y`, `m`, `d`, `h`,
/// e.g. `30d`, `1y6m`, `2y5m7d3h`.
public struct CalendarSpan: Sendable, Hashable, CustomStringConvertible {
    /// Whole years.
    public let years: Int
    /// Whole months.
    public let months: Int
    /// Whole days.
    public let days: Int
    /// Whole hours.
    public let hours: Int

    /// Creates a span; negative components are clamped to zero.
    public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = max(0, years)
        self.months = max(0, months)
        self.days = max(0, days)
        self.hours = max(0, hours)
    }

    /// Parses `<n>y<n>m<n>d<n>h` (any subset, each unit at most once, any order); `nil` if malformed.
    public init?(parsing text: String) {
        var components: [Character: Int] = [:]
        var digits = ""
        for character in text.lowercased() {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if "ymdh".contains(character), !digits.isEmpty, components[character] == nil,
                let value = Int(digits), value <= 1_000_000
            {
                components[character] = value
                digits = ""
            } else {
                return nil
            }
        }
        guard digits.isEmpty, !components.isEmpty else { return nil }
        self.init(
            years: components["y"] ?? 0, months: components["m"] ?? 0, days: components["d"] ?? 0,
            hours: components["h"] ?? 0)
    }

    /// `true` when every component is zero.
    public var isZero: Bool { years == 0 && months == 0 && days == 0 && hours == 0 }

    /// The span in the `1y6m` notation; `0h` when zero.
    public var description: String {
        let parts = [(years, "y"), (months, "m"), (days, "d"), (hours, "h")].filter { $0.0 > 0 }.map {
            "\($0.0)\($0.1)"
        }
        return parts.isEmpty ? "0h" : parts.joined()
    }
}
