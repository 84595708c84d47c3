import Foundation
import Testing

@testable import StorageSimulator

/// The snapshot listings are written straight into bytes and cached until a share/volume changes: the answers must
/// be the JSON that `JSONSerialization` would write, and every change must show in the next listing.
@Suite("storage-sim snapshot listings: direct encoding and cache")
struct SnapshotListingTests {
    /// `JSONSerialization`'s text for the parsed body: the same bytes when the direct encoding matches it.
    func canonical(_ body: [UInt8]) throws -> [UInt8] {
        let object = try JSONSerialization.jsonObject(with: Data(body))
        return Array(
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    func names(_ response: SimResponse, _ list: String) -> [String] {
        (json(response)[list] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
    }

    static let base = Date(timeIntervalSince1970: 1_478_638_416)

    func seed(_ names: [String]) -> SimulatorSeed {
        SimulatorSeed(shares: [
            .init(
                name: "orcl",
                snapshots: names.enumerated().map {
                    .init(name: $0.element, creation: Self.base.addingTimeInterval(Double($0.offset) * 86_400))
                })
        ])
    }

    @Test("ZFSSA: listings are JSONSerialization's text, also for names that need escaping")
    func zfssaEncoding() async throws {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa))
        try await engine.seed(seed(["a", "quote\"back\\slash/tab\t\u{1}é", "c"]))
        for version in ["v1", "v2"] {
            let path = "/api/storage/\(version)/pools/pool1/projects/demo-backup"
            var request = zfssaRequest("GET", "/filesystems/orcl/snapshots")
            request.path = path + "/filesystems/orcl/snapshots"
            let share = await engine.handle(request, fault: nil)
            #expect(share.status == 200)
            #expect(try canonical(share.body) == share.body)
            #expect(names(share, "snapshots") == ["a", "quote\"back\\slash/tab\t\u{1}é", "c"])
            request.path = path + "/snapshots"
            let project = await engine.handle(request, fault: nil)
            #expect(try canonical(project.body) == project.body)
            request.path = path + "/filesystems/orcl/snapshots/a"
            let one = await engine.handle(request, fault: nil)
            #expect(try canonical(one.body) == one.body)
            let record = try #require(json(one)["snapshot"] as? [String: Any])
            #expect(record["creation"] as? String == (version == "v1" ? "20161108T20:53:36" : "2016-11-08T20:53:36Z"))
            #expect((record["shadowsnap"] != nil) == (version == "v1"))
            #expect(record["numclones"] as? Int == 0)
        }
    }

    @Test("ZFSSA: a cached listing shows created and deleted snapshots, clones, and pages")
    func zfssaCache() async throws {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .zfssa))
        try await engine.seed(seed(["s1", "s2", "s3"]))
        let list = zfssaRequest("GET", "/filesystems/orcl/snapshots")
        #expect(names(await engine.handle(list, fault: nil), "snapshots") == ["s1", "s2", "s3"])
        #expect(await engine.zfssa.listings.count == 1)

        let created = await engine.handle(
            zfssaRequest("POST", "/filesystems/orcl/snapshots", ["name": "s4"]), fault: nil)
        #expect(created.status == 201)
        #expect(await engine.zfssa.listings.isEmpty)
        #expect(names(await engine.handle(list, fault: nil), "snapshots") == ["s1", "s2", "s3", "s4"])
        let project = zfssaRequest("GET", "/snapshots")
        #expect(names(await engine.handle(project, fault: nil), "snapshots") == ["s1", "s2", "s3", "s4"])

        let deleted = await engine.handle(zfssaRequest("DELETE", "/filesystems/orcl/snapshots/s2"), fault: nil)
        #expect(deleted.status == 204)
        #expect(names(await engine.handle(list, fault: nil), "snapshots") == ["s1", "s3", "s4"])
        #expect(names(await engine.handle(project, fault: nil), "snapshots") == ["s1", "s3", "s4"])

        let clone = await engine.handle(
            zfssaRequest("PUT", "/filesystems/orcl/snapshots/s3/clone", ["share": "c1"]), fault: nil)
        #expect(clone.status == 201)
        let records = try #require(json(await engine.handle(list, fault: nil))["snapshots"] as? [[String: Any]])
        #expect(records.map { $0["numclones"] as? Int } == [0, 1, 0])
        let dropped = await engine.handle(zfssaRequest("DELETE", "/filesystems/c1"), fault: nil)
        #expect(dropped.status == 204)
        let after = try #require(json(await engine.handle(list, fault: nil))["snapshots"] as? [[String: Any]])
        #expect(after.map { $0["numclones"] as? Int } == [0, 0, 0])

        var page = list
        page.query = "start=1&limit=1"
        #expect(names(await engine.handle(page, fault: nil), "snapshots") == ["s3"])
        page.query = "start=5"
        #expect(names(await engine.handle(page, fault: nil), "snapshots") == [])

        try await engine.seed(SimulatorSeed(shares: [.init(name: "orcl", snapshots: [])]))
        #expect(names(await engine.handle(list, fault: nil), "snapshots") == [])
    }

    @Test("ONTAP: the direct listing matches the filtered (generic) one for every kind of fields=")
    func ontapEncoding() async throws {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .ontap))
        try await engine.seed(seed(["s1", "odd\"name\\/x", "s3"]))
        let listing = await engine.handle(ontapRequest("GET", "/storage/volumes", query: "name=orcl"), fault: nil)
        let uuid = try #require((json(listing)["records"] as? [[String: Any]])?.first?["uuid"] as? String)
        for fields in [nil, "", "*", "**", "uuid,name,create_time,size", "owners,svm.name,volume,state", "nothing"] {
            let query = fields.map { "fields=\($0)" } ?? ""
            let direct = await engine.handle(
                ontapRequest("GET", "/storage/volumes/\(uuid)/snapshots", query: query), fault: nil)
            #expect(direct.status == 200)
            #expect(direct.headers["Content-Type"] == "application/hal+json")
            #expect(try canonical(direct.body) == direct.body)
            // A filter that every snapshot passes takes the generic path through [String: Any] records.
            let generic = await engine.handle(
                ontapRequest(
                    "GET", "/storage/volumes/\(uuid)/snapshots", query: query + (query.isEmpty ? "" : "&") + "name=*"),
                fault: nil)
            let directRecords = try #require(json(direct)["records"] as? [[String: Any]])
            let genericRecords = try #require(json(generic)["records"] as? [[String: Any]])
            let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
            #expect(
                try JSONSerialization.data(withJSONObject: directRecords, options: options)
                    == JSONSerialization.data(withJSONObject: genericRecords, options: options))
            #expect(json(direct)["num_records"] as? Int == 3)
        }
    }

    @Test("ONTAP: a cached listing shows created and deleted snapshots, FlexClone owners, and pages")
    func ontapCache() async throws {
        let engine = SimulatorEngine(options: SimulatorOptions(vendor: .ontap))
        try await engine.seed(seed(["s1", "s2"]))
        let listing = await engine.handle(ontapRequest("GET", "/storage/volumes", query: "name=orcl"), fault: nil)
        let uuid = try #require((json(listing)["records"] as? [[String: Any]])?.first?["uuid"] as? String)
        let list = ontapRequest("GET", "/storage/volumes/\(uuid)/snapshots", query: "fields=*")
        #expect(names(await engine.handle(list, fault: nil), "records") == ["s1", "s2"])
        #expect(await engine.ontap.listings.count == 1)

        let created = await engine.handle(
            ontapRequest("POST", "/storage/volumes/\(uuid)/snapshots", query: "return_timeout=10", ["name": "s3"]),
            fault: nil)
        #expect(created.status == 201)
        let records = try #require(json(await engine.handle(list, fault: nil))["records"] as? [[String: Any]])
        #expect(records.compactMap { $0["name"] as? String } == ["s1", "s2", "s3"])
        let s1 = try #require(records.first?["uuid"] as? String)

        let clone = await engine.handle(
            ontapRequest(
                "POST", "/storage/volumes", query: "return_timeout=10",
                [
                    "name": "c1", "svm": ["name": "svm1"],
                    "clone": [
                        "parent_volume": ["name": "orcl"], "parent_snapshot": ["name": "s2"], "is_flexclone": true,
                    ],
                ]), fault: nil)
        #expect(clone.status == 201)
        let owned = try #require(json(await engine.handle(list, fault: nil))["records"] as? [[String: Any]])
        #expect(owned.map { ($0["owners"] as? [String]) ?? ["?"] } == [[], ["volume_clone"], []])

        let deleted = await engine.handle(
            ontapRequest("DELETE", "/storage/volumes/\(uuid)/snapshots/\(s1)", query: "return_timeout=10"), fault: nil)
        #expect(deleted.status == 200)
        #expect(names(await engine.handle(list, fault: nil), "records") == ["s2", "s3"])

        var page = list
        page.query = "fields=*&max_records=1&start.index=1"
        let second = await engine.handle(page, fault: nil)
        #expect(names(second, "records") == ["s3"])
        #expect(((json(second)["_links"] as? [String: Any])?["next"]) == nil)
        page.query = "fields=*&max_records=1"
        let first = await engine.handle(page, fault: nil)
        #expect(names(first, "records") == ["s2"])
        let next = (json(first)["_links"] as? [String: Any])?["next"] as? [String: Any]
        #expect(
            next?["href"] as? String == "/api/storage/volumes/\(uuid)/snapshots?fields=*&max_records=1&start.index=1")
    }

    @Test("calendar fields and offsets match Foundation's formatters")
    func dates() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let fixed: [TimeInterval] = [-2_207_520_001, -1, 0, 0.999, 951_782_400, 951_868_799, 4_107_542_399]
        let spread: [TimeInterval] = (0..<200).map { Double($0) * 7_654_321.25 }
        let instants = fixed + spread
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            for offset in [0, 3_600, -19_800] {
                let fields = SimulatorDateFields(date, offset: offset)
                let shifted = date.addingTimeInterval(Double(offset))
                let expected = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: shifted)
                let actual: [Int?] = [fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second]
                let wanted: [Int?] = [
                    expected.year, expected.month, expected.day, expected.hour, expected.minute, expected.second,
                ]
                #expect(actual == wanted, "\(instant) \(offset)")
            }
        }
        for seconds in [0, 3_600, -19_800] {
            let zone = try #require(TimeZone(secondsFromGMT: seconds))
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = zone
            formatter.formatOptions = [.withInternetDateTime]
            let ontap = ONTAPSimulation(options: SimulatorOptions(vendor: .ontap, timeZone: zone))
            for instant in instants.prefix(40) {
                let date = Date(timeIntervalSince1970: instant)
                #expect(ontap.format(date) == formatter.string(from: date))
            }
        }
    }
}
