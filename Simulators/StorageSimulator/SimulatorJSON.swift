import Foundation

/// JSON text written straight into bytes, for the snapshot listings: an appliance answers a 400-snapshot listing in
/// a few milliseconds, and building `[String: Any]` records for `JSONSerialization` (plus a date formatter per
/// snapshot) made the simulator take ~45 ms, which benchmarks of the tools would have counted as theirs.
///
/// The output matches what `SimResponse.json` produces for the same records (`JSONSerialization` with sorted keys
/// and unescaped slashes): callers write the keys of each object in sorted order, strings are escaped the same way.
struct SimulatorJSON {
    /// The text so far.
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends literal JSON text (punctuation, or a key with its quotes and colon).
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends text that is already JSON (an encoded record).
    mutating func raw(_ encoded: [UInt8]) { bytes.append(contentsOf: encoded) }

    /// Appends `text` as a JSON string, escaped as `JSONSerialization` does (without escaping `/`).
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x00..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends an integer.
    mutating func number(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            // The magnitude of Int64.min does not fit an Int64.
            digits(value.magnitude)
        } else {
            digits(UInt64(value))
        }
    }

    /// Appends an integer.
    mutating func number(_ value: Int) { number(Int64(value)) }

    /// Appends `true` or `false`.
    mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    private mutating func digits(_ value: UInt64) {
        var reversed: [UInt8] = []
        var rest = value
        repeat {
            reversed.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes.append(contentsOf: reversed.reversed())
    }

    /// Appends `value` as at least `width` decimal digits (zero-padded); for date fields inside a string.
    mutating func padded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<max(1, width) { divisor *= 10 }
        guard value >= 0, value < divisor * 10 else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Calendar fields of an instant in a fixed offset from UTC, computed with integer arithmetic (the proleptic
/// Gregorian calendar, as Foundation's calendar uses for these years): a `DateFormatter` or `Calendar` per snapshot
/// was most of a listing's cost.
struct SimulatorDateFields: Hashable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    /// The fields of `date` shifted by `offset` seconds (whole seconds, rounded down as formatters do).
    init(_ date: Date, offset: Int = 0) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        hour = secondOfDay / 3_600
        minute = secondOfDay % 3_600 / 60
        second = secondOfDay % 60
        // Days since 1970-01-01 to a civil date, counting in 400-year eras that start on 0000-03-01.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

extension SimulatorJSON {
    /// Appends the fields as a JSON string: `2016-10-17T07:39:14` with `dateSeparator` `-` (and `20161017T07:39:14`
    /// with none), followed by `suffix` (`Z`, an offset such as `+01:00`, or nothing).
    mutating func dateString(_ fields: SimulatorDateFields, dateSeparator: Bool, suffix: String) {
        bytes.append(UInt8(ascii: "\""))
        padded(fields.year, width: 4)
        if dateSeparator { bytes.append(UInt8(ascii: "-")) }
        padded(fields.month, width: 2)
        if dateSeparator { bytes.append(UInt8(ascii: "-")) }
        padded(fields.day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        padded(fields.hour, width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(fields.minute, width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(fields.second, width: 2)
        bytes.append(contentsOf: suffix.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An offset from UTC as ISO 8601 writes it in internet date-times: `Z` for zero, else `+01:00` / `-05:30`.
    static func offsetSuffix(_ seconds: Int) -> String {
        guard seconds != 0 else { return "Z" }
        let minutes = abs(seconds) / 60
        let hours = minutes / 60
        let rest = minutes % 60
        return (seconds < 0 ? "-" : "+") + (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
    }
}

extension SimResponse {
    /// A response whose body is already JSON text.
    static func encodedJSON(
        _ status: Int, _ body: [UInt8], headers: [String: String] = [:], contentType: String = "application/json"
    ) -> SimResponse {
        var all = headers
        all["Content-Type"] = contentType
        return SimResponse(status: status, headers: all, body: body)
    }
}
