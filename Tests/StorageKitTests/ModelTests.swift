import Foundation
import Logging
import StorageKit
import StorageKitTesting
import Testing

@Suite("JSON encodings")
struct JSONTests {
    @Test("snapshot JSON has explicit nulls and a UTC instant")
    func snapshotJSON() throws {
        let creation = try #require(StorageJSON.parseISO8601("2016-10-17T07:39:14Z"))
        let snapshot = Snapshot(id: "orcl-1", creation: creation, spaceTotal: 1024, spaceUnique: nil, cloneCount: 2)
        let text = try StorageJSON.string(snapshot)
        #expect(text.contains(#""creation" : "2016-10-17T07:39:14Z""#))
        #expect(text.contains(#""spaceUnique" : null"#))
        #expect(text.contains(#""spaceTotal" : 1024"#))
        #expect(text.contains(#""cloneCount" : 2"#))
        let decoded = try JSONDecoder().decode(Snapshot.self, from: Data(text.utf8))
        #expect(decoded == snapshot)
    }

    @Test("clone and volume JSON round-trip, unknown mount point is null")
    func cloneJSON() throws {
        let clone = Clone(name: "c", originVolume: "orcl", originSnapshot: "orcl-1", mountPoint: nil)
        let text = try StorageJSON.string([clone])
        #expect(text.contains(#""mountPoint" : null"#))
        #expect(text.contains("originSnapshot"))
        #expect(try JSONDecoder().decode([Clone].self, from: Data(text.utf8)) == [clone])
        let volume = Volume(name: "orcl", mountPoint: "/b/orcl", spaceUsed: nil)
        #expect(try JSONDecoder().decode(Volume.self, from: try StorageJSON.makeEncoder().encode(volume)) == volume)
    }

    @Test("a malformed creation time is rejected")
    func badCreation() {
        let text = #"{"id":"x","creation":"yesterday","spaceTotal":null,"spaceUnique":null,"cloneCount":0}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Snapshot.self, from: Data(text.utf8)) }
    }
}

@Suite("StorageError")
struct StorageErrorTests {
    @Test("description names vendor, operation, code and HTTP status")
    func description() {
        let error = StorageError(
            .notFound, vendor: "zfssa", operation: "deleteSnapshot", status: 404, message: "no such snapshot")
        #expect(error.description == "zfssa deleteSnapshot failed (not found, HTTP 404): no such snapshot")
        let local = StorageError(.hasClones, vendor: "btrfs", operation: "deleteSnapshot", message: "1 clone")
        #expect(local.description == "btrfs deleteSnapshot failed (has clones): 1 clone")
    }

    @Test("codes are extensible and compare by value")
    func codes() {
        let custom = StorageError.Code("job failed")
        #expect(custom == StorageError.Code("job failed"))
        #expect(custom != .commandFailed)
    }
}

@Suite("Driver registry")
struct RegistryTests {
    func registry() -> StorageDriverRegistry {
        var registry = StorageDriverRegistry()
        let backend = InMemoryStorageBackend()
        registry.register("Memory") { configuration throws(StorageError) in
            InMemoryStorageDriver(volumeName: configuration.databaseName, backend: backend)
        }
        return registry
    }

    @Test("drivers are found case-insensitively and bound to the database")
    func lookup() throws {
        let driver = try registry().makeDriver(
            named: "MEMORY", configuration: StorageDriverConfiguration(databaseName: "orcl", logger: Logger(label: "t"))
        )
        #expect(driver.volumeName == "orcl")
        #expect(driver.vendor == "memory")
        #expect(registry().names == ["memory"])
        #expect(registry().contains("memory"))
    }

    @Test("unknown drivers are a configuration error listing the known ones")
    func unknown() {
        #expect {
            _ = try registry().makeDriver(
                named: "zfssa",
                configuration: StorageDriverConfiguration(databaseName: "orcl", logger: Logger(label: "t")))
        } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.code == .invalidConfiguration && error.message.contains("memory")
        }
    }

    @Test("settings are case-insensitive; empty counts as missing")
    func settings() {
        let configuration = StorageDriverConfiguration(
            databaseName: "orcl", settings: ["BackupDest": "/b", "localfsroot": ""], logger: Logger(label: "t"))
        #expect(configuration.setting("backupdest") == "/b")
        #expect(configuration.setting("LOCALFSROOT") == nil)
        #expect(configuration.setting(firstOf: ["localfsroot", "backupdest"]) == "/b")
        #expect(throws: StorageError.self) { try configuration.requiredSetting("zfsuser", vendor: "zfssa") }
    }

    @Test("capability names")
    func capabilityNames() {
        #expect(StorageCapabilities([.clone, .lock]).names == ["clone", "lock"])
    }
}
