import Foundation
import Testing

@testable import ConfigModel

/// `snaplockdays` (issue 18, item 3): a per-database whole number of days, 0 (off) by default.
@Suite("snaplockdays")
struct SnapLockDaysTests {
    @Test("off by default; read from the database section, or from [DEFAULT] for every database")
    func read() throws {
        #expect(try config(minimalBackup).database("orcl", for: []).snapshotLockDays == 0)
        #expect(
            try config(minimalBackup + "\nsnaplockdays: 14").database("orcl", for: []).snapshotLockDays
                == 14)
        #expect(
            try config("[DEFAULT]\nsnaplockdays: 3\n" + minimalBackup).database("orcl", for: [])
                .snapshotLockDays == 3)
    }

    @Test("a non-integer or negative value is an error naming the key", arguments: ["7.5", "a week", "-1", "36501"])
    func invalid(value: String) throws {
        let configuration = config(minimalBackup + "\nsnaplockdays: \(value)")
        let problems = configuration.databaseCollectingProblems("orcl", for: [.backup]).1
        let problem = try #require(problems.first { $0.key == "snaplockdays" }, "\(problems)")
        #expect(problem.section == "orcl")
        #expect(problem.line == 16)
        #expect(problem.description.contains("[orcl] snaplockdays"))
        #expect(configuration.validateAll().contains(problem))
    }
}
