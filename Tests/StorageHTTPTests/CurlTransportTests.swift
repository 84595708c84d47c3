import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageSimulator
import Synchronization
import Testing

/// The libcurl transport itself: connection reuse, deadlines, cancellation, refused URLs. TLS, retries, sessions
/// and logging are covered through the drivers (ZFSSAFaultTests, ONTAPFaultTests, ApplianceHTTPClientTests).
@Suite("CurlTransport: keep-alive, timeouts, cancellation, URLs")
struct CurlTransportTests {
    static let quiet = Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }
    static let listing = "/api/storage/v2/pools/pool1/projects/demo-backup/filesystems"
    static let basic = HTTPHeader(
        "Authorization", StorageCredential(user: "admin", password: "secret").basicAuthorization)

    func transport(connectTimeout: Duration = .seconds(30)) -> CurlTransport {
        CurlTransport(
            options: HTTPTransportOptions(vendor: "sim", connectTimeout: connectTimeout, logger: Self.quiet))
    }

    @Test("sequential requests to one appliance share one kept-alive connection; transports never share")
    func keepAlive() async throws {
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: nil) {
            server in
            let first = transport()
            let second = transport()
            for _ in 0..<5 {
                let response = try await first.send(
                    HTTPRequest(method: .get, url: server.baseURL + Self.listing, headers: [Self.basic]))
                #expect(response.status == 200)
                #expect(response.header("content-type") == "application/json")
            }
            let created = try await first.send(
                HTTPRequest(
                    method: .post, url: server.baseURL + Self.listing,
                    headers: [Self.basic, HTTPHeader("Content-Type", "application/json")],
                    body: Array(#"{"name":"orcl"}"#.utf8)))
            #expect(created.status == 201)
            #expect(first.connectionsOpened == 1)
            _ = try await second.send(
                HTTPRequest(method: .get, url: server.baseURL + Self.listing, headers: [Self.basic]))
            #expect(second.connectionsOpened == 1)
            #expect(first.connectionsOpened == 1)
        }
    }

    @Test("POST with a body, DELETE without one: methods arrive as sent and statuses come back as answered")
    func methodsAndBodies() async throws {
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: nil) {
            server in
            let client = transport()
            _ = try await client.send(
                HTTPRequest(
                    method: .post, url: server.baseURL + Self.listing,
                    headers: [Self.basic, HTTPHeader("Content-Type", "application/json")],
                    body: Array(#"{"name":"orcl"}"#.utf8)))
            let snapshots = Self.listing + "/orcl/snapshots"
            let made = try await client.send(
                HTTPRequest(
                    method: .post, url: server.baseURL + snapshots,
                    headers: [Self.basic, HTTPHeader("Content-Type", "application/json")],
                    body: Array(#"{"name":"s1"}"#.utf8)))
            #expect(made.status == 201)
            let deleted = try await client.send(
                HTTPRequest(method: .delete, url: server.baseURL + snapshots + "/s1", headers: [Self.basic]))
            #expect(deleted.status == 204)
            let again = try await client.send(
                HTTPRequest(method: .delete, url: server.baseURL + snapshots + "/s1", headers: [Self.basic]))
            #expect(again.status == 404)
            let log = await server.engine.requestLog()
            #expect(log.map(\.method) == ["POST", "POST", "DELETE", "DELETE"])
        }
    }

    @Test("the request deadline ends a slow answer with .timeout")
    func requestDeadline() async throws {
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: nil) {
            server in
            await server.engine.addFault(FaultRule(.delay, method: "GET", times: nil, seconds: 20))
            do throws(HTTPTransportError) {
                _ = try await transport().send(
                    HTTPRequest(
                        method: .get, url: server.baseURL + Self.listing, headers: [Self.basic],
                        timeout: .milliseconds(300)))
                Issue.record("a 20 s delay answered within a 300 ms deadline")
            } catch {
                #expect(error.kind == .timeout)
            }
        }
    }

    @Test("the connect timeout applies while the connection cannot be made")
    func connectTimeout() async throws {
        let listener = try FullBacklogListener()
        defer { listener.close() }
        do {
            _ = try await transport(connectTimeout: .milliseconds(300)).send(
                HTTPRequest(method: .get, url: "http://127.0.0.1:\(listener.port)/", timeout: .seconds(60)))
            Issue.record("a connection to a listener with a full backlog succeeded")
        } catch {
            #expect(error.kind == .timeout)
            // libcurl names the connect phase; a total-deadline expiry would say "Operation timed out".
            #expect(error.message.localizedCaseInsensitiveContains("connect"), "\(error)")
        }
    }

    @Test("cancelling the calling task aborts the transfer")
    func cancellation() async throws {
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: nil) {
            server in
            await server.engine.addFault(FaultRule(.delay, method: "GET", times: nil, seconds: 60))
            let client = transport()
            let url = server.baseURL + Self.listing
            let task = Task { () throws(HTTPTransportError) -> HTTPResponse in
                try await client.send(
                    HTTPRequest(method: .get, url: url, headers: [Self.basic], timeout: .seconds(120)))
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            switch result {
            case .success(let response): Issue.record("a cancelled request answered \(response.status)")
            case .failure(let failure):
                let error = try #require(failure as? HTTPTransportError)
                #expect(error.kind == .connection)
                #expect(error.message.contains("cancelled"), "\(error)")
            }
        }
    }

    @Test("only http and https URLs are used; a malformed URL is an invalid request")
    func refusedURLs() async throws {
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "http://[::1"] {
            do {
                _ = try await transport().send(HTTPRequest(method: .get, url: url, timeout: .seconds(5)))
                Issue.record("\(url) was fetched")
            } catch {
                #expect(error.kind == .invalidRequest, "\(url): \(error)")
            }
        }
    }

    @Test("a DELETE without a body and a POST without a content type carry no form content type")
    func noFormContentType() async throws {
        for method in [HTTPMethod.delete, .post, .put] {
            let server = try OneAnswerServer(answer: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            defer { server.close() }
            let response = try await transport().send(
                HTTPRequest(
                    method: method, url: "http://127.0.0.1:\(server.port)/x",
                    body: method == .delete ? nil : Array("a=b".utf8), timeout: .seconds(10)))
            #expect(response.status == 204)
            let request = server.request.lowercased()
            #expect(request.hasPrefix(method.rawValue.lowercased() + " /x "), "\(request)")
            #expect(!request.contains("content-type"), "\(method): \(request)")
            #expect(!request.contains("expect:"), "\(method): \(request)")
        }
    }

    @Test("after a failed transfer the pooled handle serves the next request cleanly, on a new connection")
    func reuseAfterFailure() async throws {
        try await StorageSimulatorServer.withSimulator(SimulatorOptions(vendor: .zfssa), tls: nil, seed: nil) {
            server in
            await server.engine.addFault(FaultRule(.delay, method: "GET", times: 1, seconds: 20))
            let client = transport()
            let url = server.baseURL + Self.listing
            do throws(HTTPTransportError) {
                _ = try await client.send(
                    HTTPRequest(method: .get, url: url, headers: [Self.basic], timeout: .milliseconds(300)))
                Issue.record("the delayed request answered within its deadline")
            } catch {
                #expect(error.kind == .timeout)
            }
            for _ in 0..<3 {
                let response = try await client.send(HTTPRequest(method: .get, url: url, headers: [Self.basic]))
                #expect(response.status == 200)
                #expect(response.header("X-Zfssa-Storage-Api") != nil)
            }
            // The timed-out connection is not reused; the three later requests share one new connection.
            #expect(client.connectionsOpened == 2)
        }
    }

    @Test("a redirect is returned as is, never followed")
    func redirectsAreNotFollowed() async throws {
        let server = try OneAnswerServer(
            answer: "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n")
        defer { server.close() }
        let response = try await transport().send(
            HTTPRequest(method: .get, url: "http://127.0.0.1:\(server.port)/", timeout: .seconds(10)))
        #expect(response.status == 302)
        #expect(response.header("Location") == "http://127.0.0.1:1/elsewhere")
    }
}

/// A loopback TCP listener whose accept queue is full, so that a further connection attempt hangs in the
/// handshake: the way to make a connect timeout happen without leaving 127.0.0.1.
private final class FullBacklogListener: @unchecked Sendable {
    let port: UInt16
    private var descriptors: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        descriptors.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        guard listen(listener, 0) == 0 else { throw POSIXError(.EINVAL) }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: bound.sin_port)
        // Fill the accept queue (never accepted): non-blocking connects until one stays in progress.
        for _ in 0..<8 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            descriptors.append(filler)
            var target = bound
            _ = withUnsafePointer(to: &target) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        usleep(100_000)
    }

    func close() {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
        descriptors = []
    }
}

/// A loopback server that answers one connection with fixed bytes and closes it; keeps the request it read.
private final class OneAnswerServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let thread: Thread
    private let received = ReceivedText()

    /// The request as the server read it (headers and the start of the body).
    var request: String { received.text.withLock { $0 } }

    init(answer: String) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        guard listen(listener, 4) == 0 else { throw POSIXError(.EINVAL) }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = UInt16(bigEndian: bound.sin_port)
        self.listener = listener
        let bytes = Array(answer.utf8)
        let received = self.received
        thread = Thread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var request = [UInt8](repeating: 0, count: 4096)
            let count = read(connection, &request, request.count)
            received.text.withLock { $0 = String(decoding: request.prefix(max(count, 0)), as: UTF8.self) }
            _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            _ = Glibc.close(connection)
        }
        thread.start()
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        _ = Glibc.close(listener)
    }
}

/// Text written by one thread and read by another.
private final class ReceivedText: Sendable {
    let text = Mutex<String>("")
}
