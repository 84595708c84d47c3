import ConfigModel
import Foundation
import Reporting
import StorageBtrfs
import StorageKit
import StorageONTAP
import StorageZFSSA

/// The INI dialect (sections, continuations, comments, `%(name)s` interpolation) and everything built on it:
/// `backup.cfg` validation, credentials files and the `autorestore.cfg` contract.
enum ConfigurationTargets {
    static let backupConfiguration = """
        [DEFAULT]
        base: /u01
        [generic]
        logretention: 7
        backupdest: %(base)s/backup
        tnsadmin: tns
        osuser: oracle
        oraclehome: /u01/app/oracle/product/19/db
        maxlockwait: 5
        warningsnapage: 26
        criticalsnapage: 50
        snappermodule: zfssa
        snapperclass: ZFSSA
        timeoutrman: 3600
        [rman]
        catalog: /@rman
        sectionsize: 32G ; inline comment
        [zfssa]
        url: https://zfssa01:215
        pool: pool1
        project: demo-backup
        timeout: 300
        [autorestore]
        autorestoredestination: /u02/restore
        autorestoreclonename: autorestore
        autorestoremountpoint: /u02/mnt
        autorestoresnapage: 0.5
        autorestorelogdir: /u02/log
        autorestoremaxtoleranceminutes: 5
        autorestorecatalogtype: postgres
        catalogurl: postgres://cat@db:5432/results
        [orcl]
        dbid: 1433672784
        recoverywindow: 2
        parallel: 4
        snapexpirationdays: 31
        snapexpirationmonths: 6
        registercatalog: true
        markerquery: select max(id)
          from app.marker
        zfssapool: pool2
        REM a comment
        ; another
        # and another
        """

    static let iniMutator = Mutator(
        dictionary: [
            "[", "]", "[DEFAULT]", "[orcl]", "[generic]", ":", "=", ": ", "%", "%%", "%(", ")s", "%(base)s",
            "%(missing)s", ";", " ;", "#", "rem ", "REM", "\"\"", "\n  ", "\n\t", "dbid: ", "snappermodule: ",
            "netapp", "btrfs", "localfs", "TRUE", "false", "yes", "-5", "0", "36501",
        ],
        nesting: [("%(", ")s")], maximumSize: 128 << 10)

    /// Reference chains with fan-out: `k1` names `k0` `fanOut` times, `k2` names `k1`, … (the INI form of the
    /// "billion laughs").
    static func interpolationChain(_ random: inout FuzzRandom) -> [UInt8] {
        let depth = 1 + random.below(12)
        let fanOut = 1 + random.below(40)
        var lines = ["[DEFAULT]", "k0: \(String(repeating: "x", count: 1 + random.below(64)))", "[orcl]", "dbid: 1"]
        for level in 1...depth {
            let reference = "%(k\(level - 1))s"
            lines.append("k\(level): " + String(repeating: reference, count: fanOut))
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    static func iniInput(_ random: inout FuzzRandom) -> [UInt8] {
        let corpus = [Array(backupConfiguration.utf8), Array(AutorestoreParametersTarget.sample.utf8)]
        if random.chance(1, in: 10) {
            let chain = interpolationChain(&random)
            return random.chance(1, in: 2) ? chain : iniMutator.mutate(chain, splicing: corpus, random: &random)
        }
        return FuzzTarget.mutatedSample(corpus, iniMutator, &random)
    }

    static let file = "/fuzz/backup.cfg"

    /// A finding unless `error` names the file and a line.
    static func checkLocated(_ error: INIError) throws(FuzzFinding) {
        guard error.file == file, let line = error.line, line > 0, !error.detail.isEmpty else {
            throw FuzzFinding("INI error without file and line: \(error)")
        }
    }

    static let ini = FuzzTarget(
        name: "ini",
        summary: "INI parser and %(name)s interpolation of every value",
        generator: iniInput,
        body: { input in
            let text = String(decoding: input, as: UTF8.self)
            let (document, errors) = INIParser.parseCollectingErrors(text, file: file)
            for error in errors { try checkLocated(error) }
            for section in [INIDocument.defaultSectionName] + document.sectionNames {
                for key in document.section(section)?.keys ?? [] {
                    do throws(INIError) {
                        _ = try document.value(section: section, key: key)
                    } catch {
                        try checkLocated(error)
                    }
                }
            }
        })

    static let configuration = FuzzTarget(
        name: "config",
        summary: "backup.cfg: typed settings of every database for every purpose, checkconfig's validation",
        generator: iniInput,
        body: { input in
            let configuration = BackupConfiguration(
                text: String(decoding: input, as: UTF8.self), path: file, environment: ["ORACLE_HOME": "/u01/db"],
                storageModules: storageModules)
            var problems = configuration.validateAll()
            let everything: ConfigPurpose = [
                .backup, .storage, .retention, .scheduling, .snapshotAgeCheck, .autorestore,
            ]
            for name in configuration.databaseNames.prefix(20) {
                let (settings, found) = configuration.databaseCollectingProblems(name, for: everything)
                problems += found
                // How the tools use the numbers: snapshot age thresholds (hours).
                if let settings {
                    _ = SnapshotAgeCheck(
                        warningHours: settings.generic.warningSnapshotAgeHours ?? 26,
                        criticalHours: settings.generic.criticalSnapshotAgeHours ?? 50
                    ).evaluate(snapshots: [], now: Date())
                }
            }
            for problem in problems where problem.file == nil || problem.message.isEmpty {
                throw FuzzFinding("configuration problem without file or message: \(problem)")
            }
        })

    /// The storage modules the config target checks each database's storage section with (no network).
    static let storageModules: StorageDriverRegistry = {
        var registry = StorageDriverRegistry()
        let transport: HTTPTransportFactory = { _ throws(StorageError) in
            ApplianceReplayTransport(
                exchange: ApplianceExchange(operation: 0, options: 0, slots: []),
                mutator: ApplianceSettingsTarget.mutator,
                healthy: { _ in HTTPResponse(status: 404) })
        }
        ZFSSADriver.register(in: &registry, transport: transport)
        ONTAPDriver.register(in: &registry, transport: transport)
        BtrfsDriver.register(in: &registry)
        return registry
    }()

    /// Where the ZFSSA driver keeps its credentials.
    static let zfssaCredentials = ZFSSADriver.descriptor.credentials!

    static let credentialCanary = "Cr3d-canary-Zz"

    /// A private scratch directory for this process (credentials files must be files).
    static let scratch: String = {
        let path = NSTemporaryDirectory() + "oib-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static let credentials = FuzzTarget(
        name: "credentials",
        summary: "credentials files (raw bytes: invalid UTF-8 too): errors name file and line, never the content",
        samples: [
            "[zfscredentials]\nzfsuser: backup\nzfspassword: \(credentialCanary)\n",
            "[zfscredentials]\r\nzfsuser=backup\r\nzfspassword = \(credentialCanary) ; note\r\n",
            "[DEFAULT]\np: \(credentialCanary)\n[zfscredentials]\nzfsuser: b\nzfspassword: %(p)s\n",
        ],
        mutator: Mutator(
            dictionary: ["[", "]", ":", "=", "%(", ")s", "%", "[zfscredentials]", "zfspassword"], maximumSize: 64 << 10),
        body: { input in
            let path = scratch + "/zfscredentials.cfg"
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(input), attributes: [.posixPermissions: 0o600])
            else { throw FuzzFinding("cannot write \(path)") }
            let configuration = BackupConfiguration(
                text: "[generic]\nsnappermodule: zfssa\n", path: scratch + "/backup.cfg", environment: [:])
            do throws(ConfigError) {
                _ = try configuration.loadCredentials(zfssaCredentials)
            } catch {
                for problem in error.problems where problem.file != path {
                    throw FuzzFinding("credentials problem not naming the file: \(problem)")
                }
                if error.description.contains(credentialCanary) {
                    throw FuzzFinding("the content of a credentials file reached a message: \(error)")
                }
            }
        })
}

/// `autorestore.cfg`, the contract between a backup and the restore of its snapshot.
enum AutorestoreParametersTarget {
    static let sample = """
        [dbparams]
        db_name: ORCL
        compatible: 19.0.0
        db_block_size: 8192
        db_files: 200
        undo_tablespace: UNDOTBS1
        enable_pluggable_database: FALSE
        lastscn: 1234567
        lasttime: 2016-11-08 21:50:00
        bctfile: /u01/oradata/orcl/bct.dbf
        markerquery: select max(id) from app.marker
        markervalue: 42
        """

    static let target = FuzzTarget(
        name: "autorestore-parameters",
        summary: "autorestore.cfg contract parser, its accessors and its rewrite",
        samples: [sample],
        mutator: ConfigurationTargets.iniMutator,
        body: { input in
            do throws(ConfigError) {
                let parameters = try AutorestoreParameters(
                    text: String(decoding: input, as: UTF8.self), file: "/fuzz/autorestore.cfg")
                _ = (parameters.marker, parameters.missingForRestore, parameters.lastTime, parameters.databaseName)
                _ = try? AutorestoreParameters(text: parameters.text, file: "/fuzz/rewritten.cfg")
            } catch {
                for problem in error.problems where problem.file == nil || problem.message.isEmpty {
                    throw FuzzFinding("autorestore.cfg problem without file or message: \(problem)")
                }
            }
        })
}
