import Foundation
import Testing

@testable import ConfigModel

/// `tdekeystore` and `tdekeystorepasswordfile`: the TDE keystore of the restored database (issue 20 item 4).
@Suite("Configuration: the TDE keystore settings")
struct TDEKeystoreSettingsTests {
    @Test func bothAreReadPerDatabaseOrFromTheAutorestoreSectionAndResolved() throws {
        let shared = try config(
            minimalBackup + "\n[autorestore]\ntdekeystore: wallets/orcl\ntdekeystorepasswordfile: /etc/oib/orcl.tde\n"
        ).database("orcl", for: [.backup])
        #expect(shared.autorestore.tdeKeystore == "/etc/oib/wallets/orcl")
        #expect(shared.autorestore.tdeKeystorePasswordFile == "/etc/oib/orcl.tde")
        let perDatabase = try config(
            minimalBackup
                + "\nautorestoretdekeystore: /w/orcl\nautorestoretdekeystorepasswordfile: /p/orcl\n[autorestore]\n"
        ).database("orcl", for: [.backup])
        #expect(perDatabase.autorestore.tdeKeystore == "/w/orcl")
        #expect(perDatabase.autorestore.tdeKeystorePasswordFile == "/p/orcl")
        let unset = try config(minimalBackup).database("orcl", for: [.backup])
        #expect(unset.autorestore.tdeKeystore == nil && unset.autorestore.tdeKeystorePasswordFile == nil)
    }

    @Test(arguments: [
        ("tdekeystore: /w/orcl", "tdekeystore", "without tdekeystorepasswordfile"),
        ("tdekeystorepasswordfile: /p/orcl", "tdekeystorepasswordfile", "without tdekeystore"),
        ("tdekeystore:\ntdekeystorepasswordfile: /p/orcl", "tdekeystore", "is empty"),
    ])
    func oneWithoutTheOtherOrAnEmptyPathIsAProblemNamingTheKey(text: String, key: String, message: String) {
        let problems = config(minimalBackup + "\n[autorestore]\n\(text)\n")
            .databaseCollectingProblems("orcl", for: [.backup]).1
        let problem = problems.first { $0.key == key }
        #expect(problem != nil, "\(problems)")
        #expect(problem?.description.contains(message) == true, "\(problems)")
        #expect(problem?.description.contains("/etc/oib/backup.cfg") == true)
        #expect(config(minimalBackup + "\n[autorestore]\n\(text)\n").validateAll().contains { $0.key == key })
    }
}
