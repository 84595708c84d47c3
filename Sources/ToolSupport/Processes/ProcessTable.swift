import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What /proc tells about one process: enough to recognise it again after its pid may have been reused.
public struct ProcessRecord: Sendable, Equatable {
    /// The process id.
    public var pid: Int32
    /// The parent's process id.
    public var parent: Int32
    /// The process group id.
    public var group: Int32
    /// Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). Together with the boot id it
    /// identifies a process for good: a recycled pid has a later start time.
    public var startTime: UInt64
    /// A zombie has ended and waits only to be reaped by its parent.
    public var isZombie: Bool
}

/// Reads the Linux process table (/proc) without privileges beyond what the caller has.
public enum ProcessTable {
    /// The running process, read once.
    public static let current: ProcessRecord? = record(getpid())

    /// The kernel's boot id: start times compare only within one boot.
    public static let bootID: String? =
        (try? String(
            contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)

    /// The name of the environment variable every child of these tools carries: `<pid>:<start time>` of the
    /// tool. A later run uses it to prove that a leftover process belongs to a dead run before stopping it.
    public static let ownerVariable = "OIB_RUN_OWNER"

    /// `<pid>:<start time>` of this process, the value of ``ownerVariable`` in its children.
    public static var ownerValue: String {
        "\(getpid()):\(current?.startTime ?? 0)"
    }

    /// Parses /proc/<pid>/stat; nil when the process does not exist (or is not visible).
    public static func record(_ pid: Int32) -> ProcessRecord? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return nil
        }
        return parseStat(text)
    }

    /// The command name may contain spaces and parentheses; the fields after its closing parenthesis are fixed.
    static func parseStat(_ text: String) -> ProcessRecord? {
        guard let close = text.lastIndex(of: ")"), let open = text.firstIndex(of: "("),
            let pid = Int32(text[..<open].trimmingCharacters(in: .whitespaces))
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); the parent is field 4, the group field 5, the start time field 22.
        guard fields.count > 19, let parent = Int32(fields[1]), let group = Int32(fields[2]),
            let start = UInt64(fields[19])
        else { return nil }
        return ProcessRecord(pid: pid, parent: parent, group: group, startTime: start, isZombie: fields[0] == "Z")
    }

    /// Every visible process.
    public static func all() -> [ProcessRecord] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { Int32($0) }.compactMap(record)
    }

    /// The members of process group `group`.
    public static func members(ofGroup group: Int32) -> [ProcessRecord] {
        all().filter { $0.group == group }
    }

    /// The value of environment variable `name` of `pid`; `.unreadable` when the process's environment cannot be
    /// read (another user's process, or a process that changed its credentials).
    public enum Variable: Sendable, Equatable {
        case value(String)
        case absent
        case unreadable
    }

    /// Reads variable `name` from `/proc/<pid>/environ`: the environment the process started with.
    public static func environmentVariable(_ name: String, of pid: Int32) -> Variable {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return .unreadable }
        let prefix = Array((name + "=").utf8)
        for entry in data.split(separator: 0) where entry.starts(with: prefix) {
            return .value(String(decoding: entry.dropFirst(prefix.count), as: UTF8.self))
        }
        return .absent
    }
}
