import ConfigModel

/// `mountcommand` / `umountcommand` of `[autorestore]` as argument lists.
public enum MountCommandLine {
    /// `text` (or `fallback`) split on spaces, with `${mountpoint}` replaced; `${mountstring}` is left for the
    /// restore engine, which knows the clone (``CloneMounting/mountStringPlaceholder``).
    public static func arguments(_ text: String?, fallback: String, mountPoint: String) -> [String] {
        (text ?? fallback).replacingOccurrences(of: "${mountpoint}", with: mountPoint)
            .split(separator: " ").map(String.init)
    }

    /// The configured mount and unmount commands for `mountPoint` (`mount <mountpoint>` and `umount <mountpoint>`,
    /// found through `PATH`, when unset: an fstab `user` entry, exactly as the original ran them).
    public static func commands(_ settings: AutorestoreSettings, mountPoint: String) -> (
        mount: [String], unmount: [String]
    ) {
        (
            arguments(settings.mountCommand, fallback: "mount \(mountPoint)", mountPoint: mountPoint),
            arguments(settings.unmountCommand, fallback: "umount \(mountPoint)", mountPoint: mountPoint)
        )
    }
}
