import Foundation
import StorageKit
import StorageONTAP
import StorageZFSSA

/// The appliance drivers' setting parsers (`url`/`filer`, `timeout`, `jobtimeout`, `retries`, `apiversion`,
/// `authentication`, `volumesize`, `insecure`): `key: value` lines become a driver configuration; building the
/// driver must end in a driver or a clear `.invalidConfiguration` error.
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
        summary: "ZFSSA and ONTAP driver settings: URLs, seconds, retries, API version, sizes, flags",
        samples: samples, mutator: mutator,
        body: { input in
            let configuration = StorageDriverConfiguration(
                databaseName: "orcl", settings: settings(input), logger: FuzzLogging.silent,
                credentials: FuzzCredentials.credential)
            let transport: HTTPTransportFactory = { _ throws(StorageError) in
                ApplianceReplayTransport(
                    exchange: ApplianceExchange(operation: 0, options: 0, slots: []), mutator: mutator,
                    healthy: { _ in HTTPResponse(status: 404) })
            }
            do throws(StorageError) {
                _ = try ZFSSADriver(configuration: configuration, transport: transport)
            } catch {
                try check(error)
            }
            do throws(StorageError) {
                _ = try ONTAPDriver(configuration: configuration, transport: transport)
            } catch {
                try check(error)
            }
        })

    static func check(_ error: StorageError) throws(FuzzFinding) {
        guard error.code == .invalidConfiguration, !error.message.isEmpty else {
            throw FuzzFinding("unclear configuration error: \(error)")
        }
        let aboutTheAddress = error.message.hasPrefix("url must") || error.message.hasPrefix("filer must")
        if aboutTheAddress, error.message.contains(":pw@") {
            throw FuzzFinding("the password of a URL reached a configuration error: \(error)")
        }
    }
}
