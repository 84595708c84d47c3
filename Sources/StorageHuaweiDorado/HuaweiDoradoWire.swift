import Foundation
import StorageKit

/// JSON shapes of the OceanStor DeviceManager REST API (storage-apis §5) and their parsing.
///
/// Every answer is `{"data": <object or list>, "error": {"code": <n>, "description": <text>}}` with HTTP 200; the
/// outcome is `error.code` (0 = success). Field values arrive as strings, numbers or booleans depending on the
/// release, so records are read as text whatever their JSON type.
enum HuaweiDoradoWire {
    /// Error codes the driver recognises (storage-apis §5.1; seen in public Huawei/OpenStack client code, their
    /// applicability to Dorado file-system calls is unverified).
    enum Code {
        static let success: Int64 = 0
        /// Token or session invalid (expired, logged out): log in again and retry once.
        static let unauthorized: Int64 = -401
        static let wrongPassword: Set<Int64> = [1_077_949_061, 1_077_987_870]
        static let maximumSessions: Int64 = 1_077_949_067
        static let accountLocked: Set<Int64> = [1_077_987_871, 1_077_949_070]
        static let ipLocked: Int64 = 1_077_949_071
        static let systemBusy: Int64 = 1_077_949_006
        static let nameLength: Int64 = 1_077_949_103
        static let nameCharacters: Int64 = 1_077_949_106
        static let wrongVStore: Int64 = 1_077_951_226
        static let snapshotNotFound: Int64 = 1_073_754_118
        /// The name is in use (Cinder's `OBJECT_NAME_ALREADY_EXIST`; unverified for Dorado file systems).
        static let nameExists: Int64 = 1_077_948_993
    }

    /// One record: every scalar field as text (`"true"`, `"40"`, `"1700000000"`); nested values are left out.
    struct Record: Decodable, Sendable, Hashable {
        var fields: [String: String]

        init(_ fields: [String: String]) { self.fields = fields }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            var fields: [String: String] = [:]
            for key in container.allKeys {
                if let text = try? container.decode(String.self, forKey: key) {
                    fields[key.stringValue] = text
                } else if let integer = try? container.decode(Int64.self, forKey: key) {
                    fields[key.stringValue] = String(integer)
                } else if let number = try? container.decode(Double.self, forKey: key), number.isFinite {
                    fields[key.stringValue] =
                        number.rounded() == number && number.magnitude < 9e18 ? String(Int64(number)) : String(number)
                } else if let flag = try? container.decode(Bool.self, forKey: key) {
                    fields[key.stringValue] = flag ? "true" : "false"
                }
            }
            self.fields = fields
        }

        subscript(_ key: String) -> String? { fields[key] }

        /// `ID`.
        var id: String? { fields["ID"] }
        /// `NAME`.
        var name: String? { fields["NAME"] }
        /// `ISCLONEFS` read as a flag (`true`/`1`, any case).
        var isClone: Bool {
            guard let text = fields["ISCLONEFS"]?.lowercased() else { return false }
            return text == "true" || text == "1"
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `data`: one record, a list, or nothing.
    enum Payload: Decodable, Sendable {
        case none
        case one(Record)
        case list([Record])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .none
            } else if let list = try? container.decode([Record].self) {
                self = .list(list)
            } else if let record = try? container.decode(Record.self) {
                self = .one(record)
            } else {
                self = .none
            }
        }

        /// The records (one or many).
        var records: [Record] {
            switch self {
            case .none: return []
            case .one(let record): return [record]
            case .list(let list): return list
            }
        }
    }

    struct ErrorInfo: Decodable, Sendable {
        var code: LenientInt64
        var description: String?
    }

    struct Envelope: Decodable, Sendable {
        var data: Payload?
        var error: ErrorInfo?

        enum CodingKeys: String, CodingKey { case data, error }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            data = try? container.decodeIfPresent(Payload.self, forKey: .data)
            error = try container.decodeIfPresent(ErrorInfo.self, forKey: .error)
        }
    }

    /// A decoded answer: `error.code`, its description and the records of `data`.
    struct Reply: Sendable {
        var code: Int64
        var description: String
        var records: [Record]
        /// The HTTP answer, for messages (secrets of the request masked in its text).
        var response: HTTPResponse

        /// The first record, when there is one.
        var record: Record? { records.first }
    }

    /// The answer's envelope, or `nil` when the body is not one.
    static func reply(_ response: HTTPResponse) -> Reply? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(response.body)),
            let error = envelope.error
        else { return nil }
        return Reply(
            code: error.code.value, description: response.redacted(error.description ?? ""),
            records: envelope.data?.records ?? [], response: response)
    }

    /// `utcTimeStamp` (epoch seconds as a string or a number) as an instant.
    static func creation(_ record: Record) -> Date? {
        guard let text = record["utcTimeStamp"]?.trimmingCharacters(in: .whitespaces), let seconds = Double(text),
            seconds.isFinite, seconds >= 0, seconds < 253_402_300_800
        else { return nil }
        return Date(timeIntervalSince1970: seconds.rounded(.down))
    }
}
