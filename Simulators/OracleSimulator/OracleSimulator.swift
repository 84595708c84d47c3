import Foundation

/// Entry point shared by every personality of the `oracle-sim` executable.
public enum OracleSimulator {
    /// The tools a link name can select.
    public static let personalities = ["rman", "sqlplus", "sqlldr", "srvctl", "adrci", "opatch"]

    /// Runs the personality chosen by `arguments[0]` (or the admin command when invoked as `oracle-sim`).
    /// - Parameter standardInput: read only by personalities that take a script on stdin.
    public static func run(
        arguments: [String], environment: [String: String], standardInput: () -> String
    ) -> ToolResult {
        let store = StateStore(environment: environment)
        let invokedAs = ((arguments.first ?? "oracle-sim") as NSString).lastPathComponent.lowercased()
        if personalities.contains(invokedAs) {
            return runPersonality(invokedAs, arguments: arguments, store: store, standardInput: standardInput)
        }
        if let first = arguments.dropFirst().first, personalities.contains(first) {
            return runPersonality(
                first, arguments: Array(arguments.dropFirst()), store: store, standardInput: standardInput)
        }
        return AdminCommands.run(Array(arguments.dropFirst()), store: store)
    }

    static func runPersonality(
        _ name: String, arguments: [String], store: StateStore, standardInput: () -> String
    ) -> ToolResult {
        switch name {
        case "rman": return RMANSession.run(arguments: arguments, input: standardInput(), store: store)
        case "sqlplus": return SQLPlusSession.run(arguments: arguments, input: standardInput(), store: store)
        case "sqlldr": return SQLLoaderTool.run(arguments: arguments, store: store)
        case "srvctl": return SrvctlTool.run(arguments: arguments, store: store)
        case "adrci": return ADRCITool.run(arguments: arguments, store: store)
        default: return OPatchTool.run(arguments: arguments, store: store)
        }
    }
}
