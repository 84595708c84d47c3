import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Baseline installations of the fault matrix (databases created, `config` run, one or two backups taken), built
/// once per test run and copied into each case's scratch installation. Most of a case's cost is its baseline,
/// which is the same for every case that starts from a healthy installation on local storage.
///
/// A copy is a faithful installation: every file is copied, and the template's root path inside files and link
/// targets (configuration, simulated controlfiles, snapshot contracts, logs) is rewritten to the case's root.
/// Both roots have the same length (`oib-e2e-` and eight characters), so binary files keep their layout.
actor BaselineTemplates {
    static let shared = BaselineTemplates()

    private var templates: [Int: Task<OracleEnvironment, any Error>] = [:]

    /// Roots to remove when the test process ends (a template lives as long as the process).
    private static let roots = Mutex<[String]>([])

    func copy(backups: Int, into environment: OracleEnvironment) async throws {
        let template = try await self.template(backups: backups)
        try Self.copyTree(from: template.root, to: environment.root, keeping: [environment.configPath])
    }

    private func template(backups: Int) async throws -> OracleEnvironment {
        if let built = templates[backups] { return try await built.value }
        let building = Task<OracleEnvironment, any Error> {
            let environment = try OracleEnvironment()
            Self.removeAtExit(environment.root)
            try await FaultMatrixHarness.buildBaseline(environment, backups: backups, createVolume: false)
            return environment
        }
        templates[backups] = building
        return try await building.value
    }

    private static func removeAtExit(_ root: String) {
        let first = roots.withLock {
            $0.append(root)
            return $0.count == 1
        }
        if first {
            atexit {
                for root in BaselineTemplates.roots.withLock({ $0 }) {
                    try? FileManager.default.removeItem(atPath: root)
                }
            }
        }
    }

    /// Copies every entry below `source` to the same place below `target` (replacing what is there, except the
    /// paths in `keeping`), rewriting `source` to `target` in file contents and link targets.
    static func copyTree(from source: String, to target: String, keeping: Set<String>) throws {
        precondition(source.utf8.count == target.utf8.count, "template and case roots differ in length")
        let files = FileManager.default
        let old = Array(source.utf8)
        let new = Array(target.utf8)
        guard let walker = files.enumerator(atPath: source) else { return }
        while let relative = walker.nextObject() as? String {
            let from = source + "/" + relative
            let to = target + "/" + relative
            if keeping.contains(to) { continue }
            let attributes = try files.attributesOfItem(atPath: from)
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory {
                if !files.fileExists(atPath: to) {
                    try files.createDirectory(atPath: to, withIntermediateDirectories: false, attributes: nil)
                }
                if let mode = attributes[.posixPermissions] {
                    try files.setAttributes([.posixPermissions: mode], ofItemAtPath: to)
                }
                continue
            }
            if (try? files.attributesOfItem(atPath: to)) != nil { try files.removeItem(atPath: to) }
            if type == .typeSymbolicLink {
                let destination = try files.destinationOfSymbolicLink(atPath: from)
                try files.createSymbolicLink(
                    atPath: to, withDestinationPath: destination.replacingOccurrences(of: source, with: target))
                continue
            }
            guard type == .typeRegular else { continue }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: from)))
            try Data(replacing(old, with: new, in: bytes)).write(to: URL(fileURLWithPath: to))
            var kept: [FileAttributeKey: Any] = [:]
            kept[.posixPermissions] = attributes[.posixPermissions]
            kept[.modificationDate] = attributes[.modificationDate]
            try files.setAttributes(kept, ofItemAtPath: to)
        }
    }

    /// `bytes` with every occurrence of `old` replaced by `new` (same length).
    static func replacing(_ old: [UInt8], with new: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard let first = old.first, bytes.count >= old.count else { return bytes }
        var result = bytes
        var index = 0
        let last = bytes.count - old.count
        while index <= last {
            if result[index] == first, result[index..<(index + old.count)].elementsEqual(old) {
                result.replaceSubrange(index..<(index + old.count), with: new)
                index += old.count
            } else {
                index += 1
            }
        }
        return result
    }
}
