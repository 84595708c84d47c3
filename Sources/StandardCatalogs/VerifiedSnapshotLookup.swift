import ConfigModel
import Foundation
import Logging
import ResultCatalog
import ResultCatalogSQLite
import RetentionPolicy
import StorageRetention

/// Reads which snapshots passed an autorestore, for `snapkeepverified`, from the results catalog autorestore
/// writes to. Every path that deletes snapshots asks here first.
///
/// - An explicitly configured catalog (`catalogfile`, `catalogurl`, or `autorestorecatalogtype: postgres` or
///   `oracle`) must be readable; otherwise the answer is ``VerifiedSnapshots/unreadable(reason:)`` and retention
///   drops nothing (fail closed).
/// - Without one, autorestore keeps its results in `<autorestorelogdir>/autorestore-results.sqlite` on the host it
///   runs on. That file is read when it exists here. When it does not, this host has no autorestore results, no
///   snapshot can be known verified, and one WARNING per run says so.
public enum VerifiedSnapshotLookup {
    /// The file name autorestore uses beside its logs when no catalog is configured.
    public static let defaultSQLiteName = "autorestore-results.sqlite"

    /// The verified snapshots of `settings.name`; logs a WARNING naming the catalog when it cannot be read, or when
    /// no catalog is configured. With `snapkeepverified: false` nothing is read.
    ///
    /// An original configuration (`autorestorecatalog` without `autorestorecatalogtype`, and no `snapkeepverified`
    /// key: `keepVerifiedExplicit` false) names the Oracle catalog only for autorestore; the original's backup never
    /// read it. When that catalog cannot be read here, retention runs as the original did, with a WARNING that
    /// says so, instead of stopping every backup's retention.
    public static func read(
        settings: DatabaseSettings, retention: RetentionConfiguration, keepVerifiedExplicit: Bool = true,
        environment: [String: String], logger: Logger
    ) async -> VerifiedSnapshots {
        guard retention.safety.keepNewestVerified else { return .known([]) }
        let originalsOracleCatalog =
            settings.autorestore.catalogType == "oracle" && settings.autorestore.catalogTypeImplied
            && settings.autorestore.catalogLocation == nil
        let failClosed = keepVerifiedExplicit || !originalsOracleCatalog
        func unreadable(_ reason: String, logger: Logger) -> VerifiedSnapshots {
            if failClosed { return Self.unreadable(reason, logger: logger) }
            logger.warning(
                "snapkeepverified: \(reason); retention runs as the original did (expiration rules only, no snapshot kept for a passed autorestore). Set snapkeepverified: TRUE to stop retention while the catalog cannot be read, or snapkeepverified: FALSE to silence this warning"
            )
            return .known([])
        }
        let catalog: any ResultCatalog
        do {
            guard let configured = try configuredCatalog(settings: settings, environment: environment, logger: logger)
            else {
                logger.warning(
                    "snapkeepverified: no autorestore results catalog is configured for \(settings.name) (catalogfile, catalogurl or autorestorecatalogtype in [autorestore]) and \(defaultPath(settings) ?? "no autorestorelogdir") does not exist on this host, so no snapshot is known to have passed an autorestore and this rule protects none. Configure the catalog autorestore writes to, or set snapkeepverified: false to silence this warning."
                )
                return .known([])
            }
            catalog = configured
        } catch {
            return unreadable(
                "the \(settings.autorestore.catalogType) results catalog configured in [autorestore] cannot be read: \(error)",
                logger: logger)
        }
        do {
            return .known(try await catalog.verifiedSnapshotIDs(database: settings.name))
        } catch {
            let detail =
                error.detail.hasPrefix(catalog.location + ": ")
                ? String(error.detail.dropFirst(catalog.location.count + 2)) : error.detail
            return unreadable(
                "results catalog \(catalog.location) (\(catalog.backendName)) cannot be read: \(error.code): \(detail)",
                logger: logger)
        }
    }

    static func unreadable(_ reason: String, logger: Logger) -> VerifiedSnapshots {
        logger.warning("snapkeepverified: \(reason); retention drops nothing this run")
        return .unreadable(reason: reason)
    }

    /// ``read(settings:retention:keepVerifiedExplicit:environment:logger:)`` as the closure an engine takes
    /// (`verifiedSnapshots:`), for the databases of `configuration`.
    public static func reader(configuration: BackupConfiguration, environment: [String: String])
        -> @Sendable (DatabaseSettings, RetentionConfiguration, Logger) async -> VerifiedSnapshots
    {
        { settings, retention, logger in
            await read(
                settings: settings, retention: retention,
                keepVerifiedExplicit: configuration.keepVerifiedIsExplicit(database: settings.name),
                environment: environment, logger: logger)
        }
    }

    /// The catalog autorestore records this database's results in, opened for reading; `nil` when none is
    /// configured and the default file does not exist on this host.
    public static func configuredCatalog(settings: DatabaseSettings, environment: [String: String], logger: Logger)
        throws
        -> (any ResultCatalog)?
    {
        switch settings.autorestore.catalogType {
        case "postgres", "oracle":
            return try CatalogFactory.make(settings: settings, environment: environment, logger: logger)
        default:
            if let explicit = settings.autorestore.catalogLocation {
                return try SQLiteResultCatalog(path: explicit, readOnly: true)
            }
            guard let path = defaultPath(settings), FileManager.default.fileExists(atPath: path) else { return nil }
            return try SQLiteResultCatalog(path: path, readOnly: true)
        }
    }

    /// `<autorestorelogdir>/autorestore-results.sqlite`, where autorestore writes without a configured catalog.
    public static func defaultPath(_ settings: DatabaseSettings) -> String? {
        settings.autorestore.logDirectory.map { $0 + "/" + defaultSQLiteName }
    }
}
