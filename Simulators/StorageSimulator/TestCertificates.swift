import Foundation
import ToolSupport

/// A throw-away certificate authority and a server certificate for 127.0.0.1/localhost, made with the `openssl`
/// command at run time (no keys are ever committed).
public struct TestCertificates: Sendable, Hashable {
    /// The CA certificate to trust (`cacert`).
    public var caFile: String
    /// Server certificate and key for the simulator.
    public var server: SimulatorTLSFiles
    /// A second, unrelated CA (for "untrusted certificate" tests).
    public var otherCAFile: String

    /// Whether an `openssl` executable can be found on `PATH`.
    public static var opensslPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/openssl"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Creates `ca.pem`, `server.pem`, `server.key` and `other-ca.pem` in `directory` (created if missing).
    /// Runs `openssl` on a dedicated thread, so it never blocks Swift's cooperative pool.
    public static func generate(in directory: String) async throws -> TestCertificates {
        guard let openssl = opensslPath else { throw SimulatorError("openssl is not installed") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let extensions = "\(directory)/server.ext"
        try
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let caExtensions = [
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ]
        let steps: [[String]] = [
            ["req", "-x509"] + ec + [
                "-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.pem", "-days", "3",
                "-subj", "/CN=storage-sim test CA",
            ] + caExtensions,
            ["req", "-x509"] + ec + [
                "-keyout", "\(directory)/other-ca.key", "-out", "\(directory)/other-ca.pem",
                "-days", "3", "-subj", "/CN=unrelated test CA",
            ] + caExtensions,
            ["req"] + ec + [
                "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr",
                "-subj", "/CN=localhost",
            ],
            [
                "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey",
                "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/server.pem", "-days", "3",
                "-extfile", extensions,
            ],
        ]
        for arguments in steps {
            try await run(openssl, arguments)
        }
        return TestCertificates(
            caFile: "\(directory)/ca.pem",
            server: SimulatorTLSFiles(certificateFile: "\(directory)/server.pem", keyFile: "\(directory)/server.key"),
            otherCAFile: "\(directory)/other-ca.pem")
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws {
        // ToolSupport's spawner, not Foundation's Process (whose start on Linux can crash or fail with EBADF).
        let result = try await ChildCommand(executable: executable, arguments: arguments).run()
        if result.exitStatus != 0 {
            throw SimulatorError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.errorText)")
        }
    }
}

extension TestCertificates {
    /// One set per process, generated on first use in a fresh temporary directory (removed with the machine's
    /// temporary files; it holds only throw-away test keys).
    public static func shared() async throws -> TestCertificates {
        try await SharedCertificates.instance.get()
    }
}

private actor SharedCertificates {
    static let instance = SharedCertificates()
    private var task: Task<TestCertificates, any Error>?

    func get() async throws -> TestCertificates {
        if let task { return try await task.value }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("storage-sim-certs-\(getpid())-\(UUID().uuidString.prefix(8))").path
        let created = Task { try await TestCertificates.generate(in: directory) }
        task = created
        return try await created.value
    }
}
