import Foundation

/// The template files shipped with the tools (`rmantemplate.cfg`, `restoretemplate.cfg`, `reporttemplate.cfg`).
public enum BuiltInTemplates {
    public static let backup = "rmantemplate.cfg"
    public static let restore = "restoretemplate.cfg"
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
