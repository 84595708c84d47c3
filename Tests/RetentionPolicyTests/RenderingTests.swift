import Foundation
import Testing

@testable import RetentionPolicy

@Suite("Snapshot lines and dry-run text")
struct RenderingTests {
    @Test(
        "sizes use binary floor thresholds and show unknown sizes as 'unknown'",
        arguments: [
            (Int64?.none, "unknown"), (-1, "unknown"), (0, "0B"), (1_023, "1023B"), (1_024, "1kB"), (2_047, "1kB"),
            (1 << 20, "1MB"), ((1 << 30) - 1, "1023MB"), (1 << 30, "1GB"), (1 << 40, "1TB"),
            (5 * (1 << 40) + (1 << 39), "5TB"), (Int64.max, "8388607TB"),
        ] as [(Int64?, String)])
    func sizes(bytes: Int64?, expected: String) {
        #expect(SnapshotLineFormat.byteSize(bytes) == expected)
    }

    @Test("timestamps are UTC and truncate fractions of a second")
    func timestamps() {
        #expect(
            SnapshotLineFormat.utcTimestamp(TestDates.utc(2016, 11, 8, 21, 53, 36).addingTimeInterval(0.97))
                == "2016-11-08 21:53:36")
        #expect(SnapshotLineFormat.utcTimestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31 23:59:59")
    }

    @Test("the snapshot line is the original's format")
    func snapshotLine() {
        let snapshot = SnapshotRecord(
            id: "orcl-20161108T215336", createdAt: TestDates.utc(2016, 11, 8, 21, 53, 36), cloneCount: 1,
            totalBytes: 3 * (1 << 30) + 5, uniqueBytes: nil)
        #expect(
            SnapshotLineFormat.line(for: snapshot)
                == "orcl-20161108T215336 [2016-11-08 21:53:36 UTC] total=3GB unique=unknown clones=1")
    }

    @Test("the dry run prints a header and one line per snapshot with status and reason")
    func dryRun() throws {
        let now = TestDates.utc(2026, 11, 25, 10)
        let snapshots = [
            Fixtures.snapshot(TestDates.utc(2026, 10, 1, 10), clones: 1, total: 2_048, unique: 0),
            Fixtures.snapshot(TestDates.utc(2026, 10, 2, 10), total: 2_048, unique: 1),
            Fixtures.snapshot(TestDates.utc(2026, 10, 31, 10)),
            Fixtures.snapshot(now),
        ]
        let plan = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 2), now: now)
        let expected = [
            "Retention plan at 2026-11-25 10:00:00 UTC: reference (snapexpirationdays 7, snapexpirationmonths 2); "
                + "safety: snapminimumcount 1, snapkeepverified true, snapcompliancedays 0, snapclockskewallowance 300; "
                + "4 snapshots: keep 3, drop 1",
            "orcl-20261001T100000 [2026-10-01 10:00:00 UTC] total=2kB unique=0B clones=1 has a clone — keep: has a clone "
                + "(scheme alone would drop: not the last snapshot of 2026-10 (monthly window 2×31 days))",
            "orcl-20261002T100000 [2026-10-02 10:00:00 UTC] total=2kB unique=1B clones=0 would drop — drop: not the last "
                + "snapshot of 2026-10 (monthly window 2×31 days)",
            "orcl-20261031T100000 [2026-10-31 10:00:00 UTC] total=unknown unique=unknown clones=0 valid — keep: last "
                + "snapshot of 2026-10 inside the monthly window (2×31 days)",
            "orcl-20261125T100000 [2026-11-25 10:00:00 UTC] total=unknown unique=unknown clones=0 valid — keep: younger "
                + "than 7 days (snapexpirationdays)",
        ]
        #expect(RetentionPlanRenderer.dryRun(plan).split(separator: "\n").map(String.init) == expected)

        let incomplete = Fixtures.plan(snapshots, Fixtures.reference(days: 7, months: 2), now: now, complete: false)
        #expect(
            RetentionPlanRenderer.dryRun(incomplete).contains(
                "Snapshot listing incomplete (storage timed out): nothing will be dropped."))
    }

    @Test("GFS schemes are described in configuration terms")
    func describeGFS() throws {
        let rules = try GFSRules(keepLast: 2, keepDaily: 7, keepWithin: CalendarSpan(years: 1, hours: 12))
        #expect(RetentionPlanRenderer.describe(.gfs(rules)) == "gfs (last 2, daily 7, within 1y12h)")
    }
}
