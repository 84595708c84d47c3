import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// File names and paths of run logs (reference §8.2).
public enum RunLogNames {
    /// `YYYYmmddTHHMMSS` in local time, as in log and snapshot names.
    public static func timestamp(_ date: Date, timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        return formatter.string(from: date)
    }

    /// `<backupdest>/backup_logs/<db>_<ts>_<action>.log`
    public static func backupLog(
        destination: String, database: String, action: String, date: Date,
        timeZone: TimeZone = .current
    ) -> String {
        destination + "/backup_logs/\(database)_\(timestamp(date, timeZone: timeZone))_\(action).log"
    }

    /// `<autorestorelogdir>/<ts>-<db>.log`
    public static func autorestoreLog(
        directory: String, database: String, date: Date,
        timeZone: TimeZone = .current
    ) -> String {
        directory + "/\(timestamp(date, timeZone: timeZone))-\(database).log"
    }
}

/// The backup area check of R-21: a backup must never silently land on the local root disk.
///
/// Real installations mount the backup storage somewhere above the area (`/nfs/backup` holding `<db>`, a btrfs or
/// ZFS file system, …), so the area passes when it sits on any file system other than the one mounted at `/`, or
/// carries our marker file. Only an unmarked area on the root file system is refused.
public enum BackupAreaCheck {
    /// The marker file a DBA (or `snapper volume create`) puts at the root of a backup area on the root file system.
    public static let markerFileName = ".oib-backup-area"

    /// Thrown by ``verify(_:mounts:)``: an unmarked backup area on the root file system (`requiremount`).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The backup area that was refused.
        public var path: String
        public var description: String {
            "Backup destination \(path) is on the root file system (/), not on mounted backup storage, and not marked "
                + "with \(markerFileName); refusing to write backups to the local disk (requiremount in [generic] is "
                + "TRUE by default). Mount the backup storage, create the marker file if this directory really is "
                + "the backup area, or set requiremount: FALSE"
        }
    }

    /// Passes when `path` holds the marker file, or when `path` (or, while it does not exist yet, its nearest
    /// existing parent) is on a file system other than the root one.
    public static func verify(_ path: String, mounts: [MountInfoEntry]? = MountInfo.current()) throws(Failure) {
        if FileManager.default.fileExists(atPath: path + "/" + markerFileName) { return }
        if isOnMountedStorage(path, mounts: mounts) { return }
        throw Failure(path: path)
    }

    /// True when `path` (or its nearest existing parent) is below a mount point other than `/`: its device differs
    /// from the root's, or the mount table lists a longer mount point above it (bind mounts share a device).
    public static func isOnMountedStorage(_ path: String, mounts: [MountInfoEntry]? = MountInfo.current()) -> Bool {
        var existing = (path as NSString).standardizingPath
        while !FileManager.default.fileExists(atPath: existing), existing != "/", !existing.isEmpty {
            existing = (existing as NSString).deletingLastPathComponent
        }
        let resolved = (existing as NSString).resolvingSymlinksInPath
        var own = stat()
        var root = stat()
        if stat(resolved, &own) == 0, stat("/", &root) == 0, own.st_dev != root.st_dev { return true }
        let covering = (mounts ?? []).map(\.mountPoint).filter {
            $0 != "/" && (resolved == $0 || resolved.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/"))
        }
        return !covering.isEmpty
    }

    /// True when `path` is the root of a mounted filesystem (its device differs from its parent's, or it appears
    /// as a mount point in /proc/self/mountinfo, which also catches bind mounts on the same device).
    public static func isMountPoint(_ path: String) -> Bool {
        let resolved = (path as NSString).resolvingSymlinksInPath
        var own = stat()
        var parent = stat()
        guard stat(resolved, &own) == 0 else { return false }
        if stat(resolved + "/..", &parent) == 0, own.st_dev != parent.st_dev { return true }
        return MountInfo.current()?.contains { $0.mountPoint == resolved } ?? false
    }
}

/// One locked, logged run of an action against a backup area, with the original's start-up and ending
/// (reference §2.1 steps 5 and 9–11): log file, log retention, lock, action, release, optional screen dump.
public struct RunSession: Sendable {
    /// The run's log; attached to ``logPath`` when the session starts.
    public var runLog: RunLog
    /// The log file, e.g. `<backupdest>/backup_logs/<db>_<ts>_<action>.log` (``RunLogNames``).
    public var logPath: String
    /// `logretention`: `*.log` files in the log's directory older than this many days are deleted at the start;
    /// nil deletes none.
    public var logRetentionDays: Int?
    /// Where the lock file is created: the database's backup area or `autorestorelogdir`.
    public var lockDirectory: String
    /// The lock file's name, `backup.lck` as in the original.
    public var lockName: String
    /// How long to wait for the lock before failing (`maxlockwait`, minutes in the configuration).
    public var maxLockWait: Duration
    /// Time between attempts to take the lock (default 5 s, as the original).
    public var lockPollInterval: Duration
    /// `BACKUP_LOG_TO_SCREEN=TRUE`.
    public var dumpLogToScreen: Bool
    /// Receives the `Log file for this session:` line and the log dump (`BACKUP_LOG_TO_SCREEN=TRUE`).
    public var screen: @Sendable (String) -> Void

    /// A session; nothing happens until ``run(logger:action:)``.
    public init(
        runLog: RunLog, logPath: String, logRetentionDays: Int?, lockDirectory: String,
        lockName: String = "backup.lck", maxLockWait: Duration, lockPollInterval: Duration = .seconds(5),
        dumpLogToScreen: Bool, screen: @escaping @Sendable (String) -> Void = RunLog.standardOutput
    ) {
        self.runLog = runLog
        self.logPath = logPath
        self.logRetentionDays = logRetentionDays
        self.lockDirectory = lockDirectory
        self.lockName = lockName
        self.maxLockWait = maxLockWait
        self.lockPollInterval = lockPollInterval
        self.dumpLogToScreen = dumpLogToScreen
        self.screen = screen
    }

    /// Why a session ended without running its action to success.
    public enum Failure: Error, Sendable {
        case lock(LockError)
        case logFile(String)
        case action(any Error)
    }

    /// Opens the log, cleans old logs, takes the lock, runs `action`, releases the lock whatever happens and dumps
    /// the log to the screen when asked (also on failure).
    public func run<T: Sendable>(logger: Logger, action: @Sendable () async throws -> T) async throws(Failure) -> T {
        try await run(logger: logger, snapshotPending: false) { _ in try await action() }
    }

    /// As ``run(logger:action:)``; `action` gets the held lock (for ``HardLinkLock/withoutLockFile(_:)``), and
    /// `snapshotPending` announces in the lock file that the action will take a snapshot.
    public func run<T: Sendable>(
        logger: Logger, snapshotPending: Bool, action: @Sendable (HardLinkLock) async throws -> T
    ) async throws(Failure) -> T {
        defer {
            if dumpLogToScreen {
                runLog.close()
                screen(runLog.screenDump())
            }
        }
        screen("Log file for this session: \(logPath)")
        do {
            try runLog.attach(file: logPath)
        } catch {
            throw .logFile("cannot open log file \(logPath): \(error.localizedDescription)")
        }
        let signalObserver = Interruption.onSignal { signal in
            logger.warning("Received \(Interruption.name(signal)): stopping the running children and cleaning up")
        }
        defer { signalObserver.cancel() }
        if let days = logRetentionDays {
            LogRetention.clean(directory: (logPath as NSString).deletingLastPathComponent, days: days, logger: logger)
        }
        let lock: HardLinkLock
        do {
            lock = try await HardLinkLock.acquire(
                directory: lockDirectory, name: lockName, maxWait: maxLockWait,
                pollInterval: lockPollInterval, snapshotPending: snapshotPending, logger: logger)
        } catch let error as LockError {
            logger.error("\(error.description)")
            throw .lock(error)
        } catch {
            throw .logFile("\(error)")
        }
        defer { lock.release() }
        let result: T
        do {
            result = try await action(lock)
        } catch {
            throw .action(error)
        }
        if let failure = runLog.writeFailure {
            logger.error("The log file could not be written completely: \(failure)")
            throw .logFile("the run succeeded, but its log file could not be written completely: \(failure)")
        }
        return result
    }
}
