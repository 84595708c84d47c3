import Foundation

// The reference reader of `btrfs subvolume list -s -u -q` output, run as root, that the tests hold the driver's
// unprivileged ioctl reading against.

/// One line of `btrfs subvolume list -s -u -q <path>`.
struct SubvolumeEntry: Sendable, Equatable {
    var id: Int
    var creation: Date?
    var parentUUID: String?
    var uuid: String
    /// Relative to the top-level subvolume.
    var path: String
}

enum SubvolumeListParser {
    /// `2018-01-01 12:34:56 +0000` (any offset) → instant; also accepts the offset-less form, read as UTC.
    static func parseTime(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int($0) }
        let time = parts[1].split(separator: ":").compactMap { Int($0) }
        guard date.count == 3, time.count == 3 else { return nil }
        var offsetSeconds = 0
        if parts.count == 3 {
            let offset = parts[2]
            guard offset.count == 5, let sign = offset.first, sign == "+" || sign == "-",
                let hours = Int(offset.dropFirst().prefix(2)), let minutes = Int(offset.suffix(2))
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(
            year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1], second: time[2])
        guard let wallClock = calendar.date(from: components) else { return nil }
        return wallClock.addingTimeInterval(TimeInterval(-offsetSeconds))
    }

    /// Parses `ID 257 gen 10 cgen 9 top level 5 otime 2026-11-25 10:23:19 parent_uuid <u> uuid <u> path <p>`.
    static func parseList(_ text: String) -> [SubvolumeEntry] {
        text.split(separator: "\n").compactMap { line -> SubvolumeEntry? in
            guard let pathRange = line.range(of: " path ") else { return nil }
            let path = String(line[pathRange.upperBound...])
            let tokens = line[..<pathRange.lowerBound].split(separator: " ", omittingEmptySubsequences: true).map(
                String.init)
            var id: Int?
            var uuid: String?
            var parent: String?
            var creation: Date?
            var index = 0
            while index < tokens.count {
                let token = tokens[index]
                let next = index + 1 < tokens.count ? tokens[index + 1] : nil
                switch token {
                case "ID":
                    id = next.flatMap { Int($0) }
                    index += 2
                case "otime":
                    if index + 2 < tokens.count { creation = parseTime(tokens[index + 1] + " " + tokens[index + 2]) }
                    index += 3
                case "parent_uuid":
                    parent = next == "-" ? nil : next
                    index += 2
                case "uuid":
                    uuid = next
                    index += 2
                default:
                    index += 1
                }
            }
            guard let id, let uuid else { return nil }
            return SubvolumeEntry(id: id, creation: creation, parentUUID: parent, uuid: uuid, path: path)
        }
    }

}
