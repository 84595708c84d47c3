import Foundation
import StorageKit

/// What a driver's test target provides so the shared suite can exercise it.
public protocol StorageConformanceHarness: Sendable {
    /// A driver bound to database `database` whose volume exists and has no snapshots. Called several times per
    /// check with distinct names (own database and a foreign one on the same storage).
    func makeDriver(database: String) async throws -> any StorageDriver
    /// Creates an object that is **not** a clone, named `name`, where the driver looks for clones (a plain
    /// directory, a non-clone filesystem). Returns `false` when the back-end cannot hold such an object.
    func makeNonCloneLookAlike(named name: String) async throws -> Bool
    /// Whether the look-alike `name` still exists.
    func lookAlikeExists(named name: String) async throws -> Bool
}

/// A conformance check that did not hold.
public struct ConformanceFailure: Error, CustomStringConvertible, Sendable {
    /// The check's name (a ``StorageConformanceSuite/Check`` raw value, or `all`).
    public var check: String
    /// What did not hold.
    public var message: String
    public var description: String { "conformance check '\(check)' failed: \(message)" }
}

/// One suite every storage driver (and simulator-backed driver) must pass; see
/// `Documentation/storage/driver-protocol.md`. Typical use from Swift Testing:
///
/// ```swift
/// @Test(arguments: StorageConformanceSuite.Check.allCases)
/// func conformance(_ check: StorageConformanceSuite.Check) async throws {
///     try await StorageConformanceSuite(harness: MyHarness()).run(check)
/// }
/// ```
public struct StorageConformanceSuite: Sendable {
    /// The individual checks, runnable one by one (one Swift Testing case each).
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        case newVolumeHasNoSnapshots
        case createListDeleteSnapshot
        case creationTimesAreUTCInstantsInOrder
        case duplicateSnapshotNameIsRejected
        case missingSnapshotIsNotFound
        case otherVolumesSnapshotsAreInvisible
        case snapshotOfOtherVolumeCannotBeDeleted
        case cloneListAndDrop
        case snapshotWithCloneCannotBeDeleted
        case duplicateCloneNameIsRejected
        case cloneOfMissingSnapshotIsNotFound
        case dropOfMissingCloneIsNotFound
        case cloneOfOtherVolumeCannotBeDropped
        case volumeItselfCannotBeDroppedAsClone
        case nonCloneLookAlikeCannotBeDropped
        case spaceFiguresAreConsistent
        case unsupportedOperationsSayUnsupported

        public var description: String { rawValue }
    }

    /// The driver's test harness.
    public let harness: any StorageConformanceHarness
    /// Start of the generated database names.
    public let databasePrefix: String

    /// - Parameter databasePrefix: start of the generated database names (keep it short and lower-case).
    public init(harness: any StorageConformanceHarness, databasePrefix: String = "cf") {
        self.harness = harness
        self.databasePrefix = databasePrefix
    }

    /// Runs every check and throws one ``ConformanceFailure`` listing all that failed.
    public func runAll() async throws {
        var failures: [String] = []
        for check in Check.allCases {
            do { try await run(check) } catch { failures.append("\(check): \(error)") }
        }
        if !failures.isEmpty {
            throw ConformanceFailure(check: "all", message: failures.joined(separator: "\n"))
        }
    }

    /// Runs one check; throws ``ConformanceFailure`` (or the unexpected error) when it does not hold.
    public func run(_ check: Check) async throws {
        var context = Context(check: check, harness: harness, prefix: databasePrefix)
        do {
            try await context.run()
        } catch let failure as ConformanceFailure {
            throw failure
        } catch {
            throw ConformanceFailure(check: check.rawValue, message: "unexpected error: \(error)")
        }
    }
}

private struct Context {
    let check: StorageConformanceSuite.Check
    let harness: any StorageConformanceHarness
    let prefix: String

    init(check: StorageConformanceSuite.Check, harness: any StorageConformanceHarness, prefix: String) {
        self.check = check
        self.harness = harness
        self.prefix = prefix
    }

    func uniqueName(_ role: String) -> String {
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()
        return "\(prefix)\(role)\(token)"
    }

    func driver(_ role: String = "db") async throws -> any StorageDriver {
        try await harness.makeDriver(database: uniqueName(role))
    }

    func fail(_ message: String) -> ConformanceFailure {
        ConformanceFailure(check: check.rawValue, message: message)
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw fail(message()) }
    }

    /// Runs `body`, which must fail with one of `codes`.
    func expectError<T>(
        _ codes: Set<StorageError.Code>, _ what: String, _ body: () async throws(StorageError) -> T
    ) async throws {
        do {
            _ = try await body()
        } catch {
            try expect(
                codes.contains(error.code),
                "\(what): expected \(codes.map(\.rawValue).sorted().joined(separator: " or ")), got \(error)")
            try expect(!error.vendor.isEmpty && !error.operation.isEmpty, "\(what): error lacks vendor or operation")
            return
        }
        throw fail("\(what): succeeded, expected \(codes.map(\.rawValue).sorted().joined(separator: " or "))")
    }

    func snapshotName(_ driver: any StorageDriver, _ suffix: String) -> String {
        "\(driver.volumeName)-\(suffix)"
    }

    func requireClones(_ driver: any StorageDriver) -> Bool {
        driver.capabilities.contains(.clone)
    }

    mutating func run() async throws {
        switch check {
        case .newVolumeHasNoSnapshots:
            let driver = try await driver()
            try expect(try await driver.listSnapshots().isEmpty, "a new volume lists snapshots")
            let volume = try await driver.volumeInfo()
            try expect(volume.name == driver.volumeName, "volumeInfo names \(volume.name), not \(driver.volumeName)")

        case .createListDeleteSnapshot:
            let driver = try await driver()
            let first = try await driver.createSnapshot(named: snapshotName(driver, "a"))
            let second = try await driver.createSnapshot(named: snapshotName(driver, "b"))
            if !driver.capabilities.contains(.serverNamedSnapshots) {
                try expect(first.id == snapshotName(driver, "a"), "created id \(first.id) differs from the name given")
            }
            var ids = Set(try await driver.listSnapshots().map(\.id))
            try expect(ids == [first.id, second.id], "listing shows \(ids.sorted()), expected both snapshots")
            try await driver.deleteSnapshot(id: first.id)
            ids = Set(try await driver.listSnapshots().map(\.id))
            try expect(ids == [second.id], "after delete the listing shows \(ids.sorted())")
            for snapshot in try await driver.listSnapshots() {
                try expect(
                    snapshot.cloneCount == 0,
                    "snapshot without clones reports clones=\(DisplayFormat.count(snapshot.cloneCount))")
            }

        case .creationTimesAreUTCInstantsInOrder:
            let driver = try await driver()
            let before = Date()
            let first = try await driver.createSnapshot(named: snapshotName(driver, "first"))
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await driver.createSnapshot(named: snapshotName(driver, "second"))
            let after = Date()
            let listed = try await driver.listSnapshots()
            for snapshot in listed {
                // Whole-second back-ends truncate; a time-zone mistake would be off by hours.
                try expect(
                    snapshot.creation >= before.addingTimeInterval(-2)
                        && snapshot.creation <= after.addingTimeInterval(2),
                    "creation \(snapshot.creation) of \(snapshot.id) is not between \(before) and \(after)")
            }
            let sorted = listed.sortedByCreation().map(\.id)
            try expect(sorted == [first.id, second.id], "sorted by creation gives \(sorted)")
            let newestFirst = try await driver.listSnapshots(sortedByCreation: true, newestFirst: true).map(\.id)
            try expect(newestFirst == [second.id, first.id], "newest first gives \(newestFirst)")

        case .duplicateSnapshotNameIsRejected:
            let driver = try await driver()
            guard !driver.capabilities.contains(.serverNamedSnapshots) else { return }
            let name = snapshotName(driver, "dup")
            _ = try await driver.createSnapshot(named: name)
            try await expectError([.alreadyExists], "second snapshot named \(name)") { () async throws(StorageError) in
                try await driver.createSnapshot(named: name)
            }
            try expect(try await driver.listSnapshots().count == 1, "duplicate create changed the listing")

        case .missingSnapshotIsNotFound:
            let driver = try await driver()
            try await expectError([.notFound], "delete of a missing snapshot") { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: snapshotName(driver, "missing"))
            }

        case .otherVolumesSnapshotsAreInvisible:
            let own = try await driver("own")
            let foreign = try await driver("other")
            let foreignSnapshot = try await foreign.createSnapshot(named: snapshotName(foreign, "x"))
            let ownIDs = try await own.listSnapshots().map(\.id)
            try expect(!ownIDs.contains(foreignSnapshot.id), "another volume's snapshot appears in the listing")
            try expect(ownIDs.isEmpty, "own listing is not empty: \(ownIDs)")

        case .snapshotOfOtherVolumeCannotBeDeleted:
            let own = try await driver("own")
            let foreign = try await driver("other")
            let foreignSnapshot = try await foreign.createSnapshot(named: snapshotName(foreign, "x"))
            try await expectError([.notFound, .notOwned], "delete of another volume's snapshot") {
                () async throws(StorageError) in
                try await own.deleteSnapshot(id: foreignSnapshot.id)
            }
            let stillThere = try await foreign.listSnapshots().map(\.id)
            try expect(stillThere.contains(foreignSnapshot.id), "another volume's snapshot was deleted")

        case .cloneListAndDrop:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            let snapshot = try await driver.createSnapshot(named: snapshotName(driver, "s"))
            let cloneName = SnapshotNaming.cloneName(snapshot: snapshot.id, date: Date())
            let clone = try await driver.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
            try expect(clone.name == cloneName, "clone is named \(clone.name), expected \(cloneName)")
            try expect(clone.originSnapshot == snapshot.id, "clone origin is \(clone.originSnapshot)")
            try expect(clone.originVolume == driver.volumeName, "clone origin volume is \(clone.originVolume)")
            try expect(!driver.mountString(clone: clone).isEmpty, "empty mount string")
            if driver.capabilities.contains(.listClones) {
                let listed = try await driver.listClones()
                try expect(listed.map(\.name) == [cloneName], "listClones shows \(listed.map(\.name))")
                try expect(
                    listed.first?.originSnapshot == snapshot.id,
                    "listed clone has origin \(listed.first?.originSnapshot ?? "-")")
            }
            let info = try await driver.cloneInfo(name: cloneName)
            try expect(info.originSnapshot == snapshot.id, "cloneInfo origin is \(info.originSnapshot)")
            let counted = try await driver.listSnapshots().first { $0.id == snapshot.id }
            try expect(
                counted?.cloneCount == 1,
                "snapshot with one clone reports clones=\(DisplayFormat.count(counted?.cloneCount))")
            try await driver.dropClone(name: cloneName)
            if driver.capabilities.contains(.listClones) {
                try expect(try await driver.listClones().isEmpty, "clone still listed after drop")
            }
            let after = try await driver.listSnapshots().first { $0.id == snapshot.id }
            try expect(
                after?.cloneCount == 0,
                "after drop the snapshot reports clones=\(DisplayFormat.count(after?.cloneCount))")

        case .snapshotWithCloneCannotBeDeleted:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            let snapshot = try await driver.createSnapshot(named: snapshotName(driver, "s"))
            let cloneName = uniqueName("clone")
            _ = try await driver.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
            try await expectError([.hasClones], "delete of a snapshot with a clone") { () async throws(StorageError) in
                try await driver.deleteSnapshot(id: snapshot.id)
            }
            try expect(
                try await driver.listSnapshots().contains { $0.id == snapshot.id }, "snapshot with a clone was deleted")
            try await driver.dropClone(name: cloneName)
            try await driver.deleteSnapshot(id: snapshot.id)
            try expect(try await driver.listSnapshots().isEmpty, "snapshot still listed after clone and snapshot drop")

        case .duplicateCloneNameIsRejected:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            let snapshot = try await driver.createSnapshot(named: snapshotName(driver, "s"))
            let cloneName = uniqueName("clone")
            _ = try await driver.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
            try await expectError([.alreadyExists], "second clone named \(cloneName)") {
                () async throws(StorageError) in
                try await driver.cloneSnapshot(id: snapshot.id, cloneName: cloneName)
            }
            try await expectError([.alreadyExists], "clone named like the volume") { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: snapshot.id, cloneName: driver.volumeName)
            }
            try await driver.dropClone(name: cloneName)

        case .cloneOfMissingSnapshotIsNotFound:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            try await expectError([.notFound], "clone of a missing snapshot") { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: snapshotName(driver, "missing"), cloneName: uniqueName("clone"))
            }

        case .dropOfMissingCloneIsNotFound:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            try await expectError([.notFound], "drop of a missing clone") { () async throws(StorageError) in
                try await driver.dropClone(name: uniqueName("clone"))
            }
            try await expectError([.notFound], "cloneInfo of a missing clone") { () async throws(StorageError) in
                try await driver.cloneInfo(name: uniqueName("clone"))
            }

        case .cloneOfOtherVolumeCannotBeDropped:
            let own = try await driver("own")
            let foreign = try await driver("other")
            guard requireClones(own) else { return }
            _ = try await own.createSnapshot(named: snapshotName(own, "s"))
            let foreignSnapshot = try await foreign.createSnapshot(named: snapshotName(foreign, "s"))
            let foreignClone = uniqueName("clone")
            _ = try await foreign.cloneSnapshot(id: foreignSnapshot.id, cloneName: foreignClone)
            try await expectError([.notOwned], "drop of another database's clone") { () async throws(StorageError) in
                try await own.dropClone(name: foreignClone)
            }
            try await expectError([.notOwned], "cloneInfo of another database's clone") {
                () async throws(StorageError) in
                try await own.cloneInfo(name: foreignClone)
            }
            try await expectError([.notFound, .notOwned], "clone of another database's snapshot") {
                () async throws(StorageError) in
                try await own.cloneSnapshot(id: foreignSnapshot.id, cloneName: uniqueName("clone"))
            }
            if own.capabilities.contains(.listClones) {
                try expect(try await own.listClones().isEmpty, "another database's clone appears in listClones")
                try expect(
                    try await foreign.listClones().map(\.name) == [foreignClone], "another database's clone is gone")
            }
            try await foreign.dropClone(name: foreignClone)

        case .volumeItselfCannotBeDroppedAsClone:
            // Also for drivers without clones, whose dropClone must refuse (`.unsupported`) rather than delete a
            // volume by name, as the original's SoftNAS plug-in did.
            let own = try await driver("own")
            let foreign = try await driver("other")
            let refusals: Set<StorageError.Code> =
                requireClones(own) ? [.notAClone, .notOwned, .notFound] : [.unsupported]
            let snapshot = try await own.createSnapshot(named: snapshotName(own, "s"))
            _ = try await foreign.createSnapshot(named: snapshotName(foreign, "s"))
            for target in [own.volumeName, foreign.volumeName] {
                try await expectError(refusals, "dropClone of volume \(target)") {
                    () async throws(StorageError) in
                    try await own.dropClone(name: target)
                }
            }
            try expect(try await own.listSnapshots().map(\.id) == [snapshot.id], "own volume lost its snapshot")
            try expect(try await foreign.listSnapshots().count == 1, "other volume lost its snapshot")
            _ = try await own.volumeInfo()

        case .nonCloneLookAlikeCannotBeDropped:
            let driver = try await driver()
            guard requireClones(driver) else { return }
            let snapshot = try await driver.createSnapshot(named: snapshotName(driver, "s"))
            let name = SnapshotNaming.cloneName(snapshot: snapshot.id, date: Date())
            guard try await harness.makeNonCloneLookAlike(named: name) else { return }
            try await expectError([.notAClone, .notOwned], "drop of a non-clone named \(name)") {
                () async throws(StorageError) in
                try await driver.dropClone(name: name)
            }
            try expect(try await harness.lookAlikeExists(named: name), "the non-clone look-alike was deleted")
            if driver.capabilities.contains(.listClones) {
                try expect(try await driver.listClones().isEmpty, "a non-clone is listed as a clone")
            }

        case .spaceFiguresAreConsistent:
            let driver = try await driver()
            _ = try await driver.createSnapshot(named: snapshotName(driver, "a"))
            _ = try await driver.createSnapshot(named: snapshotName(driver, "b"))
            for snapshot in try await driver.listSnapshots() {
                if driver.capabilities.contains(.spaceUsage) {
                    try expect(
                        snapshot.spaceTotal != nil, "\(snapshot.id): driver claims spaceUsage but total is unknown")
                }
                if let total = snapshot.spaceTotal { try expect(total >= 0, "\(snapshot.id): negative total \(total)") }
                if let unique = snapshot.spaceUnique {
                    try expect(unique >= 0, "\(snapshot.id): negative unique \(unique)")
                    if let total = snapshot.spaceTotal {
                        try expect(unique <= total, "\(snapshot.id): unique \(unique) exceeds total \(total)")
                    }
                }
                try expect(snapshot.cloneCount.map { $0 >= 0 } ?? true, "\(snapshot.id): negative clone count")
            }

        case .unsupportedOperationsSayUnsupported:
            let driver = try await driver()
            let snapshot = try await driver.createSnapshot(named: snapshotName(driver, "s"))
            if !driver.capabilities.contains(.clone) {
                try await expectError([.unsupported], "cloneSnapshot without clone capability") {
                    () async throws(StorageError) in
                    try await driver.cloneSnapshot(id: snapshot.id, cloneName: uniqueName("clone"))
                }
            }
            if !driver.capabilities.contains(.lock) {
                try await expectError([.unsupported], "lockSnapshot without lock capability") {
                    () async throws(StorageError) in
                    try await driver.lockSnapshot(id: snapshot.id)
                }
            } else {
                // A lock with an expiry some seconds ahead: listed with it, deletion refused before it (also
                // unlocking), allowed after it. 15 s, so that a loaded machine still makes both refused calls
                // before the expiry.
                let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 15).rounded(.up))
                try await driver.lockSnapshot(id: snapshot.id, until: until)
                let listed = try await driver.listSnapshots().first { $0.id == snapshot.id }
                try expect(
                    listed?.isLocked == true
                        && listed?.lockedUntil.map { abs($0.timeIntervalSince(until)) < 1 } == true,
                    "a snapshot locked until \(until) lists as \(String(describing: listed))")
                try await expectError([.locked], "delete of a locked snapshot") { () async throws(StorageError) in
                    try await driver.deleteSnapshot(id: snapshot.id)
                }
                try await expectError([.locked], "unlock before the expiry") { () async throws(StorageError) in
                    try await driver.unlockSnapshot(id: snapshot.id)
                }
                try? await Task.sleep(for: .seconds(max(0, until.timeIntervalSinceNow) + 1.2))
                try await driver.unlockSnapshot(id: snapshot.id)
                try await driver.deleteSnapshot(id: snapshot.id)
            }
        }
    }
}

/// Harness for the in-memory driver: every driver shares one backend, look-alikes are plain filesystems.
public struct InMemoryConformanceHarness: StorageConformanceHarness {
    /// The appliance every driver of this harness shares.
    public let backend: InMemoryStorageBackend

    /// A harness on `backend` (a fresh one by default).
    public init(backend: InMemoryStorageBackend = InMemoryStorageBackend()) {
        self.backend = backend
    }

    /// A memory driver for `database`, its volume created.
    public func makeDriver(database: String) async throws -> any StorageDriver {
        let driver = InMemoryStorageDriver(volumeName: database, backend: backend)
        _ = try await driver.createVolume()
        return driver
    }

    /// Plants a plain filesystem named `name`.
    public func makeNonCloneLookAlike(named name: String) async throws -> Bool {
        await backend.createPlainFilesystem(named: name)
        return true
    }

    /// Whether the plain filesystem `name` is still there.
    public func lookAlikeExists(named name: String) async throws -> Bool {
        await backend.filesystemExists(named: name)
    }
}
