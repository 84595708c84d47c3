import Foundation

/// A JSON document for request bodies, built without a `Codable` type per call.
public enum JSONValue: Sendable, Hashable, Encodable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case object([String: JSONValue])
    case array([JSONValue])
    case null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// Compact UTF-8 JSON with sorted keys.
    public var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? Array("null".utf8)
    }
}

/// Decodes an integer that an appliance may send as a number (integral or not) or as a string.
public struct LenientInt64: Decodable, Sendable, Hashable {
    /// The decoded integer.
    public var value: Int64

    /// Wraps an integer already known.
    public init(_ value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int64.self) {
            value = integer
        } else if let double = try? container.decode(Double.self), double.isFinite,
            double.magnitude < 9.2e18
        {
            value = Int64(double)
        } else if let text = try? container.decode(String.self),
            let parsed = Int64(text.trimmingCharacters(in: .whitespaces))
                ?? Double(text).flatMap({ $0.isFinite && $0.magnitude < 9.2e18 ? Int64($0) : nil })
        {
            value = parsed
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an integer, a number or a numeric string")
        }
    }
}

/// Decodes a string that an appliance may send as a string or a number (ONTAP error codes).
public struct LenientString: Decodable, Sendable, Hashable {
    /// The decoded text (numbers in their JSON spelling).
    public var value: String

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let integer = try? container.decode(Int64.self) {
            value = String(integer)
        } else if let double = try? container.decode(Double.self) {
            value = String(double)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a string or a number")
        }
    }
}
