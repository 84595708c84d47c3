import ArgumentParser
import Foundation
import Logging
import StorageSimulator

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `storage-sim`: a stateful ZFSSA, ONTAP, SoftNAS or Huawei Dorado simulator on 127.0.0.1 for tests and demos, plus
/// a simulated NFS mount of its file-backed exports.
@main
struct StorageSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-sim",
        abstract:
            "Simulates the Oracle ZFS Storage Appliance, NetApp ONTAP, SoftNAS or Huawei Dorado API on 127.0.0.1.",
        discussion: """
            Without a subcommand, serves the API ('serve'). 'mount' and 'umount' simulate an NFS mount of an export \
            of a simulator started with --data-root (tests and demos only; see Documentation/storage/simulator.md).
            """,
        subcommands: [Serve.self, MountCommand.self, UnmountCommand.self], defaultSubcommand: Serve.self)
}

/// `storage-sim [serve]`: the REST simulator.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serves the simulated appliance API on 127.0.0.1.",
        discussion: """
            Prints 'storage-sim <vendor> listening on <url>' once ready. Stops by itself after --idle-timeout \
            seconds without requests, when its parent process exits, or on SIGINT/SIGTERM. Controls: POST /_sim/seed, \
            POST /_sim/faults, GET /_sim/log, POST /_sim/expire-sessions (see Documentation/storage/zfssa.md).
            """)

    @Option(help: "API to simulate: zfssa, ontap, softnas or dorado.")
    var vendor: String

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Option(help: "Loopback address to bind (127.0.0.1, ::1 or localhost).")
    var host: String = "127.0.0.1"

    @Option(help: "PEM certificate (chain) for HTTPS.")
    var tlsCert: String?

    @Option(help: "PEM private key for HTTPS.")
    var tlsKey: String?

    @Option(help: "Create a throw-away CA and server certificate in this directory (with openssl) and serve HTTPS.")
    var generateCerts: String?

    @Option(help: "Account the simulator accepts.")
    var user: String = "admin"

    @Option(help: "Password of that account.")
    var password: String = "secret"

    @Option(
        name: .customLong("project"),
        help: "ZFSSA pool/project that exists (repeatable; default pool1/demo-backup); SoftNAS: its pool exists.")
    var projects: [String] = []

    @Option(
        name: .customLong("vstore"),
        help: "Dorado vStore that exists (repeatable; default vstore1; seeds go to the first).")
    var vstores: [String] = []

    @Option(help: "ZFSSA, SoftNAS and Dorado session lifetime in seconds.")
    var sessionTimeout: Double = 900

    @Option(help: "ONTAP SVM name.")
    var svm: String = "svm1"

    @Option(help: "ONTAP aggregate name.")
    var aggregate: String = "aggr1"

    @Option(help: "ONTAP: at most this many records per page, whatever max_records says.")
    var pageSize: Int?

    @Flag(help: "ONTAP: refuse to delete volumes that are not offline.")
    var requireOffline = false

    @Flag(
        help:
            "ZFSSA: the account lacks releaseSnapRetention, so releasing a snapshot's retention is refused (403).")
    var zfssaDenyRelease = false

    @Flag(help: "ZFSSA: accept custom: snapshot properties but drop them (a schema without the tool's property).")
    var zfssaDropCustomProperties = false

    @Flag(help: "ONTAP: accept snaplock.expiry_time on snapshot creation but set no expiry.")
    var ontapIgnoreSnaplockExpiry = false

    @Flag(help: "ONTAP: no REST API (/api answers 404, as before ONTAP 9.6); only the ZAPI servlet answers.")
    var ontapNoRest = false

    @Flag(help: "ONTAP ZAPI: report snapshot block counters in 32 bits (wrapping past 2^31 blocks), as older releases.")
    var ontapZapi32bitCounters = false

    @Option(help: "JSON seed file (shares/volumes with snapshot histories).")
    var seed: String?

    @Option(help: "JSON file with a list of fault rules.")
    var faults: String?

    @Option(help: "Stop after this many seconds without requests (0: never).")
    var idleTimeout: Double = 900

    @Option(help: "Stop when this process is gone (default: the parent process).")
    var parentPid: Int32?

    @Option(help: "Write the bound port to this file.")
    var portFile: String?

    @Option(
        help: ArgumentHelp(
            "File-backed mode: keep every share/volume's files in a directory under this root named after its export path.",
            discussion:
                "Snapshots copy the live tree (reflink where possible), clones copy the snapshot; see 'storage-sim mount'."
        ))
    var dataRoot: String?

    func validate() throws {
        guard SimulatedVendor(rawValue: vendor.lowercased()) != nil else {
            throw ValidationError("--vendor must be zfssa, ontap, softnas or dorado")
        }
        guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
            throw ValidationError("storage-sim only binds loopback addresses (127.0.0.1, ::1, localhost)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        for project in projects where project.split(separator: "/").count != 2 {
            throw ValidationError("--project takes pool/project, not '\(project)'")
        }
        if let dataRoot, dataRoot.isEmpty { throw ValidationError("--data-root must not be empty") }
    }

    /// True when `pid` no longer runs: it does not exist, or it has exited and waits to be reaped (a zombie
    /// still answers `kill(pid, 0)`).
    static func isGone(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0, errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        // The state is the first field after the parenthesised command name.
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    func run() async throws {
        // Read before the slow set-up (certificates, binding): a parent that exits meanwhile would otherwise leave
        // us reparented and unable to notice.
        let startingParent = getppid()
        var logger = Logger(label: "storage-sim")
        logger.logLevel = .critical
        var options = SimulatorOptions(
            vendor: SimulatedVendor(rawValue: vendor.lowercased())!, user: user, password: password,
            sessionTimeout: sessionTimeout, svm: svm, aggregate: aggregate, pageSize: pageSize,
            requireOfflineForDelete: requireOffline)
        options.ontapRESTUnavailable = ontapNoRest
        options.ontapZAPI32BitCounters = ontapZapi32bitCounters
        if let dataRoot {
            let store = SimulatorDataStore(root: dataRoot)
            do {
                try store.prepare()
            } catch {
                throw ValidationError(error.message)
            }
            options.dataRoot = store.root
        }
        options.zfssaMayReleaseRetention = !zfssaDenyRelease
        options.zfssaDropsCustomProperties = zfssaDropCustomProperties
        options.ontapIgnoresSnapLockExpiry = ontapIgnoreSnaplockExpiry
        if !vstores.isEmpty { options.vstores = vstores }
        if !projects.isEmpty {
            options.projects = projects.map {
                let parts = $0.split(separator: "/").map(String.init)
                return (parts[0], parts[1])
            }
        }
        let engine = SimulatorEngine(options: options)
        if let seed {
            try await engine.seed(try SimulatorSeed.decode(try Data(contentsOf: URL(fileURLWithPath: seed))))
        }
        if let faults {
            let rules = try JSONDecoder().decode(
                [FaultRule].self, from: try Data(contentsOf: URL(fileURLWithPath: faults)))
            for rule in rules { await engine.addFault(rule) }
        }
        var tls: SimulatorTLSFiles?
        if let tlsCert, let tlsKey { tls = SimulatorTLSFiles(certificateFile: tlsCert, keyFile: tlsKey) }
        if let generateCerts {
            let certificates = try await TestCertificates.generate(in: generateCerts)
            tls = certificates.server
            print("storage-sim: CA certificate for clients (cacert): \(certificates.caFile)")
        }
        let server = try await StorageSimulatorServer.start(
            engine: engine, tls: tls, host: host, port: port, logger: logger)
        if let portFile { try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        if let dataRoot = options.dataRoot { print("storage-sim: file-backed, data root \(dataRoot)") }
        print("storage-sim \(options.vendor.rawValue) listening on \(server.baseURL)")
        fflush(nil)

        let parent = parentPid ?? startingParent
        let idleLimit = idleTimeout
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if parent > 1, Self.isGone(parent) {
                    FileHandle.standardError.write(
                        Data("storage-sim: parent process \(parent) is gone; stopping\n".utf8))
                    break
                }
                if parentPid == nil, parent > 1, getppid() != parent {
                    FileHandle.standardError.write(Data("storage-sim: parent process exited; stopping\n".utf8))
                    break
                }
                if idleLimit > 0, Date().timeIntervalSince(await engine.lastActivity) > idleLimit {
                    FileHandle.standardError.write(Data("storage-sim: idle for \(Int(idleLimit)) s; stopping\n".utf8))
                    break
                }
            }
        }
        let signals = SignalWatcher()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watchdog.value }
            group.addTask { await signals.wait() }
            await group.next()
            watchdog.cancel()
            signals.cancel()
            group.cancelAll()
        }
        watchdog.cancel()
        signals.cancel()
        await server.stop()
    }
}

/// `storage-sim mount`: a simulated NFS mount (a symbolic link) of a file-backed export, for tests and demos.
struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract:
            "Simulates 'mount -t nfs <host:/export/path> <mountpoint>' for a storage-sim data root (no root needed).",
        discussion: """
            NOT an NFS mount: the empty mount-point directory is replaced by a symbolic link to the export's \
            directory under --data-root, with a record file '.<name>.storage-sim-mount' beside it; 'storage-sim \
            umount' restores the directory. The parent of the mount point must be writable. For tests and the demo, \
            e.g. autorestore's mountcommand: <path>/storage-sim mount --data-root DIR ${mountstring} ${mountpoint}
            """)

    @Option(help: "The data root the simulator was started with (--data-root).")
    var dataRoot: String

    @Argument(help: "The export, as host:/export/path (the host part is ignored).")
    var source: String

    @Argument(help: "An existing, empty directory.")
    var mountPoint: String

    func validate() throws { try validateDataRoot(dataRoot) }

    func run() throws {
        do {
            let target = try SimulatedNFSMount.mount(
                source: source, mountPoint: mountPoint, data: SimulatorDataStore(root: dataRoot))
            print("storage-sim: simulated NFS mount of \(source) at \(mountPoint) (-> \(target))")
        } catch {
            FileHandle.standardError.write(Data("storage-sim mount: \(error.message)\n".utf8))
            throw ExitCode(32)
        }
    }
}

/// `storage-sim umount`: undoes `storage-sim mount`.
struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umount",
        abstract: "Undoes 'storage-sim mount': removes the link and recreates the empty mount-point directory.",
        discussion: "Refuses a mount point that 'storage-sim mount' did not create, or whose link leaves --data-root.")

    @Option(help: "The data root the simulator was started with (--data-root).")
    var dataRoot: String

    @Argument(help: "The simulated mount point.")
    var mountPoint: String

    func validate() throws { try validateDataRoot(dataRoot) }

    func run() throws {
        do {
            try SimulatedNFSMount.unmount(mountPoint: mountPoint, data: SimulatorDataStore(root: dataRoot))
        } catch {
            FileHandle.standardError.write(Data("storage-sim umount: \(error.message)\n".utf8))
            throw ExitCode(32)
        }
    }
}

/// `--data-root` of `mount`/`umount` must be an existing directory.
func validateDataRoot(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
    else {
        throw ValidationError("--data-root '\(path)' is not an existing directory (the simulator's data root)")
    }
}

/// Turns SIGINT/SIGTERM into an awaitable event without blocking a cooperative thread.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Void>.makeStream()
        var made: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            let continuation = self.continuation
            source.setEventHandler { continuation.yield() }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    func wait() async {
        for await _ in stream { return }
    }

    func cancel() {
        continuation.finish()
        sources.forEach { $0.cancel() }
    }
}
