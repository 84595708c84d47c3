import Foundation
import Logging
import StorageKit

extension StorageError.Code {
    /// The appliance answered the command with `success: false` (or no `success` at all).
    static let refused = StorageError.Code("refused by the appliance")
}

/// The `{"success": …, "records": […], "msg": "…"}` reply of the SoftNAS web API (storage-apis §4).
struct SoftNASReply: Decodable {
    var success: Bool?
    var msg: String?

    enum CodingKeys: String, CodingKey { case success, msg }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // `success` as the appliance's PHP may spell it: true/false, 1/0, "true"/"false".
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .success) {
            success = flag
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .success) {
            success = number != 0
        } else if let text = try? container.decodeIfPresent(String.self, forKey: .success) {
            success = ["true", "1"].contains(text.lowercased())
        }
        msg = (try? container.decodeIfPresent(String.self, forKey: .msg)) ?? nil
    }
}

/// A successful reply with its body, whose `records` are decoded by the caller.
struct SoftNASAnswer {
    var reply: SoftNASReply
    var response: HTTPResponse

    private struct Records<Record: Decodable>: Decodable {
        var records: [Record]?
        var total: LenientInt64?
    }

    /// The `records` of the reply (an absent list is empty), and `total` when the appliance says it.
    /// - Throws: `.unexpectedResponse` naming `opcode` when a record lacks a field the driver needs.
    func records<Record: Decodable>(_ type: Record.Type, vendor: String, operation: String, opcode: String)
        throws(StorageError) -> (records: [Record], total: Int64?)
    {
        do {
            let decoded = try JSONDecoder().decode(Records<Record>.self, from: Data(response.body))
            return (decoded.records ?? [], decoded.total?.value)
        } catch {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
                message: "\(opcode): unreadable records (\(error)): \(String(response.text.prefix(300)))")
        }
    }
}

/// One snapshot record of `snapshotlist`.
struct SoftNASSnapshotRecord: Decodable {
    var snapshotName: String
    var creation: LenientInt64?
    var refer: LenientInt64?
    var poolName: String?
    var volumeName: String?

    enum CodingKeys: String, CodingKey {
        case snapshotName = "snapshot_name"
        case poolName = "pool_name"
        case volumeName = "volume_name"
        case creation, refer
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        snapshotName = try container.decode(String.self, forKey: .snapshotName)
        creation = try? container.decodeIfPresent(LenientInt64.self, forKey: .creation)
        refer = try? container.decodeIfPresent(LenientInt64.self, forKey: .refer)
        poolName = try? container.decodeIfPresent(String.self, forKey: .poolName)
        volumeName = try? container.decodeIfPresent(String.self, forKey: .volumeName)
    }
}

/// One volume record of `volumes`.
struct SoftNASVolumeRecord: Decodable {
    var name: String
    var path: String?
    var pool: String?
    var used: LenientInt64?

    enum CodingKeys: String, CodingKey {
        case name = "vol_name"
        case path = "vol_path"
        case used = "used_numeric"
        case pool
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        path = try? container.decodeIfPresent(String.self, forKey: .path)
        pool = try? container.decodeIfPresent(String.self, forKey: .pool)
        used = try? container.decodeIfPresent(LenientInt64.self, forKey: .used)
    }
}

/// A request body of `snserv.php`: form fields (most opcodes) or one JSON object (`createvolume`, as the
/// reference sent it).
enum SoftNASBody {
    case form([(String, String)])
    case json([String: JSONValue])
}

/// One log-in session: `POST login.php`, then commands with the session cookie, then `GET logout.php`
/// (storage-apis §4). The cookie jar is this value's own: every operation of the driver opens a new one, as the
/// original did, so nothing of a session outlives its operation.
struct SoftNASSession {
    let http: ApplianceHTTPClient
    let credential: StorageCredential
    let operation: String
    /// `name=value` of every cookie the appliance set, in the order set.
    private var cookies: [(name: String, value: String)] = []

    var vendor: String { http.vendor }

    /// Logs in. Throws `.permissionDenied` when the appliance refuses the user or sets no session cookie.
    static func open(http: ApplianceHTTPClient, credential: StorageCredential, operation: String)
        async throws(StorageError) -> SoftNASSession
    {
        var session = SoftNASSession(http: http, credential: credential, operation: operation)
        let body = ApplianceHTTPClient.encodeQuery([("username", credential.user), ("password", credential.password)])
        let response = try await http.send(
            .post, "login.php", body: Array(body.utf8), headers: [Self.formType], operation: operation,
            retry: .idempotent)
        session.store(response)
        let reply = try? JSONDecoder().decode(SoftNASReply.self, from: Data(response.body))
        let refused = reply?.success == false
        guard (200..<400).contains(response.status), !refused, !session.cookies.isEmpty else {
            let reason =
                reply?.msg.map { response.redacted($0) }
                ?? (session.cookies.isEmpty ? "no session cookie was set" : "HTTP \(response.status)")
            http.logger.error("SoftNAS log-in as \(credential.user) failed: \(reason)")
            throw StorageError(
                response.status >= 500 ? .serverError : .permissionDenied,
                vendor: http.vendor, operation: operation, status: response.status,
                message: "log-in as \(credential.user) failed (Return code: \(response.status)): \(reason)")
        }
        return session
    }

    static let formType = HTTPHeader("Content-Type", "application/x-www-form-urlencoded")

    /// Keeps the cookies of `Set-Cookie` headers (name and value; the attributes do not matter within one session).
    private mutating func store(_ response: HTTPResponse) {
        for header in response.headers where header.name.lowercased() == "set-cookie" {
            guard let pair = header.value.split(separator: ";", maxSplits: 1).first else { continue }
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { continue }
            cookies.removeAll { $0.name == parts[0] }
            cookies.append((parts[0], parts[1]))
        }
    }

    private var cookieHeader: HTTPHeader {
        HTTPHeader("Cookie", cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; "))
    }

    /// Runs one `snserv.php` command and returns its reply.
    /// - Throws: `.refused` when `success` is missing or false, whatever the HTTP status (the message is the
    ///   original's `Request failed. Return code: <status>, message: <msg>`); `.unexpectedResponse` for a body that
    ///   is not the appliance's JSON; `.serverError` for a 5xx without one; transport errors.
    mutating func command(_ opcode: String, _ body: SoftNASBody, retry: RequestRetryMode) async throws(StorageError)
        -> SoftNASAnswer
    {
        let bytes: [UInt8]
        let type: HTTPHeader
        switch body {
        case .form(let fields):
            bytes = Array(ApplianceHTTPClient.encodeQuery([("opcode", opcode)] + fields).utf8)
            type = Self.formType
        case .json(let fields):
            var object = fields
            object["opcode"] = .string(opcode)
            bytes = JSONValue.object(object).bytes
            type = HTTPHeader("Content-Type", "application/json")
        }
        let response = try await http.send(
            .post, "snserver/snserv.php", body: bytes, headers: [type, cookieHeader], operation: operation,
            retry: retry)
        store(response)
        guard let reply = try? JSONDecoder().decode(SoftNASReply.self, from: Data(response.body)) else {
            let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw StorageError(
                response.status >= 500 ? .serverError : .unexpectedResponse, vendor: vendor, operation: operation,
                status: response.status,
                message:
                    "\(opcode): the appliance did not answer with its JSON reply (Return code: \(response.status)): \(text.isEmpty ? "empty body" : String(text.prefix(300)))"
            )
        }
        guard reply.success == true, (200..<300).contains(response.status) else {
            let message = response.redacted(reply.msg ?? "no message")
            http.logger.debug("\(opcode) answered success=\(reply.success.map(String.init) ?? "missing"): \(message)")
            throw StorageError(
                response.status >= 500 ? .serverError : .refused, vendor: vendor, operation: operation,
                status: response.status,
                message: "\(opcode): Request failed. Return code: \(response.status), message: \(message)")
        }
        return SoftNASAnswer(reply: reply, response: response)
    }

    /// Logs out (`GET logout.php`); a failure is only logged: the session expires on the appliance anyway.
    func close() async {
        do {
            let response = try await http.send(
                .get, "logout.php", headers: [cookieHeader], operation: operation, retry: .once)
            if !(200..<400).contains(response.status) {
                http.logger.debug("SoftNAS log-out answered \(response.status)")
            }
        } catch {
            http.logger.debug("SoftNAS log-out failed: \(error)")
        }
    }
}
