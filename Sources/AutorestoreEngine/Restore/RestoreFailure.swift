/// Why an autorestore failed: a stable code stored in the results catalog, plus the detail.
public struct RestoreFailure: Error, Sendable, CustomStringConvertible {
    /// A failure code: the stable text stored in the catalog's failure reason.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code with the text `rawValue`.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The settings, templates or work files do not allow a restore (also any unexpected error).
        public static let configuration = Reason("configuration")
        /// The work directory or mount point was refused (shared, foreign, not ours) or cannot be set up.
        public static let unsafeDestination = Reason("unsafe-destination")
        /// A clone or mount left by an earlier run could not be checked or removed, or belongs to someone else.
        public static let leftoverCleanup = Reason("leftover-cleanup-failed")
        /// No snapshot is old enough (`autorestoresnapage`).
        public static let noSnapshot = Reason("no-snapshot")
        /// Snapshots exist but none has a complete `autorestore.cfg`.
        public static let missingRestoreParameters = Reason("missing-autorestore-cfg")
        /// The newest snapshot old enough to restore was skipped (its `autorestore.cfg` is missing or incomplete: its
        /// backup failed half-way); an older one was restored instead. The detail names the skipped snapshot and why.
        public static let newestSnapshotUnusable = Reason("newest-snapshot-unusable")
        /// A datafile copy the restored controlfile lists is not in the clone (or not a copy of this database); the
        /// detail names the file number and path. Checked before anything is restored.
        public static let missingDatafileCopy = Reason("missing-datafile-copy")
        /// The restore contract does not describe this snapshot (its time is after the snapshot was taken).
        public static let wrongSnapshot = Reason("wrong-snapshot")
        /// A production datafile named by the restored controlfile exists on this host: it is not isolated.
        public static let productionVisible = Reason("production-storage-visible")
        /// Listing or cloning snapshots failed on the storage.
        public static let cloneFailed = Reason("clone-failed")
        /// The clone could not be mounted or is not reachable at its path.
        public static let mountFailed = Reason("mount-failed")
        /// The temporary instance did not start (`startup nomount`).
        public static let startupFailed = Reason("startup-failed")
        /// The controlfile restore and mount, the production-visibility query or disabling change tracking failed.
        public static let controlfileFailed = Reason("controlfile-restore-failed")
        /// Cataloging the clone's datafile copies and archived logs (or clearing the online logs) failed.
        public static let catalogFilesFailed = Reason("catalog-files-failed")
        /// Recovery needs an archived log the clone lacks; the detail is RMAN's line naming it.
        public static let missingArchivedLog = Reason("missing-archivelog")
        /// Switching to the datafile copies or recovering failed.
        public static let recoveryFailed = Reason("recovery-failed")
        /// Opening the database read only failed.
        public static let openFailed = Reason("open-failed")
        /// The verification time could not be read or compared.
        public static let verificationFailed = Reason("verification-query-failed")
        /// The verified time is earlier than expected by more than the tolerance.
        public static let timeBehind = Reason("verified-time-behind")
        /// The verified time is later than expected by more than the tolerance.
        public static let timeAhead = Reason("verified-time-ahead")
        /// A datafile is not ONLINE/AVAILABLE after opening.
        public static let datafileNotOnline = Reason("datafile-not-online")
        /// The marker query (`markerquery`) returned another value than the backup recorded, or failed.
        public static let markerMismatch = Reason("marker-mismatch")
        /// `v$database_block_corruption` lists corrupt blocks after opening or validation.
        public static let corruptBlocks = Reason("corrupt-blocks")
        /// NOLOGGING blocks were found and the policy (`nologging` set to `fail`) makes that a failure.
        public static let nonloggedBlocks = Reason("nonlogged-blocks")
        /// RMAN block validation failed or its result could not be read.
        public static let validationFailed = Reason("validation-failed")
        /// Recording the result failed. The job never sets it: the engine's outcome shows it (exit 1, no record).
        public static let catalogWriteFailed = Reason("catalog-write-failed")
        /// The database has encrypted (TDE) tablespaces and their keystore is not open: recovery or a read met
        /// ORA-28365 without `tdekeystore`/`tdekeystorepasswordfile`, or the configured keystore or password file is
        /// missing or unreadable (ORA-28367). The detail names the setting to fix, never the password.
        public static let tdeKeystoreMissing = Reason("tde-keystore-missing")
        /// The configured keystore did not open (ORA-28353, a wrong password in `tdekeystorepasswordfile`, or another
        /// ORA- error of `administer key management set keystore open`); the detail never holds the password.
        public static let tdeKeystoreOpenFailed = Reason("tde-keystore-open-failed")
    }

    /// The failure code.
    public var reason: Reason
    /// What happened, for people: the step's error or the finding.
    public var detail: String

    /// A failure with code `reason` and the explanation `detail`.
    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}
