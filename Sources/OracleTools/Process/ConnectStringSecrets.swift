extension Redaction {
    /// The password of an Oracle connect string `user/password[@alias][ as sysdba]`, or nil for wallet logins
    /// (`/@alias`, `/`) and strings without one. Such passwords are masked like any other secret.
    public static func connectStringPassword(_ connect: String) -> String? {
        guard let slash = connect.firstIndex(of: "/"), slash != connect.startIndex,
            !connect[..<slash].contains(where: { $0.isWhitespace || $0 == "@" })
        else { return nil }
        var rest = connect[connect.index(after: slash)...]
        if let at = rest.lastIndex(of: "@") {
            rest = rest[..<at]
        } else if let space = rest.firstIndex(where: \.isWhitespace) {
            rest = rest[..<space]
        }
        return rest.isEmpty ? nil : String(rest)
    }

    /// `connect` with its password (if any) replaced by `****`.
    public static func maskingConnectString(_ connect: String) -> String {
        guard let password = connectStringPassword(connect) else { return connect }
        return mask(connect, secrets: [password])
    }
}
