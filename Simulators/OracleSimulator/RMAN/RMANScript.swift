import Foundation

/// One top-level RMAN input: a single command, or a `run { … }` block of commands.
struct RMANInput {
    /// Lines as typed (for the echo: `RMAN> first`, then `2> …`).
    var lines: [String]
    /// The commands to execute (whitespace-normalised, without the trailing `;`).
    var commands: [String]
    var isRunBlock: Bool
}

/// Splits RMAN standard input into commands: `;`-terminated statements, `run { }` blocks, and the
/// stand-alone `connect`, `set echo` and `exit` lines that need no terminator.
enum RMANScriptReader {
    static func read(_ text: String) -> [RMANInput] {
        var inputs: [RMANInput] = []
        var lines: [String] = []
        var buffer = ""
        var blockCommands: [String] = []
        var inBlock = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") && buffer.isEmpty { continue }
            if !inBlock && buffer.isEmpty {
                let lower = line.lowercased()
                if lower.hasPrefix("run") && lower.dropFirst(3).trimmingCharacters(in: .whitespaces) == "{" {
                    inBlock = true
                    lines = [line]
                    blockCommands = []
                    continue
                }
                let word = lower.split(separator: " ").first.map(String.init) ?? ""
                if ["connect", "exit", "quit"].contains(word.trimmingCharacters(in: CharacterSet(charactersIn: ";")))
                    || lower.hasPrefix("set echo")
                {
                    inputs.append(RMANInput(lines: [line], commands: [TextShape.normalize(line)], isRunBlock: false))
                    continue
                }
            }
            if inBlock {
                lines.append(line)
                if line == "}" {
                    if !buffer.isEmpty { blockCommands.append(TextShape.normalize(buffer)) }
                    inputs.append(RMANInput(lines: lines, commands: blockCommands, isRunBlock: true))
                    inBlock = false
                    buffer = ""
                    continue
                }
                buffer += (buffer.isEmpty ? "" : " ") + line
                if endsStatement(buffer) {
                    blockCommands.append(TextShape.normalize(buffer))
                    buffer = ""
                }
                continue
            }
            if buffer.isEmpty { lines = [] }
            lines.append(line)
            buffer += (buffer.isEmpty ? "" : " ") + line
            if endsStatement(buffer) {
                inputs.append(RMANInput(lines: lines, commands: [TextShape.normalize(buffer)], isRunBlock: false))
                buffer = ""
            }
        }
        if inBlock || !buffer.isEmpty {
            inputs.append(RMANInput(lines: lines, commands: [], isRunBlock: inBlock))
        }
        return inputs
    }

    /// A `;` outside quotes at the end.
    static func endsStatement(_ text: String) -> Bool {
        var single = false
        var double = false
        var last: Character = " "
        for character in text {
            if character == "'" && !double { single.toggle() }
            if character == "\"" && !single { double.toggle() }
            if !character.isWhitespace { last = character }
        }
        return last == ";" && !single && !double
    }
}
