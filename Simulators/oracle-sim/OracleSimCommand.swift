import Foundation
import OracleSimulator

/// `oracle-sim`: rman, sqlplus, sqlldr, srvctl, adrci or opatch depending on the name it is run as.
@main
struct OracleSimCommand {
    static func main() {
        let result = OracleSimulator.run(
            arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment,
            standardInput: { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) })
        FileHandle.standardOutput.write(Data(result.stdout.utf8))
        exit(result.exitCode)
    }
}
