import Foundation
import Logging
import RetentionPolicy
import StorageKit
import StorageKitTesting
import StorageRetention
import Testing

/// Retention over a snapshot whose lock has expired but whose release the storage refuses (a ZFSSA account
/// without `releaseSnapRetention`, the recommended set-up for `snaplockdays`): the snapshot is kept with one
/// warning naming the remedy, and the run does not fail.
@Suite("Retention keeps an expired lock the account may not release")
struct LockReleaseRetentionTests {
    @Test("one warning for the snapshot, kept, retention succeeds; other drops go on")
    func keptWithOneWarning() async throws {
        let now = Date()
        let backend = InMemoryStorageBackend()
        for day in 0..<3 {
            await backend.addSnapshot(
                volume: "orcl", id: "orcl-new\(day)", creation: now.addingTimeInterval(-Double(day) * 86_400 - 60))
        }
        await backend.addSnapshot(volume: "orcl", id: "orcl-old1", creation: now.addingTimeInterval(-401 * 86_400))
        await backend.addSnapshot(volume: "orcl", id: "orcl-old2", creation: now.addingTimeInterval(-400 * 86_400))
        await backend.injectFailure(.lockReleaseRefused, on: "deleteSnapshot")
        let driver = InMemoryStorageDriver(volumeName: "orcl", backend: backend)
        let settings = ["snapexpirationdays": "7", "snapexpirationmonths": "0"]
        let configuration = try RetentionConfiguration(settings: { settings[$0] })
        let (logger, store) = RecordingLogHandler.makeLogger()

        let outcome = await SnapshotRetention.apply(
            storage: driver, configuration: configuration, verified: .known([]), now: now, logger: logger)

        #expect(outcome.succeeded, "\(outcome.summary)")
        #expect(outcome.failures.isEmpty)
        #expect(outcome.droppedCount == 1, "\(outcome.summary)")
        let warnings = store.messages(at: .warning)
        #expect(warnings.filter { $0.contains("orcl-old1") }.count == 1, "\(warnings)")
        #expect(warnings.count == 1, "\(warnings)")
        let left = try await driver.listSnapshots().map(\.id)
        #expect(left.contains("orcl-old1"))
        #expect(!left.contains("orcl-old2"))
    }
}
