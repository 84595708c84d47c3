import Foundation

/// Transparent Data Encryption: a software password keystore (`ewallet.p12`) holding a master key, tablespaces
/// encrypted with it, and the keystore an instance has opened.
///
/// As in Oracle 12.1, an instance finds its keystore through `ENCRYPTION_WALLET_LOCATION` in the `sqlnet.ora` of
/// `TNS_ADMIN` (else `$ORACLE_BASE/admin/<db_unique_name>/wallet`, else under `$ORACLE_HOME`), opens it with
/// `administer key management set keystore open identified by "<password>"`, and needs it open to apply redo to
/// (media recovery) or read blocks of an encrypted tablespace: ORA-28365 otherwise. The image copies of an encrypted
/// tablespace stay encrypted (the controlfile records the tablespace as encrypted), so a restored database needs the
/// keystore too.
enum Keystore {
    /// The keystore file in its directory.
    static let fileName = "ewallet.p12"

    /// What the simulated keystore file holds: the master key's identifier and a hash of the password (never the
    /// password itself).
    struct Contents: Equatable {
        var masterKeyID: String
        var passwordHash: String
    }

    static func hash(_ password: String) -> String {
        // FNV-1a 64: a simulator's stand-in for the keystore's key derivation.
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("oracle-sim-keystore:\(password)".utf8) {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(value, radix: 16)
    }

    static func read(directory: String) -> Contents? {
        guard let text = try? String(contentsOfFile: directory + "/" + fileName, encoding: .utf8),
            text.hasPrefix("ORASIMKEYSTORE")
        else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        guard let key = values["masterkey"], let hash = values["password"] else { return nil }
        return Contents(masterKeyID: key, passwordHash: hash)
    }

    static func write(_ contents: Contents, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = "ORASIMKEYSTORE 1\nmasterkey: \(contents.masterKeyID)\npassword: \(contents.passwordHash)\n"
        let path = directory + "/" + fileName
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        _ = chmod(path, 0o600)
    }

    /// The keystore directory an instance of `database` uses: `ENCRYPTION_WALLET_LOCATION` in `$TNS_ADMIN/sqlnet.ora`,
    /// else the default under `ORACLE_BASE` or `ORACLE_HOME`.
    static func location(environment: [String: String], database: DatabaseState) -> String? {
        if let tnsAdmin = environment["TNS_ADMIN"],
            let sqlnet = try? String(contentsOfFile: tnsAdmin + "/sqlnet.ora", encoding: .utf8),
            let directory = encryptionWalletDirectory(inSqlnet: sqlnet)
        {
            return directory
        }
        guard let base = environment["ORACLE_BASE"] ?? environment["ORACLE_HOME"] else { return nil }
        return "\(base)/admin/\(database.dbUniqueName)/wallet"
    }

    /// `DIRECTORY` of `ENCRYPTION_WALLET_LOCATION=(SOURCE=(METHOD=FILE)(METHOD_DATA=(DIRECTORY=…)))`.
    static func encryptionWalletDirectory(inSqlnet text: String) -> String? {
        let active = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .joined(separator: " ")
        guard let start = active.range(of: "ENCRYPTION_WALLET_LOCATION", options: .caseInsensitive) else { return nil }
        return TextShape.capture(#"DIRECTORY\s*=\s*([^)\s]+)\s*\)"#, in: String(active[start.upperBound...]))
    }

    /// `administer key management set keystore open identified by <password>` in a restored instance.
    static func open(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        guard var instance = context.instance else {
            // Production in the simulator runs with its keystore open (as after the DBA opened it).
            throw OracleError("ORA-28354: Encryption wallet, auto login wallet, or HSM is already open")
        }
        let database = try context.requireDatabase()
        if instance.openKeystore != nil {
            throw OracleError("ORA-28354: Encryption wallet, auto login wallet, or HSM is already open")
        }
        let password = TextShape.unquote(captures[0])
        guard let directory = location(environment: context.store.environment, database: database),
            let contents = read(directory: directory)
        else {
            throw OracleError("ORA-28367: wallet does not exist")
        }
        guard contents.passwordHash == hash(password) else { throw OracleError("ORA-28353: failed to open wallet") }
        instance.openKeystore = directory
        context.instance = instance
        return SQLOutcome(body: .message("keystore altered."), elapsed: 0.21)
    }

    /// Reading or recovering blocks of `tablespace` needs the keystore when it is encrypted: open in this instance
    /// (production runs with it open) and holding the database's master key.
    static func requireOpen(for tablespace: String, _ database: DatabaseState, instance: InstanceRecord?) throws {
        guard database.isEncrypted(tablespace: tablespace), let instance else { return }
        guard let directory = instance.openKeystore else { throw OracleError("ORA-28365: wallet is not open") }
        if let key = database.tdeMasterKeyID, read(directory: directory)?.masterKeyID != key {
            throw OracleError("ORA-28362: master key not found")
        }
    }

    /// `oracle-sim tde --db <db> --tablespace <name> --keystore <dir> --password <password>`: creates the keystore
    /// (or opens the one there with the password) and encrypts the tablespace with its master key.
    static func adminCommand(_ arguments: [String], store: StateStore) throws -> ToolResult {
        let options = AdminCommands.Options(arguments, flags: [])
        guard let name = options.value("db"), let tablespace = options.value("tablespace")?.uppercased(),
            let directory = options.value("keystore"), let password = options.value("password"), !password.isEmpty
        else {
            throw SimulatorError("tde needs --db, --tablespace, --keystore and --password")
        }
        return try store.withLock {
            guard var database = try store.loadDatabase(name) else { throw SimulatorError("no database \(name)") }
            guard database.datafiles.contains(where: { $0.tablespace == tablespace }) else {
                throw SimulatorError("ORA-00959: tablespace '\(tablespace)' does not exist")
            }
            let contents: Contents
            if let existing = read(directory: directory) {
                guard existing.passwordHash == hash(password) else {
                    throw SimulatorError("ORA-28353: failed to open wallet")
                }
                contents = existing
            } else {
                contents = Contents(
                    masterKeyID: database.tdeMasterKeyID ?? "AV\(abs(database.dbid) % 1_000_000)SIMKEY",
                    passwordHash: hash(password))
                try write(contents, directory: directory)
            }
            database.tdeMasterKeyID = contents.masterKeyID
            var encrypted = database.encryptedTablespaces ?? []
            if !encrypted.contains(tablespace) { encrypted.append(tablespace) }
            database.encryptedTablespaces = encrypted
            try store.saveDatabase(database)
            return ToolResult(
                stdout: "Tablespace \(tablespace) of \(name) encrypted (AES128) with the master key in \(directory)\n",
                exitCode: 0)
        }
    }
}
