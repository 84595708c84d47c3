import ConfigModel
import Foundation
import Logging
import OracleTools
import ToolSupport

/// Opens the recovered database read only and checks it (R-02, R-03, R-04): the verified time against the
/// expected one, every datafile online, no corrupt blocks, NOLOGGING ranges per policy, and the marker value.
struct VerificationStage: Sendable {
    let context: RestoreContext
    /// NOLOGGING ranges changed after the last merge: a warning or a failure (`nologging` in `[autorestore]`).
    var nonloggedPolicy: FindingPolicy
    /// A verified time later than expected beyond the tolerance: a failure or a warning (`timeahead`).
    var timeAheadPolicy: FindingPolicy

    private var logger: Logger { context.logger }

    /// `openandverify` (open READ ONLY), or `instantopen` (open READ WRITE with resetlogs) for an instant restore.
    var openTemplate: String { context.instantDestination == nil ? "openandverify" : "instantopen" }

    /// The `verify` phase: open read only, check the time, the files and the blocks, then the marker.
    func run(_ instance: RestoreInstance, marker: AutorestoreParameters.Marker?) async throws {
        logger.debug("ACTION: opening database to verify the result")
        var output = ""
        do {
            output = try await context.sqlplus(
                instance.oracle, [openTemplate, Self.blockCounts(instance.values)], instance.values, silent: true)
        } catch {
            throw await readFailure(error, instance, otherwise: .openFailed)
        }
        try verify(output: output, expected: instance.expectedTime)
        try await checkMarker(marker, oracle: instance.oracle, values: instance.values)
    }

    /// The checks after opening (R-02, R-03, R-04): time within tolerance both ways, all files online, no
    /// corrupt blocks, NOLOGGING blocks reported per policy.
    func verify(output: String, expected: String) throws {
        let progress = context.progress
        guard let verified = OutputMarkers.verificationTime(output), !verified.isEmpty else {
            throw RestoreFailure(.verificationFailed, "Reading verification time failed.")
        }
        progress.result.verifiedTime = verified
        guard let expectedDate = RecoveryTarget.parse(expected), let verifiedDate = RecoveryTarget.parse(verified)
        else {
            throw RestoreFailure(.verificationFailed, "cannot compare times '\(expected)' and '\(verified)'")
        }
        let difference = Int(expectedDate.timeIntervalSince(verifiedDate))
        progress.result.differenceSeconds = difference
        let tolerance = Int((context.settings.autorestore.maxToleranceMinutes ?? 0) * 60)
        logger.debug("Expected time: \(expected)")
        logger.debug("Verified time: \(verified)")
        logger.debug("VERIFY: Time difference \(PythonDuration.format(seconds: Int64(difference)))")
        // A point-in-time copy reports the difference; the DBA judges it (no tolerance, as the original).
        if context.pointInTime != nil { return }
        if difference > tolerance {
            throw RestoreFailure(
                .timeBehind,
                "verified time \(verified) is \(difference) s before the expected time \(expected); tolerance is \(tolerance / 60) minutes"
            )
        }
        if -difference > tolerance {
            let message =
                "verified time \(verified) is \(-difference) s after the expected time \(expected); tolerance is \(tolerance / 60) minutes (a wrong verification query or clock skew)"
            if timeAheadPolicy == .fail { throw RestoreFailure(.timeAhead, message) }
            logger.warning("\(message)")
        }
        let offline = OutputMarkers.values(after: "DATAFILE STATUS:", in: output)
        if !offline.isEmpty {
            throw RestoreFailure(
                .datafileNotOnline, "datafiles not ONLINE/AVAILABLE after open: \(offline.joined(separator: "; "))")
        }
        if let corrupt = OutputMarkers.value(after: "CORRUPT BLOCK COUNT:", in: output).flatMap({ Int($0) }),
            corrupt > 0
        {
            progress.result.corruptBlocks = corrupt
            throw RestoreFailure(.corruptBlocks, "\(corrupt) corrupt block range(s) in v$database_block_corruption")
        }
        try Self.reportNonlogged(output, policy: nonloggedPolicy, logger: logger)
    }

    /// The marker check: the query recorded in `autorestore.cfg` must return, in the restored database, the value it
    /// returned in production just before the log switch the restore recovered to. Skipped for point-in-time copies
    /// (another target) and for snapshots whose backup recorded no marker.
    func checkMarker(_ marker: AutorestoreParameters.Marker?, oracle: OracleRunner, values: [String: String])
        async throws
    {
        guard context.pointInTime == nil else { return }
        guard let marker else {
            if context.settings.markerQuery != nil {
                logger.warning("This snapshot's autorestore.cfg records no marker value; the marker check is skipped")
            }
            return
        }
        var markerValues = values
        markerValues["markerquery"] = marker.query
        let output: String
        do {
            output = try await context.sqlplus(oracle, ["markercheck"], markerValues, silent: true)
        } catch {
            throw await readFailure(error, oracle: oracle, values: values, otherwise: .markerMismatch)
        }
        guard let restored = OutputMarkers.value(after: "MARKER VALUE:", in: output) else {
            throw RestoreFailure(.markerMismatch, "the marker query returned no value: \(marker.query)")
        }
        logger.debug("Marker value: \(restored) (recorded at backup: \(marker.value))")
        guard restored == marker.value else {
            throw RestoreFailure(
                .markerMismatch,
                "the marker query returned '\(restored)' in the restored database, but '\(marker.value)' in production before the snapshot: \(marker.query)"
            )
        }
        logger.info("Marker check passed: \(restored)")
    }

    /// The failure of the open or of a query in the opened database, named by what Oracle reported: a corrupt block
    /// (ORA-01578, with the file and block, recorded in `v$database_block_corruption`), a NOLOGGING block (ORA-26040),
    /// an unopened TDE keystore (ORA-28365 and friends); else `otherwise` with the error.
    func readFailure(_ error: any Error, _ instance: RestoreInstance, otherwise: RestoreFailure.Reason) async
        -> RestoreFailure
    {
        await readFailure(error, oracle: instance.oracle, values: instance.values, otherwise: otherwise)
    }

    /// ``readFailure(_:_:otherwise:)`` for the instance that `oracle` runs, rendered with `values`.
    func readFailure(
        _ error: any Error, oracle: OracleRunner, values: [String: String], otherwise: RestoreFailure.Reason
    ) async -> RestoreFailure {
        if let failure = error as? RestoreFailure { return failure }
        let text = "\(error)"
        if let keystore = KeystoreStage.failure(in: text, settings: context.settings.autorestore) { return keystore }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let corrupted = lines.first(where: { $0.hasPrefix("ORA-01578") }) else {
            return RestoreFailure(otherwise, text)
        }
        let file = lines.first { $0.hasPrefix("ORA-01110") }.map { " " + $0 } ?? ""
        if let nonlogged = lines.first(where: { $0.hasPrefix("ORA-26040") }) {
            return RestoreFailure(
                .nonloggedBlocks,
                "reading the restored database met a NOLOGGING block: \(corrupted)\(file) \(nonlogged)")
        }
        // Oracle recorded the block in v$database_block_corruption: read the count for the result.
        if let counts = try? await context.sqlplus(
            oracle, ["showcorruptblocks", Self.blockCounts(values)], values, silent: true),
            let count = OutputMarkers.value(after: "CORRUPT BLOCK COUNT:", in: counts).flatMap({ Int($0) })
        {
            context.progress.result.corruptBlocks = count
        }
        return RestoreFailure(.corruptBlocks, "reading the restored database met a corrupt block: \(corrupted)\(file)")
    }

    /// NOLOGGING ranges (changed after the last merge, so redo could not restore them) in block-count output: a
    /// warning or a failure, as `policy` (`nologging` in `[autorestore]`) says. Verification and validation both
    /// report them.
    static func reportNonlogged(_ output: String, policy: FindingPolicy, logger: Logger) throws {
        guard let nonlogged = OutputMarkers.value(after: "NONLOGGED BLOCK COUNT:", in: output).flatMap({ Int($0) }),
            nonlogged > 0
        else { return }
        let message = "\(nonlogged) NOLOGGING block range(s) changed after the last merge cannot be recovered from redo"
        if policy == .fail { throw RestoreFailure(.nonloggedBlocks, message) }
        logger.warning("\(message)")
    }

    /// The block-count template for the restored database: `v$nonlogged_block` exists from 12c on, so a database
    /// whose `compatible` is 11 or older (11g software, or 12c run as 11g) counts NOLOGGING ranges without it.
    static func blockCounts(_ values: [String: String]) -> String {
        let major = (values["db_compatible"] ?? "").split(separator: ".").first.flatMap { Int($0) }
        return (major ?? 12) < 12 ? "blockcounts11" : "blockcounts"
    }
}
