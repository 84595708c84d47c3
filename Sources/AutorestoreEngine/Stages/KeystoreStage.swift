import ConfigModel
import Foundation
import Logging
import OracleTools

/// The TDE keystore of the temporary instance: a database whose tablespaces are encrypted needs its keystore open
/// after mount and before recovery (redo and blocks of encrypted tablespaces are decrypted with its master key).
///
/// With `tdekeystore` and `tdekeystorepasswordfile` set, the keystore directory is copied into the work directory
/// (`tde/wallet`), a `tde/sqlnet.ora` names it in `ENCRYPTION_WALLET_LOCATION` (Oracle 12.1's way; 18c and 19c still
/// read it when `WALLET_ROOT` is not set) and the instance's tools run with `TNS_ADMIN` set to `tde`. The password is
/// read from its file and passed only on the standard input of a SQL*Plus session that spools nothing; the output is
/// masked before anything is logged, and no message holds it.
struct KeystoreStage: Sendable {
    let context: RestoreContext

    /// The work directory entry holding the keystore copy and its `sqlnet.ora`.
    static let directoryName = "tde"

    /// What ``prepare()`` set up: the `TNS_ADMIN` directory of the instance and the password.
    struct Prepared: Sendable {
        var tnsAdmin: String
        var password: String
    }

    /// Copies the configured keystore and writes `sqlnet.ora`; `nil` when no keystore is configured.
    func prepare() throws -> Prepared? {
        let settings = context.settings.autorestore
        guard let keystore = settings.tdeKeystore, let passwordFile = settings.tdeKeystorePasswordFile else {
            return nil
        }
        let password = try Self.readPassword(passwordFile, logger: context.logger)
        let source = keystore + "/ewallet.p12"
        guard FileManager.default.isReadableFile(atPath: source) else {
            throw RestoreFailure(
                .tdeKeystoreMissing,
                "the TDE keystore \(source) (tdekeystore) does not exist or cannot be read by this user")
        }
        let directory = context.workDirectory + "/" + Self.directoryName
        let wallet = directory + "/wallet"
        try context.claimWorkFiles([Self.directoryName])
        do {
            let files = FileManager.default
            if files.fileExists(atPath: directory) { try files.removeItem(atPath: directory) }
            try files.createDirectory(
                atPath: wallet, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for name in try files.contentsOfDirectory(atPath: keystore)
            where ["ewallet.p12", "cwallet.sso"].contains(name) {
                try files.copyItem(atPath: keystore + "/" + name, toPath: wallet + "/" + name)
            }
            let sqlnet =
                "# Written by autorestore for its temporary instance: the TDE keystore copied from \(keystore)\n"
                + "ENCRYPTION_WALLET_LOCATION = (SOURCE = (METHOD = FILE) (METHOD_DATA = (DIRECTORY = \(wallet))))\n"
            try sqlnet.write(toFile: directory + "/sqlnet.ora", atomically: true, encoding: .utf8)
        } catch {
            throw RestoreFailure(
                .tdeKeystoreMissing, "cannot copy the TDE keystore \(keystore) (tdekeystore) to \(wallet): \(error)")
        }
        context.logger.info("TDE keystore \(keystore) copied to \(wallet) for the temporary instance")
        return Prepared(tnsAdmin: directory, password: password)
    }

    /// The password: the first line of `path`, without its line end. A file others can read is a WARNING.
    static func readPassword(_ path: String, logger: Logger) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RestoreFailure(
                .tdeKeystoreMissing,
                "the TDE keystore password file \(path) (tdekeystorepasswordfile) does not exist or cannot be read by this user"
            )
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard let password = line, !password.isEmpty else {
            throw RestoreFailure(
                .tdeKeystoreMissing, "the TDE keystore password file \(path) (tdekeystorepasswordfile) is empty")
        }
        guard !password.contains("\"") else {
            throw RestoreFailure(
                .tdeKeystoreOpenFailed,
                "the password in \(path) (tdekeystorepasswordfile) contains a double quote, which Oracle cannot take in identified by \"…\""
            )
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
            mode.intValue & 0o077 != 0
        {
            logger.warning(
                "The TDE keystore password file \(path) (tdekeystorepasswordfile) can be read by other users (mode \(String(mode.intValue & 0o777, radix: 8))): restrict it to its owner (chmod 600)"
            )
        }
        return password
    }

    /// The `keystore` phase: `administer key management set keystore open` in the mounted instance.
    func open(_ instance: RestoreInstance, password: String) async throws {
        context.logger.debug("ACTION: open the TDE keystore")
        var values = instance.values
        values["keystorepassword"] = password
        let script = try context.render("openkeystore", values)
        do {
            _ = try await instance.oracle.sqlplus(script, silent: true, secrets: [password])
        } catch {
            let text = Redaction.mask("\(error)", secrets: [password])
            if text.contains("ORA-28354") {
                // An auto-login keystore (cwallet.sso in the copy) opened itself.
                context.logger.info("TDE keystore is already open (auto-login keystore)")
                return
            }
            throw Self.failure(in: text, whileOpening: true, settings: context.settings.autorestore)
                ?? RestoreFailure(.tdeKeystoreOpenFailed, "opening the TDE keystore failed: \(text)")
        }
        context.logger.info("TDE keystore opened")
    }

    /// The keystore failure Oracle output shows (ORA-28365, ORA-28367, ORA-28353, ORA-28362), named for the DBA;
    /// `nil` when it shows none.
    static func failure(in text: String, whileOpening: Bool = false, settings: AutorestoreSettings) -> RestoreFailure? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func line(_ code: String) -> String? { lines.first { $0.hasPrefix(code) } }
        let configured = settings.tdeKeystore.map { "the keystore \($0) (tdekeystore)" }
        if let found = line("ORA-28365") {
            let hint =
                configured.map { "\($0) was not opened" }
                ?? "the database has encrypted (TDE) tablespaces: set tdekeystore (the keystore directory) and tdekeystorepasswordfile in [autorestore] (per database autorestoretdekeystore, autorestoretdekeystorepasswordfile)"
            return RestoreFailure(.tdeKeystoreMissing, "\(found): \(hint)")
        }
        if let found = line("ORA-28367") {
            return RestoreFailure(
                .tdeKeystoreMissing, "\(found): no ewallet.p12 where the instance looked (\(configured ?? "none set"))")
        }
        if let found = line("ORA-28353") {
            return RestoreFailure(
                .tdeKeystoreOpenFailed,
                "\(found): the password in \(settings.tdeKeystorePasswordFile ?? "?") (tdekeystorepasswordfile) does not open \(configured ?? "the keystore")"
            )
        }
        if let found = line("ORA-28362") {
            return RestoreFailure(
                .tdeKeystoreOpenFailed,
                "\(found): \(configured ?? "the keystore") does not hold this database's master key (another database's keystore, or one older than the key)"
            )
        }
        if whileOpening, let found = lines.first(where: { $0.hasPrefix("ORA-") }) {
            return RestoreFailure(.tdeKeystoreOpenFailed, "opening the TDE keystore failed: \(found)")
        }
        return nil
    }
}
