/// Why an autorestore failed: a stable code stored in the results catalog, plus the detail.
public struct RestoreFailure: Error, Sendable, CustomStringConvertible {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let configuration = Reason("configuration")
        public static let unsafeDestination = Reason("unsafe-destination")
        public static let leftoverCleanup = Reason("leftover-cleanup-failed")
        public static let noSnapshot = Reason("no-snapshot")
        /// Snapshots exist but none has a complete `autorestore.cfg`.
        public static let missingRestoreParameters = Reason("missing-autorestore-cfg")
        /// The restore contract does not describe this snapshot (its time is after the snapshot was taken).
        public static let wrongSnapshot = Reason("wrong-snapshot")
        /// A production datafile named by the restored controlfile exists on this host: it is not isolated.
        public static let productionVisible = Reason("production-storage-visible")
        public static let cloneFailed = Reason("clone-failed")
        public static let mountFailed = Reason("mount-failed")
        public static let startupFailed = Reason("startup-failed")
        public static let controlfileFailed = Reason("controlfile-restore-failed")
        public static let catalogFilesFailed = Reason("catalog-files-failed")
        public static let missingArchivedLog = Reason("missing-archivelog")
        public static let recoveryFailed = Reason("recovery-failed")
        public static let openFailed = Reason("open-failed")
        public static let verificationFailed = Reason("verification-query-failed")
        /// The verified time is earlier than expected by more than the tolerance.
        public static let timeBehind = Reason("verified-time-behind")
        /// The verified time is later than expected by more than the tolerance.
        public static let timeAhead = Reason("verified-time-ahead")
        public static let datafileNotOnline = Reason("datafile-not-online")
        /// The marker query (`markerquery`) returned another value than the backup recorded, or failed.
        public static let markerMismatch = Reason("marker-mismatch")
        public static let corruptBlocks = Reason("corrupt-blocks")
        public static let nonloggedBlocks = Reason("nonlogged-blocks")
        public static let validationFailed = Reason("validation-failed")
        public static let catalogWriteFailed = Reason("catalog-write-failed")
    }

    public var reason: Reason
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}
