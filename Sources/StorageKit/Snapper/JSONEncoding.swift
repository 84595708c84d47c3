import Foundation

// JSON for `--json` listings. Unknown values are encoded as explicit `null`, instants as ISO-8601 UTC
// strings regardless of the encoder's date strategy.

extension Snapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case id, creation, spaceTotal, spaceUnique, cloneCount, locked, lockedUntil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(StorageJSON.iso8601(creation), forKey: .creation)
        try container.encode(spaceTotal, forKey: .spaceTotal)
        try container.encode(spaceUnique, forKey: .spaceUnique)
        try container.encode(cloneCount, forKey: .cloneCount)
        // `locked`: the storage holds the snapshot; `lockedUntil`: the lock's expiry (null: none or no end).
        try container.encode(isLocked || lockedUntil.map { $0 > Date() } == true, forKey: .locked)
        try container.encode(lockedUntil.map(StorageJSON.iso8601), forKey: .lockedUntil)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        let text = try container.decode(String.self, forKey: .creation)
        guard let date = StorageJSON.parseISO8601(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .creation, in: container, debugDescription: "not an ISO-8601 instant: \(text)")
        }
        creation = date
        spaceTotal = try container.decodeIfPresent(Int64.self, forKey: .spaceTotal)
        spaceUnique = try container.decodeIfPresent(Int64.self, forKey: .spaceUnique)
        cloneCount = try container.decodeIfPresent(Int.self, forKey: .cloneCount)
        isLocked = try container.decodeIfPresent(Bool.self, forKey: .locked) ?? false
        lockedUntil = try container.decodeIfPresent(String.self, forKey: .lockedUntil).flatMap(
            StorageJSON.parseISO8601)
        // Not part of the JSON listing: a decoded snapshot is not located.
        location = nil
    }
}

extension Clone: Codable {
    enum CodingKeys: String, CodingKey {
        case name, originVolume, originSnapshot, mountPoint
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(originVolume, forKey: .originVolume)
        try container.encode(originSnapshot, forKey: .originSnapshot)
        try container.encode(mountPoint, forKey: .mountPoint)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        originVolume = try container.decode(String.self, forKey: .originVolume)
        originSnapshot = try container.decode(String.self, forKey: .originSnapshot)
        mountPoint = try container.decodeIfPresent(String.self, forKey: .mountPoint)
    }
}

extension Volume: Codable {
    enum CodingKeys: String, CodingKey {
        case name, mountPoint, spaceUsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(mountPoint, forKey: .mountPoint)
        try container.encode(spaceUsed, forKey: .spaceUsed)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        mountPoint = try container.decodeIfPresent(String.self, forKey: .mountPoint)
        spaceUsed = try container.decodeIfPresent(Int64.self, forKey: .spaceUsed)
    }
}

/// Encoder settings for `--json` output.
public enum StorageJSON {
    /// Pretty-printed, sorted keys, no escaped slashes.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The UTF-8 JSON text of `value` (pretty-printed, sorted keys).
    public static func string(_ value: some Encodable) throws -> String {
        String(decoding: try makeEncoder().encode(value), as: UTF8.self)
    }

    /// `2016-10-17T07:39:14Z` (fractional seconds dropped).
    public static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Parses ISO-8601 with or without fractional seconds.
    public static func parseISO8601(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
