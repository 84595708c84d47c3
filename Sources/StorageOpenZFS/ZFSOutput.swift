import Foundation

/// The properties of one dataset (file system or snapshot) as `zfs get -H -p` printed them.
package struct ZFSProperties: Sendable, Equatable {
    /// The dataset's full name, e.g. `tank/backup/orcl@orcl-20260101T000000`.
    package var name: String
    /// Property values by property name; `-` (not set, not applicable) is left out.
    package var values: [String: String]

    /// `name` with `values`.
    package init(name: String, values: [String: String]) {
        self.name = name
        self.values = values
    }

    /// A property holding a whole number (`-p` sizes, epoch seconds, counts); `nil` when unset or not a number.
    package func number(_ property: String) -> Int64? {
        values[property].flatMap { Int64($0) }
    }

    /// The `creation` property as an instant (`-p` prints epoch seconds).
    package var creation: Date? {
        number("creation").map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}

/// Parsers of `zfs` output. Every query uses `zfs get -H -p -o name,property,value`, which both current OpenZFS
/// and the old zfs-fuse (pool version 23, whose `zfs list` has no `-p`) print the same way: one tab-separated
/// line per dataset and property, exact numbers (bytes, epoch seconds). Package-visible for tests.
package enum ZFSOutput {
    /// Groups `zfs get -H -p -o name,property,value` lines by dataset, in the order the datasets first appear.
    /// Lines that do not have three tab-separated fields are ignored; values `-` are left out.
    package static func parseGet(_ text: String) -> [ZFSProperties] {
        var order: [String] = []
        var values: [String: [String: String]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else { continue }
            let name = String(fields[0])
            if values[name] == nil {
                order.append(name)
                values[name] = [:]
            }
            let value = String(fields[2])
            if value != "-" { values[name]![String(fields[1])] = value }
        }
        return order.map { ZFSProperties(name: $0, values: values[$0]!) }
    }

    /// Whether `zfs` rejected a property it does not know (zfs-fuse: `bad property list: invalid property 'written'`).
    package static func rejectsProperty(_ standardError: String, _ property: String) -> Bool {
        standardError.contains("invalid property '\(property)'")
            || standardError.contains("invalid property \"\(property)\"")
    }
}
