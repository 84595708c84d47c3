import Foundation
import Logging
import Reporting
import StorageKit
import Testing

@Suite("report: the off-site copy's lag, age findings and Prometheus metrics")
struct ReplicaReportTests {
    static let now = Date(timeIntervalSince1970: 1_000_000)

    func snapshots(_ hoursAgo: [Double]) -> [Snapshot] {
        hoursAgo.map {
            Snapshot(id: "orcl-\(Int($0))", creation: Self.now.addingTimeInterval(-$0 * 3600))
        }
    }

    func subject(_ name: String, primary: [Snapshot], replica: (@Sendable () async throws -> [Snapshot])?)
        -> ReportSubject
    {
        var subject = ReportSubject(
            name: name, listSnapshots: { primary }, catalog: .notConfigured, autorestoreEnabled: false,
            validation: .never, snapshotWarningHours: 26, snapshotCriticalHours: 50)
        subject.listReplicaSnapshots = replica
        subject.replicaAgeHours = (30, 60)
        return subject
    }

    @Test("lag in snapshots and seconds, an old or missing or unreachable copy is a finding, metrics are written")
    func replicaFigures() async {
        let primary = snapshots([50, 26, 2])
        let behind = snapshots([50])
        let collector = ReportCollector(catalogs: [:], now: Self.now, logger: Logger(label: "test"))
        let report = await collector.collect([
            subject("inStep", primary: primary, replica: { [primary] in primary }),
            subject("behind", primary: primary, replica: { [behind] in behind }),
            subject(
                "broken", primary: primary,
                replica: { throw StorageError(.timeout, vendor: "btrfs", operation: "listSnapshots", message: "hung") }),
            subject("none", primary: primary, replica: nil),
        ])
        let inStep = report.databases[0]
        #expect(inStep.replica?.snapshotsBehind == 0 && inStep.replica?.lagSeconds == 0)
        #expect(!inStep.problems.contains { $0.text.contains("off-site") })
        let late = report.databases[1]
        #expect(late.replica?.snapshotsBehind == 2 && late.replica?.lagSeconds == 48 * 3600)
        #expect(late.status == .warning)
        #expect(late.problems.contains { $0.text.contains("off-site copy's newest snapshot is") })
        #expect(report.databases[2].replica?.reachable == false)
        #expect(report.databases[2].problems.contains { $0.text.contains("off-site copy cannot be listed") })
        #expect(report.databases[3].replica == nil)

        let text = PrometheusReport.text(report)
        #expect(text.contains("oib_replica_lag_seconds{database=\"behind\"} 172800"))
        #expect(text.contains("oib_replica_snapshots_behind{database=\"behind\"} 2"))
        #expect(text.contains("oib_replica_up{database=\"broken\"} 0"))
        #expect(!text.contains("oib_replica_up{database=\"none\"}"))
    }
}
