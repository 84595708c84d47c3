import Foundation

/// The recoverability checks of `imagecopywithsnap` (`archivelogsnapshotcheck`, `datafilesnotonline` in
/// rmantemplate.cfg): what the controlfile says, read from v$archived_log, v$datafile_copy and v$datafile.
enum BackupCheckQueries {
    typealias Handler = ([String], StatementContext, SQLPlusSettings) throws -> SQLOutcome

    static var shapes: [(String, Handler)] {
        [
            (
                "select 'ARCHIVELOG NEEDED: '||thread#||' '||sequence# from ( select distinct l.thread#, l.sequence# from v$archived_log l where l.archived = 'YES' and l.standby_dest = 'NO' and l.resetlogs_change# = (select resetlogs_change# from v$database) and l.next_change# > (select min(c.checkpoint_change#) from v$datafile_copy c join v$datafile d on d.file# = c.file# and d.creation_change# = c.creation_change# where c.tag = 'IMAGE_COPY_BACKUP' and c.deleted = 'NO' and c.status = 'A') ) union all select 'ARCHIVELOG IN BACKUP AREA: '||thread#||' '||sequence#||' '||name from v$archived_log where archived = 'YES' and deleted = 'NO' and resetlogs_change# = (select resetlogs_change# from v$database) and name like '{}/%'",
                archivelogCoverage
            ),
            (
                "select 'DATAFILE NOT ONLINE: '||file#||' '||status||' '||name from v$datafile where status not in ('SYSTEM','ONLINE') order by file#",
                datafilesNotOnline
            ),
        ]
    }

    /// The logs of the current incarnation recovery of the current image copies needs (those ending after the oldest
    /// copy's checkpoint, deleted or not; none without copies, as `min()` of no rows is NULL), then the logs of the
    /// current incarnation whose name is under the archive directory and that are not deleted.
    static func archivelogCoverage(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireDatabase()
        let current = Set(database.datafiles.map { "\($0.fileNumber)/\($0.creationSCN)" })
        let oldest = database.datafileCopies.filter {
            $0.tag == "IMAGE_COPY_BACKUP" && !$0.deleted && ($0.status ?? "A") == "A"
                && current.contains("\($0.fileNumber)/\($0.creationSCN)")
        }.map(\.checkpointSCN).min()
        var lines: [String] = []
        if let oldest {
            let needed = Set(
                // Deleted records count: a log deleted everywhere is still needed (and missing).
                database.archivedLogs.filter { $0.resetlogsId == database.resetlogsId && $0.nextSCN > oldest }
                    .map { ThreadSequence(thread: $0.thread, sequence: $0.sequence) })
            lines += needed.sorted().map { "ARCHIVELOG NEEDED: \($0.thread) \($0.sequence)" }
        }
        let directory = captures[0]
        lines += database.archivedLogs.filter {
            !$0.deleted && $0.resetlogsId == database.resetlogsId && $0.path.hasPrefix(directory + "/")
        }
        .map { "ARCHIVELOG IN BACKUP AREA: \($0.thread) \($0.sequence) \($0.path)" }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    /// Datafiles the controlfile does not record ONLINE (or SYSTEM): v$datafile.status.
    static func datafilesNotOnline(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireDatabase()
        let lines = database.datafiles.filter { !["SYSTEM", "ONLINE"].contains($0.onlineStatus) }
            .sorted { $0.fileNumber < $1.fileNumber }
            .map { "DATAFILE NOT ONLINE: \($0.fileNumber) \($0.onlineStatus) \($0.path)" }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }
}
