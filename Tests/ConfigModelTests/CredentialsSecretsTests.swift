import ConfigModel
import Foundation
import Testing

/// Issue 14 item 4: configuration errors never show a secret; a broken credentials file is reported by file and
/// line only. (Plain HTTP to an appliance is the storage modules' check: StandardDriversTests.)
@Suite("Configuration: secrets in messages")
struct CredentialsSecretsTests {
    static let secret = "Zq7-leak-canary-Pw"

    /// Each broken file plants the secret where the parser would quote it; the message names file and line only.
    @Test(arguments: [
        ("[zfscredentials]\nzfsuser: backup\nzfspassword \(secret)\n", 3),
        ("\(secret)\n[zfscredentials]\nzfsuser: backup\nzfspassword: x\n", 1),
        ("[zfscredentials]\nzfsuser: backup\nzfspassword: 100%\(secret)\n", 3),
        ("[zfscredentials]\nzfsuser: backup\nzfspassword: %(\(secret))s\n", 3),
    ])
    func brokenCredentialsFileIsReportedByFileAndLineOnly(text: String, line: Int) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory.appendingPathComponent("zfscredentials.cfg")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        let configuration = BackupConfiguration(
            text: minimalBackup.replacingOccurrences(of: "snappermodule: localfs", with: "snappermodule: zfssa"),
            path: directory.appendingPathComponent("backup.cfg"), environment: [:])
        let error = #expect(throws: ConfigError.self) { try configuration.loadCredentials(TestLayouts.zfssa) }
        let description = error?.description ?? ""
        #expect(description.hasPrefix("\(path):\(line): "), "\(description)")
        #expect(!description.contains(Self.secret), "\(description)")
    }
}
