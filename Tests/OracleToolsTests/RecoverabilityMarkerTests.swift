import OracleTools
import Testing

/// The markers of the backup's recoverability checks (`archivelogsnapshotcheck`, `datafilesnotonline`) and the
/// comparison of the controlfile's archived logs with the files in the backup area.
struct RecoverabilityMarkerTests {
    /// SQL*Plus output as the check prints it with `set echo on`: the statement is echoed, then the rows.
    static let coverageOutput = """
        SQL> select 'ARCHIVELOG NEEDED: '||thread#||' '||sequence# from (
          2  select distinct l.thread#, l.sequence# from v$archived_log l where …
        ARCHIVELOG NEEDED: 1 11
        ARCHIVELOG NEEDED: 1 12
        ARCHIVELOG NEEDED: 2 7
        ARCHIVELOG IN BACKUP AREA: 1 10 /backup/orcl/archivelog/1_10_905.dbf
        ARCHIVELOG IN BACKUP AREA: 1 11 /backup/orcl/archivelog/1_11_905.dbf
        ARCHIVELOG IN BACKUP AREA: 1 11 /backup/orcl/archivelog/arch_D-ORCL_SEQ-11_TH-1 copy
        ARCHIVELOG IN BACKUP AREA: 2 7 /backup/orcl/archivelog/2_7_905.dbf   
        ARCHIVELOG NEEDED: garbage

        6 rows selected.
        """

    @Test func archivelogCoverageParsesBothMarkersAndIgnoresTheEcho() {
        let coverage = OutputMarkers.archivelogCoverage(Self.coverageOutput)
        #expect(
            coverage.needed == [
                ArchivedLogID(thread: 1, sequence: 11), ArchivedLogID(thread: 1, sequence: 12),
                ArchivedLogID(thread: 2, sequence: 7),
            ])
        #expect(
            coverage.inBackupArea[ArchivedLogID(thread: 1, sequence: 11)] == [
                "/backup/orcl/archivelog/1_11_905.dbf", "/backup/orcl/archivelog/arch_D-ORCL_SEQ-11_TH-1 copy",
            ])
        #expect(coverage.inBackupArea[ArchivedLogID(thread: 2, sequence: 7)] == ["/backup/orcl/archivelog/2_7_905.dbf"])
        #expect(coverage.inBackupArea.count == 3)
    }

    @Test func aNeededLogIsMissingWhenNoListedFileExists() {
        let coverage = OutputMarkers.archivelogCoverage(Self.coverageOutput)
        // Everything listed exists: only 1/12, which the controlfile does not list in the backup area.
        #expect(coverage.missing { _ in true } == [ArchivedLogID(thread: 1, sequence: 12)])
        // One of two copies of 1/11 is gone: still covered. 2/7's only file is gone: missing.
        let present: Set<String> = ["/backup/orcl/archivelog/arch_D-ORCL_SEQ-11_TH-1 copy"]
        #expect(
            coverage.missing { present.contains($0) } == [
                ArchivedLogID(thread: 1, sequence: 12), ArchivedLogID(thread: 2, sequence: 7),
            ])
        // Nothing needed (no image copies yet): nothing missing, whatever the disk holds.
        #expect(ArchivelogCoverage(needed: [], inBackupArea: [:]).missing { _ in false }.isEmpty)
        #expect(ArchivedLogID(thread: 1, sequence: 12).description == "thread 1 sequence 12")
    }

    @Test func datafilesNotOnlineKeepNamesWithBlanks() {
        let output = """
            SQL> select 'DATAFILE NOT ONLINE: '||file#||' '||status||' '||name from v$datafile where …
            DATAFILE NOT ONLINE: 4 OFFLINE /u01/oradata/ORCL/users 01.dbf
            DATAFILE NOT ONLINE: 7 RECOVER /u01/oradata/ORCL/archive2015.dbf
            DATAFILE NOT ONLINE: x OFFLINE /bad

            2 rows selected.
            """
        #expect(
            OutputMarkers.datafilesNotOnline(output) == [
                DatafileNotOnline(fileNumber: 4, status: "OFFLINE", name: "/u01/oradata/ORCL/users 01.dbf"),
                DatafileNotOnline(fileNumber: 7, status: "RECOVER", name: "/u01/oradata/ORCL/archive2015.dbf"),
            ])
        #expect(OutputMarkers.datafilesNotOnline("no rows selected\n").isEmpty)
    }
}
