import ConfigModel
import Foundation
import Logging
import StandardDrivers
import StorageKit
import Testing

/// Issue 18: what each driver can do is declared once, in its descriptor; the capability matrix of
/// Documentation/storage/README.md is rendered from those declarations and kept current by a test.
@Suite("Standard drivers: declared capabilities and the capability matrix")
struct CapabilityMatrixTests {
    /// How to build each registered driver without an appliance (building does no I/O): its section, the
    /// credentials file it reads (name and text) and the environment. Keyed by the descriptor's name.
    static let buildable:
        [String: (section: String, credentials: (file: String, text: String)?, env: [String: String])] = [
            "localfs": ("", nil, [:]),
            "btrfs": ("[btrfs]\n", nil, [:]),
            // With mounthost: without one its clones are also local (a capability the descriptor cannot declare).
            "openzfs": ("[openzfs]\ndataset: tank/backup\nmounthost: nfs1", nil, [:]),
            "zfssa": (
                "[zfssa]\nurl: https://127.0.0.1:9\npool: p\nproject: x",
                ("zfscredentials.cfg", "[zfscredentials]\nzfsuser: u\nzfspassword: p\n"), [:]
            ),
            "ontap": (
                "[netapp]\nfiler: 127.0.0.1\nvolumeprefix: bk_",
                ("netappcredentials.cfg", "[netappcredentials]\nuser: u\npassword: p\n"), [:]
            ),
            "softnas": (
                "[softnas]\nserveraddress: 127.0.0.1\npool: p",
                ("softnascredentials.cfg", "[credentials]\nuser: u\npassword: p\n"), [:]
            ),
            "huaweidorado": (
                "[huaweidorado]\nurl: https://127.0.0.1:9\nvstore: v\nmounthost: m\nrestorenfsclient: c", nil,
                ["DBBACKUPSUITE_HUAWEI_USER": "u", "DBBACKUPSUITE_HUAWEI_PASSWORD": "p"]
            ),
        ]

    /// Every registered driver, built from a configuration, says it can do exactly what its descriptor declares:
    /// the matrix (rendered from descriptors) is what the tools find when they ask a driver.
    @Test func everyBuiltDriverHasItsDescriptorsCapabilities() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for registration in StandardDrivers.registry.registrations where registration.isAvailable {
            let descriptor = registration.descriptor
            guard let setup = Self.buildable[descriptor.name] else {
                Issue.record(
                    "driver \(descriptor.name) has no test configuration: add one to CapabilityMatrixTests.buildable")
                continue
            }
            if let credentials = setup.credentials {
                _ = FileManager.default.createFile(
                    atPath: directory + "/" + credentials.file, contents: Data(credentials.text.utf8),
                    attributes: [.posixPermissions: 0o600])
            }
            let shared = configuration(
                setup.section, module: descriptor.moduleNames[0], directory: directory, environment: setup.env)
            let driver = try StandardDrivers.driver(
                for: try shared.database("orcl", for: [.storage]), configuration: shared,
                logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
            #expect(driver.vendor == descriptor.name)
            #expect(
                driver.capabilities == descriptor.capabilities,
                "\(descriptor.name): built \(driver.capabilities.names), declared \(descriptor.capabilities.names)")
        }
    }

    /// A new capability flag needs its column, or the matrix would silently leave it out.
    @Test func everyCapabilityFlagHasAColumn() {
        let shown = CapabilityMatrix.columns.compactMap(\.capability).reduce(StorageCapabilities()) { $0.union($1) }
        let every = StorageCapabilities(rawValue: ~0)
        #expect(shown.names == every.names, "no column for \(Set(every.names).subtracting(shown.names).sorted())")
        #expect(CapabilityMatrix.columns.map(\.title).contains("replication"))
    }

    @Test func theMatrixShowsEachDriversDeclarations() throws {
        let rows = CapabilityMatrix.markdown().split(separator: "\n").filter { $0.hasPrefix("| `") }
        #expect(rows.count == StandardDrivers.registry.registrations.count)
        let titles = CapabilityMatrix.columns.map(\.title)
        func cell(_ module: String, _ title: String) throws -> String {
            let row = try #require(rows.first { $0.hasPrefix("| `\(module)`") }, "no row for \(module)")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return cells[1 + (try #require(titles.firstIndex(of: title)))]
        }
        #expect(rows.contains { $0.hasPrefix("| `netapp` / `ontap` |") })
        #expect(rows.contains { $0.hasPrefix("| `huawei` / `huaweidorado` |") })
        #expect(try cell("softnas", "clones") == "no")
        #expect(try cell("softnas", "server-named snapshots") == "yes")
        #expect(try cell("zfssa", "locks") == "yes")
        #expect(try cell("huawei", "locks") == "no")
        #expect(try cell("localfs", "local clones") == "yes")
        #expect(try cell("netapp", "replication") == "yes")
        #expect(try cell("softnas", "replication") == "no")
        #expect(try cell("btrfs", "replication") == "yes")
        #expect(try cell("openzfs", "replication") == "yes")
    }

    /// The block in Documentation/storage/README.md is the current rendering. With `OIB_UPDATE_DOCS=1` (what
    /// Scripts/capability-matrix.sh sets) the test rewrites the block instead of failing.
    @Test func theCommittedMatrixIsCurrent() throws {
        let path = packageRoot + "/Documentation/storage/README.md"
        let document = try String(contentsOfFile: path, encoding: .utf8)
        let current = try #require(
            CapabilityMatrix.replacingBlock(in: document),
            "\(path) has no \(CapabilityMatrix.beginMarker) ... \(CapabilityMatrix.endMarker) block")
        guard current != document else { return }
        if ProcessInfo.processInfo.environment["OIB_UPDATE_DOCS"] == "1" {
            try current.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        Issue.record(
            """
            \(path): the capability matrix is out of date (a driver's declared capabilities or the registry changed).
            Regenerate it with Scripts/capability-matrix.sh (runs this test with OIB_UPDATE_DOCS=1) and commit it.
            Expected block:
            \(CapabilityMatrix.markdown())
            """)
    }
}
