/// A failed or refused action with the exit code the tools use for it: 1 for an Oracle, storage or other run
/// failure and for a refusal, 2 for a usage, configuration, lock or missing-environment problem. The engines throw
/// it under their own names (`BackupError`, `SnapperFailure`).
public struct ActionFailure: Error, Sendable, CustomStringConvertible {
    /// What failed, naming the file, section and key where it is a configuration problem.
    public var message: String
    /// 1 or 2, as above.
    public var exitCode: Int32

    /// A failure described by `message`; `exitCode` 2 for usage and configuration problems, else the default 1.
    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
