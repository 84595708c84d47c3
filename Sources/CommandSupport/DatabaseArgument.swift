import ArgumentParser
import ConfigModel

/// The database argument of a command: a valid `db_unique_name` before any path is built from it.
public enum DatabaseArgument {
    /// Throws a validation error (exit 2 with the usage) when `name` is not a valid `db_unique_name`.
    public static func validate(_ name: String) throws {
        guard DatabaseName.isValid(name) else {
            throw ValidationError("database argument '\(name)' is not a valid database name (\(DatabaseName.rule))")
        }
    }
}
