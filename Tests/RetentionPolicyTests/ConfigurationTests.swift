import Foundation
import Testing

@testable import RetentionPolicy

@Suite("Reading retention settings")
struct ConfigurationTests {
    func configuration(_ settings: [String: String]) throws(RetentionConfigurationError) -> RetentionConfiguration {
        try RetentionConfiguration(settings: { settings[$0] })
    }

    @Test("the original keys alone give the reference scheme with default safety rules")
    func referenceDefaults() throws {
        let configuration = try configuration(["snapexpirationdays": "7", "snapexpirationmonths": "3"])
        #expect(configuration.scheme == .reference(try ReferenceWindows(days: 7, months: 3)))
        #expect(configuration.safety == .default)
        #expect(configuration.safety.minimumCount == 1 && configuration.safety.keepNewestVerified)
    }

    @Test("R-05: a missing or empty snapexpirationmonths is 0, without crashing", arguments: [nil, "", "  "])
    func missingMonths(value: String?) throws {
        var settings = ["snapexpirationdays": "7"]
        settings["snapexpirationmonths"] = value
        #expect(try configuration(settings).scheme == .reference(try ReferenceWindows(days: 7, months: 0)))
    }

    @Test("values are trimmed and snapretention is case-insensitive")
    func lenientSpelling() throws {
        let configuration = try configuration([
            "snapretention": " GFS ", "snapkeepdaily": " 7", "snapkeepwithin": "1Y6M", "snapkeepverified": "No",
            "snapminimumcount": "+3", "snapcompliancedays": "14 ",
        ])
        #expect(configuration.scheme == .gfs(try GFSRules(keepDaily: 7, keepWithin: CalendarSpan(years: 1, months: 6))))
        #expect(
            configuration.safety == (try SafetyRules(minimumCount: 3, keepNewestVerified: false, complianceDays: 14)))
    }

    @Test("every GFS key is read")
    func allGFSKeys() throws {
        let configuration = try configuration([
            "snapretention": "gfs", "snapkeeplast": "1", "snapkeephourly": "2", "snapkeepdaily": "3",
            "snapkeepweekly": "4", "snapkeepmonthly": "5", "snapkeepyearly": "6", "snapkeepwithin": "2d",
            "snapexpirationdays": "ignored by gfs",
        ])
        let expected = try GFSRules(
            keepLast: 1, keepHourly: 2, keepDaily: 3, keepWeekly: 4, keepMonthly: 5, keepYearly: 6,
            keepWithin: CalendarSpan(days: 2))
        #expect(configuration.scheme == .gfs(expected))
    }

    @Test(
        "bad settings are refused with an error naming the key and the value",
        arguments: [
            (
                ["snapretention": "weekly", "snapexpirationdays": "7"],
                RetentionConfigurationError.unknownScheme(value: "weekly")
            ),
            (
                [:],
                .missingKey(
                    key: "snapexpirationdays",
                    reason: "the reference retention scheme needs it (or choose snapretention: gfs)")
            ),
            (["snapexpirationdays": "7d"], .notAWholeNumber(key: "snapexpirationdays", value: "7d")),
            (
                ["snapexpirationdays": "7", "snapexpirationmonths": "1.5"],
                .notAWholeNumber(key: "snapexpirationmonths", value: "1.5")
            ),
            (
                ["snapexpirationdays": "-1"],
                .belowMinimum(
                    key: "snapexpirationdays", value: "-1", minimum: 0, reason: "negative values are not allowed")
            ),
            (
                ["snapexpirationdays": "7", "snapminimumcount": "0"],
                .belowMinimum(
                    key: "snapminimumcount", value: "0", minimum: 1, reason: "the newest snapshot is never deleted")
            ),
            (
                ["snapexpirationdays": "7", "snapcompliancedays": "x"],
                .notAWholeNumber(key: "snapcompliancedays", value: "x")
            ),
            (
                ["snapexpirationdays": "7", "snapkeepverified": "maybe"],
                .notABoolean(key: "snapkeepverified", value: "maybe")
            ),
            (["snapretention": "gfs"], .emptyGFSPolicy),
            (["snapretention": "gfs", "snapkeepdaily": "0", "snapkeepwithin": "0d"], .emptyGFSPolicy),
            (
                ["snapretention": "gfs", "snapkeepweekly": "-2"],
                .belowMinimum(key: "snapkeepweekly", value: "-2", minimum: 0, reason: "negative values are not allowed")
            ),
            (
                ["snapretention": "gfs", "snapkeepwithin": "10 days"],
                .notACalendarSpan(key: "snapkeepwithin", value: "10 days")
            ),
            (
                ["snapexpirationdays": "7", "snapkeepdaily": "7"],
                .gfsKeyWithoutGFSScheme(key: "snapkeepdaily", value: "7")
            ),
        ])
    func refused(settings: [String: String], expected: RetentionConfigurationError) {
        #expect(throws: expected) { try configuration(settings) }
    }

    @Test("error messages name the key and quote the value")
    func messages() {
        #expect(
            RetentionConfigurationError.notAWholeNumber(key: "snapexpirationdays", value: "7d").description
                == "snapexpirationdays: '7d' is not a whole number")
        #expect(
            RetentionConfigurationError.unknownScheme(value: "weekly").description
                == "snapretention: unknown retention scheme 'weekly'; use 'reference' or 'gfs'")
        #expect(
            RetentionConfigurationError.gfsKeyWithoutGFSScheme(key: "snapkeepdaily", value: "7").description
                .hasPrefix("snapkeepdaily: set to '7' but snapretention is 'reference'"))
    }

    @Test("the setting keys are the documented ones")
    func keys() {
        #expect(
            RetentionSettingKey.allCases.map(\.rawValue) == [
                "snapretention", "snapexpirationdays", "snapexpirationmonths", "snapminimumcount", "snapkeepverified",
                "snapcompliancedays", "snapclockskewallowance", "snapkeeplast", "snapkeephourly", "snapkeepdaily",
                "snapkeepweekly",
                "snapkeepmonthly", "snapkeepyearly", "snapkeepwithin",
            ])
    }
}
