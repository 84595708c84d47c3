import Foundation

/// When autorestore also runs `backup validate check logical database` (reference §8.3).
public enum ValidationSchedule: Sendable, Equatable {
    /// `autorestoremodulus > 0`: validate when the UTC day number and the key's hash agree modulo `days`.
    case modulus(days: Int)
    /// `autorestorevalidatechance > 0` (and no modulus): a 1/N chance per restore.
    case chance(oneIn: Int)
    /// Neither is set.
    case never

    /// The schedule of `autorestoremodulus` (days) and `autorestorevalidatechance` (1 in N): the modulus wins when
    /// positive, then the chance; otherwise never.
    public init(modulus: Int, chance: Int) {
        if modulus > 0 {
            self = .modulus(days: modulus)
        } else if chance > 0 {
            self = .chance(oneIn: chance)
        } else {
            self = .never
        }
    }

    /// The modulus-mode plan for one database on one day.
    public struct Plan: Sendable, Equatable {
        /// True when today is a validation day.
        public var validateToday: Bool
        /// Days until the next validation day (equals the modulus on a validation day, as in the original).
        public var daysToNext: Int
        /// The next validation date: the *local* date today plus `daysToNext` (the original mixed local dates
        /// with UTC day numbers; kept so `--listvalidationdates` prints the same dates).
        public var nextDate: String
    }

    /// The original's computation for `key` (the database name or `stringforvalidationmod`).
    public static func plan(key: String, modulus: Int, now: Date, timeZone: TimeZone = .current) -> Plan {
        precondition(modulus > 0, "modulus plans need a positive modulus")
        let m = Int64(modulus)
        let dayNumber = Int64((now.timeIntervalSince1970 / 86_400).rounded(.down))
        let mod1 = Python2Hash.floorModulo(dayNumber, m)
        let mod2 = Python2Hash.floorModulo(Python2Hash.hash(key), m)
        let daysToNext = mod2 > mod1 ? mod2 - mod1 : m - (mod1 - mod2)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: now)
        let next = calendar.date(byAdding: .day, value: Int(daysToNext), to: today)!
        let parts = calendar.dateComponents([.year, .month, .day], from: next)
        let nextDate = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        return Plan(validateToday: mod1 == mod2, daysToNext: Int(daysToNext), nextDate: nextDate)
    }

    /// Whether this restore validates. `random` returns a uniform integer in `1...n` (injectable for tests).
    public func shouldValidate(key: String, now: Date, random: (Int) -> Int = { Int.random(in: 1...$0) }) -> Bool {
        switch self {
        case .modulus(let days): Self.plan(key: key, modulus: days, now: now).validateToday
        case .chance(let n): random(n) == n
        case .never: false
        }
    }

    /// One `--listvalidationdates` line: `<db>: <YYYY-MM-DD> (in <N> days)`.
    public static func listingLine(
        database: String, key: String, modulus: Int, now: Date,
        timeZone: TimeZone = .current
    ) -> String {
        let plan = plan(key: key, modulus: modulus, now: now, timeZone: timeZone)
        return "\(database): \(plan.nextDate) (in \(plan.daysToNext) days)"
    }
}
