import Foundation
import Logging
import StorageHTTP
import StorageKit
import StorageSimulator
import Testing

/// storage-sim's SoftNAS mode on the wire (raw HTTPS requests, no driver): what the driver relies on.
@Suite("storage-sim SoftNAS wire behaviour", .enabled(if: opensslAvailable, opensslReason))
struct SoftNASSimulatorTests {
    struct Client {
        let fixture: SoftNASFixture
        let transport: CurlTransport
        var cookie: String?

        init(_ fixture: SoftNASFixture) {
            self.fixture = fixture
            transport = CurlTransport(
                options: HTTPTransportOptions(
                    vendor: "softnas", caFile: fixture.certificates.caFile,
                    logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }))
        }

        func send(_ method: HTTPMethod, _ page: String, _ body: String? = nil, json: Bool = false) async throws
            -> (status: Int, object: [String: Any], response: HTTPResponse)
        {
            var headers = [
                HTTPHeader("Content-Type", json ? "application/json" : "application/x-www-form-urlencoded")
            ]
            if let cookie { headers.append(HTTPHeader("Cookie", cookie)) }
            let response = try await transport.send(
                HTTPRequest(
                    method: method, url: "\(fixture.server.baseURL)/softnas/\(page)", headers: headers,
                    body: body.map { Array($0.utf8) }))
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
            return (response.status, object, response)
        }

        mutating func login(password: String = "secret") async throws -> (status: Int, object: [String: Any]) {
            let answer = try await send(.post, "login.php", "username=admin&password=\(password)")
            if let value = answer.response.header("Set-Cookie")?.split(separator: ";").first {
                cookie = String(value)
            }
            return (answer.status, answer.object)
        }

        func command(_ form: String) async throws -> [String: Any] {
            try await send(.post, "snserver/snserv.php", form).object
        }
    }

    @Test func loginSetsASessionCookieAndAWrongPasswordSaysSoInsideHTTP200() async throws {
        try await withSoftNAS { fixture in
            var wrong = Client(fixture)
            let refused = try await wrong.login(password: "nope")
            #expect(refused.status == 200)
            #expect(refused.object["success"] as? Bool == false)
            #expect(wrong.cookie == nil)
            #expect(try await wrong.command("opcode=volumes")["success"] as? Bool == false)
            var client = Client(fixture)
            let accepted = try await client.login()
            #expect(accepted.object["success"] as? Bool == true)
            #expect(client.cookie?.hasPrefix("PHPSESSID=") == true)
            #expect(try await client.command("opcode=volumes")["success"] as? Bool == true)
            // After log-out the cookie is worth nothing.
            _ = try await client.send(.get, "logout.php")
            let after = try await client.command("opcode=volumes")
            #expect(after["success"] as? Bool == false)
            #expect((after["msg"] as? String)?.contains("not logged in") == true)
        }
    }

    @Test func snapshotsAreNamedByTheServerAndListedWithEpochAndRefer() async throws {
        try await withSoftNAS(seed: SimulatorSeed(shares: [.init(name: "orcl", spaceUsed: 4096)])) { fixture in
            var client = Client(fixture)
            _ = try await client.login()
            let created = try await client.command(
                "opcode=snapcommand&command=create&pool_name=pool1&volume_name=orcl")
            #expect(created["success"] as? Bool == true)
            let message = try #require(created["msg"] as? String)
            #expect(message.hasPrefix("Snapshot 'pool1/orcl@manual-"), "\(message)")
            let name = try #require(await fixture.engine.snapshotNames(of: "orcl").first)
            #expect(message.contains("@\(name)'"))
            let listed = try await client.command("opcode=snapshotlist&pool_name=pool1%2Forcl")
            let records = try #require(listed["records"] as? [[String: Any]])
            #expect(records.count == 1)
            #expect(records.first?["snapshot_name"] as? String == name)
            #expect(records.first?["refer"] as? Int == 4096)
            let epoch = try #require(records.first?["creation"] as? Int)
            #expect(abs(Double(epoch) - Date().timeIntervalSince1970) < 10)
            let noVolume = try await client.command("opcode=snapshotlist&pool_name=pool1%2Fsales")
            #expect(noVolume["success"] as? Bool == false)
            // A volume with snapshots is not deleted; the snapshot delete takes a JSON list.
            let busy = try await client.command("opcode=deletevolume&vol_name=orcl&pool=pool1")
            #expect(busy["success"] as? Bool == false)
            let list = #"[{"snapshot_name":"\#(name)","pool_name":"pool1","volume_name":"orcl"}]"#
            let deleted = try await client.command(
                "opcode=snapcommand&command=delete&snapshots="
                    + (list.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? list))
            #expect(deleted["success"] as? Bool == true)
            let again = try await client.command(
                "opcode=snapcommand&command=delete&snapshots="
                    + (list.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? list))
            #expect(again["success"] as? Bool == false)
            #expect(
                try await client.command("opcode=deletevolume&vol_name=orcl&pool=pool1")["success"] as? Bool == true)
            #expect(!(await fixture.engine.shareExists(named: "orcl")))
        }
    }

    @Test func volumesAndCreateVolumeWithAJSONBody() async throws {
        try await withSoftNAS { fixture in
            var client = Client(fixture)
            _ = try await client.login()
            let body = #"{"opcode":"createvolume","vol_name":"orcl","pool":"pool1","vol_type":"filesystem"}"#
            #expect(
                try await client.send(.post, "snserver/snserv.php", body, json: true).object["success"] as? Bool == true
            )
            #expect(
                try await client.send(.post, "snserver/snserv.php", body, json: true).object["success"] as? Bool
                    == false)
            let volumes = try await client.command("opcode=volumes&start=0&limit=10000&pool=pool1")
            let records = try #require(volumes["records"] as? [[String: Any]])
            #expect(records.first?["vol_name"] as? String == "orcl")
            #expect(records.first?["vol_path"] as? String == "/pool1/orcl")
            #expect(volumes["total"] as? Int == 1)
            #expect(try await client.command("opcode=nosuch")["success"] as? Bool == false)
        }
    }

    @Test func faultsAndTheRequestLogWorkAsForTheOtherVendors() async throws {
        try await withSoftNAS { fixture in
            await fixture.engine.addFault(FaultRule(.status, pathContains: "snserv", status: 500, message: "boom"))
            var client = Client(fixture)
            _ = try await client.login()
            let failed = try await client.send(.post, "snserver/snserv.php", "opcode=volumes")
            #expect(failed.status == 500)
            #expect(failed.object["success"] as? Bool == false)
            #expect(failed.object["msg"] as? String == "boom")
            let log = await fixture.engine.requestLog()
            #expect(
                log.map(\.description) == [
                    "POST /softnas/login.php -> 200", "POST /softnas/snserver/snserv.php -> 500",
                ])
            #expect(log.map(\.authenticated) == [false, true])
        }
    }
}
