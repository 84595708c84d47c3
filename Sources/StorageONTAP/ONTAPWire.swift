import Foundation
import StorageKit

/// JSON shapes of the ONTAP REST API (storage-apis §3.2–3.4) and their parsing.
enum ONTAPWire {
    struct Href: Decodable {
        var href: String
    }

    struct Links: Decodable {
        var next: Href?
    }

    struct Collection<Record: Decodable>: Decodable {
        var records: [Record]
        var links: Links?

        enum CodingKeys: String, CodingKey {
            case records
            case links = "_links"
        }
    }

    struct Named: Decodable {
        var name: String?
        var uuid: String?
    }

    struct NAS: Decodable {
        var path: String?
        var exportPolicy: Named?

        enum CodingKeys: String, CodingKey {
            case path
            case exportPolicy = "export_policy"
        }
    }

    struct CloneInfo: Decodable {
        var isFlexclone: Bool?
        var parentVolume: Named?
        var parentSnapshot: Named?
        var parentSVM: Named?

        enum CodingKeys: String, CodingKey {
            case isFlexclone = "is_flexclone"
            case parentVolume = "parent_volume"
            case parentSnapshot = "parent_snapshot"
            case parentSVM = "parent_svm"
        }
    }

    struct Space: Decodable {
        var size: LenientInt64?
        var used: LenientInt64?
    }

    struct VolumeRecord: Decodable {
        var uuid: String
        var name: String
        var svm: Named?
        var nas: NAS?
        var clone: CloneInfo?
        var space: Space?
        var aggregates: [Named]?
        var state: String?
        /// `snapshot_locking_enabled` (ONTAP 9.12.1+, storage-apis §3.5): tamperproof snapshots are possible only
        /// then. Read only when a locked snapshot is about to be made (older clusters refuse unknown fields).
        var snapshotLockingEnabled: Bool?

        enum CodingKeys: String, CodingKey {
            case uuid, name, svm, nas, clone, space, aggregates, state
            case snapshotLockingEnabled = "snapshot_locking_enabled"
        }

        /// The parent volume's name when this is a FlexClone (the `clone` fields, not a 'busy' flag).
        var cloneParent: String? {
            guard let clone, let parent = clone.parentVolume?.name, !parent.isEmpty else { return nil }
            if clone.isFlexclone == false { return nil }
            return parent
        }
    }

    struct SnapshotRecord: Decodable {
        var uuid: String
        var name: String
        var createTime: String?
        var size: LenientInt64?
        /// `expiry_time`: not deletable before it.
        var expiryTime: String?
        /// `snaplock.expiry_time` (tamperproof snapshots).
        var snaplock: SnapLock?
        /// `snaplock_expiry_time` (the 9.6/9.8 name).
        var snaplockExpiryTime: String?

        struct SnapLock: Decodable {
            var expiryTime: String?

            enum CodingKeys: String, CodingKey {
                case expiryTime = "expiry_time"
            }
        }

        enum CodingKeys: String, CodingKey {
            case uuid, name, size, snaplock
            case createTime = "create_time"
            case expiryTime = "expiry_time"
            case snaplockExpiryTime = "snaplock_expiry_time"
        }

        /// The latest of the expiries (`expiry_time`, `snaplock.expiry_time`, `snaplock_expiry_time`) the record
        /// carries, passed or not; `nil` when none is set or readable.
        var lockExpiry: Date? {
            [expiryTime, snaplock?.expiryTime, snaplockExpiryTime].compactMap { $0 }
                .compactMap { $0.isEmpty ? nil : WireTimestamp.parse($0) }.max()
        }
    }

    /// The snapshot fields the driver reads.
    static let snapshotFields = "uuid,name,create_time,size,expiry_time,snaplock.expiry_time"

    struct JobReference: Decodable {
        var uuid: String
        var links: SelfLink?

        enum CodingKeys: String, CodingKey {
            case uuid
            case links = "_links"
        }

        struct SelfLink: Decodable {
            var selfLink: Href?

            enum CodingKeys: String, CodingKey {
                case selfLink = "self"
            }
        }
    }

    struct JobEnvelope: Decodable {
        var job: JobReference?
    }

    struct JobRecord: Decodable {
        var uuid: String?
        var state: String?
        var message: String?
        var code: LenientInt64?
        var description: String?
    }

    struct ErrorEnvelope: Decodable {
        var error: ErrorBody
    }

    struct ErrorBody: Decodable {
        var message: String?
        var code: LenientString?
        var target: String?
    }

    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) -> T? {
        try? JSONDecoder().decode(type, from: Data(body))
    }

    /// `message (code N, target T)` from an error body, or the start of the raw body.
    static func errorText(_ response: HTTPResponse) -> String {
        if let envelope = decode(ErrorEnvelope.self, from: response.body) {
            var extras: [String] = []
            if let code = envelope.error.code?.value { extras.append("code \(code)") }
            if let target = envelope.error.target { extras.append("target \(target)") }
            let message = envelope.error.message ?? "no message"
            return response.redacted(extras.isEmpty ? message : "\(message) (\(extras.joined(separator: ", ")))")
        }
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no details" : String(text.prefix(300))
    }

    /// ISO-8601 with offset (`2019-02-04T19:00:00Z`, `…+02:00`), with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        WireTimestamp.parse(text)
    }

    /// `100g`, `1.5T`, `512M`, `1073741824` → bytes (binary units, as ONTAP).
    static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40, "p": 0x1p50]
        var number = trimmed
        var multiplier = 1.0
        if let unit = units[last] {
            multiplier = unit
            number = String(trimmed.dropLast())
        } else if last == "b", trimmed.count >= 2,
            let unit = units[trimmed[trimmed.index(trimmed.endIndex, offsetBy: -2)]]
        {
            multiplier = unit
            number = String(trimmed.dropLast(2))
        }
        guard let value = Double(number), value > 0 else { return nil }
        let bytes = value * multiplier
        return bytes < 9.2e18 ? Int64(bytes) : nil
    }
}
