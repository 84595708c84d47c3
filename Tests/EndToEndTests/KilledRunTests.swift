import AutorestoreEngine
import Foundation
import ResultCatalog
import ResultCatalogSQLite
import Testing
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A built tool started in the background, its output going to files, so a test can signal it mid-step.
final class BackgroundTool: Sendable {
    let child: RunningChild
    let outputPath: String
    let errorPath: String

    init(_ executable: String, _ arguments: [String], environment: [String: String], scratch: String) throws {
        let tag = UUID().uuidString.prefix(8)
        outputPath = scratch + "/bg-\(tag).out"
        errorPath = scratch + "/bg-\(tag).err"
        // Files, not pipes: a killed tool's children may keep a pipe open long after it died.
        child = try ChildCommand(
            executable: executable, arguments: arguments, environment: environment,
            standardOutputPath: outputPath, standardErrorPath: errorPath
        ).startBlocking()
    }

    /// A built tool with the test environment's variables (and PATH).
    convenience init(_ name: String, _ arguments: [String], in environment: OracleEnvironment) throws {
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment.environment) { _, new in new }
        try self.init(BuiltProducts.path(name), arguments, environment: env, scratch: environment.root)
    }

    /// A built tool run as `nobody` when the tests run as root (see ``BuiltProducts/runUnprivileged``).
    static func unprivileged(_ name: String, _ arguments: [String], in environment: OracleEnvironment) throws
        -> BackgroundTool
    {
        guard getuid() == 0 else { return try BackgroundTool(name, arguments, in: environment) }
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        env.merge(environment.environment) { _, new in new }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try BackgroundTool(
            "/usr/sbin/runuser",
            ["-u", "nobody", "--", "/usr/bin/env", "-i"] + assignments + [BuiltProducts.path(name)] + arguments,
            environment: env, scratch: environment.root)
    }

    var pid: Int32 { child.pid }

    /// Waits for the end; returns the exit status (128 + signal when killed by a signal).
    func wait() async -> Int32 { await child.wait().exitStatus }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
}

/// The Linux process table as the tests see it.
enum Processes {
    struct Entry {
        var pid: Int32
        var parent: Int32
        var zombie: Bool
        var commandLine: [String]
    }

    static func all() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.compactMap(entry)
    }

    static func entry(_ pid: Int32) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let parent = Int32(fields[1]) else { return nil }
        let arguments = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return Entry(pid: pid, parent: parent, zombie: fields[0] == "Z", commandLine: arguments)
    }

    static func isAlive(_ pid: Int32) -> Bool { entry(pid).map { !$0.zombie } ?? false }

    /// Live descendants of `pid`.
    static func descendants(of pid: Int32) -> [Entry] {
        let table = all().filter { !$0.zombie }
        var found: [Entry] = []
        var parents: Set<Int32> = [pid]
        while true {
            let next = table.filter { parents.contains($0.parent) && !found.map(\.pid).contains($0.pid) }
            if next.isEmpty { return found }
            found += next
            parents = Set(next.map(\.pid))
        }
    }

    /// The first live descendant of `pid` whose program path ends with `/<name>`.
    static func descendant(of pid: Int32, named name: String) -> Entry? {
        descendants(of: pid).first { $0.commandLine.first?.hasSuffix("/" + name) == true }
    }
}

extension OracleEnvironment {
    /// True once the injected hang has fired: oracle-sim consumed the fault and now sleeps before the statement.
    var hangStarted: Bool {
        text(root + "/sim-state/globals.json").range(of: #""remaining"\s*:\s*0"#, options: .regularExpression) != nil
    }
}

/// Polls `condition` every 100 ms until it holds or `limit` passes; returns whether it held. (A bound on waiting
/// for an event, not a speed assertion.)
func eventually(within limit: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return condition()
}

/// Every path below `directory` whose name ends with `.lck`.
func lockFiles(under directory: String) -> [String] {
    let walker = FileManager.default.enumerator(atPath: directory)
    var found: [String] = []
    while let path = walker?.nextObject() as? String {
        if path.hasSuffix(".lck") { found.append(path) }
    }
    return found
}

/// A killed or interrupted run is harmless: its children die with it, the next run takes over cleanly, a signal
/// stops the run through its clean-up, lock files never land in snapshots, and snapshots of the same second do not
/// collide.
@Suite("killed and interrupted runs (oracle-sim + localfs)", .serialized)
struct KilledRunTests {
    /// A configured database with one finished backup, whose next image copy refresh hangs in RMAN.
    func backupWithHangingRefresh() async throws -> OracleEnvironment {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        #expect(try await environment.backup(["orcl", "imagecopywithsnap"]).status == 0)
        try await environment.sim([
            "inject", "hang", "--statement", "recover copy of database", "--tool", "rman", "--seconds", "120",
            "--times", "1",
        ])
        try await environment.sim(["workload", "orcl", "--transactions", "3"])
        try await Task.sleep(for: .milliseconds(1100))
        return environment
    }

    /// Starts `backup orcl imagecopywithsnap` and waits until its RMAN refresh hangs; returns the run and RMAN.
    func startHangingBackup(_ environment: OracleEnvironment) async throws -> (BackgroundTool, Int32) {
        let backup = try BackgroundTool("backup", ["orcl", "imagecopywithsnap"], in: environment)
        var rman: Int32?
        let started = await eventually {
            guard environment.latestLog("imagecopywithsnap").contains("Refresh imagecopy") else { return false }
            rman = Processes.descendant(of: backup.pid, named: "rman")?.pid
            return rman != nil && environment.hangStarted
        }
        try #require(started, "the backup did not reach the refresh: \(backup.output)\(backup.errors)")
        return (backup, rman!)
    }

    @Test func sigkilledBackupTakesRMANAlongAndTheNextRunSucceeds() async throws {
        let environment = try await backupWithHangingRefresh()
        let (backup, rman) = try await startHangingBackup(environment)
        kill(backup.pid, SIGKILL)
        #expect(await backup.wait() == 128 + SIGKILL)
        #expect(await eventually(within: .seconds(10)) { !Processes.isAlive(rman) }, "RMAN outlived its backup")

        let next = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)\n\(environment.latestLog("imagecopywithsnap"))")
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("which no longer runs; taking it over"), "\(log)")
        #expect(!Processes.isAlive(rman))
        #expect(lockFiles(under: environment.backupArea).isEmpty)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalledBackupStopsItsChildrenAndReleasesTheLock(signal: Int32) async throws {
        let environment = try await backupWithHangingRefresh()
        let (backup, rman) = try await startHangingBackup(environment)
        kill(backup.pid, signal)
        let status = await backup.wait()
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(status == 128 + signal, "\(backup.output)\(backup.errors)")
        #expect(backup.errors.contains("backup stopped by \(name)"), "\(backup.errors)")
        #expect(!Processes.isAlive(rman), "RMAN outlived its backup")
        #expect(lockFiles(under: environment.backupArea).isEmpty)
        let log = environment.latestLog("imagecopywithsnap")
        #expect(log.contains("Received \(name): stopping the running children and cleaning up"), "\(log)")

        try await Task.sleep(for: .milliseconds(1100))
        let next = try await environment.backup(["orcl", "imagecopywithsnap"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)\n\(environment.latestLog("imagecopywithsnap"))")
        #expect(!environment.latestLog("imagecopywithsnap").contains("taking it over"))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalledAutorestoreAbortsItsInstanceAndDropsItsClone(signal: Int32) async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        try await environment.sim(["create-db", "--name", "catdb", "--dbid", "2000000001"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<2 {
            try await environment.sim(["workload", "orcl", "--transactions", "5", "--seconds-per-transaction", "60"])
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await environment.backup(["orcl", "imagecopywithsnap"]).status == 0)
        }
        try environment.isolateFromProduction()
        try await environment.sim([
            "inject", "hang", "--statement", "recover database", "--tool", "rman", "--seconds", "120", "--times", "1",
        ])
        try await BuiltProducts.grantUnprivilegedAccess(to: environment.root)
        var sandboxed = environment.environment
        sandboxed["AUTORESTORE_SAFE_SANDBOX"] = "TRUE"
        environment.environment = sandboxed
        let run = try BackgroundTool.unprivileged(
            "autorestore", ["--config", environment.configPath, "orcl"], in: environment)
        var autorestore: Int32?
        var rman: Int32?
        let hanging = await eventually {
            autorestore = Processes.descendant(of: run.pid, named: "autorestore")?.pid
            rman = autorestore.flatMap { Processes.descendant(of: $0, named: "rman")?.pid }
            guard let rman else { return false }
            let arguments = (FileManager.default.contents(atPath: "/proc/\(rman)/cmdline") ?? Data())
            return !arguments.isEmpty && environment.hangStarted
        }
        try #require(hanging, "autorestore did not reach the recovery: \(run.output)\(run.errors)")
        kill(autorestore!, signal)
        let status = await run.wait()
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(status == 128 + signal, "\(run.output)\(run.errors)")
        #expect(run.errors.contains("autorestore stopped by \(name)"), "\(run.errors)")
        #expect(!Processes.isAlive(rman!), "RMAN outlived autorestore")
        // The clean-up ran: clone dropped, instance aborted, lock released.
        #expect(environment.contents(environment.backupRoot + "/.clones").filter { !$0.hasSuffix(".json") }.isEmpty)
        #expect(!environment.contents(environment.root + "/autorestore/dest").contains(".oib-instance"))
        let instances = environment.root + "/sim-state/instances"
        #expect(environment.contents(instances).filter { $0.hasSuffix(".json") }.isEmpty, "an instance still runs")
        #expect(lockFiles(under: environment.root + "/autorestore/log").isEmpty)
        let log =
            environment.contents(environment.root + "/autorestore/log").filter { $0.hasSuffix("-orcl.log") }
            .last.map { environment.text(environment.root + "/autorestore/log/" + $0) } ?? ""
        #expect(log.contains("Received \(name): stopping the running children and cleaning up"), "\(log)")
        let catalog = try SQLiteResultCatalog(path: environment.root + "/autorestore/log/autorestore-results.sqlite")
        let row = try await catalog.restores(database: "orcl", limit: 1).first?.record
        #expect(row?.success == false)
    }

    @Test func snapshotsContainNoLockFiles() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--bct", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(1100))
            let run = try await environment.backup(["orcl", "imagecopywithsnap"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        let taken = environment.contents(snapshots).filter { !$0.hasSuffix(".json") }
        #expect(taken.count == 2)
        for snapshot in taken {
            #expect(lockFiles(under: snapshots + "/" + snapshot).isEmpty, "\(snapshot) holds lock files")
        }
    }

    @Test func snapshotsWithinOneSecondGetDistinctNames() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        // Three creates in well under two seconds: at least two of them fall into the same second.
        for _ in 0..<3 {
            let create = try await environment.snapper(["orcl", "create"])
            #expect(create.status == 0, "\(create.stdout)\(create.stderr)")
        }
        let names = environment.contents(environment.backupRoot + "/.snapshots/orcl").filter { !$0.hasSuffix(".json") }
        #expect(names.count == 3, "\(names)")
    }

    @Test func concurrentBackupsBothSucceed() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        let first = try BackgroundTool("backup", ["orcl", "imagecopywithsnap"], in: environment)
        let second = try BackgroundTool("backup", ["orcl", "imagecopywithsnap"], in: environment)
        let statuses = [await first.wait(), await second.wait()]
        #expect(statuses == [0, 0], "\(first.output)\(first.errors)\n\(second.output)\(second.errors)")
        let names = environment.contents(environment.backupRoot + "/.snapshots/orcl").filter { !$0.hasSuffix(".json") }
        #expect(names.count == 2, "\(names)")
        #expect(lockFiles(under: environment.backupRoot).isEmpty)
    }
}

extension KilledRunTests {
    @Test func snapperCreateWaitsForARunningBackupAndLeavesItsLockOut() async throws {
        let environment = try OracleEnvironment()
        try await environment.sim(["create-db", "--name", "orcl", "--dbid", "1433672784", "--host", "backup"])
        #expect(try await environment.backup(["orcl", "config"]).status == 0)
        // A backup of this host holds the lock (this test process stands in for it).
        let lock = environment.backupArea + "/backup.lck"
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try "host: \(hostName)\npid: \(getpid())\nstarted: 2016-11-08 21:53:35\n"
            .write(toFile: lock, atomically: false, encoding: .utf8)
        let create = try BackgroundTool("snapper", ["orcl", "create"], in: environment)
        let snapshots = environment.backupRoot + "/.snapshots/orcl"
        try await Task.sleep(for: .seconds(2))
        #expect(environment.contents(snapshots).isEmpty, "the snapshot was taken while a backup held the lock")
        try FileManager.default.removeItem(atPath: lock)
        #expect(await create.wait() == 0, "\(create.output)\(create.errors)")
        let taken = environment.contents(snapshots).filter { !$0.hasSuffix(".json") }
        #expect(taken.count == 1)
        for snapshot in taken { #expect(lockFiles(under: snapshots + "/" + snapshot).isEmpty) }
        #expect(lockFiles(under: environment.backupArea).isEmpty)
    }
}
