import Testing

@testable import AutorestoreEngine

/// The check before recovery (issue 20, item 2): every image copy the restored controlfile lists must be cataloged
/// again from the clone, as a copy of the same datafile, and nothing outside the clone may stay cataloged.
@Suite("Datafile copies checked before recovery")
struct DatafileCopyCheckTests {
    typealias Copy = RecoveryStage.ListedCopy

    let listed = [
        Copy(fileNumber: 1, creationSCN: "7", path: "/backup/orcl/data_D-ORCL_TS-SYSTEM_FNO-1_a"),
        Copy(fileNumber: 4, creationSCN: "1200", path: "/backup/orcl/data_D-ORCL_TS-USERS_FNO-4_b"),
    ]

    @Test func parsesFileNumberCreationAndAPathWithSpaces() {
        let output = "SQL> select …\nDATAFILE COPY: 4 1200 /mnt/clone dir/data_D-ORCL_TS-USERS_FNO-4_b   \n"
        #expect(
            RecoveryStage.parseCopies(output)
                == [Copy(fileNumber: 4, creationSCN: "1200", path: "/mnt/clone dir/data_D-ORCL_TS-USERS_FNO-4_b")])
    }

    @Test func everyListedCopyInTheClonePasses() throws {
        let cataloged = [
            Copy(fileNumber: 1, creationSCN: "7", path: "/mnt/ar/data_D-ORCL_TS-SYSTEM_FNO-1_a"),
            Copy(fileNumber: 4, creationSCN: "1200", path: "/mnt/ar/sub/data_D-ORCL_TS-USERS_FNO-4_b"),
        ]
        try RecoveryStage.checkCopies(listed: listed, cataloged: cataloged, clonePaths: ["/mnt/ar/"])
    }

    @Test func aMissingCopyIsNamedWithFileNumberAndPath() {
        let cataloged = [Copy(fileNumber: 1, creationSCN: "7", path: "/mnt/ar/data_D-ORCL_TS-SYSTEM_FNO-1_a")]
        let failure = #expect(throws: RestoreFailure.self) {
            try RecoveryStage.checkCopies(listed: listed, cataloged: cataloged, clonePaths: ["/mnt/ar"])
        }
        #expect(failure?.reason == .missingDatafileCopy)
        #expect(
            failure?.detail.contains("datafile 4 (data_D-ORCL_TS-USERS_FNO-4_b") == true, "\(failure?.detail ?? "")")
    }

    @Test func aCopyOfAnEarlierFileWithTheSameNumberDoesNotCount() {
        // File 4 was dropped and re-created: the clone holds a copy of the old file 4 only.
        let cataloged = [
            Copy(fileNumber: 1, creationSCN: "7", path: "/mnt/ar/data_D-ORCL_TS-SYSTEM_FNO-1_a"),
            Copy(fileNumber: 4, creationSCN: "300", path: "/mnt/ar/data_D-ORCL_TS-USERS_FNO-4_old"),
        ]
        let failure = #expect(throws: RestoreFailure.self) {
            try RecoveryStage.checkCopies(listed: listed, cataloged: cataloged, clonePaths: ["/mnt/ar"])
        }
        #expect(failure?.reason == .missingDatafileCopy)
    }

    @Test func aCopyOutsideTheCloneStillCatalogedIsRefused() {
        // A directory whose name only starts like the clone's is outside it.
        let cataloged = [
            Copy(fileNumber: 1, creationSCN: "7", path: "/mnt/ar/data_D-ORCL_TS-SYSTEM_FNO-1_a"),
            Copy(fileNumber: 4, creationSCN: "1200", path: "/mnt/ar2/data_D-ORCL_TS-USERS_FNO-4_b"),
        ]
        let failure = #expect(throws: RestoreFailure.self) {
            try RecoveryStage.checkCopies(listed: listed, cataloged: cataloged, clonePaths: ["/mnt/ar"])
        }
        #expect(failure?.reason == .catalogFilesFailed)
        #expect(failure?.detail.contains("/mnt/ar2/") == true)
    }

    @Test func aDatafileWithoutAListedCopyIsLeftToRecovery() throws {
        // Added after the last image copy refresh: the controlfile lists no copy; recovery creates it from redo.
        try RecoveryStage.checkCopies(
            listed: [listed[0]],
            cataloged: [
                Copy(fileNumber: 1, creationSCN: "7", path: "/mnt/ar/data_D-ORCL_TS-SYSTEM_FNO-1_a")
            ], clonePaths: ["/mnt/ar"])
    }

    @Test func aFailedRecoveryNamesTheErrorsRMANLogged() {
        let log = """
            Starting recover at 08-NOV-16
            RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============
            RMAN-00571: ===========================================================
            RMAN-03002: failure of recover command at 11/08/2016 21:50:00
            ORA-00283: recovery session canceled due to errors
            RMAN-00571: ===========================================================
            """
        #expect(
            RecoveryStage.withErrorLines("RMAN execution failed with code 1", from: log)
                == "RMAN execution failed with code 1: RMAN-03002: failure of recover command at 11/08/2016 21:50:00; ORA-00283: recovery session canceled due to errors"
        )
        #expect(RecoveryStage.withErrorLines("failed", from: "no errors here\n") == "failed")
    }
}
