import Foundation
import Logging
import StorageKit

/// How the driver authenticates (storage-apis §2.2).
public enum ZFSSAAuthentication: String, Sendable, Hashable, CaseIterable {
    /// `Authorization: Basic` on every request (the reference's way).
    case basic
    /// One log-in (`POST /api/access/v1`), then `X-Auth-Session`; on 401 log in again and retry once.
    case session
}

/// Holds the session token, shared by every copy of a driver.
actor ZFSSASessionStore {
    private var token: String?

    func current() -> String? { token }

    func store(_ token: String) { self.token = token }

    /// Forgets `token` unless another call has already replaced it.
    func invalidate(_ stale: String) {
        if token == stale { token = nil }
    }
}

/// Sends ZFSSA requests with authentication, including the session log-in and the one re-login after a 401.
struct ZFSSAConnection: Sendable {
    let http: ApplianceHTTPClient
    /// `https://host:215/api/access/v1`.
    let accessURL: String
    let credential: StorageCredential
    let authentication: ZFSSAAuthentication
    let sessions: ZFSSASessionStore

    var vendor: String { http.vendor }

    func send(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, operation: String, retry: RequestRetryMode
    ) async throws(StorageError) -> HTTPResponse {
        switch authentication {
        case .basic:
            let headers = [HTTPHeader("Authorization", credential.basicAuthorization)]
            return try await http.send(
                method, path, body: body?.bytes, headers: headers, operation: operation, retry: retry)
        case .session:
            let token = try await sessionToken(operation: operation)
            let response = try await http.send(
                method, path, body: body?.bytes, headers: [HTTPHeader("X-Auth-Session", token)],
                operation: operation, retry: retry)
            guard response.status == 401 else { return response }
            http.logger.info("ZFSSA session expired or was rejected (401); logging in again and retrying once")
            await sessions.invalidate(token)
            let fresh = try await sessionToken(operation: operation)
            return try await http.send(
                method, path, body: body?.bytes, headers: [HTTPHeader("X-Auth-Session", fresh)],
                operation: operation, retry: retry)
        }
    }

    /// The current token, logging in when there is none.
    private func sessionToken(operation: String) async throws(StorageError) -> String {
        if let token = await sessions.current() { return token }
        let headers = [HTTPHeader("X-Auth-User", credential.user), HTTPHeader("X-Auth-Key", credential.password)]
        let response = try await http.send(
            .post, accessURL, body: nil, headers: headers, operation: operation, retry: .once)
        guard response.status == 201 || response.status == 200 else {
            let code: StorageError.Code =
                response.status == 401 || response.status == 403 ? .permissionDenied : .unexpectedResponse
            throw StorageError(
                code, vendor: vendor, operation: operation, status: response.status,
                message: "log-in as \(credential.user) failed: \(ZFSSAWire.faultText(response))")
        }
        guard let token = response.header("X-Auth-Session"), !token.isEmpty else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
                message: "log-in answered \(response.status) without an X-Auth-Session header")
        }
        await sessions.store(token)
        return token
    }

    /// Ends the session (`DELETE /api/access/v1`), if one is open.
    func logout() async {
        guard authentication == .session, let token = await sessions.current() else { return }
        _ = try? await http.send(
            .delete, accessURL, headers: [HTTPHeader("X-Auth-Session", token)], operation: "logout", retry: .once)
        await sessions.invalidate(token)
    }
}
