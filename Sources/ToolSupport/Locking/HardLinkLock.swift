import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds a lock, as written in the lock file.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32?
    public var started: String?

    public var description: String {
        "host \(host), pid \(pid.map(String.init) ?? "unknown"), started \(started ?? "unknown")"
    }

    /// Parses our format (`host: …`, `pid: …`, `started: …`) and the original's (uname tuple text, time, pid).
    public static func parse(_ text: String) -> LockHolder? {
        let lines = text.split(separator: "\n").map(String.init)
        var holder = LockHolder(host: "unknown")
        var recognised = false
        for line in lines {
            if line.hasPrefix("host: ") { holder.host = String(line.dropFirst(6)); recognised = true }
            if line.hasPrefix("pid: ") { holder.pid = Int32(line.dropFirst(5)) }
            if line.hasPrefix("started: ") { holder.started = String(line.dropFirst(9)) }
        }
        if recognised { return holder }
        // The original: "('Linux', 'backup', '3.10…', '#1 SMP …', 'x86_64')", "2016-11-08 21:53:35", "12345".
        guard lines.count >= 3, lines[0].hasPrefix("(") else { return nil }
        let quoted = lines[0].split(separator: "'", omittingEmptySubsequences: false)
        if quoted.count > 3 { holder.host = String(quoted[3]) }
        holder.started = lines[1]
        holder.pid = Int32(lines[2].trimmingCharacters(in: .whitespaces))
        return holder
    }
}

/// Why a lock could not be taken.
public struct LockError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable { case timeout, directoryUnusable }
    public var reason: Reason
    public var path: String
    public var holder: LockHolder?
    public var detail: String

    public var description: String {
        switch reason {
        case .timeout:
            "Did not manage to get the lock \(path) in time" + (holder.map { "; it is held by \($0)" } ?? "")
        case .directoryUnusable:
            "Cannot create a lock in \((path as NSString).deletingLastPathComponent): \(detail)"
        }
    }
}

/// The original's NFS-safe lock (reference §8.1): a unique temp file hard-linked to `backup.lck`.
///
/// A hard link is atomic on NFS and across RAC nodes. Improvements over the original (R-22): the holder's host,
/// pid and start time are in the file and in the timeout message; a lock left by a process of *this* host that
/// no longer exists is taken over with a WARNING; the temp file never leaks; the "Locked!" message is logged at
/// INFO once a minute instead of every poll.
public final class HardLinkLock: Sendable {
    public let directory: String
    public let lockPath: String
    private let tempPath: String
    private let logger: Logger

    /// The name of this host as written into lock files.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private init(directory: String, lockPath: String, tempPath: String, logger: Logger) {
        self.directory = directory
        self.lockPath = lockPath
        self.tempPath = tempPath
        self.logger = logger
    }

    /// Takes the lock `<directory>/<name>`, waiting up to `maxWait`.
    /// - Parameters:
    ///   - pollInterval: time between attempts (the original: 5 s).
    ///   - isProcessAlive: liveness check for stale-lock detection (tests inject one).
    /// - Throws: ``LockError`` on timeout (the temp file is removed) or when the directory is unusable.
    public static func acquire(
        directory: String, name: String = "backup.lck", maxWait: Duration, pollInterval: Duration = .seconds(5),
        logger: Logger, isProcessAlive: @Sendable (Int32) -> Bool = HardLinkLock.processExists
    ) async throws -> HardLinkLock {
        let lockPath = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var template = Array((directory + "/tmpXXXXXX.lck").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard descriptor >= 0 else {
            throw LockError(
                reason: .directoryUnusable, path: lockPath, holder: nil,
                detail: String(cString: strerror(errno)))
        }
        let tempPath = String(cString: template)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let content = "host: \(hostName)\npid: \(getpid())\nstarted: \(formatter.string(from: Date()))\n"
        _ = content.withCString { write(descriptor, $0, strlen($0)) }
        closeDescriptor(descriptor)
        let lock = HardLinkLock(directory: directory, lockPath: lockPath, tempPath: tempPath, logger: logger)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxWait)
        var lastInfo: ContinuousClock.Instant?
        while true {
            if link(tempPath, lockPath) == 0 {
                logger.debug("Lock \(lockPath) taken")
                return lock
            }
            let linkError = errno
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8)).flatMap(LockHolder.parse)
            if linkError == EEXIST, let holder, holder.host == hostName, let pid = holder.pid, !isProcessAlive(pid) {
                logger.warning(
                    "Lock \(lockPath) was left by process \(pid) on this host, which no longer runs; taking it over")
                if unlink(lockPath) == 0 || errno == ENOENT { continue }
            }
            let now = clock.now
            if lastInfo == nil || now - lastInfo! >= .seconds(60) {
                if linkError == EEXIST {
                    logger.info("Locked! File \(lockPath) exists (\(holder?.description ?? "holder unknown")).")
                } else {
                    logger.info("Getting lock \(lockPath) failed! \(String(cString: strerror(linkError)))")
                }
                lastInfo = now
            }
            if now >= deadline {
                unlink(tempPath)
                logger.error("Did not manage to get the lock in time.")
                throw LockError(reason: .timeout, path: lockPath, holder: holder, detail: "")
            }
            try? await Task.sleep(for: min(pollInterval, deadline - now))
        }
    }

    /// Releases the lock: removes `backup.lck` only if it is still our link, and always the temp file.
    public func release() {
        var ours = stat()
        var current = stat()
        if stat(tempPath, &ours) == 0, stat(lockPath, &current) == 0, ours.st_ino == current.st_ino,
            ours.st_dev == current.st_dev
        {
            unlink(lockPath)
        } else {
            logger.warning("Lock \(lockPath) is no longer ours; leaving it in place")
        }
        unlink(tempPath)
    }

    /// `kill(pid, 0)`: true when the process exists (also when it belongs to another user).
    public static let processExists: @Sendable (Int32) -> Bool = { pid in
        kill(pid, 0) == 0 || errno == EPERM
    }
}
