import Foundation
import Logging
import StorageKit
import Testing

/// Answers every request with an error body that echoes the request, headers and all, as careless appliances do.
struct EchoingTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        let headers = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        let echo =
            "\(request.method.rawValue) \(request.url) \(headers) \(String(decoding: request.body ?? [], as: UTF8.self))"
        let body = try? JSONEncoder().encode(["fault": ["message": "ERR_DENIED", "details": echo]])
        return HTTPResponse(status: 403, body: Array(body ?? Data()))
    }
}

@Suite("Secrets never reach messages: redaction of appliance answers")
struct SecretRedactionTests {
    static let password = #"Pw"leak\canary"#

    @Test func secretsAndTheirJSONSpellingAreMasked() {
        let text = #"{"details": "X-Auth-Key: Pw\"leak\\canary"} and Pw"leak\canary"#
        let redacted = SecretRedaction.redact(text, secrets: [Self.password])
        #expect(redacted == #"{"details": "X-Auth-Key: ****"} and ****"#)
        #expect(SecretRedaction.redact("nothing here", secrets: ["", "x7"]) == "nothing here")
    }

    @Test func basicAuthorizationYieldsEveryEncodingOfThePassword() {
        let credential = StorageCredential(user: "admin", password: Self.password)
        let found = SecretRedaction.secrets(inHeaderValue: credential.basicAuthorization)
        #expect(found.contains(credential.basicAuthorization))
        #expect(found.contains(String(credential.basicAuthorization.dropFirst("Basic ".count))))
        #expect(found.contains("admin:\(Self.password)"))
        #expect(found.contains(Self.password))
        #expect(SecretRedaction.secrets(inHeaderValue: "token123") == ["token123"])
    }

    @Test func urlPasswordsAreMasked() {
        #expect(
            SecretRedaction.maskingURLPassword("https://admin:s3cr@t@zfssa:215/api?x=1")
                == "https://admin:****@zfssa:215/api?x=1")
        #expect(SecretRedaction.maskingURLPassword("postgres://cat:pw@db/results") == "postgres://cat:****@db/results")
        #expect(SecretRedaction.maskingURLPassword("https://admin@zfssa:215") == "https://admin@zfssa:215")
        // Found by the fuzz smoke run: without `://` the text went out unmasked.
        #expect(SecretRedaction.maskingURLPassword("httuser:pw@user:pw@zfssa:215") == "****@zfssa:215")
        #expect(SecretRedaction.maskingURLPassword("admin:pw@zfssa/api") == "****@zfssa/api")
        #expect(SecretRedaction.maskingURLPassword("zfssa:215/api") == "zfssa:215/api")
        #expect(
            SecretRedaction.maskingURLPassword("httuser:pw@user:pw@ps://user:pw@zfssa:215/api") == "****@zfssa:215/api")
        #expect(SecretRedaction.maskingURLPassword("https://admin:pa/ss@zfssa") == "https://admin:****@zfssa")
        #expect(SecretRedaction.maskingURLPassword("zfssa:215") == "zfssa:215")
        #expect(HTTPHeader("x-auth-session", "t").isSecret && HTTPHeader("Authorization", "b").isSecret)
        #expect(!HTTPHeader("Accept", "application/json").isSecret)
    }

    @Test func anEchoedRequestNeverShowsTheCredentials() async throws {
        let credential = StorageCredential(user: "admin", password: Self.password)
        let client = ApplianceHTTPClient(
            vendor: "test", baseURL: "https://appliance:215/api", transport: EchoingTransport(),
            logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() }, secrets: [credential.password])
        let basic = try await client.send(
            .get, "pools", headers: [HTTPHeader("Authorization", credential.basicAuthorization)], operation: "op",
            retry: .once)
        let session = try await client.send(
            .post, "access", body: Array("{}".utf8), headers: [HTTPHeader("X-Auth-Session", "tok-canary-1")],
            operation: "op", retry: .once)
        for (response, own) in [(basic, credential.basicAuthorization), (session, "tok-canary-1")] {
            #expect(response.text.contains("****"), "\(response.text)")
            #expect(!response.text.contains("YWRtaW46"), "no part of the encoded credentials: \(response.text)")
            for secret in [Self.password, own] {
                #expect(!response.text.contains(secret), "\(response.text)")
                #expect(!response.redacted("details: \(secret)").contains(secret))
            }
        }
    }

    @Test func credentialsGoOnlyToTheAppliance() async throws {
        let client = ApplianceHTTPClient(
            vendor: "test", baseURL: "https://appliance:215/api", transport: EchoingTransport(),
            logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let auth = [HTTPHeader("Authorization", "Basic c2VjcmV0")]
        let foreign = await #expect(throws: StorageError.self) {
            try await client.send(.get, "https://elsewhere:215/api/x", headers: auth, operation: "op", retry: .once)
        }
        #expect(foreign?.message.contains("another host") == true, "\(String(describing: foreign))")
        _ = try await client.send(
            .get, "https://APPLIANCE:215/api/cluster/jobs/1", headers: auth, operation: "op", retry: .once)
        await #expect(throws: StorageError.self) {
            try await client.send(.get, "http://appliance:215/api/x", headers: auth, operation: "op", retry: .once)
        }
    }
}
