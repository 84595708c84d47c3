import Foundation

/// `reporttemplate.cfg` queries (OUTLOG JSON lines).
enum ReportQueries {
    typealias Handler = ([String], StatementContext, SQLPlusSettings) throws -> SQLOutcome

    static var shapes: [(String, Handler)] {
        [
            (
                #"select 'OUTLOG: {"type":"job","job_name":"'||job_name||'","state":"'||state||'","failure_count":'||failure_count||',"last_start_date":'||nvl2(last_start_date, '"'||to_char(last_start_date)||'"', 'null')||',"last_run_duration":'||nvl2(last_run_duration, '"'||to_char(last_run_duration)||'"', 'null')||',"next_run_date":'||nvl2(next_run_date, '"'||to_char(next_run_date)||'"', 'null')||'}' from dba_scheduler_jobs where owner like '%BACKUPEXEC' and job_name in ('IMAGECOPY_JOB','ARCHLOGBACKUP_JOB') order by job_name"#,
                jobs
            ),
            (
                #"select 'OUTLOG: {"type":"exec","job_name":"'||job_name||'","last_successful":'||nvl2(max(case when status = 'SUCCEEDED' then log_date end), '"'||to_char(max(case when status = 'SUCCEEDED' then log_date end))||'"', 'null')||',"last_failed":'||nvl2(max(case when status <> 'SUCCEEDED' then log_date end), '"'||to_char(max(case when status <> 'SUCCEEDED' then log_date end))||'"', 'null')||'}' from dba_scheduler_job_log where owner like '%BACKUPEXEC' and job_name in ('IMAGECOPY_JOB','ARCHLOGBACKUP_JOB') and operation = 'RUN' group by job_name order by job_name"#,
                executions
            ),
            (
                #"select 'OUTLOG: {"type":"restore","avgrestoremin":'||nvl(to_char(round(avg(case when success = 1 and validated_corruption = 0 then (finish_time - start_time) * 1440 end))), 'null')||',"last_success":'||nvl2(max(case when success = 1 then start_time end), '"'||to_char(max(case when success = 1 then start_time end))||'"', 'null')||',"last_fail":'||nvl2(max(case when success = 0 then start_time end), '"'||to_char(max(case when success = 0 then start_time end))||'"', 'null')||',"avgdiff":'||nvl(to_char(round(avg(case when success = 1 then verificationtimediffseconds end))), 'null')||',"last_validated":'||nvl2(max(case when validated_corruption = 1 then start_time end), '"'||to_char(max(case when validated_corruption = 1 then start_time end))||'"', 'null')||'}' from restoreaction where db_unique_name = '{}'"#,
                restoreHistory
            ),
        ]
    }

    static func quoted(_ text: String?) -> String {
        guard let text else { return "null" }
        return "\"" + text + "\""
    }

    static func jobs(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        func time(_ date: Date?) -> String? { date.map { OracleTime.isoSeconds($0, context.zone) } }
        let lines = database.scheduler.jobs.values
            .filter {
                $0.owner.hasSuffix("BACKUPEXEC")
                    && ["IMAGECOPY_JOB", "ARCHLOGBACKUP_JOB"].contains(String($0.name.split(separator: ".").last ?? ""))
            }
            .sorted { $0.name.split(separator: ".").last! < $1.name.split(separator: ".").last! }
            .map { job in
                "OUTLOG: {\"type\":\"job\",\"job_name\":\"\(job.name.split(separator: ".").last!)\",\"state\":\"\(job.state)\",\"failure_count\":\(job.failureCount),\"last_start_date\":\(quoted(time(job.lastStartDate))),\"last_run_duration\":null,\"next_run_date\":\(quoted(time(job.nextRunDate)))}"
            }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    static func executions(_: [String], _ context: StatementContext, _: SQLPlusSettings) throws -> SQLOutcome {
        let database = try context.requireOpenDatabase()
        let grouped = Dictionary(grouping: database.scheduler.jobLog, by: \.jobName)
        let lines = grouped.keys.sorted().map { name -> String in
            let entries = grouped[name] ?? []
            let succeeded = entries.filter { $0.status == "SUCCEEDED" }.map(\.logDate).max()
            let failed = entries.filter { $0.status != "SUCCEEDED" }.map(\.logDate).max()
            func time(_ date: Date?) -> String? { date.map { OracleTime.isoSeconds($0, context.zone) } }
            return
                "OUTLOG: {\"type\":\"exec\",\"job_name\":\"\(name)\",\"last_successful\":\(quoted(time(succeeded))),\"last_failed\":\(quoted(time(failed)))}"
        }
        return SQLOutcome(body: .rows(lines, count: lines.count))
    }

    static func restoreHistory(_ captures: [String], _ context: StatementContext, _: SQLPlusSettings) throws
        -> SQLOutcome
    {
        let database = try context.requireOpenDatabase()
        guard let schema = database.autorestoreCatalog, schema.has("RESTOREACTION") else {
            throw OracleError("ORA-00942: table or view does not exist")
        }
        let rows = schema.actions.filter { $0.dbUniqueName == captures[0] }
        func time(_ date: Date?) -> String? { date.map { OracleTime.isoSeconds($0, context.zone) } }
        func average(_ values: [Double]) -> String {
            values.isEmpty ? "null" : String(Int((values.reduce(0, +) / Double(values.count)).rounded()))
        }
        let restoreMinutes = rows.filter { $0.success == 1 && $0.validatedCorruption == 0 }
            .map { $0.finishTime.timeIntervalSince($0.startTime) / 60 }
        let differences = rows.filter { $0.success == 1 }.compactMap { $0.verificationTimeDiffSeconds.map(Double.init) }
        let line =
            "OUTLOG: {\"type\":\"restore\",\"avgrestoremin\":\(average(restoreMinutes)),\"last_success\":\(quoted(time(rows.filter { $0.success == 1 }.map(\.startTime).max()))),\"last_fail\":\(quoted(time(rows.filter { $0.success == 0 }.map(\.startTime).max()))),\"avgdiff\":\(average(differences)),\"last_validated\":\(quoted(time(rows.filter { $0.validatedCorruption == 1 }.map(\.startTime).max())))}"
        return SQLOutcome(body: .rows([line], count: 1))
    }
}
