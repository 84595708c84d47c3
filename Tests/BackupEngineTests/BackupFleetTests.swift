import BackupEngine
import ConfigModel
import Foundation
import Testing

/// Watches the members of a fleet run: how many run at once, the most that ever did, the order they end in; and
/// lets a member wait for a state of the run (no timing involved).
actor FleetProbe {
    /// What a member waits for.
    enum Condition: Sendable {
        /// `count` members run at the same time, or every member has started.
        case batchFull(count: Int, total: Int)
        /// Every member in the set has ended.
        case finished(Set<String>)
    }

    private(set) var running = 0
    private(set) var peak = 0
    private(set) var started = 0
    private(set) var finishOrder: [String] = []
    private var waiters: [(condition: Condition, continuation: CheckedContinuation<Void, Never>)] = []

    func enter() {
        running += 1
        started += 1
        peak = max(peak, running)
        wake()
    }

    func leave(_ database: String) {
        running -= 1
        finishOrder.append(database)
        wake()
    }

    func wait(until condition: Condition) async {
        if holds(condition) { return }
        await withCheckedContinuation { waiters.append((condition, $0)) }
    }

    private func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .batchFull(let count, let total): running >= count || started >= total
        case .finished(let names): names.isSubset(of: finishOrder)
        }
    }

    private func wake() {
        let ready = waiters.filter { holds($0.condition) }
        waiters.removeAll { holds($0.condition) }
        for waiter in ready { waiter.continuation.resume() }
    }
}

@Suite("BackupFleet: backup --all", .timeLimit(.minutes(1)))
struct BackupFleetTests {
    static let databases = ["orcl", "cdb1", "olddb", "sales", "hr"]

    /// A file with the databases of ``databases`` (in that order) and a shared section that is no database.
    static func configuration(_ names: [String] = databases) -> BackupConfiguration {
        var text = "[generic]\nbackupdest: /nfs/backup\n[autorestore]\nautorestoreclonename: x\n"
        for (index, name) in names.enumerated() { text += "[\(name)]\ndbid: \(1000 + index)\n" }
        return BackupConfiguration(text: text, path: "/etc/oib/backup.cfg")
    }

    static func member(_ database: String, exitCode: Int32 = 0) -> BackupFleet.Member {
        BackupFleet.Member(database: database, exitCode: exitCode, output: "", seconds: 0)
    }

    @Test func excludeListIsParsedWithBlanksAndEmptyItemsIgnored() {
        #expect(BackupFleet.excludedDatabases(nil).isEmpty)
        #expect(BackupFleet.excludedDatabases("").isEmpty)
        #expect(BackupFleet.excludedDatabases("orcl, cdb1,,hr") == ["orcl", "cdb1", "hr"])
    }

    @Test func databasesAreTheFilesInFileOrderWithoutTheExcluded() throws {
        let fleet = BackupFleet(configuration: Self.configuration(), excluded: ["cdb1", "hr"])
        #expect(try fleet.databases() == ["orcl", "olddb", "sales"])
        #expect(try BackupFleet(configuration: Self.configuration()).databases() == Self.databases)
    }

    @Test func excludingAnUnknownDatabaseFailsWithExit2NamingIt() async throws {
        let fleet = BackupFleet(
            configuration: Self.configuration(), excluded: ["orcl", "nosuchdb", "autorestore"], parallel: 2)
        let failure = #expect(throws: BackupFailure.self) { try fleet.databases() }
        #expect(failure?.stage == .configuration)
        #expect(failure?.exitCode == 2)
        #expect(
            failure?.message
                == "--exclude names databases that are not in /etc/oib/backup.cfg: autorestore, nosuchdb")

        // The run stops before any member starts.
        let probe = FleetProbe()
        await #expect(throws: BackupFailure.self) {
            _ = try await fleet.run { database in
                await probe.enter()
                return Self.member(database)
            }
        }
        #expect(await probe.started == 0)
    }

    @Test func membersComeBackInFileOrderWhateverOrderTheyFinishIn() async throws {
        let names = Self.databases
        let fleet = BackupFleet(configuration: Self.configuration(), parallel: names.count)
        let probe = FleetProbe()
        var seenFinishing: [String] = []
        let members = try await fleet.run({ database in
            await probe.enter()
            // Each member ends only after every member below it in the file: the last one ends first.
            await probe.wait(until: .finished(Set(names.drop { $0 != database }.dropFirst())))
            await probe.leave(database)
            return Self.member(database, exitCode: database == "olddb" ? 1 : 0)
        }) { seenFinishing.append($0.database) }

        #expect(await probe.finishOrder == names.reversed())
        #expect(seenFinishing == names.reversed())
        #expect(members.map(\.database) == names)
        #expect(members.map(\.exitCode) == [0, 0, 1, 0, 0])
    }

    @Test(arguments: [1, 2, 3, 5])
    func atMostParallelMembersRunAtOnce(parallel: Int) async throws {
        let names = Self.databases
        let fleet = BackupFleet(configuration: Self.configuration(), parallel: parallel)
        let probe = FleetProbe()
        let members = try await fleet.run { database in
            await probe.enter()
            // Hold until `parallel` members run together (or all have started), so the limit is reached.
            await probe.wait(until: .batchFull(count: parallel, total: names.count))
            await probe.leave(database)
            return Self.member(database)
        }
        #expect(await probe.peak == parallel)
        #expect(await probe.started == names.count)
        #expect(members.map(\.database) == names)
    }

    @Test func summaryHasOneLinePerMemberAndTheExitCodeIsTheWorst() {
        let members = [
            BackupFleet.Member(database: "orcl", exitCode: 0, output: "", seconds: 12.34),
            BackupFleet.Member(database: "averylongdbname", exitCode: 2, output: "", seconds: 0.06),
            BackupFleet.Member(database: "cdb1", exitCode: 1, output: "", seconds: 3),
        ]
        #expect(
            BackupFleet.summary(action: "report", members: members) == [
                "",
                "Summary of report:",
                "  DATABASE         RESULT   EXIT  SECONDS",
                "  orcl             ok       0     12.3",
                "  averylongdbname  FAILED   2     0.1",
                "  cdb1             FAILED   1     3.0",
            ])
        #expect(BackupFleet.exitCode(members) == 2)
        #expect(BackupFleet.exitCode(Array(members.prefix(1))) == 0)
        #expect(BackupFleet.exitCode([members[0], members[2]]) == 1)
        #expect(BackupFleet.exitCode([]) == 0)
        #expect(
            BackupFleet.summary(action: "config", members: [Self.member("hr")]) == [
                "", "Summary of config:", "  DATABASE  RESULT   EXIT  SECONDS", "  hr        ok       0     0.0",
            ])
    }
}
