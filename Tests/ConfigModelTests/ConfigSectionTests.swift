import ConfigModel
import Testing

/// The section reader storage modules read their sections with: lookup rules, typed values, and problems that
/// name file, line, section and key.
@Suite("Configuration: section reader")
struct ConfigSectionTests {
    static let text = """
        [DEFAULT]
        base: /srv
        [appliance]
        address: https://box:215
        path: %(base)s/data
        relative: certs/ca.pem
        flag: true
        off: FALSE
        count: 7
        wait: 2.5
        empty: ""
        broken: %(nothing)s
        [orcl]
        dbid: 1
        appliancecount: 9
        """

    let configuration = BackupConfiguration(
        text: Self.text, path: "/etc/oib/backup.cfg", environment: ["HOME": "/home/oracle"])
    var section: ConfigSection { configuration.section("appliance", database: "orcl") }

    @Test func typedValues() throws {
        #expect(try section.string("address") == "https://box:215")
        #expect(try section.requiredString("ADDRESS") == "https://box:215")
        #expect(try section.string("missing") == nil)
        #expect(try section.string("empty") == nil)
        #expect(try section.requiredString("empty", allowingEmpty: true) == "")
        #expect(try section.bool("flag", default: false))
        #expect(try !section.bool("off", default: true))
        #expect(try section.bool("missing", default: true))
        // The database's prefixed override wins over the section.
        #expect(try section.int("count", in: 1...10) == 9)
        #expect(try configuration.section("appliance", database: "other").int("count") == 7)
        #expect(try section.seconds("wait") == .milliseconds(2500))
        #expect(try section.seconds("missing") == nil)
        // Paths: interpolated, absolute kept, relative to the configuration's directory, bare names in a folder.
        #expect(try section.path("path") == "/srv/data")
        #expect(try section.path("relative") == "/etc/oib/certs/ca.pem")
        #expect(section.resolvePath("~/x") == "/home/oracle/x")
        #expect(try section.path("flag", bareNamesIn: "certs") == "/etc/oib/certs/true")
        #expect(section.keys == ["address", "broken", "count", "empty", "flag", "off", "path", "relative", "wait"])
        let value = try #require(try section.value("count"))
        #expect(value.section == "orcl")
        #expect(value.key == "appliancecount")
        #expect(value.line == 15)
    }

    @Test func errorsNameFileLineSectionAndKey() throws {
        func problem(_ read: () throws -> Void) -> ConfigProblem? {
            do {
                try read()
                return nil
            } catch {
                return (error as? ConfigError)?.problems.first
            }
        }
        let missing = try #require(problem { _ = try section.requiredString("pool") })
        #expect(
            missing.description
                == "/etc/oib/backup.cfg: [appliance] pool: required key is missing (set it in [appliance], or as appliancepool in [orcl])"
        )
        let empty = try #require(problem { _ = try section.requiredString("empty") })
        #expect(empty.description == "/etc/oib/backup.cfg:11: [appliance] empty: must not be empty")
        let flag = try #require(problem { _ = try section.bool("count", default: false) })
        #expect(flag.key == "appliancecount")
        #expect(flag.section == "orcl")
        #expect(flag.message == "'9' is not TRUE or FALSE (the original tool read anything but TRUE as FALSE)")
        let range = try #require(problem { _ = try section.int("count", in: 1...5) })
        #expect(range.message == "9 is out of range: must be between 1 and 5")
        let number = try #require(problem { _ = try section.int("address") })
        #expect(
            number.description == "/etc/oib/backup.cfg:4: [appliance] address: 'https://box:215' is not a whole number")
        let seconds = try #require(problem { _ = try section.seconds("address") })
        #expect(seconds.message == "'https://box:215' is not a positive number of seconds (at most 31536000)")
        #expect(problem { _ = try section.seconds("count", maximum: 5) }?.message.contains("at most 5") == true)
        let interpolation = try #require(problem { _ = try section.string("broken") })
        #expect(interpolation.key == "broken")
        #expect(interpolation.line == 12)
        // A problem about a key found nowhere is placed where the key belongs.
        #expect(section.problem("pool", "bad").description == "/etc/oib/backup.cfg: [appliance] pool: bad")
        #expect(section.problem("count", "bad").description == "/etc/oib/backup.cfg:15: [orcl] appliancecount: bad")
    }

    @Test func aCollectorReportsEveryProblemOfASectionAtOnce() {
        let problems = ProblemCollector()
        let pool = problems.read("") { () throws(ConfigError) in try section.requiredString("pool") }
        let flag = problems.read(false) { () throws(ConfigError) in try section.bool("address", default: false) }
        let address = problems.read("") { () throws(ConfigError) in try section.requiredString("address") }
        #expect(pool == "" && !flag && address == "https://box:215")
        let error = #expect(throws: ConfigError.self) { try problems.check() }
        #expect(error?.problems.map(\.key) == ["pool", "address"])
    }

    @Test func aSectionFromValuesTakesThemLiterally() throws {
        let section = ConfigSection(
            name: "zfssa", database: "orcl", values: ["URL": "https://z/%20", "timeout": "0"], file: "/etc/b.cfg")
        #expect(try section.string("url") == "https://z/%20")
        #expect(section.keys == ["timeout", "url"])
        let error = #expect(throws: ConfigError.self) { try section.seconds("timeout") }
        #expect(
            error?.description
                == "/etc/b.cfg: [zfssa] timeout: '0' is not a positive number of seconds (at most 31536000)")
        #expect(try section.path("cacert") == nil)
        #expect(section.resolvePath("ca.pem") == "/etc/ca.pem")
    }
}
