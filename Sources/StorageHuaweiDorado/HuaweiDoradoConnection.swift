import Foundation
import Logging
import StorageKit

/// One log-in to the array: the `iBaseToken`, the device id that later paths carry, and the session cookie.
struct HuaweiDoradoSessionState: Sendable, Hashable {
    var token: String
    var deviceID: String
    /// `name=value` pairs of the log-in answer's `Set-Cookie` headers, joined for a `Cookie` header.
    var cookie: String?
}

/// Holds the session of ONE driver instance and its copies: the original kept its headers in a class attribute,
/// so every instance in a process shared one token. Also caches the vStore id, which never changes.
actor HuaweiDoradoSessionStore {
    private var state: HuaweiDoradoSessionState?
    private(set) var logins = 0
    private var vstoreID: String?

    func current() -> HuaweiDoradoSessionState? { state }

    func store(_ state: HuaweiDoradoSessionState) {
        self.state = state
        logins += 1
    }

    /// Forgets `stale` unless another call has already replaced it.
    func invalidate(_ stale: HuaweiDoradoSessionState) {
        if state == stale { state = nil }
    }

    func cachedVStoreID() -> String? { vstoreID }

    func cache(vstoreID: String) { self.vstoreID = vstoreID }
}

/// Sends DeviceManager requests: logs in when needed, carries `iBaseToken` and the session cookie, reads the
/// `error.code` of every HTTP-200 answer, logs in again once when the array answers `-401` (expired or rejected
/// session, storage-apis §1.4) and retries the request once, and repeats idempotent requests while the array
/// says it is busy.
struct HuaweiDoradoConnection: Sendable {
    /// Base `<url>/deviceManager/rest`.
    let http: ApplianceHTTPClient
    let credential: StorageCredential
    let sessions: HuaweiDoradoSessionStore

    var vendor: String { http.vendor }
    var logger: Logger { http.logger }

    /// Sends `method` to `<deviceid>/<resource>` (resource with its query, components encoded) and returns the
    /// decoded answer whatever its `error.code` (callers map codes in context).
    /// - Throws: `.permissionDenied` when the log-in fails or a fresh session is rejected again; `.transport`,
    ///   `.timeout`, `.serverError` or `.unexpectedResponse` when no envelope came back.
    func send(
        _ method: HTTPMethod, _ resource: String, body: JSONValue? = nil, operation: String, retry: RequestRetryMode
    ) async throws(StorageError) -> HuaweiDoradoWire.Reply {
        var session = try await currentSession(operation: operation)
        var relogged = false
        var busyAttempt = 1
        while true {
            let reply = try await sendOnce(
                method, resource, body: body, session: session, operation: operation, retry: retry)
            if reply.code == HuaweiDoradoWire.Code.unauthorized {
                await sessions.invalidate(session)
                guard !relogged else {
                    throw StorageError(
                        .permissionDenied, vendor: vendor, operation: operation,
                        message:
                            "\(method.rawValue) \(resource): the array rejected a fresh session (error -401) right after log-in as \(credential.user)"
                    )
                }
                logger.info("Dorado session expired or was rejected (error -401); logging in again and retrying once")
                relogged = true
                session = try await login(operation: operation)
                continue
            }
            if reply.code == HuaweiDoradoWire.Code.systemBusy, retry != .once,
                busyAttempt < http.retryPolicy.maxAttempts
            {
                busyAttempt += 1
                let pause = http.retryPolicy.backoff(beforeAttempt: busyAttempt)
                logger.warning(
                    "\(method.rawValue) to \(resource): the array is busy (error \(reply.code)); retrying in \(pause) (attempt \(busyAttempt) of \(http.retryPolicy.maxAttempts))"
                )
                do { try await Task.sleep(for: pause) } catch {
                    throw StorageError(
                        .timeout, vendor: vendor, operation: operation, message: "cancelled while waiting to retry")
                }
                continue
            }
            return reply
        }
    }

    private func sendOnce(
        _ method: HTTPMethod, _ resource: String, body: JSONValue?, session: HuaweiDoradoSessionState,
        operation: String, retry: RequestRetryMode
    ) async throws(StorageError) -> HuaweiDoradoWire.Reply {
        var headers = [HTTPHeader("iBaseToken", session.token)]
        if let cookie = session.cookie { headers.append(HTTPHeader("Cookie", cookie)) }
        let path = "\(ApplianceHTTPClient.encodePathComponent(session.deviceID))/\(resource)"
        let response = try await http.send(
            method, path, body: body?.bytes, headers: headers, operation: operation, retry: retry)
        return try decode(response, method, resource, operation: operation)
    }

    /// The envelope of an HTTP-200 answer; other statuses and bodies that are no envelope are errors.
    private func decode(_ response: HTTPResponse, _ method: HTTPMethod, _ resource: String, operation: String)
        throws(StorageError) -> HuaweiDoradoWire.Reply
    {
        guard response.status == 200 else {
            let code: StorageError.Code
            switch response.status {
            case 401, 403: code = .permissionDenied
            case 404: code = .unexpectedResponse
            case 500...599: code = .serverError
            default: code = .unexpectedResponse
            }
            logger.error("\(method.rawValue) to \(resource) returned HTTP \(response.status)")
            throw StorageError(
                code, vendor: vendor, operation: operation, status: response.status,
                message:
                    "\(method.rawValue) \(resource) returned HTTP \(response.status) (the array answers 200 to every API call): \(String(response.text.prefix(300)))"
            )
        }
        guard let reply = HuaweiDoradoWire.reply(response) else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
                message:
                    "\(method.rawValue) \(resource): expected {\"data\": …, \"error\": {\"code\": …}}, got: \(String(response.text.prefix(300)))"
            )
        }
        return reply
    }

    private func currentSession(operation: String) async throws(StorageError) -> HuaweiDoradoSessionState {
        if let session = await sessions.current() { return session }
        return try await login(operation: operation)
    }

    /// `POST xxxxx/sessions` with the credentials (storage-apis §5.1).
    private func login(operation: String) async throws(StorageError) -> HuaweiDoradoSessionState {
        let body: JSONValue = [
            "username": .string(credential.user), "password": .string(credential.password), "scope": 0,
        ]
        let response = try await http.send(
            .post, "xxxxx/sessions", body: body.bytes, operation: operation, retry: .once)
        let reply = try decode(response, .post, "xxxxx/sessions", operation: operation)
        guard reply.code == HuaweiDoradoWire.Code.success else {
            let code = reply.code
            var reason = "error \(code)"
            if HuaweiDoradoWire.Code.wrongPassword.contains(code) {
                reason = "wrong user name or password (error \(code))"
            } else if HuaweiDoradoWire.Code.accountLocked.contains(code) {
                reason = "the account is locked (error \(code))"
            } else if code == HuaweiDoradoWire.Code.ipLocked {
                reason = "this IP address is locked out (error \(code))"
            } else if code == HuaweiDoradoWire.Code.maximumSessions {
                reason = "the array's maximum number of sessions is reached (error \(code))"
            }
            let detail = reply.description.isEmpty ? "" : ": \(reply.description)"
            throw StorageError(
                .permissionDenied, vendor: vendor, operation: operation,
                message: "log-in as \(credential.user) failed, \(reason)\(detail)")
        }
        guard let record = reply.record, let token = record["iBaseToken"], !token.isEmpty,
            let deviceID = record["deviceid"], !deviceID.isEmpty
        else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "log-in answered without data.iBaseToken and data.deviceid")
        }
        let cookies = response.headers.filter { $0.name.caseInsensitiveCompare("Set-Cookie") == .orderedSame }
            .compactMap { $0.value.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        let session = HuaweiDoradoSessionState(
            token: token, deviceID: deviceID, cookie: cookies.isEmpty ? nil : cookies.joined(separator: "; "))
        await sessions.store(session)
        logger.debug("Logged in to the Dorado array as \(credential.user) (device \(deviceID))")
        return session
    }

    /// Ends the session (`DELETE <deviceid>/sessions`), if one is open; failures are only logged.
    func logout() async {
        guard let session = await sessions.current() else { return }
        do {
            _ = try await sendOnce(.delete, "sessions", body: nil, session: session, operation: "logout", retry: .once)
        } catch {
            logger.debug("Dorado log-out failed: \(error)")
        }
        await sessions.invalidate(session)
    }
}
