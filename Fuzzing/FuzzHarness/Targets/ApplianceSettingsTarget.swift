import ConfigModel
import Foundation
import StorageKit
import StorageONTAP
import StorageZFSSA

/// The appliance drivers' typed settings (`url`/`filer`, `timeout`, `jobtimeout`, `retries`, `apiversion`,
/// `authentication`, `volumesize`, `insecure`, `cacert`, `allowplainhttp`): `key: value` lines become a section; reading
/// it must end in a configuration or problems that name file, section and key, and a configuration that was
/// accepted must give a driver.
enum ApplianceSettingsTarget {
    static let samples = [
        "url: https://zfssa01:215\npool: pool1\nproject: demo-backup\ntimeout: 30\nretries: 3\napiversion: 2\nauthentication: session\ninsecure: FALSE",
        "url: http://[::1]:215/\npool: p\nproject: x\napiversion: v1\ntimeout: 0.5",
        "filer: https://filer1:8443\nvolumeprefix: backup_\nsvm: svm1\ntimeout: 300\njobtimeout: 600\nretries: 10\nvolumesize: 1.5T\naggregate: aggr1",
        "filer: filer1\nvolumeprefix: bk_\nvolumesize: 512MB\nadditionalvolumesuffixes: _2, _3\ncacert: /etc/ca.pem\ninsecure: TRUE",
    ]

    static let mutator = Mutator(
        dictionary: [
            "url: ", "filer: ", "timeout: ", "jobtimeout: ", "retries: ", "apiversion: ", "authentication: ",
            "volumesize: ", "insecure: ", "pool: ", "project: ", "https://", "http://", "://", "@", ":", "[", "]",
            "%", "g", "T", "PB", "e", ".", "-", "user:pw@",
        ])

    static func settings(_ input: [UInt8]) -> [String: String] {
        var settings: [String: String] = [:]
        for line in String(decoding: input, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            settings[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(
                in: .whitespaces)
        }
        return settings
    }

    static let target = FuzzTarget(
        name: "appliance-settings",
        summary: "ZFSSA and ONTAP settings: typed configurations from a section, then the drivers built from them",
        samples: samples, mutator: mutator,
        body: { input in
            let values = settings(input)
            let database = StorageDatabase(name: "orcl", additionalVolumeSuffixes: ["_2"])
            let context = StorageDriverContext(
                databaseName: "orcl", credentials: FuzzCredentials.credential, logger: FuzzLogging.silent)
            let transport: HTTPTransportFactory = { _ throws(StorageError) in
                ApplianceReplayTransport(
                    exchange: ApplianceExchange(operation: 0, options: 0, slots: []), mutator: mutator,
                    healthy: { _ in HTTPResponse(status: 404) })
            }
            let zfssa = try read { () throws(ConfigError) in
                try ZFSSAConfiguration(
                    section: ConfigSection(name: "zfssa", database: "orcl", values: values, file: "/f/backup.cfg"),
                    database: database)
            }
            if let zfssa {
                do throws(StorageError) {
                    _ = try ZFSSADriver(configuration: zfssa, context: context, transport: transport)
                } catch {
                    try check(error)
                }
            }
            let ontap = try read { () throws(ConfigError) in
                try ONTAPConfiguration(
                    section: ConfigSection(name: "netapp", database: "orcl", values: values, file: "/f/backup.cfg"),
                    database: database)
            }
            if let ontap {
                do throws(StorageError) {
                    _ = try ONTAPDriver(configuration: ontap, context: context, transport: transport)
                } catch {
                    try check(error)
                }
            }
        })

    /// The configuration `body` reads, or `nil` after checking its problems.
    static func read<Configuration>(_ body: () throws(ConfigError) -> Configuration) throws(FuzzFinding)
        -> Configuration?
    {
        do {
            return try body()
        } catch {
            try check(error)
            return nil
        }
    }

    /// A configuration the typed settings accepted must give a driver.
    static func check(_ error: StorageError) throws(FuzzFinding) {
        throw FuzzFinding("settings accepted by the configuration but refused by the driver: \(error)")
    }

    /// Every problem names the file, section and key, and never repeats the password of a URL.
    static func check(_ error: ConfigError) throws(FuzzFinding) {
        for problem in error.problems {
            guard problem.file == "/f/backup.cfg", problem.section != nil, problem.key != nil, !problem.message.isEmpty
            else {
                throw FuzzFinding("configuration problem without file, section, key or message: \(problem)")
            }
            if problem.message.contains(":pw@") {
                throw FuzzFinding("the password of a URL reached a configuration problem: \(problem)")
            }
        }
    }
}
