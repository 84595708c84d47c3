import CCurl
import CCurlLoader
import Foundation
import Logging
import StorageKit
import Synchronization

/// ``HTTPTransport`` on the system libcurl, for HTTPS to storage appliances.
///
/// Certificates are verified against the system store plus the appliance's CA file (`cacert`); verification is
/// switched off only by `insecure: TRUE`, which logs a WARNING each time a transport is made (once per run and
/// appliance). Redirects are not followed and only `http`/`https` URLs are used. Each transport keeps its own libcurl
/// handles, and with them its own connections: requests to one appliance reuse a kept-alive connection (TCP_NODELAY
/// set), and connections to differently configured appliances are never shared. A transfer runs on a thread of
/// its own, never on Swift's cooperative pool or Dispatch's global queues; cancelling the calling task aborts it.
public struct CurlTransport: HTTPTransport {
    /// The appliance's TLS and connect-timeout settings (`cacert`, `insecure`, `connectTimeout`).
    public let options: HTTPTransportOptions
    private let handles: HandlePool

    /// Largest response body accepted.
    public static let maximumBodySize = 64 << 20

    /// A transport for one appliance; logs a WARNING when `options.insecure` turns certificate checks off. No network
    /// I/O.
    public init(options: HTTPTransportOptions) {
        self.options = options
        self.handles = HandlePool()
        if options.insecure {
            options.logger.warning(
                "TLS certificate verification is OFF for \(options.vendor) (insecure: TRUE); the appliance's identity is not checked and credentials can be intercepted"
            )
        }
    }

    /// The factory to pass to the vendor drivers' `register(in:transport:)`.
    public static let factory: HTTPTransportFactory = { options throws(StorageError) in
        CurlTransport(options: options)
    }

    /// How many TCP connections this transport has opened so far; with keep-alive, a run of sequential requests to
    /// one appliance opens one.
    public var connectionsOpened: Int { handles.connectionsOpened.load(ordering: .relaxed) }

    /// Sends `request` and returns the whole response, whatever its status. Throws `.tls` (certificate not trusted,
    /// `cacert` file unreadable), `.timeout` (the request's deadline or the connect timeout passed),
    /// `.invalidRequest` (unusable URL) or `.connection` (anything else, including a body over ``maximumBodySize``
    /// and a cancelled task).
    public func send(_ request: StorageKit.HTTPRequest) async throws(HTTPTransportError) -> StorageKit.HTTPResponse {
        if let caFile = options.caFile, request.url.hasPrefix("https:"),
            !FileManager.default.isReadableFile(atPath: caFile)
        {
            throw HTTPTransportError(.tls, "CA file \(caFile) (cacert) is missing or unreadable")
        }
        if Task.isCancelled {
            throw HTTPTransportError(.connection, "cancelled before the request was sent")
        }
        let exchange = Exchange()
        let options = self.options
        let handles = self.handles
        let outcome: Result<StorageKit.HTTPResponse, HTTPTransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A thread of its own: a transfer blocks, and Dispatch's global queues on Linux run only as many
                // blocked items at once as there are cores (concurrent requests would wait on each other).
                Thread.detachNewThread {
                    let handle: EasyHandle
                    switch handles.take() {
                    case .success(let taken): handle = taken
                    case .failure(let failure):
                        continuation.resume(returning: .failure(failure))
                        return
                    }
                    let result = Self.perform(request, options: options, on: handle, exchange: exchange)
                    handles.give(back: handle)
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            exchange.cancelled.store(true, ordering: .relaxed)
        }
        return try outcome.get()
    }

    // MARK: - One transfer

    /// Runs one transfer on `handle` (blocking). Options are reset first, so nothing of an earlier request leaks
    /// into this one; the handle's open connections survive the reset.
    private static func perform(
        _ request: StorageKit.HTTPRequest, options: HTTPTransportOptions, on handle: EasyHandle,
        exchange: Exchange
    ) -> Result<StorageKit.HTTPResponse, HTTPTransportError> {
        let curl = handle.pointer
        oib_curl_easy_reset(curl)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { oib_curl_slist_free_all(headerList) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        // Runs before the frees above: a pooled handle must not keep pointers to this transfer's error buffer,
        // header list and exchange (libcurl may write the error buffer while closing a connection later).
        defer { oib_curl_easy_reset(curl) }

        var setup = SetupChecker()
        setup.check(oib_curl_set_string(curl, CURLOPT_URL, request.url), "URL")
        setup.check(oib_curl_allow_only_http(curl), "protocols")
        setup.check(oib_curl_set_long(curl, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        setup.check(oib_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        setup.check(oib_curl_set_long(curl, CURLOPT_TCP_NODELAY, 1), "TCP_NODELAY")
        setup.check(oib_curl_set_long(curl, CURLOPT_TCP_KEEPALIVE, 1), "TCP_KEEPALIVE")
        setup.check(oib_curl_set_long(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1), "HTTP/1.1")
        setup.check(
            oib_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(options.connectTimeout)), "connect timeout")
        setup.check(oib_curl_set_long(curl, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout)), "timeout")
        setup.check(oib_curl_set_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        if let caFile = options.caFile {
            // Replaces only the CA bundle file; the system's certificate directory (CAPATH) stays in use.
            setup.check(oib_curl_set_string(curl, CURLOPT_CAINFO, caFile), "cacert")
        }
        if options.insecure {
            setup.check(oib_curl_set_long(curl, CURLOPT_SSL_VERIFYPEER, 0), "SSL_VERIFYPEER")
            setup.check(oib_curl_set_long(curl, CURLOPT_SSL_VERIFYHOST, 0), "SSL_VERIFYHOST")
        }

        switch request.method {
        case .get where request.body == nil:
            setup.check(oib_curl_set_long(curl, CURLOPT_HTTPGET, 1), "GET")
        default:
            let body = request.body ?? []
            setup.check(oib_curl_set_offset(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies the bytes, so the body need not outlive this call; an empty body still needs
                // a valid pointer.
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(errorBuffer)
                setup.check(
                    oib_curl_set_pointer(curl, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer)),
                    "body")
            }
            if request.method != .post {
                setup.check(oib_curl_set_string(curl, CURLOPT_CUSTOMREQUEST, request.method.rawValue), "method")
            }
        }

        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // No "Expect: 100-continue" round trip, and no form content type libcurl would add to a body by itself.
        lines.append("Expect:")
        let sendsFields = !(request.method == .get && request.body == nil)
        if sendsFields, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type:")
        }
        for line in lines {
            guard let extended = oib_curl_slist_append(headerList, line) else {
                return .failure(HTTPTransportError(.connection, "libcurl could not store a request header"))
            }
            headerList = extended
        }
        setup.check(oib_curl_set_headers(curl, headerList), "headers")

        let context = Unmanaged.passUnretained(exchange).toOpaque()
        setup.check(oib_curl_set_write_callback(curl, receiveBody), "write callback")
        setup.check(oib_curl_set_pointer(curl, CURLOPT_WRITEDATA, context), "write data")
        setup.check(oib_curl_set_header_callback(curl, receiveHeader), "header callback")
        setup.check(oib_curl_set_pointer(curl, CURLOPT_HEADERDATA, context), "header data")
        setup.check(oib_curl_set_progress_callback(curl, checkCancellation), "progress callback")
        setup.check(oib_curl_set_pointer(curl, CURLOPT_XFERINFODATA, context), "progress data")
        if let failure = setup.failure {
            return .failure(HTTPTransportError(.invalidRequest, "libcurl refused option \(failure)"))
        }

        let code = withExtendedLifetime(exchange) { oib_curl_easy_perform(curl) }
        var newConnections = 0
        if oib_curl_get_long(curl, CURLINFO_NUM_CONNECTS, &newConnections) == CURLE_OK, newConnections > 0 {
            handle.openedConnections(newConnections)
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            return .failure(classify(code, detail: detail, exchange: exchange, request: request))
        }
        var status = 0
        guard oib_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK, status > 0 else {
            return .failure(HTTPTransportError(.connection, "no HTTP status in the answer"))
        }
        return .success(
            StorageKit.HTTPResponse(status: status, headers: exchange.headers, body: exchange.body))
    }

    /// Collects the setup result of every option; the first refusal is reported.
    private struct SetupChecker {
        var failure: String?
        mutating func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK, failure == nil {
                failure = "\(what) (\(String(cString: oib_curl_easy_strerror(code))))"
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        // libcurl reads 0 as "no timeout": a positive duration below a millisecond still gets one.
        return duration > .zero ? max(1, Int(clamping: total)) : 1
    }

    /// What to do when the appliance's certificate is not trusted. The original tools did not check ZFSSA,
    /// SoftNAS and Huawei certificates at all; these tools do, so a self-signed appliance needs its CA.
    static let trustAdvice =
        "The appliance's certificate must be signed by a CA this host trusts (the original tools did not check it): "
        + "set cacert: <file with the appliance's CA or certificate, PEM> in the storage section, or, at your own "
        + "risk, insecure: TRUE"

    /// Maps a libcurl result to the kinds a driver cares about. libcurl's messages name host, port and the failing
    /// step, never the request's headers.
    static func classify(
        _ code: CURLcode, detail: String, exchange: Exchange, request: StorageKit.HTTPRequest
    ) -> HTTPTransportError {
        let reason = detail.isEmpty ? String(cString: oib_curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPTransportError(.timeout, "no answer in time (\(reason))")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPTransportError(.invalidRequest, "unusable URL: \(reason)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE:
            return HTTPTransportError(
                .tls, "TLS failure (certificate not trusted or handshake refused): \(reason). \(trustAdvice)")
        case CURLE_WRITE_ERROR where exchange.tooLarge:
            return HTTPTransportError(
                .connection, "the answer is larger than \(maximumBodySize >> 20) MiB; the request was abandoned")
        case CURLE_ABORTED_BY_CALLBACK where exchange.cancelled.load(ordering: .relaxed):
            return HTTPTransportError(.connection, "cancelled")
        default:
            return HTTPTransportError(.connection, reason)
        }
    }
}

// MARK: - Transfer state and callbacks

/// The state of one transfer, shared with libcurl's callbacks (which run on the transfer's thread only).
final class Exchange: @unchecked Sendable {
    /// Body bytes received so far.
    var body: [UInt8] = []
    /// Headers of the last (final) response; interim responses (1xx) are dropped.
    var headers: [HTTPHeader] = []
    /// Set when the body passed ``CurlTransport/maximumBodySize``.
    var tooLarge = false
    /// Set from any thread when the calling task is cancelled.
    let cancelled = Atomic<Bool>(false)
}

private let receiveBody: oib_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if exchange.body.count + length > CurlTransport.maximumBodySize {
        exchange.tooLarge = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        exchange.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}

private let receiveHeader: oib_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    }.trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        exchange.headers = []  // a new response starts (after a 1xx)
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        exchange.headers.append(HTTPHeader(name, value))
    }
    return length
}

private let checkCancellation: oib_curl_progress_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    return exchange.cancelled.load(ordering: .relaxed) ? 1 : 0
}

// MARK: - Handles

/// One libcurl easy handle; it keeps the connections it opened alive between transfers. Used by one transfer at a
/// time (the pool hands it out exclusively), hence `@unchecked Sendable`.
final class EasyHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    private let connectionCounter: HandlePool

    /// A new handle, or nil when libcurl cannot allocate one (libcurl must be loaded: ``CurlLibrary``).
    init?(countingConnectionsIn pool: HandlePool) {
        guard let pointer = oib_curl_easy_init() else { return nil }
        self.pointer = pointer
        self.connectionCounter = pool
    }

    /// Adds `count` newly opened connections to the pool's statistics.
    func openedConnections(_ count: Int) {
        connectionCounter.connectionsOpened.add(count, ordering: .relaxed)
    }

    deinit { oib_curl_easy_cleanup(pointer) }
}

/// The idle handles of one transport. A transfer takes one (or a new one when all are busy) and gives it back, so
/// sequential requests reuse one handle and its kept-alive connection.
final class HandlePool: Sendable {
    private let idle = Mutex<[EasyHandle]>([])
    /// TCP connections opened by this pool's handles.
    let connectionsOpened = Atomic<Int>(0)

    /// An idle handle, or a new one; fails when libcurl is not installed or cannot provide a handle.
    func take() -> Result<EasyHandle, HTTPTransportError> {
        if let handle = idle.withLock({ $0.popLast() }) { return .success(handle) }
        if let problem = CurlLibrary.loadProblem {
            return .failure(HTTPTransportError(.connection, problem))
        }
        guard let handle = EasyHandle(countingConnectionsIn: self) else {
            return .failure(HTTPTransportError(.connection, "libcurl could not create a handle (out of memory?)"))
        }
        return .success(handle)
    }

    func give(back handle: EasyHandle) {
        idle.withLock { $0.append(handle) }
    }
}

/// libcurl, loaded (and `curl_global_init` run) once per process, when the first handle is needed.
enum CurlLibrary {
    /// Why libcurl cannot be used (not installed, too old, initialisation failed), or nil when it is loaded.
    static let loadProblem: String? = {
        var reason = [CChar](repeating: 0, count: 512)
        guard oib_curl_load(&reason, reason.count) != 0 else { return nil }
        return String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
