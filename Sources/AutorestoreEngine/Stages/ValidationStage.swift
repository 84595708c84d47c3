import Foundation
import OracleTools

/// Validates every block of the restored database with RMAN and reads the corruption it found (the days the
/// validation schedule picks).
struct ValidationStage: Sendable {
    let context: RestoreContext
    /// NOLOGGING ranges found by the validation: a warning or a failure (`nologging` in `[autorestore]`).
    var nonloggedPolicy: FindingPolicy

    /// The `validate` phase: an RMAN block validation, then the corrupt and NOLOGGING block counts. The counts are
    /// read (and the corrupt one recorded) even when the validation failed.
    func run(_ instance: RestoreInstance) async throws {
        let oracle = instance.oracle
        let values = instance.values
        context.logger.info("ACTION: Validating database for corruptions")
        var rmanError: (any Error)?
        do {
            try await context.rman(oracle, "validateblocks", values)
            // Validation ran to the end (what it found is judged below): only now is the run "validated".
            context.progress.result.validated = true
        } catch { rmanError = error }
        let output = try await context.step(.validationFailed) {
            try await context.sqlplus(
                oracle, ["showcorruptblocks", VerificationStage.blockCounts(values)], values, silent: true)
        }
        let corrupt = OutputMarkers.value(after: "CORRUPT BLOCK COUNT:", in: output).flatMap { Int($0) }
        context.progress.result.corruptBlocks = corrupt
        if let rmanError { throw RestoreFailure(.validationFailed, "\(rmanError)") }
        guard let corrupt else {
            throw RestoreFailure(.validationFailed, "v$database_block_corruption could not be read")
        }
        if corrupt > 0 {
            let blocks = OutputMarkers.values(after: "CORRUPT BLOCK:", in: output).joined(separator: "; ")
            throw RestoreFailure(.corruptBlocks, "\(corrupt) corrupt block range(s): \(blocks)")
        }
        try VerificationStage.reportNonlogged(output, policy: nonloggedPolicy, logger: context.logger)
        context.logger.info("Block validation found no corruption")
    }
}
