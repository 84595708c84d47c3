/// A failed storage operation. Every instance names the vendor (driver), the operation and, for HTTP
/// back-ends, the status, so a DBA can tell which appliance call went wrong.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; extensible, so vendor drivers may add their own codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code with its text, e.g. `StorageError.Code("quota exceeded")` for a vendor's own.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The snapshot, clone or volume does not exist.
        public static let notFound = Code("not found")
        /// An object with that name exists already.
        public static let alreadyExists = Code("already exists")
        /// The snapshot still has clones and cannot be deleted.
        public static let hasClones = Code("has clones")
        /// The object is locked, held or retained.
        public static let locked = Code("locked")
        /// The object belongs to another database's volume; destructive calls refuse it.
        public static let notOwned = Code("not owned")
        /// The object exists but is not a clone.
        public static let notAClone = Code("not a clone")
        /// The driver or back-end does not offer this operation.
        public static let unsupported = Code("unsupported")
        /// A name that the back-end or this tool cannot accept.
        public static let invalidName = Code("invalid name")
        /// Connection, TLS or protocol failure.
        public static let transport = Code("transport")
        /// The call or external command did not finish in time.
        public static let timeout = Code("timeout")
        /// Missing or contradictory settings.
        public static let invalidConfiguration = Code("invalid configuration")
        /// An external command exited unsuccessfully.
        public static let commandFailed = Code("command failed")
        /// Authentication or authorisation failed.
        public static let permissionDenied = Code("permission denied")
        /// The back-end answered something the driver cannot interpret.
        public static let unexpectedResponse = Code("unexpected response")
        /// A local file-system operation failed.
        public static let ioFailure = Code("I/O failure")
        /// The lock has expired, but the storage refused this tool's release of it (the account lacks the right,
        /// e.g. ZFSSA's `releaseSnapRetention`): the snapshot stays. Retention warns and keeps it; not a failure.
        public static let lockReleaseRefused = Code("lock release refused")
    }

    /// What went wrong.
    public var code: Code
    /// Driver name, e.g. `btrfs`, `zfssa`.
    public var vendor: String
    /// The operation that failed, e.g. `deleteSnapshot`.
    public var operation: String
    /// HTTP status, for HTTP back-ends.
    public var status: Int?
    /// Human-readable detail.
    public var message: String

    /// An error from `vendor`'s `operation`; `status` only for HTTP back-ends.
    public init(_ code: Code, vendor: String, operation: String, status: Int? = nil, message: String) {
        self.code = code
        self.vendor = vendor
        self.operation = operation
        self.status = status
        self.message = message
    }

    /// `<vendor> <operation> failed (<code>[, HTTP <status>]): <message>`.
    public var description: String {
        var reason = code.rawValue
        if let status { reason += ", HTTP \(status)" }
        return "\(vendor) \(operation) failed (\(reason)): \(message)"
    }
}
