import Foundation
import Logging
import Testing

@testable import StorageBtrfs

@Suite("btrfs qgroups and privileges")
struct BtrfsQgroupPrivilegeTests {
    @Test("an unprivileged driver never runs qgroup show (its --sync would commit the filesystem, then be refused)")
    func unprivilegedDoesNotAskForQgroups() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/oib-btrfs-qgroup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let calls = directory + "/calls"
        let fake = directory + "/btrfs"
        try Data(
            "#!/bin/sh\necho \"$*\" >> '\(calls)'\necho 'Qgroupid Referenced Exclusive'\necho '0/257 100 10'\n".utf8
        ).write(to: URL(fileURLWithPath: fake))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        var driver = BtrfsDriver(
            volumeName: "orcl", root: directory, command: fake, timeout: .seconds(30), logger: Logger(label: "t"))

        driver.readsQgroups = false
        #expect(await driver.qgroups() == nil)
        #expect(!FileManager.default.fileExists(atPath: calls))

        driver.readsQgroups = true
        #expect(await driver.qgroups()?[257] == QgroupUsage(referenced: 100, exclusive: 10))
        #expect(try String(contentsOfFile: calls, encoding: .utf8).contains("qgroup show --raw --sync"))
    }

    @Test("a driver asks for qgroups exactly when it runs as root")
    func privilegeDecidesByDefault() {
        let driver = BtrfsDriver(volumeName: "orcl", root: "/nonexistent", logger: Logger(label: "t"))
        #expect(driver.readsQgroups == (geteuid() == 0))
    }
}
