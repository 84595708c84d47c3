import Foundation
import Logging

/// The original tool's log line layouts (reference §2.0), reproduced exactly.
///
/// - File: `2016-11-08 21:53:35,592 DEBUG    orcl            message` (DEBUG and up)
/// - Screen: `21:53:35 INFO     orcl            message` (INFO and up)
public enum LogLineFormat: Sendable {
    case file
    case screen

    /// Python's level names; swift-log's extra levels map to the nearest one.
    public static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// Formats one record in local time, as the original did.
    public func format(
        date: Date, level: Logger.Level, name: String, message: String,
        timeZone: TimeZone = .current
    ) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let time = pad(c.hour!, 2) + ":" + pad(c.minute!, 2) + ":" + pad(c.second!, 2)
        let prefix: String
        switch self {
        case .file:
            let millis = min(999, c.nanosecond! / 1_000_000)
            prefix = pad(c.year!, 4) + "-" + pad(c.month!, 2) + "-" + pad(c.day!, 2) + " " + time + "," + pad(millis, 3)
        case .screen:
            prefix = time
        }
        return prefix + " " + padRight(Self.levelName(level), 8) + " " + padRight(name, 15) + " " + message
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
