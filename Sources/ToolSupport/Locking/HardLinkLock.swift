import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds a lock, as written in the lock file.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    /// The holder's host name; `unknown` when a lock file of the original names none.
    public var host: String
    /// The holder's process id; nil when the file does not say.
    public var pid: Int32?
    /// When the holder took the lock, `yyyy-MM-dd HH:mm:ss` in the holder's local time; nil when unknown.
    public var started: String?
    /// The holder's start time in clock ticks since boot (`/proc/<pid>/stat`), so a recycled pid is not taken
    /// for the holder.
    public var pidStart: UInt64?
    /// The holder's boot id: after a reboot every holder of this host is gone.
    public var boot: String?
    /// Unique per acquisition: release removes only the lock file that still carries it.
    public var token: String?
    /// The process groups of the holder's running children.
    public var children: [ChildGroup] = []
    /// The holder will remove its lock file for a moment to take a snapshot (see ``HardLinkLock``).
    public var snapshotPending = false

    /// A holder; everything but `host` is optional.
    public init(
        host: String, pid: Int32? = nil, started: String? = nil, pidStart: UInt64? = nil, boot: String? = nil,
        token: String? = nil, children: [ChildGroup] = [], snapshotPending: Bool = false
    ) {
        self.host = host
        self.pid = pid
        self.started = started
        self.pidStart = pidStart
        self.boot = boot
        self.token = token
        self.children = children
        self.snapshotPending = snapshotPending
    }

    public var description: String {
        "host \(host), pid \(pid.map(String.init) ?? "unknown"), started \(started ?? "unknown")"
    }

    /// The lock file text.
    var text: String {
        var lines = ["host: \(host)", "pid: \(pid.map(String.init) ?? "")", "started: \(started ?? "")"]
        if let pidStart { lines.append("pidstart: \(pidStart)") }
        if let boot { lines.append("boot: \(boot)") }
        if let token { lines.append("token: \(token)") }
        if snapshotPending { lines.append("snapshot: pending") }
        lines.append("children: " + children.map { "\($0.group)@\($0.startTime)" }.joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses our format (`key: value` lines; the first occurrence of a key counts) and the original's (uname
    /// tuple text, time, pid).
    public static func parse(_ text: String) -> LockHolder? {
        let lines = text.split(separator: "\n").map(String.init)
        var values: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = String(line[line.index(after: colon)...].drop { $0 == " " })
            if values[key] == nil { values[key] = value }
        }
        if let host = values["host"] {
            var holder = LockHolder(host: host)
            holder.pid = values["pid"].flatMap { Int32($0) }
            holder.started = values["started"].flatMap { $0.isEmpty ? nil : $0 }
            holder.pidStart = values["pidstart"].flatMap { UInt64($0) }
            holder.boot = values["boot"]
            holder.token = values["token"]
            holder.snapshotPending = values["snapshot"] == "pending"
            holder.children = (values["children"] ?? "").split(separator: " ").compactMap { entry in
                let parts = entry.split(separator: "@")
                guard parts.count == 2, let group = Int32(parts[0]), let start = UInt64(parts[1]) else { return nil }
                return ChildGroup(group: group, startTime: start)
            }
            return holder
        }
        // The original: "('Linux', 'backup', '3.10…', '#1 SMP …', 'x86_64')", "2016-11-08 21:53:35", "12345".
        guard lines.count >= 3, lines[0].hasPrefix("(") else { return nil }
        var holder = LockHolder(host: "unknown")
        let quoted = lines[0].split(separator: "'", omittingEmptySubsequences: false)
        if quoted.count > 3 { holder.host = String(quoted[3]) }
        holder.started = lines[1]
        holder.pid = Int32(lines[2].trimmingCharacters(in: .whitespaces))
        return holder
    }
}

/// Why a lock could not be taken or kept.
public struct LockError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. `timeout`: not taken within the wait (`maxlockwait` for backups); `directoryUnusable`:
    /// no lock file can be created in the directory.
    public enum Reason: Sendable, Equatable {
        case timeout, directoryUnusable
        /// The holder is dead but processes of its run are still alive and could not be stopped (or could not be
        /// proven to be its own); `leftoverProcesses` names them.
        case leftoverProcesses
        /// Another run took the lock while this one had removed its lock file to take a snapshot.
        case takenDuringSnapshot
        /// A termination signal arrived while waiting.
        case interrupted
    }
    /// The kind of failure.
    public var reason: Reason
    /// The lock file's path.
    public var path: String
    /// The holder as its lock file names it; nil when unknown or unreadable.
    public var holder: LockHolder?
    /// More about the failure: the system error, the signal, or what to do.
    public var detail: String
    /// For ``Reason/leftoverProcesses``: the pids of the dead run that are still alive.
    public var leftoverProcesses: [Int32] = []

    public var description: String {
        switch reason {
        case .timeout:
            "Did not manage to get the lock \(path) in time" + (holder.map { "; it is held by \($0)" } ?? "")
        case .directoryUnusable:
            "Cannot create a lock in \((path as NSString).deletingLastPathComponent): \(detail)"
        case .leftoverProcesses:
            "Lock \(path) was left by a run that no longer runs (\(holder?.description ?? "holder unknown")), but "
                + "processes of that run are still alive: pids "
                + leftoverProcesses.map(String.init).joined(separator: ", ") + " (\(detail)); "
                + "stop them, then remove \(path)"
        case .takenDuringSnapshot:
            "Another run (\(holder?.description ?? "holder unknown")) took the lock \(path) while this run had "
                + "removed it to take a snapshot; \(detail)"
        case .interrupted:
            "Stopped waiting for the lock \(path): \(detail)"
        }
    }
}

/// The original's NFS-safe lock (reference §8.1): a unique temporary file hard-linked to `backup.lck`.
///
/// A hard link is atomic on NFS and across RAC nodes. Improvements over the original (R-22):
/// - the file names the holder's host, pid, process start time, boot id and running child process groups, and
///   the timeout message names the holder;
/// - a lock of *this* host whose holder is gone (pid gone, pid recycled, or host rebooted) is taken over with a
///   WARNING, after the processes of the dead run that are still alive in its recorded groups have been stopped
///   (only those whose environment proves they are that run's children); if any cannot be stopped, the lock is
///   refused naming their pids;
/// - the temporary file exists only for the moment of the link, so none is ever left or captured;
/// - ``withoutLockFile(_:)`` removes the lock file while a snapshot of the directory is taken: waiters that read
///   `snapshot: pending` keep off the lock while it is absent (up to ``pauseAllowance``), and the holder links it
///   again afterwards. Lock files therefore never land in a snapshot. Such a holder releases by renaming its file
///   to a marker that tells waiters the pause is over (see ``release()``);
/// - "Locked!" is logged at INFO once a minute instead of every poll.
public final class HardLinkLock: Sendable {
    /// The directory holding the lock file (the backup area, or `autorestorelogdir`).
    public let directory: String
    /// The lock file, `<directory>/<name>` (`backup.lck` by default).
    public let lockPath: String
    private let logger: Logger

    struct State {
        var holder: LockHolder
        /// Device and inode of our lock file while it is linked; nil while paused or after release.
        var identity: (dev: UInt64, ino: UInt64)?
        var observer: Int?
        /// Whether the lock file was removed for a snapshot and linked again (release then leaves the marker).
        var pausedForSnapshot = false
        /// Released by ``releasing(whileRunning:)``.
        var released = false
    }

    private let state: Mutex<State>

    /// How long waiters that saw `snapshot: pending` keep off an absent lock file.
    public static let pauseAllowance: Duration = .seconds(300)
    /// Time the processes of a dead run get between SIGTERM and SIGKILL on takeover.
    public static let leftoverGracePeriod: Duration = .seconds(5)

    /// The name of this host as written into lock files.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private init(directory: String, lockPath: String, holder: LockHolder, logger: Logger) {
        self.directory = directory
        self.lockPath = lockPath
        self.logger = logger
        self.state = Mutex(State(holder: holder))
    }

    /// Takes the lock `<directory>/<name>`, waiting up to `maxWait`.
    /// - Parameters:
    ///   - pollInterval: time between attempts (the original: 5 s).
    ///   - snapshotPending: announce that this holder will call ``withoutLockFile(_:)``.
    ///   - pauseAllowance: how long to keep off an absent lock whose holder announced a snapshot.
    ///   - isProcessAlive: liveness check for stale-lock detection (tests inject one).
    /// - Throws: ``LockError`` on timeout, when the directory is unusable, when a dead holder's processes are
    ///   still alive, or when a termination signal arrives.
    public static func acquire(
        directory: String, name: String = "backup.lck", maxWait: Duration, pollInterval: Duration = .seconds(5),
        snapshotPending: Bool = false, pauseAllowance: Duration = HardLinkLock.pauseAllowance,
        logger: Logger, isProcessAlive: @Sendable (Int32) -> Bool = HardLinkLock.processExists
    ) async throws -> HardLinkLock {
        let lockPath = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let holder = LockHolder(
            host: hostName, pid: getpid(), started: formatter.string(from: Date()),
            pidStart: ProcessTable.current?.startTime, boot: ProcessTable.bootID, token: UUID().uuidString,
            snapshotPending: snapshotPending)
        let lock = HardLinkLock(
            directory: directory, lockPath: lockPath, holder: holder, logger: logger)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxWait)
        var lastInfo: ContinuousClock.Instant?
        // Set while the last holder we saw announced a snapshot and its file has been absent since then.
        var pausedHolderGoneSince: ContinuousClock.Instant?
        var lastSeen: LockHolder?
        while true {
            if let signal = Interruption.signal {
                throw LockError(
                    reason: .interrupted, path: lockPath, holder: lastSeen,
                    detail: "received \(Interruption.name(signal))")
            }
            let current: LockHolder?
            var linkError: Int32 = EEXIST
            switch lock.readLockFile() {
            case .absent:
                if let paused = lastSeen, paused.snapshotPending, !lock.releasedMarkerNames(paused),
                    paused.host != hostName || !lock.isStale(paused, isProcessAlive: isProcessAlive)
                {
                    let since = pausedHolderGoneSince ?? clock.now
                    pausedHolderGoneSince = since
                    if clock.now - since < pauseAllowance {
                        logger.debug("Lock \(lockPath) is absent while its holder takes a snapshot; waiting")
                        current = lastSeen
                        break
                    }
                }
                if try lock.link() {
                    // The marker of an earlier holder's release has done its job; it must not reach a snapshot.
                    // Only a marker in our format (a holder with a token) is removed; anything else is not ours.
                    lock.removeReleasedMarker()
                    logger.debug("Lock \(lockPath) taken")
                    lock.startRecordingChildren()
                    return lock
                }
                current = nil
            case .held(let holder):
                pausedHolderGoneSince = nil
                if let holder { lastSeen = holder }  // a file being written says nothing new
                current = holder
                if let holder, holder.host == hostName, let pid = holder.pid,
                    lock.isStale(holder, isProcessAlive: isProcessAlive)
                {
                    try lock.stopLeftovers(of: holder)
                    logger.warning(
                        "Lock \(lockPath) was left by process \(pid) on this host, which no longer runs; taking it over"
                    )
                    lock.retireStaleFile(of: holder)
                    continue
                }
            case .unreadable(let error):
                linkError = error
                current = nil
            }
            let now = clock.now
            if lastInfo == nil || now - lastInfo! >= .seconds(60) {
                if linkError == EEXIST {
                    logger.info("Locked! File \(lockPath) exists (\(current?.description ?? "holder unknown")).")
                } else {
                    logger.info("Getting lock \(lockPath) failed! \(String(cString: strerror(linkError)))")
                }
                lastInfo = now
            }
            if now >= deadline {
                logger.error("Did not manage to get the lock in time.")
                throw LockError(reason: .timeout, path: lockPath, holder: current, detail: "")
            }
            try? await Task.sleep(for: min(pollInterval, deadline - now))
        }
    }

    enum LockFileState {
        case absent
        case held(LockHolder?)
        case unreadable(Int32)
    }

    /// Reads the lock file. A file that exists but cannot be parsed (being written) is held by someone unknown.
    func readLockFile() -> LockFileState {
        guard let data = FileManager.default.contents(atPath: lockPath) else {
            var info = stat()
            if lstat(lockPath, &info) == 0 { return .held(nil) }
            return errno == ENOENT ? .absent : .unreadable(errno)
        }
        return .held(LockHolder.parse(String(decoding: data, as: UTF8.self)))
    }

    /// One attempt: a fresh temporary file with our holder text, hard-linked to the lock name and removed again.
    /// - Returns: true when the lock is ours; false when someone else linked first.
    func link() throws -> Bool {
        var template = Array((directory + "/tmpXXXXXX.lck").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard descriptor >= 0 else {
            throw LockError(
                reason: .directoryUnusable, path: lockPath, holder: nil, detail: String(cString: strerror(errno)))
        }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(tempPath) }
        let text = state.withLock { $0.holder.text }
        let written = text.withCString { write(descriptor, $0, strlen($0)) }
        var info = stat()
        let statted = fstat(descriptor, &info)
        closeDescriptor(descriptor)
        guard written == text.utf8.count, statted == 0 else {
            throw LockError(
                reason: .directoryUnusable, path: lockPath, holder: nil,
                detail: "cannot write \(tempPath): \(String(cString: strerror(errno)))")
        }
        var linked = Glibc.link(tempPath, lockPath) == 0
        if !linked && errno != EEXIST {
            // NFS may report a failure for a link that was made (a retransmitted request): the link count tells.
            var after = stat()
            linked = stat(tempPath, &after) == 0 && after.st_nlink == 2
        }
        guard linked else { return false }
        state.withLock { $0.identity = (UInt64(info.st_dev), UInt64(info.st_ino)) }
        return true
    }

    /// Removes the lock file of a dead `holder`. It is first renamed away (atomic), so that a lock another waiter
    /// linked meanwhile is recognised by its content and put back instead of being deleted.
    func retireStaleFile(of holder: LockHolder) {
        let aside = directory + "/.stale-\(UUID().uuidString).lck"
        guard rename(lockPath, aside) == 0 else { return }
        defer { unlink(aside) }
        let moved = (try? String(contentsOfFile: aside, encoding: .utf8)).flatMap(LockHolder.parse)
        if moved != holder { _ = Glibc.link(aside, lockPath) }
    }

    /// Same host only: the holder is gone when its host rebooted, its pid does not exist, or the pid now belongs
    /// to a process that started at another time (a recycled pid).
    func isStale(_ holder: LockHolder, isProcessAlive: (Int32) -> Bool) -> Bool {
        guard let pid = holder.pid else { return false }
        if let boot = holder.boot, let current = ProcessTable.bootID, boot != current { return true }
        if !isProcessAlive(pid) { return true }
        if let recorded = holder.pidStart, let running = ProcessTable.record(pid), running.startTime != recorded {
            return true
        }
        return false
    }

    /// Stops the processes a dead holder's run left in its recorded child process groups (SIGTERM, then SIGKILL),
    /// touching only processes whose environment names that run; throws when any stays alive or cannot be proven
    /// to be that run's.
    func stopLeftovers(of holder: LockHolder) throws {
        guard let pid = holder.pid, holder.boot == nil || holder.boot == ProcessTable.bootID else { return }
        let owner = "\(pid):\(holder.pidStart ?? 0)"
        var ours: [Int32] = []
        var unprovable: [Int32] = []
        for child in holder.children {
            for member in ProcessTable.members(ofGroup: child.group) where !member.isZombie {
                // A process that started before the dead run's child cannot be one of its descendants.
                guard member.startTime >= child.startTime else { continue }
                switch ProcessTable.environmentVariable(ProcessTable.ownerVariable, of: member.pid) {
                case .value(let value) where value == owner: ours.append(member.pid)
                case .value, .absent: continue
                case .unreadable: unprovable.append(member.pid)
                }
            }
        }
        if !unprovable.isEmpty {
            throw LockError(
                reason: .leftoverProcesses, path: lockPath, holder: holder,
                detail: "their environment cannot be read, so they cannot be proven to be that run's",
                leftoverProcesses: unprovable.sorted())
        }
        guard !ours.isEmpty else { return }
        let listed = ours.map(String.init).joined(separator: ", ")
        logger.warning("Lock \(lockPath): the dead run \(pid) left processes \(listed); stopping them")
        let alive = { ours.filter { ProcessTable.record($0).map { !$0.isZombie } ?? false } }
        for member in ours { kill(member, SIGTERM) }
        Self.waitUntil(deadline: ContinuousClock.now.advanced(by: Self.leftoverGracePeriod)) { alive().isEmpty }
        for member in alive() { kill(member, SIGKILL) }
        Self.waitUntil(deadline: ContinuousClock.now.advanced(by: .seconds(5))) { alive().isEmpty }
        let remaining = alive()
        if !remaining.isEmpty {
            throw LockError(
                reason: .leftoverProcesses, path: lockPath, holder: holder, detail: "they survived SIGKILL",
                leftoverProcesses: remaining)
        }
    }

    static func waitUntil(deadline: ContinuousClock.Instant, _ condition: () -> Bool) {
        while !condition() && ContinuousClock.now < deadline { usleep(50_000) }
    }

    /// From now on the lock file lists this process's running child process groups.
    func startRecordingChildren() {
        let token = ChildProcesses.addObserver { [weak self] children in self?.recordChildren(children) }
        state.withLock { $0.observer = token }
        recordChildren(ChildProcesses.current)
    }

    /// Rewrites our lock file in place (same inode, so the link stays ours) with the current children.
    func recordChildren(_ children: [ChildGroup]) {
        state.withLock { state in
            state.holder.children = children
            guard let identity = state.identity else { return }
            let descriptor = open(lockPath, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { return }
            defer { closeDescriptor(descriptor) }
            var info = stat()
            // Same inode is not enough: a file removed behind our back and created again by another run may get
            // our freed inode number. Only a file that still carries our token is ours.
            guard fstat(descriptor, &info) == 0, UInt64(info.st_dev) == identity.dev,
                UInt64(info.st_ino) == identity.ino,
                let current = Self.readAll(descriptor: descriptor, size: Int(info.st_size)),
                LockHolder.parse(current)?.token == state.holder.token
            else { return }
            let text = state.holder.text
            let count = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
            if count == text.utf8.count { _ = ftruncate(descriptor, off_t(count)) }
        }
    }

    /// The whole content of an open file of `size` bytes read from offset 0, or nil when it cannot be read.
    static func readAll(descriptor: Int32, size: Int) -> String? {
        guard size >= 0, size <= 1 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, size, 0) }
        guard count == size else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes the lock file while `body` runs (a snapshot of this directory must not contain it), then links it
    /// again. Waiters that saw `snapshot: pending` keep off meanwhile.
    /// - Throws: ``LockError/Reason/takenDuringSnapshot`` when another run linked the lock in between (after
    ///   `body` ran; its result is then lost), or what `body` throws.
    public func withoutLockFile<T>(_ body: () async throws -> T) async throws -> T {
        guard removeOwnFile() else {
            throw LockError(
                reason: .takenDuringSnapshot, path: lockPath, holder: nil, detail: "the lock file is no longer ours")
        }
        logger.debug("Lock file \(lockPath) removed while the snapshot is taken")
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        state.withLock { $0.holder.snapshotPending = false }
        if try !link() {
            let other = LockHolder.parse((try? String(contentsOfFile: lockPath, encoding: .utf8)) ?? "")
            throw LockError(
                reason: .takenDuringSnapshot, path: lockPath, holder: other,
                detail: "the snapshot may contain that run's lock file, and this run stops here")
        }
        state.withLock { $0.pausedForSnapshot = true }
        recordChildren(ChildProcesses.current)
        logger.debug("Lock file \(lockPath) linked again")
        return try result.get()
    }

    /// Releases the lock by removing its file and then runs `body`, a snapshot that ends the locked work (as in
    /// `snapper create`): waiters that saw `snapshot: pending` keep off while this process lives (same host) or
    /// for ``pauseAllowance``, so nothing starts in the area before the snapshot is taken.
    public func releasing<T>(whileRunning body: () async throws -> T) async throws -> T {
        if let observer = state.withLock({ $0.observer }) { ChildProcesses.removeObserver(observer) }
        guard removeOwnFile() else {
            throw LockError(
                reason: .takenDuringSnapshot, path: lockPath, holder: nil, detail: "the lock file is no longer ours")
        }
        state.withLock { $0.released = true }
        return try await body()
    }

    /// Unlinks the lock file if it is still ours (same inode and token), or renames it to the released marker;
    /// true when it was ours.
    private func removeOwnFile(leavingReleasedMarker: Bool = false) -> Bool {
        state.withLock { state in
            guard let identity = state.identity else { return false }
            state.identity = nil
            var current = stat()
            guard stat(lockPath, &current) == 0, UInt64(current.st_dev) == identity.dev,
                UInt64(current.st_ino) == identity.ino,
                let text = try? String(contentsOfFile: lockPath, encoding: .utf8),
                LockHolder.parse(text)?.token == state.holder.token
            else { return false }
            if leavingReleasedMarker { return rename(lockPath, releasedMarkerPath) == 0 }
            return unlink(lockPath) == 0
        }
    }

    /// Releases the lock: removes the lock file only if it is still ours.
    ///
    /// After a snapshot pause, a waiter may have seen `snapshot: pending` and then the absent file, and could not
    /// tell the end of the run from the pause (it would keep off for ``pauseAllowance``). So the file is renamed to
    /// ``releasedMarkerPath`` instead of removed: the marker, carrying this holder's token, tells waiters the lock
    /// is free. The next holder removes it before it does anything in the directory.
    public func release() {
        let (observer, paused, released) = state.withLock { ($0.observer, $0.pausedForSnapshot, $0.released) }
        if let observer { ChildProcesses.removeObserver(observer) }
        if released { return }
        if !removeOwnFile(leavingReleasedMarker: paused) {
            logger.warning("Lock \(lockPath) is no longer ours; leaving it in place")
        }
    }

    /// Where a holder that paused for a snapshot leaves its lock file on release (see ``release()``).
    public var releasedMarkerPath: String { lockPath + ".released" }

    /// Removes the released marker when it is one of ours (a lock holder with a token); keeps anything else.
    func removeReleasedMarker() {
        guard let text = try? String(contentsOfFile: releasedMarkerPath, encoding: .utf8),
            LockHolder.parse(text)?.token != nil
        else { return }
        unlink(releasedMarkerPath)
    }

    /// Whether the released marker names `holder` (same token): that holder has released the lock.
    func releasedMarkerNames(_ holder: LockHolder) -> Bool {
        guard let token = holder.token,
            let text = try? String(contentsOfFile: releasedMarkerPath, encoding: .utf8)
        else { return false }
        return LockHolder.parse(text)?.token == token
    }

    /// `kill(pid, 0)`: true when the process exists (also when it belongs to another user).
    public static let processExists: @Sendable (Int32) -> Bool = { pid in
        kill(pid, 0) == 0 || errno == EPERM
    }
}
