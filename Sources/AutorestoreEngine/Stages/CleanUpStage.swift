import Foundation

/// Always, once, idempotent (R-13): aborts the instance this run started, unmounts the clone it mounted and drops
/// the clone it made; nothing else. Runs after a failure and after SIGTERM/SIGINT too. When the instance cannot be
/// aborted, the clone, its mount and the work files stay (the instance may still use them) for the next run.
struct CleanUpStage: Sendable {
    let context: RestoreContext

    /// The clean-up: its time is the `cleanup` phase's; a failure is logged and, when the restore itself passed,
    /// becomes the result's failure.
    func run() async {
        let progress = context.progress
        let logger = context.logger
        let started = context.now()
        var instanceGone = true
        if let sid = progress.instanceSID {
            logger.debug("ACTION: In case instance is still running, aborting it")
            do {
                try await InstanceStage(context: context).shutdownAbort(sid: sid)
                try? FileManager.default.removeItem(atPath: context.instanceMarker)
            } catch {
                // The SID marker stays, so the next run aborts this instance before it starts its own.
                instanceGone = false
                logger.warning("Aborting instance \(sid) failed: \(error); the next run will abort it")
            }
            progress.instanceSID = nil
        }
        if instanceGone {
            do {
                try await unmountAndDrop()
            } catch {
                logger.error("Clean-up failed: \(error)")
                if progress.result.failure == nil {
                    progress.result.failure = RestoreFailure(.leftoverCleanup, "\(error)")
                }
            }
        } else if progress.cloned != nil || progress.mountedAt != nil {
            // The instance may still have the clone's files open: dropping or unmounting them under it is not
            // ours to risk. The next run aborts the instance first, and only then removes the clone.
            let kept = [progress.cloned.map { "clone \($0)" }, progress.mountedAt.map { "its mount at \($0)" }]
                .compactMap { $0 }.joined(separator: " and ")
            // Not a failed restore test (what it proved stands), as the failed abort itself never was.
            logger.warning(
                "Keeping \(kept): the instance may still use it; the next run aborts the instance first, then removes it"
            )
        }
        if context.pointInTime == nil {
            // The marker stays only while an instance (this run's or an earlier one's) may still run.
            if instanceGone, !FileManager.default.fileExists(atPath: context.instanceMarker) {
                removeWorkFiles()
            } else {
                logger.warning("Leaving the work files in \(context.workDirectory): the instance may still use them")
            }
        }
        progress.result.phaseSeconds["cleanup", default: 0] += context.now().timeIntervalSince(started)
    }

    /// Removes what this and earlier runs created in the work directory (its manifest's names; the marker, the
    /// manifest and anything the tool did not create stay). A failure is a warning: the next run removes them.
    func removeWorkFiles() {
        do {
            let removed = try WorkDirectory.removeRecorded(
                in: context.workDirectory, homeDirectories: context.homeDirectories)
            if !removed.isEmpty {
                context.logger.debug("Removed work files: \(removed.joined(separator: ", "))")
            }
        } catch {
            context.logger.warning("Work files were not removed: \(error)")
        }
    }

    /// Unmounts the clone when this run mounted it by command, then drops the clone this run made.
    func unmountAndDrop() async throws {
        let progress = context.progress
        if progress.mountedAt != nil, case .commands(_, let unmount, _) = context.mounting {
            let mountString = progress.mountString ?? context.defaultMountString
            try await context.runCommand(
                CloneMounting.substitute(unmount, mountString: mountString), step: "umount",
                failure: .leftoverCleanup, what: "Unmount failed")
            progress.mountedAt = nil
            progress.mountString = nil
        }
        if let clone = progress.cloned {
            try await context.storage.dropClone(name: clone)
            context.logger.debug("Dropped clone \(clone)")
            progress.cloned = nil
        }
    }
}
