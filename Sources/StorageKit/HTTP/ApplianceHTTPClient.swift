import Foundation
import Logging

/// Which requests may be sent again after a lost or failed attempt.
public enum RequestRetryMode: Sendable, Hashable {
    /// Never repeated (creates, clones, anything with a side effect).
    case once
    /// Safe to repeat (GET, a PUT that only sets properties).
    case idempotent
    /// A DELETE: safe to repeat, and "not found" on a *repeated* attempt means the first one worked.
    case idempotentDelete
}

/// Bounded retries with exponential back-off, for idempotent requests only.
public struct HTTPRetryPolicy: Sendable, Hashable {
    /// Attempts in total, including the first.
    public var maxAttempts: Int
    /// Pause before the second attempt; doubled for each further one, up to `maxBackoff`.
    public var initialBackoff: Duration
    /// Longest pause between two attempts.
    public var maxBackoff: Duration
    /// Statuses worth another attempt.
    public var retryableStatuses: Set<Int>

    /// A policy; `maxAttempts` below 1 counts as 1.
    public init(
        maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(8),
        retryableStatuses: Set<Int> = [500, 502, 503, 504]
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.retryableStatuses = retryableStatuses
    }

    /// The pause before attempt `attempt` (2, 3, …).
    public func backoff(beforeAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        var step = 2
        while step < attempt, delay < maxBackoff {
            delay = delay * 2
            step += 1
        }
        return min(delay, maxBackoff)
    }
}

/// The HTTP layer shared by the appliance drivers: builds URLs under a base, adds headers, logs each call in the
/// reference's style (`Sending GET to pools/…`, `Return code: 200`), retries idempotent calls, and turns
/// transport failures into ``StorageError``s naming vendor and operation. Header values are never logged.
public struct ApplianceHTTPClient: Sendable {
    /// Driver name, for errors and log messages.
    public let vendor: String
    /// Base URL without a trailing slash, e.g. `https://zfssa:215/api/storage/v2`.
    public let baseURL: String
    /// Sends the requests.
    public let transport: any HTTPTransport
    /// Receives one line per request and response status.
    public let logger: Logger
    /// Deadline per attempt.
    public let timeout: Duration
    /// Retries for idempotent requests.
    public let retryPolicy: HTTPRetryPolicy
    /// Texts masked in every response's message text besides the request's own secret headers (e.g. the
    /// password, which session-authenticated requests do not carry).
    public let secrets: [String]

    /// A client for the appliance at `baseURL` (a trailing slash is dropped).
    public init(
        vendor: String, baseURL: String, transport: any HTTPTransport, logger: Logger,
        timeout: Duration = .seconds(300), retryPolicy: HTTPRetryPolicy = HTTPRetryPolicy(), secrets: [String] = []
    ) {
        self.vendor = vendor
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.logger = logger
        self.timeout = timeout
        self.retryPolicy = retryPolicy
        self.secrets = secrets
    }

    /// Percent-encodes one path component (everything but unreserved characters), like Python's `quote_plus`
    /// except that a space becomes `%20`.
    public static func encodePathComponent(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: unreservedCharacters) ?? component
    }

    /// Percent-encodes a query string from pairs.
    public static func encodeQuery(_ query: [(String, String)]) -> String {
        query.map { "\(encodePathComponent($0.0))=\(encodePathComponent($0.1))" }.joined(separator: "&")
    }

    private static let unreservedCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Sends `method` to `path` (relative to the base, components already encoded; may carry `?query`).
    ///
    /// Returns any HTTP response, whatever its status, except that retryable statuses on idempotent calls are
    /// retried first. A repeated DELETE answered 404 is returned as 204 (the first attempt did the work).
    /// - Throws: `.timeout` or `.transport` when no response arrived after the allowed attempts.
    public func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [HTTPHeader] = [],
        operation: String, retry: RequestRetryMode
    ) async throws(StorageError) -> HTTPResponse {
        let absolute = path.hasPrefix("http://") || path.hasPrefix("https://")
        // An absolute URL comes from an answer (a paging or job link): credentials go to the appliance only.
        if absolute, Self.origin(of: path) != Self.origin(of: baseURL) {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message:
                    "refusing to send \(method.rawValue) to \(SecretRedaction.maskingURLPassword(path)): the appliance's answer points to another host than \(Self.origin(of: baseURL) ?? baseURL)"
            )
        }
        let url = absolute ? path : "\(baseURL)/\(path)"
        let shownPath = Self.relativePath(url, base: baseURL)
        let attempts = retry == .once ? 1 : retryPolicy.maxAttempts
        var requestHeaders = headers
        if body != nil, !requestHeaders.contains(where: { $0.name.lowercased() == "content-type" }) {
            requestHeaders.append(HTTPHeader("Content-Type", "application/json"))
        }
        if !requestHeaders.contains(where: { $0.name.lowercased() == "accept" }) {
            requestHeaders.append(HTTPHeader("Accept", "application/json"))
        }
        let request = HTTPRequest(method: method, url: url, headers: requestHeaders, body: body, timeout: timeout)
        let secrets =
            self.secrets + headers.filter(\.isSecret).flatMap { SecretRedaction.secrets(inHeaderValue: $0.value) }
        var attempt = 1
        while true {
            logger.debug("Sending \(method.rawValue) to \(shownPath)")
            if let body, logger.logLevel <= .trace {
                logger.trace(
                    "Request body: \(SecretRedaction.redact(String(decoding: body, as: UTF8.self), secrets: secrets))")
            }
            let outcome: Result<HTTPResponse, HTTPTransportError>
            do {
                var response = try await transport.send(request)
                response.secrets = secrets
                outcome = .success(response)
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let response):
                logger.debug("Return code: \(response.status)")
                if retry == .idempotentDelete, attempt > 1, response.status == 404 {
                    logger.info(
                        "\(method.rawValue) to \(shownPath) returned 404 on attempt \(attempt): already gone after an earlier attempt"
                    )
                    return HTTPResponse(status: 204, headers: response.headers, body: [], secrets: secrets)
                }
                if retryPolicy.retryableStatuses.contains(response.status), attempt < attempts {
                    let pause = retryPolicy.backoff(beforeAttempt: attempt + 1)
                    logger.warning(
                        "\(method.rawValue) to \(shownPath) returned \(response.status); retrying in \(pause) (attempt \(attempt + 1) of \(attempts))"
                    )
                    try await sleep(pause, operation: operation)
                    attempt += 1
                    continue
                }
                if response.status >= 400 {
                    logger.debug("\(method.rawValue) to \(shownPath) returned \(response.status)")
                }
                return response
            case .failure(let failure):
                let retryable = failure.kind == .timeout || failure.kind == .connection
                if retryable, attempt < attempts {
                    let pause = retryPolicy.backoff(beforeAttempt: attempt + 1)
                    logger.warning(
                        "\(method.rawValue) to \(shownPath) failed (\(failure)); retrying in \(pause) (attempt \(attempt + 1) of \(attempts))"
                    )
                    try await sleep(pause, operation: operation)
                    attempt += 1
                    continue
                }
                let reason = SecretRedaction.redact(failure.message, secrets: secrets)
                logger.error("\(method.rawValue) to \(shownPath) failed: \(failure.kind.rawValue): \(reason)")
                let tried = attempt > 1 ? " after \(attempt) attempts" : ""
                throw StorageError(
                    failure.kind == .timeout ? .timeout : .transport, vendor: vendor, operation: operation,
                    message: "\(method.rawValue) \(shownPath)\(tried): \(reason)")
            }
        }
    }

    private func sleep(_ duration: Duration, operation: String) async throws(StorageError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw StorageError(
                .timeout, vendor: vendor, operation: operation, message: "cancelled while waiting to retry")
        }
    }

    /// `scheme://host:port` of `url` (lower case, default port filled in), or nil when it has no host.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : 0)
        return "\(scheme)://\(host):\(port)"
    }

    /// `url` relative to `base` (for log lines), or the path part of a foreign URL.
    static func relativePath(_ url: String, base: String) -> String {
        if url.hasPrefix(base + "/") { return String(url.dropFirst(base.count + 1)) }
        if let components = URLComponents(string: url) {
            let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
            return components.percentEncodedPath + query
        }
        return url
    }
}
