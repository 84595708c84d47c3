import Foundation

/// One row of the fault matrix: a fault injected into a real run of a built tool, and what a careful DBA expects.
///
/// Every case, whatever its scenario, is also held to the same invariants (see ``FaultMatrixInvariants``): no
/// snapshot and no image copy of earlier backups is lost, no lock file and no process of the run is left behind,
/// and the next normal run (the fault removed) succeeds.
struct FaultCase: Sendable, CustomStringConvertible {
    /// Stable identifier (`<area>-<nn>`), used in Documentation/reliability.md.
    var id: String
    var area: FaultArea
    /// What goes wrong, in plain words.
    var fault: String
    /// The exit code the run must end with.
    var expectedStatus: Int32
    /// Text that must appear in the run's output or log: the error naming the cause.
    var mentions: [String]
    var scenario: FaultScenario
    /// Text the next normal run must say (e.g. that it took over the lock of a killed run).
    var nextMentions: [String] = []
    /// Text that must appear nowhere in the run's output or log (passwords).
    var neverSays: [String] = []

    var description: String { "\(id) \(fault)" }

    /// The expectation in plain words, for the report.
    var expectation: String {
        let outcome = expectedStatus == 0 ? "completes (exit 0)" : "fails with exit \(expectedStatus)"
        let named = mentions.map { "“\($0)”" }.joined(separator: ", ")
        let secret = neverSays.isEmpty ? "" : "; never shows the password"
        return "\(outcome); says \(named)\(secret); nothing lost or left; next run passes"
    }
}

/// Where a fault is injected; the report groups cases by area.
enum FaultArea: String, Sendable, CaseIterable {
    case oracle = "Oracle tools during a backup"
    case hang = "Oracle tools hanging past the timeout"
    case storage = "Storage appliance faults (storage-sim over HTTPS)"
    case autorestore = "Autorestore"
    case signals = "Signals (SIGKILL, SIGTERM, SIGINT)"
    case configuration = "Malformed configuration and credentials"
    case environment = "Host and file-system conditions"
}

/// How a case is set up, injected and run; the harness (``FaultMatrixHarness``) knows how to run each.
enum FaultScenario: Sendable {
    /// A backup action on localfs with an oracle-sim fault (`oracle-sim inject …` arguments) in place.
    case oracleFault(action: [String], inject: [String], extraConfig: String = "")
    /// A tool run against storage-sim with fault rules (JSON objects) installed after the baseline backup.
    case storageFault(
        vendor: StorageVendor, tool: String, arguments: [String], rules: [String], extraConfig: String = "",
        afterBaseline: ConfigurationEdit? = nil)
    /// An autorestore run after baseline backups, with an oracle-sim fault or a change to the snapshot.
    case autorestoreFault(inject: [String], prepare: AutorestorePreparation = .none, extraAutorestore: String = "")
    /// The configuration file rewritten by `edit` for the faulty run; `tool`/`arguments` run against it.
    case configurationFault(tool: String, arguments: [String], edit: ConfigurationEdit)
    /// `backup imagecopywithsnap` (or `autorestore` when `autorestore` is set) receives `signal` while oracle-sim
    /// hangs in the step matching `statement` run by `toolName`.
    case signal(signal: Int32, statement: String, toolName: String, autorestore: Bool = false)
    /// Host conditions prepared by a named recipe of the harness.
    case environment(EnvironmentRecipe)
}

enum StorageVendor: String, Sendable { case zfssa, ontap }

/// Changes made to the newest snapshot (or the configuration) before an autorestore.
enum AutorestorePreparation: Sendable {
    case none
    case deleteNewestArchivedLog
    case corruptSystemBlock
    case removeContract
    case deleteDatafileCopy
}

/// A textual change of the configuration (or the credentials file) for one run.
struct ConfigurationEdit: Sendable {
    /// Replace occurrences of `target` in the configuration by `replacement` (`target` empty: append).
    var target: String
    var replacement: String
    /// Write this text as the storage credentials file instead (when not nil).
    var credentials: String? = nil
}

/// Host conditions the harness knows how to create and remove.
enum EnvironmentRecipe: String, Sendable {
    case fullLogDisk
    case readOnlyBackupArea
    case missingBackupAreaWithRequireMount
    case configFileUnreadable
    case configFileIsDirectory
    case oracleHomeMissing
    case staleLockOfDeadProcess
    case lockHeldByLiveProcess
    case foreignLockOfOtherHost
    case missingCatalogDirectory
    case autorestoreAsRoot
    case autorestoreWithoutSandbox
    case productionVisible
    case futureDatedSnapshot
    case unreadableCatalog
    case sharedAutorestoreDestination
    case foreignMountAtMountPoint
}
