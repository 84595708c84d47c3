import CLibXML2
import StorageKit
import ToolSupport

/// An XML element of a ZAPI request or reply: name, attributes, text and child elements. Built into bytes and parsed
/// from bytes by libxml2 (``ZAPIXML``), so names such as `a&b<c>"d"` are escaped by the library, never by hand.
struct ZAPIElement: Sendable, Hashable {
    var name: String
    var attributes: [(String, String)] = []
    var text: String = ""
    var children: [ZAPIElement] = []

    init(_ name: String, text: String = "", attributes: [(String, String)] = [], children: [ZAPIElement] = []) {
        self.name = name
        self.text = text
        self.attributes = attributes
        self.children = children
    }

    /// `<name>text</name>`.
    static func value(_ name: String, _ text: String) -> ZAPIElement { ZAPIElement(name, text: text) }

    /// The first child named `name`.
    func child(_ name: String) -> ZAPIElement? { children.first { $0.name == name } }

    /// The child reached through `path` (`a`, `b`: `<a><b>`).
    func child(path: String...) -> ZAPIElement? {
        var current: ZAPIElement? = self
        for name in path { current = current?.child(name) }
        return current
    }

    /// The text of the child reached through `path`, `nil` when it is missing or empty.
    func string(_ path: String...) -> String? {
        var current: ZAPIElement? = self
        for name in path { current = current?.child(name) }
        guard let text = current?.text, !text.isEmpty else { return nil }
        return text
    }

    /// The attribute `name`.
    func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }

    static func == (lhs: ZAPIElement, rhs: ZAPIElement) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.children == rhs.children
            && lhs.attributes.map(\.0) == rhs.attributes.map(\.0) && lhs.attributes.map(\.1) == rhs.attributes.map(\.1)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(text)
        hasher.combine(children)
    }
}

/// libxml2 (through the CLibXML2 shim, loaded at first use) writing and reading ZAPI documents.
enum ZAPIXML {
    /// Loads libxml2 (once per process); a missing library is `.invalidConfiguration` naming the package.
    static func load(vendor: String, operation: String) throws(StorageError) {
        var buffer = [CChar](repeating: 0, count: 512)
        guard oib_xml_load(&buffer, buffer.count) == 0 else {
            let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw StorageError(.invalidConfiguration, vendor: vendor, operation: operation, message: message)
        }
    }

    /// The document `root` as UTF-8 bytes with its XML declaration.
    static func serialize(_ root: ZAPIElement, vendor: String, operation: String) throws(StorageError) -> [UInt8] {
        try LibXMLThread.shared.runBlocking { () -> Result<[UInt8], StorageError> in
            do throws(StorageError) {
                return .success(try serializeHere(root, vendor: vendor, operation: operation))
            } catch {
                return .failure(error)
            }
        }.get()
    }

    /// The root element of `bytes`; `nil` when they are not well-formed XML.
    static func parse(_ bytes: [UInt8], vendor: String, operation: String) throws(StorageError) -> ZAPIElement? {
        try LibXMLThread.shared.runBlocking { () -> Result<ZAPIElement?, StorageError> in
            do throws(StorageError) {
                return .success(try parseHere(bytes, vendor: vendor, operation: operation))
            } catch {
                return .failure(error)
            }
        }.get()
    }

    /// ``serialize(_:vendor:operation:)`` on the calling thread (the libxml2 thread).
    private static func serializeHere(_ root: ZAPIElement, vendor: String, operation: String) throws(StorageError)
        -> [UInt8]
    {
        try load(vendor: vendor, operation: operation)
        guard let writer = oib_xml_writer_new() else {
            throw StorageError(
                .unexpectedResponse, vendor: vendor, operation: operation, message: "libxml2 could not start a document"
            )
        }
        defer { oib_xml_writer_free(writer) }
        func write(_ element: ZAPIElement) -> Bool {
            guard oib_xml_writer_start(writer, element.name) >= 0 else { return false }
            for (name, value) in element.attributes where oib_xml_writer_attribute(writer, name, value) < 0 {
                return false
            }
            if !element.text.isEmpty, oib_xml_writer_text(writer, element.text) < 0 { return false }
            for child in element.children where !write(child) { return false }
            return oib_xml_writer_end(writer) >= 0
        }
        var length: Int32 = 0
        guard write(root), let bytes = oib_xml_writer_finish(writer, &length) else {
            throw StorageError(
                .invalidName, vendor: vendor, operation: operation,
                message: "libxml2 could not write the <\(root.name)> request (a name that is not valid XML text?)")
        }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }

    /// ``parse(_:vendor:operation:)`` on the calling thread (the libxml2 thread).
    private static func parseHere(_ bytes: [UInt8], vendor: String, operation: String) throws(StorageError)
        -> ZAPIElement?
    {
        try load(vendor: vendor, operation: operation)
        guard !bytes.isEmpty else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> ZAPIElement? in
            let start = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            guard let reader = oib_xml_reader_new(start, Int32(buffer.count)) else { return nil }
            defer { oib_xml_reader_free(reader) }
            var stack: [ZAPIElement] = []
            var root: ZAPIElement?
            func close() {
                let done = stack.removeLast()
                if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
            }
            while true {
                let status = oib_xml_reader_read(reader)
                if status == 0 { break }
                if status < 0 { return nil }
                switch oib_xml_reader_node_type(reader) {
                case 1:
                    var element = ZAPIElement(oib_xml_reader_name(reader).map { String(cString: $0) } ?? "")
                    let empty = oib_xml_reader_is_empty(reader) == 1
                    while oib_xml_reader_next_attribute(reader) == 1 {
                        element.attributes.append(
                            (
                                oib_xml_reader_name(reader).map { String(cString: $0) } ?? "",
                                oib_xml_reader_value(reader).map { String(cString: $0) } ?? ""
                            ))
                    }
                    _ = oib_xml_reader_to_element(reader)
                    stack.append(element)
                    if empty { close() }
                case 3, 4:
                    if !stack.isEmpty {
                        stack[stack.count - 1].text += oib_xml_reader_value(reader).map { String(cString: $0) } ?? ""
                    }
                case 15:
                    if !stack.isEmpty { close() }
                default:
                    break
                }
            }
            return stack.isEmpty ? root : nil
        }
    }
}

/// The one thread that calls libxml2. libxml2 2.9 keeps per-thread state that it creates on a thread's first call
/// and frees when the thread ends; used from Dispatch's and the task pool's threads, which come and go, it crashed
/// the test process once (a NULL per-thread state read in libxml2, on a Dispatch thread). Every load, write and
/// parse runs here instead, one at a time; ZAPI documents are small, so callers wait microseconds.
enum LibXMLThread {
    /// The process's libxml2 thread, started on first use.
    static let shared = DedicatedThread()
}
