import Foundation

/// Keeps appliance secrets (passwords, `Authorization` values, session tokens) out of messages and log lines.
///
/// Appliances may echo a request in an error body; anything built from a response for a message goes through
/// ``HTTPResponse/redacted(_:)``, which masks the secrets of the request that got the response.
public enum SecretRedaction {
    /// What replaces a secret.
    public static let mask = "****"

    /// `text` with every secret (and its JSON-escaped form, as an echoing body would carry it) replaced by `****`.
    public static func redact(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in forms(of: secrets) where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return result
    }

    /// The secrets carried by a header value: the value itself and, for `Basic` authorization, the encoded and
    /// decoded credentials and the password alone.
    public static func secrets(inHeaderValue value: String) -> [String] {
        var found = [value]
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, parts[0].lowercased() == "basic" || parts[0].lowercased() == "bearer" {
            let encoded = String(parts[1])
            found.append(encoded)
            if let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8) {
                found.append(decoded)
                if let colon = decoded.firstIndex(of: ":") {
                    found.append(String(decoded[decoded.index(after: colon)...]))
                }
            }
        }
        return found
    }

    /// `scheme://user:password@host…` with the password replaced by `****`. Text that is not a well-formed URL
    /// (a typing error, say) may still carry credentials anywhere before its last `@`: all of that is masked.
    /// Text without `@` is returned unchanged.
    public static func maskingURLPassword(_ text: String) -> String {
        guard let lastAt = text.lastIndex(of: "@") else { return text }
        guard let scheme = text.range(of: "://"),
            text[..<scheme.lowerBound].range(of: #"^[A-Za-z][A-Za-z0-9+.-]*$"#, options: .regularExpression) != nil
        else {
            return mask + String(text[lastAt...])
        }
        let userInfo = text[scheme.upperBound..<lastAt]
        guard let colon = userInfo.firstIndex(of: ":") else {
            // No password, only a user name (which must not hide anything either).
            return userInfo.contains("/") ? String(text[..<scheme.upperBound]) + mask + String(text[lastAt...]) : text
        }
        let user = userInfo[..<colon]
        let keptUser = user.contains("/") ? "" : String(user) + ":"
        return String(text[..<scheme.upperBound]) + keptUser + mask + String(text[lastAt...])
    }

    /// Each non-empty secret, longest first (so a secret containing another is masked whole), plus its
    /// JSON-escaped spelling when that differs.
    static func forms(of secrets: [String]) -> [String] {
        var forms: Set<String> = []
        for secret in secrets where !secret.isEmpty {
            forms.insert(secret)
            if let encoded = try? JSONEncoder().encode(secret),
                let quoted = String(data: encoded, encoding: .utf8), quoted.count > 2
            {
                forms.insert(String(quoted.dropFirst().dropLast()))
            }
        }
        return forms.sorted { $0.count > $1.count }
    }
}

extension HTTPHeader {
    /// Header names whose values are credentials or session tokens.
    static let secretNames: Set<String> = ["authorization", "x-auth-key", "x-auth-session", "cookie", "ibasetoken"]

    /// True for `Authorization`, `X-Auth-Key`, `X-Auth-Session` and other credential-carrying headers.
    public var isSecret: Bool { Self.secretNames.contains(name.lowercased()) }
}
