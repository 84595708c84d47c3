import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BackupConfiguration {
    /// Loads the appliance credentials described by `layout`.
    ///
    /// In order: the environment variables ``StorageCredentialsLayout/userVariable`` and
    /// ``StorageCredentialsLayout/passwordVariable`` (when both are named and the user is set), the file in the
    /// home directory (``StorageCredentialsLayout/homeFile``, when it exists), then
    /// ``StorageCredentialsLayout/file`` beside the configuration (the original: beside the script). Files must
    /// not be writable by group or others nor owned by another user (``checkPermissions(path:effectiveUser:)``).
    /// - Throws: ``ConfigError`` naming the file (and line) of a missing, unsafe or broken credentials file; the
    ///   file's content is never part of a message.
    public func loadCredentials(_ layout: StorageCredentialsLayout) throws(ConfigError) -> StorageCredentials {
        if let userVariable = layout.userVariable, let passwordVariable = layout.passwordVariable,
            let user = environment[userVariable], let password = environment[passwordVariable], !user.isEmpty
        {
            return StorageCredentials(user: user, password: password, source: userVariable)
        }
        if let homeFile = layout.homeFile, let home = environment["HOME"] {
            let path = home.appendingPathComponent(homeFile)
            if FileManager.default.fileExists(atPath: path) {
                return try readCredentials(
                    path: path, section: layout.homeFileSection ?? layout.section, user: layout.userKey,
                    password: layout.passwordKey)
            }
        }
        return try readCredentials(
            path: resolvePath(layout.file), section: layout.section, user: layout.userKey,
            password: layout.passwordKey)
    }

    /// The section of a driver's credentials file that holds the account of the off-site copy's appliance.
    public static let replicaCredentialsSection = "replication"

    /// The account of the off-site copy's appliance: `[replication]` in the driver's credentials file (the same keys
    /// as its own section, e.g. `zfscredentials.cfg` `[replication]` `user`/`password`), or `nil` when the file has
    /// no such section (the replica is then reached with the database's own account).
    /// - Throws: ``ConfigError`` naming the file, `[replication]` and the key when the section is incomplete or the
    ///   file unsafe; never the password.
    public func loadReplicaCredentials(_ layout: StorageCredentialsLayout) throws(ConfigError) -> StorageCredentials? {
        let path = resolvePath(layout.file)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var ignoredWarnings: [String] = []  // the same file's warnings come with the database's own credentials
        let document = try parseSecretFile(path: path, warnings: &ignoredWarnings)
        guard document.hasSection(Self.replicaCredentialsSection) else { return nil }
        return try readCredentials(
            path: path, section: Self.replicaCredentialsSection, user: layout.userKey, password: layout.passwordKey)
    }

    /// Values of `[section]` in a credentials file (e.g. NetApp's `[netapp]` overrides), each with the file, section
    /// and line it came from; empty if there is no file.
    func loadCredentialOverrides(file: String, section: String) throws(ConfigError) -> [String: ConfigValue] {
        let path = resolvePath(file)
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        var ignoredWarnings: [String] = []  // the same file's warning comes with its credentials
        let document = try parseSecretFile(path: path, warnings: &ignoredWarnings)
        var values: [String: ConfigValue] = [:]
        for entry in document.section(section)?.entries ?? [] {
            values[entry.key] = ConfigValue(
                value: (try? document.value(section: section, key: entry.key)) ?? entry.rawValue, section: section,
                key: entry.key, line: entry.line == 0 ? nil : entry.line, file: path)
        }
        return values
    }

    func readCredentials(path: String, section: String, user userKey: String, password passwordKey: String)
        throws(ConfigError) -> StorageCredentials
    {
        var warnings: [String] = []
        let document = try parseSecretFile(path: path, warnings: &warnings)
        var problems: [ConfigProblem] = []
        guard document.hasSection(section) else {
            throw ConfigError(ConfigProblem(file: path, section: section, message: "section [\(section)] is missing"))
        }
        func value(_ key: String) -> String? {
            guard let entry = document.section(section)?.entry(key) else {
                problems.append(
                    ConfigProblem(file: path, section: section, key: key, message: "required key is missing"))
                return nil
            }
            do {
                return try document.value(section: section, key: key)
            } catch {
                problems.append(
                    ConfigProblem(
                        file: path, line: entry.line, section: section, key: key,
                        message: Self.contentFreeDetail(error)))
                return nil
            }
        }
        let user = value(userKey)
        let password = value(passwordKey)
        guard let user, let password, problems.isEmpty else { throw ConfigError(problems) }
        return StorageCredentials(user: user, password: password, source: path, warnings: warnings)
    }

    /// Reads a secrets file after checking who may change it; `warnings` gets what is allowed but unwise.
    func parseSecretFile(path: String, warnings: inout [String]) throws(ConfigError) -> INIDocument {
        if let warning = try Self.checkPermissions(path: path) { warnings.append(warning) }
        let text = try Self.readText(path: path, what: "credentials file")
        do {
            return try INIParser.parse(text, file: path)
        } catch {
            throw ConfigError(ConfigProblem(file: path, line: error.line, message: Self.contentFreeDetail(error)))
        }
    }

    /// What is wrong in a credentials file, by kind only: the parser's details quote the file's text, which may
    /// be a password, so messages name just the file and line.
    static func contentFreeDetail(_ error: INIError) -> String {
        "\(error.code) (the content of a credentials file is never shown)"
    }

    /// Checks a credentials file's owner and mode.
    ///
    /// Refused: a file that group or others may write, or that another non-root user owns (either could plant
    /// credentials or read ours). Allowed with a warning: a file that group or others may read — the original
    /// accepted it, and installations made from its documentation have 0644 files. The file's content is never
    /// part of a message.
    /// - Returns: the warning to log (with the exact `chmod 600` to run), or nil when the file is private.
    public static func checkPermissions(path: String, effectiveUser: uid_t = geteuid()) throws(ConfigError) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigError(ConfigProblem(file: path, message: "credentials file not found"))
        }
        let mode = UInt32(info.st_mode) & 0o777
        let octal = "0" + String(mode, radix: 8)
        if mode & 0o022 != 0 {
            throw ConfigError(
                ConfigProblem(
                    file: path,
                    message: "credentials file can be changed by group or others (mode \(octal)); refusing to use it. "
                        + "Check its content, then run: chmod 600 \(path)"))
        }
        if info.st_uid != effectiveUser, info.st_uid != 0 {
            throw ConfigError(
                ConfigProblem(
                    file: path,
                    message: "credentials file is owned by another user (uid \(info.st_uid)), not by the user running "
                        + "the tool (uid \(effectiveUser)) or root; refusing to use it. Check its content, then run: "
                        + "chown $(id -u) \(path) && chmod 600 \(path)"))
        }
        if mode & 0o044 != 0 {
            return "\(path): credentials file is readable by group or others (mode \(octal)); it holds a storage "
                + "password. Run: chmod 600 \(path)"
        }
        return nil
    }
}
