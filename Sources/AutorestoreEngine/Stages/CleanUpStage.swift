import Foundation

/// Always, once, idempotent: aborts the instance this run started, unmounts the clone it mounted and drops
/// the clone it made; nothing else. Runs after a failure and after SIGTERM/SIGINT too.
struct CleanUpStage: Sendable {
    let context: RestoreContext

    /// The clean-up: its time is the `cleanup` phase's; a failure is logged and, when the restore itself passed,
    /// becomes the result's failure.
    func run() async {
        let progress = context.progress
        let logger = context.logger
        let started = context.now()
        if let sid = progress.instanceSID {
            logger.debug("ACTION: In case instance is still running, aborting it")
            do {
                try await InstanceStage(context: context).shutdownAbort(sid: sid)
            } catch {
                logger.warning("Aborting instance \(sid) failed: \(error)")
            }
            try? FileManager.default.removeItem(atPath: context.instanceMarker)
            progress.instanceSID = nil
        }
        do {
            try await unmountAndDrop()
        } catch {
            logger.error("Clean-up failed: \(error)")
            if progress.result.failure == nil {
                progress.result.failure = RestoreFailure(.leftoverCleanup, "\(error)")
            }
        }
        progress.result.phaseSeconds["cleanup", default: 0] += context.now().timeIntervalSince(started)
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
