import ArgumentParser
import Foundation
import ToolSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Ends a command with a given exit code after printing `message` (to standard error unless empty).
public struct ToolExit: Error, Sendable {
    /// The process exit code.
    public var code: Int32
    /// What to print before exiting; empty prints nothing.
    public var message: String
    /// Print ``message`` on standard output instead of standard error (a monitoring status line).
    public var toStandardOutput: Bool

    /// Exit with `code` after printing `message` (on standard output when `toStandardOutput`, else standard error).
    public init(_ code: Int32, _ message: String = "", toStandardOutput: Bool = false) {
        self.code = code
        self.message = message
        self.toStandardOutput = toStandardOutput
    }

    /// A Nagios/NRPE status line (`UNKNOWN: …`) with its exit code: NRPE reads standard output only, so the line
    /// goes there, whatever went wrong.
    public static func nagios(_ code: Int32, _ line: String) -> ToolExit {
        ToolExit(code, line, toStandardOutput: true)
    }

    /// Usage error, missing environment, lock timeout, invalid configuration (the original's exit 2).
    public static func usage(_ message: String) -> ToolExit { ToolExit(2, message) }
    /// Oracle, storage or other run failure (the original's exit 1).
    public static func failure(_ message: String) -> ToolExit { ToolExit(1, message) }
}

/// Runs a root command the way the original tools behaved: usage errors exit 2 (not argument-parser's 64),
/// `ToolExit` sets the exit code, anything else unexpected exits 1 with its description.
public enum ToolMain {
    /// Parses `arguments` (`nil`: the process's) as `command` and runs it; returns the exit code instead of exiting.
    /// A ``ToolExit`` prints its message and gives its code; a usage error prints the error and `usage` and gives 2;
    /// `--help` prints the help and gives 0; any other error prints `Error: …` and gives 1.
    public static func run(
        _ command: any AsyncParsableCommand.Type, arguments: [String]? = nil,
        usage: String
    ) async -> Int32 {
        do {
            var parsed = try await command.asyncParseAsRoot(arguments)
            if var asyncCommand = parsed as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try parsed.run()
            }
            return 0
        } catch let exit as ToolExit {
            if !exit.message.isEmpty {
                if exit.toStandardOutput { Output.line(exit.message) } else { Output.error(exit.message) }
            }
            return exit.code
        } catch {
            let code = command.exitCode(for: error)
            if code == .success {
                Output.line(command.fullMessage(for: error))
                return 0
            }
            if code == .validationFailure {
                Output.error(command.fullMessage(for: error))
                Output.error(usage)
                return 2
            }
            Output.error("Error: \(error)")
            return 1
        }
    }

    /// Runs and terminates the process with the resulting code. SIGTERM and SIGINT stop the run through its
    /// clean-up (``Interruption``); the exit code is then 128 + the signal (143, 130) whatever the run returned.
    public static func runAndExit(_ command: any AsyncParsableCommand.Type, usage: String) async -> Never {
        Interruption.install()
        var code = await run(command, usage: usage)
        if let signal = Interruption.signal {
            Output.error(Interruption.stopMessage(tool: command.configuration.commandName ?? "tool", signal: signal))
            code = 128 + signal
        }
        exit(code)
    }
}

/// Unbuffered writes to standard output and standard error (so lines interleave correctly with children).
public enum Output {
    /// Writes `text` and a newline to standard output.
    public static func line(_ text: String) { write(1, text + "\n") }
    /// Writes `text` and a newline to standard error.
    public static func error(_ text: String) { write(2, text + "\n") }

    /// Writes all of `text` as UTF-8 to `descriptor`, continuing after partial writes; stops silently at the first
    /// error.
    public static func write(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// Facts about the running program the commands need.
public enum ProgramLocation {
    /// The directory of the running executable with symlinks resolved (the original's "script directory").
    public static var executableDirectory: String {
        (executablePath as NSString).deletingLastPathComponent
    }

    /// The running executable, symlinks resolved.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
