import Foundation
import StorageKit

/// Wraps a driver for `--dry-run`: listings are real (they change nothing), every change is printed instead.
public struct DryRunStorage: StorageDriver {
    public let base: any StorageDriver
    public let print: @Sendable (String) -> Void

    public init(base: any StorageDriver, print: @escaping @Sendable (String) -> Void) {
        self.base = base
        self.print = print
    }

    public var vendor: String { base.vendor }
    public var volumeName: String { base.volumeName }
    public var capabilities: StorageCapabilities { base.capabilities }

    public func snapshotName(for date: Date, timeZone: TimeZone) -> String {
        base.snapshotName(for: date, timeZone: timeZone)
    }

    public func listSnapshots() async throws(StorageError) -> [Snapshot] { try await base.listSnapshots() }

    public func createSnapshot(named name: String) async throws(StorageError) -> Snapshot {
        print("--- storage (\(vendor)) ---\ncreate snapshot \(name) of \(volumeName)")
        return Snapshot(id: name, creation: Date())
    }

    public func deleteSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\ndelete snapshot \(id) of \(volumeName)")
    }

    public func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        print("--- storage (\(vendor)) ---\nclone snapshot \(id) of \(volumeName) as \(cloneName)")
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: nil)
    }

    public func listClones() async throws(StorageError) -> [Clone] { try await base.listClones() }
    public func cloneInfo(name: String) async throws(StorageError) -> Clone { try await base.cloneInfo(name: name) }

    public func dropClone(name: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\ndrop clone \(name)")
    }

    public func mountString(clone: Clone) -> String { base.mountString(clone: clone) }

    public func createVolume() async throws(StorageError) -> Volume {
        print("--- storage (\(vendor)) ---\ncreate volume \(volumeName)")
        return Volume(name: volumeName, mountPoint: nil)
    }

    public func volumeInfo() async throws(StorageError) -> Volume { try await base.volumeInfo() }

    public func lockSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\nlock snapshot \(id)")
    }

    public func unlockSnapshot(id: String) async throws(StorageError) {
        print("--- storage (\(vendor)) ---\nunlock snapshot \(id)")
    }
}
