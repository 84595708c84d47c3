import ConfigModel
import Foundation

/// `lasttime` of a snapshot's `autorestore.cfg` as an instant and as this host's local time.
struct RecoveryTarget {
    var instant: Date
    /// `yyyy-MM-dd HH:mm:ss` in this host's zone: what `set until time` and the verification compare in.
    var localTime: String

    static func format(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// `text` (`yyyy-MM-dd HH:mm:ss`, surrounding blanks ignored) read in `zone`, this host's zone by default.
    static func parse(_ text: String, in zone: TimeZone = .current) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}

extension RestoreContext {
    /// Reads `lasttime` in the database host's zone: the recorded `lasttimeutcoffset`; for snapshots without it,
    /// `backuptimezone` (a WARNING, when `warn`, if that differs from this host's zone) or else this host's zone.
    /// A point-in-time target is this host's local time already.
    func recoveryTarget(_ parameters: AutorestoreParameters, file: String, warn: Bool) throws -> RecoveryTarget {
        let text = parameters.lastTime ?? ""
        let local = TimeZone.current
        let zone: TimeZone
        let offset: Int?
        do {
            offset = try parameters.lastTimeUTCOffset(file: file)
        } catch {
            throw RestoreFailure(.missingRestoreParameters, error.description)
        }
        if let offset, let recordedZone = TimeZone(secondsFromGMT: offset) {
            zone = recordedZone
        } else if pointInTime == nil, let name = settings.autorestore.backupTimeZone,
            let configured = AutorestoreParameters.timeZone(named: name)
        {
            zone = configured
        } else {
            zone = local
        }
        guard let instant = RecoveryTarget.parse(text, in: zone) else {
            throw RestoreFailure(.wrongSnapshot, "lasttime '\(text)' in \(file) is not a time (yyyy-mm-dd hh24:mi:ss)")
        }
        if warn, offset == nil, pointInTime == nil, let name = settings.autorestore.backupTimeZone,
            zone.secondsFromGMT(for: instant) != local.secondsFromGMT(for: instant)
        {
            logger.warning(
                "\(file) has no \(AutorestoreParameters.lastTimeUTCOffsetKey) (a snapshot taken by an older version): reading lasttime \(text) in backuptimezone \(name) (UTC\(AutorestoreParameters.formatUTCOffset(zone.secondsFromGMT(for: instant)))), while this host's zone is \(local.identifier) (UTC\(AutorestoreParameters.formatUTCOffset(local.secondsFromGMT(for: instant))))"
            )
        }
        return RecoveryTarget(instant: instant, localTime: RecoveryTarget.format(instant, in: local))
    }
}
