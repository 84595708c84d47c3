import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What must hold after every faulty run, whatever the fault: the evidence is collected before the run and
/// compared after it.
struct FaultMatrixInvariants {
    /// Snapshot names (without their metadata files) of the backup area, before the run.
    var snapshots: Set<String>
    /// Image copies and archived logs in the backup area, before the run.
    var backupFiles: Set<String>

    /// Collects the evidence in a scratch installation whose snapshots live in `snapshotsDirectory`.
    init(environment: OracleEnvironment, snapshotsDirectory: String) {
        snapshots = Set(environment.contents(snapshotsDirectory).filter { !$0.hasSuffix(".json") })
        backupFiles = Self.backupFiles(environment)
    }

    /// Image copies (`data_D-*`) and archived logs of the backup area, relative to it.
    static func backupFiles(_ environment: OracleEnvironment) -> Set<String> {
        var files = Set(environment.contents(environment.backupArea).filter { $0.hasPrefix("data_D-") })
        let archive = environment.backupArea + "/archivelog"
        for name in environment.contents(archive) { files.insert("archivelog/" + name) }
        return files
    }

    /// The violations after the run (empty when everything held).
    func violations(environment: OracleEnvironment, snapshotsDirectory: String, lockDirectories: [String]) -> [String] {
        var found: [String] = []
        let snapshotsAfter = Set(environment.contents(snapshotsDirectory).filter { !$0.hasSuffix(".json") })
        let lostSnapshots = snapshots.subtracting(snapshotsAfter)
        if !lostSnapshots.isEmpty { found.append("snapshots lost: \(lostSnapshots.sorted())") }
        let lostFiles = backupFiles.subtracting(Self.backupFiles(environment))
            .filter { !$0.hasPrefix("archivelog/") }
        if !lostFiles.isEmpty { found.append("image copies lost: \(lostFiles.sorted())") }
        for directory in lockDirectories {
            let locks = environment.contents(directory).filter { $0.hasSuffix(".lck") }
            if !locks.isEmpty { found.append("lock files left in \(directory): \(locks)") }
        }
        let processes = Self.processes(of: environment)
        if !processes.isEmpty { found.append("processes left: \(processes)") }
        return found
    }

    /// Live processes started for this installation (their environment names its oracle-sim state directory),
    /// as `pid command` strings. Processes exiting right now may still show briefly: the caller retries.
    static func processes(of environment: OracleEnvironment) -> [String] {
        let marker = Array(("ORACLE_SIM_STATE=" + environment.root + "/sim-state").utf8)
        var found: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"), !environ.isEmpty
            else { continue }
            let variables = environ.split(separator: 0)
            guard variables.contains(where: { Array($0) == marker }) else { continue }
            let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            // A zombie has exited; its parent (a test's Process) reaps it.
            if let close = status.lastIndex(of: ")"), status[status.index(close, offsetBy: 2)...].hasPrefix("Z") {
                continue
            }
            let command = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data())
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            found.append("\(pid) \(command)")
        }
        return found
    }

    /// Waits up to `seconds` for the processes of the installation to be gone (a killed child is reaped
    /// asynchronously); returns those still alive.
    static func waitForNoProcesses(of environment: OracleEnvironment, seconds: Double = 5) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var alive = processes(of: environment)
        while !alive.isEmpty, Date() < deadline {
            usleep(100_000)
            alive = processes(of: environment)
        }
        return alive
    }

    /// Stops every process of the installation (clean-up after a failed case, so one failure cannot leak into
    /// later cases).
    static func killProcesses(of environment: OracleEnvironment) {
        for entry in processes(of: environment) {
            if let pid = Int32(entry.split(separator: " ")[0]) { kill(pid, SIGKILL) }
        }
    }
}
