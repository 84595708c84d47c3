import ArgumentParser
import ConfigModel

/// The database argument of a command: a valid `db_unique_name` before any path is built from it.
enum DatabaseArgument {
    static func validate(_ name: String) throws {
        guard DatabaseName.isValid(name) else {
            throw ValidationError("database argument '\(name)' is not a valid database name (\(DatabaseName.rule))")
        }
    }
}
