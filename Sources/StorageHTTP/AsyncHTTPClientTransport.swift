import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import StorageKit

/// ``HTTPTransport`` on AsyncHTTPClient, for HTTPS to storage appliances.
///
/// Certificates are verified against the system store plus the appliance's CA file (`cacert`); verification is
/// switched off only by `insecure: TRUE`, which logs a WARNING each time a transport is made (once per run and
/// appliance). Redirects are not followed. All transports share one process-wide client; each keeps its own
/// TLS settings, so connections to differently configured appliances are never pooled together.
public struct AsyncHTTPClientTransport: HTTPTransport {
    /// The appliance's TLS settings (`cacert`, `insecure`); `connectTimeout` is not used, the shared client
    /// connects within 30 s.
    public let options: HTTPTransportOptions
    private let tlsConfiguration: TLSConfiguration

    /// Largest response body accepted.
    public static let maximumBodySize = 64 << 20

    /// A transport for one appliance; logs a WARNING when `options.insecure` turns certificate checks off. No network
    /// I/O.
    public init(options: HTTPTransportOptions) {
        self.options = options
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        if options.insecure {
            tls.certificateVerification = .none
            options.logger.warning(
                "TLS certificate verification is OFF for \(options.vendor) (insecure: TRUE); the appliance's identity is not checked and credentials can be intercepted"
            )
        }
        self.tlsConfiguration = tls
    }

    /// The factory to pass to the vendor drivers' `register(in:transport:)`.
    public static let factory: HTTPTransportFactory = { options throws(StorageError) in
        AsyncHTTPClientTransport(options: options)
    }

    /// Sends `request` and returns the whole response, whatever its status. Throws `.tls` (certificate not trusted,
    /// `cacert` file unreadable), `.timeout` (the request's deadline passed), `.invalidRequest` (unusable URL) or
    /// `.connection` (anything else, including a body over ``maximumBodySize``).
    public func send(_ request: StorageKit.HTTPRequest) async throws(HTTPTransportError) -> StorageKit.HTTPResponse {
        if let caFile = options.caFile, request.url.hasPrefix("https:"),
            !FileManager.default.isReadableFile(atPath: caFile)
        {
            throw HTTPTransportError(.tls, "CA file \(caFile) (cacert) is missing or unreadable")
        }
        var clientRequest = HTTPClientRequest(url: request.url)
        clientRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        for header in request.headers {
            clientRequest.headers.add(name: header.name, value: header.value)
        }
        if let body = request.body {
            clientRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        clientRequest.tlsConfiguration = tlsConfiguration
        let timeout = TimeAmount.nanoseconds(Self.nanoseconds(request.timeout))
        do {
            let response = try await SharedClient.client.execute(clientRequest, timeout: timeout)
            var buffer = try await response.body.collect(upTo: Self.maximumBodySize)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return StorageKit.HTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { HTTPHeader($0.name, $0.value) },
                body: bytes)
        } catch {
            throw Self.classify(error)
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// What to do when the appliance's certificate is not trusted. The original tools did not check ZFSSA,
    /// SoftNAS and Huawei certificates at all; these tools do, so a self-signed appliance needs its CA.
    static let trustAdvice =
        "The appliance's certificate must be signed by a CA this host trusts (the original tools did not check it): "
        + "set cacert: <file with the appliance's CA or certificate, PEM> in the storage section, or, at your own "
        + "risk, insecure: TRUE"

    /// Maps AsyncHTTPClient, NIO and TLS errors to the three kinds a driver cares about.
    static func classify(_ error: any Error) -> HTTPTransportError {
        if let clientError = error as? HTTPClientError {
            let timeouts: [HTTPClientError] = [
                .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout,
            ]
            if timeouts.contains(clientError) {
                return HTTPTransportError(.timeout, "no answer in time (\(clientError))")
            }
            if [HTTPClientError.invalidURL, .emptyHost, .emptyScheme].contains(clientError) {
                return HTTPTransportError(.invalidRequest, "\(clientError)")
            }
            return HTTPTransportError(.connection, "\(clientError)")
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return HTTPTransportError(
                .tls, "TLS failure (certificate not trusted or handshake refused): \(error). \(trustAdvice)")
        }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("certificate") || text.contains("SSL") {
            return HTTPTransportError(.tls, "TLS failure: \(text). \(trustAdvice)")
        }
        return HTTPTransportError(.connection, text)
    }
}

/// One client for the whole process; it lives until exit, so it is never shut down.
private enum SharedClient {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30)))
        configuration.connectionPool.idleTimeout = .seconds(30)
        // Fail fast on refused connections and TLS errors; ApplianceHTTPClient decides about retries.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
