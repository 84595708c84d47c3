import Foundation
import Logging

/// Deletes old run logs (`logretention`), touching only regular `*.log` files directly inside one directory.
public enum LogRetention {
    /// Removes `*.log` files whose modification time is more than `days` days before `now`.
    /// - Returns: the paths removed.
    @discardableResult
    public static func clean(directory: String, days: Int, now: Date = Date(), logger: Logger) -> [String] {
        guard days >= 0, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let limit = now.addingTimeInterval(-Double(days) * 86_400)
        var removed: [String] = []
        for name in names.sorted() where name.hasSuffix(".log") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date, modified < limit
            else { continue }
            do {
                try FileManager.default.removeItem(atPath: path)
                removed.append(path)
                logger.debug("Removed old log file \(path)")
            } catch {
                logger.warning("Could not remove old log file \(path): \(error)")
            }
        }
        return removed
    }
}
