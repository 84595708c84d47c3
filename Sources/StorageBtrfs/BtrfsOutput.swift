import Foundation

/// Referenced and exclusive bytes of one level-0 qgroup.
package struct QgroupUsage: Sendable, Equatable {
    var referenced: Int64
    var exclusive: Int64
}

/// Package-visible for the fuzz harness (Fuzzing/FuzzHarness).
package enum BtrfsOutput {
    /// `btrfs qgroup show --raw`: `0/<subvolume id>  <referenced>  <exclusive> …` → by subvolume id.
    package static func parseQgroups(_ text: String) -> [Int: QgroupUsage] {
        var usage: [Int: QgroupUsage] = [:]
        for line in text.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 3, columns[0].hasPrefix("0/"), let id = Int(columns[0].dropFirst(2)),
                let referenced = Int64(columns[1]), let exclusive = Int64(columns[2])
            else { continue }
            usage[id] = QgroupUsage(referenced: referenced, exclusive: exclusive)
        }
        return usage
    }
}
