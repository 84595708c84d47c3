/// Oracle's rules for a `db_unique_name`. The name of a database section (and the database argument of every tool)
/// becomes part of paths (the backup area, log and lock files), volume and clone names, so it is checked before
/// any of those is built: a name like `../x` would reach outside the backup area.
public enum DatabaseName {
    /// Oracle's limit on a `db_unique_name`: 30 characters.
    public static let maximumLength = 30
    /// The rule in words, for messages.
    public static let rule =
        "a db_unique_name has 1 to \(maximumLength) characters: ASCII letters, digits, _, $ or #, starting with a letter"

    /// True when `name` is a valid `db_unique_name`.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= maximumLength,
            isLetter(first)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            isLetter($0) || ("0"..."9").contains($0) || "_$#".unicodeScalars.contains($0)
        }
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}

extension BackupConfiguration {
    /// A problem for every database section (one with a `dbid`) whose name is not a valid `db_unique_name`.
    static func databaseNameProblems(_ document: INIDocument, path: String) -> [ConfigProblem] {
        document.sections.filter { $0.entry("dbid") != nil && !DatabaseName.isValid($0.name) }.map {
            ConfigProblem(
                file: path, line: $0.line, section: $0.name,
                message: "'\($0.name)' is not a valid database name (\(DatabaseName.rule))")
        }
    }
}
