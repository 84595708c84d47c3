import Foundation
import Logging

/// HTTP methods the appliance drivers use.
public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case patch = "PATCH"
    case delete = "DELETE"
}

/// One header line. Values of `Authorization`, `X-Auth-Key` and `X-Auth-Session` are secrets and are never logged.
public struct HTTPHeader: Sendable, Hashable {
    /// Header name, e.g. `Content-Type`.
    public var name: String
    /// Header value, sent as given.
    public var value: String

    /// A header `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request as a transport sends it: absolute URL, headers, optional body, deadline.
public struct HTTPRequest: Sendable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// Absolute URL, already percent-encoded.
    public var url: String
    /// Headers to send, in order.
    public var headers: [HTTPHeader]
    /// Request body; `nil` sends none.
    public var body: [UInt8]?
    /// Time allowed for the whole exchange (connect, send, receive).
    public var timeout: Duration

    /// A request; the default deadline is five minutes.
    public init(
        method: HTTPMethod, url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(300)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A complete response.
public struct HTTPResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Response headers, in the order received.
    public var headers: [HTTPHeader]
    /// The whole response body.
    public var body: [UInt8]
    /// Secrets of the request this answers (password, authorization, token), masked in ``text`` and
    /// ``redacted(_:)``: an appliance may echo them in an error body.
    public var secrets: [String]

    /// A response; `secrets` are masked wherever its text is shown.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], secrets: [String] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.secrets = secrets
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as UTF-8 text (lossy), for messages; the request's secrets are masked.
    public var text: String { redacted(String(decoding: body, as: UTF8.self)) }

    /// `text` (built from this response, e.g. a decoded error message) with the request's secrets masked.
    public func redacted(_ text: String) -> String { SecretRedaction.redact(text, secrets: secrets) }
}

/// Why a request got no HTTP response at all.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// The kind of transport failure.
    public enum Kind: String, Sendable {
        /// The deadline passed.
        case timeout
        /// Connection refused, reset or closed early.
        case connection
        /// Certificate verification or TLS handshake failed.
        case tls
        /// The URL cannot be used.
        case invalidRequest
    }

    /// What failed.
    public var kind: Kind
    /// Detail from the transport (never contains header values).
    public var message: String

    /// A failure of `kind` with detail `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Sends HTTP requests. Vendor drivers talk to this protocol only; `StorageHTTP` provides the
/// libcurl implementation (`CurlTransport`), tests may provide fakes.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns whatever status the server answered; throws only when there is no response.
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse
}

/// TLS and timeout settings a transport is built from (one appliance).
public struct HTTPTransportOptions: Sendable {
    /// Driver name, for log messages.
    public var vendor: String
    /// PEM file with the CA (or self-signed) certificate(s) to trust, in addition to the system store.
    public var caFile: String?
    /// Skip certificate verification entirely (`insecure: TRUE`); logged as a WARNING whenever a transport is made.
    public var insecure: Bool
    /// Time allowed to establish a connection (TCP and TLS handshake); each request's deadline still applies.
    public var connectTimeout: Duration
    /// Logger for transport warnings (e.g. certificate checks turned off).
    public var logger: Logger

    /// Options for one appliance's transport.
    public init(
        vendor: String, caFile: String? = nil, insecure: Bool = false, connectTimeout: Duration = .seconds(30),
        logger: Logger
    ) {
        self.vendor = vendor
        self.caFile = caFile
        self.insecure = insecure
        self.connectTimeout = connectTimeout
        self.logger = logger
    }
}

/// Builds a transport for one appliance; must not do network I/O.
public typealias HTTPTransportFactory = @Sendable (HTTPTransportOptions) throws(StorageError) -> any HTTPTransport

/// Credentials for an appliance. Kept apart from the settings dictionary so that they are never printed:
/// `description`, `debugDescription` and reflection show only the user.
public struct StorageCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Appliance user name.
    public var user: String
    /// Appliance password; never printed.
    public var password: String

    /// Credentials for `user`.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "\(user)/****" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["user": user, "password": "****"]) }

    /// `Basic <base64(user:password)>`.
    public var basicAuthorization: String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

extension StorageError.Code {
    /// The appliance answered with a server-side error (5xx) that retries did not cure.
    public static let serverError = StorageError.Code("server error")
    /// An asynchronous appliance job ended in failure.
    public static let jobFailed = StorageError.Code("job failed")
}
