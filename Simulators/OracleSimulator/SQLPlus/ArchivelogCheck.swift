import Foundation

/// The "archived in the FRA but not in the backup area" set (`archivelogmissing` and the scheduler's
/// `check_archlog_copy` procedure), and running that procedure as the ARCHLOGBACKUP job does.
enum ArchivelogCheck {
    /// The set both statements compute, as the original writes it: archived, not deleted (any status) logs of
    /// a VALID, LOCAL destination whose destination is USE_DB_RECOVERY_FILE_DEST in any letter case, minus the
    /// archived, not deleted logs whose name is under the archive directory (`{}`).
    static let missingSetShape =
        "select l.thread#, l.sequence# from v$archived_log l join v$archive_dest d on l.dest_id = d.dest_id join v$archive_dest_status s on d.dest_id = s.dest_id where l.archived = 'YES' and l.deleted = 'NO' and upper(d.destination) = 'USE_DB_RECOVERY_FILE_DEST' and d.status = 'VALID' and s.type = 'LOCAL' minus select thread#, sequence# from v$archived_log where archived = 'YES' and deleted = 'NO' and name like '{}/%'"

    static let procedureShape =
        "create or replace procedure {}.check_archlog_copy as n number; begin select count(*) into n from ( "
        + missingSetShape + " ); if n > 0 then {} end if; end"

    /// (thread, sequence) of the logs in the missing set, ordered.
    static func missing(_ database: DatabaseState, archiveDirectory: String) -> [ThreadSequence] {
        // enabledArchiveDestinations: set and enabled (VALID), LOCATION= (LOCAL), compared in upper case.
        let recoveryAreaDestinations = Set(database.enabledArchiveDestinations().filter(\.isRecoveryArea).map(\.id))
        let inRecoveryArea = Set(
            database.archivedLogs.filter { !$0.deleted && recoveryAreaDestinations.contains($0.destinationId) }
                .map { ThreadSequence(thread: $0.thread, sequence: $0.sequence) })
        let inBackupArea = Set(
            database.archivedLogs.filter { !$0.deleted && $0.path.hasPrefix(archiveDirectory + "/") }
                .map { ThreadSequence(thread: $0.thread, sequence: $0.sequence) })
        return inRecoveryArea.subtracting(inBackupArea).sorted()
    }

    /// `create or replace procedure <owner>.check_archlog_copy`: stored with its source. A body the simulator
    /// cannot compile is stored too, with SQL*Plus's compilation-error warning (no ORA- error, as in Oracle).
    static func createProcedure(_ normalized: String, _ context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        guard
            let qualified = TextShape.capture(
                #"^create or replace procedure ([A-Za-z0-9_#$"]+\.[A-Za-z0-9_#$"]+)\s+(as|is)\b"#, in: normalized)
        else {
            throw OracleError("ORA-00922: missing or invalid option")
        }
        let parts = qualified.split(separator: ".").map { $0.uppercased() }
        guard database.scheduler.users.contains(parts[0]) else {
            throw OracleError(["ORA-01918: user '\(parts[0])' does not exist"])
        }
        database.scheduler.procedures[parts.joined(separator: ".")] = normalized
        context.database = database
        if TextShape.match(normalized, procedureShape) == nil {
            return SQLOutcome(body: .message("Warning: Procedure created with compilation errors."))
        }
        return SQLOutcome(body: .message("Procedure created."))
    }

    /// `dbms_scheduler.run_job` in the current session: a STORED_PROCEDURE job runs its procedure; other job
    /// types need the external job agent, which the simulator does not have (ORA-27370).
    static func runJob(
        _ name: String, scheduler: inout SchedulerObjects, database: inout DatabaseState, context: StatementContext
    ) throws -> [String] {
        guard var job = scheduler.jobs[name] else { throw OracleError("ORA-27476: \"\(name)\" does not exist") }
        let type = job.jobType ?? job.program.flatMap { scheduler.programs[$0]?.programType } ?? "EXECUTABLE"
        guard type == "STORED_PROCEDURE", let action = job.jobAction else {
            throw OracleError("ORA-27370: job slave failed to launch a job of type \(type)")
        }
        var procedure = action.uppercased()
        if !procedure.contains(".") { procedure = job.owner + "." + procedure }
        guard let source = scheduler.procedures[procedure] else {
            throw OracleError([
                "ORA-06550: line 1, column 749:", "PLS-00201: identifier '\(procedure)' must be declared",
            ])
        }
        guard let captures = TextShape.match(source, procedureShape) else {
            throw OracleError(
                "ORA-06575: Package or function \(procedure.split(separator: ".").last ?? "") is in an invalid state")
        }
        let owner = procedure.split(separator: ".").first.map(String.init) ?? job.owner
        do {
            if !missing(database, archiveDirectory: captures[1]).isEmpty {
                for call in PLSQLCall.calls(in: captures[2], prefix: "dbms_scheduler.") {
                    guard call.procedure == "create_job" else {
                        throw OracleError("ORA-06575: Package or function CHECK_ARCHLOG_COPY is in an invalid state")
                    }
                    _ = try SchedulerCalls.apply(call, to: &scheduler, database: &database, context: context)
                }
            }
        } catch let error as OracleError {
            throw OracleError(
                error.lines + ["ORA-06512: at \"\(owner).CHECK_ARCHLOG_COPY\", line 9", "ORA-06512: at line 1"])
        }
        job.lastStartDate = context.now
        scheduler.jobs[name] = job
        scheduler.jobLog.append(
            SchedulerObjects.LogEntry(
                jobName: String(name.split(separator: ".").last ?? ""), status: "SUCCEEDED", logDate: context.now))
        return []
    }
}
