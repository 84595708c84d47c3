import Foundation
import Logging
import StorageHTTP
import StorageHuaweiDorado
import StorageKit
import StorageKitTesting
import StorageSimulator
import Testing

/// Clone creation that fails half-way removes what it made (shares first, then the file system), and says at error
/// level what is left and how to remove it when it cannot; a listing is bound to the array it came from.
@Suite(
    "Dorado: half-made clones are removed; listings are bound to their array",
    .enabled(if: opensslAvailable, opensslReason))
struct DoradoCleanupTests {
    static let history = SimulatorSeed(shares: [
        .init(
            name: "orcl", project: testVStore,
            snapshots: [.init(name: "orcl-20161108T205336", creation: utc("2016-11-08T20:53:36Z"))])
    ])

    /// The POST of the clone succeeds without giving its id and the look-up for it fails: the clone is looked up
    /// again and removed.
    @Test("clone created, id unknown: the clone is removed again")
    func unknownCloneIDIsCleanedUp() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.addFault(
                FaultRule(.lostReply, method: "POST", pathContains: "/filesystem", status: 200, code: "0"))
            await fixture.engine.addFault(
                FaultRule(.status, method: "GET", pathContains: "orcl_clone", skip: 1, status: 200, code: "1"))
            let error = await storageError { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            }
            #expect(error != nil)
            #expect(await fixture.engine.shareExists(named: "orcl_clone", project: testVStore) == false)
            #expect(try await driver.listClones().isEmpty)
        }
    }

    /// The same, but the clone cannot be found for the clean-up either: an error line names it and the command.
    @Test("clone created, id unknown and not found again: an error line names the clone and dropclone")
    func unknownCloneIDIsReported() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let (logger, recorder) = RecordingLogHandler.makeLogger(label: "dorado-cleanup")
            let driver = try fixture.driver("orcl", logger: logger)
            await fixture.engine.addFault(
                FaultRule(.lostReply, method: "POST", pathContains: "/filesystem", status: 200, code: "0"))
            await fixture.engine.addFault(
                FaultRule(
                    .status, method: "GET", pathContains: "orcl_clone", skip: 1, times: nil, status: 200, code: "1"))
            let error = await storageError { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            }
            #expect(error != nil)
            let errors = recorder.messages(at: .error)
            #expect(errors.contains { $0.contains("snapper orcl dropclone orcl_clone") }, "\(errors)")
        }
    }

    /// The share's POST succeeds but its answer is lost: the share is found by FSID and deleted before the file
    /// system (the array refuses a file system with shares).
    @Test("share created, answer lost: share and clone are removed, shares first")
    func lostShareReplyIsCleanedUp() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let driver = try fixture.driver("orcl")
            await fixture.engine.addFault(FaultRule(.lostReply, method: "POST", pathContains: "NFSHARE", status: 502))
            let error = await storageError { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            }
            #expect(error != nil)
            #expect(await fixture.engine.shareExists(named: "orcl_clone", project: testVStore) == false)
            #expect(try await driver.listClones().isEmpty)
            let deletes = await fixture.engine.requestLog().filter { $0.method == "DELETE" && $0.errorCode == 0 }
            #expect(deletes.map { $0.target.contains("/NFSHARE/") } == [true, false], "\(deletes)")
        }
    }

    /// A clean-up step that fails is logged at error level with what remains and the command that removes it.
    @Test("a failed clean-up is logged with what remains and snapper <db> dropclone <name>")
    func failedCleanupIsReported() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let (logger, recorder) = RecordingLogHandler.makeLogger(label: "dorado-cleanup")
            let driver = try fixture.driver("orcl", logger: logger)
            await fixture.engine.addFault(FaultRule(.lostReply, method: "POST", pathContains: "NFSHARE", status: 502))
            await fixture.engine.addFault(
                FaultRule(.status, method: "DELETE", pathContains: "/filesystem/", times: nil, status: 200, code: "1"))
            let error = await storageError { () async throws(StorageError) in
                try await driver.cloneSnapshot(id: "orcl-20161108T205336", cloneName: "orcl_clone")
            }
            #expect(error != nil)
            let errors = recorder.messages(at: .error)
            #expect(
                errors.contains { $0.contains("orcl_clone") && $0.contains("snapper orcl dropclone orcl_clone") },
                "\(errors)")
        }
    }

    /// A listing from array A handed to the driver of array B (a replica with the same names) is refused before any
    /// request: the internal ids mean other things on B.
    @Test("a snapshot listed from another array's URL is refused with notOwned; nothing is sent")
    func listingFromAnotherArray() async throws {
        try await withDorado(seed: Self.history) { fixture in
            let listed = try await fixture.driver("orcl").listSnapshots()
            let snapshot = try #require(listed.first)
            let other = try HuaweiDoradoDriver(
                volumeName: "orcl", url: "https://dorado-replica.example.com:8088", vstore: testVStore,
                mountHost: "dorado-nfs", restoreNFSClient: "10.20.30.40",
                credential: StorageCredential(user: "admin", password: "secret"), transport: NoNetwork(),
                logger: Logger(label: "dorado-test") { _ in SwiftLogNoOpLogHandler() })
            await fixture.engine.clearLog()
            let error = await storageError { () async throws(StorageError) in
                try await other.deleteListedSnapshot(snapshot)
            }
            #expect(error?.code == .notOwned, "\(String(describing: error))")
            #expect(await fixture.engine.requestLog().allSatisfy { $0.method != "DELETE" })
        }
    }
}
