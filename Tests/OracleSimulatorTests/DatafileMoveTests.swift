import Foundation
import Testing

/// `alter database move datafile` (online moves, 12c) on a simulated production database: the file really moves,
/// `v$datafile` follows it, and bad names or existing targets fail with Oracle's errors.
@Suite("Online datafile moves")
struct DatafileMoveTests {
    /// Runs `statements` connected to the production database `orcl`, stopping at the first error.
    func sql(_ harness: SimulatorHarness, _ statements: String) async throws -> SimulatorHarness.Run {
        try await harness.sqlplus("whenever sqlerror exit failure\nconn /@orcl as sysdba\n\(statements)\nexit\n")
    }

    /// The datafile names of `orcl`, by file number.
    func datafiles(_ harness: SimulatorHarness) async throws -> [Int: String] {
        let output = try await sql(
            harness,
            "set lines 32767\nselect 'INSTANT DATAFILE: '||d.file#||' '||t.name||' '||d.name from v$datafile d join v$tablespace t on t.ts# = d.ts# order by d.file#;"
        ).output
        var names: [Int: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 4)
            guard fields.count == 5, fields[0] == "INSTANT", let number = Int(fields[2]) else { continue }
            names[number] = String(fields[4])
        }
        return names
    }

    @Test("a move copies the file, switches v$datafile and removes the original unless KEEP")
    func movesTheFile() async throws {
        let harness = try SimulatorHarness()
        try await OracleFlows(harness: harness).createDatabases()
        let before = try await datafiles(harness)
        let users = try #require(before[4])
        let target = harness.root.path + "/primary"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let original = try Data(contentsOf: URL(fileURLWithPath: users))

        let moved = try await sql(harness, "alter database move datafile '\(users)' to '\(target)/users01.dbf';")
        #expect(moved.exitCode == 0, "\(moved.output)")
        #expect(moved.output.contains("Database altered."), "\(moved.output)")
        #expect(try await datafiles(harness)[4] == target + "/users01.dbf")
        #expect(!FileManager.default.fileExists(atPath: users), "the original stays only with KEEP")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/users01.dbf")) == original)

        // By number, keeping the original.
        let kept = try await sql(harness, "alter database move datafile 4 to '\(target)/users02.dbf' keep;")
        #expect(kept.exitCode == 0, "\(kept.output)")
        #expect(FileManager.default.fileExists(atPath: target + "/users01.dbf"))
        #expect(try await datafiles(harness)[4] == target + "/users02.dbf")
    }

    @Test("unknown files, existing targets and missing directories fail with Oracle's errors")
    func errors() async throws {
        let harness = try SimulatorHarness()
        try await OracleFlows(harness: harness).createDatabases()
        let files = try await datafiles(harness)
        let system = try #require(files[1])
        let sysaux = try #require(files[2])

        let unknown = try await sql(harness, "alter database move datafile '/nowhere/x.dbf' to '/tmp/x.dbf';")
        #expect(unknown.exitCode != 0)
        #expect(
            unknown.output.contains(
                "ORA-01516: nonexistent log file, data file, or temporary file \"/nowhere/x.dbf\""), "\(unknown.output)"
        )
        let existing = try await sql(harness, "alter database move datafile '\(system)' to '\(sysaux)';")
        #expect(existing.exitCode != 0)
        #expect(
            existing.output.containsInOrder([
                "ORA-01119: error in creating database file '\(sysaux)'", "ORA-27038: created file already exists",
                "Additional information: 1",
            ]), "\(existing.output)")
        let noDirectory = try await sql(
            harness, "alter database move datafile 1 to '\(harness.root.path)/missing/system01.dbf';")
        #expect(
            noDirectory.output.containsInOrder([
                "ORA-01119: error in creating database file", "ORA-27040: file create error, unable to create file",
                "Linux-x86_64 Error: 2: No such file or directory",
            ]), "\(noDirectory.output)")
        // Nothing moved.
        #expect(try await datafiles(harness) == files)
    }
}

extension String {
    /// Whether `needles` occur in this order.
    fileprivate func containsInOrder(_ needles: [String]) -> Bool {
        var from = startIndex
        for needle in needles {
            guard let range = range(of: needle, range: from..<endIndex) else { return false }
            from = range.upperBound
        }
        return true
    }
}
