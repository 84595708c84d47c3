import CommandSupport
import ConfigModel
import OracleTools
import StorageKit

/// Renders the effective settings of one database for `backup <db> showconfig` (secrets masked).
enum ConfigReport {
    /// - Parameter storage: the storage lines (the driver registry's ``StorageDriverRegistry/settingsReport(for:in:)``).
    static func render(
        _ settings: DatabaseSettings, configuration: BackupConfiguration, storage: [(key: String, value: String?)],
        credentials: StorageCredentials?
    ) -> String {
        var lines: [String] = ["Configuration file: \(configuration.path)", ""]
        func section(_ title: String, _ items: [(String, String?)]) {
            lines.append("[\(title)]")
            for (key, value) in items { lines.append("\(key): \(value ?? "(not set)")") }
            lines.append("")
        }
        func text<T>(_ value: T?) -> String? { value.map { "\($0)" } }
        section(
            settings.name,
            [
                ("dbid", text(settings.dbid)), ("recoverywindow", text(settings.recoveryWindowDays)),
                ("parallel", text(settings.parallelism)), ("snapexpirationdays", text(settings.snapshotExpirationDays)),
                ("snapexpirationmonths", text(settings.snapshotExpirationMonths)),
                ("registercatalog", text(settings.registerCatalog)), ("hasdataguard", text(settings.hasDataGuard)),
                ("dosnapshot", text(settings.doSnapshot)), ("gimanaged", text(settings.gridInfrastructureManaged)),
                ("schedulebackup", settings.scheduleBackup), ("schedulearchlog", settings.scheduleArchivelog),
                ("backupjobenabled", text(settings.backupJobEnabled)), ("primarytns", settings.primaryTNS),
                ("customverifydate", settings.customVerifyDate), ("markerquery", settings.markerQuery),
                ("autorestoreenabled", settings.autorestoreEnabled ? "1" : "0"),
                ("autorestoreinstancenumber", text(settings.autorestoreInstanceNumber)),
                ("autorestorethread", text(settings.autorestoreThread)),
                ("stringforvalidationmod", settings.stringForValidationModulus),
                ("additionalvolumesuffixes", settings.additionalVolumeSuffixes.joined(separator: ",")),
                ("backup area", settings.backupDestination), ("archivelog directory", settings.archivelogDirectory),
            ])
        let generic = settings.generic
        section(
            "generic",
            [
                ("logretention", text(generic.logRetentionDays)), ("backupdest", generic.backupRoot),
                ("backupdestshared", text(generic.backupDestinationShared)),
                ("warningsnapage", text(generic.warningSnapshotAgeHours)),
                ("criticalsnapage", text(generic.criticalSnapshotAgeHours)), ("tnsadmin", generic.tnsAdmin),
                ("osuser", generic.osUser), ("oraclehome", generic.oracleHome),
                ("maxlockwait", text(generic.maxLockWaitMinutes)), ("requiremount", text(generic.requireMount)),
                ("templatedir", generic.templateDirectory),
            ] + generic.timeouts.sorted { $0.key < $1.key }.map { ("timeout\($0.key)", "\($0.value)") })
        section(
            "rman",
            [
                ("catalog", settings.rman.catalog.map(Redaction.maskingConnectString)),
                ("sectionsize", settings.rman.sectionSize),
            ])
        var storage = storage.map { ($0.key, $0.value) }
        if let credentials { storage.append(("credentials", credentials.description)) }
        section("storage", storage)
        let autorestore = settings.autorestore
        section(
            "autorestore",
            [
                ("autorestoredestination", autorestore.destination), ("autorestoreclonename", autorestore.cloneName),
                ("autorestoremountpoint", autorestore.mountPoint),
                ("autorestoresnapage", text(autorestore.snapshotAgeHours)),
                ("autorestorelogdir", autorestore.logDirectory),
                ("autorestoremaxtoleranceminutes", text(autorestore.maxToleranceMinutes)),
                ("autorestorecatalog", autorestore.catalogConnect.map(Redaction.maskingConnectString)),
                ("autorestorevalidatechance", text(autorestore.validateChance)),
                ("autorestoremodulus", text(autorestore.validationModulus)), ("pga_size", autorestore.pgaSize),
                ("sga_size", autorestore.sgaSize), ("autorestorecatalogtype", autorestore.catalogType),
                ("catalog location", autorestore.catalogLocation.map(SecretRedaction.maskingURLPassword)),
                // The password file's path is shown, never its contents.
                ("tdekeystore", autorestore.tdeKeystore),
                ("tdekeystorepasswordfile", autorestore.tdeKeystorePasswordFile),
            ])
        return lines.joined(separator: "\n")
    }
}
