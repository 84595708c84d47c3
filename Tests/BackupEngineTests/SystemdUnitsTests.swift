import BackupEngine
import Testing

/// `backup <db> systemd-units`: the generated service and timer pairs and the DBMS_SCHEDULER calendar translation.
@Suite("systemd units")
struct SystemdUnitsTests {
    @Test(arguments: [
        ("FREQ=HOURLY;INTERVAL=6", "*-*-* 00/6:00:00"),
        ("FREQ=HOURLY", "*-*-* *:00:00"),
        ("FREQ=HOURLY;BYHOUR=21", "*-*-* 21:00:00"),
        ("freq=daily; byhour=21; byminute=30", "*-*-* 21:30:00"),
        ("FREQ=DAILY;BYHOUR=1,13", "*-*-* 01,13:00:00"),
        ("FREQ=WEEKLY;BYDAY=SAT,SUN;BYHOUR=2", "Sat,Sun *-*-* 02:00:00"),
        ("FREQ=MINUTELY;INTERVAL=15", "*-*-* *:00/15:00"),
    ])
    func translatesSchedulerCalendars(calendar: String, expected: String) {
        #expect(SystemdUnits.onCalendar(calendar) == expected)
    }

    @Test(arguments: [
        "", "FREQ=DAILY;INTERVAL=2", "FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=DAILY;BYHOUR=25", "FREQ=YEARLY",
        "FREQ=HOURLY;INTERVAL=6;BYHOUR=3", "FREQ=DAILY;BYDAY=XYZ", "FREQ=DAILY;FREQ=HOURLY", "INTERVAL=2",
        // DBMS_SCHEDULER runs these at the job's start time (and weekday): not known from the calendar.
        "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=WEEKLY;BYHOUR=2", "FREQ=DAILY;BYMINUTE=30",
    ])
    func refusesWhatItCannotTranslate(calendar: String) {
        #expect(SystemdUnits.onCalendar(calendar) == nil)
    }

    @Test func printsThreeServiceAndTimerPairs() {
        let units = SystemdUnits(
            database: "orcl", configurationPath: "/etc/oib/backup.cfg", toolDirectory: "/opt/oib/bin",
            user: "oracle", scheduleBackup: "FREQ=DAILY;BYHOUR=21", scheduleArchivelog: "FREQ=HOURLY;INTERVAL=6")
        #expect(
            units.files.map(\.name) == [
                "oib-backup-orcl.service", "oib-backup-orcl.timer", "oib-missingarchlog-orcl.service",
                "oib-missingarchlog-orcl.timer", "oib-autorestore-orcl.service", "oib-autorestore-orcl.timer",
            ])
        let file = Dictionary(uniqueKeysWithValues: units.files.map { ($0.name, $0.content) })
        let backup = file["oib-backup-orcl.service"] ?? ""
        #expect(backup.contains("\nType=oneshot\n"))
        #expect(backup.contains("\nUser=oracle\n"))
        #expect(
            backup.contains("\nExecStart=/opt/oib/bin/backup --config /etc/oib/backup.cfg orcl imagecopywithsnap\n"))
        #expect(!backup.contains("AUTORESTORE_SAFE_SANDBOX"))
        #expect(
            file["oib-missingarchlog-orcl.service"]?.contains(
                "\nExecStart=/opt/oib/bin/backup --config /etc/oib/backup.cfg orcl missingarchlog\n") == true)
        let autorestore = file["oib-autorestore-orcl.service"] ?? ""
        #expect(autorestore.contains("\nEnvironment=AUTORESTORE_SAFE_SANDBOX=TRUE\n"))
        #expect(autorestore.contains("\nExecStart=/opt/oib/bin/autorestore --config /etc/oib/backup.cfg orcl\n"))
        for (name, calendar) in [
            ("backup", "*-*-* 21:00:00"), ("missingarchlog", "*-*-* 00/6:00:00"), ("autorestore", "*-*-* 06:00:00"),
        ] {
            let timer = file["oib-\(name)-orcl.timer"] ?? ""
            #expect(timer.contains("\nOnCalendar=\(calendar)\n"), "\(timer)")
            #expect(timer.contains("\nPersistent=true\n"))
            #expect(timer.contains("\nRandomizedDelaySec="))
            #expect(timer.contains("\nUnit=oib-\(name)-orcl.service\n"))
            #expect(timer.contains("\n[Install]\nWantedBy=timers.target\n"))
        }
        #expect(file["oib-backup-orcl.timer"]?.contains("# From schedulebackup = FREQ=DAILY;BYHOUR=21.") == true)
    }

    @Test func anUntranslatableScheduleFallsBackToTheDocumentedDefaultAndSaysSo() {
        let units = SystemdUnits(
            database: "orcl", configurationPath: "/etc/oib/backup.cfg", toolDirectory: "/opt/oib/bin",
            user: "oracle", scheduleBackup: "FREQ=MONTHLY;BYMONTHDAY=1", backupJobEnabled: false)
        let timer = units.files.first { $0.name == "oib-backup-orcl.timer" }?.content ?? ""
        #expect(timer.contains("\nOnCalendar=\(SystemdUnits.backupDefaultCalendar)\n"))
        #expect(timer.contains("schedulebackup = FREQ=MONTHLY;BYMONTHDAY=1 has no systemd equivalent"))
        let service = units.files.first { $0.name == "oib-backup-orcl.service" }?.content ?? ""
        #expect(service.contains("backupjobenabled is FALSE"))
    }

    @Test func pathsWithSpacesAreQuotedAndTheTextSplitsBackIntoTheFiles() {
        let units = SystemdUnits(
            database: "orcl", configurationPath: "/etc/my oib/backup.cfg", toolDirectory: "/opt/oib/bin",
            user: "oracle")
        #expect(units.text.contains("ExecStart=/opt/oib/bin/backup --config \"/etc/my oib/backup.cfg\" orcl"))
        // The install recipe's awk splits at '# === <name> ===': every file's content follows its marker.
        for file in units.files { #expect(units.text.contains("# === \(file.name) ===\n" + file.content)) }
    }
}
