import ConfigModel
import Foundation
import StorageKit

/// The decisions of a point-in-time copy that need no answer from the DBA: times, SIDs, the snapshot, the clone's
/// name, how the clone is mounted and the clean-up steps. The `restore` tool asks the questions; these give the
/// answers' consequences.
extension PointInTimeRestore {
    /// Why a point-in-time copy cannot be planned (exit 1 for the tools).
    public struct PlanningError: Error, Sendable, CustomStringConvertible {
        /// What is wrong, in the original's words where it had them.
        public var message: String
        /// The tools' exit code: 1 no suitable snapshot or a wrong one named, 2 a configuration problem.
        public var exitCode: Int32
        public var description: String { message }
    }

    /// 1 to 8 ASCII letters or digits, as Oracle takes an instance name.
    public static func isValidSID(_ text: String) -> Bool {
        (1...8).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// Parses `yyyy-MM-dd HH:mm:ss` in UTC or in this host's time zone; nil when it is not such a time.
    public static func parseTime(_ text: String, utc: Bool) -> Date? {
        timeFormatter(utc: utc).date(from: text.trimmingCharacters(in: .whitespaces))
    }

    /// `yyyy-MM-dd HH:mm:ss` in UTC or in this host's time zone.
    public static func formatTime(_ date: Date, utc: Bool) -> String {
        timeFormatter(utc: utc).string(from: date)
    }

    static func timeFormatter(utc: Bool) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc ? TimeZone(identifier: "UTC")! : .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }

    /// The snapshot to restore from: the one named, else the first taken at or after `target`.
    /// - Throws: ``PlanningError`` when the named one is not a snapshot of the database, or none is late enough.
    public static func snapshot(named id: String?, target: Date, in snapshots: [Snapshot], database: String)
        throws(PlanningError) -> Snapshot
    {
        if let id {
            guard let named = snapshots.first(where: { $0.id == id }) else {
                throw PlanningError(message: "snapshot \(id) is not a snapshot of \(database)", exitCode: 1)
            }
            return named
        }
        guard let chosen = SnapshotSelection.pointInTimeSnapshot(for: target, in: snapshots) else {
            throw PlanningError(
                message:
                    "Suitable snapshot not found. If requested time is after the latest backup was taken, please use snapper to create a new snapshot first.",
                exitCode: 1)
        }
        return chosen
    }

    /// `restore_<db>_<yyyyMMdd_HHmmss>`.
    public static func cloneName(database: String, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return "restore_\(database)_\(formatter.string(from: date))"
    }

    /// How the clone reaches `mountPath` (nil: the clone is a local directory, used in place). Unattended, the
    /// configured `mountcommand` mounts it; otherwise the DBA does and nothing is run. The copy keeps its mount:
    /// the restore never unmounts it.
    /// - Returns: the mounting, and the unmount command for the clean-up steps when a command mounted it.
    /// - Throws: ``PlanningError`` (exit 2) when unattended without `mountcommand`.
    public static func mounting(
        at mountPath: String?, unattended: Bool, settings: AutorestoreSettings, vendor: String
    ) throws(PlanningError) -> (mounting: CloneMounting, unmount: [String]?) {
        guard let mountPath else { return (.direct, nil) }
        guard unattended else { return (.commands(mount: [], unmount: [], mountPoint: mountPath), nil) }
        guard settings.mountCommand != nil else {
            throw PlanningError(
                message:
                    "--yes with \(vendor) storage needs mountcommand (and umountcommand) in [autorestore] to mount the clone at \(mountPath); without --yes, restore prints the mount command and waits until you ran it",
                exitCode: 2)
        }
        let commands = MountCommandLine.commands(settings, mountPoint: mountPath)
        return (.commands(mount: commands.mount, unmount: [], mountPoint: mountPath), commands.unmount)
    }

    /// The steps that remove the copy when the DBA is done: the instance, the mount, the clone.
    /// - Parameters:
    ///   - sid: the instance to shut down.
    ///   - mountPath: where the clone is mounted; nil: the clone is a local directory, nothing to unmount.
    ///   - unmount: the configured unmount command when a command mounted the clone; nil: a manual `umount`.
    ///   - mountString: the driver's mount string of the clone, for `${mountstring}` in `unmount`.
    ///   - configurationPath: the configuration file named in the `snapper … dropclone` step.
    ///   - database: the database whose clone it is.
    ///   - cloneName: the clone to drop.
    /// - Returns: the numbered steps, one line each.
    public static func cleanUpSteps(
        sid: String, mountPath: String?, unmount: [String]?, mountString: String?, configurationPath: String,
        database: String, cloneName: String
    ) -> [String] {
        var steps = ["1. Shut down database instance \(sid)"]
        if let mountPath {
            if let unmount {
                let command = CloneMounting.substitute(
                    unmount, mountString: mountString ?? CloneMounting.mountStringPlaceholder)
                steps.append("2. Unmount the clone: \(command.joined(separator: " "))")
            } else {
                steps.append("2. Execute as root: umount \(mountPath)")
            }
        }
        steps.append(
            "\(mountPath == nil ? 2 : 3). Drop clone: snapper --config \(configurationPath) \(database) dropclone \(cloneName)"
        )
        return steps
    }
}
