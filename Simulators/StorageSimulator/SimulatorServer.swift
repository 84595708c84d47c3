import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Certificate and key files for HTTPS.
public struct SimulatorTLSFiles: Sendable, Hashable {
    /// PEM certificate chain (server certificate first).
    public var certificateFile: String
    /// PEM private key.
    public var keyFile: String

    /// The PEM files `certificateFile` (chain) and `keyFile`.
    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// Why the simulator could not start.
public struct SimulatorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    public var description: String { message }
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
}

/// A running simulator on 127.0.0.1; call ``stop()`` when done.
public final class RunningSimulator: Sendable {
    /// The simulated appliance the server answers for.
    public let engine: SimulatorEngine
    /// The address it listens on.
    public let host: String
    /// The bound port (the one picked when 0 was asked).
    public let port: Int
    /// True when it serves HTTPS.
    public let usesTLS: Bool
    private let task: Task<Void, Never>

    init(engine: SimulatorEngine, host: String, port: Int, usesTLS: Bool, task: Task<Void, Never>) {
        self.engine = engine
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
        self.task = task
    }

    /// `https://127.0.0.1:<port>` (or `http://…`).
    public var baseURL: String { "\(usesTLS ? "https" : "http")://\(host):\(port)" }

    /// Stops the server and waits until the port is closed.
    public func stop() async {
        task.cancel()
        await task.value
    }

    /// Waits until the server stops (cancellation of the caller stops it too).
    public func wait() async {
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }
}

/// Starts simulators: an HTTP/1.1 server (SwiftNIO, optionally TLS) on 127.0.0.1.
public enum StorageSimulatorServer {
    /// Request bodies larger than this are refused (413).
    static let maximumBodySize = 4 << 20

    /// Binds `host:port` (0 picks a free port), serving `engine`'s vendor API and the `/_sim/` controls.
    public static func start(
        engine: SimulatorEngine, tls: SimulatorTLSFiles? = nil, host: String = "127.0.0.1", port: Int = 0,
        logger: Logger = Logger(label: "storage-sim")
    ) async throws -> RunningSimulator {
        var sslContext: NIOSSLContext?
        if let tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(key))
            sslContext = try NIOSSLContext(configuration: configuration)
        }
        let context = sslContext
        let connections = ConnectionSet()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.insert(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimulatorHTTPHandler(engine: engine))
                }
            }
        let server: Channel
        do {
            server = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw SimulatorError("storage-sim could not start on \(host):\(port): \(error)")
        }
        let boundPort = server.localAddress?.port ?? port
        logger.debug("storage-sim listening on \(host):\(boundPort)")
        let task = Task {
            await withTaskCancellationHandler {
                try? await server.closeFuture.get()
            } onCancel: {
                server.close(promise: nil)
            }
            // Stopping ends kept-alive connections too: a stopped simulator answers nothing.
            for connection in connections.removeAll() { try? await connection.close() }
        }
        return RunningSimulator(engine: engine, host: host, port: boundPort, usesTLS: tls != nil, task: task)
    }

    /// The simulator's answer to one request: the `/_sim/` controls, else the vendor API with the scripted fault.
    static func answer(_ request: SimRequest, engine: SimulatorEngine) async -> SimResponse {
        if request.path.hasPrefix("/_sim/") { return await engine.control(request) }
        let fault = await engine.takeFault(for: request)
        if let fault, fault.action == .delay {
            try? await Task.sleep(for: .milliseconds(Int64((fault.seconds ?? 5) * 1000)))
        }
        return await engine.handle(request, fault: fault)
    }
}

/// The open connections of one server, closed when it stops.
private final class ConnectionSet: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: Channel] = [:]

    func insert(_ channel: Channel) {
        lock.withLock { channels[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.lock.withLock { _ = self?.channels.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    func removeAll() -> [Channel] {
        lock.withLock {
            defer { channels = [:] }
            return Array(channels.values)
        }
    }
}

/// One connection's requests: collects head and body, answers through the engine off the event loop, writes the
/// response (HTTP/1.1 keep-alive unless the client asked to close).
private final class SimulatorHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let engine: SimulatorEngine
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(engine: SimulatorEngine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > StorageSimulatorServer.maximumBodySize {
                tooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            let version = head.version
            if tooLarge {
                write(
                    SimResponse(status: 413, headers: [:], body: Array("request body too large".utf8)),
                    version: version, keepAlive: false, context: context)
                return
            }
            var headers: [String: String] = [:]
            for field in head.headers { headers[field.name.lowercased()] = field.value }
            let target = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let request = SimRequest(
                method: head.method.rawValue, path: String(target.first ?? ""),
                query: target.count > 1 ? String(target[1]) : "", headers: headers, body: body)
            body = []
            let engine = self.engine
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: SimResponse.self)
            promise.completeWithTask { await StorageSimulatorServer.answer(request, engine: engine) }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: SimResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

extension StorageSimulatorServer {
    /// Runs `body` against a fresh simulator and always stops it afterwards.
    public static func withSimulator<T>(
        _ options: SimulatorOptions, tls: SimulatorTLSFiles?, seed: SimulatorSeed? = nil,
        _ body: (RunningSimulator) async throws -> T
    ) async throws -> T {
        let engine = SimulatorEngine(options: options)
        if let seed { try await engine.seed(seed) }
        var logger = Logger(label: "storage-sim")
        logger.logLevel = .critical
        let server = try await start(engine: engine, tls: tls, logger: logger)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
