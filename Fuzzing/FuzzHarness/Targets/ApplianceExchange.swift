import Foundation
import StorageKit
import Synchronization

/// One fuzzed driver call: which operation, driver options, and how each successive HTTP answer deviates from
/// what a healthy appliance would send.
///
/// Wire format (tolerant: a short or damaged input decodes to defaults): byte 0 operation, byte 1 option bits,
/// then one 11-byte slot per request: kind, status override (2 bytes, 0 keeps the healthy status), seed (8 bytes).
/// Kinds: 0 healthy answer, 1 the healthy body mutated (seeded), 2 an error body echoing the request (headers with
/// their secret values), 3 an empty body, 4 a body of random bytes (seeded).
struct ApplianceExchange: Sendable {
    enum Kind: UInt8 { case healthy = 0, mutated, echo, empty, random }

    struct Slot: Sendable {
        var kind: Kind
        var status: Int?
        var seed: UInt64
    }

    var operation: Int
    var options: UInt8
    var slots: [Slot]

    static let slotSize = 11

    init(operation: Int, options: UInt8, slots: [Slot]) {
        self.operation = operation
        self.options = options
        self.slots = slots
    }

    init(bytes: [UInt8]) {
        operation = bytes.first.map(Int.init) ?? 0
        options = bytes.count > 1 ? bytes[1] : 0
        var slots: [Slot] = []
        var offset = 2
        while offset + Self.slotSize <= bytes.count {
            let kind = Kind(rawValue: bytes[offset] % 5) ?? .healthy
            let status = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let seed = bytes[(offset + 3)..<(offset + 11)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            slots.append(Slot(kind: kind, status: status == 0 ? nil : status, seed: seed))
            offset += Self.slotSize
        }
        self.slots = slots
    }

    var bytes: [UInt8] {
        var bytes = [UInt8(truncatingIfNeeded: operation), options]
        for slot in slots {
            let status = slot.status ?? 0
            bytes += [slot.kind.rawValue, UInt8(truncatingIfNeeded: status >> 8), UInt8(truncatingIfNeeded: status)]
            bytes += (0..<8).map { UInt8(truncatingIfNeeded: slot.seed >> (56 - 8 * $0)) }
        }
        return bytes
    }

    /// A random exchange for `operations` operations: mostly healthy answers with a few deviations.
    static func generate(operations: Int, random: inout FuzzRandom) -> [UInt8] {
        let statuses = [200, 201, 202, 204, 206, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504, 999, 1]
        let slots = (0..<(1 + random.below(12))).map { _ -> Slot in
            let kind: Kind = random.chance(1, in: 3) ? .healthy : Kind(rawValue: UInt8(1 + random.below(4)))!
            let status: Int? = random.chance(1, in: 4) ? random.pick(statuses) : nil
            return Slot(kind: kind, status: status, seed: random.next())
        }
        return ApplianceExchange(
            operation: random.below(operations), options: UInt8(truncatingIfNeeded: random.next()), slots: slots
        ).bytes
    }
}

/// Answers a driver's requests like a healthy appliance would (`healthy`), except where the exchange's slot for
/// that request says otherwise. Requests beyond the last slot get healthy answers.
final class ApplianceReplayTransport: HTTPTransport, Sendable {
    typealias Healthy = @Sendable (HTTPRequest) -> HTTPResponse

    private let exchange: ApplianceExchange
    private let healthy: Healthy
    private let mutator: Mutator
    private let count = Mutex(0)

    init(exchange: ApplianceExchange, mutator: Mutator, healthy: @escaping Healthy) {
        self.exchange = exchange
        self.mutator = mutator
        self.healthy = healthy
    }

    /// Requests answered so far.
    var requests: Int { count.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        let index = count.withLock { value -> Int in
            value += 1
            return value - 1
        }
        if index > 20_000 { throw HTTPTransportError(.connection, "fuzz transport: more than 20000 requests") }
        var response = healthy(request)
        guard index < exchange.slots.count else { return response }
        let slot = exchange.slots[index]
        var random = FuzzRandom(seed: slot.seed)
        switch slot.kind {
        case .healthy: break
        case .mutated: response.body = mutator.mutate(response.body, splicing: [], random: &random)
        case .echo:
            let headers = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; ")
            let echo =
                "\(request.method.rawValue) \(request.url) \(headers) \(String(decoding: request.body ?? [], as: UTF8.self))"
            let body = try? JSONSerialization.data(
                withJSONObject: [
                    "fault": ["message": "ERR_DENIED", "details": echo],
                    "error": ["message": echo, "code": "6"],
                ])
            response.body = Array(body ?? Data())
            response.status = 403
        case .empty: response.body = []
        case .random:
            response.body = (0..<random.length(upTo: 2048)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        if let status = slot.status { response.status = status }
        return response
    }
}

/// The credentials every fuzzed driver uses, and the texts that must never appear in its errors.
enum FuzzCredentials {
    static let credential = StorageCredential(user: "fuzzadmin", password: "Fz9-canary-Pw")
    static let sessionToken = "fuzz-session-canary-7Q"

    static var secrets: [String] {
        [credential.password, credential.basicAuthorization, sessionToken]
            + [String(credential.basicAuthorization.dropFirst("Basic ".count))]
    }

    /// A finding unless `error` is a clear driver error: right vendor, an operation, a message, no secret.
    static func check(_ error: StorageError, vendor: String) throws(FuzzFinding) {
        guard error.vendor == vendor, !error.operation.isEmpty, !error.message.isEmpty else {
            throw FuzzFinding("unclear storage error: \(error)")
        }
        let text = "\(error)"
        for secret in secrets where text.contains(secret) {
            throw FuzzFinding("a secret reached an error message: \(text)")
        }
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}

extension HTTPRequest {
    /// Path components after the API base (`/api/storage/v2/` or `/api/`), percent-decoded, and the query.
    func route(after base: String) -> (parts: [String], query: [String: String]) {
        let components = URLComponents(string: url)
        let path = components?.percentEncodedPath ?? url
        let relative = path.range(of: base).map { String(path[$0.upperBound...]) } ?? path
        let parts = relative.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return (parts, query)
    }

    /// The `name` field of a JSON request body.
    var bodyName: String? {
        guard let body, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return nil
        }
        return (object["name"] as? String) ?? (object["share"] as? String)
    }
}
