import Foundation
import Logging
import Reporting
import StorageKit
import StorageKitTesting
import Testing

private let now = Date(timeIntervalSince1970: 1_700_000_000)

private func snapshot(_ id: String, hoursAgo: Double) -> Snapshot {
    Snapshot(id: id, creation: now.addingTimeInterval(-hoursAgo * 3600))
}

@Suite("Autoclone and point-in-time selection (reference §4.3)")
struct SelectionTests {
    // Storage order deliberately unsorted.
    let snapshots = [snapshot("s3", hoursAgo: 2), snapshot("s1", hoursAgo: 50), snapshot("s2", hoursAgo: 26)]

    @Test("newest snapshot at least N hours old")
    func newestOldEnough() async {
        let choice = await SnapshotSelection.autocloneCandidate(from: snapshots, minimumAgeHours: 24, now: now)
        #expect(choice.selected?.id == "s2")
        #expect(choice.skipped.isEmpty)
        let young = await SnapshotSelection.autocloneCandidate(from: snapshots, minimumAgeHours: 0, now: now)
        #expect(young.selected?.id == "s3")
    }

    @Test("age equal to the minimum qualifies")
    func boundary() async {
        let choice = await SnapshotSelection.autocloneCandidate(from: snapshots, minimumAgeHours: 26, now: now)
        #expect(choice.selected?.id == "s2")
    }

    @Test("none old enough gives no selection")
    func noneQualifies() async {
        let (logger, store) = RecordingLogHandler.makeLogger()
        let choice = await SnapshotSelection.autocloneCandidate(
            from: snapshots, minimumAgeHours: 100, now: now, logger: logger)
        #expect(choice.selected == nil)
        #expect(store.messages(at: .error) == [AutocloneSelection.notFoundMessage])
        let empty = await SnapshotSelection.autocloneCandidate(from: [], minimumAgeHours: 0, now: now)
        #expect(empty.selected == nil)
    }

    @Test("rejected snapshots are skipped, logged with their reason and reported")
    func predicateSkips() async {
        let (logger, store) = RecordingLogHandler.makeLogger()
        let choice = await SnapshotSelection.autocloneCandidate(
            from: snapshots, minimumAgeHours: 1, now: now, logger: logger
        ) { snapshot in
            snapshot.id == "s3" ? .unusable(reason: "autorestore.cfg lacks lasttime") : .usable
        }
        #expect(choice.selected?.id == "s2")
        #expect(choice.skipped.map(\.snapshot.id) == ["s3"])
        #expect(choice.skipped.first?.reason == "autorestore.cfg lacks lasttime")
        #expect(store.messages(at: .warning).contains { $0.contains("s3") && $0.contains("lacks lasttime") })
        #expect(store.messages(at: .debug) == ["Snapshot id for autoclone: s2"])
    }

    @Test("all rejected gives no selection and lists every skip, newest first")
    func allRejected() async {
        let choice = await SnapshotSelection.autocloneCandidate(from: snapshots, minimumAgeHours: 0, now: now) { _ in
            .unusable(reason: "no autorestore.cfg")
        }
        #expect(choice.selected == nil)
        #expect(choice.skipped.map(\.snapshot.id) == ["s3", "s2", "s1"])
    }

    @Test("point in time: oldest snapshot created at or after the target")
    func pointInTime() {
        let target = now.addingTimeInterval(-30 * 3600)
        #expect(SnapshotSelection.pointInTimeSnapshot(for: target, in: snapshots)?.id == "s2")
        let exact = now.addingTimeInterval(-26 * 3600)
        #expect(SnapshotSelection.pointInTimeSnapshot(for: exact, in: snapshots)?.id == "s2")
        #expect(
            SnapshotSelection.pointInTimeSnapshot(for: now.addingTimeInterval(-100 * 3600), in: snapshots)?.id == "s1")
        #expect(SnapshotSelection.pointInTimeSnapshot(for: now, in: snapshots) == nil)
        #expect(SnapshotSelection.pointInTimeSnapshot(for: now, in: []) == nil)
    }

    @Test("sorting by creation keeps storage order for ties")
    func stableSort() {
        let tied = [snapshot("b", hoursAgo: 1), snapshot("a", hoursAgo: 1), snapshot("c", hoursAgo: 2)]
        #expect(tied.sortedByCreation().map(\.id) == ["c", "b", "a"])
        #expect(tied.sortedByCreation(newestFirst: true).map(\.id) == ["b", "a", "c"])
    }
}

@Suite("checkage (Nagios)")
struct SnapshotAgeCheckTests {
    let check = SnapshotAgeCheck(warningHours: 1, criticalHours: 2)

    @Test("OK line with perfdata")
    func ok() {
        let result = check.evaluate(
            snapshots: [snapshot("old", hoursAgo: 10), Snapshot(id: "new", creation: now.addingTimeInterval(-237))],
            now: now)
        #expect(result.status == .ok)
        #expect(result.exitCode == 0)
        #expect(result.line == "OK: The latest snapshot age 0:03:57|age=237s;3600;7200")
    }

    @Test(
        "thresholds are inclusive",
        arguments: [
            (3599.0, NagiosStatus.ok), (3600, .warning), (7199, .warning), (7200, .critical), (90_000, .critical),
        ])
    func thresholds(ageSeconds: Double, expected: NagiosStatus) {
        let result = check.evaluate(
            snapshots: [Snapshot(id: "s", creation: now.addingTimeInterval(-ageSeconds))], now: now)
        #expect(result.status == expected)
        #expect(result.line.hasPrefix("\(expected.rawValue): The latest snapshot age "))
    }

    @Test("exit codes follow Nagios")
    func exitCodes() {
        #expect(NagiosStatus.allCases.map(\.exitCode) == [0, 1, 2, 3])
    }

    @Test("no snapshots is CRITICAL")
    func noSnapshots() {
        let result = check.evaluate(snapshots: [], now: now)
        #expect(result.status == .critical)
        #expect(result.exitCode == 2)
        #expect(result.line == "CRITICAL: No snapshots found|age=U;3600;7200")
    }

    @Test("long ages print days")
    func days() {
        let result = check.evaluate(snapshots: [snapshot("s", hoursAgo: 49)], now: now)
        #expect(result.line == "CRITICAL: The latest snapshot age 2 days, 1:00:00|age=176400s;3600;7200")
    }

    @Test("invalid thresholds and errors are UNKNOWN")
    func unknown() {
        let bad = SnapshotAgeCheck(warningHours: -1, criticalHours: 2).evaluate(snapshots: [], now: now)
        #expect(bad.status == .unknown)
        #expect(bad.exitCode == 3)
        // Found by the fuzz smoke run: `warningsnapage: 1e300` trapped converting the seconds to Int.
        let huge = SnapshotAgeCheck(warningHours: 1e300, criticalHours: 2).evaluate(snapshots: [], now: now)
        #expect(huge.status == .unknown)
        #expect(huge.line.contains("warningsnapage=1e+300"))
        let failure = NagiosResult.unknown(
            StorageError(.transport, vendor: "zfssa", operation: "listSnapshots", message: "connection refused"))
        #expect(failure.exitCode == 3)
        #expect(failure.line.hasPrefix("UNKNOWN: "))
        #expect(failure.line.contains("zfssa listSnapshots failed"))
        #expect(!failure.line.contains("\n"))
    }

    @Test("a snapshot from the future counts as age zero")
    func clockSkew() {
        let result = check.evaluate(snapshots: [Snapshot(id: "s", creation: now.addingTimeInterval(60))], now: now)
        #expect(result.line == "OK: The latest snapshot age 0:00:00|age=0s;3600;7200")
    }
}
