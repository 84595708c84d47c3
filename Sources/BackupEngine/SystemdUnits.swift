import ConfigModel
import Foundation

/// The systemd service and timer pairs that schedule one database's jobs without DBMS_SCHEDULER:
/// `backup <db> systemd-units`.
///
/// Three pairs: the daily backup (`imagecopywithsnap`, on `schedulebackup`), the archivelog catch-up
/// (`missingarchlog`, on `schedulearchlog`) and the restore test (`autorestore <db>`, daily at
/// ``autorestoreDefaultCalendar``, for the isolated restore host). The `schedule…` keys hold DBMS_SCHEDULER
/// calendars; ``onCalendar(_:)`` translates the common forms and falls back to a documented default otherwise.
public struct SystemdUnits: Sendable {
    /// One unit file: its name (as it goes into `/etc/systemd/system`) and its content.
    public struct UnitFile: Sendable, Equatable {
        /// The file name, e.g. `oib-backup-orcl.service`.
        public var name: String
        /// The file's text, ending with a newline.
        public var content: String
    }

    /// The calendar of the backup when `schedulebackup` cannot be translated: every day at midnight.
    public static let backupDefaultCalendar = "*-*-* 00:00:00"
    /// The calendar of `missingarchlog` when `schedulearchlog` cannot be translated: every six hours.
    public static let archivelogDefaultCalendar = "*-*-* 00/6:00:00"
    /// The restore test's calendar (the original has no setting for it): every day at 06:00, after the night's
    /// backup.
    public static let autorestoreDefaultCalendar = "*-*-* 06:00:00"

    /// The database (its configuration section).
    public var database: String
    /// The absolute path of the configuration file the units pass with `--config`.
    public var configurationPath: String
    /// The directory holding the `backup` and `autorestore` programs (absolute).
    public var toolDirectory: String
    /// The OS user the jobs run as (`User=`).
    public var user: String
    /// `schedulebackup`: the DBMS_SCHEDULER calendar of the backup job.
    public var scheduleBackup: String
    /// `schedulearchlog`: the DBMS_SCHEDULER calendar of the archivelog job.
    public var scheduleArchivelog: String
    /// `backupjobenabled`: false creates the backup timer's files with a note not to enable it.
    public var backupJobEnabled: Bool
    /// `autorestoreenabled`: false leaves a note in the autorestore units.
    public var autorestoreEnabled: Bool

    /// Units for `database` with explicit values (tests, embedders).
    public init(
        database: String, configurationPath: String, toolDirectory: String, user: String,
        scheduleBackup: String = "FREQ=DAILY", scheduleArchivelog: String = "FREQ=HOURLY;INTERVAL=6",
        backupJobEnabled: Bool = true, autorestoreEnabled: Bool = true
    ) {
        self.database = database
        self.configurationPath = configurationPath
        self.toolDirectory = toolDirectory
        self.user = user
        self.scheduleBackup = scheduleBackup
        self.scheduleArchivelog = scheduleArchivelog
        self.backupJobEnabled = backupJobEnabled
        self.autorestoreEnabled = autorestoreEnabled
    }

    /// Units for a configured database: schedules, `backupjobenabled` and `autorestoreenabled` from its settings;
    /// `user` defaults to `osuser` of `[generic]`, else `oracle`.
    public init(settings: DatabaseSettings, configurationPath: String, toolDirectory: String, user: String?) {
        self.init(
            database: settings.name, configurationPath: configurationPath, toolDirectory: toolDirectory,
            user: user ?? settings.generic.osUser ?? "oracle", scheduleBackup: settings.scheduleBackup,
            scheduleArchivelog: settings.scheduleArchivelog, backupJobEnabled: settings.backupJobEnabled,
            autorestoreEnabled: settings.autorestoreEnabled)
    }

    /// The six unit files, in the order service, timer for backup, missingarchlog and autorestore.
    public var files: [UnitFile] {
        let backup = (toolDirectory as NSString).appendingPathComponent("backup")
        let autorestore = (toolDirectory as NSString).appendingPathComponent("autorestore")
        let backupCalendar = Self.onCalendar(scheduleBackup)
        let archivelogCalendar = Self.onCalendar(scheduleArchivelog)
        var backupNotes = ["Image-copy backup: refresh the copies, then snapshot them (imagecopywithsnap)."]
        if !backupJobEnabled {
            backupNotes.append("backupjobenabled is FALSE in the configuration: do not enable this timer.")
        }
        var autorestoreNotes = [
            "Restore test of the newest snapshot. Install it ONLY on the isolated restore host: it sets",
            "AUTORESTORE_SAFE_SANDBOX=TRUE, the acknowledgement that this host cannot reach production storage.",
        ]
        if !autorestoreEnabled {
            autorestoreNotes.append("autorestoreenabled is 0 for this database: autorestore skips it.")
        }
        return [
            service(
                "backup", notes: backupNotes,
                exec: "\(Self.quoted(backup)) --config \(Self.quoted(configurationPath)) \(database) imagecopywithsnap",
                environment: []),
            timer(
                "backup", what: "the daily backup", calendar: backupCalendar, setting: "schedulebackup",
                original: scheduleBackup, defaultCalendar: Self.backupDefaultCalendar, delay: "15min"),
            service(
                "missingarchlog",
                notes: ["Backs up archivelogs missing from the backup area (the original's ARCHLOGBACKUP job)."],
                exec: "\(Self.quoted(backup)) --config \(Self.quoted(configurationPath)) \(database) missingarchlog",
                environment: []),
            timer(
                "missingarchlog", what: "the archivelog catch-up", calendar: archivelogCalendar,
                setting: "schedulearchlog", original: scheduleArchivelog,
                defaultCalendar: Self.archivelogDefaultCalendar, delay: "5min"),
            service(
                "autorestore", notes: autorestoreNotes,
                exec: "\(Self.quoted(autorestore)) --config \(Self.quoted(configurationPath)) \(database)",
                environment: ["AUTORESTORE_SAFE_SANDBOX=TRUE"]),
            timer(
                "autorestore", what: "the restore test", calendar: Self.autorestoreDefaultCalendar, setting: nil,
                original: nil, defaultCalendar: Self.autorestoreDefaultCalendar, delay: "30min"),
        ]
    }

    /// All files as one text: each starts with a `# === <name> ===` line, and a header says how to install them.
    public var text: String {
        let names = files.map(\.name)
        let timers = names.filter { $0.hasSuffix(".timer") }
        var lines = [
            "# systemd units for database \(database), generated by `backup \(database) systemd-units`.",
            "# Each file starts at its '# === <name> ===' line. To install (as root):",
            "#   \(Self.quoted((toolDirectory as NSString).appendingPathComponent("backup"))) --config \(Self.quoted(configurationPath)) \(database) systemd-units | (cd /etc/systemd/system && awk '/^# === /{f=$3} f{print > f}')",
            "#   systemctl daemon-reload",
            "#   systemctl enable --now \(timers.filter { !$0.contains("autorestore") }.joined(separator: " "))",
            "#   (on the isolated restore host only: systemctl enable --now \(timers.filter { $0.contains("autorestore") }.joined(separator: " ")))",
            "",
        ]
        for file in files {
            lines.append("# === \(file.name) ===")
            lines.append(file.content)
        }
        return lines.joined(separator: "\n")
    }

    /// The unit name prefix of a job, e.g. `oib-backup-orcl`.
    func unitName(_ job: String) -> String { "oib-\(job)-\(database)" }

    func service(_ job: String, notes: [String], exec: String, environment: [String]) -> UnitFile {
        var lines = notes.map { "# \($0)" }
        lines += [
            "[Unit]",
            "Description=oracle-imagecopy-backup: \(job) of database \(database)",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            "User=\(user)",
        ]
        lines += environment.map { "Environment=\($0)" }
        lines += [
            "ExecStart=\(exec)",
            "# The tools bound each Oracle and storage step themselves (timeout<step> keys); a run may take hours.",
            "TimeoutStartSec=infinity",
            "",
        ]
        return UnitFile(name: "\(unitName(job)).service", content: lines.joined(separator: "\n"))
    }

    func timer(
        _ job: String, what: String, calendar: String?, setting: String?, original: String?, defaultCalendar: String,
        delay: String
    ) -> UnitFile {
        var lines: [String] = []
        if let setting, let original {
            if calendar != nil {
                lines.append("# From \(setting) = \(original).")
            } else {
                lines.append(
                    "# \(setting) = \(original) has no systemd equivalent here; default \(defaultCalendar) used.")
            }
        } else {
            lines.append("# The configuration has no schedule for it; default \(defaultCalendar).")
        }
        lines += [
            "[Unit]",
            "Description=oracle-imagecopy-backup: \(what) of database \(database)",
            "",
            "[Timer]",
            "OnCalendar=\(calendar ?? defaultCalendar)",
            "# Spreads the databases of a host; a run missed while the host was down starts at boot.",
            "RandomizedDelaySec=\(delay)",
            "Persistent=true",
            "Unit=\(unitName(job)).service",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
        return UnitFile(name: "\(unitName(job)).timer", content: lines.joined(separator: "\n"))
    }

    /// A path for `ExecStart=`: quoted when it holds a space or a quote.
    static func quoted(_ path: String) -> String {
        guard path.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" }) else { return path }
        return "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    /// Translates a DBMS_SCHEDULER calendar (`FREQ=…;INTERVAL=…;BYDAY=…;BYHOUR=…;BYMINUTE=…`) into a systemd
    /// `OnCalendar=` expression; nil when it uses anything else (BYMONTHDAY, BYSECOND, …), or an interval systemd
    /// calendars cannot repeat exactly (days, weeks).
    ///
    /// `FREQ=DAILY` and `FREQ=WEEKLY` without `BYHOUR` (and `BYDAY`) repeat at the job's start time in
    /// DBMS_SCHEDULER, so they give nil. `FREQ=HOURLY;INTERVAL=6` → `*-*-* 00/6:00:00`,
    /// `FREQ=DAILY;BYHOUR=21;BYMINUTE=30` → `*-*-* 21:30:00`, `FREQ=WEEKLY;BYDAY=SAT;BYHOUR=2` →
    /// `Sat *-*-* 02:00:00`, `FREQ=MINUTELY;INTERVAL=15` → `*-*-* *:00/15:00`.
    public static func onCalendar(_ calendar: String) -> String? {
        var parts: [String: String] = [:]
        for clause in calendar.split(separator: ";") {
            let pair = clause.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).uppercased()
            }
            guard pair.count == 2, !pair[1].isEmpty, parts[pair[0]] == nil else { return nil }
            parts[pair[0]] = pair[1]
        }
        guard let frequency = parts.removeValue(forKey: "FREQ") else { return nil }
        let interval = parts.removeValue(forKey: "INTERVAL").map { Int($0) } ?? 1
        guard let interval, interval >= 1 else { return nil }
        func numbers(_ key: String, below limit: Int) -> String?? {
            guard let value = parts.removeValue(forKey: key) else { return .some(nil) }
            let values = value.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 && $0! < limit }) else { return nil }
            return .some(values.map { String(format: "%02d", $0!) }.joined(separator: ","))
        }
        guard let hours = numbers("BYHOUR", below: 24), let minutes = numbers("BYMINUTE", below: 60) else {
            return nil
        }
        var days: String?
        if let value = parts.removeValue(forKey: "BYDAY") {
            let names = [
                "MON": "Mon", "TUE": "Tue", "WED": "Wed", "THU": "Thu", "FRI": "Fri", "SAT": "Sat", "SUN": "Sun",
            ]
            let mapped = value.split(separator: ",").map { names[$0.trimmingCharacters(in: .whitespaces)] }
            guard mapped.allSatisfy({ $0 != nil }) else { return nil }
            days = mapped.map { $0! }.joined(separator: ",")
        }
        guard parts.isEmpty else { return nil }
        let step = interval == 1 ? "" : "/\(interval)"
        let time: String
        switch frequency {
        case "MINUTELY":
            guard minutes == nil else { return nil }
            time = "\(hours ?? "*"):00\(step):00"
        case "HOURLY":
            guard hours == nil || interval == 1 else { return nil }
            time = "\(hours ?? (interval == 1 ? "*" : "00\(step)")):\(minutes ?? "00"):00"
        case "DAILY", "WEEKLY":
            // Without BYHOUR (and BYDAY for WEEKLY) DBMS_SCHEDULER repeats at the job's start time and weekday,
            // which the calendar does not say: no translation, so the timer names the default it uses instead.
            guard interval == 1, let hours, frequency == "DAILY" || days != nil else { return nil }
            time = "\(hours):\(minutes ?? "00"):00"
        default: return nil
        }
        return (days.map { "\($0) " } ?? "") + "*-*-* " + time
    }
}
