/// Which storage module a database uses: `snappermodule` and `snapperclass` of `[generic]` (per-database
/// `genericsnappermodule` overrides applied).
///
/// ConfigModel knows no storage vendor. The module's own section (`[zfssa]`, `[netapp]`, …) is read by the module,
/// through a ``ConfigSection``; which modules exist, and what their sections must hold, is the program's
/// ``StorageModuleCatalog`` (the driver registry of StorageKit), which ``BackupConfiguration`` consults when one is
/// attached (``BackupConfiguration/storageModules``).
public struct StorageSettings: Sendable, Equatable {
    /// `snappermodule` as written, with where it was found; `nil` when not set or empty.
    public var module: ConfigValue?
    /// `snapperclass` as written (the class the original imported from the module); `nil` when not set or empty.
    public var moduleClass: ConfigValue?

    /// Storage settings naming `module` (and `moduleClass`).
    public init(module: ConfigValue? = nil, moduleClass: ConfigValue? = nil) {
        self.module = module
        self.moduleClass = moduleClass
    }

    /// The module name, trimmed and lower-cased (module names are case-insensitive); `nil` when none is set.
    public var moduleName: String? {
        guard let module else { return nil }
        let name = module.value.trimmingCharacters(in: .whitespaces).lowercased()
        return name.isEmpty ? nil : name
    }
}

/// The storage modules a program links, as a configuration needs to know them: which `snappermodule` values
/// exist, which `snapperclass` goes with each, and what each module's section must hold.
///
/// ConfigModel knows no vendor; StorageKit's `StorageDriverRegistry` is the catalog of the drivers a program
/// registered. Attach it to a configuration (``BackupConfiguration/storageModules``) and
/// ``BackupConfiguration/databaseCollectingProblems(_:for:)`` and ``BackupConfiguration/validateAll()`` report
/// the storage problems together with every other problem.
public protocol StorageModuleCatalog: Sendable {
    /// The problems of the storage module of `settings` and of its section, as read from `configuration`.
    ///
    /// Called only when `snappermodule` is set (its absence is ConfigModel's own problem).
    /// - Parameters:
    ///   - settings: the database's settings (its ``DatabaseSettings/storage`` names the module).
    ///   - configuration: the configuration the settings come from; the module's section is read from it.
    ///   - required: the caller uses the storage (``ConfigPurpose/storage``): the module's section must be
    ///     complete and valid. Otherwise only the module name and class are checked.
    func storageProblems(for settings: DatabaseSettings, in configuration: BackupConfiguration, required: Bool)
        -> [ConfigProblem]
}

/// Where a storage module's appliance credentials are kept (reference §3.6): never in `backup.cfg`.
public struct StorageCredentialsLayout: Sendable, Hashable {
    /// The credentials file, relative to the configuration's directory, e.g. `zfscredentials.cfg`.
    public var file: String
    /// Its section holding the credentials, e.g. `zfscredentials`.
    public var section: String
    /// The key of the user name, e.g. `zfsuser`.
    public var userKey: String
    /// The key of the password, e.g. `zfspassword`.
    public var passwordKey: String
    /// Environment variable holding the user, tried first together with ``passwordVariable``.
    public var userVariable: String?
    /// Environment variable holding the password.
    public var passwordVariable: String?
    /// A file in the user's home directory, tried second when it exists (e.g. `.dbbackupsuite_storage.cfg`).
    public var homeFile: String?
    /// The section of ``homeFile`` holding the credentials; default ``section``.
    public var homeFileSection: String?
    /// A section of the credentials file whose values win over the module's section in `backup.cfg` (the
    /// original's `[netapp]` in `netappcredentials.cfg`); `nil` for none.
    public var settingsSection: String?

    /// A layout: `file` beside the configuration, its `section` with `userKey` and `passwordKey`.
    public init(
        file: String, section: String, userKey: String = "user", passwordKey: String = "password",
        userVariable: String? = nil, passwordVariable: String? = nil, homeFile: String? = nil,
        homeFileSection: String? = nil, settingsSection: String? = nil
    ) {
        self.file = file
        self.section = section
        self.userKey = userKey
        self.passwordKey = passwordKey
        self.userVariable = userVariable
        self.passwordVariable = passwordVariable
        self.homeFile = homeFile
        self.homeFileSection = homeFileSection
        self.settingsSection = settingsSection
    }
}

/// Credentials for an appliance, loaded from its credentials file (never from backup.cfg).
public struct StorageCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The appliance user.
    public var user: String
    /// The appliance password; never printed.
    public var password: String
    /// The file or source the credentials came from, for messages.
    public var source: String
    /// What is allowed but unwise about the source (a credentials file readable by group or others), to log as a
    /// WARNING; never contains the password.
    public var warnings: [String]

    /// Credentials read from `source`.
    public init(user: String, password: String, source: String, warnings: [String] = []) {
        self.user = user
        self.password = password
        self.source = source
        self.warnings = warnings
    }

    /// Never prints the password.
    public var description: String { "\(user)/**** (from \(source))" }
}
