import Foundation
import Logging
import ResultCatalog
import StorageKit
import ToolSupport

/// How autorestore chooses the restores that also validate, as the report shows it (the caller computes the modulus
/// plan with the autorestore validation schedule, reference §8.3).
public enum ValidationPlanning: Sendable, Equatable {
    /// `autorestoremodulus`: validate every `days` days; the next day and how far away it is.
    case modulus(days: Int, nextDate: String, daysToNext: Int)
    /// `autorestorevalidatechance`: one restore in `oneIn` validates.
    case chance(oneIn: Int)
    /// Neither is set.
    case never
}

/// The results catalog of one database, as far as the caller could open it.
public enum CatalogAccess: Sendable, Equatable {
    /// No catalog is configured and autorestore's default file does not exist on this host.
    case notConfigured
    /// The catalog could not be opened.
    case unavailable(backend: String?, location: String?, reason: String)
    /// The catalog registered under `key` in the collector; databases with the same key share one query.
    case catalog(key: String)
}

/// One database to report on: how to list its snapshots and where its results are.
public struct ReportSubject: Sendable {
    /// The database (configuration section).
    public var name: String
    /// Lists the database's snapshots (read-only); throws when the storage cannot be reached.
    public var listSnapshots: @Sendable () async throws -> [Snapshot]
    /// Its results catalog.
    public var catalog: CatalogAccess
    /// `autorestoreenabled: 1`.
    public var autorestoreEnabled: Bool
    /// How validation is planned.
    public var validation: ValidationPlanning
    /// `warningsnapage` in hours, when set.
    public var snapshotWarningHours: Double?
    /// `criticalsnapage` in hours, when set.
    public var snapshotCriticalHours: Double?
    /// Lists the snapshots of the off-site copy (`[replication]`); `nil` when none is configured.
    public var listReplicaSnapshots: (@Sendable () async throws -> [Snapshot])? = nil
    /// The replica's `warningsnapage` and `criticalsnapage` in hours, when set.
    public var replicaAgeHours: (warning: Double?, critical: Double?) = (nil, nil)

    /// A database to report on.
    public init(
        name: String, listSnapshots: @escaping @Sendable () async throws -> [Snapshot], catalog: CatalogAccess,
        autorestoreEnabled: Bool, validation: ValidationPlanning, snapshotWarningHours: Double? = nil,
        snapshotCriticalHours: Double? = nil
    ) {
        self.name = name
        self.listSnapshots = listSnapshots
        self.catalog = catalog
        self.autorestoreEnabled = autorestoreEnabled
        self.validation = validation
        self.snapshotWarningHours = snapshotWarningHours
        self.snapshotCriticalHours = snapshotCriticalHours
    }
}

/// Builds a ``Report``: lists every database's storage (in parallel, at most ``parallelism`` at a time) and reads
/// each results catalog once for all its databases. Only reads: nothing is created, changed or deleted.
public struct ReportCollector: Sendable {
    /// The opened catalogs, by the key ``CatalogAccess/catalog(key:)`` names.
    public var catalogs: [String: any ResultCatalog]
    /// How many storage listings run at the same time (at least 1).
    public var parallelism: Int
    /// How many restores the duration trend of each database holds.
    public var trendLength: Int
    /// A restore test older than this many hours is a WARNING.
    public var restoreMaxAgeHours: Double
    /// The report time.
    public var now: Date
    /// Receives a DEBUG line per catalog query and a WARNING per unreadable source.
    public var logger: Logger
    /// How long one storage listing or one catalog read may take before its databases are shown as unreachable
    /// (a hung NFS mount or appliance must not hide every other database).
    public var sourceTimeout: Duration = .seconds(120)

    /// A collector over the opened `catalogs`.
    public init(
        catalogs: [String: any ResultCatalog], parallelism: Int = 8, trendLength: Int = 10,
        restoreMaxAgeHours: Double = 48, now: Date = Date(), logger: Logger
    ) {
        self.catalogs = catalogs
        self.parallelism = max(1, parallelism)
        self.trendLength = max(1, trendLength)
        self.restoreMaxAgeHours = restoreMaxAgeHours
        self.now = now
        self.logger = logger
    }

    /// The report over `subjects`, in their order. A database whose storage or catalog cannot be read is reported
    /// as such; the others are not affected.
    public func collect(_ subjects: [ReportSubject]) async -> Report {
        async let histories = readCatalogs(for: subjects)
        async let listings = listStorage(subjects)
        async let replicaListings = listReplicas(subjects)
        let (catalogData, storage, replicas) = await (histories, listings, replicaListings)
        let databases = subjects.enumerated().map { index, subject in
            var report = assemble(subject, storage: storage[index], history: catalogData[subject.name])
            let (replica, findings) = replicaReport(subject, primary: storage[index], replica: replicas[index])
            report.replica = replica
            if !findings.isEmpty {
                report.problems += findings.map { Problem(status: $0.0, text: $0.1) }
                report.status = ([report.status] + findings.map(\.0)).max { $0.severity < $1.severity } ?? .ok
            }
            return report
        }
        return Report(generatedAt: now, trendLength: trendLength, databases: databases)
    }

    // MARK: Storage

    enum Listing: Sendable {
        case snapshots([Snapshot])
        case failed(String)
    }

    /// The replica's listings, by subject index (only subjects with a replica).
    func listReplicas(_ subjects: [ReportSubject]) async -> [Int: Listing] {
        var results: [Int: Listing] = [:]
        let timeout = sourceTimeout
        let withReplica = subjects.enumerated().compactMap { entry in
            entry.element.listReplicaSnapshots.map { (entry.offset, $0) }
        }
        await BoundedConcurrency.run(withReplica, limit: parallelism) { entry in
            do {
                let snapshots = try await Deadline.run(within: timeout) { try await entry.1() }
                return (entry.0, Listing.snapshots(snapshots))
            } catch {
                return (entry.0, Listing.failed("\(error)"))
            }
        } collect: { (index: Int, listing: Listing) in
            results[index] = listing
        }
        return results
    }

    /// The replica part of a database's report, and its findings.
    func replicaReport(_ subject: ReportSubject, primary: Listing, replica: Listing?) -> (
        ReplicaReport?, [(HealthStatus, String)]
    ) {
        guard let replica else { return (nil, []) }
        switch replica {
        case .failed(let error):
            return (
                ReplicaReport(reachable: false, error: error), [(.warning, "off-site copy cannot be listed: \(error)")]
            )
        case .snapshots(let snapshots):
            let newest = snapshots.max { $0.creation < $1.creation }
            var report = ReplicaReport(
                reachable: true, snapshotCount: snapshots.count,
                newest: newest.map {
                    SnapshotSummary(id: $0.id, createdAt: $0.creation, ageSeconds: age($0.creation))
                })
            if case .snapshots(let source) = primary {
                let lag = ReplicationLag(source: source, replica: snapshots)
                report.snapshotsBehind = lag.snapshotsBehind
                report.lagSeconds = lag.seconds
            }
            var findings: [(HealthStatus, String)] = []
            guard let newest else {
                return (report, [(.warning, "off-site copy holds no snapshot yet")])
            }
            let hours = Double(age(newest.creation)) / 3600
            if let critical = subject.replicaAgeHours.critical, hours >= critical {
                findings.append(
                    (
                        .critical,
                        "off-site copy's newest snapshot is \(Self.age(age(newest.creation))) old (criticalsnapage \(Self.hours(critical)) h)"
                    ))
            } else if let warning = subject.replicaAgeHours.warning, hours >= warning {
                findings.append(
                    (
                        .warning,
                        "off-site copy's newest snapshot is \(Self.age(age(newest.creation))) old (warningsnapage \(Self.hours(warning)) h)"
                    ))
            }
            return (report, findings)
        }
    }

    func listStorage(_ subjects: [ReportSubject]) async -> [Listing] {
        var results = [Listing?](repeating: nil, count: subjects.count)
        let timeout = sourceTimeout
        await BoundedConcurrency.run(Array(subjects.enumerated()), limit: parallelism) { entry in
            do {
                let snapshots = try await Deadline.run(within: timeout) { try await entry.element.listSnapshots() }
                return (entry.offset, Listing.snapshots(snapshots))
            } catch {
                return (entry.offset, Listing.failed("\(error)"))
            }
        } collect: { (index: Int, listing: Listing) in
            results[index] = listing
        }
        return results.map { $0 ?? .failed("not listed") }
    }

    // MARK: Catalog

    struct History: Sendable {
        var restores: [RestoreRecord] = []
        var backups: [BackupRunRecord] = []
        var error: String?
    }

    /// Per database: its restores and backup runs, newest first, or the catalog's error.
    func readCatalogs(for subjects: [ReportSubject]) async -> [String: History] {
        var databasesByKey: [String: [String]] = [:]
        for subject in subjects {
            if case .catalog(let key) = subject.catalog { databasesByKey[key, default: []].append(subject.name) }
        }
        return await withTaskGroup(of: [String: History].self) { group in
            for (key, names) in databasesByKey {
                guard let catalog = catalogs[key] else { continue }
                let timeout = sourceTimeout
                group.addTask {
                    do {
                        return try await Deadline.run(within: timeout) { await read(catalog, databases: names) }
                    } catch {
                        logger.warning("Results catalog of \(names.joined(separator: ", ")): \(error)")
                        return Dictionary(uniqueKeysWithValues: names.map { ($0, History(error: "\(error)")) })
                    }
                }
            }
            var all: [String: History] = [:]
            for await part in group { all.merge(part) { first, _ in first } }
            return all
        }
    }

    /// One query for restores and one for backup runs of every database of `catalog`. The query returns the newest
    /// rows of all databases together, at most a window of (databases × (trend + 10)) rows, at least 500; a database
    /// that finds fewer rows in a full window than it needs is asked for on its own.
    func read(_ catalog: any ResultCatalog, databases: [String]) async -> [String: History] {
        let window = max(500, databases.count * (trendLength + 10))
        var histories: [String: History] = [:]
        do {
            logger.debug("report: reading \(catalog.backendName) catalog \(catalog.location), \(window) rows at most")
            let restores = try await catalog.restores(database: nil, limit: window)
            let backups = try await catalog.backups(database: nil, limit: window)
            let wanted = Set(databases)
            for stored in restores where wanted.contains(stored.record.database) {
                histories[stored.record.database, default: History()].restores.append(stored.record)
            }
            for stored in backups where wanted.contains(stored.record.database) {
                histories[stored.record.database, default: History()].backups.append(stored.record)
            }
            for name in databases {
                var history = histories[name] ?? History()
                if restores.count >= window, history.restores.count < trendLength {
                    history.restores = try await catalog.restores(database: name, limit: trendLength + 10).map(
                        \.record)
                }
                if backups.count >= window, history.backups.isEmpty {
                    history.backups = try await catalog.backups(database: name, limit: 1).map(\.record)
                }
                histories[name] = history
            }
        } catch {
            logger.warning("report: results catalog \(catalog.location) cannot be read: \(error)")
            for name in databases { histories[name] = History(error: "\(error)") }
        }
        return histories
    }

    // MARK: Assembly

    func age(_ date: Date) -> Int { max(0, Int(now.timeIntervalSince(date).rounded(.down))) }

    func assemble(_ subject: ReportSubject, storage listing: Listing, history: History?) -> DatabaseReport {
        var findings: [(HealthStatus, String)] = []
        let storage = storageReport(listing)
        if !storage.reachable {
            findings.append((.unknown, "storage cannot be listed: \(storage.error ?? "unknown error")"))
        } else if let newest = storage.newest {
            let hours = Double(newest.ageSeconds) / 3600
            if let critical = subject.snapshotCriticalHours, hours >= critical {
                findings.append(
                    (
                        .critical,
                        "newest snapshot is \(Self.age(newest.ageSeconds)) old (critical at \(Self.hours(critical)) h)"
                    ))
            } else if let warning = subject.snapshotWarningHours, hours >= warning {
                findings.append(
                    (
                        .warning,
                        "newest snapshot is \(Self.age(newest.ageSeconds)) old (warning at \(Self.hours(warning)) h)"
                    ))
            }
        } else {
            findings.append((.critical, "no snapshots"))
        }

        var catalog = CatalogReport(configured: true, reachable: true)
        var restores: [RestoreRecord] = []
        var backups: [BackupRunRecord] = []
        switch subject.catalog {
        case .notConfigured:
            catalog = CatalogReport(configured: false, reachable: false)
            if subject.autorestoreEnabled {
                findings.append((.warning, "no results catalog is configured, so restore tests cannot be shown"))
            }
        case .unavailable(let backend, let location, let reason):
            catalog = CatalogReport(
                configured: true, reachable: false, backend: backend, location: location, error: reason)
            findings.append((.unknown, "results catalog cannot be read: \(reason)"))
        case .catalog(let key):
            let opened = catalogs[key]
            catalog.backend = opened?.backendName
            catalog.location = opened?.location
            if let error = history?.error ?? (opened == nil ? "not opened" : nil) {
                catalog.reachable = false
                catalog.error = error
                findings.append((.unknown, "results catalog cannot be read: \(error)"))
            } else {
                restores = history?.restores ?? []
                backups = history?.backups ?? []
            }
        }

        let lastBackup = backups.first.map {
            BackupRunReport(
                action: $0.action, startedAt: $0.startedAt, finishedAt: $0.finishedAt, success: $0.success,
                durationSeconds: $0.durationSeconds, ageSeconds: age($0.finishedAt), snapshotID: $0.snapshotID,
                failureDetail: $0.failureDetail)
        }
        if let lastBackup, !lastBackup.success {
            findings.append(
                (.critical, "last backup (\(lastBackup.action)) failed: \(lastBackup.failureDetail ?? "no detail")"))
        }

        let lastRestore = restores.first.map {
            AutorestoreRunReport(
                startedAt: $0.startedAt, finishedAt: $0.finishedAt, success: $0.success,
                failureReason: $0.failureReason, failureDetail: $0.failureDetail, snapshotID: $0.snapshotID,
                timeDifferenceSeconds: $0.timeDifferenceSeconds,
                durationSeconds: $0.finishedAt.timeIntervalSince($0.startedAt), ageSeconds: age($0.finishedAt),
                validated: $0.validated, corruptBlocks: $0.corruptBlocks)
        }
        if catalog.reachable {
            if let lastRestore {
                if !lastRestore.success {
                    findings.append(
                        (.critical, "last restore test failed: \(AutorestoreCheck.reasonText(lastRestore))"))
                } else if subject.autorestoreEnabled, Double(lastRestore.ageSeconds) > restoreMaxAgeHours * 3600 {
                    findings.append(
                        (
                            .warning,
                            "last restore test is \(Self.age(lastRestore.ageSeconds)) old (more than \(Self.hours(restoreMaxAgeHours)) h)"
                        ))
                }
            } else if subject.autorestoreEnabled {
                findings.append((.warning, "no restore test recorded"))
            }
        }

        let lastValidated = restores.first { $0.validated && $0.success }?.startedAt
        var validation = ValidationReport(
            mode: "never", lastValidatedAt: lastValidated, lastValidatedAgeSeconds: lastValidated.map(age))
        switch subject.validation {
        case .modulus(let days, let nextDate, let daysToNext):
            validation.mode = "modulus"
            validation.every = days
            validation.nextDate = nextDate
            validation.daysToNext = daysToNext
        case .chance(let oneIn):
            validation.mode = "chance"
            validation.every = oneIn
        case .never: break
        }

        let trend = restores.prefix(trendLength).reversed().map {
            RestoreTrendPoint(
                startedAt: $0.startedAt, durationSeconds: $0.finishedAt.timeIntervalSince($0.startedAt),
                success: $0.success, validated: $0.validated)
        }
        let status = findings.map(\.0).max { $0.severity < $1.severity } ?? .ok
        return DatabaseReport(
            name: subject.name, status: status, problems: findings.map { Problem(status: $0.0, text: $0.1) },
            storage: storage, catalog: catalog,
            lastBackup: lastBackup, autorestoreEnabled: subject.autorestoreEnabled, lastAutorestore: lastRestore,
            validation: validation, restoreTrend: Array(trend))
    }

    func storageReport(_ listing: Listing) -> StorageReport {
        switch listing {
        case .failed(let error):
            return .unreachable(error)
        case .snapshots(let snapshots):
            let sorted = snapshots.sorted { $0.creation < $1.creation }
            let summary = { (snapshot: Snapshot) in
                SnapshotSummary(id: snapshot.id, createdAt: snapshot.creation, ageSeconds: age(snapshot.creation))
            }
            let totals = snapshots.compactMap(\.spaceTotal)
            let uniques = snapshots.compactMap(\.spaceUnique)
            return StorageReport(
                reachable: true, error: nil, snapshotCount: snapshots.count, newest: sorted.last.map(summary),
                oldest: sorted.first.map(summary), spaceTotalBytes: totals.isEmpty ? nil : totals.reduce(0, +),
                spaceUniqueBytes: uniques.isEmpty ? nil : uniques.reduce(0, +),
                lockedSnapshots: sorted.filter { $0.isProtected(at: now) }.map(\.id))
        }
    }

    /// `3d 4h`, `4h 05m`, `5m 07s`, `42s`: a short age for tables and messages.
    public static func age(_ seconds: Int) -> String {
        let s = max(0, seconds)
        if s >= 86_400 { return "\(s / 86_400)d \((s % 86_400) / 3600)h" }
        if s >= 3600 { return String(format: "%dh %02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm %02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// Hours without a needless `.0`.
    static func hours(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
