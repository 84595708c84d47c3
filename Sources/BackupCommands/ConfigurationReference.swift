import ConfigModel
import StandardDrivers
import StorageKit
import StorageRetention

/// The configuration reference: every key the tools read, with its section, default, who reads it and what it
/// means, gathered from the catalogues next to the code that reads the keys (ConfigModel's, StorageRetention's,
/// each storage driver's descriptor) and printed as Markdown by `backup configreference`.
///
/// `Scripts/config-reference.sh` writes ``markdown(registry:)`` into the generated block of
/// `Documentation/configuration.md`; a test fails when the committed page differs from it.
public enum ConfigurationReference {
    /// The first line of the generated block.
    public static let beginMarker = "<!-- generated: begin -->"
    /// The last line of the generated block.
    public static let endMarker = "<!-- generated: end -->"

    /// Every documented key outside the storage sections: ConfigModel's and the retention keys.
    public static let sharedKeys: [ConfigKeyReference] =
        ConfigKeyReference.configModel + ConfigKeyReference.retention + ConfigKeyReference.replication

    /// Every documented key: ``sharedKeys`` and the keys of every storage section of `registry`.
    public static func catalogue(registry: StorageDriverRegistry = StandardDrivers.registry) -> [ConfigKeyReference] {
        sharedKeys + registry.descriptors.flatMap(\.keyReference)
    }

    /// The generated block, markers included, ending in a newline.
    public static func markdown(registry: StorageDriverRegistry = StandardDrivers.registry) -> String {
        var lines: [String] = [
            beginMarker,
            "<!-- Written by Scripts/config-reference.sh (`backup configreference`) from the key catalogues in the",
            "     code: Sources/ConfigModel/Reference, Sources/StorageRetention/RetentionKeyReference.swift,",
            "     Sources/StorageKit/Replication/ReplicationSettings.swift and each storage driver's descriptor.",
            "     Edit those, not this block. -->",
            "",
        ]
        func section(_ heading: String, _ name: String, _ intro: [String] = []) {
            lines += ["## \(heading)", ""]
            if !intro.isEmpty { lines += intro + [""] }
            lines += table(sharedKeys.filter { $0.section == name }) + [""]
        }
        section(
            "`[generic]`", "generic",
            ["Per database, each key may be given as `generic<key>` in the database's section."])
        section("`[rman]`", "rman", ["Per database: `rman<key>`."])
        section(
            "`[autorestore]`", "autorestore",
            ["Per database: `autorestore<key>` (e.g. `autorestoreautorestoresnapage`, `autorestorepga_size`)."])
        section(
            "Database sections `[<db_unique_name>]`", ConfigKeyReference.databaseSection,
            [
                "Keys of the database's own section (also from `[DEFAULT]`). The retention keys are described in "
                    + "full in [retention.md](configuration/retention.md)."
            ])
        section(
            "Off-site copies `[replication]`", ConfigKeyReference.replicationSection,
            [
                "The replica's storage driver reads its own keys of its storage section below from here (e.g. `root` "
                    + "for btrfs, `dataset` for openzfs), and the replica's retention the retention keys of a database "
                    + "section; per database, any of them as `replication<key>`. See [replication.md](replication.md)."
            ])
        lines += ["## Storage sections", ""]
        lines += [
            "The section of the module `snappermodule` names; per database, each key may be given as "
                + "`<section><key>` in the database's section (e.g. `zfssapool`).",
            "",
        ]
        for descriptor in registry.descriptors {
            lines += storageSection(descriptor) + [""]
        }
        lines.append(endMarker)
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` with its generated block replaced by `block`; `nil` when `text` has no block.
    public static func replacingBlock(in text: String, with block: String) -> String? {
        guard let begin = text.range(of: beginMarker),
            let end = text.range(of: endMarker, range: begin.upperBound..<text.endIndex)
        else { return nil }
        var rest = text[end.upperBound...]
        if rest.hasPrefix("\n") { rest = rest.dropFirst() }
        return String(text[..<begin.lowerBound]) + block + rest
    }

    static func storageSection(_ descriptor: StorageDriverDescriptor) -> [String] {
        var lines = ["### `[\(descriptor.sectionName)]`", ""]
        let modules = descriptor.moduleNames.map { "`\($0)`" }.joined(separator: " or ")
        let classes = descriptor.classNames.map { "`\($0)`" }.joined(separator: " or ")
        lines.append(
            "Driver `\(descriptor.name)`, selected by `snappermodule` \(modules) (`snapperclass`, any case: \(classes))."
        )
        if let credentials = descriptor.credentials {
            lines += ["", credentialsLine(credentials)]
        }
        lines.append("")
        let keys = descriptor.keyReference.filter { $0.section == descriptor.sectionName }
        if keys.isEmpty {
            lines.append("No keys.")
        } else {
            lines += table(keys)
        }
        return lines
    }

    static func credentialsLine(_ layout: StorageCredentialsLayout) -> String {
        var sources: [String] = []
        if let user = layout.userVariable, let password = layout.passwordVariable {
            sources.append("the environment variables `\(user)` and `\(password)`")
        }
        if let home = layout.homeFile {
            sources.append("`~/\(home)` `[\(layout.homeFileSection ?? layout.section)]`")
        }
        sources.append(
            "`\(layout.file)` `[\(layout.section)]` `\(layout.userKey)`, `\(layout.passwordKey)` (beside the configuration file, `chmod 600`)"
        )
        var line = "Credentials (secret: never in `backup.cfg`, never shown): " + sources.joined(separator: ", else ")
        line += "."
        if let settings = layout.settingsSection {
            line += " The credentials file's `[\(settings)]` section overrides this section's keys."
        }
        return line
    }

    static func table(_ keys: [ConfigKeyReference]) -> [String] {
        var lines = [
            "| key | default | required for | read by | meaning |",
            "|---|---|---|---|---|",
        ]
        for key in keys {
            let name = "`\(key.key)`" + (key.isSecret ? " (secret)" : "")
            let meaning = (key.isNew ? "New. " : "") + key.meaning
            let cells = [name, shown(key.defaultValue), key.requiredFor ?? "—", key.readBy, meaning]
            lines.append("| " + cells.map(escaped).joined(separator: " | ") + " |")
        }
        return lines
    }

    /// A default as shown: `—` for none; a bare word or number (`TRUE`, `300`, `FREQ=DAILY`) in code style;
    /// anything else (prose, text already in code style) as written.
    static func shown(_ value: String?) -> String {
        guard let value else { return "—" }
        let literal = value.allSatisfy { $0.isLetter || $0.isNumber || "_.=;+".contains($0) }
        return literal && !["none", "empty"].contains(value) ? "`\(value)`" : value
    }

    /// `text` safe inside a table cell.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
