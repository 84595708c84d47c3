import Foundation
import ToolSupport

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// ZAPI (ONTAPI 1.1 XML at `/servlets/netapp.servlets.admin.XMLrequest_filer`, storage-apis §3.7) on the same
/// volumes, snapshots and FlexClones as the REST API, so both APIs see one cluster. The calls the driver makes
/// (those of the original plus `volume-create`) are answered; failures are `<results status="failed" errno=…
/// reason=…>`, with the errno values the driver maps.
extension ONTAPSimulation {
    /// The one thread that runs the simulated ZAPI's FoundationXML (libxml2) work.
    static let xmlThread = DedicatedThread()

    /// Errno values the simulator answers with.
    enum ZAPIErrno {
        static let noSuchVolume = 13040
        static let noSuchObject = 15661
        static let exists = 17
        static let busy = 13023
        static let invalidInput = 13115
        static let noSuchAPI = 13005
        static let failed = 13001
    }

    /// One ZAPI call: the envelope's single child element names the API, its children are the arguments.
    mutating func handleZAPI(_ request: SimRequest, now: Date) -> SimResponse {
        guard let document = try? XMLDocument(data: Data(request.body), options: []),
            let root = document.rootElement(), root.name == "netapp",
            let call = root.children?.compactMap({ $0 as? XMLElement }).first, let api = call.name
        else {
            return zapiFailure(ZAPIErrno.invalidInput, "Unable to parse the request document")
        }
        // FoundationXML's attribute(forName:) misses plain attributes of an element in a default namespace.
        func attribute(_ name: String) -> String? { root.attributes?.first { $0.name == name }?.stringValue }
        if attribute("version") != "1.1" || root.uri != "http://www.netapp.com/filer/admin" {
            return zapiFailure(ZAPIErrno.invalidInput, "Expected <netapp version=\"1.1\" xmlns=…filer/admin>")
        }
        if let vfiler = attribute("vfiler"), vfiler != options.svm {
            return zapiFailure(ZAPIErrno.noSuchObject, "Vserver \(vfiler) not found")
        }
        func argument(_ name: String) -> String? { call.elements(forName: name).first?.stringValue }
        func required(_ name: String) -> Result<String, ZAPIRefusal> {
            guard let value = argument(name), !value.isEmpty else {
                return .failure(ZAPIRefusal(ZAPIErrno.invalidInput, "Missing input: \(name)"))
            }
            return .success(value)
        }
        func volume(_ key: String) -> Result<Volume, ZAPIRefusal> {
            required(key).flatMap { name in
                self.volume(named: name).map { .success($0) }
                    ?? .failure(ZAPIRefusal(ZAPIErrno.noSuchVolume, "Volume \(name) does not exist"))
            }
        }
        let outcome: Result<[XMLElement], ZAPIRefusal>
        switch api {
        case "system-get-version":
            outcome = .success([Self.element("version", "NetApp Release 9.8 (simulated ZAPI)")])
        case "volume-get-iter":
            outcome = .success(volumeGetIter(call))
        case "volume-size":
            outcome = volume("volume").map { [Self.element("volume-size", Self.sizeText($0.size))] }
        case "snapshot-list-info":
            outcome = volume("volume").map { [Self.element("snapshots", children: snapshotInfos(of: $0))] }
        case "snapshot-create":
            outcome = volume("volume").flatMap { volume in
                required("snapshot").flatMap { name in
                    snapshotCreate(volume, name, now: now)
                }
            }
        case "snapshot-delete":
            outcome = volume("volume").flatMap { volume in
                required("snapshot").flatMap { name in
                    snapshotDelete(volume, name, now: now)
                }
            }
        case "volume-clone-create":
            outcome = volume("parent-volume").flatMap { parent in
                required("parent-snapshot").flatMap { snapshot in
                    required("volume").flatMap { name in cloneCreate(parent, snapshot, name, now: now) }
                }
            }
        case "volume-mount":
            outcome = volume("volume-name").flatMap { volume in
                required("junction-path").flatMap { path in
                    change(.patchVolume(uuid: volume.uuid, path: .some(path), state: nil), now: now)
                }
            }
        case "volume-unmount":
            outcome = volume("volume-name").flatMap {
                change(.patchVolume(uuid: $0.uuid, path: .some(nil), state: nil), now: now)
            }
        case "volume-offline":
            outcome = volume("name").flatMap {
                change(.patchVolume(uuid: $0.uuid, path: nil, state: "offline"), now: now)
            }
        case "volume-set-option":
            outcome = volume("volume").map { _ in [] }
        case "volume-destroy":
            outcome = volume("name").flatMap { volumeDestroy($0, now: now) }
        case "volume-clone-get-iter":
            outcome = .success(cloneGetIter(call))
        case "volume-create":
            outcome = required("volume").flatMap { name in volumeCreate(call, name, now: now) }
        default:
            outcome = .failure(ZAPIRefusal(ZAPIErrno.noSuchAPI, "Unable to find API: \(api)"))
        }
        switch outcome {
        case .success(let children): return zapiResults(children)
        case .failure(let refusal): return zapiFailure(refusal.errno, refusal.reason)
        }
    }

    struct ZAPIRefusal: Error {
        var errno: Int
        var reason: String

        init(_ errno: Int, _ reason: String) {
            self.errno = errno
            self.reason = reason
        }
    }

    // MARK: Calls

    private func volumeGetIter(_ call: XMLElement) -> [XMLElement] {
        let id = call.elements(forName: "query").first?.elements(forName: "volume-attributes").first?
            .elements(forName: "volume-id-attributes").first
        let name = id?.elements(forName: "name").first?.stringValue
        let vserver = id?.elements(forName: "owning-vserver-name").first?.stringValue
        let matches = order.compactMap { volumes[$0] }.filter {
            (name == nil || $0.name == name) && (vserver == nil || vserver == options.svm)
        }
        return [
            Self.element("attributes-list", children: matches.map(volumeAttributes)),
            Self.element("num-records", String(matches.count)),
        ]
    }

    private func volumeAttributes(_ volume: Volume) -> XMLElement {
        var id = [
            Self.element("name", volume.name), Self.element("owning-vserver-name", options.svm),
            Self.element("containing-aggregate-name", options.aggregate),
        ]
        if let path = volume.path { id.append(Self.element("junction-path", path)) }
        var children = [
            Self.element("volume-id-attributes", children: id),
            Self.element("volume-export-attributes", children: [Self.element("policy", volume.exportPolicy)]),
            Self.element(
                "volume-space-attributes",
                children: [Self.element("size", String(volume.size)), Self.element("size-used", String(volume.used))]),
            Self.element("volume-state-attributes", children: [Self.element("state", volume.state)]),
        ]
        if let parent = volume.parentVolume {
            children.append(
                Self.element(
                    "volume-clone-attributes",
                    children: [
                        Self.element(
                            "volume-clone-parent-attributes",
                            children: [
                                Self.element("name", parent),
                                Self.element("snapshot-name", volume.parentSnapshot ?? ""),
                            ])
                    ]))
        }
        return Self.element("volume-attributes", children: children)
    }

    /// `total` and `cumulative-total` in 1 KiB blocks (wrapped to 32 bits with ``SimulatorOptions/ontapZAPI32BitCounters``),
    /// percentages of the volume's size as whole numbers, newest snapshot's cumulative figure the smallest.
    private func snapshotInfos(of volume: Volume) -> [XMLElement] {
        let newestFirst = volume.snapshots.sorted { $0.createTime > $1.createTime }
        var cumulative: [String: Int64] = [:]
        var sum: Int64 = 0
        for snapshot in newestFirst {
            sum += snapshot.size
            cumulative[snapshot.uuid] = sum
        }
        func counter(_ bytes: Int64) -> String {
            let blocks = bytes / 1024
            return options.ontapZAPI32BitCounters ? String(Int32(truncatingIfNeeded: blocks)) : String(blocks)
        }
        func percentage(_ bytes: Int64) -> String {
            String(volume.size > 0 ? Int64((Double(bytes) * 100 / Double(volume.size)).rounded()) : 0)
        }
        return volume.snapshots.map { snapshot in
            let busy = volumes.values.contains { $0.parentVolume == volume.name && $0.parentSnapshot == snapshot.name }
            return Self.element(
                "snapshot-info",
                children: [
                    Self.element("name", snapshot.name),
                    Self.element("access-time", String(Int64(snapshot.createTime.timeIntervalSince1970))),
                    Self.element("busy", busy ? "true" : "false"),
                    Self.element("total", counter(snapshot.size)),
                    Self.element("cumulative-total", counter(cumulative[snapshot.uuid] ?? snapshot.size)),
                    Self.element("percentage-of-total-blocks", percentage(snapshot.size)),
                    Self.element(
                        "cumulative-percentage-of-total-blocks", percentage(cumulative[snapshot.uuid] ?? snapshot.size)),
                ])
        }
    }

    private mutating func snapshotCreate(_ volume: Volume, _ name: String, now: Date) -> Result<
        [XMLElement], ZAPIRefusal
    > {
        if volume.snapshots.contains(where: { $0.name == name }) {
            return .failure(ZAPIRefusal(ZAPIErrno.exists, "Snapshot \(name) already exists on volume \(volume.name)"))
        }
        var updated = volume
        updated.used += 4096
        volumes[volume.uuid] = updated
        return change(
            .createSnapshot(
                volume: volume.uuid, Snapshot(uuid: Self.newUUID(), name: name, createTime: now, size: 1 << 20)),
            now: now)
    }

    private mutating func snapshotDelete(_ volume: Volume, _ name: String, now: Date) -> Result<
        [XMLElement], ZAPIRefusal
    > {
        guard let snapshot = volume.snapshots.first(where: { $0.name == name }) else {
            return .failure(
                ZAPIRefusal(ZAPIErrno.noSuchObject, "Snapshot \(name) does not exist on volume \(volume.name)"))
        }
        if let until = snapshot.lockedUntil(at: now) {
            return .failure(ZAPIRefusal(ZAPIErrno.busy, "Snapshot \(name) is locked until \(format(until))"))
        }
        if volumes.values.contains(where: { $0.parentVolume == volume.name && $0.parentSnapshot == name }) {
            return .failure(ZAPIRefusal(ZAPIErrno.busy, "Snapshot \(name) is busy: it backs a FlexClone"))
        }
        return change(.deleteSnapshot(volume: volume.uuid, snapshot: snapshot.uuid), now: now)
    }

    private mutating func cloneCreate(_ parent: Volume, _ snapshot: String, _ name: String, now: Date)
        -> Result<[XMLElement], ZAPIRefusal>
    {
        guard parent.snapshots.contains(where: { $0.name == snapshot }) else {
            return .failure(
                ZAPIRefusal(ZAPIErrno.noSuchObject, "Snapshot \(snapshot) does not exist on \(parent.name)"))
        }
        if volume(named: name) != nil {
            return .failure(ZAPIRefusal(ZAPIErrno.exists, "Volume \(name) already exists"))
        }
        let clone = Volume(
            uuid: Self.newUUID(), name: name, size: parent.size, used: 0, path: nil, exportPolicy: parent.exportPolicy,
            state: "online", parentVolume: parent.name, parentSnapshot: snapshot, createTime: now, snapshots: [])
        return change(.createVolume(clone), now: now)
    }

    private mutating func volumeDestroy(_ volume: Volume, now: Date) -> Result<[XMLElement], ZAPIRefusal> {
        if volume.path != nil {
            return .failure(ZAPIRefusal(ZAPIErrno.busy, "Volume \(volume.name) must be unmounted before destroy"))
        }
        if volume.state != "offline" {
            return .failure(ZAPIRefusal(ZAPIErrno.busy, "Volume \(volume.name) must be offline before destroy"))
        }
        if volume.snapshots.contains(where: { $0.lockedUntil(at: now) != nil }) {
            return .failure(ZAPIRefusal(ZAPIErrno.busy, "Volume \(volume.name) has unexpired locked Snapshot copies"))
        }
        return change(.deleteVolume(uuid: volume.uuid), now: now)
    }

    private func cloneGetIter(_ call: XMLElement) -> [XMLElement] {
        let parent = call.elements(forName: "query").first?.elements(forName: "volume-clone-info").first?
            .elements(forName: "parent-volume").first?.stringValue
        let all = order.compactMap { volumes[$0] }.filter {
            $0.parentVolume != nil && (parent == nil || $0.parentVolume == parent)
        }
        let asked = call.elements(forName: "max-records").first?.stringValue.flatMap { Int($0) } ?? 20
        let size = max(1, min(asked, options.pageSize ?? asked))
        let start = call.elements(forName: "tag").first?.stringValue.flatMap { Int($0) } ?? 0
        let page = Array(all.dropFirst(start).prefix(size))
        var children = [
            Self.element(
                "attributes-list",
                children: page.map { clone in
                    var fields = [
                        Self.element("volume", clone.name), Self.element("parent-volume", clone.parentVolume ?? ""),
                        Self.element("parent-snapshot", clone.parentSnapshot ?? ""),
                        Self.element("vserver", options.svm),
                    ]
                    if let path = clone.path { fields.append(Self.element("junction-path", path)) }
                    return Self.element("volume-clone-info", children: fields)
                }),
            Self.element("num-records", String(page.count)),
        ]
        if start + page.count < all.count { children.append(Self.element("next-tag", String(start + page.count))) }
        return children
    }

    private mutating func volumeCreate(_ call: XMLElement, _ name: String, now: Date) -> Result<
        [XMLElement], ZAPIRefusal
    > {
        func argument(_ key: String) -> String? { call.elements(forName: key).first?.stringValue }
        if volume(named: name) != nil {
            return .failure(ZAPIRefusal(ZAPIErrno.exists, "Volume \(name) already exists"))
        }
        guard let sizeText = argument("size"), let size = Self.parseSize(sizeText) else {
            return .failure(ZAPIRefusal(ZAPIErrno.invalidInput, "Invalid or missing size"))
        }
        let created = Volume(
            uuid: Self.newUUID(), name: name, size: size, used: 0, path: argument("junction-path"),
            exportPolicy: argument("export-policy") ?? "default", state: "online", parentVolume: nil,
            parentSnapshot: nil, createTime: now, snapshots: [])
        return change(.createVolume(created), now: now)
    }

    /// Applies `change` at once (ZAPI calls are synchronous), failing with the simulator's reason.
    private mutating func change(_ change: Change, now: Date) -> Result<[XMLElement], ZAPIRefusal> {
        if let problem = apply(change, now: now) {
            return .failure(ZAPIRefusal(ZAPIErrno.failed, problem.message))
        }
        return .success([])
    }

    // MARK: Documents

    static func element(_ name: String, _ text: String? = nil, children: [XMLElement] = []) -> XMLElement {
        let element = XMLElement(name: name)
        if let text { element.stringValue = text }
        for child in children { element.addChild(child) }
        return element
    }

    private func zapiDocument(_ results: XMLElement) -> SimResponse {
        let root = Self.element("netapp", children: [results])
        root.addAttribute(XMLNode.attribute(withName: "version", stringValue: "1.1") as! XMLNode)
        root.addAttribute(
            XMLNode.attribute(withName: "xmlns", stringValue: "http://www.netapp.com/filer/admin") as! XMLNode)
        let document = XMLDocument(rootElement: root)
        document.characterEncoding = "UTF-8"
        return SimResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Array(document.xmlData))
    }

    func zapiResults(_ children: [XMLElement]) -> SimResponse {
        let results = Self.element("results", children: children)
        results.addAttribute(XMLNode.attribute(withName: "status", stringValue: "passed") as! XMLNode)
        return zapiDocument(results)
    }

    func zapiFailure(_ errno: Int, _ reason: String) -> SimResponse {
        let results = Self.element("results")
        results.addAttribute(XMLNode.attribute(withName: "status", stringValue: "failed") as! XMLNode)
        results.addAttribute(XMLNode.attribute(withName: "errno", stringValue: String(errno)) as! XMLNode)
        results.addAttribute(XMLNode.attribute(withName: "reason", stringValue: reason) as! XMLNode)
        return zapiDocument(results)
    }

    /// `100g` style, as `volume-size` answers.
    static func sizeText(_ bytes: Int64) -> String {
        bytes % (1 << 30) == 0 ? "\(bytes >> 30)g" : bytes % (1 << 20) == 0 ? "\(bytes >> 20)m" : "\(bytes >> 10)k"
    }

    /// Bytes, or `1g`/`500m`/`2t` style.
    static func parseSize(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        if let last = lower.last, let unit = units[last], let value = Int64(lower.dropLast()) { return value * unit }
        return Int64(lower)
    }
}
