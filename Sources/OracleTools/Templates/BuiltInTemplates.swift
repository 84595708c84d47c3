import Foundation

/// The template files shipped with the tools (`rmantemplate.cfg`, `restoretemplate.cfg`, `reporttemplate.cfg`).
public enum BuiltInTemplates {
    /// `rmantemplate.cfg`: the backup tool's RMAN and SQL*Plus scripts (reference §6.1).
    public static let backup = "rmantemplate.cfg"
    /// `restoretemplate.cfg`: the scripts of autorestore, the restore tool and the Oracle results catalog (§6.2).
    public static let restore = "restoretemplate.cfg"
    /// `reporttemplate.cfg`: the report queries (§6.3).
    public static let report = "reporttemplate.cfg"

    /// The directory holding the built-in files inside the package's resource bundle.
    public static var directory: String {
        Bundle.module.resourceURL!.appendingPathComponent("templates").path
    }

    /// Loads `name`, preferring the DBA's copy in `overrideDirectory` (`templatedir`).
    public static func load(_ name: String, overrideDirectory: String?) throws(TemplateError) -> ScriptTemplates {
        try ScriptTemplates.load(name: name, overrideDirectory: overrideDirectory, builtInDirectory: directory)
    }
}
