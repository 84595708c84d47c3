import Foundation
import OracleTools
import StorageBtrfs
import ToolSupport

/// Parsers of what other programs print: SQL*Plus/RMAN marker lines, lock files, `btrfs qgroup show`.
enum OutputTargets {
    static let sqlplusOutput = """
        SQL*Plus: Release 19.0.0.0.0 - Production on Tue Nov 8 21:50:00 2016
        Connected.
        CURRENT DATABASE TIME: 2016-11-08 21:50:00
        CURRENT DATABASE SCN: 1234567
        BCT FILE: /u01/oradata/orcl/bct.dbf
        dbconfig-db_name: ORCL
        dbconfig-compatible: 19.0.0
        dbconfig-db_block_size:8192
          BACKUP force as copy archivelog sequence 12 thread 1;
        DELETECOPY: delete noprompt datafilecopy '/backup/orcl/data_D-ORCL_I-1433672784_TS-USERS_FNO-4_01';
        RENAMEDF-set newname for datafile 4 to '/u02/mnt/data_4.dbf';
        CDB-DETECT: C##
        DATABASE IS REGISTERED IN RC
        CUSTOM VERIFICATION TIME: 2016-11-08 21:49:00
        CORRUPT BLOCK COUNT: 0
        CORRUPT BLOCK: 4 128 1
        NONLOGGED BLOCK COUNT: 12
        DATAFILE STATUS: 4 ONLINE
        PRODUCTION DATAFILE: /u01/oradata/orcl/users01.dbf
        MARKER VALUE: 42
        LOG MESSAGE ID: 17
        ADR Homes:
        diag/rdbms/orcl/orcl
        diag/tnslsnr/host/listener
        ORA-00308: cannot open archived log '/arch/1_12.arc'
        RMAN-06054: media recovery requesting unknown archived log for thread 1 with sequence 13
        """

    static let markers = FuzzTarget(
        name: "oracle-markers",
        summary: "SQL*Plus/RMAN/ADRCI output parsers (marker lines, dbconfig-, RENAMEDF-, DELETECOPY:, ADR homes)",
        samples: [sqlplusOutput],
        mutator: Mutator(
            dictionary: [
                "CURRENT DATABASE TIME:", "CURRENT DATABASE SCN:", "BCT FILE:", "dbconfig-", ":", "DELETECOPY:",
                "RENAMEDF-", "CDB-DETECT:", "NO", "DATABASE IS REGISTERED IN RC", "CUSTOM VERIFICATION TIME:",
                "ADR Homes:", "BACKUP force as copy", "CORRUPT BLOCK COUNT:", "LOG MESSAGE ID:", "\r\n", "\u{85}",
                "\u{2028}",
            ], maximumSize: 256 << 10),
        body: { input in
            let output = String(decoding: input, as: UTF8.self)
            _ = OutputMarkers.logSwitchState(output)
            _ = OutputMarkers.databaseParameters(output)
            _ = OutputMarkers.missingArchivelogCommands(output)
            _ = OutputMarkers.deleteCopyCommands(output)
            _ = OutputMarkers.switchScript(output)
            _ = OutputMarkers.commonUserPrefix(output)
            _ = OutputMarkers.isRegisteredInCatalog(output)
            _ = OutputMarkers.verificationTime(output)
            _ = OutputMarkers.adrHomes(output)
            // How the tools read numbers out of marker values.
            for prefix in ["CORRUPT BLOCK COUNT:", "NONLOGGED BLOCK COUNT:"] {
                _ = OutputMarkers.value(after: prefix, in: output).flatMap { Int($0) }
            }
            _ = OutputMarkers.value(after: "LOG MESSAGE ID:", in: output).flatMap { Int64($0) }
            _ = OutputMarkers.values(after: "DATAFILE STATUS:", in: output)
        })

    static let lockFile = FuzzTarget(
        name: "lock-file",
        summary: "lock file holder parser (ours and the original's format)",
        samples: [
            "host: dbhost01\npid: 12345\nstarted: 2016-11-08 21:53:35\n",
            "('Linux', 'backup', '3.10.0', '#1 SMP', 'x86_64')\n2016-11-08 21:53:35\n12345\n",
        ],
        mutator: Mutator(
            dictionary: ["host: ", "pid: ", "started: ", "('", "', '", "')", "-1", "2147483648"], maximumSize: 64 << 10),
        body: { input in
            if let holder = LockHolder.parse(String(decoding: input, as: UTF8.self)) { _ = holder.description }
        })

    static let btrfsQgroups = FuzzTarget(
        name: "btrfs-qgroups",
        summary: "`btrfs qgroup show --raw` parser",
        samples: [
            "qgroupid         rfer         excl \n--------         ----         ---- \n0/5          16384        16384 \n0/256    1073741824     4096 \n1/100  99 99\n"
        ],
        mutator: Mutator(
            dictionary: ["0/", "1/", " ", "-", "9223372036854775808", "18446744073709551615"], maximumSize: 64 << 10),
        body: { input in
            _ = BtrfsOutput.parseQgroups(String(decoding: input, as: UTF8.self))
        })
}
