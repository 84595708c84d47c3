import Foundation
import Logging
import StorageKit

/// ONTAP over ZAPI (ONTAPI 1.1, storage-apis §3.7): XML documents POSTed to the filer servlet with Basic
/// authentication through the same ``ApplianceHTTPClient`` as REST (TLS, retries, redaction), built and parsed by
/// libxml2. Used by ``ONTAPDriver`` when `ontapapi` is `zapi`, or `auto` and the cluster has no REST API.
///
/// The model is the REST driver's: volumes `<prefix><db>[<suffix>]`, the same snapshot taken on every volume, a
/// listing merged by name with sizes summed, FlexClones at `/<clone>` (multi-volume: a namespace root with members
/// `<clone><i>`), and a clone is dropped only when its parent volume is this database's.
struct ONTAPZAPI: Sendable {
    static let servlet = "servlets/netapp.servlets.admin.XMLrequest_filer"
    static let namespace = "http://www.netapp.com/filer/admin"

    let vendor = ONTAPDriver.vendorName
    let http: ApplianceHTTPClient
    let credential: StorageCredential
    let logger: Logger
    let volumeName: String
    let volumePrefix: String
    let additionalSuffixes: [String]
    let svm: String?
    let volumeCreation: ONTAPDriver.VolumeCreation

    var volumeNames: [String] {
        [volumePrefix + volumeName] + additionalSuffixes.map { volumePrefix + volumeName + $0 }
    }
    var isMultiVolume: Bool { !additionalSuffixes.isEmpty }

    /// A volume as `volume-get-iter` describes it.
    struct VolumeRecord: Sendable {
        var name: String
        var junctionPath: String?
        var aggregate: String?
        var svm: String?
        var exportPolicy: String?
        var size: Int64?
        var used: Int64?
        var state: String?
        var parentVolume: String?
        var parentSnapshot: String?
    }

    /// A snapshot as `snapshot-list-info` describes it.
    struct SnapshotRecord: Sendable {
        var name: String
        var accessTime: Date
        var busy: Bool
        /// `total` (1 KiB blocks), as sent.
        var blocks: String?
        /// `percentage-of-total-blocks`, as sent.
        var percentage: String?
    }

    // MARK: Errors

    /// Known `results_errno` values (ONTAPI errno names; the numbers are those NetApp's SDKs define, unverified
    /// against every release) and what they mean here. Anything else is `.serverError` with the reason.
    static func code(forErrno errno: Int) -> StorageError.Code {
        switch errno {
        case 13040, 15661: return .notFound  // EVOLUMEDOESNOTEXIST, EOBJECTNOTFOUND
        case 17, 13130, 14101: return .alreadyExists  // EEXIST, EVOLEXISTS, ESNAPSHOTEXISTS
        case 13023, 16: return .hasClones  // ESNAPSHOTBUSY, EBUSY
        case 13003: return .permissionDenied  // EAPIPRIVILEGE
        case 13005: return .unsupported  // EAPINOTFOUND: the filer does not know the call
        default: return .serverError
        }
    }

    // MARK: Transport

    /// Sends `<api>` with `arguments` in the 1.1 envelope (`vfiler` set to the SVM when configured) and returns its
    /// `<results>`; `results status="failed"` becomes a StorageError with `results_reason` and `results_errno`.
    func call(_ api: String, _ arguments: [ZAPIElement] = [], operation: String, retry: RequestRetryMode = .once)
        async throws(StorageError) -> ZAPIElement
    {
        var attributes = [("version", "1.1"), ("xmlns", Self.namespace)]
        if let svm { attributes.append(("vfiler", svm)) }
        let envelope = ZAPIElement("netapp", attributes: attributes, children: [ZAPIElement(api, children: arguments)])
        let body = try ZAPIXML.serialize(envelope, vendor: vendor, operation: operation)
        let response = try await http.send(
            .post, Self.servlet, body: body,
            headers: [
                HTTPHeader("Authorization", credential.basicAuthorization),
                HTTPHeader("Content-Type", "text/xml; charset=utf-8"), HTTPHeader("Accept", "text/xml"),
            ], operation: operation, retry: retry)
        guard response.status == 200 else {
            let code: StorageError.Code
            switch response.status {
            case 401, 403: code = .permissionDenied
            case 404: code = .unsupported
            case 500...599: code = .serverError
            default: code = .unexpectedResponse
            }
            throw StorageError(
                code, vendor: vendor, operation: operation, status: response.status,
                message:
                    "ZAPI \(api) returned HTTP \(response.status)\(response.status == 404 ? " (the filer does not offer ZAPI at /\(Self.servlet))" : ""): \(response.redacted(String(response.text.prefix(300))))"
            )
        }
        guard let root = try ZAPIXML.parse(response.body, vendor: vendor, operation: operation), root.name == "netapp",
            let results = root.child("results")
        else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation, status: response.status,
                message:
                    "ZAPI \(api): expected <netapp><results>, got: \(response.redacted(String(response.text.prefix(300))))"
            )
        }
        if results.attribute("status") != "passed" {
            let errno = results.attribute("errno").flatMap { Int($0) }
            let reason = response.redacted(results.attribute("reason") ?? "no reason given")
            logger.debug("ZAPI \(api) failed: \(reason) (errno \(errno.map(String.init) ?? "none"))")
            throw StorageError(
                errno.map(Self.code(forErrno:)) ?? .serverError, vendor: vendor, operation: operation,
                status: response.status,
                message: "\(api) failed: \(reason)\(errno.map { " (results_errno \($0))" } ?? "")")
        }
        return results
    }

    // MARK: Lookups

    func volumeRecord(named name: String, operation: String) async throws(StorageError) -> VolumeRecord? {
        var id = [ZAPIElement.value("name", name)]
        if let svm { id.append(.value("owning-vserver-name", svm)) }
        let results = try await call(
            "volume-get-iter",
            [
                .value("max-records", "100"),
                ZAPIElement(
                    "query",
                    children: [
                        ZAPIElement("volume-attributes", children: [ZAPIElement("volume-id-attributes", children: id)])
                    ]),
            ], operation: operation, retry: .idempotent)
        let matches = (results.child("attributes-list")?.children ?? []).filter { $0.name == "volume-attributes" }
            .map(Self.volume(from:)).filter { $0.name == name && (svm == nil || $0.svm == nil || $0.svm == svm) }
        if matches.count > 1 {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message:
                    "volume \(name) exists in several SVMs (\(matches.compactMap(\.svm).joined(separator: ", "))); set svm"
            )
        }
        return matches.first
    }

    static func volume(from element: ZAPIElement) -> VolumeRecord {
        let id = element.child("volume-id-attributes")
        let parent = element.child(path: "volume-clone-attributes", "volume-clone-parent-attributes")
        return VolumeRecord(
            name: id?.string("name") ?? "", junctionPath: id?.string("junction-path"),
            aggregate: id?.string("containing-aggregate-name"), svm: id?.string("owning-vserver-name"),
            exportPolicy: element.string("volume-export-attributes", "policy"),
            size: element.string("volume-space-attributes", "size").flatMap { Int64($0) },
            used: element.string("volume-space-attributes", "size-used").flatMap { Int64($0) },
            state: element.string("volume-state-attributes", "state"), parentVolume: parent?.string("name"),
            parentSnapshot: parent?.string("snapshot-name"))
    }

    func databaseVolumes(operation: String) async throws(StorageError) -> [VolumeRecord] {
        var records: [VolumeRecord] = []
        for name in volumeNames {
            guard let record = try await volumeRecord(named: name, operation: operation) else {
                throw StorageError(
                    .notFound, vendor: vendor, operation: operation,
                    message: "volume \(name) not found\(svm.map { " in SVM \($0)" } ?? "")")
            }
            records.append(record)
        }
        return records
    }

    /// `volume-size`: the volume's size (`100g` and the like) in bytes.
    func volumeSize(_ volume: String, operation: String) async throws(StorageError) -> Int64? {
        let results = try await call(
            "volume-size", [.value("volume", volume)], operation: operation, retry: .idempotent)
        return results.string("volume-size").flatMap(ONTAPWire.parseSize)
    }

    func snapshotRecords(of volume: String, operation: String) async throws(StorageError) -> [SnapshotRecord] {
        let results = try await call(
            "snapshot-list-info", [.value("volume", volume)], operation: operation, retry: .idempotent)
        var records: [SnapshotRecord] = []
        for info in results.child("snapshots")?.children ?? [] where info.name == "snapshot-info" {
            guard let name = info.string("name"), let seconds = info.string("access-time").flatMap({ Int64($0) })
            else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message:
                        "snapshot-list-info of \(volume): a snapshot without name or readable access-time ('\(info.string("access-time") ?? "")')"
                )
            }
            records.append(
                SnapshotRecord(
                    name: name, accessTime: Date(timeIntervalSince1970: TimeInterval(seconds)),
                    busy: info.string("busy") == "true", blocks: info.string("total"),
                    percentage: info.string("percentage-of-total-blocks")))
        }
        return records
    }

    /// A snapshot's size in bytes from its `total` (1 KiB blocks) and `percentage-of-total-blocks`.
    ///
    /// `total` is read as a 64-bit number, so a figure past 2^31 blocks (2 TiB) is exact where the original's
    /// arithmetic only approximated it. Older releases keep the counter in 32 bits: when the percentage says the
    /// snapshot holds 2^31 blocks or more and the counter is below that (or negative), the counter has wrapped, and
    /// the size is the volume's size times the percentage (the original's rule, here in 64-bit arithmetic).
    static func snapshotBytes(blocks: String?, percentage: String?, volumeSize: Int64?) -> Int64? {
        let counter = blocks.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        var estimate: Int64?
        if let percentage = percentage.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
            let volumeSize, volumeSize > 0
        {
            let value = Double(volumeSize) * percentage / 100
            estimate = value.isFinite && value >= 0 && value < 9.2e18 ? Int64(value) : nil
        }
        let limit = Int64(1) << 31
        if let estimate, estimate / 1024 >= limit, counter.map({ $0 < limit }) ?? true {
            return estimate
        }
        guard let counter, counter >= 0 else { return estimate }
        let (bytes, overflow) = counter.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }

    /// The FlexClones whose parent is `volume` (`volume-clone-get-iter`, every page through `next-tag`).
    func cloneRecords(of volume: String, operation: String) async throws(StorageError) -> [ZAPIElement] {
        var records: [ZAPIElement] = []
        var tag: String?
        var pages = 0
        repeat {
            pages += 1
            guard pages <= 10_000 else {
                throw StorageError(
                    .unexpectedResponse, vendor: vendor, operation: operation,
                    message: "volume-clone-get-iter: more than 10000 pages")
            }
            var arguments: [ZAPIElement] = [
                .value("max-records", "50"),
                ZAPIElement(
                    "query", children: [ZAPIElement("volume-clone-info", children: [.value("parent-volume", volume)])]),
            ]
            if let tag { arguments.append(.value("tag", tag)) }
            let results = try await call(
                "volume-clone-get-iter", arguments, operation: operation, retry: .idempotent)
            records += (results.child("attributes-list")?.children ?? []).filter {
                $0.name == "volume-clone-info" && $0.string("parent-volume") == volume
            }
            tag = results.string("next-tag")
        } while tag != nil
        return records
    }

    // MARK: Snapshots

    func listSnapshots() async throws(StorageError) -> [Snapshot] {
        let operation = "listSnapshots"
        let volumes = try await databaseVolumes(operation: operation)
        var merged: [String: (creation: Date, size: Int64?, order: Int)] = [:]
        var order = 0
        for volume in volumes {
            var size = volume.size
            // SnapMirror's own snapshots (`snapmirror.*`) belong to ONTAP, as over REST.
            for record in try await snapshotRecords(of: volume.name, operation: operation)
            where !ONTAPDriver.isSnapMirrorSnapshot(record.name) {
                if size == nil, record.percentage != nil {
                    size = try await volumeSize(volume.name, operation: operation)
                }
                let bytes = Self.snapshotBytes(blocks: record.blocks, percentage: record.percentage, volumeSize: size)
                if var existing = merged[record.name] {
                    existing.creation = min(existing.creation, record.accessTime)
                    if let bytes { existing.size = (existing.size ?? 0) + bytes }
                    merged[record.name] = existing
                } else {
                    merged[record.name] = (record.accessTime, bytes, order)
                    order += 1
                }
            }
        }
        let cloneCounts = Dictionary(
            try await cloneRecords(of: volumes[0].name, operation: operation).compactMap {
                $0.string("parent-snapshot")
            }.map { ($0, 1) }, uniquingKeysWith: +)
        var cumulative: Int64 = 0
        var totals: [String: Int64] = [:]
        for (name, entry) in merged.sorted(by: { $0.value.creation > $1.value.creation }) {
            cumulative = cumulative.addingReportingOverflow(entry.size ?? 0).partialValue
            totals[name] = cumulative
        }
        return merged.sorted { $0.value.order < $1.value.order }.map { name, entry in
            Snapshot(
                id: name, creation: entry.creation, spaceTotal: totals[name], spaceUnique: entry.size,
                cloneCount: cloneCounts[name] ?? 0)
        }
    }

    func createSnapshot(named name: String, lockedUntil: Date?) async throws(StorageError) -> Snapshot {
        let operation = "createSnapshot"
        if lockedUntil != nil {
            throw StorageError(
                .unsupported, vendor: vendor, operation: operation,
                message:
                    "locked snapshots (snaplockdays) need ONTAP's REST API (9.12.1+ with SnapLock); ZAPI cannot set snaplock.expiry_time: set ontapapi: rest"
            )
        }
        let volumes = try await databaseVolumes(operation: operation)
        var done: [String] = []
        for volume in volumes {
            do throws(StorageError) {
                _ = try await call(
                    "snapshot-create", [.value("volume", volume.name), .value("snapshot", name)], operation: operation)
            } catch {
                if !done.isEmpty {
                    throw StorageError(
                        error.code, vendor: vendor, operation: operation, status: error.status,
                        message: "\(error.message); snapshot \(name) exists only on \(done.joined(separator: ", "))")
                }
                throw error
            }
            done.append(volume.name)
        }
        logger.info("Created snapshot \(name) on \(done.joined(separator: ", "))")
        let record = try await snapshotRecords(of: volumes[0].name, operation: operation).first { $0.name == name }
        guard let record else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation,
                message: "snapshot \(name) of \(volumes[0].name) is missing after snapshot-create passed")
        }
        let bytes = Self.snapshotBytes(
            blocks: record.blocks, percentage: record.percentage, volumeSize: volumes[0].size)
        return Snapshot(id: name, creation: record.accessTime, spaceTotal: bytes, spaceUnique: bytes, cloneCount: 0)
    }

    func deleteSnapshot(id: String) async throws(StorageError) {
        let operation = "deleteSnapshot"
        let volumes = try await databaseVolumes(operation: operation)
        var holders: [String] = []
        for (index, volume) in volumes.enumerated() {
            let present = try await snapshotRecords(of: volume.name, operation: operation).contains { $0.name == id }
            if index == 0, !present {
                throw StorageError(
                    .notFound, vendor: vendor, operation: operation,
                    message: "snapshot \(id) not found on volume \(volume.name)")
            }
            if present { holders.append(volume.name) }
        }
        let clones = try await cloneRecords(of: volumes[0].name, operation: operation).filter {
            $0.string("parent-snapshot") == id
        }
        if !clones.isEmpty {
            throw StorageError(
                .hasClones, vendor: vendor, operation: operation,
                message:
                    "snapshot \(id) backs FlexClone(s) \(clones.compactMap { $0.string("volume") }.joined(separator: ", ")); drop them first"
            )
        }
        for (index, volume) in holders.enumerated() {
            do throws(StorageError) {
                _ = try await call(
                    "snapshot-delete", [.value("volume", volume), .value("snapshot", id)], operation: operation)
            } catch {
                if index > 0 {
                    throw StorageError(
                        error.code, vendor: vendor, operation: operation, status: error.status,
                        message:
                            "\(error.message); snapshot \(id) was already deleted on \(holders[..<index].joined(separator: ", "))"
                    )
                }
                throw error
            }
        }
        logger.info("Deleted snapshot \(id)")
    }

    // MARK: Clones

    func cloneSnapshot(id: String, cloneName: String) async throws(StorageError) -> Clone {
        let operation = "cloneSnapshot"
        let volumes = try await databaseVolumes(operation: operation)
        guard try await snapshotRecords(of: volumes[0].name, operation: operation).contains(where: { $0.name == id })
        else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation,
                message: "snapshot \(id) not found on volume \(volumes[0].name)")
        }
        if try await volumeRecord(named: cloneName, operation: operation) != nil {
            throw StorageError(
                .alreadyExists, vendor: vendor, operation: operation,
                message: "a volume named \(cloneName) exists already")
        }
        guard isMultiVolume else {
            try await createFlexClone(
                name: cloneName, parent: volumes[0].name, snapshot: id, junction: "/\(cloneName)", operation: operation)
            logger.info("Created FlexClone \(cloneName) of \(volumes[0].name) at snapshot \(id)")
            return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: "/\(cloneName)")
        }
        var created: [String] = []
        do throws(StorageError) {
            var arguments: [ZAPIElement] = [
                .value("volume", cloneName), .value("size", "1g"), .value("junction-path", "/\(cloneName)"),
                .value("unix-permissions", "0770"), .value("percentage-snapshot-reserve", "0"),
                .value("volume-state", "online"), .value("efficiency-policy", "default"),
            ]
            if let aggregate = volumes[0].aggregate { arguments.append(.value("containing-aggr-name", aggregate)) }
            if let policy = volumes[0].exportPolicy { arguments.append(.value("export-policy", policy)) }
            _ = try await call("volume-create", arguments, operation: operation)
            created.append(cloneName)
            for (index, volume) in volumes.enumerated() {
                let member = "\(cloneName)\(index)"
                try await createFlexClone(
                    name: member, parent: volume.name, snapshot: id, junction: "/\(cloneName)/\(member)",
                    operation: operation)
                created.insert(member, at: 0)
            }
        } catch {
            logger.error("Clone \(cloneName) failed (\(error)); removing the parts this call created")
            for name in created {
                try? await removeVolume(name, mounted: true, operation: operation)
            }
            throw error
        }
        logger.info(
            "Created multi-volume clone \(cloneName) of \(volumes.map(\.name).joined(separator: ", ")) at snapshot \(id)"
        )
        return Clone(name: cloneName, originVolume: volumeName, originSnapshot: id, mountPoint: "/\(cloneName)")
    }

    /// `volume-clone-create`, `volume-mount` at `junction`, `volume-set-option nosnapdir on` (as the original).
    private func createFlexClone(name: String, parent: String, snapshot: String, junction: String, operation: String)
        async throws(StorageError)
    {
        _ = try await call(
            "volume-clone-create",
            [.value("parent-volume", parent), .value("parent-snapshot", snapshot), .value("volume", name)],
            operation: operation)
        do throws(StorageError) {
            _ = try await call(
                "volume-mount", [.value("junction-path", junction), .value("volume-name", name)], operation: operation)
            _ = try await call(
                "volume-set-option",
                [.value("volume", name), .value("option-name", "nosnapdir"), .value("option-value", "on")],
                operation: operation, retry: .idempotent)
        } catch {
            try? await removeVolume(name, mounted: true, operation: operation)
            throw error
        }
    }

    func listClones() async throws(StorageError) -> [Clone] {
        let volumes = try await databaseVolumes(operation: "listClones")
        return try await cloneRecords(of: volumes[0].name, operation: "listClones").compactMap { record in
            guard let name = record.string("volume"), let snapshot = record.string("parent-snapshot") else {
                return nil
            }
            let path = record.string("junction-path")
            if isMultiVolume, name.hasSuffix("0") {
                let base = String(name.dropLast())
                if path == "/\(base)/\(name)" {
                    return Clone(name: base, originVolume: volumeName, originSnapshot: snapshot, mountPoint: "/\(base)")
                }
            }
            return Clone(name: name, originVolume: volumeName, originSnapshot: snapshot, mountPoint: path)
        }
    }

    /// The clone `name` after the ownership checks, with its member volumes and namespace root: `.notFound`,
    /// `.notAClone` (not a FlexClone) or `.notOwned` (a clone of another volume, or a root that is not one).
    func ownedClone(_ name: String, operation: String) async throws(StorageError) -> (
        clone: Clone, members: [VolumeRecord], root: VolumeRecord?
    ) {
        let volumes = try await databaseVolumes(operation: operation)
        if isMultiVolume, let first = try await volumeRecord(named: "\(name)0", operation: operation),
            let parent = first.parentVolume
        {
            guard parent == volumes[0].name else {
                throw StorageError(
                    .notOwned, vendor: vendor, operation: operation,
                    message: "\(name) is a clone of \(parent), not of \(volumes[0].name); refusing")
            }
            var members = [first]
            for (index, volume) in volumes.enumerated().dropFirst() {
                guard let member = try await volumeRecord(named: "\(name)\(index)", operation: operation) else {
                    continue
                }
                guard member.parentVolume == volume.name else {
                    throw StorageError(
                        .notOwned, vendor: vendor, operation: operation,
                        message: "\(member.name) is not a clone of \(volume.name); refusing to drop clone \(name)")
                }
                members.append(member)
            }
            var root: VolumeRecord?
            if let candidate = try await volumeRecord(named: name, operation: operation) {
                guard candidate.parentVolume == nil,
                    candidate.junctionPath == "/\(name)" || candidate.junctionPath == nil
                else {
                    throw StorageError(
                        .notOwned, vendor: vendor, operation: operation,
                        message: "volume \(name) is not the namespace root of clone \(name); refusing")
                }
                root = candidate
            }
            return (
                Clone(
                    name: name, originVolume: volumeName, originSnapshot: first.parentSnapshot ?? "",
                    mountPoint: "/\(name)"), members, root
            )
        }
        guard let record = try await volumeRecord(named: name, operation: operation) else {
            throw StorageError(
                .notFound, vendor: vendor, operation: operation, message: "no volume or clone named \(name)")
        }
        guard let parent = record.parentVolume else {
            throw StorageError(
                .notAClone, vendor: vendor, operation: operation, message: "volume \(name) is not a FlexClone; refusing"
            )
        }
        guard parent == volumes[0].name else {
            throw StorageError(
                .notOwned, vendor: vendor, operation: operation,
                message: "\(name) is a clone of \(parent), not of \(volumes[0].name); refusing")
        }
        return (
            Clone(
                name: name, originVolume: volumeName, originSnapshot: record.parentSnapshot ?? "",
                mountPoint: record.junctionPath), [record], nil
        )
    }

    func dropClone(name: String) async throws(StorageError) {
        let operation = "dropClone"
        let (_, members, root) = try await ownedClone(name, operation: operation)
        for member in members {
            try await removeVolume(member.name, mounted: member.junctionPath != nil, operation: operation)
        }
        if let root {
            try await removeVolume(root.name, mounted: root.junctionPath != nil, operation: operation)
        }
        logger.info("Dropped clone \(name)")
    }

    /// `volume-unmount`, `volume-offline`, `volume-destroy`.
    private func removeVolume(_ name: String, mounted: Bool, operation: String) async throws(StorageError) {
        if mounted {
            _ = try await call(
                "volume-unmount", [.value("volume-name", name)], operation: operation, retry: .idempotent)
        }
        do throws(StorageError) {
            _ = try await call("volume-offline", [.value("name", name)], operation: operation, retry: .idempotent)
        } catch  where error.code != .notFound {
            throw error
        }
        _ = try await call("volume-destroy", [.value("name", name)], operation: operation)
    }

    // MARK: Volume

    func createVolume() async throws(StorageError) -> Volume {
        let operation = "createVolume"
        guard svm != nil else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "set svm in [netapp] to create volumes")
        }
        guard let aggregate = volumeCreation.aggregate, let size = volumeCreation.size else {
            throw StorageError(
                .invalidConfiguration, vendor: vendor, operation: operation,
                message: "set aggregate and volumesize in [netapp] to create volumes")
        }
        let parent =
            volumeCreation.junctionParent.hasSuffix("/")
            ? String(volumeCreation.junctionParent.dropLast()) : volumeCreation.junctionParent
        var mainPath: String?
        for (index, name) in volumeNames.enumerated() {
            let junction = "\(parent)/\(volumeName)\(index == 0 ? "" : additionalSuffixes[index - 1])"
            if index == 0 { mainPath = junction }
            _ = try await call(
                "volume-create",
                [
                    .value("volume", name), .value("containing-aggr-name", aggregate), .value("size", String(size)),
                    .value("junction-path", junction), .value("export-policy", volumeCreation.exportPolicy),
                    .value("unix-permissions", "0770"), .value("percentage-snapshot-reserve", "0"),
                    .value("snapshot-policy", "none"), .value("volume-state", "online"),
                ], operation: operation)
            logger.info("Created volume \(name) at \(junction)")
        }
        return Volume(name: volumeName, mountPoint: mainPath, spaceUsed: nil)
    }

    func volumeInfo() async throws(StorageError) -> Volume {
        let volumes = try await databaseVolumes(operation: "volumeInfo")
        let used = volumes.compactMap(\.used)
        var total: (partialValue: Int64, overflow: Bool)? = used.count == volumes.count ? (0, false) : nil
        for value in used where total?.overflow == false {
            total = total.map { $0.partialValue.addingReportingOverflow(value) }
        }
        return Volume(
            name: volumeName, mountPoint: volumes[0].junctionPath,
            spaceUsed: total.flatMap { $0.overflow ? nil : $0.partialValue })
    }
}
