import AutorestoreEngine
import CommandSupport
import Foundation
import ToolSupport

/// The questions of `restore` (the original restore.py's), each answered by its flag when given: with `--yes`
/// every yes/no question is answered yes. End of input is a refusal (exit 1), never a crash.
struct RestoreDialogue {
    /// `--yes`.
    var yes: Bool

    /// Asks until the answer is usable.
    func ask(_ question: String, _ accept: (String) -> Bool = { !$0.isEmpty }) throws -> String {
        while true {
            Output.write(1, question)
            guard let line = readLine() else { throw ToolExit(1, "\nNo answer (end of input); exiting.") }
            let answer = line.trimmingCharacters(in: .whitespaces)
            if accept(answer) { return answer }
        }
    }

    /// A yes/no question; `--yes` answers yes.
    func askYesNo(_ question: String) throws -> Bool {
        if yes { return true }
        let answer = try ask(question + " (y/n) ") { ["y", "n"].contains($0.lowercased()) }
        return answer.lowercased() == "y"
    }

    /// Refuses (exit 1) unless the host is confirmed isolated from production storage.
    func confirmIsolation() throws {
        guard try askYesNo("Is this system isolated with no access to production database storage?") else {
            throw ToolExit(1, "Exiting. Please execute this script in an isolated environment.")
        }
    }

    /// Where an NFS clone is mounted: `--mount-dir` or the answer; never a shared directory or one with something
    /// mounted already (exit 2), and an existing writable directory (exit 1).
    func mountDirectory(given: String?, homeDirectories: [String]) throws -> String {
        let directory = try given ?? ask("Directory where to mount clone: ") { Self.isWritableDirectory($0) }
        do {
            _ = try MountPointGuard.inspect(
                directory, key: "--mount-dir", expectedSource: nil, mounts: MountInfo.current(),
                homeDirectories: homeDirectories)
        } catch {
            throw ToolExit.usage(error.description)
        }
        guard Self.isWritableDirectory(directory) else {
            throw ToolExit(1, "\(directory) is not an existing, writable directory")
        }
        return directory
    }

    /// The recovery target: `--target-time` (UTC with `--utc`), else the answer and whether it was UTC.
    func targetTime(given: String?, utc: Bool) throws -> Date {
        if let given { return PointInTimeRestore.parseTime(given, utc: utc)! }
        let text = try ask("Restore database to time point: (yyyy-mm-dd hh24:mi:ss) ") {
            PointInTimeRestore.parseTime($0, utc: false) != nil
        }
        let isUTC = try askYesNo("Was the timestamp in UTC (answer N for local time)?")
        return PointInTimeRestore.parseTime(text, utc: isUTC)!
    }

    /// The new instance's SID: `--sid` or the answer.
    func instanceName(given: String?) throws -> String {
        try given ?? ask("Target instance name: ") { PointInTimeRestore.isValidSID($0) }
    }

    /// Shows the parameters between rules of `#` and refuses (exit 1) unless they are confirmed.
    func confirmParameters(_ lines: [String]) throws {
        Output.line(String(repeating: "#", count: 60))
        for line in lines { Output.line(line) }
        Output.line(String(repeating: "#", count: 60))
        guard try askYesNo("Are these parameters correct?") else {
            throw ToolExit(1, "Exiting. Please execute this script again.")
        }
    }

    /// Prints the mount command for the DBA and waits until it is confirmed run.
    func waitForManualMount(mountString: String, mountPath: String) throws {
        Output.line("Please execute the following command as root to mount the backup volume:")
        Output.line(
            "mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 \(mountString) \(mountPath)"
        )
        while try !askYesNo("Did you execute it?") { Output.line("Please execute it then.") }
    }

    static func isWritableDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.isWritableFile(atPath: path)
    }
}
