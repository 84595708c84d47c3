import Foundation

/// The autorestore results schema: `insertlog` and SQL*Loader's `restorelob` loads.
enum CatalogSchemaOperations {
    static let dateFormat = "'yyyy-mm-dd hh24:mi:ss'"

    static func insertResult(_ text: String, context: StatementContext) throws -> SQLOutcome {
        var database = try context.requireOpenDatabase()
        guard var schema = database.autorestoreCatalog else {
            throw OracleError([
                "ORA-06550: line 2, column 8:", "PLS-00201: identifier 'RESTOREACTION.ID' must be declared",
            ])
        }
        let date = #"to_date\('(.*?)', 'yyyy-mm-dd hh24:mi:ss'\)"#
        let pattern =
            #"values \(restoreaction_seq\.nextval, '(.*?)', "# + date + ", " + date
            + #", (-?\d+), '(.*?)', (-?\d+), '(.*?)', "#
            + date + #", (-?\d+)\) returning id into new_id"#
        guard let values = TextShape.captures(pattern, in: text) else {
            throw OracleError(["ORA-06550: line 4, column 1:", "PL/SQL: ORA-00917: missing comma"])
        }
        let zone = context.zone
        func parseDate(_ text: String) throws -> Date? {
            if text.isEmpty { return nil }
            guard let date = OracleTime.parseISOSeconds(text, zone) else {
                throw OracleError("ORA-01861: literal does not match format string")
            }
            return date
        }
        guard let start = try parseDate(values[1]), let finish = try parseDate(values[2]) else {
            throw OracleError("ORA-01400: cannot insert NULL into (\"RESTOREACTION\".\"START_TIME\")")
        }
        guard let success = Int(values[3]), [0, 1].contains(success), let validated = Int(values[8]),
            [0, 1].contains(validated)
        else {
            throw OracleError("ORA-02290: check constraint violated")
        }
        let row = RestoreActionRow(
            id: schema.sequence + 1, dbUniqueName: values[0], startTime: start, finishTime: finish, success: success,
            logfile: values[4], logfileContents: schema.lobs[values[4]], verificationTimeDiffSeconds: Int(values[5]),
            snapId: values[6], restoreTarget: try parseDate(values[7]), validatedCorruption: validated)
        if schema.actions.contains(where: {
            $0.dbUniqueName == row.dbUniqueName && $0.startTime == row.startTime && $0.success == row.success
        }) {
            throw OracleError("ORA-00001: unique constraint (AUTORESTORE.SYS_C0011523) violated")
        }
        schema.sequence += 1
        schema.actions.append(row)
        schema.lobs.removeValue(forKey: row.logfile)
        database.autorestoreCatalog = schema
        context.database = database
        return SQLOutcome(body: .plsql(["LOG MESSAGE ID: \(row.id)"]), elapsed: 0.05)
    }
}

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
        guard let schema = database.autorestoreCatalog else {
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
