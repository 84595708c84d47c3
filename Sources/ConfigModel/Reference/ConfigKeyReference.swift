import Foundation

/// One documented configuration key: the entry of the configuration reference (`Documentation/configuration.md`
/// is generated from these, by `backup configreference`).
///
/// Each module that reads keys owns the entries of its keys: ConfigModel those of `[generic]`, `[rman]`,
/// `[autorestore]` and the database sections (``configModel``), StorageRetention the retention keys, each storage
/// driver the keys of its section (its `StorageDriverDescriptor`). A test reads a configuration through every
/// reader while ``ConfigKeyReads`` records the keys asked for, and fails on a key read without an entry, or an
/// entry nobody reads.
public struct ConfigKeyReference: Sendable, Hashable {
    /// The section name the entries of database sections use: `<db_unique_name>`.
    public static let databaseSection = "<db_unique_name>"

    /// The key, lower-case; `timeout<step>` stands for every key starting with `timeout` (see ``matches(_:)``).
    public var key: String
    /// The section it is read from (`generic`, `zfssa`, …), or ``databaseSection``.
    public var section: String
    /// The default as shown to users (`TRUE`, `300`, `the URL's host`); `nil`: none (the key is required where
    /// ``requiredFor`` says, or it is simply off when absent).
    public var defaultValue: String?
    /// What needs the key set (`backup`, `snapshots`, `always`); `nil`: nothing, it is optional.
    public var requiredFor: String?
    /// What it means, in one Markdown line.
    public var meaning: String
    /// The tools or the driver that read it (`backup`, `autorestore`, `driver zfssa`).
    public var readBy: String
    /// True when the value is, or may hold, a secret (a password, a connect string with a password): it is masked
    /// wherever the tools show it.
    public var isSecret: Bool
    /// True when the key is not the original tool's (this rebuild added it).
    public var isNew: Bool

    /// An entry.
    /// - Parameters:
    ///   - key: the key (lower-cased).
    ///   - section: where it is read from.
    ///   - defaultValue: the default as users see it; `nil` for none.
    ///   - requiredFor: what needs it; `nil` when optional.
    ///   - meaning: one Markdown line.
    ///   - readBy: the tools or driver reading it.
    ///   - isSecret: the value is or may hold a secret.
    ///   - isNew: the original tool did not have it.
    public init(
        _ key: String, section: String, defaultValue: String? = nil, requiredFor: String? = nil, meaning: String,
        readBy: String, isSecret: Bool = false, isNew: Bool = false
    ) {
        self.key = key.lowercased()
        self.section = section
        self.defaultValue = defaultValue
        self.requiredFor = requiredFor
        self.meaning = meaning
        self.readBy = readBy
        self.isSecret = isSecret
        self.isNew = isNew
    }

    /// True when `key` (lower-case) is this entry's key; an entry `prefix<name>` matches every key starting with
    /// `prefix`.
    public func matches(_ key: String) -> Bool {
        if let open = self.key.firstIndex(of: "<") {
            return key.hasPrefix(self.key[..<open])
        }
        return key == self.key
    }
}

/// One key a reader asked for: the section it was looked up in (the lookup's default section when the call named
/// none, usually the database's) and the key.
public struct ConfigKeyRead: Sendable, Hashable, CustomStringConvertible {
    /// The section asked for.
    public var section: String
    /// The key, lower-case.
    public var key: String

    /// A read of `key` in `section`.
    public init(section: String, key: String) {
        self.section = section
        self.key = key.lowercased()
    }

    public var description: String { "[\(section)] \(key)" }
}

/// Records the keys that configuration readers ask for, so a test can compare them with the documented keys.
///
/// Every read through ``ConfigLookup/value(_:section:)`` and ``ConfigSection/value(_:)`` is recorded while
/// ``recording(_:)`` runs its body; outside it, nothing is recorded and a read costs one task-local lookup.
public enum ConfigKeyReads {
    /// The keys read so far by the body of ``recording(_:)``.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var reads: Set<ConfigKeyRead> = []

        func record(_ read: ConfigKeyRead) {
            lock.lock()
            reads.insert(read)
            lock.unlock()
        }

        var recorded: Set<ConfigKeyRead> {
            lock.lock()
            defer { lock.unlock() }
            return reads
        }
    }

    @TaskLocal static var current: Recorder?

    /// Runs `body` and returns every key it read.
    public static func recording(_ body: () throws -> Void) rethrows -> Set<ConfigKeyRead> {
        let recorder = Recorder()
        try $current.withValue(recorder) { try body() }
        return recorder.recorded
    }

    static func record(section: String, key: String) {
        current?.record(ConfigKeyRead(section: section, key: key))
    }
}
