import ConfigModel
import Foundation
import Logging
import OracleTools
import ResultCatalog
import ResultCatalogOracle
import ResultCatalogPostgres
import ResultCatalogSQLite

/// The results catalog a configuration names (`autorestorecatalogtype` in `[autorestore]`).
public enum CatalogFactory {
    /// ``make(settings:environment:logger:)`` as the factory an engine takes (`openCatalog:`).
    public static func opener(environment: [String: String])
        -> @Sendable (DatabaseSettings, Logger) throws -> any ResultCatalog
    {
        { settings, logger in try make(settings: settings, environment: environment, logger: logger) }
    }

    /// Opens the catalog `settings` name: PostgreSQL (`catalogurl`, password from `OIB_CATALOG_PASSWORD`), the
    /// original's Oracle catalog through sqlplus, or SQLite (`catalogfile`, else beside the autorestore logs).
    public static func make(settings: DatabaseSettings, environment: [String: String], logger: Logger) throws
        -> any ResultCatalog
    {
        switch settings.autorestore.catalogType {
        case "postgres":
            guard let url = settings.autorestore.catalogLocation else {
                throw CatalogError(.configuration, backend: "postgres", detail: "[autorestore] catalogurl is required")
            }
            return try PostgresResultCatalog(url: url, password: environment["OIB_CATALOG_PASSWORD"], logger: logger)
        case "oracle":
            guard let connect = settings.autorestore.catalogConnect, let home = settings.generic.oracleHome else {
                throw CatalogError(
                    .configuration, backend: "oracle", detail: "[autorestore] autorestorecatalog is required")
            }
            let runner = OracleRunner(
                home: OracleHome(path: home, tnsAdmin: settings.generic.tnsAdmin),
                baseEnvironment: environment,
                timeouts: StepTimeouts(overrides: settings.generic.timeouts), logger: logger)
            return OracleResultCatalog(
                connect: connect, runner: runner,
                templates: try BuiltInTemplates.load(
                    BuiltInTemplates.restore,
                    overrideDirectory: settings.generic.templateDirectory),
                workDirectory: settings.autorestore.logDirectory ?? NSTemporaryDirectory())
        default:
            let path =
                settings.autorestore.catalogLocation
                ?? (settings.autorestore.logDirectory ?? ".") + "/autorestore-results.sqlite"
            return try SQLiteResultCatalog(path: path)
        }
    }

}
