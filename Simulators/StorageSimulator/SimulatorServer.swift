import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Certificate and key files for HTTPS.
public struct SimulatorTLSFiles: Sendable, Hashable {
    /// PEM certificate chain (server certificate first).
    public var certificateFile: String
    /// PEM private key.
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// Why the simulator could not start.
public struct SimulatorError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// A running simulator on 127.0.0.1; call ``stop()`` when done.
public final class RunningSimulator: Sendable {
    public let engine: SimulatorEngine
    public let host: String
    public let port: Int
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

/// Starts simulators (Hummingbird 2 on 127.0.0.1).
public enum StorageSimulatorServer {
    /// Binds `host:port` (0 picks a free port), serving `engine`'s vendor API and the `/_sim/` controls.
    public static func start(
        engine: SimulatorEngine, tls: SimulatorTLSFiles? = nil, host: String = "127.0.0.1", port: Int = 0,
        logger: Logger = Logger(label: "storage-sim")
    ) async throws -> RunningSimulator {
        let responder = CallbackResponder<BasicRequestContext> { request, context in
            try await respond(request, engine: engine)
        }
        let server: HTTPServerBuilder
        if let tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(key))
            server = try .tls(.http1(), tlsConfiguration: configuration)
        } else {
            server = .http1()
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder, server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
            }, logger: logger)
        let failure = FailureBox()
        let task = Task {
            do {
                try await app.runService(gracefulShutdownSignals: [])
            } catch {
                failure.set("\(error)")
            }
            continuation.finish()
        }
        for await boundPort in ports {
            return RunningSimulator(engine: engine, host: host, port: boundPort, usesTLS: tls != nil, task: task)
        }
        throw SimulatorError("storage-sim could not start on \(host):\(port): \(failure.get() ?? "unknown reason")")
    }

    static func respond(_ request: Request, engine: SimulatorEngine) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        let buffer = try await request.body.collect(upTo: 4 << 20)
        let simRequest = SimRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
            headers: headers, body: Array(buffer.readableBytesView))
        let response: SimResponse
        if simRequest.path.hasPrefix("/_sim/") {
            response = await engine.control(simRequest)
        } else {
            let fault = await engine.takeFault(for: simRequest)
            if let fault, fault.action == .delay {
                try? await Task.sleep(for: .milliseconds(Int64((fault.seconds ?? 5) * 1000)))
            }
            response = await engine.handle(simRequest, fault: fault)
        }
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPFields.Element.Name(name) { fields[fieldName] = value }
        }
        return Response(
            status: .init(code: response.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}

/// Holds the start-up error message between the server task and the caller.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?

    func set(_ text: String) { lock.withLock { message = text } }
    func get() -> String? { lock.withLock { message } }
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
