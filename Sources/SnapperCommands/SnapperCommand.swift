import ArgumentParser
import CommandSupport
import ConfigModel
import Foundation
import Logging
import Reporting
import RetentionPolicy
import StandardCatalogs
import StandardDrivers
import StorageKit
import StorageRetention
import ToolSupport

/// `snapper [--config F] [--json] <db> <action> [name]`: the original zsnapper/zvolume on every driver.
public struct SnapperCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "snapper",
        abstract: "Snapshots and clones of a database's backup area.",
        discussion: """
            Actions: create, list, clone <snapshot>, listclones, dropclone <clone>, checkage, clean [--dry-run],
            autoclone, dropautoclone, dropsnap <snapshot>, volume create.
            checkage follows Nagios conventions: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
            """)

    public static let usage =
        "Usage: snapper [--config FILE] [--json] <database> <list|clean [--dry-run]|create|checkage|clone <snapshot>|dropclone <clone>|listclones|autoclone|dropautoclone|dropsnap <snapshot>|volume create>"

    static let actions: [String: Int] = [
        "list": 0, "clean": 0, "create": 0, "checkage": 0, "clone": 1, "dropclone": 1, "listclones": 0,
        "autoclone": 0, "dropautoclone": 0, "dropsnap": 1, "volume": 1,
    ]

    @Option(name: .long, help: "Configuration file (default: $BACKUPCONFIG or backup.cfg beside the program).")
    public var config: String?

    @Flag(name: .long, help: "Listings as JSON.")
    public var json = false

    @Flag(name: .long, help: "With clean: print the retention plan with reasons and drop nothing.")
    public var dryRun = false

    @Argument(help: "<database> <action> [name]")
    public var words: [String] = []

    public init() {}

    public func validate() throws {
        guard words.count >= 2, let arity = Self.actions[words[1].lowercased()], words.count == 2 + arity else {
            throw ValidationError("unknown action or wrong number of arguments: \(words.joined(separator: " "))")
        }
        if words[1].lowercased() == "volume", words[2] != "create" {
            throw ValidationError("volume takes one action: create")
        }
        if dryRun, words[1].lowercased() != "clean" { throw ValidationError("--dry-run goes with clean") }
        try DatabaseArgument.validate(words[0])
    }

    public func run() async throws {
        let database = words[0]
        let action = words[1].lowercased()
        let environment = ProcessInfo.processInfo.environment
        let configuration: BackupConfiguration
        do {
            configuration = try BackupConfiguration.load(
                explicitPath: config, environment: environment,
                executableDirectory: ProgramLocation.executableDirectory)
        } catch {
            throw action == "checkage"
                ? ToolExit.nagios(3, NagiosResult.unknown(error).line) : ToolExit.usage(error.description)
        }
        var purposes: ConfigPurpose = [.storage]
        if action == "checkage" { purposes.insert(.snapshotAgeCheck) }
        if action == "clean" { purposes.insert(.retention) }
        if action == "autoclone" || action == "dropautoclone" { purposes.insert(.autorestore) }
        let (settings, problems) = configuration.databaseCollectingProblems(database, for: purposes)
        guard let settings, problems.isEmpty else {
            let message = ConfigError(problems).description
            throw action == "checkage" ? ToolExit.nagios(3, "UNKNOWN: \(message)") : ToolExit.usage(message)
        }
        // Messages go to standard error so listings stay clean for scripts; the original logged nothing here.
        var logger = Logger(label: database) { label in
            RunLogHandler(name: label, runLog: RunLog(screen: { Output.error($0) }, screenLevel: .warning))
        }
        logger.logLevel = environment["SNAPPER_DEBUG"] == "TRUE" ? .debug : .info
        let storage: any StorageDriver
        do {
            storage = try StandardDrivers.driver(for: settings, configuration: configuration, logger: logger)
        } catch let setup as DriverSetupError {
            throw action == "checkage"
                ? ToolExit.nagios(3, "UNKNOWN: \(setup.message)") : ToolExit(setup.exitCode, setup.message)
        } catch {
            throw action == "checkage"
                ? ToolExit.nagios(3, NagiosResult.unknown(error).line) : ToolExit.usage("\(error)")
        }
        let actions = SnapperActions(
            settings: settings, configuration: configuration, storage: storage,
            logger: logger, json: json, environment: environment)
        do {
            try await actions.perform(action, argument: words.count > 2 ? words[2] : nil, dryRun: dryRun)
        } catch let exit as ToolExit {
            throw exit
        } catch {
            if action == "checkage" { throw ToolExit.nagios(3, NagiosResult.unknown(error).line) }
            throw ToolExit.failure("\(action) failed: \(error)")
        }
    }
}

/// The snapper actions on one database's storage.
struct SnapperActions {
    var settings: DatabaseSettings
    var configuration: BackupConfiguration
    var storage: any StorageDriver
    var logger: Logger
    var json: Bool
    var environment: [String: String]
    var now: Date = Date()

    func perform(_ action: String, argument: String?, dryRun: Bool) async throws {
        switch action {
        case "list": try await list()
        case "create":
            let snapshot = try await createSnapshot()
            json ? Output.line(try StorageJSON.string(snapshot)) : Output.line("Snapshot created: \(snapshot.id)")
        case "clone":
            let snapshot = argument!
            try await clone(snapshot: snapshot, name: SnapshotNaming.cloneName(snapshot: snapshot, date: now))
        case "dropclone":
            try await storage.dropClone(name: argument!)
            Output.line("Clone dropped.")
        case "listclones": try await listClones()
        case "checkage": try await checkAge()
        case "clean": try await clean(dryRun: dryRun)
        case "autoclone": try await autoclone()
        case "dropautoclone":
            try await storage.dropClone(name: try autorestoreCloneName())
            Output.line("Clone dropped.")
        case "dropsnap": try await dropSnapshot(argument!)
        case "volume":
            let volume = try await storage.createVolume()
            json ? Output.line(try StorageJSON.string(volume)) : Output.line("Volume created: \(volume.name)")
        default: throw ToolExit.usage(SnapperCommand.usage)
        }
    }

    /// `create`: where the backup area is on this host, under its backup lock (waiting up to `maxlockwait` for a
    /// running backup), whose file is removed before the snapshot is taken (no lock file in the snapshot).
    func createSnapshot() async throws -> Snapshot {
        var isDirectory: ObjCBool = false
        guard let area = settings.backupDestination,
            FileManager.default.fileExists(atPath: area, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            logger.debug("The backup area is not on this host; the snapshot is taken without its lock")
            return try await storage.createTimestampedSnapshot(logger: logger)
        }
        let lock: HardLinkLock
        do {
            lock = try await HardLinkLock.acquire(
                directory: area, maxWait: .seconds(60 * (settings.generic.maxLockWaitMinutes ?? 0)),
                snapshotPending: true, logger: logger)
        } catch let error as LockError where error.reason == .directoryUnusable {
            // As the original did: the snapshot is taken through the storage, the area need not be writable here.
            logger.warning("\(error.description); the snapshot is taken without the backup lock")
            return try await storage.createTimestampedSnapshot(logger: logger)
        } catch let error as LockError {
            throw ToolExit(2, error.description)
        }
        defer { lock.release() }
        return try await lock.releasing { try await storage.createTimestampedSnapshot(logger: logger) }
    }

    func list() async throws {
        let snapshots = try await storage.listSnapshots().sortedByCreation()
        if json {
            Output.line(try StorageJSON.string(snapshots))
        } else {
            for snapshot in snapshots { Output.line(DisplayFormat.snapshotLine(snapshot)) }
        }
    }

    func listClones() async throws {
        let clones = try await storage.listClones()
        if json {
            Output.line(try StorageJSON.string(clones))
        } else {
            for clone in clones { Output.line(DisplayFormat.cloneLine(clone)) }
        }
    }

    func clone(snapshot: String, name: String) async throws {
        let clone = try await storage.cloneSnapshot(id: snapshot, cloneName: name)
        let mount = storage.mountString(clone: clone)
        if json {
            Output.line(try StorageJSON.string(clone))
            return
        }
        Output.line("Clone created.")
        Output.line("Clone name: \(clone.name)")
        Output.line("Mount point: \(clone.mountPoint ?? mount)")
        if mount.contains(":") {
            Output.line("Mount command (execute as root and replace zfs ip address and mount directory):")
            Output.line(
                "mount -t nfs -o rw,bg,hard,nointr,rsize=32768,wsize=32768,tcp,vers=3,timeo=600 \(mount) <mount_directory_here>"
            )
        } else {
            Output.line("The clone is a local directory; use it in place or bind-mount it (as root):")
            Output.line("mount --bind \(mount) <mount_directory_here>")
        }
    }

    func checkAge() async throws {
        guard let warning = settings.generic.warningSnapshotAgeHours,
            let critical = settings.generic.criticalSnapshotAgeHours
        else { throw ToolExit.nagios(3, "UNKNOWN: warningsnapage and criticalsnapage are required") }
        let result = SnapshotAgeCheck(warningHours: warning, criticalHours: critical)
            .evaluate(snapshots: try await storage.listSnapshots(), now: now)
        if json { Output.line(try StorageJSON.string(result)) } else { Output.line(result.line) }
        if result.exitCode != 0 { throw ToolExit(result.exitCode) }
    }

    func retentionConfiguration() throws -> RetentionConfiguration {
        do {
            return try configuration.retentionConfiguration(database: settings.name)
        } catch {
            throw ToolExit.usage("\(configuration.path): [\(settings.name)] \(error.description)")
        }
    }

    func verifiedSnapshots(_ retention: RetentionConfiguration) async -> VerifiedSnapshots {
        await VerifiedSnapshotLookup.read(
            settings: settings, retention: retention,
            keepVerifiedExplicit: configuration.keepVerifiedIsExplicit(database: settings.name),
            environment: environment, logger: logger)
    }

    func clean(dryRun: Bool) async throws {
        let retention = try retentionConfiguration()
        let verified = await verifiedSnapshots(retention)
        if dryRun {
            let (plan, error) = await SnapshotRetention.plan(
                storage: storage, configuration: retention, verified: verified, now: now)
            Output.line(RetentionPlanRenderer.dryRun(plan))
            if let error { throw ToolExit.failure("listing snapshots failed: \(error)") }
            return
        }
        let outcome = await SnapshotRetention.apply(
            storage: storage, configuration: retention, verified: verified, now: now, logger: logger)
        for line in RetentionPlanRenderer.lines(for: outcome) { Output.line(line) }
        if !outcome.succeeded { throw ToolExit.failure(outcome.summary) }
    }

    func autorestoreCloneName() throws -> String {
        guard let name = settings.autorestore.cloneName, !name.isEmpty else {
            throw ToolExit.usage("\(configuration.path): [autorestore] autorestoreclonename: required key is missing")
        }
        return name
    }

    func autoclone() async throws {
        let name = try autorestoreCloneName()
        let selection = await SnapshotSelection.autocloneCandidate(
            from: try await storage.listSnapshots(), minimumAgeHours: settings.autorestore.snapshotAgeHours ?? 0,
            now: now, logger: logger)
        guard let snapshot = selection.selected else { throw ToolExit.failure(AutocloneSelection.notFoundMessage) }
        _ = try await storage.cloneSnapshot(id: snapshot.id, cloneName: name)
        Output.line("Clone created.")
        Output.line("Clone name: \(name)")
        Output.line("Snapshot: \(snapshot.id)")
    }

    /// Drops one snapshot by hand, refusing locked, cloned (or unknown clone count), compliance-window and newest
    /// verified snapshots, and any snapshot while the results catalog cannot be read or the clocks disagree.
    func dropSnapshot(_ id: String) async throws {
        let retention = try retentionConfiguration()
        let listing = try await storage.listSnapshots().map(SnapshotRetention.record)
        guard let snapshot = listing.first(where: { $0.id == id }) else {
            throw ToolExit.failure("snapshot \(id) is not a snapshot of \(storage.volumeName)")
        }
        let verified = await verifiedSnapshots(retention)
        if let refusal = retention.safety.manualDropRefusal(
            for: snapshot, listing: listing, verified: verified, now: now)
        {
            if let skew = retention.safety.clockSkew(in: listing, now: now) { logger.error("dropsnap: \(skew)") }
            throw ToolExit.failure(refusal.description)
        }
        try await storage.deleteSnapshot(id: id)
        Output.line("Snapshot dropped: \(id)")
    }
}
