import Foundation
import Testing

@testable import ToolSupport

@Suite("mountinfo parser")
struct MountInfoTests {
    static let sample = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
        25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
        40 22 0:35 / /u02/autorestore/mnt rw,relatime shared:20 master:3 - nfs zfssa01:/export/demo-backup/autorestore rw,vers=3,addr=10.0.0.5
        41 22 0:36 / /mnt/with\\040space\\011tab rw - tmpfs my\\040tmpfs rw,size=1024k
        42 22 8:1 /srv/data /var/lib/back\\134slash rw - ext4 /dev/sda1 rw
        43 22 0:37 / /u02/r\\303\\251sum\\303\\251 rw - tmpfs none rw
        this line is not a mount
        44 22 0:38 / /short rw
        50 40 0:39 / /u02/autorestore/mnt rw - tmpfs stacked rw
        """

    @Test("fields, optional fields and the separator")
    func parsesFields() throws {
        let entries = MountInfo.parse(Self.sample)
        #expect(entries.count == 7)
        let nfs = try #require(entries.first { $0.mountID == 40 })
        #expect(nfs.parentID == 22)
        #expect(nfs.device == "0:35")
        #expect(nfs.root == "/")
        #expect(nfs.mountPoint == "/u02/autorestore/mnt")
        #expect(nfs.mountOptions == "rw,relatime")
        #expect(nfs.filesystemType == "nfs")
        #expect(nfs.source == "zfssa01:/export/demo-backup/autorestore")
        #expect(nfs.superOptions == "rw,vers=3,addr=10.0.0.5")
        let noOptionalFields = try #require(entries.first { $0.mountID == 41 })
        #expect(noOptionalFields.filesystemType == "tmpfs")
    }

    @Test("octal escapes: space, tab, backslash; UTF-8 passes through")
    func unescapesOctal() throws {
        let entries = MountInfo.parse(Self.sample)
        #expect(entries.first { $0.mountID == 41 }?.mountPoint == "/mnt/with space\ttab")
        #expect(entries.first { $0.mountID == 41 }?.source == "my tmpfs")
        #expect(entries.first { $0.mountID == 42 }?.mountPoint == "/var/lib/back\\slash")
        #expect(entries.first { $0.mountID == 42 }?.root == "/srv/data")
        #expect(entries.first { $0.mountID == 43 }?.mountPoint == "/u02/résumé")
        #expect(MountInfo.unescape("a\\012b") == "a\nb")
        // Not an escape: kept as written.
        #expect(MountInfo.unescape("a\\9b\\") == "a\\9b\\")
        #expect(MountInfo.unescape("\\04") == "\\04")
        #expect(MountInfo.unescape("\\400") == "\\400")
        #expect(MountInfo.unescape("plain/ü") == "plain/ü")
    }

    @Test("the top mount of a stacked mount point wins; other paths are not mount points")
    func topMount() {
        let entries = MountInfo.parse(Self.sample)
        #expect(MountInfo.topMount(at: "/u02/autorestore/mnt", in: entries)?.source == "stacked")
        #expect(MountInfo.topMount(at: "/u02/autorestore", in: entries) == nil)
        #expect(MountInfo.topMount(at: "/", in: entries)?.source == "/dev/sda1")
    }

    @Test("the running system's table lists / and /proc")
    func currentTable() throws {
        let entries = try #require(MountInfo.current())
        #expect(entries.contains { $0.mountPoint == "/" })
        #expect(entries.contains { $0.mountPoint == "/proc" && $0.filesystemType == "proc" })
        #expect(MountInfo.current(path: "/nonexistent/mountinfo") == nil)
    }

    @Test("garbage never crashes the parser")
    func garbage() {
        for text in [
            "", "\n\n", "- - - - - - - - - -", "1 2 3 4 5 6 - a", "x y 0:1 / / rw - t s o", "1 2 0:1 / / rw -",
        ] {
            _ = MountInfo.parse(text)
        }
        #expect(MountInfo.parse("1 2 0:1 / / rw - t s o").count == 1)
        #expect(MountInfo.parse("1 2 0:1 / / rw -").isEmpty)
    }
}
