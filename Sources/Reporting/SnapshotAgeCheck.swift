import Foundation
import StorageKit

/// Nagios plug-in states with their exit codes.
public enum NagiosStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case ok = "OK"
    case warning = "WARNING"
    case critical = "CRITICAL"
    case unknown = "UNKNOWN"

    /// 0, 1, 2 or 3.
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }
}

/// One Nagios check outcome: print `line` (single line, perfdata after `|`) and exit with `status.exitCode`.
public struct NagiosResult: Sendable, Hashable, Codable {
    /// The Nagios state.
    public var status: NagiosStatus
    /// Text before the `|`.
    public var message: String
    /// Perfdata after the `|`, empty when none.
    public var performanceData: String

    /// An outcome; `performanceData` empty when there is none.
    public init(status: NagiosStatus, message: String, performanceData: String = "") {
        self.status = status
        self.message = message
        self.performanceData = performanceData
    }

    /// The most bytes of text before the perfdata: NRPE 2 passes at most 1 KiB, and the perfdata must survive.
    public static let maximumMessageBytes = 900

    /// `STATUS: message|perfdata`, with newlines flattened, any `|` in the message replaced by `/` (Nagios would
    /// take the rest for perfdata) and the message cut to ``maximumMessageBytes`` (ending in `…`).
    public var line: String {
        var text = "\(status.rawValue): \(message)".replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "|", with: "/")
        if text.utf8.count > Self.maximumMessageBytes {
            var cut = ""
            for character in text {
                if cut.utf8.count + character.utf8.count > Self.maximumMessageBytes - 3 { break }
                cut.append(character)
            }
            text = cut + "…"
        }
        return performanceData.isEmpty ? text : text + "|" + performanceData
    }

    /// The plug-in exit code of ``status``.
    public var exitCode: Int32 { status.exitCode }

    /// UNKNOWN for any failure while checking (the reference printed `Exception occured: …` and exited 3).
    public static func unknown(_ error: any Error) -> NagiosResult {
        NagiosResult(status: .unknown, message: "Snapshot age check failed: \(error)")
    }
}

/// `checkage`: the age of the newest snapshot against `warningsnapage` / `criticalsnapage` hours (R-06: works on
/// every driver because it only uses the normalised creation instant).
public struct SnapshotAgeCheck: Sendable, Hashable {
    /// Warning threshold in hours (`warningsnapage`).
    public var warningHours: Double
    /// Critical threshold in hours (`criticalsnapage`).
    public var criticalHours: Double

    /// Thresholds in hours (fractions allowed).
    public init(warningHours: Double, criticalHours: Double) {
        self.warningHours = warningHours
        self.criticalHours = criticalHours
    }

    /// WARNING when age ≥ warning, CRITICAL when age ≥ critical or there are no snapshots, UNKNOWN for bad
    /// thresholds. Example: `OK: The latest snapshot age 0:03:57|age=237s;3600;7200`.
    public func evaluate(snapshots: [Snapshot], now: Date) -> NagiosResult {
        // At most a million hours (over a century): larger values are typing errors, and would not fit the
        // seconds below.
        let valid = (0...1_000_000.0)
        guard valid.contains(warningHours), valid.contains(criticalHours) else {
            return NagiosResult(
                status: .unknown,
                message: "Invalid thresholds: warningsnapage=\(warningHours) criticalsnapage=\(criticalHours)")
        }
        let warningSeconds = Int((warningHours * 3600).rounded())
        let criticalSeconds = Int((criticalHours * 3600).rounded())
        guard let newest = snapshots.map(\.creation).max() else {
            return NagiosResult(
                status: .critical, message: "No snapshots found",
                performanceData: "age=U;\(warningSeconds);\(criticalSeconds)")
        }
        // A snapshot stamped in the future (clock skew) counts as brand new.
        let ageSeconds = max(0, Int(now.timeIntervalSince(newest).rounded(.down)))
        let status: NagiosStatus =
            ageSeconds >= criticalSeconds ? .critical : ageSeconds >= warningSeconds ? .warning : .ok
        return NagiosResult(
            status: status, message: "The latest snapshot age \(DisplayFormat.duration(seconds: ageSeconds))",
            performanceData: "age=\(ageSeconds)s;\(warningSeconds);\(criticalSeconds)")
    }
}
