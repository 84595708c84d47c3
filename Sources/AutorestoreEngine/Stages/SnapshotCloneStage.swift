import ConfigModel
import Foundation
import StorageKit
import ToolSupport

/// The clone a restore works on, mounted: its restore contract and where its datafiles are.
struct ClonedSnapshot: Sendable {
    var parameters: AutorestoreParameters
    /// The directory holding `autorestore.cfg`.
    var mainPath: String
    /// Every datafile directory (one per volume of a multi-volume clone).
    var datafilePaths: [String]
}

/// Selects the snapshot, clones and mounts it and checks its restore contract (R-15); clears a clone or mount an
/// earlier run left behind first (R-14). Only this run's clone and mount are recorded in the progress, for the
/// clean-up.
struct SnapshotCloneStage: Sendable {
    let context: RestoreContext

    private var storage: any StorageDriver { context.storage }
    private var progress: RestoreProgress { context.progress }

    // MARK: Leftovers

    /// R-14: a mount of this database's clone at the mount point and a clone of this job's name left by a crashed
    /// run are removed; anything else there (another mount, another volume's clone) is refused, untouched.
    func removeLeftoverClone() async throws {
        let cloneName = context.cloneName
        if case .commands(_, let unmount, let mountPoint) = context.mounting {
            // Only a mount of this database's clone is ours to unmount; anything else there is refused, untouched.
            let leftover: MountInfoEntry?
            do {
                leftover = try MountPointGuard.inspect(
                    mountPoint, key: "autorestoremountpoint", expectedSource: context.defaultMountString,
                    mounts: MountInfo.current(), homeDirectories: context.homeDirectories)
            } catch {
                throw RestoreFailure(.unsafeDestination, error.description)
            }
            if let leftover {
                context.logger.warning(
                    "\(mountPoint) still has the clone \(leftover.source) mounted (left by an earlier run); unmounting it"
                )
                try await context.runCommand(
                    CloneMounting.substitute(unmount, mountString: context.defaultMountString), step: "umount",
                    failure: .leftoverCleanup, what: "Unmounting the leftover failed")
            }
        }
        let existing: Clone
        do {
            existing = try await storage.cloneInfo(name: cloneName)
        } catch let error where error.code == .notFound {
            return
        } catch {
            throw RestoreFailure(.leftoverCleanup, "cannot check for a leftover clone \(cloneName): \(error)")
        }
        guard existing.originVolume == storage.volumeName else {
            throw RestoreFailure(
                .leftoverCleanup,
                "a clone named \(cloneName) exists but belongs to \(existing.originVolume); remove it by hand or give this database its own autorestoreclonename"
            )
        }
        context.logger.warning(
            "Clone \(cloneName) of snapshot \(existing.originSnapshot) was left by an earlier run; dropping it")
        do {
            try await storage.dropClone(name: cloneName)
        } catch {
            throw RestoreFailure(.leftoverCleanup, "dropping the leftover clone \(cloneName) failed: \(error)")
        }
    }

    // MARK: Snapshot selection and clone

    /// Clones the newest snapshot at least `autorestoresnapage` hours old that holds a complete restore contract;
    /// skips (and says so) the ones that do not (R-15). The choice is ``SnapshotSelection``'s, as for
    /// `snapper autoclone`. A snapshot without a complete `autorestore.cfg` is dropped again and skipped; a clone,
    /// mount or contract failure ends the selection (it is a storage or backup problem, not a skippable snapshot).
    func cloneUsableSnapshot() async throws -> ClonedSnapshot {
        let cloneName = context.cloneName
        let minimumAgeHours = context.settings.autorestore.snapshotAgeHours ?? 0
        let snapshots: [Snapshot]
        do {
            snapshots = try await storage.listSnapshots()
        } catch {
            throw RestoreFailure(.cloneFailed, "listing snapshots failed: \(error)")
        }
        var chosen: ClonedSnapshot?
        let selection = try await SnapshotSelection.autocloneCandidate(
            from: snapshots, minimumAgeHours: minimumAgeHours, now: context.now(), logger: context.logger
        ) { snapshot in
            do {
                let clone = try await storage.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
                progress.cloned = clone.name
                progress.result.cloneName = clone.name
                progress.result.snapshotID = snapshot.id
                let mountPath = try await mount(clone)
                let paths = Self.datafilePaths(mountPath)
                let parameters = try? AutorestoreParameters.read(directory: paths.main)
                let missing = parameters?.missingForRestore ?? ["autorestore.cfg"]
                if let parameters, missing.isEmpty {
                    try checkContract(
                        parameters, snapshot: snapshot, file: paths.main + "/" + AutorestoreParameters.fileName)
                    chosen = ClonedSnapshot(parameters: parameters, mainPath: paths.main, datafilePaths: paths.all)
                    return .usable
                }
                try await CleanUpStage(context: context).unmountAndDrop()
                return .unusable(
                    reason:
                        "it cannot be restored: autorestore.cfg \(parameters == nil ? "is missing" : "lacks \(missing.joined(separator: ", "))") (its backup did not finish)"
                )
            } catch let failure as RestoreFailure {
                throw failure
            } catch {
                throw RestoreFailure(.cloneFailed, "cloning snapshot \(snapshot.id) as \(cloneName) failed: \(error)")
            }
        }
        if selection.selected != nil, let chosen {
            // The newest backup cannot be restored: the older one is restored (it is the fallback the DBA has), but
            // the run fails at the end with newest-snapshot-unusable (see AutorestoreJob).
            progress.skippedNewer = selection.skipped
            return chosen
        }
        guard !selection.skipped.isEmpty else {
            throw RestoreFailure(
                .noSnapshot,
                "Suitable snapshot not found for cloning (none is at least \(minimumAgeHours) hours old)")
        }
        throw RestoreFailure(
            .missingRestoreParameters,
            "no snapshot holds a complete autorestore.cfg (skipped: \(selection.skipped.map(\.snapshot.id).joined(separator: ", "))); the first snapshot of a database and those after a failed parameter write cannot be restored"
        )
    }

    /// Clones the requested snapshot for a point-in-time copy and reads its database parameters (`lasttime` may be
    /// missing: the request gives the target).
    func clonePointInTime(_ request: PointInTimeRequest) async throws -> ClonedSnapshot {
        let clone: Clone
        do {
            clone = try await storage.cloneSnapshot(id: request.snapshotID, cloneName: request.cloneName)
        } catch {
            throw RestoreFailure(.cloneFailed, "cloning snapshot \(request.snapshotID) failed: \(error)")
        }
        progress.cloned = clone.name
        progress.result.cloneName = clone.name
        progress.result.snapshotID = request.snapshotID
        let mountPath = try await mount(clone)
        progress.cloneRoot = mountPath
        let paths = Self.datafilePaths(mountPath)
        guard let parameters = try? AutorestoreParameters.read(directory: paths.main),
            parameters.missingForRestore.filter({ $0 != "lasttime" }).isEmpty
        else {
            throw RestoreFailure(
                .missingRestoreParameters,
                "snapshot \(request.snapshotID) has no complete autorestore.cfg")
        }
        return ClonedSnapshot(parameters: parameters, mainPath: paths.main, datafilePaths: paths.all)
    }

    /// The recorded time must precede the snapshot (it is captured before it); one hour of clock skew allowed.
    /// The time is read in its recorded UTC offset (or `backuptimezone` for older snapshots).
    func checkContract(_ parameters: AutorestoreParameters, snapshot: Snapshot, file: String) throws {
        let text = parameters.lastTime ?? ""
        let recorded = try context.recoveryTarget(parameters, file: file, warn: false).instant
        if recorded.timeIntervalSince(snapshot.creation) > 3600 {
            throw RestoreFailure(
                .wrongSnapshot,
                "autorestore.cfg in snapshot \(snapshot.id) records \(text), after the snapshot was taken (\(DisplayFormat.utcTimestamp(snapshot.creation)) UTC): it does not belong to this snapshot"
            )
        }
    }

    // MARK: Mount

    /// Makes `clone` a directory on this host and returns it; a mount by command is recorded for the clean-up.
    func mount(_ clone: Clone) async throws -> String {
        switch context.mounting {
        case .direct:
            let path = storage.mountString(clone: clone)
            guard FileManager.default.fileExists(atPath: path) else {
                throw RestoreFailure(.mountFailed, "clone \(clone.name) is not reachable at \(path)")
            }
            return path
        case .commands(let mountCommand, _, let mountPoint):
            let mountString = storage.mountString(clone: clone)
            try await context.runCommand(
                CloneMounting.substitute(mountCommand, mountString: mountString), step: "mount", failure: .mountFailed,
                what: "Mount failed")
            progress.mountedAt = mountPoint
            progress.mountString = mountString
            return mountPoint
        }
    }

    /// Single volume: the mount itself. Multi-volume (NetApp namespace): every sub-directory, the main one being
    /// the one holding autorestore.cfg.
    static func datafilePaths(_ mountPath: String) -> (main: String, all: [String]) {
        if FileManager.default.fileExists(atPath: mountPath + "/" + AutorestoreParameters.fileName) {
            return (mountPath, [mountPath])
        }
        let subdirectories = ((try? FileManager.default.contentsOfDirectory(atPath: mountPath)) ?? []).sorted()
            .map { mountPath + "/" + $0 }
            .filter {
                var d: ObjCBool = false;
                return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
            }
        let main = subdirectories.first {
            FileManager.default.fileExists(atPath: $0 + "/" + AutorestoreParameters.fileName)
        }
        return (main ?? mountPath, subdirectories.isEmpty ? [mountPath] : subdirectories)
    }
}
