import Foundation
import StorageKit
import Testing

@Suite("WireTimestamp: appliance times without a date formatter")
struct WireTimestampTests {
    /// Foundation's reading of the same text, the reference the hand-written parser must agree with.
    static func foundation(_ text: String) -> Date? {
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
        ] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    @Test("agrees with ISO8601DateFormatter on 2 000 times from 1970 to 2199, in zones and with fractions")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        let zones = ["Z", "+00:00", "+02:00", "-05:00", "+05:30", "-09:30", "+14:00"]
        for _ in 0..<2_000 {
            let instant = Date(timeIntervalSince1970: Double(Int.random(in: 0..<7_258_118_400, using: &generator)))
            let zone = zones.randomElement(using: &generator)!
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            var text = formatter.string(from: instant)  // 2026-12-05T02:21:20Z
            if zone != "Z" {
                let offset =
                    (zone.hasPrefix("-") ? -1 : 1)
                    * (Int(zone.dropFirst().prefix(2))! * 3600 + Int(zone.suffix(2))! * 60)
                formatter.timeZone = TimeZone(secondsFromGMT: offset)
                text = formatter.string(from: instant).replacingOccurrences(of: "Z", with: zone)
            }
            #expect(WireTimestamp.parse(text) == instant, "\(text)")
            #expect(WireTimestamp.parse(text) == Self.foundation(text), "\(text)")
        }
    }

    @Test("ZFSSA v1, zone-less ISO (UTC), a space for T, fractions and compact offsets")
    func appliancesForms() throws {
        let reference = try #require(Self.foundation("2016-11-09T20:53:36Z"))
        #expect(WireTimestamp.parse("20161109T20:53:36") == reference)
        #expect(WireTimestamp.parse("20161109T205336") == reference)
        #expect(WireTimestamp.parse(" 20161109T20:53:36 ") == reference)
        #expect(WireTimestamp.parse("2016-11-09T20:53:36") == reference)
        #expect(WireTimestamp.parse("2016-11-09 20:53:36") == reference)
        #expect(WireTimestamp.parse("2016-11-09T21:53:36+0100") == reference)
        #expect(WireTimestamp.parse("2016-11-09T21:53:36+01") == reference)
        #expect(WireTimestamp.parse("2016-11-09T20:53:36.250Z") == reference.addingTimeInterval(0.25))
        #expect(WireTimestamp.parse("2016-02-29T00:00:00Z") != nil)  // a leap day
        #expect(WireTimestamp.parse("2000-02-29T00:00:00Z") != nil)  // divisible by 400
    }

    @Test("anything else is nil, never a guess")
    func refusals() {
        for text in [
            "", "yesterday", "2016-11-09", "20161109", "2016-13-01T00:00:00Z", "2016-04-31T00:00:00Z",
            "2015-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2016-11-09T24:00:00Z", "2016-11-09T20:60:00Z",
            "2016-11-09T20:53:60Z", "2016-11-09T20:53:36 CET", "2016-11-09T20:53:36+2500", "2016-11-09T20:53:36.Z",
            "20161109T20:53:36Z", "2016-11-09T20:53", "2016-11-09T20:53:36Zjunk", "２０１６-11-09T20:53:36Z",
        ] {
            #expect(WireTimestamp.parse(text) == nil, "\(text)")
        }
    }
}

@Suite("DisplayFormat.utcTimestamp without a calendar")
struct UTCTimestampArithmeticTests {
    @Test("agrees with Calendar on 2 000 instants from 1900 to 2199, fractions truncated")
    func agreesWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Double(Int.random(in: -2_208_988_800..<7_258_118_400, using: &generator))
            let date = Date(timeIntervalSince1970: seconds + Double.random(in: 0..<1, using: &generator))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            #expect(DisplayFormat.utcTimestamp(date) == expected, "\(date.timeIntervalSince1970)")
        }
    }
}
