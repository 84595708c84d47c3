import BackupCommands
import BackupEngine
import ConfigModel
import Foundation
import StandardDrivers
import StorageKit
import StorageRetention
import Testing

/// The configuration reference is generated from the key catalogues (ConfigModel's, StorageRetention's, each
/// driver's descriptor): the committed `Documentation/configuration.md` must hold exactly the generated block, and
/// the catalogues must name exactly the keys the readers read — a key read without an entry, or an entry nobody
/// reads, fails here.
@Suite("configuration reference is generated from the key catalogues")
struct ConfigurationReferenceGenerationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let database = "orcl"

    /// A configuration for `database` naming storage module `module`, every shared key set (so that the keys read
    /// only when others are present are read too).
    static func configuration(module: String, retention: String) -> BackupConfiguration {
        let text = """
            [generic]
            snappermodule: \(module)
            backupdest: /backup
            logretention: 7
            tnsadmin: /tns
            osuser: oracle
            oraclehome: /u01/home
            maxlockwait: 5
            warningsnapage: 10
            criticalsnapage: 20
            timeoutrman: 100
            [rman]
            catalog: /@rman
            [autorestore]
            autorestoredestination: /restore/work
            autorestorecatalog: /@autorestore
            [\(database)]
            dbid: 1234
            recoverywindow: 2
            parallel: 2
            snaplockdays: 0
            \(retention)
            [replication]
            enabled: TRUE
            transfertimeout: 3600
            warningsnapage: 30
            criticalsnapage: 40
            """
        return BackupConfiguration(
            text: text, path: "/nonexistent/backup.cfg", environment: [:], storageModules: StandardDrivers.registry)
    }

    /// The section a recorded read belongs to in the catalogue: the database's own section is
    /// ``ConfigKeyReference/databaseSection``.
    static func catalogued(_ read: ConfigKeyRead) -> ConfigKeyRead {
        read.section == database ? ConfigKeyRead(section: ConfigKeyReference.databaseSection, key: read.key) : read
    }

    /// Every key read while checking the configuration of each module, the retention settings and the settings
    /// report (`showconfig`), per module.
    static func readsByModule() -> [String: Set<ConfigKeyRead>] {
        var reads: [String: Set<ConfigKeyRead>] = [:]
        for descriptor in StandardDrivers.registry.descriptors {
            let module = descriptor.moduleNames[0]
            var found: Set<ConfigKeyRead> = []
            for retention in ["snapexpirationdays: 7", "snapretention: gfs\nsnapkeeplast: 3"] {
                let configuration = configuration(module: module, retention: retention)
                found.formUnion(
                    ConfigKeyReads.recording {
                        _ = configuration.validateAll()
                        let (settings, _) = configuration.databaseCollectingProblems(database, for: .everything)
                        _ = try? configuration.retentionConfiguration(database: database)
                        _ = ConfigurationCheck(configuration: configuration, registry: StandardDrivers.registry).run()
                        if let settings {
                            _ = StandardDrivers.registry.settingsReport(for: settings, in: configuration)
                        }
                    })
            }
            // In [replication] only its own keys are its entries: the replica driver's keys there are its storage
            // section's, its retention keys a database section's (both catalogued and checked there).
            let own = Set(ConfigKeyReference.replication.map(\.key))
            reads[module] = Set(
                found.filter { $0.section != ConfigKeyReference.replicationSection || own.contains($0.key) }
                    .map(catalogued))
        }
        return reads
    }

    @Test func committedPageIsTheGeneratedText() throws {
        let page = try String(
            contentsOfFile: Self.repository + "/Documentation/configuration.md", encoding: .utf8)
        let generated = ConfigurationReference.markdown()
        let updated = try #require(
            ConfigurationReference.replacingBlock(in: page, with: generated),
            "Documentation/configuration.md has no \(ConfigurationReference.beginMarker) block")
        #expect(
            updated == page,
            "Documentation/configuration.md differs from the key catalogues: run Scripts/config-reference.sh")
    }

    @Test func everyKeyReadIsCatalogued() {
        let catalogue = ConfigurationReference.catalogue()
        var modules: [ConfigKeyRead: String] = [:]
        for (module, reads) in Self.readsByModule().sorted(by: { $0.key < $1.key }) {
            for read in reads where modules[read] == nil { modules[read] = module }
        }
        for (read, module) in modules.sorted(by: { $0.key.description < $1.key.description }) {
            let entry = catalogue.first { $0.section == read.section && $0.matches(read.key) }
            #expect(
                entry != nil,
                "\(read) is read (module \(module)) but has no ConfigKeyReference entry: add one next to its reader")
        }
    }

    @Test func everyCatalogueEntryIsRead() {
        let reads = Self.readsByModule().values.reduce(into: Set<ConfigKeyRead>()) { $0.formUnion($1) }
        for entry in ConfigurationReference.catalogue() {
            let read = reads.contains { $0.section == entry.section && entry.matches($0.key) }
            #expect(read, "[\(entry.section)] \(entry.key) is documented but no reader reads it")
        }
    }

    @Test func entriesAreUniqueAndComplete() {
        var seen: Set<String> = []
        for entry in ConfigurationReference.catalogue() {
            let id = "[\(entry.section)] \(entry.key)"
            #expect(seen.insert(id).inserted, "\(id) is documented twice")
            #expect(!entry.meaning.isEmpty && !entry.readBy.isEmpty, "\(id) has no meaning or reader")
            #expect(entry.key == entry.key.lowercased(), "\(id) is not lower-case")
        }
    }

    @Test func descriptorKeysAreTheDocumentedKeys() {
        for descriptor in StandardDrivers.registry.descriptors {
            let documented = descriptor.keyReference.map(\.key)
            #expect(
                Set(documented) == Set(descriptor.keys),
                "[\(descriptor.sectionName)]: descriptor keys \(descriptor.keys.sorted()) vs documented \(documented.sorted())"
            )
            for entry in descriptor.keyReference {
                #expect(entry.section == descriptor.sectionName, "\(entry.key) documented under [\(entry.section)]")
                let required = descriptor.requiredKeys.contains(entry.key)
                #expect(
                    (entry.requiredFor != nil) == required,
                    "[\(descriptor.sectionName)] \(entry.key): required \(required), documented \(entry.requiredFor ?? "optional")"
                )
            }
        }
    }

    @Test func builtInDefaultsAreTheDocumentedDefaults() {
        let defaults = BackupConfiguration(text: "", path: "/nonexistent/backup.cfg").document.defaults.entries
        #expect(defaults.count >= 10)
        let catalogue = ConfigurationReference.sharedKeys
        for entry in defaults where !entry.rawValue.isEmpty {
            let documented = catalogue.first { $0.key == entry.key }
            // The documented value itself (backticks aside), optionally followed by words: `300` must not pass
            // for a documented `3000`.
            let text = (documented?.defaultValue ?? "").replacingOccurrences(of: "`", with: "").lowercased()
            let raw = entry.rawValue.lowercased()
            #expect(
                text == raw || text.hasPrefix(raw + " ") || text.hasPrefix(raw + ","),
                "built-in default \(entry.key) = \(entry.rawValue), documented \(documented?.defaultValue ?? "none")")
        }
    }
}
