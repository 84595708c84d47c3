import Foundation
import StorageKit

/// JSON shapes of the ZFSSA REST API (storage-apis §2.4, §2.6) and their parsing.
enum ZFSSAWire {
    struct FaultEnvelope: Decodable {
        var fault: Fault
    }

    struct Fault: Decodable {
        var message: String?
        var details: String?
        var code: LenientInt64?
    }

    struct SnapshotList: Decodable {
        var snapshots: [SnapshotRecord]
    }

    struct SnapshotEnvelope: Decodable {
        var snapshot: SnapshotRecord
    }

    struct SnapshotRecord: Decodable {
        var name: String
        var creation: String?
        var numclones: LenientInt64?
        var spaceData: LenientInt64?
        var spaceUnique: LenientInt64?
        var retentionpolicy: String?
        /// ``ZFSSAWire/lockExpiryProperty`` as read.
        var lockExpiry: String?

        enum CodingKeys: String, CodingKey {
            case name, creation, numclones, retentionpolicy
            case spaceData = "space_data"
            case spaceUnique = "space_unique"
            case lockExpiry = "custom:oiblockeduntil"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            creation = try? container.decodeIfPresent(String.self, forKey: .creation)
            numclones = try? container.decodeIfPresent(LenientInt64.self, forKey: .numclones)
            spaceData = try? container.decodeIfPresent(LenientInt64.self, forKey: .spaceData)
            spaceUnique = try? container.decodeIfPresent(LenientInt64.self, forKey: .spaceUnique)
            retentionpolicy = try? container.decodeIfPresent(String.self, forKey: .retentionpolicy)
            lockExpiry = try? container.decodeIfPresent(String.self, forKey: .lockExpiry)
        }

        /// The expiry this tool recorded beside the retention; `nil` when none (or unreadable).
        var lockedUntil: Date? {
            guard let lockExpiry, !lockExpiry.isEmpty else { return nil }
            return WireTimestamp.parse(lockExpiry)
        }

        /// True when this tool set the retention: ``ZFSSAWire/lockExpiryProperty`` holds an expiry it can read or
        /// ``ZFSSAWire/indefiniteLock``. Any other retention (an admin's, a legal hold) is foreign: never released
        /// nor changed by this tool.
        var isOwnLock: Bool {
            guard let lockExpiry, !lockExpiry.isEmpty else { return false }
            return lockExpiry == ZFSSAWire.indefiniteLock || lockedUntil != nil
        }

        /// True when appliance retention protects the snapshot (OS8.8.39 `retentionpolicy`).
        var isRetained: Bool {
            guard let policy = retentionpolicy?.lowercased(), !policy.isEmpty else { return false }
            return !["off", "unlocked", "none", "false"].contains(policy)
        }
    }

    /// The snapshot property in which this tool records when its retention lock ends (a ZFSSA retention has no
    /// duration): a custom (schema) property, its value an ISO-8601 UTC instant. Unverified on real appliances:
    /// the property must exist in the appliance's schema (Documentation/storage/zfssa.md).
    static let lockExpiryProperty = "custom:oiblockeduntil"
    /// The value of ``lockExpiryProperty`` that marks a retention this tool set without an expiry
    /// (``ZFSSADriver/lockSnapshot(id:)``).
    static let indefiniteLock = "indefinite"
    /// `retentionpolicy` of a retained snapshot (unverified; the CLI shows `unlocked`/`off` for others).
    static let retentionOn = "locked"
    /// `retentionpolicy` that releases a retention.
    static let retentionOff = "off"

    /// The properties that retain a snapshot until `until`.
    static func lockProperties(until: Date) -> [String: JSONValue] {
        ["retentionpolicy": .string(retentionOn), lockExpiryProperty: .string(StorageJSON.iso8601(until))]
    }

    struct FilesystemList: Decodable {
        var filesystems: [FilesystemRecord]
    }

    struct FilesystemEnvelope: Decodable {
        var filesystem: FilesystemRecord
    }

    struct FilesystemRecord: Decodable {
        var name: String
        var project: String?
        var pool: String?
        var mountpoint: String?
        var origin: Origin?
        var spaceData: LenientInt64?

        enum CodingKeys: String, CodingKey {
            case name, project, pool, mountpoint, origin
            case spaceData = "space_data"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            project = try? container.decodeIfPresent(String.self, forKey: .project)
            pool = try? container.decodeIfPresent(String.self, forKey: .pool)
            mountpoint = try? container.decodeIfPresent(String.self, forKey: .mountpoint)
            // Non-clones carry no origin, an empty object or an empty string depending on version.
            let decoded = try? container.decodeIfPresent(Origin.self, forKey: .origin)
            origin = (decoded?.share?.isEmpty ?? true) ? nil : decoded
            spaceData = try? container.decodeIfPresent(LenientInt64.self, forKey: .spaceData)
        }
    }

    struct Origin: Decodable {
        var pool: String?
        var project: String?
        var share: String?
        var snapshot: String?
        /// The replication package of a clone made at the replica from a received snapshot (storage-sim's
        /// assumption of the appliance's answer).
        var package: String?
    }

    struct ActionEnvelope: Decodable {
        var action: ActionRecord
    }

    /// A replication action's properties and status (`GET /replication/actions/<id>`).
    struct ActionRecord: Decodable {
        var id: String
        var pool: String?
        var project: String?
        var share: String?
        var target: String?
        var state: String?
        var lastResult: String?
        var lastSync: String?
        var lastTry: String?
        var replicaDataTimestamp: String?
        var includeSnaps: Bool?
        var retainUserSnaps: Bool?
        var enabled: Bool?

        enum CodingKeys: String, CodingKey {
            case id, pool, project, share, target, state, enabled
            case lastResult = "last_result"
            case lastSync = "last_sync"
            case lastTry = "last_try"
            case replicaDataTimestamp = "replica_data_timestamp"
            case includeSnaps = "include_snaps"
            case retainUserSnaps = "retain_user_snaps"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            func text(_ key: CodingKeys) -> String? {
                (try? container.decodeIfPresent(String.self, forKey: key)) ?? nil
            }
            func flag(_ key: CodingKeys) -> Bool? { (try? container.decodeIfPresent(Bool.self, forKey: key)) ?? nil }
            pool = text(.pool)
            project = text(.project)
            share = text(.share)
            target = text(.target)
            state = text(.state)
            lastResult = text(.lastResult)
            lastSync = text(.lastSync)
            lastTry = text(.lastTry)
            replicaDataTimestamp = text(.replicaDataTimestamp)
            includeSnaps = flag(.includeSnaps)
            retainUserSnaps = flag(.retainUserSnaps)
            enabled = flag(.enabled)
        }
    }

    struct PackageList: Decodable {
        var packages: [PackageRecord]
    }

    /// A replication package at the replica (`GET /replication/packages`).
    struct PackageRecord: Decodable {
        var id: String
        var sourceName: String?
        var projects: [String]?

        enum CodingKeys: String, CodingKey {
            case id, projects
            case sourceName = "source_name"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            sourceName = (try? container.decodeIfPresent(String.self, forKey: .sourceName)) ?? nil
            projects = (try? container.decodeIfPresent([String].self, forKey: .projects)) ?? nil
        }
    }

    struct ProjectList: Decodable {
        var projects: [ProjectRecord]
    }

    struct ProjectRecord: Decodable {
        var name: String
    }

    /// The prefix of the snapshots an appliance takes for replication (`.rr-…`): never this tool's.
    static let replicationSnapshotPrefix = ".rr-"

    /// `creation` in the v1 form `20150803T13:31:42` (UTC) or the v2 ISO form, with or without fraction and zone
    /// (no zone means UTC).
    static func parseCreation(_ text: String) -> Date? {
        WireTimestamp.parse(text)
    }

    /// The way the simulator and v1 appliances format `creation`.
    static func formatV1(_ date: Date) -> String { formatter("yyyyMMdd'T'HH:mm:ss").string(from: date) }

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) -> T? {
        try? JSONDecoder().decode(type, from: Data(body))
    }

    /// `ERR_X: details` from a fault body, or the start of the raw body.
    static func faultText(_ response: HTTPResponse) -> String {
        if let envelope = decode(FaultEnvelope.self, from: response.body) {
            let parts = [envelope.fault.message, envelope.fault.details].compactMap { $0 }.filter { !$0.isEmpty }
            if !parts.isEmpty { return response.redacted(parts.joined(separator: ": ")) }
        }
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no details" : String(text.prefix(300))
    }

    static func faultMessage(_ response: HTTPResponse) -> String? {
        decode(FaultEnvelope.self, from: response.body)?.fault.message
    }
}
