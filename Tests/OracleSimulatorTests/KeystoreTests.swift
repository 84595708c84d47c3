import Foundation
import Testing

/// TDE in oracle-sim: `oracle-sim tde`, `administer key management set keystore open` found through
/// `ENCRYPTION_WALLET_LOCATION` in the instance's `sqlnet.ora`, and media recovery that needs the open keystore.
@Suite("TDE keystore")
struct KeystoreTests {
    static let password = "Sim-Keystore-Pw-1"

    @Test("recovery of an encrypted tablespace needs the keystore; it opens with its password only")
    func recoveryNeedsTheOpenKeystore() async throws {
        let flows = try OracleFlows(harness: try SimulatorHarness())
        let harness = flows.harness
        try await flows.createDatabases()
        let keystore = harness.root.appendingPathComponent("keystore").path
        let encrypted = try await harness.admin([
            "tde", "--db", "orcl", "--tablespace", "USERS", "--keystore", keystore, "--password", Self.password,
        ])
        #expect(encrypted.exitCode == 0, "\(encrypted.output)")
        #expect(!harness.read(keystore + "/ewallet.p12").contains(Self.password))
        try await flows.configure()
        try await flows.backupRun(snapshotName: "one")
        try await harness.admin(["workload", "orcl", "--transactions", "3"])
        let snapshot = try await flows.backupRun(snapshotName: "two")
        do {
            _ = try await flows.restore(from: snapshot)
            Issue.record("recovery should need the keystore")
        } catch let failure as OracleFlows.StepFailure {
            #expect(failure.step == "switch and recover")
            #expect(failure.output.contains("ORA-00283: recovery session canceled due to errors"), "\(failure.output)")
            #expect(failure.output.contains("ORA-28365: wallet is not open"))
        }

        // The instance is mounted: open the keystore the way autorestore does (sqlnet.ora in its TNS_ADMIN).
        func openKeystore(_ password: String, tnsAdmin: String) async throws -> SimulatorHarness.Run {
            try await harness.run(
                harness.tool("sqlplus"), ["-S", "/nolog"],
                input:
                    "whenever sqlerror exit failure\nconn / as sysdba\nadminister key management set keystore open identified by \"\(password)\";\nexit\n",
                extraEnvironment: ["ORACLE_SID": "orcl", "TNS_ADMIN": tnsAdmin])
        }
        let tns = harness.root.appendingPathComponent("tde").path
        try FileManager.default.createDirectory(atPath: tns, withIntermediateDirectories: true)
        let noKeystore = try await openKeystore(Self.password, tnsAdmin: tns)
        #expect(noKeystore.exitCode == 1)
        #expect(noKeystore.output.contains("ORA-28367: wallet does not exist"), "\(noKeystore.output)")
        let sqlnet =
            "ENCRYPTION_WALLET_LOCATION =\n  (SOURCE = (METHOD = FILE)\n    (METHOD_DATA = (DIRECTORY = \(keystore))))\n"
        try sqlnet.write(toFile: tns + "/sqlnet.ora", atomically: true, encoding: .utf8)
        let wrong = try await openKeystore("not-it", tnsAdmin: tns)
        #expect(wrong.exitCode == 1)
        #expect(wrong.output.contains("ORA-28353: failed to open wallet"), "\(wrong.output)")
        let opened = try await openKeystore(Self.password, tnsAdmin: tns)
        #expect(opened.exitCode == 0, "\(opened.output)")
        #expect(opened.output.contains("keystore altered."))
        let again = try await openKeystore(Self.password, tnsAdmin: tns)
        #expect(again.output.contains("ORA-28354: Encryption wallet, auto login wallet, or HSM is already open"))

        // With the keystore open, recovery and the encrypted table's scan work.
        let lasttime = try #require(
            OracleFlows.parameter("lasttime", in: harness.read(harness.mountPoint + "/autorestore.cfg")))
        let recovered = try await harness.rman(
            "connect target /\nrun {\nallocate channel c1 device type disk;\nset until time \"to_date('\(lasttime)', 'yyyy-mm-dd hh24:mi:ss')\";\nrecover database;\n}\nexit\n",
            log: harness.logDirectory + "/recover-again.log", sid: "orcl")
        #expect(recovered.exitCode == 0, "\(harness.read(harness.logDirectory + "/recover-again.log"))")
        let read = try await harness.sqlplus(
            "whenever sqlerror exit failure\nconn / as sysdba\nalter database open read only;\nselect 'MARKER VALUE: '||(select count(*) from appdata.txlog) from dual;\nexit\n",
            sid: "orcl")
        #expect(read.exitCode == 0, "\(read.output)")
        #expect(read.output.contains("MARKER VALUE: "), "\(read.output)")
        try await flows.abortInstance()
    }
}
